"""Issue 10 on the form: carried-over answers, notes, review of every answer, no dead ends."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from scoring.compiled import compile_questionnaire
from scoring.loader import load_questionnaire
from storage.assessments import (
    AnswerChange,
    answer_changes,
    carried_questions,
    load_answers,
    load_comments,
    save_answers,
)
from storage.db import make_engine, session_scope
from storage.models import Account, Answer
from tests.ui.helpers import firm_id_for, logged_in, make_firm, open_page, texts
from ui.answer_changes import change_lines
from ui.formstate import NOTE_MAX, answers_to_carry, form_pages, note_error, registry_prefill
from ui.widgets import widget_key

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "scoring" / "fixtures" / "mini.yaml"
REAL = ROOT / "cuestionarios" / "brujula_manufactura.yaml"
FILL = "ui/pages/fill.py"
REVIEW = "ui/pages/review.py"


def _aid(at) -> int:
    param = at.query_params["evaluacion"]
    return int(param[0] if isinstance(param, list) else param)


def _start(at, depth: str):
    at.button(key=f"start_{depth}").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Llenar evaluación"
    return at, _aid(at)


def _db(url: str):
    return session_scope(make_engine(url))


def _answer_expres(url: str, token: str) -> int:
    """An Exprés draft with three answers and a note, left in progress."""
    at, aid = _start(logged_in(token), "expres")
    at.radio(key=widget_key(aid, "e1")).set_value(3).run()
    at.text_area(key=widget_key(aid, "e1", "nota")).input("Plan aprobado en 2025").run()
    at.button(key=f"next_{aid}").click().run()
    at.radio(key=widget_key(aid, "usa_agua")).set_value("si").run()
    at.radio(key=widget_key(aid, "a1")).set_value(2).run()
    assert not at.exception, at.exception
    return aid


# --- pure rules ---------------------------------------------------------------------------------


def test_only_still_valid_answers_to_the_same_questions_are_carried() -> None:
    compiled = compile_questionnaire(load_questionnaire(MINI), "completo")
    carried = answers_to_carry(
        compiled,
        {
            "e1": 3,
            "e2": 7,  # level that does not exist
            "usa_agua": "tal_vez",  # option removed
            "a1": "no_aplica",  # not allowed on a1
            "agua_total": 1234.5,
            "agua_reusada": 2_000_000,  # out of range now
            "borrada": 2,  # question no longer in the questionnaire
        },
        {"agua_total": "medido"},
        {"e1": "Plan aprobado", "e2": "nota de una respuesta que no se trae"},
    )
    assert carried.answers == {"e1": 3, "agua_total": 1234.5}
    assert carried.sources == {"agua_total": "medido"}
    assert carried.comments == {"e1": "Plan aprobado"}
    assert answers_to_carry(compiled, {"e1": [1], "usa_agua": ["si"]}).answers == {}


def test_registry_figures_fill_sales_and_workers_of_the_full_form() -> None:
    compiled = compile_questionnaire(load_questionnaire(REAL), "completo")
    firm = {"annual_sales": "5000000.40", "sales_year": 2025, "workers": 40}
    assert registry_prefill(compiled, firm, {}) == {
        "eco_anio_datos": 2025,
        "eco_ventas": 5_000_000,
        "eco_trabajadores": 40,
    }
    # What the earlier assessment said wins; values out of range are not filled.
    assert registry_prefill(compiled, {**firm, "workers": 0}, {"eco_ventas": 1}) == {
        "eco_anio_datos": 2025
    }
    express = compile_questionnaire(load_questionnaire(REAL), "expres")
    assert registry_prefill(express, firm, {}) == {}


def test_note_length_message() -> None:
    assert note_error("x" * NOTE_MAX) is None
    message = note_error("x" * (NOTE_MAX + 5))
    assert message is not None and "1\xa0005 caracteres" in message and "1\xa0000" in message


# --- carrying answers over ----------------------------------------------------------------------


def test_a_full_assessment_after_an_express_starts_with_its_answers(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    express = _answer_expres(app_env, token)
    at = logged_in(token)
    assert at.checkbox(key="traer_respuestas").value is True
    at, aid = _start(at, "completo")
    with _db(app_env) as database:
        answers, _ = load_answers(database, aid, firm_id)
        assert answers == {"e1": 3, "usa_agua": "si", "a1": 2}
        assert carried_questions(database, aid, firm_id) == {"e1", "usa_agua", "a1"}
        assert load_comments(database, aid, firm_id) == {"e1": "Plan aprobado en 2025"}
        assert load_answers(database, express, firm_id)[0]["e1"] == 3  # the source is intact
    # The form shows them, marked, until they are confirmed or changed.
    assert at.radio(key=widget_key(aid, "e1")).value == 3
    assert "Traída de su evaluación del" in texts(at)
    assert "confírmela o cámbiela" in texts(at)
    assert at.text_area(key=widget_key(aid, "e1", "nota")).value == "Plan aprobado en 2025"
    at.radio(key=widget_key(aid, "e2")).set_value(1).run()  # a new answer: not carried
    at.button(key=f"confirm_carried_{aid}_0").click().run()
    assert not at.exception, at.exception
    assert "Traída de" not in texts(at) and "de esta sección ya vien" not in texts(at)
    assert "Respuesta confirmada." in texts(at)
    at.button(key=f"next_{aid}").click().run()
    assert "Traída de su evaluación del" in texts(at)
    # Touching a carried answer confirms it (its mark goes at once; usa_agua keeps its own).
    assert sum("Traída de" in c.value for c in at.caption) == 2
    at.radio(key=widget_key(aid, "a1")).set_value(4).run()
    assert sum("Traída de" in c.value for c in at.caption) == 1
    with _db(app_env) as database:
        assert carried_questions(database, aid, firm_id) == {"usa_agua"}
        account = database.scalars(select(Account).where(Account.firm_id == firm_id)).one()
        rows = {
            row.question_id: row
            for row in database.scalars(select(Answer).where(Answer.assessment_id == aid))
        }
    # Who answered: the logged-in account, for answers given and answers confirmed.
    assert rows["a1"].answered_by == account.id and rows["e1"].answered_by == account.id
    assert rows["usa_agua"].answered_by is None
    # The review says which are still unconfirmed; submitting stays possible.
    review = open_page(REVIEW, token, evaluacion=str(aid))
    shown = texts(review)
    assert "1 respuesta traída de antes (de su evaluación anterior o de su registro)" in shown
    assert "Traída de antes, sin confirmar" in shown


def test_without_carrying_a_new_assessment_starts_blank(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    _answer_expres(app_env, token)
    at = logged_in(token)
    at.checkbox(key="traer_respuestas").uncheck().run()
    at, aid = _start(at, "completo")
    with _db(app_env) as database:
        assert load_answers(database, aid, firm_id)[0] == {}
    assert "Traída de" not in texts(at)


def test_first_assessment_has_nothing_to_carry_and_one_start_button(app_env: str) -> None:
    token = make_firm(app_env)
    at = logged_in(token)
    assert not at.exception, at.exception
    assert not at.checkbox
    starts = [b for b in at.button if b.label == "Iniciar evaluación Exprés"]
    assert len(starts) == 1 and starts[0].key == "start_expres"
    assert not at.error and "Iníciela con el botón «Iniciar evaluación Exprés»" in texts(at)
    assert "aparecen solo según sus respuestas anteriores" in texts(at)
    # The card counts what the form counts before any answer (a1 appears only with water).
    assert "2 preguntas (1 de prácticas y 1 sobre su empresa)" in texts(at)


# --- notes ---------------------------------------------------------------------------------------


def test_a_note_is_saved_with_the_answer_and_shown_in_review(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(logged_in(token), "expres")
    note_key = widget_key(aid, "e1", "nota")
    assert note_key not in [t.key for t in at.text_area]  # offered once answered
    at.radio(key=widget_key(aid, "e1")).set_value(2).run()
    assert at.text_area(key=note_key).label == "Nota o evidencia (opcional)"
    at.text_area(key=note_key).input("  Acta del comité, marzo 2026 ").run()
    with _db(app_env) as database:
        assert load_comments(database, aid, firm_id) == {"e1": "Acta del comité, marzo 2026"}
    at.text_area(key=note_key).input("Acta del comité").run()
    review = open_page(REVIEW, token, evaluacion=str(aid))
    assert "*Nota:* Acta del comité" in texts(review)
    # Emptying the note removes it.
    at.text_area(key=note_key).input("").run()
    with _db(app_env) as database:
        assert load_comments(database, aid, firm_id) == {}


# --- review of every answer, and no dead ends ---------------------------------------------------


def test_review_lists_every_answer_by_section_with_links(app_env: str) -> None:
    token = make_firm(app_env)
    at, aid = _start(logged_in(token), "expres")
    at.radio(key=widget_key(aid, "e1")).set_value(1).run()
    review = open_page(REVIEW, token, evaluacion=str(aid))
    assert not review.exception, review.exception
    shown = texts(review)
    assert "**1. ¿Tiene estrategia?**  \nAlgo definido." in shown  # answered, not only missing
    assert "**1. ¿Usa agua en el proceso?**  \n:red[**Falta responder** (obligatoria)]" in shown
    labels = [e.label for e in review.expander]
    assert labels == ["✓ Económica · Estrategia", "○ Ambiental · Agua"]
    assert [b.key for b in review.button if b.key.startswith("review_goto_")] == [
        "review_goto_0",
        "review_goto_1",
    ]
    review.button(key="review_goto_0").click().run()
    assert review.title[0].value == "Llenar evaluación"
    assert review.subheader[0].value == "Estrategia"


def test_review_names_who_answered_when_the_firm_has_several_members(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(logged_in(token), "expres")
    at.radio(key=widget_key(aid, "e1")).set_value(1).run()
    review = open_page(REVIEW, token, evaluacion=str(aid))
    assert "Respondió:" not in texts(review)
    with _db(app_env) as database:
        member = Account(
            kind="empresa",
            login="rosa@plasticos.pe",
            password_hash="x",
            firm_id=firm_id,
            display_name="Rosa Quispe",
            role="colaborador",
        )
        database.add(member)
        database.flush()
        save_answers(database, aid, firm_id, {"usa_agua": "no"}, answered_by=member.id)
    review = open_page(REVIEW, token, evaluacion=str(aid))
    shown = texts(review)
    assert ":gray[Respondió: Rosa Quispe]" in shown
    assert "Respondió: Plásticos del Sur" in shown


def test_sidebar_pages_open_the_draft_in_progress(app_env: str) -> None:
    token = make_firm(app_env)
    _, aid = _start(logged_in(token), "expres")
    for page in (FILL, REVIEW):
        at = open_page(page, token)  # as from the sidebar after a reload: no ?evaluacion=
        assert not at.exception, at.exception
        assert not at.info or "Todavía no tiene" not in texts(at)
        assert "Evaluación Exprés · iniciada el" in texts(at)
        assert _aid(at) == aid if "evaluacion" in at.query_params else True
    fill = open_page(FILL, token)
    assert widget_key(aid, "e1") in [r.key for r in fill.radio]


def test_sidebar_pages_open_the_draft_although_the_session_chose_another(app_env: str) -> None:
    """The login reads the assessment this session chose (here a sent one); the sidebar's form
    opens the draft in progress instead, and must not take the row read for the other one."""
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    sent = _answer_expres(app_env, token)
    with _db(app_env) as database:
        from storage.assessments import submit

        submit(database, sent, firm_id, {"coverage": 1.0})
    _, draft = _start(logged_in(token), "completo")
    for page in (FILL, REVIEW):
        at = logged_in(token)
        at.session_state["evaluacion_id"] = sent
        at.switch_page(page).run()
        assert not at.exception, at.exception
        assert "Evaluación Completa · iniciada el" in texts(at)
        assert "ya fue enviada" not in texts(at)
        assert at.session_state["evaluacion_id"] == draft


def test_sidebar_without_any_assessment_says_how_to_start(app_env: str) -> None:
    token = make_firm(app_env)
    at = open_page(FILL, token)
    assert "Todavía no tiene una evaluación en curso" in texts(at)


# --- what changed since last time ---------------------------------------------------------------


def test_change_lines_compare_answers_answered_both_times(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    compiled = compile_questionnaire(load_questionnaire(MINI), "completo")
    first = _answer_expres(app_env, token)
    with _db(app_env) as database:
        from storage.assessments import submit

        submit(database, first, firm_id, {"coverage": 1.0})
    at, aid = _start(logged_in(token), "completo")
    at.radio(key=widget_key(aid, "e1")).set_value(4).run()
    at.radio(key=widget_key(aid, "e2")).set_value(1).run()
    with _db(app_env) as database:
        _, changes = answer_changes(database, firm_id, aid)  # type: ignore[misc]
    lines, first_time = change_lines(compiled.by_id, changes)
    assert lines == ["**¿Tiene estrategia?**  \nAntes: Medido.  \nAhora: **Integrado.**"]
    assert first_time == 1
    # An answer given before and not now is not a change of answer, nor a new one.
    dropped = AnswerChange("a1", 2, None, None, None)
    assert change_lines(compiled.by_id, [*changes, dropped]) == (lines, 1)


def _submit(token: str, aid: int):
    review = open_page(REVIEW, token, evaluacion=str(aid))
    review.button(key="submit_open").click().run()
    review.button(key="submit_confirm").click().run()
    assert not review.exception, review.exception
    return review


def test_results_show_what_changed_since_the_previous_assessment(app_env: str) -> None:
    token = make_firm(app_env)
    first = _answer_expres(app_env, token)
    results = _submit(token, first)
    assert "Qué cambió desde su evaluación anterior" not in [e.label for e in results.expander]
    at, second = _start(logged_in(token), "expres")  # carried over, then one answer changed
    at.radio(key=widget_key(second, "e1")).set_value(4).run()
    results = _submit(token, second)
    assert results.title[0].value != "Revisión y envío"
    assert "Qué cambió desde su evaluación anterior" in [e.label for e in results.expander]
    shown = texts(results)
    assert "**¿Tiene estrategia?**  \nAntes: Medido.  \nAhora: **Integrado.**" in shown
    assert "1 respuesta cambió desde su evaluación del" in shown


def test_the_full_form_takes_sales_and_workers_from_the_registration(
    app_env: str, monkeypatch
) -> None:
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(REAL))
    token = make_firm(app_env)  # 5 000 000 soles in 2025, 40 workers
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(logged_in(token), "completo")
    with _db(app_env) as database:
        answers, _ = load_answers(database, aid, firm_id)
        assert carried_questions(database, aid, firm_id) == {
            "eco_anio_datos",
            "eco_ventas",
            "eco_trabajadores",
        }
    assert (answers["eco_ventas"], answers["eco_trabajadores"]) == (5_000_000, 40)
    assert answers["eco_anio_datos"] == 2025
    # The form says where they come from, on the page that asks them.
    pages = form_pages(compile_questionnaire(load_questionnaire(REAL), "completo"))
    index = next(p.index for p in pages if any(q.id == "eco_ventas" for q in p.questions))
    fill = logged_in(token)
    fill.session_state[f"section_{aid}"] = index
    fill = fill.switch_page(FILL).run()
    assert "Tomada de los datos de su registro: confírmela o cámbiela." in texts(fill)
    assert fill.text_input(key=widget_key(aid, "eco_ventas")).value == "5\xa0000\xa0000"
