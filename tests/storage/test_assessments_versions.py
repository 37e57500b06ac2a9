"""The version of an assessment's answers (``updated_at``), which lets the form keep a copy of
them between reruns, and the one-query snapshot it reads them with (issue 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import storage.assessments as assessments
from storage.assessments import (
    QuestionnaireMeta,
    answer_snapshot,
    assessment_row,
    confirm_carried,
    save_answers,
    start_assessment,
)
from storage.db import session_scope
from tests.storage.storage_testdata import make_firm

META = QuestionnaireMeta("circular_manufactura", "1.0.0", "sha256:abc")


def _draft(session: Session) -> tuple[int, int]:
    firm = make_firm(session)
    assessment = start_assessment(session, firm.id, META, "completo")
    session.commit()
    return assessment.id, firm.id


def _version(session: Session, aid: int, firm_id: int):
    with session.get_bind().connect() as connection:
        return assessment_row(connection, aid, firm_id)["updated_at"]


def test_the_snapshot_holds_answers_sources_comments_and_carried_marks(session: Session) -> None:
    aid, firm_id = _draft(session)
    save_answers(session, aid, firm_id, {"p1": 2, "agua": 10.5}, {"agua": "medido"}, carried=True)
    save_answers(session, aid, firm_id, {"p2": "no_aplica"}, comments={"p2": "Sin calderas"})
    session.commit()
    with session.get_bind().connect() as connection:
        snapshot = answer_snapshot(connection, aid)
        row = assessment_row(connection, aid, firm_id)
        assert assessment_row(connection, aid, firm_id + 1) is None  # another firm's: nothing
    assert snapshot.answers == {"p1": 2, "agua": 10.5, "p2": "no_aplica"}
    assert snapshot.sources == {"agua": "medido"}
    assert snapshot.comments == {"p2": "Sin calderas"}
    assert snapshot.carried == {"p1", "agua"}
    assert row["updated_at"].tzinfo is not None


def test_every_write_of_answers_changes_the_version(session: Session) -> None:
    aid, firm_id = _draft(session)
    first = _version(session, aid, firm_id)
    saved = save_answers(session, aid, firm_id, {"p1": 1}, carried=True)
    session.commit()
    assert saved.before == first and saved.after == _version(session, aid, firm_id)
    assert saved.after != first
    # Moving on without answering anything still writes the section: a new version too.
    again = save_answers(session, aid, firm_id, {}, current_section="social")
    session.commit()
    assert again.before == saved.after and again.after == _version(session, aid, firm_id)
    confirm_carried(session, aid, firm_id, ["p1"])
    session.commit()
    assert _version(session, aid, firm_id) != again.after


def test_a_write_by_someone_else_after_the_read_leaves_the_version_before_unknown(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reads the assessment outside the write transaction: another tab may save in
    between. The save must then not claim that it started from the version it read."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL locks the row when it is read (FOR UPDATE): no such gap")
    aid, firm_id = _draft(session)
    session.close()
    real_now = assessments.utcnow
    calls = []

    def other_tab_saves_first():
        if not calls:  # the first call comes right after the assessment was read
            calls.append(1)
            with session_scope(engine) as other:
                save_answers(other, aid, firm_id, {"p2": 3})
        return real_now()

    monkeypatch.setattr(assessments, "utcnow", other_tab_saves_first)
    with session_scope(engine) as database:
        saved = save_answers(database, aid, firm_id, {"p1": 1})
    assert calls and saved.before is None
    with engine.connect() as connection:
        assert assessment_row(connection, aid, firm_id)["updated_at"] == saved.after
        assert answer_snapshot(connection, aid).answers == {"p1": 1, "p2": 3}
