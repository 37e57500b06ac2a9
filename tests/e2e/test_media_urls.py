"""Download URLs in a real browser: Streamlit serves a download's bytes at ``/media/<id>``; the
server's middleware hands them only to the session that made them (issue 12, deliverable 5).

A staff member prepares and downloads the firms export; the URL the browser fetched is then
requested with no cookies, with another account's session cookie and with the owner's: only the
owner gets the file. The staff table toolbar («Download as CSV») is not shown.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage.db import make_engine, session_scope
from storage.models import AuditLog
from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import MAIN, wait_idle
from tests.e2e.test_staff_access import FIRM_RUC, STAFF, _context, _login, _prepare

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def media_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_media")
    url = f"sqlite:///{folder / 'media.sqlite3'}"
    _prepare(url)
    with streamlit_server(folder, url) as address:
        yield address, url


def fetch(url: str, cookies: list[dict] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)
    if cookies:
        request.add_header("Cookie", "; ".join(f"{c['name']}={c['value']}" for c in cookies))
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_download_url_serves_only_its_session(browser, media_app: tuple[str, str]) -> None:
    address, database_url = media_app
    staff = _context(browser, 1280)
    page = staff.new_page()
    _login(page, address, STAFF)
    page.goto(f"{address}/staff-export")
    wait_idle(page)
    expect(page.locator(f"{MAIN} h1").first).to_have_text("Exportar datos")
    # The file is prepared in the background; the page polls until it can be downloaded.
    page.get_by_role("button", name="Preparar CSV de empresas").click()
    ready = page.get_by_role("button", name="Descargar CSV")
    expect(ready).to_be_visible(timeout=90_000)
    wait_idle(page)
    with page.expect_download() as info:
        ready.click()
    download = info.value
    media = download.url
    assert "/media/" in media, media
    owned = [c for c in staff.cookies() if c["name"] == "brujula_sesion"]
    assert owned

    status, body = fetch(media, owned)  # the owner: served
    assert status == 200 and "Razón social".encode() in body

    status, body = fetch(media)  # anyone holding the URL, no cookies
    assert status == 403 and "sesión que lo generó".encode() in body

    firm = _context(browser, 390)  # another logged-in account
    other = firm.new_page()
    _login(other, address, FIRM_RUC)
    stranger = [c for c in firm.cookies() if c["name"] == "brujula_sesion"]
    assert stranger and stranger != owned
    status, _ = fetch(media, stranger)
    assert status == 403
    firm.close()

    engine = make_engine(database_url)
    with session_scope(engine) as database:
        actions = list(database.scalars(select(AuditLog.action)))
    engine.dispose()
    assert "descarga_empresas_csv" in actions  # audited inside the download callable
    staff.close()


def test_staff_tables_show_no_toolbar(browser, media_app: tuple[str, str]) -> None:
    address, _ = media_app
    context = _context(browser, 1280)
    page = context.new_page()
    _login(page, address, STAFF)
    page.goto(f"{address}/staff-firms")
    wait_idle(page)
    table = page.locator("[data-testid=stDataFrame]").first
    expect(table).to_be_visible()
    table.hover()
    toolbar = page.locator("[data-testid=stElementToolbar]").first
    expect(toolbar).to_be_hidden()
    expect(page.get_by_role("button", name="Download as CSV")).to_have_count(0)
    context.close()
