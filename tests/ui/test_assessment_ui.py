"""Filling, resuming, reviewing and submitting an assessment through the pages."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from storage.assessments import AssessmentLocked, load_answers, save_answers
from storage.db import make_engine, session_scope
from storage.models import Assessment, Result
from tests.ui.helpers import firm_id_for, logged_in, make_firm, open_page, texts
from ui.widgets import widget_key

FILL = "ui/pages/fill.py"
REVIEW = "ui/pages/review.py"


def _start(token: str, depth: str = "expres"):
    at = logged_in(token)
    assert at.title[0].value == "Mi panel"
    at.button(key=f"start_{depth}").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Llenar evaluación"
    return at, int(
        at.query_params["evaluacion"][0]
        if isinstance(at.query_params["evaluacion"], list)
        else at.query_params["evaluacion"]
    )


def _db(url: str):
    return session_scope(make_engine(url))


def _assessment(url: str, aid: int) -> Assessment:
    with _db(url) as database:
        return database.get(Assessment, aid)


def test_answers_are_saved_as_they_are_given_and_on_moving_on(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(token)
    assert (
        "Avance: 0 de" in at.progress[0].value["text"]
        if isinstance(at.progress[0].value, dict)
        else True
    )
    at.radio(key=widget_key(aid, "e1")).set_value(2).run()
    assert not at.exception, at.exception
    with _db(app_env) as database:
        assert load_answers(database, aid, firm_id)[0] == {"e1": 2}
    at.button(key=f"next_{aid}").click().run()
    assert at.subheader[0].value == "Agua"
    assert _assessment(app_env, aid).current_section == "agua"


def test_skip_condition_shows_follow_up_question_live(app_env: str) -> None:
    token = make_firm(app_env)
    at, aid = _start(token)
    at.button(key=f"next_{aid}").click().run()
    keys = [r.key for r in at.radio]
    assert widget_key(aid, "usa_agua") in keys and widget_key(aid, "a1") not in keys
    at.radio(key=widget_key(aid, "usa_agua")).set_value("si").run()
    assert widget_key(aid, "a1") in [r.key for r in at.radio]
    at.radio(key=widget_key(aid, "usa_agua")).set_value("no").run()
    assert widget_key(aid, "a1") not in [r.key for r in at.radio]


def test_resume_after_reload_opens_saved_section_with_answers(app_env: str) -> None:
    token = make_firm(app_env)
    at, aid = _start(token)
    at.radio(key=widget_key(aid, "e1")).set_value(3).run()
    at.button(key=f"next_{aid}").click().run()
    at.radio(key=widget_key(aid, "usa_agua")).set_value("si").run()
    # A reload: a new Streamlit session that only knows the token and the URL.
    again = open_page(FILL, token, evaluacion=str(aid))
    assert not again.exception, again.exception
    assert again.subheader[0].value == "Agua"
    assert again.radio(key=widget_key(aid, "usa_agua")).value == "si"
    again.button(key=f"back_{aid}").click().run()
    assert again.radio(key=widget_key(aid, "e1")).value == 3


def test_numbers_accept_spanish_input_and_explain_errors(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(token, "completo")
    at.button(key=f"next_{aid}").click().run()
    box = at.text_input(key=widget_key(aid, "agua_total"))
    box.input("mucha").run()
    assert any("No se reconoce «mucha»" in e.value for e in at.error)
    assert at.text_input(key=widget_key(aid, "agua_total")).value == "mucha"
    at.button(key=f"back_{aid}").click().run()
    assert "Corrija los datos marcados" in texts(at)  # typed text is not thrown away
    at.text_input(key=widget_key(aid, "agua_total")).input("2.000.000").run()
    assert any("debe estar entre 0 y" in e.value for e in at.error)
    at.text_input(key=widget_key(aid, "agua_total")).input("1.234,5").run()
    at.radio(key=widget_key(aid, "agua_total", "src")).set_value("medido").run()
    assert not at.error
    with _db(app_env) as database:
        answers, sources = load_answers(database, aid, firm_id)
    assert answers["agua_total"] == 1234.5 and sources["agua_total"] == "medido"
    at.radio(key=widget_key(aid, "agua_reusada", "src")).set_value("no_se").run()
    with _db(app_env) as database:
        answers, sources = load_answers(database, aid, firm_id)
    assert answers["agua_reusada"] == "no_se" and sources["agua_reusada"] == "no_se"


def test_review_lists_missing_required_and_links_to_the_section(app_env: str) -> None:
    token = make_firm(app_env)
    at, aid = _start(token)
    at.radio(key=widget_key(aid, "e1")).set_value(1).run()
    review = open_page(REVIEW, token, evaluacion=str(aid))
    assert not review.exception, review.exception
    shown = texts(review)
    assert "Falta 1 pregunta obligatoria. Respóndala" in shown
    assert "¿Usa agua en el proceso?" in shown
    assert review.button(key="submit_open").disabled
    review.button(key="review_goto_1").click().run()
    assert review.title[0].value == "Llenar evaluación"
    assert review.subheader[0].value == "Agua"


def test_submit_scores_locks_and_shows_read_only(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(token)
    at.radio(key=widget_key(aid, "e1")).set_value(4).run()
    at.button(key=f"next_{aid}").click().run()
    at.radio(key=widget_key(aid, "usa_agua")).set_value("si").run()
    at.radio(key=widget_key(aid, "a1")).set_value("no_se").run()
    at.button(key=f"next_{aid}").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Revisión y envío"
    assert not at.button(key="submit_open").disabled
    at.button(key="submit_open").click().run()
    at.button(key="submit_confirm").click().run()
    assert not at.exception, at.exception
    assert _assessment(app_env, aid).status == "enviada"
    with _db(app_env) as database:
        result = database.scalar(select(Result).where(Result.assessment_id == aid))
        assert result.overall == pytest.approx(200 / 3)  # economía 100 (×2), ambiental 0
        assert result.dont_know_count == 1
        assert result.detail_json["global"]["puntaje"] == pytest.approx(result.overall)
        with pytest.raises(AssessmentLocked):
            save_answers(database, aid, firm_id, {"e1": 0})
    fill = open_page(FILL, token, evaluacion=str(aid))
    assert "ya fue enviada" in texts(fill)
    assert not fill.radio  # read-only: no answer widgets


def test_another_firms_assessment_is_not_found(app_env: str) -> None:
    owner = make_firm(app_env, "2010007097")
    _, aid = _start(owner)
    intruder = make_firm(app_env, "2060000001", email="otra@empresa.pe")
    for page in (FILL, REVIEW):
        at = open_page(page, intruder, evaluacion=str(aid))
        assert not at.exception, at.exception
        assert "No encontramos esa evaluación." in [e.value for e in at.error]
        assert not at.radio
    # Also when the id arrives through session state instead of the URL.
    at = logged_in(intruder)
    at.session_state["evaluacion_id"] = aid
    at.switch_page(FILL).run()
    assert "No encontramos esa evaluación." in [e.value for e in at.error]


def test_a_rerun_of_the_form_is_one_query(app_env: str) -> None:
    """The login and the assessment are read together (issue 11: the answers only when their
    version changed): a rerun with nothing new runs one statement."""
    token = make_firm(app_env)
    at, aid = _start(token, "completo")
    at.radio(key=widget_key(aid, "e1")).set_value(2).run()
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        at.run()
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert not at.exception, at.exception
    assert at.radio(key=widget_key(aid, "e1")).value == 2
    assert len(statements) == 1, statements
    assert "FROM sesiones" in statements[0] and "evaluaciones" in statements[0]
    # A page that does not take the row read with the login leaves nothing for a later run.
    dashboard = open_page("ui/pages/dashboard.py", token, evaluacion=str(aid))
    assert not dashboard.exception and "evaluacion_leida" not in dashboard.session_state


def test_only_one_draft_per_depth(app_env: str) -> None:
    token = make_firm(app_env)
    _start(token)
    at = logged_in(token)
    assert "start_expres" not in [b.key for b in at.button]
    assert "continue_expres" in [b.key for b in at.button]


def test_the_list_of_sections_saves_and_jumps_and_shows_where_the_firm_is(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(token, "completo")
    assert at.radio(key=f"goto_{aid}").value == 0
    assert at.radio(key=f"goto_{aid}").options == ["○ Económica · Estrategia", "○ Ambiental · Agua"]
    at.radio(key=f"goto_{aid}").set_value(1).run()
    assert at.subheader[0].value == "Agua" and at.radio(key=f"goto_{aid}").value == 1
    assert _assessment(app_env, aid).current_section == "agua"
    # A typed value that is not a number blocks the move; the list still shows this section.
    at.text_input(key=widget_key(aid, "agua_total")).input("mucha").run()
    at.radio(key=f"goto_{aid}").set_value(0).run()
    assert "Corrija los datos marcados" in texts(at)
    assert at.subheader[0].value == "Agua" and at.radio(key=f"goto_{aid}").value == 1
    # A valid value is saved on the way to the chosen section.
    at.text_input(key=widget_key(aid, "agua_total")).input("1000").run()
    at.radio(key=f"goto_{aid}").set_value(0).run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Estrategia" and at.radio(key=f"goto_{aid}").value == 0
    with _db(app_env) as database:
        assert load_answers(database, aid, firm_id)[0]["agua_total"] == 1000
    assert _assessment(app_env, aid).current_section == "estrategia"


def test_a_section_chosen_by_a_label_of_an_earlier_run_still_opens(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The browser may send the list's label as an earlier run drew it (the section's ✓/○
    mark changed since): the section is found by its name, not a crash."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.testing.v1.element_tree import Radio

    token = make_firm(app_env)
    at, aid = _start(token, "completo")
    sections = at.radio(key=f"goto_{aid}")
    assert sections.options[1] == "○ Ambiental · Agua"
    target = sections.id

    def stale(self) -> WidgetState:
        state = WidgetState()
        state.id = self.id
        state.string_value = "✓ Ambiental · Agua"  # drawn before, with another mark
        return state

    real = Radio._widget_state
    monkeypatch.setattr(
        Radio,
        "_widget_state",
        property(lambda self: stale(self) if self.id == target else real.fget(self)),
    )
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Agua"


def test_a_move_to_another_section_is_one_run_and_one_write(
    app_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """«Guardar y continuar», «Anterior» and the list move before drawing: the new section is
    drawn in the same run (no second run of the page) and the answer given on the way and the
    place to resume are saved in one write (issue 11: CPU per interaction)."""
    import storage.assessments
    import ui.assessment
    import ui.session

    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(token, "completo")
    reads, writes = [], []  # reads: the login and the assessment, once per run of the app
    real_read, real_write = ui.session._identity, storage.assessments.save_answers

    def counted_read(*args, **kwargs):
        reads.append(1)
        return real_read(*args, **kwargs)

    def counted_write(*args, **kwargs):
        writes.append(kwargs.get("current_section"))
        return real_write(*args, **kwargs)

    monkeypatch.setattr(ui.session, "_identity", counted_read)
    # The assessment comes with the login: no read of its own on the way.
    own_reads: list[int] = []
    real_row = ui.assessment.assessment_row

    def counted_row(*args, **kwargs):
        own_reads.append(1)
        return real_row(*args, **kwargs)

    monkeypatch.setattr(ui.assessment, "assessment_row", counted_row)
    monkeypatch.setattr(storage.assessments, "save_answers", counted_write)
    at.radio(key=widget_key(aid, "e1")).set_value(2)
    at.button(key=f"next_{aid}").click().run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Agua"
    assert (len(reads), writes) == (1, ["agua"])
    with _db(app_env) as database:
        assert load_answers(database, aid, firm_id)[0] == {"e1": 2}
    # The other section's widget values left session state (each radio and text box Streamlit
    # draws copies all of it), also the parts never drawn (an unanswered question's note).
    assert widget_key(aid, "e2", "nota") not in at.session_state
    assert widget_key(aid, "agua_total", "nota") in at.session_state
    reads.clear(), writes.clear()
    at.button(key=f"back_{aid}").click().run()
    assert at.subheader[0].value == "Estrategia"
    assert (len(reads), writes) == (1, ["estrategia"])
    assert at.radio(key=widget_key(aid, "e1")).value == 2  # the answer is back on screen
    reads.clear(), writes.clear()
    at.radio(key=f"goto_{aid}").set_value(1).run()
    assert at.subheader[0].value == "Agua" and at.radio(key=f"goto_{aid}").value == 1
    assert (len(reads), writes) == (1, ["agua"])
    assert own_reads == []  # three moves, the assessment read with the login each time
    reads.clear(), writes.clear()
    at.run()  # a plain rerun: the buttons' clicks are gone, nothing moves or is written
    assert at.subheader[0].value == "Agua" and (len(reads), writes) == (1, [])
    # A click of buttons drawn with another section (the second click of a double click that
    # arrives before the move's run drew this section) does not move again.
    at.session_state[f"nav_drawn_{aid}"] = 0
    at.button(key=f"back_{aid}").click().run()
    assert at.subheader[0].value == "Agua" and writes == []
    at.button(key=f"back_{aid}").click().run()  # now drawn here: it moves
    assert at.subheader[0].value == "Estrategia"


def test_a_blocked_move_still_saves_the_valid_answers(app_env: str) -> None:
    token = make_firm(app_env)
    firm_id = firm_id_for(app_env, token)
    at, aid = _start(token, "completo")
    at.radio(key=f"goto_{aid}").set_value(1).run()
    assert at.subheader[0].value == "Agua"
    # In one run: a valid answer, a number that is not one, and «Anterior».
    radio = next(r for r in at.radio if r.key.startswith(f"a{aid}_") and r.key.endswith("_v"))
    qid = radio.key.removeprefix(f"a{aid}_").removesuffix("_v")
    radio.set_value(radio.options[0])
    at.text_input(key=widget_key(aid, "agua_total")).input("mucha")
    at.button(key=f"back_{aid}").click().run()
    assert "Corrija los datos marcados" in texts(at) and at.subheader[0].value == "Agua"
    with _db(app_env) as database:
        saved = load_answers(database, aid, firm_id)[0]
    assert qid in saved and "agua_total" not in saved
