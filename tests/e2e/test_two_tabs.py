"""One firm, two browsers on the same assessment (issue 11): each saves only what it changed,
so answers to different questions are all kept, and the same question keeps the later answer,
which the other browser shows on its next rerun. Two browser contexts: two sessions."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from scoring.catalog import default_questionnaire
from storage.assessments import load_answers, start_assessment
from storage.db import make_engine, migrate, session_scope
from storage.models import Account
from storage.sessions import open_session
from tests.e2e.conftest import _require_chromium, streamlit_server
from tests.e2e.test_firm_journey import expect_title, question, wait_idle
from tests.e2e.test_sessions import PASSWORD, _firm, _ruc

pytestmark = pytest.mark.e2e

RUC = _ruc("2061111111")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int, int]]:
    """The server with one firm and its Completo draft: (address, database url, firm, draft)."""
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e_pestanas")
    url = f"sqlite:///{folder / 'pestanas.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    with session_scope(engine) as database:
        _firm(database, RUC, "Dos Pestañas S.A.C.")
        account = database.scalar(select(Account).where(Account.login == RUC))
        draft = start_assessment(database, account.firm_id, default_questionnaire(), "completo")
        firm_id, draft_id = account.firm_id, draft.id
    engine.dispose()
    assert PASSWORD  # the firm's password; the browsers get sessions directly
    with streamlit_server(folder, url) as address:
        yield address, url, firm_id, draft_id


def _tab(browser, address: str, url: str, draft_id: int):
    """A new browser context logged in as the firm (its own session), on the draft's form."""
    engine = make_engine(url)
    with session_scope(engine) as database:
        token = open_session(database, database.scalar(select(Account).where(Account.login == RUC)))
    engine.dispose()
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-PE")
    context.set_default_timeout(30_000)
    host = re.sub(r"^https?://", "", address).split(":")[0]
    context.add_cookies([{"name": "brujula_sesion", "value": token, "domain": host, "path": "/"}])
    page = context.new_page()
    page.goto(f"{address}/llenar?evaluacion={draft_id}")
    wait_idle(page)
    expect_title(page, "Llenar evaluación")
    return context, page


def _pick(page, qid: str, option: str, value: str, stored) -> None:
    """Click an option and wait until the server has stored it (a fast run may never show as
    "running" in the page, so the page's run state alone cannot say the click was handled)."""
    label = question(page, qid).locator("label").filter(has_text=re.compile(f"^{option}$"))
    label.click()
    deadline = time.monotonic() + 30
    while stored().get(qid) != value:
        assert time.monotonic() < deadline, f"{qid} no se guardó como {value!r}"
        page.wait_for_timeout(100)  # polls the database, not a fixed wait
    wait_idle(page)
    expect(label.locator("input")).to_be_checked()


def _checked(page, qid: str):
    return question(page, qid).locator("label:has(input:checked)")


def _stored(url: str, firm_id: int, draft_id: int) -> dict[str, object]:
    engine = make_engine(url)
    with session_scope(engine) as database:
        answers = load_answers(database, draft_id, firm_id)[0]
    engine.dispose()
    return answers


def test_two_browsers_of_one_firm_keep_each_others_answers(browser, server) -> None:
    address, url, firm_id, draft_id = server
    first_context, first = _tab(browser, address, url, draft_id)
    second_context, second = _tab(browser, address, url, draft_id)  # both drawn empty

    def now() -> dict[str, object]:
        return _stored(url, firm_id, draft_id)

    try:
        _pick(first, "perfil_diseno", "Mi empresa diseña sus productos", "empresa", now)
        _pick(second, "perfil_local", "Propio", "propio", now)
        stored = now()
        # The second browser never touched the first's question: it did not empty it.
        assert stored["perfil_diseno"] == "empresa" and stored["perfil_local"] == "propio"
        expect(_checked(second, "perfil_diseno")).to_have_text("Mi empresa diseña sus productos")

        # The same question in both: the later answer stays, and the other browser shows it on
        # its next rerun (here, when it answers something else).
        _pick(first, "perfil_clientes", "A otras empresas", "empresas", now)
        _pick(second, "perfil_clientes", "A consumidores finales", "consumidores", now)
        _pick(first, "perfil_combustibles", "Sí", "si", now)
        expect(_checked(first, "perfil_clientes")).to_have_text("A consumidores finales")
        expect(_checked(first, "perfil_local")).to_have_text("Propio")
        stored = now()
        assert stored["perfil_clientes"] == "consumidores"
        assert stored["perfil_local"] == "propio" and stored["perfil_diseno"] == "empresa"
        assert stored["perfil_combustibles"] == "si"
    finally:
        first_context.close()
        second_context.close()
