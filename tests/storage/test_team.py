"""Issue 10 item 12: several people per firm (invitations, collaborators, removal, audit)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import team
from storage.accounts import (
    LOGIN_FAILED,
    LoginError,
    ProfileError,
    authenticate,
    check_login,
    create_staff,
    hash_password,
    open_session,
    update_consents,
    update_firm_profile,
)
from storage.models import Account, AuditLog, Invitation
from storage.sessions import account_for_token, identity_for_token
from storage.throttle import Throttle
from tests.storage.storage_testdata import PASSWORD, make_firm

T0 = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)
OTHER = "otra-clave-segura-456"


def _titular(session: Session, firm_id: int) -> Account:
    return session.scalar(
        select(Account).where(Account.firm_id == firm_id, Account.role == "titular")
    )


def _join(session: Session, token: str, name: str = "Rosa Quispe", now=T0) -> Account:
    account = team.accept(session, token, name, OTHER, hash_password(OTHER), now=now)
    session.commit()
    return account


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def test_invite_accept_login_and_names(session: Session) -> None:
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    token = team.invite(session, firm.id, owner.id, " Rosa@Empresa.PE ", now=T0)
    session.commit()
    stored = session.scalar(select(Invitation))
    assert token not in stored.token_hash and stored.email == "rosa@empresa.pe"
    assert stored.expires_at == T0 + dt.timedelta(days=7)
    view = team.invitation_for_token(session, token, now=T0 + dt.timedelta(days=6))
    assert view is not None and view.firm_name == firm.razon_social
    member = _join(session, token, now=T0 + dt.timedelta(days=1))
    assert (member.kind, member.role, member.login, member.firm_id) == (
        "empresa",
        "colaborador",
        "rosa@empresa.pe",
        firm.id,
    )
    assert member.password_hash.startswith("$argon2id$")
    assert authenticate(session, "rosa@empresa.pe", OTHER).id == member.id
    assert team.member_names(session, firm.id) == {
        owner.id: owner.display_name,
        member.id: "Rosa Quispe",
    }
    assert [m.role for m in team.members(session, firm.id)] == ["titular", "colaborador"]
    assert _actions(session)[-2:] == ["equipo_invitacion", "equipo_union"]


def test_an_invitation_is_single_use_and_expires(session: Session) -> None:
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    token = team.invite(session, firm.id, owner.id, "uno@empresa.pe", now=T0)
    late = team.invite(session, firm.id, owner.id, "dos@empresa.pe", now=T0)
    session.commit()
    _join(session, token)
    with pytest.raises(team.TeamError) as info:
        _join(session, token, name="Otra Persona")
    assert "codigo" in info.value.errors
    with pytest.raises(team.TeamError):
        _join(session, late, now=T0 + dt.timedelta(days=7, seconds=1))
    assert team.invitation_for_token(session, late, now=T0 + dt.timedelta(days=8)) is None
    assert session.scalar(select(Account.id).where(Account.login == "dos@empresa.pe")) is None


def test_a_revoked_invitation_cannot_be_used(session: Session) -> None:
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    token = team.invite(session, firm.id, owner.id, "rosa@empresa.pe", now=T0)
    session.commit()
    [pending] = team.pending_invitations(session, firm.id, now=T0)
    assert team.revoke_invitation(session, firm.id, owner.id, pending.id, now=T0)
    session.commit()
    assert team.pending_invitations(session, firm.id, now=T0) == []
    with pytest.raises(team.TeamError):
        _join(session, token)
    assert "equipo_invitacion_revocada" in _actions(session)


def test_only_the_titular_invites_and_removes(session: Session) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000001")
    owner = _titular(session, firm.id)
    member = _join(session, team.invite(session, firm.id, owner.id, "rosa@empresa.pe", now=T0))
    staff = create_staff(session, "ana@sni.org.pe", "Ana Analista", PASSWORD)
    for who in (member.id, _titular(session, other.id).id, staff.id):
        with pytest.raises(team.TeamError):
            team.invite(session, firm.id, who, "nuevo@empresa.pe", now=T0)
        with pytest.raises(team.TeamError):
            team.remove_member(session, firm.id, who, member.id, now=T0)
    with pytest.raises(team.TeamError):
        team.remove_member(session, firm.id, owner.id, owner.id, now=T0)


def test_collaborators_cannot_change_profile_or_consents(session: Session) -> None:
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    member = _join(session, team.invite(session, firm.id, owner.id, "rosa@empresa.pe", now=T0))
    with pytest.raises(ProfileError):
        update_consents(session, firm.id, False, False, account_id=member.id)
    with pytest.raises(ProfileError):
        update_firm_profile(
            session,
            firm.id,
            annual_sales=1,
            sales_year=2025,
            workers=1,
            email="x@empresa.pe",
            region="Cusco",
            account_id=member.id,
        )
    assert update_consents(session, firm.id, False, True, account_id=owner.id) == ["compartir_sni"]


def test_removed_member_is_logged_out_and_cannot_log_in(session: Session) -> None:
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    member = _join(session, team.invite(session, firm.id, owner.id, "rosa@empresa.pe", now=T0))
    token = open_session(session, member)
    session.commit()
    assert account_for_token(session, token) is not None
    assert team.remove_member(session, firm.id, owner.id, member.id) == 1
    session.commit()
    assert account_for_token(session, token) is None
    assert identity_for_token(session, token) is None
    with pytest.raises(LoginError) as info:
        authenticate(session, "rosa@empresa.pe", OTHER)
    assert str(info.value) == LOGIN_FAILED

    class Scope:
        def __enter__(self):
            return session

        def __exit__(self, *exc):
            return False

    with pytest.raises(LoginError) as info:
        check_login(Scope, "rosa@empresa.pe", OTHER, "198.51.100.9", Throttle())
    assert str(info.value) == LOGIN_FAILED
    # Who answered keeps the name; the audit says who removed whom.
    assert team.member_names(session, firm.id)[member.id] == "Rosa Quispe"
    assert "equipo_baja" in _actions(session)


def test_an_active_collaborators_session_is_honoured(session: Session) -> None:
    """A session of an active collaborator is honoured (the disabled check is not too broad)."""
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    member = _join(session, team.invite(session, firm.id, owner.id, "rosa@empresa.pe", now=T0))
    token = open_session(session, member)
    session.commit()
    row = identity_for_token(session, token)
    assert row is not None and row["role"] == "colaborador" and row["firm_id"] == firm.id


def test_inviting_an_existing_login_or_bad_email_is_refused(session: Session) -> None:
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    create_staff(session, "ana@sni.org.pe", "Ana Analista", PASSWORD)
    with pytest.raises(team.TeamError) as info:
        team.invite(session, firm.id, owner.id, "ANA@sni.org.pe", now=T0)
    assert info.value.errors["email"] == team.LOGIN_TAKEN
    with pytest.raises(team.TeamError) as info:
        team.invite(session, firm.id, owner.id, "no es correo", now=T0)
    assert "email" in info.value.errors


def test_member_names_never_resolve_another_firms_accounts(session: Session) -> None:
    firm = make_firm(session)
    other = make_firm(session, "2060000001")
    names = team.member_names(session, firm.id)
    assert _titular(session, other.id).id not in names
    assert list(names) == [_titular(session, firm.id).id]


def test_a_disabled_accounts_session_is_not_honoured_even_if_left_open(session: Session) -> None:
    """Defence in depth: removal revokes sessions, and a disabled account's token is refused
    even when a session was somehow left open."""
    firm = make_firm(session)
    owner = _titular(session, firm.id)
    member = _join(session, team.invite(session, firm.id, owner.id, "rosa@empresa.pe", now=T0))
    token = open_session(session, member)
    member.disabled_at = T0
    session.commit()
    assert identity_for_token(session, token) is None
    assert account_for_token(session, token) is None
