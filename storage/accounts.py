"""Accounts: registration, staff, login with slowdown, and the firm's profile and consents.

Passwords are argon2id hashes; a firm changes its own, SNI resets one with the CLI.

Login sessions live in ``storage.sessions``; their functions are re-exported here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, fields
from decimal import Decimal, InvalidOperation

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scoring import peru
from storage import audit, throttle
from storage.models import Account, Firm, utcnow
from storage.sessions import (  # noqa: F401 - re-exported
    SESSION_HOURS,
    account_for_token,
    hash_token,
    open_session,
    revoke_account_sessions,
    revoke_session,
)

MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing a huge password is a cheap denial of service
MAX_EMAIL = 254  # RFC 5321 path limit
MAX_LOGIN = 254
FREE_FAILURES = 5
MAX_DELAY_SECONDS = 15 * 60
LOGIN_FAILED = "RUC/correo o contraseña incorrectos."
LOGIN_MALFORMED = (
    "El RUC o correo tiene caracteres que no se pueden escribir en él. Escríbalo de nuevo."
)
# RUC types the firm registry issues: 10 natural person, 15 and 17 special cases (non-domiciled,
# foreign-born), 20 legal person.
RUC_PREFIXES = ("10", "15", "17", "20")
# A short list of the passwords people choose first (Spanish and English), compared without
# case or surrounding spaces; longer lists belong to a breach-check service, not this code.
_COMMON = """
    1234567890 0123456789 12345678910 0987654321 1122334455 1234512345 123456789a a123456789
    1q2w3e4r5t qwertyuiop qwerty1234 asdfghjkl1 password12 password123 password1234 passw0rd12
    contraseña contraseña1 contraseña12 contraseña123 contrasena contrasena1 contrasena123
    clave12345 clave123456 miclave123 administrador admin12345 admin123456 bienvenido
    bienvenido1 bienvenido123 iloveyou12 teamo12345 peru123456 peru2025 peru2026 lima123456
    empresa123 empresa1234 sni1234567 brujula123 brujulacircular abc1234567 abcdefghij
    abcd123456 1234abcd12 dragon1234 superman12 football12 baseball12 sunshine12 princess12
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())
# Characters that are letters to Python but show as nothing.
_INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Each argon2 call takes 64 MiB and a core for a while: a registration or login storm must not
# take the whole machine's memory, so at most this many run at once in the process; the rest
# wait their turn (no connection should be held while waiting: hash before the transaction).
HASH_SLOTS = max(1, min(4, os.cpu_count() or 1))
_hash_slots = threading.BoundedSemaphore(HASH_SLOTS)


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (bounded concurrency: ``HASH_SLOTS``)."""
    with _hash_slots:
        return _hasher.hash(password)


def _verify(password_hash: str, password: str) -> None:
    """argon2 verify (bounded concurrency); raises argon2's VerificationError family."""
    with _hash_slots:
        _hasher.verify(password_hash, password)


_DUMMY_HASH = hash_password("contraseña de relleno para igualar tiempos")


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


