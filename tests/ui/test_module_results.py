"""A sector module on the results page: its own section (scope, materiality, themes with their
band, its indicators), and its indicators compared with the firms of the same module and
version whatever their CIIU division, never with the division only."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import streamlit as st

from scoring import compile_questionnaire, load_questionnaire, privacy, score_assessment
from scoring.modules import load_module, merge
from scoring.peru import ruc_check_digit
from storage.accounts import register_firm
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.db import make_engine, migrate, session_scope
from storage.results_table import store_result_vector
from storage.sessions import open_session
from tests.scoring.test_method2 import EXAMPLE
from tests.ui.helpers import firm_account, open_page, texts

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "tests" / "scoring" / "fixtures" / "metodo2.yaml"
MODULE = ROOT / "tests" / "scoring" / "fixtures" / "modulo_prueba.yaml"
RESULTS = "ui/pages/results.py"


@pytest.fixture(autouse=True)
def _negligible_noise():
    """What the page shows, not the noise (tested in tests/scoring/test_privacy.py)."""
    huge = 1e6
    privacy.reset(privacy.PrivacyConfig(huge, huge, huge, 0.5, huge))
    yield
    privacy.reset()


@pytest.fixture
def merged(app_env, monkeypatch):
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(CORE))
    st.cache_resource.clear()
    return merge(load_questionnaire(CORE), [load_module(MODULE)])


def _firm(database, number: int, division: int):
    first_ten = f"20{number:08d}"
    firm = register_firm(
        database,
        {
            "ruc": first_ten + str(ruc_check_digit(first_ten)),
            "razon_social": f"Confecciones {number} S.A.C.",
            "ciiu_division": division,
            "region": "Lima Metropolitana",
            "annual_sales": 2_000_000,
            "sales_year": 2025,
            "workers": 25,
            "email": f"c{number}@ejemplo.pe",
            "password": "clave-segura-123",
            "consent_statistics": True,
        },
    )
    firm.verified_at = dt.datetime.now(dt.UTC)
    database.flush()
    return firm


def _submit(database, loaded, firm_id: int, retazo: float) -> int:
    compiled = compile_questionnaire(loaded, "completo")
    answers = {**EXAMPLE, "mod_tizado": 2, "mod_retazo_kg": retazo, "mod_prendas": 10000}
    assessment = start_assessment(database, firm_id, loaded, "completo")
    save_answers(database, assessment.id, firm_id, answers, {})
    result = score_assessment(compiled, answers)
    submit(database, assessment.id, firm_id, result_summary(result))
    store_result_vector(database, assessment.id, compiled, result)
    return assessment.id


def _page(url: str, merged, peers: list[tuple[int, float]]):
    migrate(url)
    engine = make_engine(url)
    with session_scope(engine) as database:
        me = _firm(database, 1, 13)
        aid = _submit(database, merged, me.id, 1500)  # 150 kg per 1 000 garments
        for number, (division, retazo) in enumerate(peers, start=2):
            other = _firm(database, number, division)
            _submit(database, merged, other.id, retazo)
        token = open_session(database, firm_account(database, me.id))
    engine.dispose()
    at = open_page(RESULTS, token, evaluacion=str(aid))
    assert not at.exception, at.exception
    return at, texts(at)


def test_module_section_with_scope_materiality_themes_and_indicator(app_env, merged):
    at, shown = _page(app_env, merged, [])
    assert "Módulo sectorial: Corte de prueba" in [s.value for s in at.subheader]
    assert "Módulo para la división CIIU 13 y la clase CIIU 1410 · versión 1.0.0" in shown
    assert "Circuitos de agua" not in shown  # the fixture's core theme is «Agua»
    assert "Agua (peso × 2)" in shown
    table = next(d.value for d in at.dataframe if "Eje del módulo" in d.value.columns)
    assert list(table["Eje del módulo"]) == ["Corte"]
    assert list(table["Puntaje (0–100)"]) == ["50,0"]
    # The module's indicator sits in the module section, once, compared within the module.
    assert shown.count("**Retazo por 1 000 prendas:**") == 1
    assert "En su módulo: sin comparación: menos de 5 empresas del módulo Corte de prueba" in (
        shown
    )


def test_module_indicator_compared_with_the_module_across_divisions(app_env, merged):
    # Five other firms of the module: two in division 13, three in 14 (the module covers 1410).
    peers = [(13, 1000), (13, 2000), (14, 3000), (14, 4000), (14, 500)]
    _, shown = _page(app_env, merged, peers)
    # 150 kg per 1 000 garments, less is better: worse are 200, 300, 400 → 3 of 5 = 60 %.
    assert "En su módulo: mejor que el 60 % de 5 empresas del módulo Corte de prueba" in shown


def test_staff_panel_picks_the_module_version_and_shows_its_indicators(app_env, merged):
    from tests.ui.helpers import make_staff

    migrate(app_env)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        for number, retazo in enumerate([1000, 1500, 2000, 2500, 3000, 3500], start=1):
            firm = _firm(database, number, 13 + number % 2)
            _submit(database, merged, firm.id, retazo)
    engine.dispose()
    at = open_page("ui/pages/staff_dashboard.py", make_staff(app_env))
    assert not at.exception, at.exception
    version = at.selectbox(key="sni_version")
    labels = [str(o) for o in version.options]
    assert any("+ módulo Corte de prueba 1.0.0" in label for label in labels), labels
    assert any("sin módulo sectorial (vigente)" in label for label in labels), labels
    version.set_value(merged.content_hash).run()
    assert not at.exception, at.exception
    shown = "\n".join(str(t.value) for t in at.table)
    assert "Retazo por 1 000 prendas (kg por 1 000 prendas)" in shown
