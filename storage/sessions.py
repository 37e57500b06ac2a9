"""Server-side login sessions: random tokens, stored only as SHA-256, with a fixed expiry.

The lifetime is fixed at ``SESSION_HOURS`` from login (not sliding): predictable for users, and a
lookup never writes to the database. Answers are saved per section, so logging in again after
expiry loses nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from sqlalchemy import Connection, RowMapping, and_, bindparam, delete, select, update
from sqlalchemy.orm import Session

from storage.assessments import ASSESSMENT_ROW_COLUMNS
from storage.models import Account, Assessment, AuthSession, Firm, utcnow

SESSION_HOURS = 12
PENDING_SECONDS = 120  # a login waiting for the browser to collect its cookie
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


def is_token(value: object) -> bool:
    """Whether ``value`` has the shape of a token this module issues (cheap check first)."""
    return isinstance(value, str) and bool(_TOKEN.match(value))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _pending_hash(binding: str) -> str:
    # A different domain from session tokens: no cookie value can hash to a pending row.
    return hash_token("pendiente:" + binding)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def open_session(session: Session, account: Account, now: dt.datetime | None = None) -> str:
    """A new login token; only its SHA-256 is stored. Valid ``SESSION_HOURS`` from now."""
    now = now or utcnow()
    purge_sessions(session, account.id, now)
    token = new_token()
    session.add(
        AuthSession(
            token_hash=hash_token(token),
            account_id=account.id,
            created_at=now,
            expires_at=now + dt.timedelta(hours=SESSION_HOURS),
        )
    )
    session.flush()
    return token


def purge_sessions(session: Session, account_id: int, now: dt.datetime) -> int:
    """Delete the account's sessions that expired or were revoked: they can never be used."""
    finished = (AuthSession.expires_at <= now) | AuthSession.revoked_at.is_not(None)
    result = session.execute(
        delete(AuthSession).where(AuthSession.account_id == account_id, finished)
    )
    return result.rowcount or 0


def _find_session(session: Session, token: str) -> AuthSession | None:
    if not is_token(token):
        return None
    digest = hash_token(token)
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    return row


def account_for_token(
    session: Session, token: str, now: dt.datetime | None = None
) -> Account | None:
    """The account behind a live token; None for unknown, expired or revoked tokens."""
    row = _find_session(session, token)
    now = now or utcnow()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    if row.account.disabled_at is not None:
        return None
    return row.account


# What a page needs to know about who is logged in, read in one query on every run, with the
# assessment the page asks for when it is the firm's (the form reads it on every run: one query
# less per answer). Built once with bound parameters: SQLAlchemy then reuses its compiled form
# and cache key, which costs more than the query itself when the statement is rebuilt per call.
ASSESSMENT_PREFIX = "assessment_"
_IDENTITY = (
    select(
        AuthSession.token_hash,
        AuthSession.expires_at,
        AuthSession.revoked_at,
        Account.id.label("account_id"),
        Account.kind,
        Account.login,
        Account.display_name,
        Account.firm_id,
        Account.role,
        Account.disabled_at,
        Firm.ruc,
        Firm.razon_social,
        Firm.ciiu_division,
        Firm.region,
        Firm.size_class,
        Firm.workers,
        Firm.sales_year,
        Firm.consent_share_sni,
        Firm.consent_statistics,
        *(column.label(ASSESSMENT_PREFIX + column.key) for column in ASSESSMENT_ROW_COLUMNS),
    )
    .join(Account, Account.id == AuthSession.account_id)
    .outerjoin(Firm, Firm.id == Account.firm_id)
    .outerjoin(
        Assessment,
        and_(
            Assessment.id == bindparam("assessment_id"),
            Assessment.firm_id == Account.firm_id,
        ),
    )
    .where(AuthSession.token_hash == bindparam("digest"))
)


