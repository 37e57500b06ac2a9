"""Staff pages in a real browser: the filter panel stays open while filtering; the list of
firms that share fits at 1 280 px and a click on any cell of a row opens the firm.

Runs its own server on a database with demo data and one staff account (the data of
``test_staff_access``); screenshots at 1280 and 390 px go to test-artifacts/e2e/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import MAIN, choose, wait_idle
from tests.e2e.test_staff_access import STAFF, _context, _login, _prepare

pytestmark = pytest.mark.e2e

FILTERS = "Filtros: periodo, sector, tamaño, región"


@pytest.fixture(scope="module")
def staff_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_staff_firms")
    url = f"sqlite:///{folder / 'staff.sqlite3'}"
    _prepare(url)
    with streamlit_server(folder, url) as address:
        yield address


def _choose_settled(page, label: str, option: str) -> None:
    """``choose``, once more if the open list was redrawn under the click (a rerun still
    finishing on a loaded machine detaches its options)."""
    try:
        page.set_default_timeout(10_000)
        choose(page, label, option)
    except PlaywrightTimeout:
        page.keyboard.press("Escape")
        wait_idle(page)
        choose(page, label, option)
    finally:
        page.set_default_timeout(30_000)


@pytest.mark.parametrize("width", [1280, 390])
def test_filter_panel_stays_open_while_filtering(
    browser, staff_app: str, artifacts: Path, width: int
) -> None:
    context = _context(browser, width)
    page = context.new_page()
    _login(page, staff_app, STAFF)
    wait_idle(page)
    page.get_by_text(FILTERS).click()
    expect(page.get_by_text("Periodo de envío")).to_be_visible()
    wait_idle(page)
    for label, option in (("Tamaño de empresa", "Micro"), ("Región", "Lima")):
        _choose_settled(page, label, option)
        wait_idle(page)
        expect(page.get_by_text("Periodo de envío")).to_be_visible()  # still open
    page.screenshot(path=str(artifacts / f"panel-sni-filtrando-{width}.png"))
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_firm_list_fits_and_a_row_opens_the_firm(
    browser, staff_app: str, artifacts: Path, width: int
) -> None:
    context = _context(browser, width)
    page = context.new_page()
    _login(page, staff_app, STAFF)
    page.goto(f"{staff_app}/staff-firms")
    wait_idle(page)
    grid = page.locator(f"{MAIN} [data-testid=stDataFrame]").first
    expect(grid).to_be_visible()
    scroll, client = page.evaluate(
        """() => { const s = document.querySelector('[data-testid=stDataFrame] .dvn-scroller');
                   return [s.scrollWidth, s.clientWidth]; }"""
    )
    if width == 1280:
        assert scroll <= client  # every column fits: no horizontal scroll bar
    page.screenshot(path=str(artifacts / f"empresas-lista-{width}.png"))
    box = grid.bounding_box()
    # A cell of the second data row, in the name column past the row's checkbox (the header
    # row is as tall as a row).
    row_height = 35
    page.mouse.click(box["x"] + 120, box["y"] + 2 * row_height + row_height / 2)
    wait_idle(page)
    expect(page.get_by_text("Informe y datos de una evaluación")).to_be_visible()
    expect(page.get_by_role("heading").filter(has_text="(DEMO)").first).to_be_visible()
    page.screenshot(path=str(artifacts / f"empresas-fila-abierta-{width}.png"))
    context.close()
