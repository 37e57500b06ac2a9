"""Every page renders for the right role; access is checked on every page."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.ui.helpers import app, logged_in, make_firm, make_staff, open_page, texts
from ui.session import TOKEN_KEY

PUBLIC = [
    "ui/pages/method.py",
    "ui/pages/questionnaire.py",
    "ui/pages/login.py",
    "ui/pages/register.py",
]
FIRM = ["ui/pages/dashboard.py", "ui/pages/fill.py", "ui/pages/review.py", *PUBLIC[:2]]


def test_landing_renders_for_visitor() -> None:
    at = app().run()
    assert not at.exception
    assert "Brújula Circular" in at.title[0].value
    labels = [b.label for b in at.button]
    assert "Crear cuenta de empresa" in labels and "Ingresar" in labels


@pytest.mark.parametrize("page", PUBLIC)
def test_public_pages_render_for_visitor(page: str) -> None:
    at = open_page(page)
    assert not at.exception, at.exception


@pytest.mark.parametrize(
    "page", ["ui/pages/dashboard.py", "ui/pages/fill.py", "ui/pages/review.py"]
)
def test_visitor_opening_a_firm_page_is_asked_to_log_in(page: str) -> None:
    at = open_page(page)
    assert not at.exception
    assert "Inicie sesión para continuar." in [i.value for i in at.info]


@pytest.mark.parametrize("page", FIRM)
def test_firm_pages_render_for_a_firm(app_env: str, page: str) -> None:
    token = make_firm(app_env)
    at = logged_in(token, page)
    assert not at.exception, at.exception
    assert "Inicie sesión" not in texts(at)


def test_method_page_shows_levels_weights_routes_and_hash() -> None:
    at = open_page("ui/pages/method.py")
    shown = texts(at)
    for words in ("Lineal", "Circular", "R1", "R3", "nivel × 25", "No aplica", "No sé", "SHA-256"):
        assert words in shown, words
    assert len(at.dataframe) >= 2


def test_questionnaire_viewer_filters_by_depth() -> None:
    at = open_page("ui/pages/questionnaire.py")
    expres = texts(at)
    assert "¿Tiene estrategia?" in expres and "¿Repara productos?" not in expres
    at.segmented_control(key="viewer_depth").set_value("completo").run()
    assert "¿Repara productos?" in texts(at)
    assert "Integrado." in texts(at)  # the five level descriptions are listed


def _staff_probe() -> None:
    import streamlit as st

    from ui import session

    session.identify()
    session.require_staff()
    st.write("contenido del equipo")


def _probe(token: str | None) -> AppTest:
    at = AppTest.from_function(_staff_probe, default_timeout=30)
    if token:
        at.session_state[TOKEN_KEY] = token
    return at.run()


def test_firm_cannot_open_a_staff_page(app_env: str) -> None:
    at = _probe(make_firm(app_env))
    assert not at.exception
    assert "Esta página es solo para el equipo de SNI." in [e.value for e in at.error]
    assert "contenido del equipo" not in texts(at)


def test_staff_check_lets_staff_in_and_asks_visitors_to_log_in(app_env: str) -> None:
    assert "contenido del equipo" in texts(_probe(make_staff(app_env)))
    visitor = _probe(None)
    assert "contenido del equipo" not in texts(visitor)
    assert "Inicie sesión para continuar." in [i.value for i in visitor.info]


def test_staff_navigation_renders(app_env: str) -> None:
    at = logged_in(make_staff(app_env))
    assert not at.exception, at.exception
