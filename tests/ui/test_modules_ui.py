"""Sector modules in the firm's journey: the module of its CIIU division is said on Mi panel
before it starts, a second one may be added, and the new assessment uses core + modules."""

import pytest
from sqlalchemy import select

from scoring.catalog import available_modules, default_questionnaire, with_modules
from storage.db import make_engine, session_scope
from storage.models import Assessment
from tests.ui.helpers import firm_id_for, logged_in, make_firm, texts

DASHBOARD = "ui/pages/dashboard.py"


@pytest.fixture(autouse=True)
def base_questionnaire(app_env, monkeypatch):
    """Modules extend the shipped base questionnaire, not the mini one of the other UI tests."""
    monkeypatch.delenv("BRUJULA_CUESTIONARIO")


def _hashes(url: str, firm_id: int) -> list[str]:
    engine = make_engine(url)
    with session_scope(engine) as database:
        found = database.scalars(
            select(Assessment.questionnaire_hash).where(Assessment.firm_id == firm_id)
        ).all()
    engine.dispose()
    return list(found)


def _merged_hash(*ids: str) -> str:
    return with_modules(default_questionnaire(), available_modules(), list(ids)).content_hash


def test_division_module_is_announced_and_used(app_env):
    token = make_firm(app_env, ciiu_division=13, razon_social="Tejidos Andinos S.A.C.")
    at = logged_in(token, DASHBOARD)
    assert not at.exception
    shown = texts(at)
    assert "módulo **Textil y confecciones**" in shown and "CIIU 13" in shown
    assert "+ módulo Textil y confecciones 1.0.0" in shown
    at.button(key="start_expres").click().run()
    assert not at.exception
    firm_id = firm_id_for(app_env, token)
    assert _hashes(app_env, firm_id) == [_merged_hash("textil")]
    assert _merged_hash("textil") != default_questionnaire().content_hash


def test_firm_without_a_division_module_can_add_one(app_env):
    token = make_firm(app_env, ciiu_division=15, razon_social="Curtiembre Norte S.A.C.")
    at = logged_in(token, DASHBOARD)
    assert "todavía no hay un módulo sectorial" in texts(at)
    choice = at.selectbox(key="segundo_modulo")
    assert choice.value == ""
    assert any("Textil y confecciones (CIIU 13, 14)" in o for o in choice.options)
    choice.set_value("textil").run()
    at.button(key="start_completo").click().run()
    assert not at.exception
    assert _hashes(app_env, firm_id_for(app_env, token)) == [_merged_hash("textil")]


def test_no_module_chosen_uses_the_base_questionnaire(app_env):
    token = make_firm(app_env, ciiu_division=15)
    at = logged_in(token, DASHBOARD)
    at.button(key="start_expres").click().run()
    assert _hashes(app_env, firm_id_for(app_env, token)) == [default_questionnaire().content_hash]


def test_public_questionnaire_shows_a_module(app_env):
    from tests.ui.helpers import app

    at = app().run()
    at = at.switch_page("ui/pages/questionnaire.py").run()
    assert not at.exception
    base_count = at.caption[0].value
    at.selectbox(key="viewer_module").set_value("textil").run()
    assert not at.exception
    assert "+ módulo Textil y confecciones 1.0.0" in at.caption[0].value
    assert at.caption[0].value != base_count
    labels = [e.label for e in at.expander]
    assert any("Corte y retazos" in label and "módulo Textil" in label for label in labels)
    assert "Materialidad" in texts(at) and "Circuitos de agua × 1,5;" in texts(at)


def test_methodology_explains_modules_and_lists_each(app_env):
    from tests.ui.helpers import app

    at = app().run()
    at = at.switch_page("ui/pages/method.py").run()
    assert not at.exception
    assert "Módulos sectoriales" in [s.value for s in at.subheader]
    assert any("Textil y confecciones (CIIU 13, 14)" in e.label for e in at.expander)
    assert "mismo módulo y la misma versión" in texts(at)
