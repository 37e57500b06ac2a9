"""Issue 11: persisted column blocks of the panel rows (``storage.panel_blocks``).

Reading through blocks must give exactly what ``live_results.read_rows`` gives (rows, order,
dtypes, categories, counts), and a block must disappear as soon as any row in its range
changes, whatever writes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from types import SimpleNamespace

import numpy as np
import pytest
from alembic import command
from sqlalchemy import Engine, delete, func, insert, inspect, select, update
from sqlalchemy.orm import Session

from scoring.panel_cube import PanelCube
from storage import panel_blocks, panel_snapshots
from storage.db import alembic_config
from storage.live_results import LiveResults, Read, counted_firm_ids, read_rows, vector_names
from storage.models import Assessment, Firm, PanelBlock, PanelLayout, PanelRow
from storage.results_table import data_version

QUESTIONNAIRES = {  # (questionnaire id, depth, hash): {vector format: columns}
    ("brujula", "completo", "sha256:uno"): {
        1: ["global", "nivel", "dim_a", "preg_p1", "preg_p2"],
        2: ["global", "nivel", "dim_a", "idx_i1", "preg_p1", "preg_p2", "preg_p3", "ind_x"],
    },
    ("brujula", "completo", "sha256:dos"): {2: ["global", "nivel", "dim_b", "preg_q1"]},
    ("brujula", "expres", "sha256:uno"): {2: ["global", "nivel", "dim_a"]},
}
NO_LAYOUT = 7  # a vector format without a recorded layout: profile columns only
SIZES = ["micro", "pequena", "mediana", "grande"]
REGIONS = ["Lima Metropolitana", "Arequipa", "Cusco", "Piura", "Loreto"]
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
CODES = [-4, -3, -2, -1, 0, 1, 2, 3, 4]
SCORES = [-1, 0, 2, 3.5, 71.25, 100, np.nan]


class Data:
    """Random firms and panel rows of several questionnaires, hashes and vector formats."""

    def __init__(self, session: Session, seed: int = 1) -> None:
        self.session = session
        self.rng = np.random.default_rng(seed)
        self.next_id = 1
        for (_, depth, content_hash), formats in QUESTIONNAIRES.items():
            for vector_format, columns in formats.items():
                session.add(
                    PanelLayout(
                        questionnaire_hash=content_hash,
                        depth=depth,
                        vector_format=vector_format,
                        columns=columns,
                    )
                )
        self.firms = self._firms(60)
        session.commit()

    def _firms(self, count: int) -> list[int]:
        rng = self.rng
        rows = []
        first = (self.session.scalar(select(func.max(Firm.id))) or 0) + 1
        for i in range(first, first + count):
            kind = rng.choice(["counted", "demo", "private", "unverified"], p=[0.6, 0.1, 0.2, 0.1])
            rows.append(
                {
                    "id": i,
                    "ruc": f"20{i:09d}",
                    "razon_social": f"Empresa {i}",
                    "ciiu_division": int(rng.integers(10, 33)),
                    "region": str(rng.choice(REGIONS)),
                    "annual_sales": 1000,
                    "sales_year": 2025,
                    "size_class": str(rng.choice(SIZES)),
                    "workers": 10,
                    "email": f"e{i}@e.pe",
                    "consent_share_sni": True,
                    "consent_statistics": kind != "private",
                    "is_demo": kind == "demo",
                    "created_at": T0,
                    "verified_at": None if kind in ("demo", "unverified") else T0,
                }
            )
        self.session.execute(insert(Firm), rows)
        return [r["id"] for r in rows]

    def add(
        self, count: int, key: tuple[str, str, str] | None = None, ids=None, vector_format=None
    ) -> list[int]:
        """``count`` submitted assessments with panel rows (random key and format unless
        given)."""
        rng = self.rng
        keys = list(QUESTIONNAIRES)
        if ids is None:
            ids = list(range(self.next_id, self.next_id + count))
            self.next_id += count
        assessments, panel = [], []
        for ident in ids:
            qid, depth, content_hash = key or keys[int(rng.integers(len(keys)))]
            firm = int(rng.choice(self.firms))
            formats = [*QUESTIONNAIRES[(qid, depth, content_hash)], NO_LAYOUT]
            vector_format = vector_format or int(rng.choice(formats))
            layout = QUESTIONNAIRES[(qid, depth, content_hash)].get(vector_format, [])
            vector = [self._value(name) for name in layout]
            when = T0 + dt.timedelta(seconds=float(rng.uniform(0, 3e7)))
            assessments.append(
                {
                    "id": ident,
                    "firm_id": firm,
                    "questionnaire_id": qid,
                    "questionnaire_version": "2.0.0",
                    "questionnaire_hash": content_hash,
                    "depth": depth,
                    "status": "enviada",
                    "created_at": when,
                    "updated_at": when,
                    "submitted_at": when,
                    "is_demo": False,
                }
            )
            profile = self.session.get_one(Firm, firm)
            panel.append(
                {
                    "assessment_id": ident,
                    "firm_id": firm,
                    "questionnaire_id": qid,
                    "questionnaire_version": "2.0.0",
                    "questionnaire_hash": content_hash,
                    "depth": depth,
                    "submitted_at": when,
                    "is_demo": profile.is_demo,
                    "ciiu_division": profile.ciiu_division,
                    "size_class": str(rng.choice(SIZES)),  # the profile at submission
                    "region": profile.region,
                    "vector_format": vector_format,
                    "vector": np.asarray(vector, dtype=np.float32).tobytes(),
                }
            )
        if assessments:
            self.session.execute(insert(Assessment), assessments)
            self.session.execute(insert(PanelRow), panel)
        self.session.commit()
        return list(ids)

    def _value(self, name: str) -> float:
        """Codes and levels, a few distinct scores, a few hundred and all distinct (stored
        as one byte, two bytes or float32 in a block)."""
        if name.startswith(("preg_", "nivel")):
            return float(self.rng.choice(CODES))
        if name == "global":
            return float(self.rng.integers(0, 400)) / 4
        if name.startswith("ind_"):
            return float(self.rng.uniform(0, 1e6))
        return float(self.rng.choice(SCORES))

    def skip(self, count: int) -> None:
        """Leave ids unused (assessments of other questionnaires, deleted drafts...)."""
        self.next_id += count


def _assert_same(mine: Read, expected: Read) -> None:
    assert (mine.scanned, mine.id_sum, mine.last_id) == (
        expected.scanned,
        expected.id_sum,
        expected.last_id,
    )
    assert mine.rows.columns == expected.rows.columns
    assert list(mine.rows.meta) == list(expected.rows.meta)
    for name, values in expected.rows.meta.items():
        assert mine.rows.meta[name].dtype == values.dtype, name
        np.testing.assert_array_equal(mine.rows.meta[name], values, err_msg=name)
    assert mine.rows.categories == expected.rows.categories
    assert mine.rows.matrix.dtype == np.float32
    assert mine.rows.matrix.shape == expected.rows.matrix.shape
    np.testing.assert_array_equal(mine.rows.matrix, expected.rows.matrix)
    assert all(mine.rows.matrix[:, j].flags.c_contiguous for j in range(mine.rows.matrix.shape[1]))


def _firm_sets(session: Session) -> Iterator[np.ndarray | None]:
    yield None
    yield counted_firm_ids(session, demo=True)
    yield counted_firm_ids(session, demo=False)
    yield np.empty(0, np.int64)


def _check(session: Session, key=None, firm_sets=None) -> None:
    """``read_counted`` equals ``read_rows`` for every key, firm set and a few column lists."""
    for qid, depth, content_hash in [key] if key else QUESTIONNAIRES:
        full = vector_names(session, content_hash, depth)
        column_lists = [full, full[::-1], ["preg_p2", "no_existe", "global"], []]
        for firms in firm_sets or _firm_sets(session):
            for columns in column_lists:
                args = (session, qid, depth, content_hash, columns)
                expected = read_rows(*args, firms=firms)
                mine = panel_blocks.read_counted(*args, firms=firms, compact_rows=None)
                _assert_same(mine, expected)


def _blocks(session: Session) -> list[tuple[str, int, int, int]]:
    query = select(
        PanelBlock.questionnaire_hash, PanelBlock.first_id, PanelBlock.last_id, PanelBlock.rows
    ).order_by(PanelBlock.questionnaire_hash, PanelBlock.depth, PanelBlock.first_id)
    return [tuple(row) for row in session.execute(query)]


def _blocks_of(session: Session, key: tuple[str, str, str]) -> list[tuple[str, int, int, int]]:
    query = (
        select(
            PanelBlock.questionnaire_hash, PanelBlock.first_id, PanelBlock.last_id, PanelBlock.rows
        )
        .where(
            PanelBlock.questionnaire_id == key[0],
            PanelBlock.depth == key[1],
            PanelBlock.questionnaire_hash == key[2],
        )
        .order_by(PanelBlock.first_id)
    )
    return [tuple(row) for row in session.execute(query)]


@pytest.fixture
def row_by_row(monkeypatch) -> list[int]:
    """Rows ``read_counted`` read row by row (not from blocks), one entry per call."""
    scanned: list[int] = []

    def spy(*args, **kwargs):
        read = read_rows(*args, **kwargs)
        scanned.append(read.scanned)
        return read

    monkeypatch.setattr(panel_blocks, "read_rows", spy)
    return scanned


KEY = ("brujula", "completo", "sha256:uno")


def test_blocks_read_exactly_what_read_rows_reads(session: Session, row_by_row) -> None:
    data = Data(session)
    data.add(900)
    data.skip(37)
    data.add(700)
    _check(session)  # no blocks yet: read_rows itself
    done = panel_blocks.compact(session, *KEY, block_rows=150)
    assert done.blocks >= 3 and done.rows >= 450
    for key in QUESTIONNAIRES:
        panel_blocks.compact(session, *key, block_rows=150)
    blocks = _blocks(session)
    assert {h for h, *_ in blocks} == {"sha256:uno", "sha256:dos"}
    dtypes = [t for types in session.scalars(select(PanelBlock.dtypes)) for t in types]
    assert {t.split("/")[0] for t in dtypes} == {"u1"}  # blocks of 150 rows
    assert all(rows >= 150 for *_, rows in blocks)
    _check(session)
    data.add(120)  # new rows past the last block: read row by row
    row_by_row.clear()
    columns = vector_names(session, KEY[2], KEY[1])
    read = panel_blocks.read_counted(session, *KEY, columns, compact_rows=None)
    in_blocks = sum(r for h, _, _, r in _blocks(session) if h == KEY[2])  # both depths
    in_blocks -= sum(r for h, _, _, r in _blocks_of(session, ("brujula", "expres", KEY[2])))
    assert 0 < sum(row_by_row) == read.scanned - in_blocks < in_blocks
    _check(session)


def test_columns_are_encoded_exactly_in_the_fewest_bytes() -> None:
    rng = np.random.default_rng(0)
    odd = np.array([0x7FC00001, 0xFFC00000], dtype=np.uint32).view(np.float32)  # NaN payloads
    cases = {
        "u1": np.array([0, 1, -1, 127, 4, np.nan, -0.0, 0.0, 3.5, *odd], dtype=np.float32),
        "u2": rng.integers(0, 1000, 5000).astype(np.float32) / 8,
        "f4": rng.uniform(-1e6, 1e6, 3000).astype(np.float32),
    }
    for kind, column in cases.items():
        spec, raw = panel_blocks._encode(column)
        assert spec.split("/")[0] == kind
        block = SimpleNamespace(
            id=1, rows=len(column), dtypes=[spec], columns=["x"], compression=""
        )
        fake = SimpleNamespace()  # _fetch reads nothing else
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(panel_blocks, "_fetch", lambda *_a, raw=raw: [(raw,)])
            [(values, dictionary)] = panel_blocks._block_columns(fake, block)
        decoded = values if dictionary is None else dictionary[values]
        assert decoded.dtype == np.float32
        assert decoded.tobytes() == column.tobytes(), kind  # bit for bit
    assert len(panel_blocks._encode(cases["u1"])[1]) == 11 + 4 * 10  # -0.0, two NaNs apart
    assert len(panel_blocks._encode(cases["u2"])[1]) < 2 * 5000 + 4 * 1000


def test_blocks_partition_the_ids_and_compaction_is_idempotent(session: Session) -> None:
    data = Data(session, seed=2)
    data.add(1000)
    first = panel_blocks.compact(session, *KEY, block_rows=100)
    before = _blocks(session)
    ranges = [(f, last) for h, f, last, _ in before if h == KEY[2]]
    assert ranges[0][0] == 1
    assert all(b[0] == a[1] + 1 for a, b in zip(ranges, ranges[1:], strict=False))
    total = session.scalar(
        select(func.count()).where(
            PanelRow.questionnaire_id == KEY[0],
            PanelRow.depth == KEY[1],
            PanelRow.questionnaire_hash == KEY[2],
        )
    )
    # Fewer than block_rows rows past the last block stay uncovered.
    assert total - 100 < first.rows <= total and first.rows % 100 == 0
    again = panel_blocks.compact(session, *KEY, block_rows=100)
    assert (again.blocks, again.rows, again.dropped) == (0, 0, 0)
    assert _blocks(session) == before


def test_deleting_a_firm_drops_the_blocks_holding_its_rows(session: Session) -> None:
    data = Data(session, seed=3)
    data.add(1200)
    for key in QUESTIONNAIRES:
        panel_blocks.compact(session, *key, block_rows=80)
    before = _blocks(session)
    firm = int(
        session.scalar(
            select(PanelRow.firm_id)
            .where(PanelRow.questionnaire_hash == KEY[2], PanelRow.depth == KEY[1])
            .order_by(PanelRow.assessment_id)
            .limit(1)
        )
    )
    rows = session.execute(
        select(PanelRow.questionnaire_hash, PanelRow.depth, PanelRow.assessment_id).where(
            PanelRow.firm_id == firm
        )
    ).all()
    ranges = select(
        PanelBlock.questionnaire_hash, PanelBlock.depth, PanelBlock.first_id, PanelBlock.last_id
    )
    holding = {  # the blocks holding one of the firm's rows
        tuple(b)
        for b in session.execute(ranges)
        if any(h == b[0] and d == b[1] and b[2] <= i <= b[3] for h, d, i in rows)
    }
    assert holding
    session.execute(delete(Firm).where(Firm.id == firm))  # cascades to its panel rows
    session.commit()
    after = _blocks(session)
    assert len(after) == len(before) - len(holding)
    assert not holding & {tuple(b) for b in session.execute(ranges)}
    _check(session)
    for key in QUESTIONNAIRES:  # the holes are filled again
        panel_blocks.compact(session, *key, block_rows=80)
    assert len(_blocks(session)) >= len(before) - 1
    _check(session)


def test_any_write_in_a_block_range_drops_the_block(session: Session) -> None:
    data = Data(session, seed=4)
    data.skip(500)  # ids 1..500 left for late submissions
    data.add(600, key=KEY)
    panel_blocks.compact(session, *KEY, block_rows=100)
    blocks = _blocks(session)
    assert len(blocks) == 6 and blocks[0][1] == 1
    data.add(1, key=KEY, ids=[3])  # a draft started long ago, submitted now: id 3
    assert [b[1] for b in _blocks(session)] == [b[1] for b in blocks[1:]]
    _check(session, KEY)

    third = blocks[2]
    session.execute(  # an update of a row (the trigger looks at old and new values)
        update(PanelRow).where(PanelRow.assessment_id == third[1] + 1).values(is_demo=True)
    )
    session.commit()
    assert third not in _blocks(session)
    _check(session, KEY)

    other = ("brujula", "completo", "sha256:dos")
    data.add(300, key=other)
    panel_blocks.compact(session, *other, block_rows=100)
    assert any(b[0] == other[2] for b in _blocks(session))
    session.add(  # a new vector format of a version: its blocks go, the others stay
        PanelLayout(questionnaire_hash=KEY[2], depth=KEY[1], vector_format=3, columns=["x"])
    )
    session.commit()
    assert {b[0] for b in _blocks(session)} == {other[2]}
    _check(session)


def test_blocks_of_another_layout_are_ignored_and_rebuilt(session: Session) -> None:
    data = Data(session, seed=5)
    data.add(400, key=KEY)
    panel_blocks.compact(session, *KEY, block_rows=100)
    session.execute(update(PanelBlock).values(columns=["global"]))  # no trigger on blocks
    session.commit()
    _check(session, KEY)
    done = panel_blocks.compact(session, *KEY, block_rows=100)
    assert done.dropped == 4 and done.blocks == 4
    _check(session, KEY)
    first = dict(
        session.execute(select(PanelBlock.__table__).order_by(PanelBlock.first_id).limit(1))
        .mappings()
        .one()
    )
    del first["id"]
    first["first_id"] += 1  # overlapping the first block (two compactions that disagreed)
    session.execute(insert(PanelBlock), [first])
    session.commit()
    _check(session, KEY)
    done = panel_blocks.compact(session, *KEY, block_rows=100)
    assert (done.dropped, done.blocks) == (1, 0)
    assert len(_blocks(session)) == 4


def test_recent_drafts_hold_compaction_back(session: Session) -> None:
    data = Data(session, seed=6)
    data.add(300, key=KEY)
    draft_id = data.next_id
    session.execute(
        insert(Assessment),
        [
            {
                "id": draft_id,
                "firm_id": data.firms[0],
                "questionnaire_id": KEY[0],
                "questionnaire_version": "2.0.0",
                "questionnaire_hash": KEY[2],
                "depth": KEY[1],
                "status": "borrador",
                "created_at": T0,
                "updated_at": dt.datetime.now(dt.UTC),
            }
        ],
    )
    data.skip(1)
    data.add(300, key=KEY)
    done = panel_blocks.compact(session, *KEY, block_rows=100)
    assert done.rows == 300 and max(b[2] for b in _blocks(session)) < draft_id
    later = dt.datetime.now(dt.UTC) + panel_blocks.DRAFT_HORIZON + dt.timedelta(days=1)
    done = panel_blocks.compact(session, *KEY, block_rows=100, now=later)  # abandoned draft
    assert done.rows == 300
    _check(session, KEY)


def test_a_large_row_by_row_read_compacts_in_the_background(session: Session) -> None:
    data = Data(session, seed=7)
    data.add(500, key=KEY)
    columns = vector_names(session, KEY[2], KEY[1])
    firms = counted_firm_ids(session)
    first = panel_blocks.read_counted(session, *KEY, columns, firms=firms, compact_rows=200)
    panel_blocks.wait_for_compaction(60)
    session.commit()
    assert [b[3] for b in _blocks(session)] == [200, 200]
    again = panel_blocks.read_counted(session, *KEY, columns, firms=firms, compact_rows=200)
    _assert_same(again, first)
    assert panel_blocks.compact_in_background(session.get_bind(), KEY, 200) is not None
    panel_blocks.wait_for_compaction(60)
    assert len(_blocks(session)) == 2  # 100 rows left: below compact_rows


def test_compressed_and_two_byte_columns_read_the_same(session: Session) -> None:
    data = Data(session, seed=8)
    data.add(400, key=KEY)
    panel_blocks.compact(session, *KEY, block_rows=100, compression="zlib")
    assert session.scalars(select(PanelBlock.compression)).all() == ["zlib"] * 4
    _check(session, KEY)
    session.execute(delete(PanelBlock))
    session.commit()
    data.add(1600, key=KEY, vector_format=2)
    panel_blocks.compact(session, *KEY, block_rows=1000)
    *_, dtypes = session.scalars(select(PanelBlock.dtypes).order_by(PanelBlock.first_id))
    kinds = dict(zip(vector_names(session, KEY[2], KEY[1]), dtypes, strict=True))
    assert kinds["global"].startswith("u2/")  # 400 distinct values in 1 000 rows
    assert kinds["ind_x"] == "f4"  # all distinct
    assert kinds["preg_p1"].startswith("u1/")
    _check(session, KEY)


def _triggers(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        else:
            query = (
                "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace"
            )
        names = set(connection.exec_driver_sql(query).scalars())
    return {n for n in names if n.startswith("panel_bloques")}


def test_migration_0010_upgrade_and_downgrade(engine: Engine) -> None:
    expected = (
        set(panel_blocks.SQLITE_TRIGGERS)
        if engine.dialect.name == "sqlite"
        else {name for name, _ in panel_blocks.POSTGRES_TRIGGERS}
    )
    assert _triggers(engine) == expected
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0009")
    engine.dispose()
    assert not inspect(engine).has_table("panel_bloques")
    assert _triggers(engine) == set()
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()
    assert inspect(engine).has_table("panel_bloques")
    assert _triggers(engine) == expected
    with Session(engine) as session:
        Data(session, seed=9).add(200, key=KEY)
        panel_blocks.compact(session, *KEY, block_rows=50)
        assert len(_blocks(session)) == 4
        session.execute(delete(PanelRow).where(PanelRow.assessment_id == 60))
        session.commit()
        assert [b[1] for b in _blocks(session)] == [1, 101, 151]


def test_cli_compacts_every_stored_version(engine: Engine, capsys) -> None:
    from storage import __main__ as cli

    with Session(engine) as session:
        data = Data(session, seed=10)
        data.add(300)
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["compactar-panel", "--url", url, "--filas", "50"]) == 0
    out = capsys.readouterr().out
    assert "bloques nuevos con" in out and "quedan" in out
    assert out.count("cubo del panel guardado") == len(QUESTIONNAIRES)
    with Session(engine) as session:
        assert sum(r for *_, r in _blocks(session)) >= 300 - 3 * 50
        _check(session, firm_sets=[counted_firm_ids(session)])
        for key in QUESTIONNAIRES:  # the next fresh process shows the panel from it
            saved = panel_snapshots.load(session, key, data_version(session, *key))
            assert saved is not None
            assert PanelCube.from_snapshot(*saved).assessments == len(
                LiveResults(*key).refresh(session).rows
            )
    assert cli.main(["compactar-panel", "--url", url, "--filas", "50"]) == 0
    assert "0 bloques nuevos con 0 filas" in capsys.readouterr().out
    assert cli.main(["compactar-panel", "--url", url, "--filas", "0"]) == 1
    assert "al menos 1 fila" in capsys.readouterr().err


def test_create_all_installs_the_same_triggers(tmp_path) -> None:
    from storage.db import make_engine
    from storage.models import Base

    engine = make_engine(f"sqlite:///{tmp_path / 'sin_migraciones.sqlite3'}")
    Base.metadata.create_all(engine)
    assert _triggers(engine) == set(panel_blocks.SQLITE_TRIGGERS)
    Base.metadata.drop_all(engine)
    assert _triggers(engine) == set()
    engine.dispose()