def _has_control(text: str) -> bool:
    """NUL and other control or unpaired surrogate characters: no field can hold them."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _visible_letter(text: str) -> bool:
    return any(ch.isalpha() and ch not in _INVISIBLE_LETTERS for ch in text)


def _password_error(password: str, *, login: str | None = None) -> str | None:
    password = password or ""
    if not password.strip():
        return "Escriba una contraseña: no puede estar vacía ni tener solo espacios."
    if len(password) < MIN_PASSWORD:
        return f"La contraseña debe tener al menos {MIN_PASSWORD} caracteres."
    if len(password) > MAX_PASSWORD:
        return f"La contraseña no puede tener más de {MAX_PASSWORD} caracteres."
    if "\x00" in password:
        return "La contraseña tiene un carácter que no se puede usar (NUL). Escríbala de nuevo."
    simple = password.strip().lower()
    if (
        simple in COMMON_PASSWORDS
        or len(set(simple)) <= 2
        or (login and simple == login.strip().lower())
    ):
        return (
            "Esa contraseña es de las más usadas y fácil de adivinar. Elija otra, por ejemplo "
            "una frase corta que solo usted conozca."
        )
    return None


def password_error(password: str, *, login: str | None = None) -> str | None:
    """Why ``password`` cannot be used (too short, too common...), or None."""
    return _password_error(password, login=login)


def _email_error(email: str) -> str | None:
    email = (email or "").strip()
    if len(email) > MAX_EMAIL:
        return f"El correo no puede tener más de {MAX_EMAIL} caracteres."
    if _has_control(email) or not _EMAIL.match(email):
        return "Escriba un correo electrónico válido, por ejemplo nombre@empresa.com.pe."
    return None


def _name_error(name: str, what: str) -> str | None:
    name = (name or "").strip()
    if not name:
        return f"Escriba {what}."
    if len(name) > 200:
        return f"{what[0].upper()}{what[1:]} no puede tener más de 200 caracteres."
    if _has_control(name):
        return f"{what[0].upper()}{what[1:]} tiene caracteres que no se pueden guardar."
    if not _visible_letter(name):
        return f"{what[0].upper()}{what[1:]} debe tener al menos una letra visible."
    return None


def ruc_error(ruc: str) -> str | None:
    """Why ``ruc`` cannot be a firm's RUC (check digit, type prefix, all-zero body), or None."""
    text = (ruc or "").strip()
    if _has_control(text):
        return "El RUC solo puede contener números, sin espacios, puntos ni guiones."
    if error := peru.ruc_error(text):
        return error
    if text[:2] not in RUC_PREFIXES:
        return (
            "El RUC debe empezar por 10, 15, 17 o 20 (el tipo de contribuyente). "
            "Revise que lo haya escrito bien."
        )
    if set(text[2:10]) == {"0"}:
        return "El RUC no es válido: el número después del tipo no puede ser solo ceros."
    return None


def ruc_warning(ruc: str) -> str | None:
    """A note, not an error, for a valid RUC that is not a company's (does not start with 20)."""
    text = (ruc or "").strip()
    if ruc_error(text) is not None or text.startswith("20"):
        return None
    kind = {"10": "de una persona natural con negocio"}.get(text[:2], "de un tipo especial")
    return (
        f"Este RUC es {kind}: los de empresas (personas jurídicas) empiezan por 20. Puede "
        "registrarse igual; revise que sea el RUC con que la empresa factura."
    )


def ruc_taken(session: Session, ruc: str) -> bool:
    """Whether a firm or an account already uses ``ruc`` (the registration form asks at once)."""
    ruc = (ruc or "").strip()
    taken = (
        select(Firm.id).where(Firm.ruc == ruc).union(select(Account.id).where(Account.login == ruc))
    )
    return session.execute(taken).first() is not None


MAX_SALES = Decimal("99999999999999.99")  # what the column holds (Numeric(16, 2))


def _sales_error(value: object) -> str | None:
    try:
        sales = Decimal(str(value))
        if not sales.is_finite() or sales < 0:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        return "Las ventas anuales deben ser un monto igual o mayor que cero."
    if sales > MAX_SALES:
        return "El monto de ventas es demasiado grande. Revise que esté en soles."
    return None


def _sales_year_error(value: object) -> str | None:
    try:
        year = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return "Elija el año de las ventas."
    try:
        peru.uit_for_year(year)
    except ValueError as exc:
        return str(exc)
    return None


def _workers_error(value: object) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return "El número de trabajadores debe ser un número entero, 0 o más."
    return None


def _region_error(value: object) -> str | None:
    if value not in peru.REGIONS:
        return "Elija la región donde está la planta principal."
    return None


def registration_errors(data: FirmRegistration) -> dict[str, str]:
    """Every field error of a registration, without touching the database."""
    return _firm_errors(data)


