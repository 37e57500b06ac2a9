"""Assessments: ownership, answers round trip, submission lock, peers and audit."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from storage import audit
from storage.assessments import (
    AssessmentLocked,
    AssessmentNotFound,
    QuestionnaireMeta,
    assessment_with_answers,
    get_assessment,
    get_result,
    list_assessments,
    load_answers,
    load_comments,
    save_answers,
    start_assessment,
    submit,
)
from storage.models import Answer, Assessment
from storage.peers import PEER_COLUMNS, peer_scores
from tests.storage.storage_testdata import make_firm

META = QuestionnaireMeta("circular_manufactura", "1.0.0", "sha256:abc")


def summary(overall: float, **extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "overall": overall,
        "level": 3,
        "weakest_dimension": "social",
        "coverage": 0.9,
        "dont_know_count": 2,
        "scores": {
            "dimensiones": {"economica": overall + 1, "social": overall - 10},
            "rutas": {"R1": 40.0, "R2": 50.0, "R3": None},
        },
        "detail": {"questionnaire": META.id},
    }
    data.update(extra)
    return data


def test_answers_round_trip_all_json_kinds(session: Session) -> None:
    firm = make_firm(session)
    assessment = start_assessment(session, firm.id, META, "completo")
    answers = {
        "practica_1": 3,
        "practica_2": "no_aplica",
        "practica_3": "no_se",
        "tipo_planta": "textil",
        "certificaciones": ["iso_14001", "iso_9001"],
        "agua_m3": 1234.5,
        "energia_kwh": 0,
    }
    sources = {"agua_m3": "medido", "energia_kwh": "no_se"}
    save_answers(
        session,
        assessment.id,
        firm.id,
        answers,
        sources,
        "ambiental",
        comments={"practica_1": "Desde 2024"},
    )
    session.commit()
    session.expire_all()
    assert load_answers(session, assessment.id, firm.id) == (answers, sources)
    with session.get_bind().connect() as connection:  # the app reads with a plain connection
        row, read, read_sources = assessment_with_answers(connection, assessment.id, firm.id)
    assert (read, read_sources) == (answers, sources)
    assert (row["status"], row["depth"], row["current_section"]) == (
        "borrador",
        "completo",
        "ambiental",
    )
    assert row["questionnaire_hash"] == META.hash and row["created_at"].tzinfo is not None
    assert load_comments(session, assessment.id, firm.id) == {"practica_1": "Desde 2024"}
    assert get_assessment(session, assessment.id, firm.id).current_section == "ambiental"

    save_answers(
        session,
        assessment.id,
        firm.id,
        {"practica_1": 4, "agua_m3": None},
        current_section="social",
    )
    session.commit()
    loaded, loaded_sources = load_answers(session, assessment.id, firm.id)
    assert loaded["practica_1"] == 4 and "agua_m3" not in loaded
    assert loaded_sources == {"energia_kwh": "no_se"}
    assert session.query(Answer).count() == len(answers) - 1


def test_invalid_values_are_refused(session: Session) -> None:
    firm = make_firm(session)
    assessment = start_assessment(session, firm.id, META, "expres")
    for bad in (True, {"a": 1}, [1, 2], float("nan")):
        with pytest.raises((TypeError, ValueError)):
            save_answers(session, assessment.id, firm.id, {"q": bad})
    with pytest.raises(ValueError):
        save_answers(session, assessment.id, firm.id, {"q": 1.0}, {"q": "adivinado"})
    with pytest.raises(ValueError):
        start_assessment(session, firm.id, META, "rapido")


def test_firm_cannot_touch_another_firms_assessment(session: Session) -> None:
    firm_a = make_firm(session, "2010007097")
    firm_b = make_firm(session, "2060000000")
    mine = start_assessment(session, firm_a.id, META, "expres")
    save_answers(session, mine.id, firm_a.id, {"q1": 2})
    session.commit()
    assert get_assessment(session, mine.id, firm_b.id) is None
    assert list_assessments(session, firm_b.id) == []
    with pytest.raises(AssessmentNotFound):
        save_answers(session, mine.id, firm_b.id, {"q1": 0})
    with pytest.raises(AssessmentNotFound):
        load_answers(session, mine.id, firm_b.id)
    with pytest.raises(AssessmentNotFound):
        submit(session, mine.id, firm_b.id, summary(50))
    assert get_result(session, mine.id, firm_b.id) is None
    assert assessment_with_answers(session, mine.id, firm_b.id) is None
    assert assessment_with_answers(session, mine.id + 1, firm_a.id) is None
    assert load_answers(session, mine.id, firm_a.id)[0] == {"q1": 2}
    fresh = start_assessment(session, firm_b.id, META, "expres")
    session.commit()
    row, answers, sources = assessment_with_answers(session, fresh.id, firm_b.id)
    assert row["status"] == "borrador" and answers == {} and sources == {}


def test_submit_stores_result_and_locks(session: Session) -> None:
    firm = make_firm(session, annual_sales=1_000_000, region="Arequipa", ciiu_division=10)
    assessment = start_assessment(session, firm.id, META, "expres")
    save_answers(session, assessment.id, firm.id, {"q1": 2})
    result = submit(session, assessment.id, firm.id, summary(55.5))
    session.commit()
    session.expire_all()
    stored = get_assessment(session, assessment.id, firm.id)
    assert stored.status == "enviada" and stored.submitted_at is not None
    assert stored.submitted_at.tzinfo is not None
    result = get_result(session, assessment.id, firm.id)
    assert (result.overall, result.level, result.coverage) == (55.5, 3, 0.9)
    assert (result.ciiu_division, result.size_class, result.region) == (10, "pequena", "Arequipa")
    assert result.scores_json["dimensiones"] == {"economica": 56.5, "social": 45.5}
    assert result.scores_json["rutas"]["R3"] is None
    with pytest.raises(AssessmentLocked):
        save_answers(session, assessment.id, firm.id, {"q1": 4})
    with pytest.raises(AssessmentLocked):
        submit(session, assessment.id, firm.id, summary(99))
    with pytest.raises(ValueError):
        submit(session, assessment.id, firm.id, {"overal": 1, "coverage": 1})
    with pytest.raises(ValueError):  # no dimension columns: scores go in "scores" by id
        submit(session, assessment.id, firm.id, {"economica": 1, "coverage": 1})


def test_list_assessments_newest_first(session: Session) -> None:
    firm = make_firm(session)
    first = start_assessment(session, firm.id, META, "expres")
    second = start_assessment(session, firm.id, META, "completo")
    session.commit()
    assert [a.id for a in list_assessments(session, firm.id)] == [second.id, first.id]


def _submitted(session: Session, firm_id: int, overall: float, depth: str = "expres") -> None:
    assessment = start_assessment(session, firm_id, META, depth)
    submit(session, assessment.id, firm_id, summary(overall))
    session.commit()


def test_peer_scores_latest_only_with_consent(session: Session) -> None:
    a = make_firm(session, "2010007097", ciiu_division=22)
    b = make_firm(session, "2060000000", ciiu_division=13, region="Cusco")
    no_consent = make_firm(session, "2070000000", consent_statistics=False)
    demo = make_firm(session, "2080000000", is_demo=True)
    _submitted(session, a.id, 30)
    _submitted(session, a.id, 60)  # latest of firm a
    start_assessment(session, a.id, META, "expres")  # a newer draft never counts
    _submitted(session, b.id, 45)
    _submitted(session, b.id, 90, depth="completo")  # other depth
    _submitted(session, no_consent.id, 10)
    _submitted(session, demo.id, 70)
    session.commit()

    frame = peer_scores(session, META.id, "expres")
    assert list(frame.columns) == [*PEER_COLUMNS, "economica", "social", "r1", "r2", "r3"]
    assert sorted(frame["overall"]) == [45.0, 60.0]
    assert sorted(frame["economica"]) == [46.0, 61.0]
    assert frame["ciiu_division"].dtype == "int64"
    assert frame["r3"].isna().all()

    assert list(peer_scores(session, META.id, "expres", exclude_firm_id=a.id)["overall"]) == [45.0]
    assert sorted(peer_scores(session, META.id, "expres", include_demo=True)["overall"]) == [
        45.0,
        60.0,
        70.0,
    ]
    assert list(peer_scores(session, META.id, "completo")["overall"]) == [90.0]
    empty = peer_scores(session, "otro", "expres")
    assert empty.empty and list(empty.columns) == list(PEER_COLUMNS)


def test_deleting_assessment_cascades_to_answers(session: Session) -> None:
    firm = make_firm(session)
    assessment = start_assessment(session, firm.id, META, "expres")
    save_answers(session, assessment.id, firm.id, {"q1": 1, "q2": 2})
    session.commit()
    session.execute(Assessment.__table__.delete())
    session.commit()
    assert session.query(Answer).count() == 0


def test_audit_record(session: Session) -> None:
    firm = make_firm(session)
    audit.record(session, 1, "exportar", f"empresa:{firm.id}", {"formato": "xlsx"})
    audit.record(session, None, "login_fallido", "x" * 300)
    session.commit()
    entries = audit.recent(session)
    assert [e.action for e in entries] == ["login_fallido", "exportar"]
    assert entries[1].detail == {"formato": "xlsx"} and len(entries[0].target) == 200
