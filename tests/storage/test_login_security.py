"""Issue 12: validation rules, refused registrations that store nothing, the login throttle
(per account, per client address, staff apart, no lockout by strangers) and pending logins."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import throttle
from storage.accounts import (
    DUPLICATE_RUC,
    LOGIN_FAILED,
    LOGIN_MALFORMED,
    DuplicateRuc,
    LoginError,
    RegistrationError,
    authenticate,
    change_password,
    create_staff,
    login,
    register_firm,
    ruc_error,
)
from storage.models import Account, AuthSession, Firm
from storage.sessions import (
    PENDING_SECONDS,
    add_pending_login,
    identity_for_token,
    is_token,
    new_token,
    open_session,
    take_pending_login,
)
from tests.storage.storage_testdata import PASSWORD, make_firm, registration, valid_ruc

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# --- validation (deliverable 7) ----------------------------------------------------------


@pytest.mark.parametrize("first_ten", ["3010007097", "1110007097", "2510007097", "0010007097"])
def test_ruc_must_start_with_a_known_taxpayer_type(first_ten: str) -> None:
    assert "10, 15, 17 o 20" in (ruc_error(valid_ruc(first_ten)) or "")


@pytest.mark.parametrize("prefix", ["10", "15", "17", "20"])
def test_known_prefixes_are_accepted(prefix: str) -> None:
    assert ruc_error(valid_ruc(prefix + "12345678")) is None


@pytest.mark.parametrize("prefix", ["10", "20"])
def test_all_zero_body_is_refused(prefix: str) -> None:
    assert "solo ceros" in (ruc_error(valid_ruc(prefix + "00000000")) or "")


def test_ruc_00000000001_and_nul_are_refused() -> None:
    assert ruc_error("00000000001") is not None
    assert ruc_error("2010007097\x00") is not None


@pytest.mark.parametrize(
    ("password", "words"),
    [
        (" " * 12, "solo espacios"),
        ("\t\n  \u3000    ", "solo espacios"),
        ("", "solo espacios"),
        ("1234567890", "más usadas"),
        ("Contraseña123", "más usadas"),
        ("  password123  ", "más usadas"),
        ("aaaaaaaaaaaa", "más usadas"),
        ("ababababab", "más usadas"),
        ("corta", "al menos 10"),
        ("clave\x00segura-123", "NUL"),
    ],
)
def test_weak_passwords_are_refused(session: Session, password: str, words: str) -> None:
    with pytest.raises(RegistrationError) as info:
        register_firm(session, registration(password=password))
    assert words in info.value.errors["password"]
    assert _count(session, Firm) == 0


def test_password_equal_to_the_ruc_is_refused(session: Session) -> None:
    ruc = valid_ruc("2010007097")
    with pytest.raises(RegistrationError) as info:
        register_firm(session, registration(ruc=ruc, password=ruc))
    assert "más usadas" in info.value.errors["password"]


@pytest.mark.parametrize(
    "name", ["   ", "\u200b\u200b\u200b", "\u3164\u3164", "1234 - 5678", "\u2800\u2800", "S.A.\x00"]
)
def test_names_need_a_visible_letter(session: Session, name: str) -> None:
    with pytest.raises(RegistrationError) as info:
        register_firm(session, registration(razon_social=name))
    assert "razon_social" in info.value.errors


def test_names_in_any_script_are_fine(session: Session) -> None:
    firm = register_firm(session, registration(razon_social="Ñandú 3D E.I.R.L."))
    assert firm.razon_social == "Ñandú 3D E.I.R.L."


def test_staff_name_needs_a_visible_letter(session: Session) -> None:
    with pytest.raises(RegistrationError) as info:
        create_staff(session, "ana@sni.org.pe", "\u200b", PASSWORD)
    assert "name" in info.value.errors


def test_email_longer_than_254_is_refused(session: Session) -> None:
    email = "a" * 245 + "@empresa.pe"  # 256 characters
    with pytest.raises(RegistrationError) as info:
        register_firm(session, registration(email=email))
    assert "254" in info.value.errors["email"]
    ok = "a" * 240 + "@empresa.pe"
    assert register_firm(session, registration(email=ok)).email == ok


def test_impossible_numbers_get_field_errors(session: Session) -> None:
    with pytest.raises(RegistrationError) as info:
        register_firm(
            session,
            registration(annual_sales=10**29, sales_year=1850, email="a\x00@b.pe"),
        )
    assert {"annual_sales", "sales_year", "email"} <= set(info.value.errors)
    assert _count(session, Firm) == 0


def test_profile_password_change_uses_the_same_rules(session: Session) -> None:
    from storage.accounts import ProfileError

    make_firm(session)
    account = session.scalar(select(Account))
    for weak in (" " * 12, "1234567890"):
        with pytest.raises(ProfileError) as info:
            change_password(session, account.id, PASSWORD, weak)
        assert "new" in info.value.errors


# --- refused registrations store nothing (deliverable 4) ---------------------------------


def test_a_rolled_back_registration_leaves_nothing(session: Session) -> None:
    """What the registration page does when anything goes wrong after the insert."""
    register_firm(session, registration())
    session.rollback()
    assert (_count(session, Firm), _count(session, Account)) == (0, 0)


def test_duplicate_ruc_is_refused_generically_and_keeps_the_first(session: Session) -> None:
    make_firm(session)
    with pytest.raises(DuplicateRuc) as info:
        register_firm(session, registration(password="otra-clave-larga-9"))
    assert info.value.errors == {"ruc": DUPLICATE_RUC}
    assert "Ya existe" not in DUPLICATE_RUC and "existe una cuenta" not in DUPLICATE_RUC
    session.rollback()
    assert (_count(session, Firm), _count(session, Account)) == (1, 1)


def test_concurrent_duplicate_rolls_back_the_whole_attempt(session: Session, engine) -> None:
    """The unique constraint fires after the check (a race): nothing of the loser remains."""
    from unittest import mock

    make_firm(session)
    with Session(engine) as other:
        real_execute = other.execute

        def no_match(statement, *args, **kwargs):
            result = real_execute(statement, *args, **kwargs)
            if "UNION" in str(statement).upper():
                return mock.Mock(first=lambda: None)
            return result

        with (
            mock.patch.object(other, "execute", side_effect=no_match),
            pytest.raises(DuplicateRuc),
        ):
            register_firm(other, registration(email="otra@empresa.pe"))
        other.commit()
    assert (_count(session, Firm), _count(session, Account)) == (1, 1)


# --- login: generic messages and malformed input (deliverables 3, 4) ---------------------


def test_wrong_ruc_and_wrong_password_read_the_same(session: Session) -> None:
    firm = make_firm(session)
    messages = set()
    for name, password in [(firm.ruc, "equivocada-123"), ("20999999990", PASSWORD)]:
        with pytest.raises(LoginError) as info:
            authenticate(session, name, password)
        messages.add(str(info.value))
    assert messages == {LOGIN_FAILED}


@pytest.mark.parametrize("name", ["2010007097\x00", "\x00", "a" * 300, "ana\x07@sni.org.pe"])
def test_malformed_login_is_a_field_error_not_a_database_error(session: Session, name: str) -> None:
    with pytest.raises(LoginError) as info:
        login(session, name, PASSWORD, "1.2.3.4", throttle.Throttle())
    assert str(info.value) == LOGIN_MALFORMED


# --- the throttle (deliverable 3) --------------------------------------------------------


@pytest.fixture
def limiter() -> throttle.Throttle:
    return throttle.Throttle("memory://")


def _fail(session: Session, limiter: throttle.Throttle, name: str, client: str) -> LoginError:
    with pytest.raises(LoginError) as info:
        login(session, name, "equivocada-123", client, limiter)
    return info.value


def test_a_stranger_cannot_lock_a_firm_out(session: Session, limiter) -> None:
    firm = make_firm(session)
    for _ in range(60):
        _fail(session, limiter, firm.ruc, "203.0.113.7")
    refused = _fail(session, limiter, firm.ruc, "203.0.113.7")
    assert refused.retry_after and "Demasiados intentos" in str(refused)
    # Even the right password waits from the attacker's address ...
    with pytest.raises(LoginError):
        login(session, firm.ruc, PASSWORD, "203.0.113.7", limiter)
    # ... but the firm, from its own address, gets straight in.
    assert login(session, firm.ruc, PASSWORD, "198.51.100.20", limiter).firm_id == firm.id


def test_many_addresses_against_one_account_leave_clean_clients_in(
    session: Session, limiter
) -> None:
    firm = make_firm(session)
    for n in range(40):  # a botnet: one failure from each of 40 addresses
        _fail(session, limiter, firm.ruc, f"192.0.2.{n}")
    # Over the per-account limit: an address with recent failures must wait ...
    assert limiter.login_wait(firm.ruc, "192.0.2.1") > 0
    # ... one without them still gets in with the right password.
    assert login(session, firm.ruc, PASSWORD, "198.51.100.20", limiter).firm_id == firm.id


def test_delays_grow_with_failures(limiter) -> None:
    waits = []
    for _failures in range(25):
        limiter.login_failed("20100070970", "203.0.113.7")
        waits.append(limiter.login_wait("20100070970", "203.0.113.7"))
    assert waits[:4] == [0, 0, 0, 0]  # a few free mistakes
    assert 0 < waits[4] <= 60  # then the minute tier
    assert waits[9] > 60  # the ten-minute tier
    assert waits[19] > 600  # the hour tier


def test_spraying_from_one_address_is_slowed(session: Session, limiter) -> None:
    """One address trying one password on many RUCs hits the per-address limit."""
    refused_at = None
    for n in range(40):
        ruc = valid_ruc(f"20{n:08d}")
        try:
            login(session, ruc, "Primavera2026", "203.0.113.9", limiter)
        except LoginError as exc:
            if exc.retry_after:
                refused_at = n
                break
    assert refused_at == 20  # "20/minute" for firm logins
    # Another address is not affected.
    assert limiter.login_wait(valid_ruc("2000000099"), "198.51.100.20") == 0


def test_unknown_and_known_rucs_are_throttled_alike(session: Session, limiter) -> None:
    firm = make_firm(session)
    unknown = valid_ruc("2099999999")
    for name in (firm.ruc, unknown):
        errors = [_fail(session, limiter, name, f"203.0.113.{len(name)}") for _ in range(6)]
        assert [str(e) for e in errors[:5]] == [LOGIN_FAILED] * 5
        assert errors[5].retry_after


def test_staff_are_throttled_separately_and_more_strictly(session: Session, limiter) -> None:
    create_staff(session, "ana@sni.org.pe", "Ana Analista", PASSWORD)
    firm = make_firm(session)
    for _ in range(3):
        _fail(session, limiter, "ana@sni.org.pe", "203.0.113.7")
    assert limiter.login_wait("ana@sni.org.pe", "203.0.113.7") > 0  # 3/minute for staff
    assert limiter.login_wait(firm.ruc, "203.0.113.7") == 0  # firm counters untouched
    assert login(session, "ana@sni.org.pe", PASSWORD, "198.51.100.20", limiter).kind == "personal"


def test_success_forgets_this_clients_failures(session: Session, limiter) -> None:
    firm = make_firm(session)
    for _ in range(4):
        _fail(session, limiter, firm.ruc, "198.51.100.20")
    login(session, firm.ruc, PASSWORD, "198.51.100.20", limiter)
    for _ in range(4):
        _fail(session, limiter, firm.ruc, "198.51.100.20")
    assert limiter.login_wait(firm.ruc, "198.51.100.20") == 0


def test_registration_refusals_are_throttled_per_address(limiter) -> None:
    for _ in range(5):
        assert limiter.registration_wait("203.0.113.7") == 0
        limiter.registration_refused("203.0.113.7")
    assert limiter.registration_wait("203.0.113.7") > 0
    assert limiter.registration_wait("198.51.100.20") == 0


def test_storage_is_configured_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(throttle.LIMITS_ENV, raising=False)
    assert throttle.shared().url == "memory://"


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_replicas_share_counters_through_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "redis://127.0.0.1:6379/15"
    one, two = throttle.Throttle(url), throttle.Throttle(url)  # two "replicas"
    one.reset()
    try:
        for _ in range(5):
            one.login_failed("20100070970", "203.0.113.7")
        assert two.login_wait("20100070970", "203.0.113.7") > 0
        assert two.login_wait("20100070970", "198.51.100.20") == 0
        monkeypatch.setenv(throttle.LIMITS_ENV, url)
        assert throttle.shared().url == url
    finally:
        one.reset()


# --- sessions and pending logins (deliverable 2) -----------------------------------------


def test_tokens_of_the_wrong_shape_are_never_looked_up(session: Session) -> None:
    make_firm(session)
    token = open_session(session, session.scalar(select(Account)))
    assert is_token(token)
    for bad in ("", "x", token + "\x00", token[:-1], "pendiente:" + token, None):
        assert identity_for_token(session, bad) is None  # type: ignore[arg-type]


def test_pending_login_is_single_use_and_bound_to_the_browser(session: Session) -> None:
    make_firm(session)
    account = session.scalar(select(Account))
    binding, other = new_token(), new_token()
    add_pending_login(session, account, binding, now=T0)
    # The binding cookie itself, used as a session cookie, opens nothing.
    assert identity_for_token(session, binding, now=T0) is None
    assert take_pending_login(session, other, now=T0) is None  # another browser
    assert take_pending_login(session, binding, now=T0).id == account.id
    assert take_pending_login(session, binding, now=T0) is None  # used up


def test_pending_login_expires(session: Session) -> None:
    make_firm(session)
    account = session.scalar(select(Account))
    binding = new_token()
    add_pending_login(session, account, binding, now=T0)
    late = T0 + dt.timedelta(seconds=PENDING_SECONDS + 1)
    assert take_pending_login(session, binding, now=late) is None
    assert _count(session, AuthSession) == 1  # purged at the account's next login
