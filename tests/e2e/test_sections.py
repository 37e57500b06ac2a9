"""Issue 10, item 1: after «Guardar y continuar» or «Anterior» the new section opens at its
heading, with the focus on it, on a desktop and on a phone (Streamlit keeps the scroll position
across reruns, which left the heading thousands of pixels above the screen)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from storage.accounts import FirmRegistration, register_firm
from storage.db import make_engine, migrate, session_scope
from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import (
    _TWO_FRAMES,
    MAIN,
    QUESTION_RADIOS,
    answered,
    click_and_wait,
    expect_title,
    section_marker,
    wait_idle,
)

pytestmark = pytest.mark.e2e

PASSWORD = "clave-segura-123"
RUCS = {1280: "20100070970", 390: "20600000013"}  # one firm per width: each starts afresh


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_secciones")
    url = f"sqlite:///{folder / 'secciones.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with session_scope(engine) as database:
        for ruc in RUCS.values():
            register_firm(
                database,
                FirmRegistration(
                    ruc=ruc,
                    razon_social="Plásticos del Sur S.A.C.",
                    ciiu_division=22,
                    region="Arequipa",
                    annual_sales=5_000_000,
                    sales_year=2025,
                    workers=40,
                    email="gerencia@plasticos.pe",
                    password=PASSWORD,
                ),
            )
    engine.dispose()
    with streamlit_server(folder, url) as address:
        yield address


# Where the current section's heading is, and whether it holds the focus.
_HEADING_STATE = """() => {
  const heading = document.querySelector('[class*="st-key-seccion_titulo_"] h3');
  if (!heading) return null;
  const box = heading.getBoundingClientRect();
  return {
    text: heading.textContent.trim(),
    top: box.top,
    bottom: box.bottom,
    height: window.innerHeight,
    focused: document.activeElement === heading,
  };
}"""


def _to_bottom(page) -> None:
    """Scroll to the navigation buttons at the end of the section, as a user does."""
    page.get_by_role("button", name="Anterior").scroll_into_view_if_needed()


def _assert_opened_at(page, title: str) -> None:
    expect(page.locator(f"{MAIN} [class*=st-key-seccion_titulo_] h3")).to_have_text(title)
    wait_idle(page)
    page.wait_for_function(f"() => ({_HEADING_STATE})()?.focused === true")
    state = page.evaluate(_HEADING_STATE)
    assert state["text"] == title
    assert state["top"] >= 0 and state["bottom"] <= state["height"], state
    assert state["focused"], state
    page.evaluate(_TWO_FRAMES)  # let React finish the frame the focus changed


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_sections_open_at_their_heading_with_focus(
    browser, server: str, artifacts: Path, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="es-PE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{server}/ingresar")
    wait_idle(page)
    page.get_by_role("textbox", name="RUC o correo").fill(RUCS[width])
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar", exact=True).click()
    page.wait_for_url("**/panel*")
    expect_title(page, "Mi panel")
    click_and_wait(page, page.get_by_role("button", name="Iniciar evaluación Exprés"))
    expect_title(page, "Llenar evaluación")
    expect(section_marker(page)).to_contain_text("Sección 1 de")

    # The profile is long: at its end, the heading is far above the screen.
    _to_bottom(page)
    assert page.evaluate(_HEADING_STATE)["bottom"] < 0
    page.get_by_role("button", name="Guardar y continuar").click()
    expect(section_marker(page)).to_contain_text("Sección 2 de")
    _assert_opened_at(page, "Piso legal")
    page.screenshot(path=str(artifacts / f"seccion-siguiente-{width}.png"))

    _to_bottom(page)
    assert page.evaluate(_HEADING_STATE)["bottom"] < 0
    page.get_by_role("button", name="Guardar y continuar").click()
    expect(section_marker(page)).to_contain_text("Sección 3 de")
    third = page.locator(f"{MAIN} [class*=st-key-seccion_titulo_] h3").inner_text()
    _assert_opened_at(page, third)

    _to_bottom(page)
    page.get_by_role("button", name="Anterior").click()
    expect(section_marker(page)).to_contain_text("Sección 2 de")
    _assert_opened_at(page, "Piso legal")
    page.screenshot(path=str(artifacts / f"seccion-anterior-{width}.png"))

    # The focus on the heading does not swallow the next answer: it is saved at once.
    before = answered(page)
    click_and_wait(page, page.locator(f"{QUESTION_RADIOS} [role=radiogroup] label").first)
    expect(page.locator(f"{MAIN} [data-testid=stProgress]").first).to_contain_text(
        f"Avance: {before + 1} de"
    )

    # The list of sections: one radio group, this section chosen; another one opens there.
    section_marker(page).click()
    sections = page.get_by_role("radiogroup", name="Ir a la sección")
    expect(sections.get_by_role("radio", checked=True)).to_have_count(1)
    expect(sections.get_by_role("radio").nth(1)).to_be_checked()
    expect(sections.locator("label").last).to_be_visible()
    page.wait_for_timeout(400)  # the expander's opening animation
    page.screenshot(path=str(artifacts / f"lista-secciones-{width}.png"), full_page=True)
    third_option = sections.locator("label").nth(2)
    expect(third_option).to_contain_text(third)
    third_option.click()
    expect(section_marker(page)).to_contain_text("Sección 3 de")
    _assert_opened_at(page, third)
    context.close()
