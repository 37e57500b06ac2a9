"""Staff pages in a real browser: a firm user and a visitor are turned away; staff sees the panel.

Runs its own server on a database with demo data, one firm account and one staff account, and
saves screenshots of the panel at 1280 and 390 px wide in test-artifacts/e2e/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from scoring import compile_questionnaire
from scoring.catalog import default_questionnaire
from storage.accounts import FirmRegistration, create_staff, register_firm
from storage.db import make_engine, migrate, session_scope
from storage.demo import create_demo
from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import MAIN, wait_idle

pytestmark = pytest.mark.e2e

PASSWORD = "clave-segura-123"
FIRM_RUC = "20100070970"
STAFF = "analista@sni.org.pe"
STAFF_PATHS = ("staff-dashboard", "staff-firms", "staff-export")
REFUSED = "Esta página es solo para el equipo de SNI."


def _prepare(url: str) -> None:
    migrate(url)
    engine = make_engine(url)
    loaded = default_questionnaire()
    compiled = {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}
    with session_scope(engine) as database:
        create_demo(database, compiled, firms=80, seed=11)
        register_firm(
            database,
            FirmRegistration(
                ruc=FIRM_RUC,
                razon_social="Plásticos del Sur S.A.C.",
                ciiu_division=22,
                region="Arequipa",
                annual_sales=5_000_000,
                sales_year=2025,
                workers=40,
                email="gerencia@plasticos.pe",
                password=PASSWORD,
                consent_share_sni=True,
                consent_statistics=True,
            ),
        )
        create_staff(database, STAFF, "Ana Analista", PASSWORD)
    engine.dispose()


@pytest.fixture(scope="module")
def staff_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_staff")
    url = f"sqlite:///{folder / 'staff.sqlite3'}"
    _prepare(url)
    with streamlit_server(folder, url) as address:
        yield address


def _context(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="es-PE")
    context.set_default_timeout(30_000)
    return context


def _login(page, address: str, login: str) -> None:
    page.goto(f"{address}/ingresar")
    wait_idle(page)
    page.get_by_role("textbox", name="RUC o correo").fill(login)
    page.get_by_role("textbox", name="Contraseña").fill(PASSWORD)
    # The form posts to the server (/sesion), which sets the cookie and redirects: a new page.
    with page.expect_navigation():
        page.get_by_role("button", name="Ingresar", exact=True).click()
    wait_idle(page)


def test_firm_user_cannot_reach_staff_pages(browser, staff_app: str) -> None:
    context = _context(browser, 390)
    page = context.new_page()
    _login(page, staff_app, FIRM_RUC)
    expect(page.locator(f"{MAIN} h1").first).not_to_have_text("Ingresar")
    assert page.locator('a[href*="staff-"]').count() == 0  # not listed in the navigation
    for path in STAFF_PATHS:
        page.goto(f"{staff_app}/{path}")
        wait_idle(page)
        expect(page.get_by_text(REFUSED)).to_be_visible()
        expect(page.get_by_text("Panel SNI")).to_have_count(0)
        expect(page.locator("[data-testid=stVegaLiteChart]")).to_have_count(0)
    context.close()


def test_visitor_is_asked_to_log_in(browser, staff_app: str) -> None:
    context = _context(browser, 390)
    page = context.new_page()
    for path in STAFF_PATHS:
        page.goto(f"{staff_app}/{path}")
        wait_idle(page)
        expect(page.get_by_text("Inicie sesión para continuar.")).to_be_visible()
        expect(page.locator("[data-testid=stVegaLiteChart]")).to_have_count(0)
    context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_staff_sees_the_panel(browser, staff_app: str, artifacts: Path, width: int) -> None:
    context = _context(browser, width)
    page = context.new_page()
    _login(page, staff_app, STAFF)
    expect(page.locator(f"{MAIN} h1").first).to_have_text("Panel SNI")
    wait_idle(page)
    charts = page.locator("[data-testid=stVegaLiteChart]")
    expect(charts.first).to_be_visible()
    # Charts mount one by one after the script has finished: wait for them, don't sample once.
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=stVegaLiteChart]').length >= 6"
    )
    page.screenshot(path=str(artifacts / f"panel-sni-{width}.png"), full_page=True)
    page.get_by_text("Filtros: periodo, sector, tamaño, región").click()  # no rerun
    expect(page.get_by_text("Periodo de envío")).to_be_visible()
    page.screenshot(path=str(artifacts / f"panel-sni-filtros-{width}.png"))
    context.close()
