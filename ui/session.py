"""Who is using the app: server-side login sessions carried in a browser cookie.

The token lives in ``st.session_state`` for the life of the browser tab and in a cookie so that a
reload (a new Streamlit session) finds it again through ``st.context.cookies``. Streamlit cannot
set cookies from Python, so a tiny script written with ``st.html`` sets or deletes it. The cookie
alone proves nothing: every run re-validates the token against the database (expiry, logout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from storage import audit
from storage.accounts import SESSION_HOURS, authenticate, open_session, revoke_session
from storage.models import Account, Firm
from storage.sessions import identity_for_token
from ui import db

COOKIE_NAME = "brujula_sesion"
TOKEN_KEY = "auth_token"
ACCOUNT_KEY = "auth_account"
FIRM_KEY = "auth_firm"
COOKIE_ACTION_KEY = "auth_cookie_action"
STALE_COOKIE_KEY = "auth_stale_cookie"
ASSESSMENT_KEY = "evaluacion_id"
ASSESSMENT_PARAM = "evaluacion"

LOGIN_PAGE = "ui/pages/login.py"
DASHBOARD_PAGE = "ui/pages/dashboard.py"
HOME_PAGE = "ui/pages/home.py"
METHOD_PAGE = "ui/pages/method.py"
PAGES_DIR = Path(__file__).resolve().parent / "pages"


@dataclass(frozen=True)
class AccountInfo:
    """A plain snapshot of the logged-in account (no live ORM object kept between runs)."""

    id: int
    kind: str  # "empresa" or "personal"
    login: str
    display_name: str
    firm_id: int | None

    @property
    def is_firm(self) -> bool:
        return self.kind == "empresa"

    @property
    def is_staff(self) -> bool:
        return self.kind == "personal"


@dataclass(frozen=True)
class FirmInfo:
    id: int
    ruc: str
    razon_social: str
    ciiu_division: int
    region: str
    size_class: str
    workers: int
    sales_year: int
    consent_share_sni: bool
    consent_statistics: bool


def _account_info(account: Account) -> AccountInfo:
    return AccountInfo(
        account.id, account.kind, account.login, account.display_name, account.firm_id
    )


def _firm_info(firm: Firm) -> FirmInfo:
    return FirmInfo(
        firm.id,
        firm.ruc,
        firm.razon_social,
        firm.ciiu_division,
        firm.region,
        firm.size_class,
        firm.workers,
        firm.sales_year,
        firm.consent_share_sni,
        firm.consent_statistics,
    )


def _cookie_token() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no browser context (e.g. some test harnesses)
        return None
    return value if isinstance(value, str) and value else None


def _identity(token: str | None) -> tuple[AccountInfo, FirmInfo | None] | None:
    if not isinstance(token, str) or not token:
        return None
    with db.connection() as connection:
        row = identity_for_token(connection, token)
    if row is None:
        return None
    account = AccountInfo(
        row["account_id"], row["kind"], row["login"], row["display_name"], row["firm_id"]
    )
    firm = None
    if row["firm_id"] is not None and row["ruc"] is not None:
        firm = FirmInfo(
            row["firm_id"],
            row["ruc"],
            row["razon_social"],
            row["ciiu_division"],
            row["region"],
            row["size_class"],
            row["workers"],
            row["sales_year"],
            row["consent_share_sni"],
            row["consent_statistics"],
        )
    return account, firm


def identify() -> AccountInfo | None:
    """Validate the session token against the database; called by app.py on every run.

    One query reads the session, the account and its firm, so pages asking for the firm
    (``require_firm``) get what the database said in this very run.
    """
    token = st.session_state.get(TOKEN_KEY)
    found = _identity(token)
    if found is None:
        # A reload starts a new Streamlit session: the cookie brings the token back.
        cookie = _cookie_token()
        if cookie is not None and cookie != token:
            token = cookie
            found = _identity(token)
    account, firm = found if found is not None else (None, None)
    if account is not None:
        st.session_state[TOKEN_KEY] = token
    else:
        st.session_state.pop(TOKEN_KEY, None)
        stale = _cookie_token()
        if stale and st.session_state.get(STALE_COOKIE_KEY) != stale:
            # An expired or revoked cookie: delete it once (st.context keeps showing it).
            st.session_state[STALE_COOKIE_KEY] = stale
            st.session_state.setdefault(COOKIE_ACTION_KEY, "delete")
    st.session_state[ACCOUNT_KEY] = account
    st.session_state[FIRM_KEY] = firm
    _sync_cookie()
    return account


def _sync_cookie() -> None:
    """Write the pending cookie change with a one-off script (JavaScript cannot read our data)."""
    action = st.session_state.pop(COOKIE_ACTION_KEY, None)
    if action == "set":
        token = st.session_state.get(TOKEN_KEY)
        if not token:
            return
        value = json.dumps(f"{COOKIE_NAME}={token}; path=/; max-age={SESSION_HOURS * 3600}")
    elif action == "delete":
        value = json.dumps(f"{COOKIE_NAME}=; path=/; max-age=0")
    else:
        return
    script = (
        "<script>(function(){var c="
        + value
        + ";if(location.protocol==='https:'){c+='; Secure';}"
        + "document.cookie=c+'; SameSite=Strict';})();</script>"
    )
    st.html(script, unsafe_allow_javascript=True, width="content")


def current_account() -> AccountInfo | None:
    """The account identified in this run (``identify`` re-validates it on every run)."""
    if ACCOUNT_KEY not in st.session_state:
        return identify()
    return st.session_state[ACCOUNT_KEY]


def _ask_login(message: str = "Inicie sesión para continuar.") -> None:
    st.info(message)
    st.page_link(LOGIN_PAGE, label="Ingresar", icon=":material/login:")
    st.page_link("ui/pages/register.py", label="Crear cuenta de empresa", icon=":material/add:")
    st.stop()


def load_firm(firm_id: int) -> FirmInfo | None:
    with db.session() as database:
        firm = database.get(Firm, firm_id)
        return _firm_info(firm) if firm is not None else None


def require_firm() -> tuple[AccountInfo, FirmInfo]:
    """The logged-in firm account and its firm, or a login prompt and ``st.stop()``."""
    account = current_account()
    if account is None:
        _ask_login()
    assert account is not None
    if not account.is_firm or account.firm_id is None:
        st.warning("Esta página es para las empresas registradas.")
        st.stop()
    firm = st.session_state.get(FIRM_KEY)
    if not isinstance(firm, FirmInfo) or firm.id != account.firm_id:
        firm = load_firm(account.firm_id)  # identify() did not run first (e.g. a page test)
    if firm is None:
        _ask_login("No encontramos su empresa. Inicie sesión de nuevo.")
    assert firm is not None
    return account, firm


def require_staff() -> AccountInfo:
    """The logged-in SNI staff account, or a message and ``st.stop()`` (checked on every run)."""
    account = current_account()
    if account is None:
        _ask_login()
    assert account is not None
    if not account.is_staff:
        st.error("Esta página es solo para el equipo de SNI.")
        st.stop()
    return account


def login(login_name: str, password: str) -> AccountInfo:
    """Check the password, open a server-side session and remember it in this browser.

    Raises ``storage.accounts.LoginError`` with a Spanish message on failure.
    """
    with db.session() as database:
        account = authenticate(database, login_name, password)
        token = open_session(database, account)
        audit.record(database, account.id, "ingreso", account.login)
        info = _account_info(account)
    st.session_state[TOKEN_KEY] = token
    st.session_state[ACCOUNT_KEY] = info
    st.session_state.pop(FIRM_KEY, None)  # read again with the account on the next run
    st.session_state[COOKIE_ACTION_KEY] = "set"
    return info


def logout() -> None:
    """Revoke the session in the database and forget it in this browser."""
    token = st.session_state.get(TOKEN_KEY) or _cookie_token()
    if token:
        with db.session() as database:
            revoke_session(database, token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[ACCOUNT_KEY] = None
    flash("Cerró sesión. Sus respuestas quedaron guardadas.")
    st.session_state[COOKIE_ACTION_KEY] = "delete"
    if _cookie_token():
        st.session_state[STALE_COOKIE_KEY] = _cookie_token()


def select_assessment(assessment_id: int) -> None:
    """Remember which assessment the firm is working on (session state and the URL)."""
    st.session_state[ASSESSMENT_KEY] = int(assessment_id)
    if st.query_params.get(ASSESSMENT_PARAM) != str(int(assessment_id)):
        st.query_params[ASSESSMENT_PARAM] = str(int(assessment_id))


def selected_assessment_id() -> int | None:
    """The assessment chosen via ``?evaluacion=ID`` or earlier in this session."""
    raw = st.query_params.get(ASSESSMENT_PARAM)
    if raw is not None:
        try:
            return int(raw)
        except ValueError:
            return -1  # never matches: the page says it was not found
    value = st.session_state.get(ASSESSMENT_KEY)
    return int(value) if value is not None else None


FLASH_KEY = "flash_message"


def flash(message: str) -> None:
    """A message to show once on the next page the user sees."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def start_page(account: AccountInfo | None) -> str:
    """The page each role lands on."""
    if account is None:
        return HOME_PAGE
    if account.is_firm:
        return DASHBOARD_PAGE
    staff = sorted(PAGES_DIR.glob("staff_*.py"))
    return f"ui/pages/{staff[0].name}" if staff else METHOD_PAGE
