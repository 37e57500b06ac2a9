"""Plan follow-up storage: create and update by question, «hecho» stamps, audit, firm isolation
(SQLite and, with TEST_DATABASE_URL, PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.assessments import QuestionnaireMeta, start_assessment
from storage.models import AuditLog, PlanItem
from storage.plan_tracking import AUDIT_ACTION, follow_ups, save_follow_up
from tests.storage.storage_testdata import make_firm

META = QuestionnaireMeta("circular_manufactura", "1.0.0", "sha256:abc")


def _save(session, firm_id, assessment_id, status="pendiente", owner=None, target=None, qid="q1"):
    return save_follow_up(
        session, firm_id, None, assessment_id, qid, "Medir el agua", owner, target, status
    )


def test_follow_up_is_created_updated_and_audited(session: Session) -> None:
    firm = make_firm(session)
    first = start_assessment(session, firm.id, META, "completo")
    second = start_assessment(session, firm.id, META, "expres")
    saved = _save(session, firm.id, first.id, "en_curso", "  Ana  Pérez ", dt.date(2027, 3, 15))
    assert (saved.owner, saved.status, saved.done_at) == ("Ana Pérez", "en_curso", None)
    done = _save(session, firm.id, second.id, "hecho", "Ana Pérez", dt.date(2027, 3, 15))
    assert done.status == "hecho" and done.done_at is not None
    # The assessment that first proposed the action stays recorded.
    assert done.assessment_id == first.id
    again = _save(session, firm.id, second.id, "hecho", "Luis", None)
    assert again.done_at == done.done_at and again.owner == "Luis" and again.target_date is None
    reopened = _save(session, firm.id, second.id, "en_curso")
    assert reopened.done_at is None and reopened.owner is None
    session.commit()
    assert session.scalar(select(PlanItem).where(PlanItem.firm_id == firm.id)) is not None
    assert list(follow_ups(session, firm.id)) == ["q1"]
    entries = session.scalars(
        select(AuditLog).where(AuditLog.action == AUDIT_ACTION).order_by(AuditLog.id)
    ).all()
    assert len(entries) == 4
    assert entries[0].detail["antes"] is None
    assert entries[0].detail["despues"] == {
        "responsable": "Ana Pérez",
        "fecha_meta": "2027-03-15",
        "estado": "en_curso",
    }
    assert entries[-1].detail["antes"]["estado"] == "hecho"
    assert entries[-1].detail["despues"]["estado"] == "en_curso"


def test_a_firm_sees_and_writes_only_its_own_follow_ups(session: Session) -> None:
    firm_a = make_firm(session, "2010007097")
    firm_b = make_firm(session, "2060000000")
    mine = start_assessment(session, firm_a.id, META, "completo")
    _save(session, firm_a.id, mine.id, "hecho")
    session.commit()
    assert follow_ups(session, firm_b.id) == {}
    with pytest.raises(LookupError):
        _save(session, firm_b.id, mine.id, "hecho")  # firm B cannot use firm A's assessment
    assert follow_ups(session, firm_a.id)["q1"].status == "hecho"


def test_bad_status_or_owner_is_refused_before_writing(session: Session) -> None:
    firm = make_firm(session)
    assessment = start_assessment(session, firm.id, META, "completo")
    with pytest.raises(ValueError, match="Estado desconocido"):
        _save(session, firm.id, assessment.id, "terminado")
    with pytest.raises(ValueError, match="a lo más 120"):
        _save(session, firm.id, assessment.id, "hecho", "x" * 121)
    assert follow_ups(session, firm.id) == {}
