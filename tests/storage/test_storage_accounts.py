"""Registration, login with slowdown, and login sessions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from scoring.catalog import default_questionnaire
from storage.accounts import (
    DUPLICATE_RUC,
    LOGIN_FAILED,
    LoginError,
    RegistrationError,
    account_for_token,
    authenticate,
    create_staff,
    login_delay,
    open_session,
    register_firm,
    revoke_session,
)
from storage.assessments import assessment_row, start_assessment
from storage.models import Account, AuthSession
from storage.sessions import assessment_of, identity_for_token
from tests.storage.storage_testdata import PASSWORD, make_firm, registration, valid_ruc

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def test_register_firm_creates_account_and_size_class(session: Session) -> None:
    firm = make_firm(session, annual_sales=150 * 5350, sales_year=2025)
    assert firm.size_class == "micro"
    account = session.query(Account).one()
    assert (account.kind, account.login, account.firm_id) == ("empresa", firm.ruc, firm.id)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_register_accepts_mapping_and_spaces(session: Session) -> None:
    data = registration(ruc=" 20100070970 ", annual_sales=20_000_000).__dict__
    firm = register_firm(session, data)
    assert firm.ruc == "20100070970"
    assert firm.size_class == "grande"


def test_duplicate_ruc_is_refused(session: Session) -> None:
    make_firm(session)
    with pytest.raises(RegistrationError) as info:
        register_firm(session, registration())
    # Generic: what the firm needs to recover access, without confirming an account exists.
    assert info.value.errors["ruc"] == DUPLICATE_RUC
    assert "20100070970" not in DUPLICATE_RUC


def test_invalid_fields_are_reported_together(session: Session) -> None:
    bad = registration(
        ruc="20100070971",
        ciiu_division=45,
        region="Lima",
        email="no-es-correo",
        password="corta",
        sales_year=1990,
        workers=-1,
        annual_sales=-5,
    )
    with pytest.raises(RegistrationError) as info:
        register_firm(session, bad)
    assert set(info.value.errors) == {
        "ruc",
        "ciiu_division",
        "region",
        "email",
        "password",
        "sales_year",
        "workers",
        "annual_sales",
    }
    assert "dígito verificador" in info.value.errors["ruc"]
    assert "10 caracteres" in info.value.errors["password"]


def test_staff_login_is_case_insensitive(session: Session) -> None:
    create_staff(session, "Analista@SNI.org.pe", "Ana Analista", PASSWORD)
    session.commit()
    assert authenticate(session, "  analista@sni.org.pe", PASSWORD).kind == "personal"
    with pytest.raises(RegistrationError):
        create_staff(session, "analista@sni.org.pe", "Otra", PASSWORD)


def test_login_success_and_generic_failure(session: Session) -> None:
    firm = make_firm(session)
    assert authenticate(session, firm.ruc, PASSWORD).firm_id == firm.id
    for login, password in [(firm.ruc, "equivocada-123"), ("20999999990", PASSWORD)]:
        with pytest.raises(LoginError) as info:
            authenticate(session, login, password)
        assert str(info.value) == LOGIN_FAILED
        assert info.value.retry_after is None


def test_strangers_failures_never_lock_the_account(session: Session) -> None:
    """No per-account lockout in the database: 50 wrong passwords, then the right one works."""
    firm = make_firm(session)
    for _ in range(50):
        with pytest.raises(LoginError) as info:
            authenticate(session, firm.ruc, "equivocada-123")
        assert str(info.value) == LOGIN_FAILED
    assert authenticate(session, firm.ruc, PASSWORD).firm_id == firm.id


def test_login_delay_caps_at_fifteen_minutes() -> None:
    assert [login_delay(n) for n in (0, 4, 5, 6, 9)] == [0, 0, 1, 2, 16]
    assert login_delay(50) == 15 * 60


def test_session_token_lifecycle(session: Session) -> None:
    make_firm(session)
    account = session.get(Account, 1)
    token = open_session(session, account, now=T0)
    session.commit()
    stored = session.query(AuthSession).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64
    assert account_for_token(session, token, now=T0 + dt.timedelta(hours=11)).id == account.id
    assert account_for_token(session, token, now=T0 + dt.timedelta(hours=12)) is None
    assert account_for_token(session, token + "x", now=T0) is None
    assert account_for_token(session, "", now=T0) is None
    assert revoke_session(session, token) is True
    session.commit()
    assert account_for_token(session, token, now=T0) is None
    assert revoke_session(session, token) is False


def test_identity_for_token_follows_the_session_rules(session: Session) -> None:
    firm = make_firm(session)
    account = session.get(Account, 1)
    token = open_session(session, account, now=T0)
    staff = create_staff(session, "analista@sni.org.pe", "Analista SNI", PASSWORD)
    staff_token = open_session(session, staff, now=T0)
    session.commit()
    with session.get_bind().connect() as connection:  # the app reads with a plain connection
        row = identity_for_token(connection, token, now=T0 + dt.timedelta(hours=11))
    assert (row["account_id"], row["kind"], row["firm_id"]) == (account.id, "empresa", firm.id)
    assert (row["ruc"], row["razon_social"], row["size_class"]) == (
        firm.ruc,
        firm.razon_social,
        firm.size_class,
    )
    staff_row = identity_for_token(session, staff_token, now=T0)
    assert staff_row["kind"] == "personal" and staff_row["firm_id"] is None
    assert staff_row["ruc"] is None
    for wrong, when in ((token, T0 + dt.timedelta(hours=12)), (token + "x", T0), ("", T0)):
        assert identity_for_token(session, wrong, now=when) is None
    revoke_session(session, token)
    session.commit()
    assert identity_for_token(session, token, now=T0) is None
    assert identity_for_token(session, staff_token, now=T0) is not None


def test_identity_for_token_reads_the_firms_assessment_asked_for(session: Session) -> None:
    """The form's pages ask for their assessment with the login (one query per run): only the
    firm's own assessment comes back, with the same fields as ``assessment_row``."""
    loaded = default_questionnaire()
    meta = (loaded.id, loaded.version, loaded.content_hash)
    firm = make_firm(session)
    other = make_firm(session, "2060000001", email="otra@empresa.pe")
    token = open_session(session, session.get(Account, 1), now=T0)
    staff = create_staff(session, "analista@sni.org.pe", "Analista SNI", PASSWORD)
    staff_token = open_session(session, staff, now=T0)
    mine = start_assessment(session, firm.id, meta, "expres")
    theirs = start_assessment(session, other.id, meta, "expres")
    session.commit()
    with session.get_bind().connect() as connection:
        row = identity_for_token(connection, token, now=T0, assessment_id=mine.id)
        expected = dict(assessment_row(connection, mine.id, firm.id))
        assert assessment_of(row) == expected and expected["status"] == "borrador"
        assert row["firm_id"] == firm.id  # the login is read as without an assessment
        for asked in (theirs.id, None, 10_000):
            row = identity_for_token(connection, token, now=T0, assessment_id=asked)
            assert row["firm_id"] == firm.id and assessment_of(row) is None
        row = identity_for_token(connection, staff_token, now=T0, assessment_id=mine.id)
        assert row["kind"] == "personal" and assessment_of(row) is None


