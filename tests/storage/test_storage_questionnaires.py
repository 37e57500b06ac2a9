"""Archive of questionnaire versions: every version an assessment started with stays readable."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, false, select
from sqlalchemy.orm import Session

from reports.sample import sample_answers
from scoring import compile_questionnaire, load_questionnaire, parse_questionnaire
from scoring.answers import encode_frame, records_to_frame
from scoring.engine import score_batch
from storage import questionnaires
from storage.assessments import start_assessment
from storage.bulk import ScoredBatch, insert_firms, insert_scored
from storage.demo import create_demo
from storage.models import ArchivedQuestionnaire, Assessment
from storage.questionnaires import archive, source_for_hash
from tests.storage.storage_testdata import make_firm

MINI = Path(__file__).resolve().parents[1] / "scoring" / "fixtures" / "mini.yaml"


def _mini():
    return load_questionnaire(MINI)


def _changed():
    """The mini questionnaire with one question's text edited: a new version and hash."""
    text = MINI.read_text(encoding="utf-8")
    changed = text.replace('version: "1.0"', 'version: "1.1"', 1).replace(
        "¿Tiene estrategia?", "¿Tiene una estrategia escrita?", 1
    )
    assert changed != text
    return parse_questionnaire(changed, "mini-1.1.yaml")


def test_archive_keeps_the_yaml_by_hash_once(session: Session) -> None:
    loaded = _mini()
    assert source_for_hash(session, loaded.content_hash) is None
    assert archive(session, loaded) is True
    session.commit()
    assert archive(session, loaded) is False  # idempotent
    session.commit()
    source = source_for_hash(session, loaded.content_hash)
    assert source == MINI.read_text(encoding="utf-8")  # the text as written, comments and all
    assert parse_questionnaire(source).content_hash == loaded.content_hash
    row = session.get(ArchivedQuestionnaire, loaded.content_hash)
    assert row is not None and (row.questionnaire_id, row.version) == ("mini", "1.0")
    assert row.created_at.tzinfo is not None
    assert len(list(session.scalars(select(ArchivedQuestionnaire)))) == 1
    assert source_for_hash(session, "0" * 64) is None


def test_each_version_is_kept(session: Session) -> None:
    old, new = _mini(), _changed()
    assert old.content_hash != new.content_hash
    archive(session, old)
    archive(session, new)
    session.commit()
    assert "¿Tiene estrategia?" in (source_for_hash(session, old.content_hash) or "")
    assert "estrategia escrita" in (source_for_hash(session, new.content_hash) or "")
    query = select(ArchivedQuestionnaire.version, ArchivedQuestionnaire.questionnaire_id)
    versions = {version: qid for version, qid in session.execute(query)}
    assert versions == {"1.0": "mini", "1.1": "mini"}


def test_a_concurrent_archive_of_the_same_version_is_skipped(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two sessions may both see the version missing; the second insert must not fail."""
    loaded = _mini()
    archive(session, loaded)
    session.commit()
    never_found = select(ArchivedQuestionnaire.source_yaml).where(false())
    monkeypatch.setattr(questionnaires, "_SOURCE", never_found)
    assert archive(session, loaded) is False
    session.commit()
    assert len(list(session.scalars(select(ArchivedQuestionnaire)))) == 1


def test_archive_refuses_an_empty_text(session: Session) -> None:
    with pytest.raises(ValueError):
        archive(session, dataclasses.replace(_mini(), source="  \n"))


def test_starting_an_assessment_archives_its_version_in_the_same_transaction(
    session: Session,
) -> None:
    firm = make_firm(session)
    loaded = _mini()
    assessment = start_assessment(session, firm.id, loaded, "expres")
    assert (assessment.questionnaire_id, assessment.questionnaire_version) == ("mini", "1.0")
    assert assessment.questionnaire_hash == loaded.content_hash
    session.rollback()  # nothing half-done: neither the draft nor the archive row
    assert source_for_hash(session, loaded.content_hash) is None
    assert session.scalar(select(Assessment.id)) is None
    start_assessment(session, firm.id, loaded, "expres")
    start_assessment(session, firm.id, loaded, "completo")  # same version: archived once
    session.commit()
    assert source_for_hash(session, loaded.content_hash) == loaded.source


def test_demo_data_and_bulk_loads_archive_their_version(engine: Engine) -> None:
    loaded = _mini()
    compiled = {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}
    with Session(engine) as session:
        create_demo(session, compiled, firms=2, seed=1)
        session.commit()
        assert source_for_hash(session, loaded.content_hash) == loaded.source

    changed = _changed()
    bulk = compile_questionnaire(changed, "completo")
    records = [(f"r{seed}", *sample_answers(bulk, seed=seed)) for seed in range(2)]
    encoded, _, _ = encode_frame(bulk, records_to_frame(records), strict_rows=False)
    firm = {
        "ruc": "20000000010",
        "razon_social": "Empresa masiva",
        "ciiu_division": 10,
        "region": "Piura",
        "annual_sales": 1000,
        "sales_year": 2025,
        "size_class": "micro",
        "workers": 3,
        "email": "masiva@ejemplo.pe",
        "consent_share_sni": True,
        "consent_statistics": True,
        "is_demo": False,
        "created_at": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
    }
    when = [dt.datetime(2025, 1, 1, tzinfo=dt.UTC)] * 2
    with engine.begin() as connection:
        [firm_id] = insert_firms(connection, [firm])
        batch = ScoredBatch(bulk, score_batch(bulk, encoded), encoded.practice, [firm_id] * 2, when)
        insert_scored(connection, batch)
    with engine.connect() as connection:
        assert source_for_hash(connection, changed.content_hash) == changed.source
