"""Self-service password reset by e-mail: a single-use link valid for one hour.

1. ``request_reset`` (the «¿Olvidó su contraseña?» form, RUC or e-mail): for each active account
   that matches, a random token is stored as SHA-256 and a link ``/restablecer?codigo=...`` is
   mailed (``storage.mail``) to the account's address: the firm's contact e-mail for the titular
   (who logs in with the RUC), the login e-mail for collaborators and SNI staff. The page always
   shows the same message (``REQUEST_ANSWER``), whether or not an account matched, and the mail
   is sent in the background so the answer takes as long either way.
2. ``complete_reset`` (the link): the new password replaces the old one, the token and every
   other pending one of the account are spent, every session of the account is revoked.

Throttled twice: ``MAX_PER_ACCOUNT`` links per account per hour (counted in the database, so the
mailbox of a firm cannot be flooded from many addresses) and ``CLIENT_LIMITS`` requests per
client address (``storage.throttle``'s storage, shared by every replica when configured).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import math
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

from limits import parse_many
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage import audit, mail, throttle
from storage.accounts import ProfileError, login_is_malformed, password_error
from storage.models import Account, Firm, PasswordReset, utcnow
from storage.sessions import hash_token, is_token, new_token, revoke_account_sessions

log = logging.getLogger(__name__)

RESET_MINUTES = 60
MAX_PER_ACCOUNT = 3  # links per account per hour
CLIENT_LIMITS = "5/10 minutes;20/day"  # requests per client address

REQUEST_ANSWER = (
    "Si el RUC o correo corresponde a una cuenta de Brújula Circular, en unos minutos llegará "
    "un correo con un enlace para elegir una contraseña nueva. El enlace vale 1 hora y sirve "
    "una sola vez. Revise también la carpeta de correo no deseado."
)
NOT_AVAILABLE = (
    "El envío de correos no está disponible en este servidor. Para recuperar el acceso, "
    "escriba a SNI desde el correo de contacto de su empresa: el equipo le pondrá una "
    "contraseña nueva, que luego puede cambiar en «Mi empresa»."
)
LINK_INVALID = (
    "Este enlace para restablecer la contraseña no es válido: venció (vale 1 hora), ya se usó "
    "o está incompleto. Pida uno nuevo en «¿Olvidó su contraseña?»."
)
SUBJECT = "Brújula Circular: restablezca su contraseña"
BODY = """Hola:

Alguien (esperamos que usted) pidió restablecer la contraseña de la cuenta «{login}» en
Brújula Circular. Para elegir una contraseña nueva, abra este enlace:

{link}

El enlace vale 1 hora y sirve una sola vez. Al cambiar la contraseña se cierran todas las
sesiones abiertas de la cuenta.

Si usted no lo pidió, ignore este correo: su contraseña no cambia.

Brújula Circular · Sociedad Nacional de Industrias
"""


class ResetThrottled(Exception):
    """Too many requests from this client address; ``retry_after`` in seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(
            "Demasiadas solicitudes desde esta conexión. Por seguridad, espere "
            f"{throttle.wait_text(retry_after)} antes de pedir otro enlace."
        )


@dataclass(frozen=True)
class Outgoing:
    """One reset mail to send (built inside the transaction, sent after it commits)."""

    to: str
    login: str
    token: str


def _client_wait(client: str | None, hit: bool) -> float:
    limiter = throttle.shared()
    key = f"{limiter._namespace}:restablecer:{throttle._digest(client or 'desconocido')}"
    now = time.time()
    wait = 0.0
    for item in parse_many(CLIENT_LIMITS):
        if not limiter.limiter.test(item, key):
            reset, _ = limiter.limiter.get_window_stats(item, key)
            wait = max(wait, reset - now, 1.0)
    if hit and not wait:
        for item in parse_many(CLIENT_LIMITS):
            limiter.limiter.hit(item, key)
    return math.ceil(wait) if wait else 0.0


def _accounts_for(session: Session, typed: str) -> list[tuple[Account, str]]:
    """The active accounts ``typed`` (RUC or e-mail) names, each with the address to mail."""
    name = throttle.normalize_login(typed)
    found: list[tuple[Account, str]] = []
    rows = session.execute(
        select(Account, Firm.email)
        .outerjoin(Firm, Firm.id == Account.firm_id)
        .where(Account.login == name, Account.disabled_at.is_(None))
    ).all()
    for account, firm_email in rows:
        to = firm_email if account.kind == "empresa" and account.role != "colaborador" else None
        found.append((account, to or account.login))
    if "@" in name and not found:
        # The firm's contact e-mail also names its titular (who logs in with the RUC).
        titulars = session.execute(
            select(Account, Firm.email)
            .join(Firm, Firm.id == Account.firm_id)
            .where(
                func.lower(Firm.email) == name,
                Account.kind == "empresa",
                Account.role != "colaborador",
                Account.disabled_at.is_(None),
            )
            .limit(5)
        ).all()
        found.extend((account, email) for account, email in titulars)
    return found


