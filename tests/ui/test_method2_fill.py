"""Method 2.0 in the form: profile first (registered size read-only), the legal floor with its
norm and evidence, «No aplica» decided by the profile, and a required reason elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.assessments import load_answers, load_comments
from storage.db import make_engine, session_scope
from tests.ui.helpers import firm_id_for, logged_in, make_firm, open_page, texts
from ui.widgets import ANSWER_RULE, PROFILE_NA_LABEL, widget_key

ROOT = Path(__file__).resolve().parents[2]
METODO2 = ROOT / "tests" / "scoring" / "fixtures" / "metodo2.yaml"
REVIEW = "ui/pages/review.py"


@pytest.fixture(autouse=True)
def metodo2(monkeypatch: pytest.MonkeyPatch, app_env: str) -> str:
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(METODO2))
    return app_env


def _start(token: str):
    at = logged_in(token)
    at.button(key="start_expres").click().run()
    assert not at.exception, at.exception
    param = at.query_params["evaluacion"]
    return at, int(param[0] if isinstance(param, list) else param)


def _saved(url: str, aid: int, firm_id: int):
    engine = make_engine(url)
    with session_scope(engine) as database:
        answers, _ = load_answers(database, aid, firm_id)
        reasons = load_comments(database, aid, firm_id)
    engine.dispose()
    return answers, reasons


def _to_practice(at, aid: int):
    """Answer the profile (water not used, no hazardous waste) and the floor, then go on."""
    at.radio(key=widget_key(aid, "perfil_agua_proceso")).set_value("no").run()
    at.multiselect(key=widget_key(aid, "perfil_peligrosos")).set_value(["ninguno"]).run()
    at.button(key=f"next_{aid}").click().run()
    at.radio(key=widget_key(aid, "piso_iga")).set_value("si").run()
    at.radio(key=widget_key(aid, "piso_manifiestos")).set_value("no_corresponde").run()
    at.button(key=f"next_{aid}").click().run()
    assert not at.exception, at.exception
    return at


def test_profile_comes_first_with_the_registered_size_read_only(metodo2: str) -> None:
    token = make_firm(metodo2)
    firm_id = firm_id_for(metodo2, token)
    at, aid = _start(token)
    assert at.subheader[0].value == "Perfil de la empresa"
    size = at.radio(key=widget_key(aid, "perfil_tamano"))
    assert size.disabled
    assert size.value == "pequena"  # 5 million soles in sales: a small firm (Ley 30056)
    assert "Dato de su registro" in texts(at)
    assert _saved(metodo2, aid, firm_id)[0]["perfil_tamano"] == "pequena"


def test_floor_offers_no_corresponde_only_where_the_profile_allows(metodo2: str) -> None:
    token = make_firm(metodo2)
    firm_id = firm_id_for(metodo2, token)
    at, aid = _start(token)
    at.radio(key=widget_key(aid, "perfil_agua_proceso")).set_value("si").run()
    at.multiselect(key=widget_key(aid, "perfil_peligrosos")).set_value(["aceites_usados"]).run()
    at.button(key=f"next_{aid}").click().run()
    assert at.subheader[0].value == "Piso legal"
    iga = at.radio(key=widget_key(aid, "piso_iga"))
    assert iga.options == ["Sí, cumple", "No", "En trámite"]
    manifests = at.radio(key=widget_key(aid, "piso_manifiestos"))
    assert "No corresponde" not in manifests.options  # the firm generates hazardous waste
    shown = texts(at)
    assert "DS 017-2015-PRODUCE" in shown and "Resolución de aprobación" in shown
    assert "no pasa de «Inicial»" in shown
    iga.set_value("en_tramite").run()
    assert _saved(metodo2, aid, firm_id)[0]["piso_iga"] == "en_tramite"
    # Back to the profile: no hazardous waste, so «No corresponde» is offered now.
    at.button(key=f"back_{aid}").click().run()
    at.multiselect(key=widget_key(aid, "perfil_peligrosos")).set_value(["ninguno"]).run()
    at.button(key=f"next_{aid}").click().run()
    assert "No corresponde" in at.radio(key=widget_key(aid, "piso_manifiestos")).options


def test_floor_items_must_all_be_answered_before_sending(metodo2: str) -> None:
    token = make_firm(metodo2)
    at, aid = _start(token)
    at.radio(key=widget_key(aid, "perfil_agua_proceso")).set_value("si").run()
    review = open_page(REVIEW, token, evaluacion=str(aid))
    shown = texts(review)
    assert "Responda todos los requisitos del piso legal" in shown
    assert "¿Tiene su instrumento de gestión ambiental aprobado?" in shown
    assert review.button(key="submit_open").disabled


def test_profile_makes_practices_not_applicable_without_asking(metodo2: str) -> None:
    token = make_firm(metodo2)
    at, aid = _start(token)
    at = _to_practice(at, aid)
    keys = [r.key for r in at.radio]
    assert widget_key(aid, "agua_medicion") not in keys
    assert widget_key(aid, "res_segregacion") in keys
    shown = texts(at)
    assert f"«{PROFILE_NA_LABEL}»" in shown and "¿Mide su consumo de agua?" in shown
    assert ANSWER_RULE in shown


def test_no_aplica_needs_a_reason_that_is_saved(metodo2: str) -> None:
    token = make_firm(metodo2)
    firm_id = firm_id_for(metodo2, token)
    at, aid = _start(token)
    at = _to_practice(at, aid)
    reason_key = widget_key(aid, "res_valorizacion", "motivo")
    assert reason_key not in [t.key for t in at.text_input]
    at.radio(key=widget_key(aid, "res_valorizacion")).set_value("no_aplica").run()
    assert reason_key in [t.key for t in at.text_input]
    assert "Escriba el motivo" in texts(at)
    review = open_page(REVIEW, token, evaluacion=str(aid))
    assert "falta el motivo de «No aplica»" in texts(review)
    assert "Falta el motivo de 1 respuestas «No aplica»" in texts(review)
    at.text_input(key=reason_key).input("  Solo   vendemos chatarra limpia ").run()
    assert not at.exception, at.exception
    answers, reasons = _saved(metodo2, aid, firm_id)
    assert answers["res_valorizacion"] == "no_aplica"
    assert reasons == {"res_valorizacion": "Solo vendemos chatarra limpia"}
    review = open_page(REVIEW, token, evaluacion=str(aid))
    assert "falta el motivo" not in texts(review)
    # A reload shows the saved reason; choosing a level drops it.
    again = open_page("ui/pages/fill.py", token, evaluacion=str(aid))
    assert again.text_input(key=reason_key).value == "Solo vendemos chatarra limpia"
    again.radio(key=widget_key(aid, "res_valorizacion")).set_value(2).run()
    answers, reasons = _saved(metodo2, aid, firm_id)
    assert answers["res_valorizacion"] == 2 and reasons == {}