def _firm_errors(data: FirmRegistration) -> dict[str, str]:
    errors: dict[str, str] = {}
    if error := ruc_error(data.ruc):
        errors["ruc"] = error
    if error := _name_error(data.razon_social, "la razón social de la empresa"):
        errors["razon_social"] = error
    if data.ciiu_division not in peru.CIIU_DIVISIONS:
        errors["ciiu_division"] = "Elija la división CIIU de la industria (10 a 33)."
    if error := _region_error(data.region):
        errors["region"] = error
    if error := _sales_error(data.annual_sales):
        errors["annual_sales"] = error
    if error := _sales_year_error(data.sales_year):
        errors["sales_year"] = error
    if error := _workers_error(data.workers):
        errors["workers"] = error
    if error := _email_error(data.email):
        errors["email"] = error
    if error := _password_error(data.password, login=data.ruc):
        errors["password"] = error
    return errors


# Says no more than the firm needs to recover access: it does not confirm an account exists.
DUPLICATE_RUC = (
    "No se puede crear una cuenta nueva con este RUC. Si su empresa ya se registró, ingrese "
    "con el RUC; si nadie recuerda la contraseña, use «¿Olvidó su contraseña?» en «Ingresar» o "
    "escriba a SNI desde el correo de contacto de la empresa para que la restablezcan."
)


class DuplicateRuc(RegistrationError):
    """The RUC is taken (shown with the generic ``DUPLICATE_RUC`` message)."""


def _duplicate_ruc(ruc: str) -> RegistrationError:
    return DuplicateRuc({"ruc": DUPLICATE_RUC})


# The unique constraints that mean "this login is taken" (names from storage.db's naming
# convention; SQLite names the columns instead).
_LOGIN_CONSTRAINTS = {"uq_empresas_ruc": "empresas.ruc", "uq_cuentas_login": "cuentas.login"}


