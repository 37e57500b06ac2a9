"""Several people per firm: the titular invites colleagues, who join with their own login.

* The **titular** (``cuentas.role = 'titular'``, logs in with the RUC) invites by e-mail: a random
  token, stored as SHA-256, becomes the link ``/unirse?codigo=...``, shown once, valid
  ``INVITE_DAYS`` days, single use and revocable.
* Accepting creates a **colaborador** account (kind ``empresa``, login = the invited e-mail, its
  own argon2 password). Collaborators fill assessments and see results; only the titular
  changes the firm's profile, consents and team (``storage.accounts.check_titular``, enforced
  here and in the pages).
* Removing a member sets ``disabled_at`` and revokes their sessions; a disabled account cannot
  log in (``storage.accounts``) and no session of it is honoured (``storage.sessions``). The
  account is kept so «who answered what» keeps its name (``member_names``).

Every step writes an audit entry: ``equipo_invitacion``, ``equipo_invitacion_revocada``,
``equipo_union``, ``equipo_baja``.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage import audit
from storage.accounts import (
    RegistrationError,
    _email_error,
    _name_error,
    check_titular,
    password_error,
    violates_login_uniqueness,
)
from storage.models import Account, Firm, Invitation, utcnow
from storage.sessions import hash_token, is_token, new_token, revoke_account_sessions

INVITE_DAYS = 7
MAX_PENDING = 20  # open invitations per firm
JOIN_PATH = "unirse"
INVITE_INVALID = (
    "Esta invitación no es válida: venció (vale 7 días), ya se usó, fue anulada o el enlace "
    "está incompleto. Pida al titular de la cuenta de su empresa una invitación nueva."
)
LOGIN_TAKEN = (
    "Ya hay una cuenta de Brújula Circular con ese correo. Use otro correo, o si es suyo, "
    "ingrese con él."
)


class TeamError(RegistrationError):
    """A team change refused; ``errors`` maps each field (or ``general``) to its message."""


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    login: str
    role: str  # "titular" | "colaborador"
    since: dt.datetime
    removed_at: dt.datetime | None


@dataclass(frozen=True)
class PendingInvitation:
    id: int
    email: str
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclass(frozen=True)
class InvitationView:
    """What the «Unirse» page shows about a live invitation."""

    email: str
    firm_name: str
    expires_at: dt.datetime


def _titular(session: Session, firm_id: int, account_id: int) -> None:
    try:
        check_titular(session, firm_id, account_id)
    except RegistrationError as exc:
        raise TeamError(exc.errors) from None
    account = session.get(Account, account_id)
    if account is None or account.kind != "empresa":  # staff do not manage a firm's team
        raise TeamError(
            {"general": "Solo el titular de la cuenta de la empresa gestiona su equipo."}
        )


def invite(
    session: Session, firm_id: int, by_account_id: int, email: str, now: dt.datetime | None = None
) -> str:
    """A new invitation for ``email``; returns the token (shown once as a link, never stored).

    An earlier open invitation of the firm for the same e-mail is revoked. Flushes only.
    """
    now = now or utcnow()
    _titular(session, firm_id, by_account_id)
    if error := _email_error(email):
        raise TeamError({"email": error})
    email = email.strip().lower()
    if session.scalar(select(Account.id).where(Account.login == email)):
        raise TeamError({"email": LOGIN_TAKEN})
    open_ones = _open(firm_id, now)
    if session.scalar(select(func.count()).select_from(open_ones.subquery())) >= MAX_PENDING:
        raise TeamError(
            {"general": f"Su empresa ya tiene {MAX_PENDING} invitaciones abiertas: anule alguna."}
        )
    session.execute(
        update(Invitation)
        .where(Invitation.firm_id == firm_id, Invitation.email == email)
        .where(Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    token = new_token()
    invitation = Invitation(
        firm_id=firm_id,
        token_hash=hash_token(token),
        email=email,
        invited_by=by_account_id,
        created_at=now,
        expires_at=now + dt.timedelta(days=INVITE_DAYS),
    )
    session.add(invitation)
    session.flush()
    audit.record(
        session,
        by_account_id,
        "equipo_invitacion",
        email,
        {"empresa_id": firm_id, "invitacion_id": invitation.id},
    )
    return token


def _open(firm_id: int, now: dt.datetime):
    return select(Invitation).where(
        Invitation.firm_id == firm_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
        Invitation.expires_at > now,
    )


def pending_invitations(
    session: Session, firm_id: int, now: dt.datetime | None = None
) -> list[PendingInvitation]:
    """The firm's invitations not yet accepted, revoked or expired, newest first."""
    rows = session.scalars(
        _open(firm_id, now or utcnow()).order_by(Invitation.created_at.desc(), Invitation.id)
    )
    return [PendingInvitation(r.id, r.email, r.created_at, r.expires_at) for r in rows]


