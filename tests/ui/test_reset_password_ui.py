"""Issue 10 item 14 in the pages: «¿Olvidó su contraseña?» → mail (a real in-process SMTP
server) → the link → a new password; the same answer for known and unknown accounts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from storage import password_reset, throttle
from storage.accounts import authenticate
from storage.db import make_engine, session_scope
from storage.sessions import account_for_token
from tests.storage.smtp_inbox import Inbox, reset_token, running_inbox
from tests.ui.helpers import make_firm, open_page, press, texts, valid_ruc

pytest.importorskip("aiosmtpd")

RESET = "ui/pages/reset_password.py"
NEW = "una-clave-nueva-789"


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Iterator[None]:
    throttle.shared().reset()
    yield
    throttle.shared().reset()


@pytest.fixture
def inbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    with running_inbox() as running:
        for name, value in running.environment().items():
            monkeypatch.setenv(name, value)
        yield running


def _ask(login: str):
    at = open_page(RESET)
    at.text_input(key="restablecer_usuario").input(login)
    return press(at)


def test_without_smtp_the_page_says_to_ask_sni(app_env: str, monkeypatch) -> None:
    monkeypatch.delenv("BRUJULA_SMTP_HOST", raising=False)
    at = open_page(RESET)
    assert not at.exception, at.exception
    assert password_reset.NOT_AVAILABLE in [i.value for i in at.info]
    assert not at.text_input


def test_known_and_unknown_accounts_see_the_same_answer(app_env: str, inbox: Inbox) -> None:
    make_firm(app_env)
    unknown = _ask(valid_ruc("2099999999"))
    known = _ask(valid_ruc("2010007097"))
    for at in (unknown, known):
        assert not at.exception, at.exception
        assert [s.value for s in at.success] == [password_reset.REQUEST_ANSWER]
        assert not at.error and not at.warning
    assert texts(unknown) == texts(known)
    assert inbox.received.wait(60)  # the known account's mail, sent in the background
    assert [m["X-Envelope-To"] for m in inbox.messages] == ["gerencia@plasticos.com.pe"]


def test_the_mailed_link_sets_a_new_password_and_closes_sessions(
    app_env: str, inbox: Inbox
) -> None:
    old = make_firm(app_env)
    _ask(valid_ruc("2010007097"))
    assert inbox.received.wait(60)
    code = reset_token(inbox.messages[0])
    at = open_page(RESET, codigo=code)
    assert not at.exception, at.exception
    assert valid_ruc("2010007097") in texts(at)
    at.text_input(key="restablecer_nueva").input(NEW)
    at.text_input(key="restablecer_repetida").input("no-es-la-misma-1")
    at = press(at)
    assert any("no coinciden" in e.value for e in at.error)
    at.text_input(key="restablecer_repetida").input(NEW)
    at = press(at)
    assert not at.exception, at.exception
    assert "su contraseña cambió" in texts(at)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        assert authenticate(database, valid_ruc("2010007097"), NEW) is not None
        assert account_for_token(database, old) is None
    engine.dispose()
    again = open_page(RESET, codigo=code)  # single use
    assert password_reset.LINK_INVALID in [e.value for e in again.error]


def test_a_broken_link_is_explained(app_env: str) -> None:
    at = open_page(RESET, codigo="abc")
    assert not at.exception, at.exception
    assert password_reset.LINK_INVALID in [e.value for e in at.error]
    assert not at.text_input


def test_an_empty_request_is_refused_with_a_message(app_env: str, inbox: Inbox) -> None:
    at = _ask("   ")
    assert any("Escriba el RUC" in e.value for e in at.error)
    assert not at.success
