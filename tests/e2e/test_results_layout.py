"""Results page in Chromium (issue 10, items 3 and 5): on a phone the PDF button and the plan's
first action are within three screens of the top, the radar fits its column with every label
inside it on phone and desktop, and two assessments of one day keep their order."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.results_data import FIRM_RUC, PASSWORD, prepare
from tests.e2e.test_firm_journey import MAIN, wait_idle

pytestmark = pytest.mark.e2e

PHONE = (390, 844)
DESKTOP = (1280, 800)
RADAR_TITLE = "Perfil por dimensión"
WAIT = 60_000  # ms: a shared, loaded machine; charts in a tab draw when it opens
# Distance from the top of the main area, whatever it has scrolled.
_FROM_TOP = """(el) => {
  const main = document.querySelector('[data-testid=stMain]');
  return el.getBoundingClientRect().top - main.getBoundingClientRect().top + main.scrollTop;
}"""
# The radar's box, its plot's square, its column's box and the box of every text it draws.
_BOXES = """(chart) => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {left: r.left, right: r.right, top: r.top, bottom: r.bottom, text: el.textContent}; };
  const svg = chart.querySelector('svg');
  return {
    svg: box(svg),
    plot: box(svg.querySelector('.role-scope path.background')),
    column: box(document.querySelector('[data-testid=stMainBlockContainer]')),
    texts: [...svg.querySelectorAll('text')].filter(t => t.textContent.trim()).map(box),
  };
}"""


@pytest.fixture(scope="module")
def results_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_results")
    url = f"sqlite:///{folder / 'results.sqlite3'}"
    prepare(url)
    with streamlit_server(folder, url) as address:
        yield address


def _results(browser, address: str, size: tuple[int, int]):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="es-PE")
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{address}/ingresar")
    wait_idle(page)
    page.get_by_role("textbox", name="RUC o correo").fill(FIRM_RUC)
    page.get_by_role("textbox", name="Contraseña").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Ingresar", exact=True).click()
    wait_idle(page)
    page.goto(f"{address}/resultados")
    wait_idle(page)
    expect(page.locator(f"{MAIN} h1").first).to_have_text(
        "Resultados de su evaluación", timeout=WAIT
    )
    return context, page


def test_phone_reaches_downloads_and_plan_within_three_screens(
    browser, results_app: str, artifacts: Path
) -> None:
    context, page = _results(browser, results_app, PHONE)
    pdf = page.locator("[data-testid=stDownloadButton]", has_text="Informe PDF")
    first_action = page.locator(f"{MAIN} [class*=st-key-accion_]").first
    expect(pdf).to_be_visible(timeout=WAIT)
    expect(first_action).to_be_visible(timeout=WAIT)
    screens = 3 * PHONE[1]
    assert pdf.evaluate(_FROM_TOP) < screens
    assert first_action.evaluate(_FROM_TOP) < screens
    expect(first_action).to_contain_text("Siguiente paso", timeout=WAIT)
    page.screenshot(path=str(artifacts / "resultados-telefono-arriba.png"))
    context.close()


@pytest.mark.parametrize("size", [PHONE, DESKTOP], ids=["telefono", "escritorio"])
def test_radar_fits_and_no_label_is_cut(
    browser, results_app: str, artifacts: Path, size: tuple[int, int]
) -> None:
    context, page = _results(browser, results_app, size)
    page.get_by_role("tab", name="Puntajes").click()
    radar = page.locator("[data-testid=stVegaLiteChart]").filter(
        has=page.locator("svg text", has_text=RADAR_TITLE)
    )
    expect(radar).to_have_count(1, timeout=WAIT)
    radar.scroll_into_view_if_needed()
    boxes = radar.evaluate(_BOXES)
    svg, column = boxes["svg"], boxes["column"]
    assert column["left"] <= svg["left"] and svg["right"] <= column["right"]
    names = {t["text"] for t in boxes["texts"]}
    assert RADAR_TITLE in names and any(n.startswith("Ambiental") for n in names)
    slack = 2  # px: a glyph's ascent may poke a pixel above the SVG's top edge
    for text in boxes["texts"]:
        assert svg["left"] - slack <= text["left"] and text["right"] <= svg["right"] + slack, text
        assert svg["top"] - slack <= text["top"] and text["bottom"] <= svg["bottom"] + slack, text
    # The axis names sit inside the plot's own square, so no font's width can push them out.
    plot = boxes["plot"]
    for text in [
        t for t in boxes["texts"] if t["text"].startswith(("Económica", "Social", "Ambiental"))
    ]:
        assert plot["left"] - slack <= text["left"] and text["right"] <= plot["right"] + slack, text
        assert plot["top"] - slack <= text["top"] and text["bottom"] <= plot["bottom"] + slack, text
    radar.screenshot(path=str(artifacts / f"radar-{size[0]}.png"))
    context.close()


def test_same_day_history_reads_as_a_rise(browser, results_app: str) -> None:
    context, page = _results(browser, results_app, PHONE)
    page.get_by_role("tab", name="Evolución").click()
    reading = page.get_by_text("Lectura: Su puntaje global")
    expect(reading).to_contain_text("subió", timeout=WAIT)
    expect(reading).not_to_contain_text("bajó")
    context.close()
