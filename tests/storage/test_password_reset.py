"""Issue 10 item 14: password reset by e-mail, through a real SMTP server run in-process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from storage import mail, password_reset, team, throttle
from storage.accounts import (
    LoginError,
    ProfileError,
    authenticate,
    hash_password,
    open_session,
)
from storage.db import session_scope
from storage.models import Account, AuditLog, PasswordReset
from storage.sessions import account_for_token
from tests.storage.smtp_inbox import Inbox, reset_token, running_inbox
from tests.storage.storage_testdata import make_firm

pytest.importorskip("aiosmtpd")

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
NEW = "una-clave-nueva-789"
CONTACT = "contacto@ejemplo.com.pe"  # storage_testdata's firm e-mail


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, mail.MailConfig]]:
    with running_inbox() as inbox:
        settings = mail.config(inbox.environment())
        assert settings is not None
        yield inbox, settings


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Iterator[None]:
    throttle.shared().reset()
    yield
    throttle.shared().reset()


def _scope(engine: Engine):
    @contextmanager
    def scope() -> Iterator[Session]:
        with session_scope(engine) as session:
            yield session

    return scope


def test_the_link_arrives_by_smtp_and_sets_a_new_password(engine: Engine, smtp) -> None:
    inbox, settings = smtp
    with session_scope(engine) as session:
        firm = make_firm(session)
        account = session.scalar(select(Account).where(Account.firm_id == firm.id))
        old_session = open_session(session, account)
    password_reset.request_reset(
        _scope(engine), firm.ruc, "198.51.100.1", settings=settings, background=False
    )
    [message] = inbox.messages
    assert message["X-Envelope-To"] == CONTACT  # the titular's mail goes to the firm's contact
    assert "restablezca su contraseña" in message["Subject"]
    token = reset_token(message)
    with session_scope(engine) as session:
        stored = session.scalar(select(PasswordReset))
        assert token not in stored.token_hash  # only the hash is stored
        assert password_reset.login_for_token(session, token) == firm.ruc
        _, closed = password_reset.complete_reset(session, token, NEW, hash_password(NEW))
    assert closed == 1
    with session_scope(engine) as session:
        assert authenticate(session, firm.ruc, NEW).id == account.id
        with pytest.raises(LoginError):
            authenticate(session, firm.ruc, "clave-segura-123")
        assert account_for_token(session, old_session) is None  # every session revoked
        with pytest.raises(ProfileError) as info:  # single use
            password_reset.complete_reset(session, token, "otra-clave-999x", hash_password("x"))
        assert info.value.errors == {"codigo": password_reset.LINK_INVALID}
        actions = set(session.scalars(select(AuditLog.action)))
    assert {"restablecer_solicitud", "restablecer_clave_correo"} <= actions


def test_unknown_and_known_accounts_get_the_same_answer(engine: Engine, smtp) -> None:
    """The function returns the same (nothing) either way; only a real account gets mail."""
    inbox, settings = smtp
    with session_scope(engine) as session:
        firm = make_firm(session)
    answers = [
        password_reset.request_reset(
            _scope(engine), typed, "198.51.100.2", settings=settings, background=False
        )
        for typed in ("20999999990", firm.ruc, "nadie@ninguna.pe")
    ]
    assert answers == [None, None, None]
    assert [m["X-Envelope-To"] for m in inbox.messages] == [CONTACT]


def test_the_contact_email_and_a_collaborators_email_both_work(engine: Engine, smtp) -> None:
    inbox, settings = smtp
    with session_scope(engine) as session:
        firm = make_firm(session)
        owner = session.scalar(select(Account).where(Account.firm_id == firm.id))
        token = team.invite(session, firm.id, owner.id, "rosa@empresa.pe")
        team.accept(session, token, "Rosa Quispe", NEW, hash_password(NEW))
    for typed in ("CONTACTO@ejemplo.com.pe", "rosa@empresa.pe"):
        password_reset.request_reset(
            _scope(engine), typed, "198.51.100.3", settings=settings, background=False
        )
    assert [m["X-Envelope-To"] for m in inbox.messages] == [CONTACT, "rosa@empresa.pe"]
    assert "«rosa@empresa.pe»" in inbox.messages[1].get_content()


def test_the_link_expires_after_an_hour(session: Session) -> None:
    firm = make_firm(session)
    [outgoing] = password_reset.create_requests(session, firm.ruc, now=T0)
    session.commit()
    later = T0 + dt.timedelta(minutes=60, seconds=1)
    assert password_reset.login_for_token(session, outgoing.token, now=later) is None
    with pytest.raises(ProfileError):
        password_reset.complete_reset(session, outgoing.token, NEW, hash_password(NEW), now=later)
    assert password_reset.login_for_token(session, outgoing.token, now=T0) == firm.ruc


def test_a_weak_password_is_refused_and_the_link_stays_usable(session: Session) -> None:
    firm = make_firm(session)
    [outgoing] = password_reset.create_requests(session, firm.ruc, now=T0)
    with pytest.raises(ProfileError) as info:
        password_reset.complete_reset(session, outgoing.token, "corta", "x", now=T0)
    assert "password" in info.value.errors
    assert password_reset.login_for_token(session, outgoing.token, now=T0) == firm.ruc


def test_requests_are_throttled_per_account_and_per_client(engine: Engine, smtp) -> None:
    inbox, settings = smtp
    with session_scope(engine) as session:
        firm = make_firm(session)
    for n in range(5):  # five clients, one request each: the account gets three links an hour
        password_reset.request_reset(
            _scope(engine), firm.ruc, f"198.51.100.{10 + n}", settings=settings, background=False
        )
    assert len(inbox.messages) == password_reset.MAX_PER_ACCOUNT
    for _ in range(5):
        password_reset.request_reset(
            _scope(engine), "20999999990", "203.0.113.9", settings=settings, background=False
        )
    with pytest.raises(password_reset.ResetThrottled) as info:
        password_reset.request_reset(
            _scope(engine), firm.ruc, "203.0.113.9", settings=settings, background=False
        )
    assert "espere" in str(info.value)


def test_a_removed_member_gets_no_link(engine: Engine, smtp) -> None:
    inbox, settings = smtp
    with session_scope(engine) as session:
        firm = make_firm(session)
        owner = session.scalar(select(Account).where(Account.firm_id == firm.id))
        token = team.invite(session, firm.id, owner.id, "rosa@empresa.pe")
        member = team.accept(session, token, "Rosa Quispe", NEW, hash_password(NEW))
        team.remove_member(session, firm.id, owner.id, member.id)
    password_reset.request_reset(
        _scope(engine), "rosa@empresa.pe", "198.51.100.4", settings=settings, background=False
    )
    assert inbox.messages == []


def test_without_smtp_configured_the_service_says_so(engine: Engine) -> None:
    assert mail.config({}) is None
    assert mail.config({"BRUJULA_SMTP_HOST": "smtp.example.pe"}) is None  # no sender, no URL
    with pytest.raises(LookupError):
        password_reset.request_reset(_scope(engine), "20100070970", "x", settings=None)


def test_a_failing_smtp_server_does_not_reveal_anything(engine: Engine) -> None:
    settings = mail.config(
        {
            "BRUJULA_SMTP_HOST": "127.0.0.1",
            "BRUJULA_SMTP_PORT": "9",  # discard: nothing listens, the connection is refused
            "BRUJULA_SMTP_TLS": "no",
            "BRUJULA_SMTP_REMITENTE": "no-responder@sni.org.pe",
            "BRUJULA_URL_PUBLICA": "https://brujula.example.pe",
        }
    )
    with session_scope(engine) as session:
        firm = make_firm(session)
    answer = password_reset.request_reset(
        _scope(engine), firm.ruc, "198.51.100.5", settings=settings, background=False
    )
    assert answer is None