def violates_login_uniqueness(exc: IntegrityError) -> bool:
    """Whether ``exc`` is the RUC or login unique constraint, not any other violation (a
    primary key whose sequence fell behind, a foreign key...), which is not a duplicate RUC."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if constraint is not None:  # PostgreSQL (psycopg) names the constraint
        return constraint in _LOGIN_CONSTRAINTS
    text = str(orig if orig is not None else exc)
    return "UNIQUE constraint failed" in text and any(
        text.rstrip().endswith(column) for column in _LOGIN_CONSTRAINTS.values()
    )


def register_firm(
    session: Session,
    data: FirmRegistration | Mapping[str, object],
    password_hash: str | None = None,
) -> Firm:
    """Validate and create a firm with its account (login = RUC); flushes, does not commit.

    Nothing is written when it is refused: every check runs before the insert, and a RUC taken
    concurrently (unique constraint) rolls the whole session back. No SAVEPOINT: on SQLite,
    releasing one outside an explicit transaction commits it.

    ``password_hash``: ``hash_password(data.password)`` computed by the caller before opening
    the session (so a retried transaction does not hash again). Without it the password is
    hashed here before the first query, so a fresh session holds no connection meanwhile.
    """
    if not isinstance(data, FirmRegistration):
        known = {f.name for f in fields(FirmRegistration)}
        data = FirmRegistration(**{k: v for k, v in data.items() if k in known})  # type: ignore[arg-type]
    errors = _firm_errors(data)
    if errors:
        raise RegistrationError(errors)
    if password_hash is None:
        password_hash = hash_password(data.password)
    ruc = data.ruc.strip()
    if ruc_taken(session, ruc):
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
        role="titular",
        login=ruc,
        password_hash=password_hash,
        firm=firm,
        display_name=firm.razon_social,
        failed_logins=0,
    )
    session.add_all([firm, account])
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if violates_login_uniqueness(exc):  # registered concurrently since the check above
            raise _duplicate_ruc(ruc) from exc
        raise
    return firm


def create_staff(session: Session, email: str, name: str, password: str) -> Account:
    """Create an SNI staff account (login = lower-cased e-mail); flushes, does not commit."""
    errors: dict[str, str] = {}
    if error := _email_error(email):
        errors["email"] = error
    if error := _name_error(name, "el nombre de la persona"):
        errors["name"] = error
    if error := _password_error(password, login=email):
        errors["password"] = error
    if errors:
        raise RegistrationError(errors)
    password_hash = hash_password(password)  # before the first query: no connection held
    login = email.strip().lower()
    duplicate = RegistrationError({"email": f"Ya existe una cuenta con el correo {login}."})
    if session.scalar(select(Account.id).where(Account.login == login)):
        raise duplicate
    account = Account(
        kind="personal",
        login=login,
        password_hash=password_hash,
        display_name=name.strip(),
        failed_logins=0,
    )
    session.add(account)
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        if violates_login_uniqueness(exc):
            raise duplicate from exc
        raise
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


def login_is_malformed(login: str) -> bool:
    """A login no account can have (control characters such as NUL, or far too long)."""
    login = login or ""
    return len(login) > MAX_LOGIN or _has_control(login)


def authenticate(
    session: Session, login: str, password: str, now: dt.datetime | None = None
) -> Account:
    """The account for ``login``/``password`` or LoginError with one generic message.

    No per-account lockout here (a stranger could use it to lock a firm out): slowing down
    guessers is ``storage.throttle``'s job, per client address (``login``). Input that can never
    succeed (NUL, control characters, over-long) gets its own message, without a query.
    """
    if login_is_malformed(login):
        raise LoginError(LOGIN_MALFORMED)
    password = password or ""
    account = session.scalar(
        select(Account).where(
            Account.login == _normalize_login(login), Account.disabled_at.is_(None)
        )
    )
    _check_password(account.password_hash if account is not None else None, password)
    assert account is not None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def _check_password(password_hash: str | None, password: str) -> None:
    """LoginError unless ``password`` matches; an unknown login costs the same work."""
    if password_hash is None or len(password) > MAX_PASSWORD:
        # Same work as a real check, so timing does not reveal which logins exist.
        with contextlib.suppress(VerificationError):
            _verify(_DUMMY_HASH, password[: MAX_PASSWORD + 1])
        raise LoginError(LOGIN_FAILED)
    try:
        _verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        raise LoginError(LOGIN_FAILED) from None


def throttled_message(wait: float) -> str:
    return (
        "Demasiados intentos fallidos de ingreso. Por seguridad, espere "
        f"{throttle.wait_text(wait)} antes de volver a intentarlo."
    )


def login(
    session: Session,
    login: str,
    password: str,
    client: str | None,
    limiter: throttle.Throttle | None = None,
) -> Account:
    """``authenticate`` behind the throttle: the same answers for unknown and known logins.

    ``client`` is the client address. A client that failed too often for this login, or too
    often overall, waits (LoginError with ``retry_after``) without its password being checked;
    any other client with the right password gets in (see ``storage.throttle``).
    """
    if login_is_malformed(login):
        raise LoginError(LOGIN_MALFORMED)
    limiter = limiter or throttle.shared()
    name = _normalize_login(login)
    wait = limiter.login_wait(name, client)
    if wait:
        raise LoginError(throttled_message(wait), retry_after=wait)
    try:
        account = authenticate(session, name, password)
    except LoginError:
        limiter.login_failed(name, client)
        raise
    limiter.login_succeeded(name, client)
    return account


def check_login(
    sessions: Callable[[], AbstractContextManager[Session]],
    login: str,
    password: str,
    client: str | None,
    limiter: throttle.Throttle | None = None,
) -> int:
    """``login`` for the server's login route, returning the account id, without holding a
    database connection while argon2 runs: the hash is read in one short session, checked with
    none open, and a rehash (new parameters) is written in another.

    ``sessions()`` gives a session that commits on exit (``storage.db.session_scope``).
    """
    if login_is_malformed(login):
        raise LoginError(LOGIN_MALFORMED)
    limiter = limiter or throttle.shared()
    name = _normalize_login(login)
    wait = limiter.login_wait(name, client)
    if wait:
        raise LoginError(throttled_message(wait), retry_after=wait)
    with sessions() as session:
        found = session.execute(
            # A removed team member (disabled) is answered like an unknown login.
            select(Account.id, Account.password_hash).where(
                Account.login == name, Account.disabled_at.is_(None)
            )
        ).first()
    password = password or ""
    try:
        _check_password(found.password_hash if found is not None else None, password)
    except LoginError:
        limiter.login_failed(name, client)
        raise
    assert found is not None
    limiter.login_succeeded(name, client)
    if _hasher.check_needs_rehash(found.password_hash):
        new_hash = hash_password(password)
        with sessions() as session:
            account = session.get(Account, found.id)
            if account is not None and account.password_hash == found.password_hash:
                account.password_hash = new_hash
    return found.id


# --- the firm's own profile, consents and password ------------------------------------------


class ProfileError(RegistrationError):
    """A profile, consent or password change refused; ``errors`` maps fields to messages."""


@dataclass(frozen=True)
class FirmProfile:
    """What the "Mi empresa" page shows: a plain snapshot of the firm's stored profile."""

    id: int
    ruc: str
    razon_social: str
    ciiu_division: int
    region: str
    annual_sales: Decimal
    sales_year: int
    size_class: str
    workers: int
    email: str
    consent_share_sni: bool
    consent_statistics: bool


