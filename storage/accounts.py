"""Firm registration, staff accounts and password login with slowdown.

Login sessions live in ``storage.sessions``; their functions are re-exported here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scoring import peru
from storage.models import Account, Firm, utcnow
from storage.sessions import (  # noqa: F401 - re-exported
    SESSION_HOURS,
    account_for_token,
    hash_token,
    open_session,
    revoke_session,
)

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing a huge password is a cheap denial of service
FREE_FAILURES = 5
MAX_DELAY_SECONDS = 15 * 60
LOGIN_FAILED = "RUC/correo o contraseña incorrectos."

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = _hasher.hash("contraseña de relleno para igualar tiempos")


class RegistrationError(ValueError):
    """Registration refused; ``errors`` maps each form field to its Spanish message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__(" ".join(self.errors.values()))


class LoginError(Exception):
    """Login refused; ``retry_after`` (seconds) is set when the account must wait."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


@dataclass
class FirmRegistration:
    """What the registration form collects."""

    ruc: str
    razon_social: str
    ciiu_division: int
    region: str
    annual_sales: float | Decimal
    sales_year: int
    workers: int
    email: str
    password: str
    consent_share_sni: bool = False
    consent_statistics: bool = False
    is_demo: bool = False


def _password_error(password: str) -> str | None:
    if len(password or "") < MIN_PASSWORD:
        return f"La contraseña debe tener al menos {MIN_PASSWORD} caracteres."
    if len(password) > MAX_PASSWORD:
        return f"La contraseña no puede tener más de {MAX_PASSWORD} caracteres."
    return None


def _email_error(email: str) -> str | None:
    if not _EMAIL.match((email or "").strip()):
        return "Escriba un correo electrónico válido, por ejemplo nombre@empresa.com.pe."
    return None


def _firm_errors(data: FirmRegistration) -> dict[str, str]:
    errors: dict[str, str] = {}
    if error := peru.ruc_error(data.ruc):
        errors["ruc"] = error
    if not (data.razon_social or "").strip():
        errors["razon_social"] = "Escriba la razón social de la empresa."
    elif len(data.razon_social.strip()) > 200:
        errors["razon_social"] = "La razón social no puede tener más de 200 caracteres."
    if data.ciiu_division not in peru.CIIU_DIVISIONS:
        errors["ciiu_division"] = "Elija la división CIIU de la industria (10 a 33)."
    if data.region not in peru.REGIONS:
        errors["region"] = "Elija la región donde está la planta principal."
    try:
        sales = Decimal(str(data.annual_sales))
        if not sales.is_finite() or sales < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["annual_sales"] = "Las ventas anuales deben ser un monto igual o mayor que cero."
    try:
        peru.uit_for_year(int(data.sales_year))
    except ValueError as exc:
        errors["sales_year"] = str(exc)
    if not isinstance(data.workers, int) or isinstance(data.workers, bool) or data.workers < 0:
        errors["workers"] = "El número de trabajadores debe ser un número entero, 0 o más."
    if error := _email_error(data.email):
        errors["email"] = error
    if error := _password_error(data.password):
        errors["password"] = error
    return errors


def _duplicate_ruc(ruc: str) -> RegistrationError:
    return RegistrationError(
        {
            "ruc": f"Ya existe una cuenta para el RUC {ruc}. "
            "Inicie sesión o recupere su acceso con SNI."
        }
    )


def register_firm(session: Session, data: FirmRegistration | Mapping[str, object]) -> Firm:
    """Validate and create a firm with its account (login = RUC); flushes, does not commit."""
    if not isinstance(data, FirmRegistration):
        known = {f.name for f in fields(FirmRegistration)}
        data = FirmRegistration(**{k: v for k, v in data.items() if k in known})  # type: ignore[arg-type]
    errors = _firm_errors(data)
    if errors:
        raise RegistrationError(errors)
    ruc = data.ruc.strip()
    taken = (
        select(Firm.id).where(Firm.ruc == ruc).union(select(Account.id).where(Account.login == ruc))
    )
    if session.execute(taken).first():
        raise _duplicate_ruc(ruc)
    sales = Decimal(str(data.annual_sales)).quantize(Decimal("0.01"))
    firm = Firm(
        ruc=ruc,
        razon_social=data.razon_social.strip(),
        ciiu_division=data.ciiu_division,
        region=data.region,
        annual_sales=sales,
        sales_year=int(data.sales_year),
        size_class=peru.size_class(sales, int(data.sales_year)),
        workers=data.workers,
        email=data.email.strip(),
        consent_share_sni=bool(data.consent_share_sni),
        consent_statistics=bool(data.consent_statistics),
        is_demo=bool(data.is_demo),
    )
    account = Account(
        kind="empresa",
        login=ruc,
        password_hash=_hasher.hash(data.password),
        firm=firm,
        display_name=firm.razon_social,
        failed_logins=0,
    )
    try:
        with session.begin_nested():
            session.add_all([firm, account])
    except IntegrityError as exc:  # registered concurrently between the check and the insert
        raise _duplicate_ruc(ruc) from exc
    return firm


def create_staff(session: Session, email: str, name: str, password: str) -> Account:
    """Create an SNI staff account (login = lower-cased e-mail); flushes, does not commit."""
    errors: dict[str, str] = {}
    if error := _email_error(email):
        errors["email"] = error
    if not (name or "").strip():
        errors["name"] = "Escriba el nombre de la persona."
    if error := _password_error(password):
        errors["password"] = error
    if errors:
        raise RegistrationError(errors)
    login = email.strip().lower()
    duplicate = RegistrationError({"email": f"Ya existe una cuenta con el correo {login}."})
    if session.scalar(select(Account.id).where(Account.login == login)):
        raise duplicate
    account = Account(
        kind="personal",
        login=login,
        password_hash=_hasher.hash(password),
        display_name=name.strip(),
        failed_logins=0,
    )
    try:
        with session.begin_nested():
            session.add(account)
    except IntegrityError as exc:
        raise duplicate from exc
    return account


def login_delay(failures: int) -> float:
    """Seconds an account must wait after ``failures`` consecutive failed logins."""
    if failures < FREE_FAILURES:
        return 0.0
    return float(min(2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS))


def _wait_text(seconds: float) -> str:
    if seconds < 60:
        whole = max(1, math.ceil(seconds))
        return f"{whole} segundo" + ("s" if whole != 1 else "")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minuto" + ("s" if minutes != 1 else "")


def _normalize_login(login: str) -> str:
    login = (login or "").strip()
    return login.lower() if "@" in login else login


def authenticate(
    session: Session, login: str, password: str, now: dt.datetime | None = None
) -> Account:
    """The account for ``login``/``password`` or LoginError.

    A failure is committed at once (so a caller's rollback cannot erase it); after
    ``FREE_FAILURES`` consecutive failures each attempt waits 2^(n-5) s, up to 15 minutes.
    """
    now = now or utcnow()
    account = session.scalar(select(Account).where(Account.login == _normalize_login(login)))
    if account is None:
        # Same work as a real check, so timing does not reveal which logins exist.
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password or "")
        raise LoginError(LOGIN_FAILED)
    if account.last_failed_at is not None:
        wait = login_delay(account.failed_logins)
        remaining = (account.last_failed_at + dt.timedelta(seconds=wait) - now).total_seconds()
        if remaining > 0:
            raise LoginError(
                "Demasiados intentos fallidos. Por seguridad, espere "
                f"{_wait_text(remaining)} antes de volver a intentarlo.",
                retry_after=remaining,
            )
    try:
        _hasher.verify(account.password_hash, password or "")
    except (VerifyMismatchError, InvalidHashError):
        account.failed_logins += 1
        account.last_failed_at = now
        session.commit()
        wait = login_delay(account.failed_logins)
        if wait:
            raise LoginError(
                f"{LOGIN_FAILED} Por seguridad, espere {_wait_text(wait)} antes de volver a "
                "intentarlo.",
                retry_after=wait,
            ) from None
        raise LoginError(LOGIN_FAILED) from None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    account.failed_logins = 0
    account.last_failed_at = None
    return account
