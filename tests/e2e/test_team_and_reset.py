"""Issue 10 in a real browser: «Lima» in the region box, a colleague joining by invitation (and
being removed), and a password reset whose mail goes through a real SMTP server in-process."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from storage.accounts import FirmRegistration, register_firm
from storage.db import make_engine, migrate, session_scope
from storage.models import Account
from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import MAIN, choose, expect_title, wait_idle
from tests.e2e.test_sessions import _context, _login, _ruc, _session_cookie
from tests.storage.smtp_inbox import PUBLIC_URL, Inbox, reset_token, running_inbox

pytestmark = pytest.mark.e2e
pytest.importorskip("aiosmtpd")

PASSWORD = "clave-segura-123"
OTHER = "otra-clave-segura-456"
NEW = "una-clave-nueva-789"
OWNER = _ruc("2061111111")
FORGETFUL = _ruc("2062222222")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Inbox]]:
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_equipo")
    url = f"sqlite:///{folder / 'equipo.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with session_scope(engine) as database:
        for ruc, name, email in (
            (OWNER, "Metalmecánica Titular S.A.C.", "gerencia@titular.pe"),
            (FORGETFUL, "Olvidadiza Industrial S.A.C.", "contacto@olvidadiza.pe"),
        ):
            register_firm(
                database,
                FirmRegistration(
                    ruc=ruc,
                    razon_social=name,
                    ciiu_division=25,
                    region="Callao",
                    annual_sales=5_000_000,
                    sales_year=2025,
                    workers=40,
                    email=email,
                    password=PASSWORD,
                ),
            )
    engine.dispose()
    with running_inbox() as inbox, pytest.MonkeyPatch.context() as patch:
        for name, value in inbox.environment().items():
            patch.setenv(name, value)
        with streamlit_server(folder, url) as address:
            # Links point at BRUJULA_URL_PUBLICA; the tests open their path on this server.
            yield address, url, inbox


NAV = "[data-testid=stSidebarNav]"


def _desktop(browser, client: str):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="es-PE")
    context.set_default_timeout(30_000)
    context.set_extra_http_headers({"X-Forwarded-For": client})
    return context


def test_typing_lima_offers_lima_metropolitana_first(browser, server, artifacts) -> None:
    address, _, _ = server
    for width, height in ((1280, 800), (390, 844)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto(f"{address}/registrarse")
        wait_idle(page)
        box = page.locator("[data-testid=stSelectbox]").filter(has_text="Región")
        box.locator("input").click()
        page.keyboard.type("Lima")
        first = page.get_by_role("option").first
        expect(first).to_have_text("Lima Metropolitana")
        page.screenshot(path=str(artifacts / f"registro_lima_{width}.png"))
        context.close()


def test_a_colleague_joins_by_invitation_and_is_removed(browser, server, artifacts) -> None:
    address, url, _ = server
    owner = _desktop(browser, "198.51.100.21")
    page = owner.new_page()
    _login(page, address, OWNER)
    expect(page.locator(NAV)).to_contain_text("Equipo")  # listed for the titular
    page.goto(f"{address}/equipo")
    wait_idle(page)
    expect_title(page, "Equipo")
    page.get_by_role("textbox", name="Correo de la persona").fill("rosa@titular.pe")
    page.get_by_role("button", name="Crear invitación").click()
    code = page.locator(f"{MAIN} [data-testid=stCode]")
    expect(code).to_contain_text("/unirse?codigo=")
    link = urlsplit(code.inner_text().strip())
    assert f"{link.scheme}://{link.netloc}" == PUBLIC_URL  # BRUJULA_URL_PUBLICA decides
    page.screenshot(path=str(artifacts / "equipo_invitacion.png"), full_page=True)

    colleague = _desktop(browser, "198.51.100.22")
    tab = colleague.new_page()
    tab.goto(f"{address}{link.path}?{link.query}")
    wait_idle(tab)
    expect(tab.locator(MAIN)).to_contain_text("Metalmecánica Titular")
    tab.get_by_role("textbox", name="Su nombre").fill("Rosa Quispe")
    tab.get_by_role("textbox", name="Contraseña", exact=True).fill(OTHER)
    tab.get_by_role("textbox", name="Repita la contraseña").fill(OTHER)
    tab.get_by_role("button", name="Crear mi cuenta").click()
    tab.wait_for_url("**/panel*")
    wait_idle(tab)
    expect_title(tab, "Mi panel")
    assert _session_cookie(colleague) is not None
    tab.reload()
    wait_idle(tab)
    expect_title(tab, "Mi panel")
    expect(tab.locator(NAV)).to_contain_text("Mi empresa")
    expect(tab.locator(NAV)).not_to_contain_text("Equipo")  # not listed for collaborators
    tab.goto(f"{address}/equipo")
    wait_idle(tab)
    expect(tab.locator(MAIN)).to_contain_text("para el titular")
    tab.screenshot(path=str(artifacts / "equipo_colaborador.png"), full_page=True)

    page.reload()
    wait_idle(page)
    expect(page.locator(MAIN)).to_contain_text("Rosa Quispe")
    choose(page, "Persona", "Rosa Quispe")
    page.get_by_text("Confirmo: ya no podrá ingresar").click()
    page.get_by_role("button", name="Quitar del equipo").click()
    expect(page.locator(MAIN)).to_contain_text("ya no puede ingresar")

    tab.reload()
    wait_idle(tab)
    expect(tab.locator(MAIN)).to_contain_text("Inicie sesión")
    _login(tab, address, "rosa@titular.pe", OTHER)
    expect(tab.locator(MAIN)).to_contain_text("RUC/correo o contraseña incorrectos")
    engine = make_engine(url)
    with session_scope(engine) as database:
        member = database.scalar(select(Account).where(Account.login == "rosa@titular.pe"))
        assert member.disabled_at is not None and member.role == "colaborador"
    engine.dispose()
    owner.close()
    colleague.close()


def test_a_forgotten_password_is_reset_by_mail(browser, server, artifacts) -> None:
    address, _, inbox = server
    context = _context(browser, "198.51.100.23")
    page = context.new_page()
    page.goto(f"{address}/ingresar")
    wait_idle(page)
    page.get_by_role("link", name="¿Olvidó su contraseña?").click()
    wait_idle(page)
    expect_title(page, "¿Olvidó su contraseña?")
    page.get_by_role("textbox", name="RUC o correo").fill(FORGETFUL)
    page.get_by_role("button", name="Enviar enlace").click()
    expect(page.locator(MAIN)).to_contain_text("en unos minutos llegará un correo")
    page.screenshot(path=str(artifacts / "restablecer_pedido.png"), full_page=True)
    assert inbox.received.wait(60)
    [message] = [m for m in inbox.messages if m["X-Envelope-To"] == "contacto@olvidadiza.pe"]
    page.goto(f"{address}/restablecer?codigo={reset_token(message)}")
    wait_idle(page)
    expect_title(page, "Elija una contraseña nueva")
    page.get_by_role("textbox", name="Contraseña nueva", exact=True).fill(NEW)
    page.get_by_role("textbox", name="Repita la contraseña nueva").fill(NEW)
    page.get_by_role("button", name="Guardar contraseña nueva").click()
    expect(page.locator(MAIN)).to_contain_text("su contraseña cambió")
    page.screenshot(path=str(artifacts / "restablecer_listo.png"), full_page=True)
    _login(page, address, FORGETFUL, NEW)
    expect_title(page, "Mi panel")
    context.close()
