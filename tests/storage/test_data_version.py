"""The data version kept by database triggers (issue 11, item 5): it equals what the old scan
of the panel rows computed, moves on every write path, and behaves alike on both databases."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from alembic import command
from sqlalchemy import Connection, Engine, delete, func, make_url, or_, select, text, true, update
from sqlalchemy.orm import Session

from reports.sample import sample_answers
from scoring import compile_questionnaire, score_assessment
from scoring.answers import encode_frame, records_to_frame
from scoring.catalog import default_questionnaire
from scoring.engine import score_batch
from storage import version_counters
from storage.accounts import update_consents
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.bulk import ScoredBatch, insert_firms, insert_scored
from storage.db import alembic_config, make_engine, metadata, migrate, normalize_url
from storage.demo import create_demo, remove_demo
from storage.models import Assessment, Firm, PanelRow, PanelVersion
from storage.results_table import (
    backfill,
    data_version,
    insert_panel_rows,
    store_result_vector,
)
from storage.verification import unverify_firm, verify_firm
from tests.storage.storage_testdata import make_firm

WHEN = dt.datetime(2025, 3, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def compiled():
    loaded = default_questionnaire()
    return {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}


# --- the reference: what data_version computed before the counters ---------------------------


def _scan(session: Session, questionnaire_id: str, depth: str, content_hash: str | None = None):
    """Count, max and sum of the panel rows' ids (the old scan), and the counted firms for the
    staff panel (consent, and verified or demo) and for peers (consent, verified, not demo)."""
    rows = select(
        func.count(),
        func.coalesce(func.max(PanelRow.assessment_id), 0),
        func.coalesce(func.sum(PanelRow.assessment_id), 0),
    ).where(PanelRow.questionnaire_id == questionnaire_id, PanelRow.depth == depth)
    if content_hash is not None:
        rows = rows.where(PanelRow.questionnaire_hash == content_hash)
    consenting = select(Firm.id).where(Firm.consent_statistics.is_(true()))
    panel = consenting.where(or_(Firm.verified_at.is_not(None), Firm.is_demo.is_(True)))
    peers = consenting.where(Firm.verified_at.is_not(None), Firm.is_demo.is_(False))
    counts = tuple(int(v) for v in session.execute(rows).one())
    firms = (tuple(sorted(session.scalars(panel))), tuple(sorted(session.scalars(peers))))
    return counts, firms


class Watch:
    """Reads the data version after each step and checks it against the scan: the panel part
    equals the scan, and an unchanged firm part means unchanged counted firms."""

    def __init__(self, session: Session, questionnaire_id: str, depth: str, content_hash=None):
        self.session = session
        self.key = (questionnaire_id, depth, content_hash)
        self.version, self.firms = self._read()

    def _read(self):
        self.session.commit()
        version = data_version(self.session, *self.key)
        counts, firms = _scan(self.session, *self.key)
        assert version[:3] == counts
        return version, firms

    def step(self) -> tuple[bool, bool]:
        """(panel part changed, firm part changed) since the previous step."""
        before, firms_before = self.version, self.firms
        self.version, self.firms = self._read()
        if self.version[3:] == before[3:]:
            assert self.firms == firms_before, "counted firms changed, version did not"
        return self.version[:3] != before[:3], self.version[3:] != before[3:]


def _submit(session: Session, compiled, firm_id: int, seed: int, vector: bool = True) -> int:
    loaded = compiled.loaded
    answers, sources = sample_answers(compiled, seed=seed)
    assessment = start_assessment(
        session, firm_id, (loaded.id, loaded.version, loaded.content_hash), compiled.depth
    )
    save_answers(session, assessment.id, firm_id, answers, sources)
    result = score_assessment(compiled, answers, sources)
    submit(session, assessment.id, firm_id, result_summary(result))
    if vector:
        store_result_vector(session, assessment.id, compiled, result)
    session.commit()
    return assessment.id


def _firm_rows(count: int, start: int = 0, **overrides) -> list[dict]:
    return [
        {
            "ruc": f"2000000{start + i:03d}0",
            "razon_social": f"Empresa {start + i}",
            "ciiu_division": 10 + i % 3,
            "region": "Piura",
            "annual_sales": 1000,
            "sales_year": 2025,
            "size_class": "micro",
            "workers": 3,
            "email": f"e{start + i}@ejemplo.pe",
            "consent_share_sni": True,
            "consent_statistics": True,
            "is_demo": False,
            "created_at": WHEN,
            "verified_at": WHEN,
            **overrides,
        }
        for i in range(count)
    ]


def _panel_rows(connection: Connection, firm_ids, content_hash: str, depth="completo"):
    """Assessments and bare panel rows (the version never reads the vector)."""
    first = int(connection.scalar(select(func.coalesce(func.max(Assessment.id), 0)))) + 1
    ids = list(range(first, first + len(firm_ids)))
    common = {
        "questionnaire_id": "q",
        "questionnaire_version": "1.0.0",
        "questionnaire_hash": content_hash,
        "depth": depth,
        "submitted_at": WHEN,
        "is_demo": False,
    }
    connection.execute(
        Assessment.__table__.insert(),
        [
            {"id": i, "firm_id": f, "status": "enviada", "created_at": WHEN, **common}
            for i, f in zip(ids, firm_ids, strict=True)
        ],
    )
    return [
        {
            "assessment_id": i,
            "firm_id": f,
            "ciiu_division": 10,
            "size_class": "micro",
            "region": "Piura",
            "vector_format": 2,
            "vector": b"\0\0\0\0",
            **common,
        }
        for i, f in zip(ids, firm_ids, strict=True)
    ]


def _copy(connection: Connection, rows: list[dict]) -> None:
    """Rows into panel_resultados as bulk tools do: COPY on PostgreSQL, one executemany of raw
    SQL on SQLite."""
    names = list(rows[0])
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        statement = f"COPY panel_resultados ({', '.join(names)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([row[n] for n in names])
    else:
        marks = ", ".join("?" for _ in names)
        connection.exec_driver_sql(
            f"INSERT INTO panel_resultados ({', '.join(names)}) VALUES ({marks})",
            [
                tuple(r[n].replace(tzinfo=None) if n == "submitted_at" else r[n] for n in names)
                for r in rows
            ],
        )


# --- each write path ---------------------------------------------------------------------------


def test_submission_moves_the_panel_part(session: Session, compiled) -> None:
    completo = compiled["completo"]
    loaded = completo.loaded
    watch = Watch(session, loaded.id, "completo", loaded.content_hash)
    everything = Watch(session, loaded.id, "completo")
    expres = Watch(session, loaded.id, "expres")
    assert watch.version[:3] == (0, 0, 0)
    firm = make_firm(session)
    assert watch.step() == (False, True)  # a verified, consenting firm: a counted firm
    first = _submit(session, completo, firm.id, seed=1)
    assert watch.step() == (True, False)
    assert watch.version[:3] == (1, first, first)
    second = _submit(session, completo, firm.id, seed=2)
    assert watch.step() == (True, False)
    assert watch.version[:3] == (2, second, first + second)
    assert everything.step()[0] and not expres.step()[0]
    _submit(session, compiled["expres"], firm.id, seed=3)
    assert expres.step()[0] and not watch.step()[0]


def test_hash_none_sums_every_hash_of_the_questionnaire(engine: Engine) -> None:
    with engine.begin() as connection:
        firms = insert_firms(connection, _firm_rows(3))
        insert_panel_rows(connection, _panel_rows(connection, firms, "sha256:a"))
        insert_panel_rows(connection, _panel_rows(connection, firms[:2], "sha256:b"))
        insert_panel_rows(connection, _panel_rows(connection, firms[:1], "sha256:c", "expres"))
    with Session(engine) as session:
        assert data_version(session, "q", "completo", "sha256:a")[:3] == (3, 3, 6)
        assert data_version(session, "q", "completo", "sha256:b")[:3] == (2, 5, 9)
        assert data_version(session, "q", "completo")[:3] == (5, 5, 15)
        assert data_version(session, "q", "expres")[:3] == (1, 6, 6)
        assert data_version(session, "q", "completo", "sha256:z")[:3] == (0, 0, 0)
        assert data_version(session, "otro", "completo")[:3] == (0, 0, 0)
        for content_hash in ("sha256:a", "sha256:b", None):
            Watch(session, "q", "completo", content_hash)  # equals the scan


def test_bulk_loads_move_the_version(engine: Engine, compiled) -> None:
    completo = compiled["completo"]
    records = [(f"r{seed}", *sample_answers(completo, seed=seed)) for seed in range(6)]
    encoded, _, _ = encode_frame(completo, records_to_frame(records), strict_rows=False)
    scores = score_batch(completo, encoded)
    with Session(engine) as session:
        watch = Watch(session, completo.loaded.id, "completo", completo.loaded.content_hash)
        with engine.begin() as connection:
            owners = insert_firms(connection, _firm_rows(4))
        assert watch.step() == (False, True)
        with engine.begin() as connection:
            when = [WHEN + dt.timedelta(days=d) for d in range(6)]
            batch = ScoredBatch(completo, scores, encoded.practice, owners + owners[:2], when)
            insert_scored(connection, batch)
        assert watch.step() == (True, False)
        assert watch.version[0] == 6
        raw = Watch(session, "q", "completo", "sha256:a")
        with engine.begin() as connection:  # COPY on PostgreSQL
            _copy(connection, _panel_rows(connection, owners * 3, "sha256:a"))
        assert raw.step() == (True, False)
        assert raw.version[0] == 12 and watch.step() == (False, False)
        with engine.begin() as connection:  # a second load adds to the same counters
            _copy(connection, _panel_rows(connection, owners, "sha256:a"))
            insert_scored(connection, batch)
        assert raw.step() == (True, False) and watch.step() == (True, False)
        assert raw.version[0] == 16 and watch.version[0] == 12
        with engine.begin() as connection:  # firms that do not count: no firm change
            insert_firms(connection, _firm_rows(3, start=10, verified_at=None))
            insert_firms(connection, _firm_rows(2, start=20, consent_statistics=False))
        assert watch.step() == (False, False)


def test_backfill_moves_the_version(session: Session, compiled) -> None:
    completo = compiled["completo"]
    firm = make_firm(session)
    watch = Watch(session, completo.loaded.id, "completo", completo.loaded.content_hash)
    assessment_id = _submit(session, completo, firm.id, seed=4, vector=False)
    assert watch.step() == (False, False)
    assert backfill(session) == 1
    assert watch.step() == (True, False)
    assert watch.version[:3] == (1, assessment_id, assessment_id)


def test_demo_data_and_its_removal(session: Session, compiled) -> None:
    loaded = compiled["completo"].loaded
    real = make_firm(session)
    _submit(session, compiled["completo"], real.id, seed=5)
    watches = [Watch(session, loaded.id, depth) for depth in ("completo", "expres")]
    create_demo(session, compiled, firms=12, seed=7)
    changes = [w.step() for w in watches]
    assert any(panel for panel, _ in changes) and all(firms for _, firms in changes)
    assert remove_demo(session) == 12
    for watch in watches:
        assert watch.step()[1]  # counted demo firms gone
    assert watches[0].version[:3] == _scan(session, loaded.id, "completo")[0]
    assert watches[1].version[:3] == (0, 0, 0)


def test_deletions_keep_the_largest_id(session: Session, compiled) -> None:
    completo = compiled["completo"]
    loaded = completo.loaded
    first = make_firm(session)
    second = make_firm(session, "2060001111", email="b@ejemplo.pe")
    ids = [_submit(session, completo, f.id, seed=s) for s, f in enumerate((first, second, first))]
    watch = Watch(session, loaded.id, "completo", loaded.content_hash)
    assert watch.version[:3] == (3, ids[2], sum(ids))
    # Deleting an assessment cascades to its panel row: the largest id goes back.
    session.execute(delete(Assessment).where(Assessment.id == ids[2]))
    assert watch.step() == (True, False)
    assert watch.version[:3] == (2, ids[1], ids[0] + ids[1])
    # A firm deleted with its assessments (cascade): the largest id and the firm part move.
    session.execute(delete(Firm).where(Firm.id == second.id))
    assert watch.step() == (True, True)
    assert watch.version[:3] == (1, ids[0], ids[0])
    session.execute(delete(Firm).where(Firm.id == first.id))
    assert watch.step() == (True, True)
    assert watch.version[:3] == (0, 0, 0)


def test_a_moved_panel_row_moves_both_keys(engine: Engine) -> None:
    with engine.begin() as connection:
        firms = insert_firms(connection, _firm_rows(2))
        insert_panel_rows(connection, _panel_rows(connection, firms + firms, "sha256:a"))
    with Session(engine) as session:
        old = Watch(session, "q", "completo", "sha256:a")
        new = Watch(session, "q", "completo", "sha256:b")
        session.execute(
            update(PanelRow)
            .where(PanelRow.assessment_id == 4)
            .values(questionnaire_hash="sha256:b")
        )
        assert old.step() == (True, False) and new.step() == (True, False)
        assert old.version[:3] == (3, 3, 6) and new.version[:3] == (1, 4, 4)
        session.execute(update(PanelRow).values(is_demo=True))  # not part of the key
        assert old.step() == (False, False) and new.step() == (False, False)


def test_firm_part_moves_only_when_counted_firms_may_change(session: Session) -> None:
    watch = Watch(session, "q", "completo")
    pending = make_firm(session, "2060001111", verified=False, email="p@ejemplo.pe")
    assert watch.step() == (False, False)  # registered, not yet verified: does not count
    verify_firm(session, pending.id, staff_account_id=1)
    assert watch.step() == (False, True)
    update_consents(session, pending.id, False, True)  # share with SNI only
    assert watch.step() == (False, False)
    update_consents(session, pending.id, False, False)  # statistics withdrawn
    assert watch.step() == (False, True)
    update_consents(session, pending.id, True, True)  # given again: the earlier set, new version
    assert watch.step() == (False, True)
    unverify_firm(session, pending.id, staff_account_id=1)
    assert watch.step() == (False, True)
    session.execute(update(Firm).where(Firm.id == pending.id).values(is_demo=True))
    assert watch.step() == (False, True)  # a demo firm counts in the staff panel
    session.execute(update(Firm).where(Firm.id == pending.id).values(razon_social="Otra S.A.C."))
    assert watch.step() == (False, False)
    # Verified demo firm: counts in the panel either way, for peers only when not demo.
    session.execute(update(Firm).where(Firm.id == pending.id).values(verified_at=WHEN))
    assert watch.step() == (False, False)
    session.execute(update(Firm).where(Firm.id == pending.id).values(is_demo=False))
    assert watch.step() == (False, True)
    session.execute(
        update(Firm).where(Firm.id == pending.id).values(verified_at=dt.datetime.now(dt.UTC))
    )
    assert watch.step() == (False, False)  # verified again: the same firms count


def test_triggers_present_at_head(engine: Engine) -> None:
    with engine.connect() as connection:
        assert _installed(connection) == _expected(connection.dialect.name)


def _expected(dialect: str) -> set[str]:
    if dialect == "sqlite":
        return set(version_counters.SQLITE_TRIGGERS)
    return {name for name, _ in version_counters.POSTGRES_TRIGGERS} | set(
        version_counters.POSTGRES_FUNCTIONS
    )


def _installed(connection: Connection) -> set[str]:
    names = _expected(connection.dialect.name)
    if connection.dialect.name == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    else:
        query = (
            "SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relnamespace = current_schema()::regnamespace UNION "
            "SELECT proname FROM pg_proc WHERE pronamespace = current_schema()::regnamespace"
        )
    return {row[0] for row in connection.exec_driver_sql(query)} & names


# --- migration 0009 and create_all --------------------------------------------------------------


def _alembic(engine: Engine, action, revision: str) -> None:
    with engine.begin() as connection:
        action(alembic_config(connection), revision)
    engine.dispose()


def test_migration_0009_counts_existing_rows_and_downgrades(engine: Engine) -> None:
    _alembic(engine, command.downgrade, "0008")
    with engine.connect() as connection:
        assert not _installed(connection)
    with engine.begin() as connection:  # data written before the upgrade
        firms = insert_firms(connection, _firm_rows(3))
        insert_panel_rows(connection, _panel_rows(connection, firms + firms[:1], "sha256:a"))
        insert_panel_rows(connection, _panel_rows(connection, firms[1:], "sha256:b"))
        connection.execute(delete(Assessment).where(Assessment.id == 4))
    _alembic(engine, command.upgrade, "0009")
    with Session(engine) as session:
        assert data_version(session, "q", "completo", "sha256:a")[:3] == (3, 3, 6)
        assert data_version(session, "q", "completo", "sha256:b")[:3] == (2, 6, 11)
        watch = Watch(session, "q", "completo")
        session.execute(delete(Firm).where(Firm.id == firms[0]))
        assert watch.step() == (True, True)
    _alembic(engine, command.upgrade, "head")
    _alembic(engine, command.downgrade, "0008")
    with engine.connect() as connection:
        assert not _installed(connection)
        tables = {"panel_versiones", "version_empresas"}
        assert not tables & set(_tables(connection))
    with engine.begin() as connection:  # writes work without the counters
        insert_panel_rows(connection, _panel_rows(connection, firms[1:2], "sha256:a"))
    _alembic(engine, command.upgrade, "head")
    with Session(engine) as session:
        Watch(session, "q", "completo", "sha256:a")
        assert data_version(session, "q", "completo")[:3] == _scan(session, "q", "completo")[0]


def _tables(connection: Connection) -> list[str]:
    from sqlalchemy import inspect

    return inspect(connection).get_table_names()


@contextmanager
def _blank(kind: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database (no migrations): a SQLite file or a throwaway PostgreSQL schema."""
    if kind == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'vacia.sqlite3'}")
        yield eng
        eng.dispose()
        return
    base = _postgres_url()
    schema = f"prueba_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    eng = make_engine(url.render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _postgres_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalize_url(url)
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(
            "CI=true pero TEST_DATABASE_URL no está definido: no se puede probar PostgreSQL."
        )
    pytest.skip("TEST_DATABASE_URL no está definido: se omiten las pruebas en PostgreSQL.")


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.mark.parametrize("kind", BACKENDS)
def test_create_all_installs_the_same_triggers(kind: str, tmp_path: Path) -> None:
    with _blank(kind, tmp_path) as eng:
        metadata.create_all(eng)
        with eng.connect() as connection:
            assert _installed(connection) == _expected(kind)
        with eng.begin() as connection:
            firms = insert_firms(connection, _firm_rows(2))
            insert_panel_rows(connection, _panel_rows(connection, firms, "sha256:a"))
        with Session(eng) as session:
            assert data_version(session, "q", "completo")[:3] == (2, 2, 3)
            assert session.scalar(select(func.count()).select_from(PanelVersion)) == 1
        metadata.drop_all(eng)
        with eng.connect() as connection:
            assert not _installed(connection)


