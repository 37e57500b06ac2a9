"""Every page renders for the right role; access is checked on every page."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from scoring.numbers import format_number_es
from servidor import is_media, spanish_index
from tests.ui.helpers import app, logged_in, make_firm, make_staff, open_page, texts
from ui.session import TOKEN_KEY
from ui.widgets import accessible_spec, count_es

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
    # Plain tables (they wrap at 390 px and carry no English toolbar), one per dimension.
    assert len(at.table) == 2 and len(at.dataframe) == 0
    assert "Preguntas (Exprés / Completa)" in at.table[0].value.columns


def test_method_page_reads_formulas_in_words() -> None:
    shown = texts(open_page("ui/pages/method.py"))
    assert "agua_reusada" not in shown  # never the bare ids of the formula
    assert "**Agua circular** (%, ruta R3): «Agua reutilizada» entre «Agua usada» por 100" in shown


def test_questionnaire_viewer_filters_by_depth() -> None:
    at = open_page("ui/pages/questionnaire.py")
    expres = texts(at)
    assert "¿Tiene estrategia?" in expres and "¿Repara productos?" not in expres
    at.segmented_control(key="viewer_depth").set_value("completo").run()
    assert "¿Repara productos?" in texts(at)
    assert "Integrado." in texts(at)  # the five level descriptions are listed


def test_questionnaire_counts_in_singular_and_plural() -> None:
    at = open_page("ui/pages/questionnaire.py")
    labels = [e.label for e in at.expander]
    assert any(label.endswith("· 1 pregunta") for label in labels), labels
    assert not any("1 preguntas" in label for label in labels), labels
    assert any(label.endswith("· 2 preguntas") for label in labels), labels


def test_count_es_singular_plural_and_spanish_number() -> None:
    assert count_es(1, "pregunta", "preguntas") == "1 pregunta"
    assert count_es(0, "pregunta", "preguntas") == "0 preguntas"
    assert count_es(1234, "pregunta", "preguntas") == f"{format_number_es(1234, 0)} preguntas"


def test_charts_get_a_text_alternative_and_quiet_marks() -> None:
    spec = {"mark": "bar", "title": {"text": ["Puntaje por", "dimensión"]}, "config": {"x": 1}}
    described = accessible_spec(spec, "  La más débil es la  ambiental. ")
    assert described["description"] == "La más débil es la ambiental."
    assert described["config"] == {"x": 1, "aria": False, "mark": {"aria": False}}
    assert accessible_spec(spec, None)["description"] == "Puntaje por dimensión"  # its title
    assert "description" not in spec  # the caller's spec is left alone


def test_server_serves_the_page_in_spanish() -> None:
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    page = spanish_index(index.read_bytes()).decode("utf-8")
    assert '<html lang="es">' in page and 'lang="en"' not in page
    assert "<title>Brújula Circular</title>" in page
    assert "You need to enable JavaScript" not in page and "Active JavaScript" in page
    script = page.split("</head>")[0].rsplit("<script>", 1)[1]  # ours, last in the head
    assert '"Press Enter to apply": "Pulse Enter para aplicar"' in script
    assert "Help for (.+)" in script


def test_streamlit_fonts_are_not_taken_for_downloads() -> None:
    assert not is_media("/static/media/MaterialSymbols-Rounded.nEdyypZU.woff2")
    assert is_media("/media/abc123.pdf") and is_media("/app/media/abc123.pdf")


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