def identity_for_token(
    connection: Connection | Session,
    token: str,
    now: dt.datetime | None = None,
    assessment_id: int | None = None,
) -> RowMapping | None:
    """The account behind a live token and, for a firm account, its firm (``ruc`` is None when
    the firm is gone), in one query; None for unknown, expired or revoked tokens.

    With ``assessment_id``, also that assessment's row when it is the firm's (``assessment_of``).
    The same rules as ``account_for_token``, without loading ORM objects.
    """
    if not is_token(token):
        return None
    digest = hash_token(token)
    params = {"digest": digest, "assessment_id": assessment_id}
    row = connection.execute(_IDENTITY, params).mappings().first()
    if row is None or not hmac.compare_digest(row["token_hash"], digest):
        return None
    if row["revoked_at"] is not None or row["expires_at"] <= (now or utcnow()):
        return None
    if row["disabled_at"] is not None:  # removed from the firm's team
        return None
    return row


def assessment_of(row: RowMapping) -> dict[str, object] | None:
    """The assessment read with the login (the keys of ``assessment_row``); None when the one
    asked for is not the firm's, does not exist, or none was asked for."""
    if row[ASSESSMENT_PREFIX + "questionnaire_hash"] is None:  # a column never empty
        return None
    return {column.key: row[ASSESSMENT_PREFIX + column.key] for column in ASSESSMENT_ROW_COLUMNS}


def revoke_session(session: Session, token: str, now: dt.datetime | None = None) -> bool:
    """Log out: the token stops working. True if a live session was revoked."""
    row = _find_session(session, token)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    session.flush()
    return True


def revoke_account_sessions(
    session: Session,
    account_id: int,
    keep_token: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Revoke every live session of an account except ``keep_token``'s; returns how many."""
    now = now or utcnow()
    query = update(AuthSession).where(
        AuthSession.account_id == account_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
    )
    if keep_token:
        query = query.where(AuthSession.token_hash != hash_token(keep_token))
    result = session.execute(
        query.values(revoked_at=now), execution_options={"synchronize_session": "fetch"}
    )
    session.flush()
    return int(result.rowcount or 0)


# --- handing a login over to the browser ------------------------------------------------------
#
# A Streamlit page cannot set an HttpOnly cookie. When the registration page has created an
# account, it stores a *pending login* keyed by the browser's binding cookie (a random HttpOnly
# cookie the server set on the page load, which the page can read server-side but no script
# can); the browser is then sent to the server's ``/sesion/entrar`` route, which finds the
# pending login by that same cookie, consumes it once and sets the session cookie. Nothing
# secret appears in the page: a link to that route opened in another browser finds nothing.


def add_pending_login(
    session: Session, account: Account, binding: str, now: dt.datetime | None = None
) -> None:
    """Let the browser holding ``binding`` collect a session for ``account`` once, soon."""
    if not is_token(binding):
        raise ValueError("binding cookie missing or malformed")
    now = now or utcnow()
    digest = _pending_hash(binding)
    session.execute(delete(AuthSession).where(AuthSession.token_hash == digest))
    session.add(
        AuthSession(
            token_hash=digest,
            account_id=account.id,
            created_at=now,
            expires_at=now + dt.timedelta(seconds=PENDING_SECONDS),
            revoked_at=None,
        )
    )
    session.flush()


def take_pending_login(
    session: Session, binding: str, now: dt.datetime | None = None
) -> Account | None:
    """The account waiting for the browser holding ``binding``; usable once (atomic)."""
    if not is_token(binding):
        return None
    now = now or utcnow()
    digest = _pending_hash(binding)
    taken = session.execute(
        update(AuthSession)
        .where(
            AuthSession.token_hash == digest,
            AuthSession.revoked_at.is_(None),
            AuthSession.expires_at > now,
        )
        .values(revoked_at=now),
        execution_options={"synchronize_session": False},
    )
    if (taken.rowcount or 0) != 1:
        return None
    account_id = session.scalar(
        select(AuthSession.account_id).where(AuthSession.token_hash == digest)
    )
    session.execute(delete(AuthSession).where(AuthSession.token_hash == digest))
    return session.get(Account, account_id) if account_id is not None else None