# --- the same on both databases ----------------------------------------------------------------


def _scenario(engine: Engine, compiled) -> list[tuple]:
    """The same writes on any database; the versions seen after each step."""
    completo = compiled["completo"]
    loaded = completo.loaded
    seen = []
    with Session(engine) as session:
        watch = Watch(session, loaded.id, "completo", loaded.content_hash)

        def step() -> None:
            watch.step()
            seen.append(watch.version)

        firm = make_firm(session)
        other = make_firm(session, "2060001111", verified=False, email="b@ejemplo.pe")
        step()
        _submit(session, completo, firm.id, seed=1)
        last = _submit(session, completo, other.id, seed=2)
        step()
        verify_firm(session, other.id, staff_account_id=1)
        step()
        update_consents(session, firm.id, True, False)
        step()
        update_consents(session, firm.id, False, False)
        step()
        session.execute(delete(Assessment).where(Assessment.id == last))
        step()
        backfill(session)
        step()
        session.execute(delete(Firm).where(Firm.id == firm.id))
        step()
    return seen


@pytest.mark.postgres
def test_same_versions_on_sqlite_and_postgresql(tmp_path: Path, compiled) -> None:
    url = f"sqlite:///{tmp_path / 'a.sqlite3'}"
    migrate(url)
    lite = make_engine(url)
    expected = _scenario(lite, compiled)
    lite.dispose()
    with _blank("postgresql", tmp_path) as eng:
        migrate(eng)
        got = _scenario(eng, compiled)
    assert [v[:3] for v in got] == [v[:3] for v in expected]
    # One firm counted per statement here, so the counters agree too (PostgreSQL counts one
    # change per statement, SQLite one per row: a bulk statement may differ in value only).
    assert [v[3:] for v in got] == [v[3:] for v in expected]
    changes = [np.array([a != b for a, b in zip(s, s[1:], strict=False)]) for s in (got, expected)]
    assert (changes[0] == changes[1]).all()


