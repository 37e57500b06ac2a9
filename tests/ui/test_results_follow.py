"""Results page (issue 10): the submit message, same-day history in order, the plan's
follow-up (responsable, fecha meta, estado) with its audit, what done actions moved at
re-assessment, and the plan's progress on Mi panel."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select

from scoring import compile_questionnaire, load_questionnaire, score_assessment
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.db import make_engine, session_scope
from storage.models import AuditLog
from storage.plan_tracking import follow_ups, save_follow_up
from tests.ui.helpers import app, firm_id_for, make_firm, open_page, texts
from tests.ui.test_method2_results import EXAMPLE, _questionnaire
from ui.formstate import scoring_answers
from ui.session import FLASH_KEY, TOKEN_KEY

RESULTS = "ui/pages/results.py"
DASHBOARD = "ui/pages/dashboard.py"
SENT = "¡Evaluación enviada! Este es su resultado."


@pytest.fixture
def questionnaire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: str) -> Path:
    path = _questionnaire(tmp_path)
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(path))
    return path


def _submit(url: str, path: Path, firm_id: int, **changes) -> int:
    """One Completa assessment with EXAMPLE's answers (plus ``changes``), submitted now."""
    loaded = load_questionnaire(path)
    compiled = compile_questionnaire(loaded, "completo")
    answers = {**EXAMPLE, "masa_total": 200, "masa_circular": 50, **changes}
    sources = {"masa_total": "medido", "masa_circular": "estimado"}
    engine = make_engine(url)
    with session_scope(engine) as database:
        assessment = start_assessment(database, firm_id, loaded, "completo")
        save_answers(database, assessment.id, firm_id, answers, sources)
        result = score_assessment(compiled, scoring_answers(answers, None), sources)
        submit(database, assessment.id, firm_id, result_summary(result))
        aid = assessment.id
    engine.dispose()
    return aid


def _firm(url: str) -> tuple[str, int]:
    token = make_firm(url)
    return token, firm_id_for(url, token)


def _shown(at) -> str:
    """Text and expander labels, without the invisible joiners ``widgets.plain`` adds."""
    shown = texts(at) + "\n" + "\n".join(str(e.label) for e in at.expander)
    return shown.replace("\u2060", "").replace("\\", "")


def test_submit_message_shows_on_the_results_page(app_env: str, questionnaire: Path) -> None:
    token, firm_id = _firm(app_env)
    aid = _submit(app_env, questionnaire, firm_id)
    at = app()
    at.session_state[TOKEN_KEY] = token
    at.run()
    at.session_state[FLASH_KEY] = SENT  # what the review page leaves before switching here
    at.query_params["evaluacion"] = str(aid)
    at = at.switch_page(RESULTS).run()
    assert not at.exception, at.exception
    assert SENT in [s.value for s in at.success]


def test_two_assessments_of_one_day_keep_their_order(app_env: str, questionnaire: Path) -> None:
    token, firm_id = _firm(app_env)
    _submit(app_env, questionnaire, firm_id, agua_medicion=0, res_segregacion=0)
    aid = _submit(app_env, questionnaire, firm_id, agua_medicion=4, agua_reuso=4)
    at = open_page(RESULTS, token, evaluacion=str(aid))
    assert not at.exception, at.exception
    reading = next(m.value for m in at.markdown if "Su puntaje global" in str(m.value))
    assert "subió" in reading and "bajó" not in reading


def _form_parts(at, question_id: str):
    key = f"seguimiento_{question_id}"
    button = next(b for b in at.button if b.label == "Guardar seguimiento" and key in b.id)
    return (
        at.text_input(key=f"{key}_responsable"),
        at.date_input(key=f"{key}_fecha"),
        at.radio(key=f"{key}_estado"),
        button,
    )