def firm_profile(session: Session, firm_id: int) -> FirmProfile | None:
    """The stored profile of one firm, or None when it does not exist."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        return None
    return FirmProfile(
        firm.id,
        firm.ruc,
        firm.razon_social,
        firm.ciiu_division,
        firm.region,
        Decimal(firm.annual_sales),
        firm.sales_year,
        firm.size_class,
        firm.workers,
        firm.email,
        bool(firm.consent_share_sni),
        bool(firm.consent_statistics),
    )


def _firm(session: Session, firm_id: int) -> Firm:
    firm = session.get(Firm, firm_id)
    if firm is None:
        raise LookupError(f"no firm with id {firm_id}")
    return firm


TITULAR_ONLY = (
    "Solo el titular de la cuenta de la empresa (quien ingresa con el RUC) puede cambiar los "
    "datos de la empresa, las autorizaciones y el equipo."
)


def check_titular(session: Session, firm_id: int, account_id: int | None) -> None:
    """``ProfileError`` unless ``account_id`` may manage the firm: its active titular, or SNI
    staff / the command line (``None``). Collaborators fill and read, they do not manage."""
    if account_id is None:
        return
    account = session.get(Account, account_id)
    if account is not None and account.kind == "personal":
        return
    if (
        account is None
        or account.firm_id != firm_id
        or account.role == "colaborador"
        or account.disabled_at is not None
    ):
        raise ProfileError({"general": TITULAR_ONLY})


def update_firm_profile(
    session: Session,
    firm_id: int,
    *,
    annual_sales: float | Decimal,
    sales_year: int,
    workers: int,
    email: str,
    region: str,
    account_id: int | None = None,
) -> Firm:
    """Validate and store the fields a firm may change itself; flushes, does not commit.

    The size class is recomputed with the UIT of ``sales_year``. Results already submitted keep
    the profile they were scored with (``storage.assessments.submit`` copies it); the next
    submission uses this one. RUC, razón social and CIIU division change only through SNI.
    Raises ``ProfileError`` with a message per field.
    """
    errors: dict[str, str] = {}
    if error := _sales_error(annual_sales):
        errors["annual_sales"] = error
    if error := _sales_year_error(sales_year):
        errors["sales_year"] = error
    if error := _workers_error(workers):
        errors["workers"] = error
    if error := _email_error(email):
        errors["email"] = error
    if error := _region_error(region):
        errors["region"] = error
    if errors:
        raise ProfileError(errors)
    firm = _firm(session, firm_id)
    check_titular(session, firm_id, account_id)
    sales = Decimal(str(annual_sales)).quantize(Decimal("0.01"))
    new = {
        "annual_sales": sales,
        "sales_year": int(sales_year),
        "size_class": peru.size_class(sales, int(sales_year)),
        "workers": int(workers),
        "email": email.strip(),
        "region": region,
    }
    changed = sorted(name for name, value in new.items() if getattr(firm, name) != value)
    if not changed:
        return firm
    old_size = firm.size_class
    for name in changed:
        setattr(firm, name, new[name])
    session.flush()
    # Which fields changed, not their values: the audit trail need not copy sales or e-mail.
    audit.record(
        session,
        account_id,
        "perfil",
        firm.ruc,
        {"empresa_id": firm.id, "campos": changed, "tamano": [old_size, firm.size_class]},
    )
    return firm


def update_consents(
    session: Session,
    firm_id: int,
    share: bool,
    statistics: bool,
    *,
    account_id: int | None = None,
) -> list[str]:
    """Store the firm's two consents; flushes, does not commit. Returns the changed ones.

    ``share``: SNI staff may see the firm's individual results. ``statistics``: its results
    count, anonymously, in aggregates and peer groups. Any change writes an audit entry
    (``audit.CONSENT``) with the values before and after. A change of ``statistics`` moves
    the data version that the cached panel and peers are keyed by (a trigger:
    ``storage.version_counters``).
    """
    firm = _firm(session, firm_id)
    check_titular(session, firm_id, account_id)
    before = {
        "compartir_sni": bool(firm.consent_share_sni),
        "estadisticas": bool(firm.consent_statistics),
    }
    after = {"compartir_sni": bool(share), "estadisticas": bool(statistics)}
    changed = [name for name in before if before[name] != after[name]]
    if not changed:
        return []
    firm.consent_share_sni = after["compartir_sni"]
    firm.consent_statistics = after["estadisticas"]
    session.flush()
    audit.record(
        session,
        account_id,
        audit.CONSENT,
        firm.ruc,
        {"empresa_id": firm.id, "cambios": changed, "antes": before, "despues": after},
    )
    return changed


def change_password(
    session: Session,
    account_id: int,
    current: str,
    new: str,
    *,
    keep_token: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Replace the password after checking the current one; returns how many sessions closed.

    The account's other open sessions are revoked (``keep_token``, the one in use, stays).
    A wrong current password counts as a failed login, with the same slowdown, and is
    committed at once. Raises ``ProfileError`` with messages for ``current`` and ``new``.
    """
    now = now or utcnow()
    account = session.get(Account, account_id)
    if account is None:
        raise LookupError(f"no account with id {account_id}")
    errors: dict[str, str] = {}
    if error := _password_error(new):
        errors["new"] = error
    elif new == current:
        errors["new"] = "La nueva contraseña debe ser distinta de la actual."
    if account.last_failed_at is not None:
        wait = login_delay(account.failed_logins)
        remaining = (account.last_failed_at + dt.timedelta(seconds=wait) - now).total_seconds()
        if remaining > 0:
            errors["current"] = (
                "Demasiados intentos fallidos. Por seguridad, espere "
                f"{_wait_text(remaining)} antes de volver a intentarlo."
            )
            raise ProfileError(errors)
    if not current:
        errors["current"] = "Escriba su contraseña actual."
        raise ProfileError(errors)
    try:
        _verify(account.password_hash, current[: MAX_PASSWORD + 1])
    except (VerifyMismatchError, InvalidHashError):
        account.failed_logins += 1
        account.last_failed_at = now
        session.commit()
        errors["current"] = "La contraseña actual no es correcta."
        raise ProfileError(errors) from None
    if errors:
        raise ProfileError(errors)
    account.password_hash = hash_password(new)
    account.failed_logins = 0
    account.last_failed_at = None
    closed = revoke_account_sessions(session, account.id, keep_token=keep_token, now=now)
    audit.record(session, account.id, "cambio_clave", account.login, {"sesiones_cerradas": closed})
    return closed


def reset_password(
    session: Session, login: str, new: str, now: dt.datetime | None = None
) -> tuple[Account, int]:
    """SNI resets a firm's or staff member's password (``python -m storage restablecer-clave``).

    Clears failed logins, revokes every open session of the account and writes the audit entry
    "restablecer_clave". Returns the account and how many sessions were closed; flushes only.
    """
    now = now or utcnow()
    name = _normalize_login(login)
    account = session.scalar(select(Account).where(Account.login == name))
    if account is None:
        raise ProfileError({"login": f"No existe una cuenta con el usuario «{name}»."})
    if error := _password_error(new):
        raise ProfileError({"password": error})
    account.password_hash = hash_password(new)
    account.failed_logins = 0
    account.last_failed_at = None
    closed = revoke_account_sessions(session, account.id, now=now)
    audit.record(
        session,
        None,
        "restablecer_clave",
        account.login,
        {"cuenta_id": account.id, "tipo": account.kind, "sesiones_cerradas": closed},
    )
    return account, closed