def test_version_reads_only_the_counters(session: Session) -> None:
    # No scan of panel_resultados: an inconsistent counter shows through (the triggers are
    # the only thing that keeps it right).
    session.execute(
        text(
            "INSERT INTO panel_versiones (questionnaire_id, depth, questionnaire_hash, "
            "row_count, max_id, id_sum) VALUES ('x', 'completo', 'h', 7, 9, 30)"
        )
    )
    assert data_version(session, "x", "completo")[:3] == (7, 9, 30)


def test_bulk_loads_fire_the_triggers_once_per_statement_on_postgresql(engine: Engine) -> None:
    # storage.bulk writes with COPY on PostgreSQL: one statement, one trigger call (executemany
    # would run one statement, and rewrite the counter row, per firm); SQLite counts per row.
    rows = _firm_rows(5)
    for row in rows:
        del row["created_at"], row["is_demo"]  # filled with the columns' defaults
    with Session(engine) as session:
        before = data_version(session, "q", "completo")
        with engine.begin() as connection:
            ids = insert_firms(connection, rows)
        after = data_version(session, "q", "completo")
        assert after[3] - before[3] == (1 if engine.dialect.name == "postgresql" else 5)
        stored = session.execute(select(Firm.created_at, Firm.is_demo).where(Firm.id.in_(ids)))
        assert all(c.tzinfo is not None and demo is False for c, demo in stored)
