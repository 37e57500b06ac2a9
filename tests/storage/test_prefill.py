"""Issue 10: who answered, answers carried over and confirmed, what changed since last time."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.assessments import (
    AssessmentLocked,
    QuestionnaireMeta,
    answer_authors,
    answer_changes,
    carried_questions,
    confirm_carried,
    earlier_answers,
    registry_figures,
    save_answers,
    start_assessment,
    submit,
)
from storage.models import Account, Answer
from tests.storage.storage_testdata import make_firm

META = QuestionnaireMeta("mini", "1.0", "sha256:abc")


def _account(session: Session, firm_id: int | None, name: str, login: str) -> Account:
    account = Account(
        kind="empresa",
        login=login,
        password_hash="x",
        firm_id=firm_id,
        display_name=name,
        role="colaborador",
    )
    session.add(account)
    session.flush()
    return account


def _row(session: Session, assessment_id: int, question_id: str) -> Answer:
    return session.scalars(
        select(Answer).where(
            Answer.assessment_id == assessment_id, Answer.question_id == question_id
        )
    ).one()


def _submitted(session: Session, firm_id: int, answers: dict[str, object]) -> int:
    assessment = start_assessment(session, firm_id, META, "expres")
    save_answers(session, assessment.id, firm_id, answers)
    submit(session, assessment.id, firm_id, {"coverage": 1.0})
    session.commit()
    return assessment.id


def test_save_records_who_answered_and_clears_carried_over(session: Session) -> None:
    firm = make_firm(session)
    member = _account(session, firm.id, "Rosa Quispe", "rosa@plasticos.pe")
    assessment = start_assessment(session, firm.id, META, "completo")
    save_answers(session, assessment.id, firm.id, {"e1": 2, "e2": 3}, carried=True)
    session.commit()
    assert carried_questions(session, assessment.id, firm.id) == {"e1", "e2"}
    assert _row(session, assessment.id, "e1").answered_by is None
    # Changing an answer confirms it and records who did.
    save_answers(session, assessment.id, firm.id, {"e1": 4}, answered_by=member.id)
    session.commit()
    assert carried_questions(session, assessment.id, firm.id) == {"e2"}
    assert _row(session, assessment.id, "e1").answered_by == member.id
    # «Confirmar»: the carried answer stays, no longer marked, confirmed by that account.
    assert confirm_carried(session, assessment.id, firm.id, ["e2", "e1"], member.id) == 1
    session.commit()
    assert carried_questions(session, assessment.id, firm.id) == set()
    row = _row(session, assessment.id, "e2")
    assert (row.value, row.answered_by, row.carried_over) == (3, member.id, False)


def test_confirming_is_scoped_to_the_firm_and_to_drafts(session: Session) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000001", email="otra@empresa.pe")
    assessment = start_assessment(session, firm.id, META, "expres")
    save_answers(session, assessment.id, firm.id, {"e1": 2}, carried=True)
    session.commit()
    assert carried_questions(session, assessment.id, other.id) == set()
    try:
        confirm_carried(session, assessment.id, other.id, ["e1"])
    except LookupError:
        pass
    else:
        raise AssertionError("another firm confirmed an answer")
    assert carried_questions(session, assessment.id, firm.id) == {"e1"}
    submit(session, assessment.id, firm.id, {"coverage": 1.0})
    session.commit()
    try:
        confirm_carried(session, assessment.id, firm.id, ["e1"])
    except AssessmentLocked:
        pass
    else:
        raise AssertionError("a submitted assessment changed")


def test_earlier_answers_is_the_latest_with_common_questions(session: Session) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000001", email="otra@empresa.pe")
    first = _submitted(session, firm.id, {"e1": 1, "usa_agua": "si"})
    second = start_assessment(session, firm.id, META, "completo")
    save_answers(session, second.id, firm.id, {"e2": 3}, comments={"e2": "Taller propio"})
    _submitted(session, other.id, {"e1": 4})  # another firm's, newer: never used
    session.commit()
    latest = earlier_answers(session, firm.id, {"e1", "e2"})
    assert latest is not None and latest.assessment_id == second.id
    assert latest.answers == {"e2": 3} and latest.comments == {"e2": "Taller propio"}
    # Only assessments that answered one of the questions asked about.
    only_e1 = earlier_answers(session, firm.id, {"e1"})
    assert only_e1 is not None and only_e1.assessment_id == first
    assert only_e1.answers == {"e1": 1, "usa_agua": "si"}
    # Started before a given assessment.
    before = earlier_answers(session, firm.id, {"e1", "e2"}, before_id=second.id)
    assert before is not None and before.assessment_id == first
    assert earlier_answers(session, firm.id, {"e1"}, before_id=first) is None
    assert earlier_answers(session, firm.id, {"x9"}) is None


def test_answer_changes_since_the_previous_submitted_assessment(session: Session) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000001", email="otra@empresa.pe")
    first = _submitted(session, firm.id, {"e1": 1, "usa_agua": "si", "a1": 2})
    assert answer_changes(session, firm.id, first) is None  # nothing before it
    _submitted(session, other.id, {"e1": 4, "usa_agua": "no"})
    second = _submitted(session, firm.id, {"e1": 3, "usa_agua": "si", "e2": 2})
    found = answer_changes(session, firm.id, second)
    assert found is not None
    previous, changes = found
    assert previous.assessment_id == first
    assert [(c.question_id, c.before, c.after) for c in changes] == [
        ("a1", 2, None),
        ("e1", 1, 3),
        ("e2", None, 2),
    ]
    # A draft compares with the latest submitted one, never with another draft.
    other_draft = start_assessment(session, firm.id, META, "completo")
    save_answers(session, other_draft.id, firm.id, {"e1": 0})
    draft = start_assessment(session, firm.id, META, "expres")
    save_answers(session, draft.id, firm.id, {"e1": 3, "usa_agua": "no"})
    session.commit()
    previous, changes = answer_changes(session, firm.id, draft.id)  # type: ignore[misc]
    assert previous.assessment_id == second
    assert [(c.question_id, c.before, c.after) for c in changes] == [
        ("e2", 2, None),
        ("usa_agua", "si", "no"),
    ]
    # Never another firm's assessment.
    assert answer_changes(session, other.id, second) is None


def test_authors_only_with_several_members_and_never_another_firms(session: Session) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000001", email="otra@empresa.pe")
    owner = session.scalars(select(Account).where(Account.firm_id == firm.id)).one()
    stranger = session.scalars(select(Account).where(Account.firm_id == other.id)).one()
    assessment = start_assessment(session, firm.id, META, "expres")
    save_answers(session, assessment.id, firm.id, {"e1": 2}, answered_by=owner.id)
    save_answers(session, assessment.id, firm.id, {"usa_agua": "si"}, answered_by=stranger.id)
    session.commit()
    assert answer_authors(session, assessment.id, firm.id) == {}  # one member: no names
    member = _account(session, firm.id, "Rosa Quispe", "rosa@plasticos.pe")
    save_answers(session, assessment.id, firm.id, {"a1": 3}, answered_by=member.id)
    session.commit()
    assert answer_authors(session, assessment.id, firm.id) == {
        "e1": owner.display_name,
        "a1": "Rosa Quispe",
    }
    assert answer_authors(session, assessment.id, other.id) == {}


def test_registry_figures(session: Session) -> None:
    firm = make_firm(session)
    figures = registry_figures(session, firm.id)
    assert set(figures) == {"annual_sales", "sales_year", "workers"}
    assert Decimal(str(figures["annual_sales"])) == Decimal(str(firm.annual_sales))
    assert figures["workers"] == firm.workers
    assert registry_figures(session, 987654) == {}