def test_other_ruc_prefixes_are_allowed(session: Session) -> None:
    firm = make_firm(session, first_ten="1012345678")
    assert firm.ruc == valid_ruc("1012345678")


def test_finished_sessions_are_purged_at_the_next_login(session: Session) -> None:
    from sqlalchemy import func, select

    make_firm(session)
    account = session.get(Account, 1)
    expired = open_session(session, account, now=T0)
    revoked = open_session(session, account, now=T0)
    revoke_session(session, revoked, now=T0)
    open_session(session, account, now=T0 + dt.timedelta(days=2))
    remaining = session.scalar(
        select(func.count()).select_from(AuthSession).where(AuthSession.account_id == account.id)
    )
    assert remaining == 1
    assert account_for_token(session, expired) is None


def test_ruc_warning_only_for_valid_rucs_not_starting_with_20() -> None:
    from storage.accounts import ruc_warning

    assert "persona natural" in ruc_warning(valid_ruc("1045678901"))
    assert "tipo especial" in ruc_warning(valid_ruc("1545678901"))
    assert ruc_warning(valid_ruc("2045678901")) is None
    assert ruc_warning("123") is None  # an invalid RUC gets its error, not a warning


def test_ruc_taken_sees_firms_and_logins(session: Session) -> None:
    from storage.accounts import ruc_taken

    firm = make_firm(session)
    assert ruc_taken(session, firm.ruc) and ruc_taken(session, f" {firm.ruc} ")
    assert not ruc_taken(session, valid_ruc("2060000001"))
