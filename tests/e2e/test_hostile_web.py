"""Hostile input in a real browser (issue 12): URLs typed by a firm stay text, never a live link;
a bad ``?evaluacion=`` and a database that is down give a Spanish message, never a traceback.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from storage.accounts import FirmRegistration, register_firm
from storage.db import make_engine, migrate, session_scope
from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import MAIN, wait_idle
from ui.session import COOKIE_NAME

pytestmark = pytest.mark.e2e

PASSWORD = "clave-segura-123"
RUC = "20100070970"
HOSTILE_NAME = "https://malo.example www.malo.example"
HOSTILE_EMAIL = "ventas@www.malo.example"
TRACEBACK_WORDS = ("Traceback", 'File "', "sqlalchemy", "psycopg", "OperationalError", "SELECT")


def _prepare(url: str) -> None:
    migrate(url)
    engine = make_engine(url)
    with session_scope(engine) as database:
        register_firm(
            database,
            FirmRegistration(
                ruc=RUC,
                razon_social=HOSTILE_NAME,
                ciiu_division=22,
                region="Arequipa",
                annual_sales=5_000_000,
                sales_year=2025,
                workers=40,
                email=HOSTILE_EMAIL,
                password=PASSWORD,
                consent_share_sni=True,
                consent_statistics=True,
            ),
        )
    engine.dispose()


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_hostil")
    url = f"sqlite:///{folder / 'hostil.sqlite3'}"
    _prepare(url)
    with streamlit_server(folder, url) as address:
        yield address


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # released on exit: nothing listens there


def _no_traceback(page) -> None:
    body = page.locator("body").inner_text()
    for word in TRACEBACK_WORDS:
        assert word not in body, f"«{word}» visible en la página:\n{body[:2000]}"
    expect(page.locator("[data-testid=stException]")).to_have_count(0)


def test_urls_in_a_firm_name_are_not_links(browser, hostile_app: str, artifacts: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-PE")
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{hostile_app}/ingresar")
    wait_idle(page)
    page.get_by_role("textbox", name="RUC o correo").fill(RUC)
    page.get_by_role("textbox", name="Contraseña").fill(PASSWORD)
    # The form posts to the server (/sesion), which sets the cookie and redirects: a new page.
    with page.expect_navigation():
        page.get_by_role("button", name="Ingresar", exact=True).click()
    wait_idle(page)
    for path in ("panel", "mi-empresa"):
        page.goto(f"{hostile_app}/{path}")
        wait_idle(page)
        main = page.locator(MAIN)
        # The name is on the page, as typed (the word joiners are invisible) …
        shown = main.inner_text().replace("\u2060", "")
        assert "malo.example" in shown and "https://malo.example" in shown, shown[:800]
        # … and nothing on the page links anywhere near it.
        assert main.locator('a[href*="malo"]').count() == 0
        links = main.locator("a").evaluate_all("els => els.map(e => e.textContent)")
        assert not [text for text in links if "malo" in text], links
        page.screenshot(path=str(artifacts / f"hostil-enlaces-{path}.png"), full_page=True)
    # A bad ?evaluacion= on the pages that take one: a Spanish message, never a traceback.
    for path in ("llenar", "revision", "resultados"):
        for value in ("99999999999999999999999", "-5", "abc"):
            page.goto(f"{hostile_app}/{path}?evaluacion={value}")
            wait_idle(page)
            expect(page.get_by_text("No encontramos esa evaluación.")).to_be_visible()
            _no_traceback(page)
    context.close()


def test_database_down_shows_a_spanish_page(browser, tmp_path: Path, artifacts: Path) -> None:
    _require_chromium()
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
    with streamlit_server(tmp_path, url) as address:
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-PE")
        context.set_default_timeout(30_000)
        # A returning user: the session cookie makes every page ask the database who it is.
        token = secrets.token_urlsafe(32)  # well formed, so the page asks the database
        context.add_cookies([{"name": COOKIE_NAME, "value": token, "url": address}])
        page = context.new_page()
        for path in ("", "panel", "resultados?evaluacion=1"):
            page.goto(f"{address}/{path}")
            wait_idle(page)
            expect(page.get_by_text("No podemos conectarnos con la base de datos")).to_be_visible()
            expect(page.get_by_text("código")).to_have_count(1)
            _no_traceback(page)
        page.screenshot(path=str(artifacts / "hostil-base-caida.png"), full_page=True)
        context.close()
