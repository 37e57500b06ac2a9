"""The form's pure helpers: pages, visibility and progress (no Streamlit run needed)."""

from __future__ import annotations

from pathlib import Path

from scoring import compile_questionnaire
from scoring.loader import load_questionnaire
from ui.formstate import form_pages, progress, section_statuses

MINI = Path(__file__).resolve().parents[1] / "scoring" / "fixtures" / "mini.yaml"


def test_skip_conditions_decide_what_counts():
    compiled = compile_questionnaire(load_questionnaire(MINI), "completo")
    dry = section_statuses(compiled, {"e1": 2, "usa_agua": "no", "a1": 3})
    wet = section_statuses(compiled, {"e1": 2, "usa_agua": "si", "a1": 3})
    visible = {q.id for s in dry for q in s.visible}
    assert "a1" not in visible and "usa_agua" in visible
    assert "a1" in {q.id for s in wet for q in s.visible}
    # The hidden answer is neither answered nor applicable; a blank answer is not answered.
    assert progress(dry)[0] == progress(wet)[0] - 1
    assert progress(dry)[1] == progress(wet)[1] - 1
    assert progress(section_statuses(compiled, {"e1": "", "usa_agua": None}))[0] == 0


def test_pages_are_built_once_per_compiled_questionnaire():
    loaded = load_questionnaire(MINI)
    compiled = compile_questionnaire(loaded, "completo")
    assert form_pages(compiled) is form_pages(compiled)
    other = compile_questionnaire(loaded, "expres")
    assert [p.id for p in form_pages(other)] == [p.id for p in form_pages(other)]
    assert form_pages(other) is not form_pages(compiled)


def test_saved_numbers_show_in_spanish_without_trailing_zeros():
    from ui.formstate import number_text

    assert number_text(1500, 2) == "1\u00a0500"
    assert number_text(1234.5, 2) == "1\u00a0234,5"
    assert number_text(0.125, 3) == "0,125"
    assert number_text("no_se", 2) == ""


def test_number_answers_respect_the_questions_decimals():
    from scoring.schema import NumberQuestion
    from ui.formstate import parse_number_answer

    question = NumberQuestion(
        id="trabajadores",
        tipo="numero",
        texto="Trabajadores",
        ruta="R1",
        unidad="personas",
        minimo=0,
        maximo=10000,
        decimales=0,
    )
    assert parse_number_answer(question, "1 234") == (1234.0, None)
    value, message = parse_number_answer(question, "12,5")
    assert value is None and "sin decimales" in message


def test_only_widgets_changed_in_this_session_are_saved():
    from ui.formstate import CHANGED, FILL, KEEP, widget_sync

    drawn = {"v": 2, "motivo": ""}
    # Never drawn (or dropped with its section): show what the database holds.
    assert widget_sync(None, None, {"v": 3}) == FILL
    assert widget_sync(None, drawn, {"v": 3}) == FILL
    # Untouched: kept while the database agrees, refreshed when another tab changed it.
    assert widget_sync({"v": 2, "motivo": ""}, drawn, drawn) == KEEP
    assert widget_sync({"v": 2, "motivo": ""}, drawn, {"v": None, "motivo": ""}) == FILL
    # A reason box that is not drawn (no «No aplica») is not a change.
    assert widget_sync({"v": 2}, drawn, drawn) == KEEP
    # Changed here: saved, whatever the database holds.
    assert widget_sync({"v": 4, "motivo": ""}, drawn, drawn) == CHANGED
    assert widget_sync({"v": 2, "motivo": "sin calderas"}, drawn, {"v": 1}) == CHANGED