def test_follow_up_is_saved_audited_and_shown(app_env: str, questionnaire: Path) -> None:
    token, firm_id = _firm(app_env)
    aid = _submit(app_env, questionnaire, firm_id)
    at = open_page(RESULTS, token, evaluacion=str(aid))
    assert not at.exception, at.exception
    assert "Seguimiento: Pendiente" in _shown(at)
    owner, target, status, button = _form_parts(at, "agua_medicion")
    owner.input("Ana Pérez, jefa de planta")
    target.set_value(dt.date(2027, 3, 15))
    status.set_value("en_curso")
    button.click()
    at.run()
    assert not at.exception, at.exception
    assert "Seguimiento guardado." in [s.value for s in at.success]
    assert (
        "Seguimiento: En curso · Ana Pérez, jefa de planta · meta: 15 de marzo de 2027"
        in _shown(at)
    )
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        saved = follow_ups(database, firm_id)["agua_medicion"]
        entries = database.scalars(
            select(AuditLog).where(AuditLog.action == "plan_seguimiento")
        ).all()
    engine.dispose()
    assert (saved.owner, saved.target_date, saved.status) == (
        "Ana Pérez, jefa de planta",
        dt.date(2027, 3, 15),
        "en_curso",
    )
    assert saved.assessment_id == aid
    assert len(entries) == 1 and entries[0].detail["despues"]["estado"] == "en_curso"


def test_bad_owner_is_refused_and_kept_on_screen(app_env: str, questionnaire: Path) -> None:
    token, firm_id = _firm(app_env)
    aid = _submit(app_env, questionnaire, firm_id)
    at = open_page(RESULTS, token, evaluacion=str(aid))
    owner, _, status, button = _form_parts(at, "agua_medicion")
    owner.input("12345")
    status.set_value("hecho")
    button.click()
    at.run()
    assert not at.exception, at.exception
    assert "Escriba el nombre o el cargo del responsable (con letras)." in [
        e.value for e in at.error
    ]
    assert at.text_input(key="seguimiento_agua_medicion_responsable").value == "12345"
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        assert follow_ups(database, firm_id) == {}
    engine.dispose()


def test_reassessment_says_what_done_actions_moved_and_panel_shows_progress(
    app_env: str, questionnaire: Path
) -> None:
    token, firm_id = _firm(app_env)
    first = _submit(app_env, questionnaire, firm_id)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        save_follow_up(
            database, firm_id, None, first, "agua_medicion", "Medir", "Ana", None, "hecho"
        )
        save_follow_up(database, firm_id, None, first, "est_metas", "Metas", None, None, "hecho")
        save_follow_up(
            database, firm_id, None, first, "agua_reuso", "Reúso", "Luis", dt.date(2030, 1, 1),
            "en_curso",
        )  # fmt: skip
    engine.dispose()
    second = _submit(app_env, questionnaire, firm_id, agua_medicion=3)
    engine = make_engine(app_env)
    with session_scope(engine) as database:  # done after the second submission: not counted
        save_follow_up(
            database, firm_id, None, second, "res_valorizacion", "Valorizar", None, None, "hecho"
        )
    engine.dispose()
    at = open_page(RESULTS, token, evaluacion=str(second))
    assert not at.exception, at.exception
    shown = _shown(at)
    assert "Sus acciones hechas desde la evaluación anterior** · 1 de 2 movieron" in shown
    assert "la práctica pasó del nivel 1 al 3; el eje «Agua» subió de" in shown
    assert "marcada como hecha, pero no movió sus puntajes" in shown  # est_metas
    # The first result (nothing before it) says nothing about done actions.
    at = open_page(RESULTS, token, evaluacion=str(first))
    assert "Sus acciones hechas" not in _shown(at)
    panel = open_page(DASHBOARD, token)
    assert not panel.exception, panel.exception
    bar = panel.get("progress")[0]
    # Done before the re-assessment, two actions come back one level higher: that new step is
    # pending; only the action done after it counts as done.
    assert bar.proto.text == "1 de 6 acciones hechas · 1 en curso · 4 pendientes"
    assert "1 de enero de 2030" in texts(panel) and "Luis" in texts(panel)