def revoke_invitation(
    session: Session,
    firm_id: int,
    by_account_id: int,
    invitation_id: int,
    now: dt.datetime | None = None,
) -> bool:
    """Cancel an open invitation of the firm; False when there was none to cancel."""
    now = now or utcnow()
    _titular(session, firm_id, by_account_id)
    invitation = session.get(Invitation, invitation_id)
    if (
        invitation is None
        or invitation.firm_id != firm_id
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
    ):
        return False
    invitation.revoked_at = now
    session.flush()
    audit.record(
        session,
        by_account_id,
        "equipo_invitacion_revocada",
        invitation.email,
        {"empresa_id": firm_id, "invitacion_id": invitation.id},
    )
    return True


def _live(session: Session, token: str, now: dt.datetime) -> Invitation | None:
    if not is_token(token):
        return None
    digest = hash_token(token)
    row = session.scalar(select(Invitation).where(Invitation.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.accepted_at is not None or row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def invitation_for_token(
    session: Session, token: str, now: dt.datetime | None = None
) -> InvitationView | None:
    """The live invitation behind ``token`` (for the «Unirse» page), or None."""
    row = _live(session, token, now or utcnow())
    if row is None:
        return None
    firm = session.get(Firm, row.firm_id)
    if firm is None:
        return None
    return InvitationView(row.email, firm.razon_social, row.expires_at)


def join_errors(name: str, password: str, email: str) -> dict[str, str]:
    """Field errors of the «Unirse» form, without touching the database."""
    errors: dict[str, str] = {}
    if error := _name_error(name, "su nombre"):
        errors["name"] = error
    if error := password_error(password, login=email):
        errors["password"] = error
    return errors


def accept(
    session: Session,
    token: str,
    name: str,
    password: str,
    password_hash: str,
    now: dt.datetime | None = None,
) -> Account:
    """Spend the invitation and create the collaborator's account (login = the invited
    e-mail); ``password_hash`` is ``hash_password(password)``, computed by the caller with no
    connection held. Flushes, does not commit. ``TeamError`` when refused."""
    now = now or utcnow()
    invitation = _live(session, token, now)
    if invitation is None:
        raise TeamError({"codigo": INVITE_INVALID})
    if errors := join_errors(name, password, invitation.email):
        raise TeamError(errors)
    spent = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .where(Invitation.revoked_at.is_(None))
        .values(accepted_at=now),
        execution_options={"synchronize_session": False},
    )
    if (spent.rowcount or 0) != 1:  # accepted in another tab a moment ago
        raise TeamError({"codigo": INVITE_INVALID})
    if session.scalar(select(Account.id).where(Account.login == invitation.email)):
        raise TeamError({"general": LOGIN_TAKEN})
    account = Account(
        kind="empresa",
        role="colaborador",
        login=invitation.email,
        password_hash=password_hash,
        firm_id=invitation.firm_id,
        display_name=name.strip(),
        failed_logins=0,
        created_at=now,
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if violates_login_uniqueness(exc):
            raise TeamError({"general": LOGIN_TAKEN}) from exc
        raise
    session.execute(
        update(Invitation).where(Invitation.id == invitation.id).values(accepted_by=account.id),
        execution_options={"synchronize_session": False},
    )
    audit.record(
        session,
        account.id,
        "equipo_union",
        account.login,
        {"empresa_id": invitation.firm_id, "invitacion_id": invitation.id},
    )
    return account


def members(session: Session, firm_id: int) -> list[Member]:
    """Everyone who has belonged to the firm's account: the titular first, then by name."""
    rows = session.scalars(
        select(Account)
        .where(Account.firm_id == firm_id, Account.kind == "empresa")
        .order_by((Account.role == "colaborador"), Account.display_name, Account.id)
    )
    return [
        Member(a.id, a.display_name, a.login, a.role or "titular", a.created_at, a.disabled_at)
        for a in rows
    ]


def remove_member(
    session: Session,
    firm_id: int,
    by_account_id: int,
    member_id: int,
    now: dt.datetime | None = None,
) -> int:
    """Take a collaborator off the firm: disabled (kept for history), sessions revoked.
    Returns how many sessions were closed. The titular cannot be removed. Flushes only."""
    now = now or utcnow()
    _titular(session, firm_id, by_account_id)
    member = session.get(Account, member_id)
    if member is None or member.firm_id != firm_id or member.kind != "empresa":
        raise TeamError({"general": "Esa persona no es parte del equipo de su empresa."})
    if member.role != "colaborador":
        raise TeamError({"general": "El titular de la cuenta no se puede quitar del equipo."})
    if member.disabled_at is not None:
        return 0
    member.disabled_at = now
    closed = revoke_account_sessions(session, member.id, now=now)
    audit.record(
        session,
        by_account_id,
        "equipo_baja",
        member.login,
        {"empresa_id": firm_id, "cuenta_id": member.id, "sesiones_cerradas": closed},
    )
    return closed


def member_names(session: Session, firm_id: int) -> dict[int, str]:
    """Account id → name of everyone who has belonged to the firm (removed members too, so an
    answer keeps who gave it). Only this firm's accounts: ids of others never resolve."""
    rows = session.execute(
        select(Account.id, Account.display_name).where(
            Account.firm_id == firm_id, Account.kind == "empresa"
        )
    )
    return {account_id: name for account_id, name in rows}