def create_requests(session: Session, typed: str, now: dt.datetime | None = None) -> list[Outgoing]:
    """Store a reset token for each account ``typed`` names (at most ``MAX_PER_ACCOUNT`` an
    hour each) and return the mails to send; flushes, does not commit. Nothing is said about
    which accounts matched: the caller shows ``REQUEST_ANSWER`` in every case."""
    now = now or utcnow()
    if login_is_malformed(typed) or not (typed or "").strip():
        return []
    outgoing = []
    for account, to in _accounts_for(session, typed):
        recent = session.scalar(
            select(func.count(PasswordReset.id)).where(
                PasswordReset.account_id == account.id,
                PasswordReset.created_at > now - dt.timedelta(hours=1),
            )
        )
        if recent >= MAX_PER_ACCOUNT:
            audit.record(
                session, None, "restablecer_limite", account.login, {"cuenta_id": account.id}
            )
            continue
        token = new_token()
        session.add(
            PasswordReset(
                account_id=account.id,
                token_hash=hash_token(token),
                created_at=now,
                expires_at=now + dt.timedelta(minutes=RESET_MINUTES),
            )
        )
        audit.record(
            session, None, "restablecer_solicitud", account.login, {"cuenta_id": account.id}
        )
        outgoing.append(Outgoing(to, account.login, token))
    session.flush()
    return outgoing


def send_links(settings: mail.MailConfig, outgoing: list[Outgoing]) -> int:
    """Mail each link; returns how many were handed to the server (failures are logged)."""
    sent = 0
    for item in outgoing:
        link = settings.link("restablecer", codigo=item.token)
        try:
            mail.send(settings, item.to, SUBJECT, BODY.format(login=item.login, link=link))
            sent += 1
        except mail.MailError:
            log.exception("password reset mail for %s could not be sent", item.login)
    return sent


def request_reset(
    sessions: Callable[[], AbstractContextManager[Session]],
    typed: str,
    client: str | None,
    *,
    settings: mail.MailConfig | None = None,
    background: bool = True,
) -> threading.Thread | None:
    """The «¿Olvidó su contraseña?» form: throttle, store tokens, send the mails.

    Raises ``ResetThrottled`` when this client asked too often, and ``LookupError`` when mail
    is not configured (the page shows ``NOT_AVAILABLE``). Otherwise the caller shows
    ``REQUEST_ANSWER``. With ``background`` the mails go out in a thread (returned), so an
    existing account does not answer slower than an unknown one.
    """
    settings = settings or mail.config()
    if settings is None:
        raise LookupError("mail is not configured")
    if wait := _client_wait(client, hit=True):
        raise ResetThrottled(wait)
    with sessions() as session:
        outgoing = create_requests(session, typed)
    if not outgoing:
        return None
    if not background:
        send_links(settings, outgoing)
        return None
    thread = threading.Thread(
        target=send_links, args=(settings, outgoing), name="correo-restablecer", daemon=True
    )
    thread.start()
    return thread


def _live_reset(session: Session, token: str, now: dt.datetime) -> PasswordReset | None:
    if not is_token(token):
        return None
    digest = hash_token(token)
    row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == digest))
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None
    if row.used_at is not None or row.expires_at <= now:
        return None
    account = session.get(Account, row.account_id)
    if account is None or account.disabled_at is not None:
        return None
    return row


def login_for_token(session: Session, token: str, now: dt.datetime | None = None) -> str | None:
    """The login the link resets (shown on the page), or None when the link is not usable."""
    row = _live_reset(session, token, now or utcnow())
    if row is None:
        return None
    return session.get(Account, row.account_id).login  # type: ignore[union-attr]


def complete_reset(
    session: Session,
    token: str,
    new_password: str,
    password_hash: str,
    now: dt.datetime | None = None,
) -> tuple[Account, int]:
    """Spend the link and set the password (``password_hash``: ``hash_password(new_password)``,
    computed by the caller with no connection held). Returns the account and how many sessions
    were closed; flushes, does not commit. ``ProfileError`` with ``codigo`` (link not usable) or
    ``password`` (too weak) otherwise."""
    now = now or utcnow()
    row = _live_reset(session, token, now)
    if row is None:
        raise ProfileError({"codigo": LINK_INVALID})
    account = session.get(Account, row.account_id)
    assert account is not None
    if error := password_error(new_password, login=account.login):
        raise ProfileError({"password": error})
    spent = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    if (spent.rowcount or 0) != 1:  # used by another tab a moment ago
        raise ProfileError({"codigo": LINK_INVALID})
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.account_id == account.id, PasswordReset.used_at.is_(None))
        .values(used_at=now),
        execution_options={"synchronize_session": False},
    )
    account.password_hash = password_hash
    account.failed_logins = 0
    account.last_failed_at = None
    closed = revoke_account_sessions(session, account.id, now=now)
    audit.record(
        session,
        account.id,
        "restablecer_clave_correo",
        account.login,
        {"cuenta_id": account.id, "sesiones_cerradas": closed},
    )
    return account, closed
