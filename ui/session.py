"""Who is using the app: server-side login sessions carried in an HttpOnly browser cookie.

The server (``servidor.py``) sets and deletes the cookie ``brujula_sesion`` (HttpOnly,
SameSite=Lax, Secure behind HTTPS) in its ``/sesion`` routes; pages only *read* it, server-side,
through the Cookie header of their connection (``st.context``). No token is ever written into the
page. Every run re-validates the token against the database (expiry, logout). Tests, which have no
cookies, may put a token in ``st.session_state[TOKEN_KEY]``.
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from scoring import peru
from storage.models import Account, Firm
from storage.sessions import (
    add_pending_login,
    assessment_of,
    identity_for_token,
    is_token,
    revoke_session,
)
from ui import db

COOKIE_NAME = "brujula_sesion"
BINDING_COOKIE = "brujula_vinculo"
LOGIN_NAME_COOKIE = "brujula_usuario"
TOKEN_KEY = "auth_token"
ACCOUNT_KEY = "auth_account"
FIRM_KEY = "auth_firm"
NOTICE_PARAM = "aviso"
ASSESSMENT_KEY = "evaluacion_id"
ASSESSMENT_PARAM = "evaluacion"
# The assessment the page asks for (``?evaluacion=`` or this session's choice), read with the
# login at the start of the run: the form's pages take it instead of reading it again.
ASSESSMENT_READ_KEY = "evaluacion_leida"
NOT_READ = object()  # ``assessment_read_with_login``: this run read no such row

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
    role: str | None = None  # "titular" or "colaborador" for firm accounts, None for staff

    @property
    def is_firm(self) -> bool:
        return self.kind == "empresa"

    @property
    def is_titular(self) -> bool:
        """The firm's account holder: the only one who may change consents, profile or team."""
        return self.is_firm and self.role != "colaborador"

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
        account.id,
        account.kind,
        account.login,
        account.display_name,
        account.firm_id,
        account.role,
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


def _cookie_header() -> str:
    """The Cookie header(s) the browser sent when this page connected (read on every run:
    only that header, not the whole set)."""
    try:
        found = st.context.headers.get_all("cookie")
        return ";".join(found) if isinstance(found, list) else ""
    except Exception:  # no browser context (AppTest)
        return ""


def cookie_values(name: str) -> list[str]:
    """Every value the browser sent for cookie ``name`` when this page connected."""
    values = []
    for part in _cookie_header().split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            values.append(value.strip().strip('"'))
    return values


def cookie(name: str) -> str | None:
    """The value of an HttpOnly cookie of ours: exactly one, well-formed, else None.

    Two values mean someone planted a second cookie (another path or domain): neither is
    trusted, so a planted cookie can never choose the account a page shows.
    """
    values = set(cookie_values(name))
    if len(values) != 1:
        return None
    value = values.pop()
    return value if is_token(value) else None


def _cookie_token() -> str | None:
    return cookie(COOKIE_NAME)


def _identity(
    token: str | None, assessment_id: int | None = None
) -> tuple[AccountInfo, FirmInfo | None, dict[str, object] | None] | None:
    if not isinstance(token, str) or not token:
        return None
    with db.connection() as connection:
        row = identity_for_token(connection, token, assessment_id=assessment_id)
    if row is None:
        return None
    account = AccountInfo(
        row["account_id"],
        row["kind"],
        row["login"],
        row["display_name"],
        row["firm_id"],
        row["role"],
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
    return account, firm, assessment_of(row)


def identify() -> AccountInfo | None:
    """Validate the session token against the database; called by app.py on every run.

    The browser's cookie decides; a token in ``session_state`` counts only when no cookie was
    sent (tests). One query reads the session, the account and its firm, so pages asking for
    the firm (``require_firm``) get what the database said in this very run, and the firm's
    assessment the page asks for (``?evaluacion=`` or this session's choice), which the form's
    pages take with ``assessment_read_with_login`` instead of reading it again.
    """
    token = _cookie_token() or st.session_state.get(TOKEN_KEY)
    asked = selected_assessment_id()
    asked = None if asked == INVALID_ID else asked
    found = _identity(token, asked)
    account, firm, assessment = found if found is not None else (None, None, None)
    if account is not None:
        st.session_state[TOKEN_KEY] = token
    else:
        st.session_state.pop(TOKEN_KEY, None)
    st.session_state[ACCOUNT_KEY] = account
    st.session_state[FIRM_KEY] = firm
    if firm is not None and asked is not None:
        st.session_state[ASSESSMENT_READ_KEY] = (asked, firm.id, assessment)
    else:
        st.session_state.pop(ASSESSMENT_READ_KEY, None)
    _notice(account, firm)
    return account


def assessment_read_with_login(assessment_id: int, firm_id: int) -> dict[str, object] | object:
    """The row of the firm's assessment ``assessment_id`` read by this run's ``identify`` (None
    when it is not the firm's); ``NOT_READ`` when this run read no such row. Taken once: a later
    call in the same run, or a later run, reads the database again."""
    read = st.session_state.pop(ASSESSMENT_READ_KEY, None)
    if read is None or read[:2] != (assessment_id, firm_id):
        return NOT_READ
    return read[2]


def _notice(account: AccountInfo | None, firm: FirmInfo | None) -> None:
    """Turn ``?aviso=`` (set by the server's redirects) into a one-time message."""
    try:
        notice = st.query_params.get(NOTICE_PARAM)
    except Exception:
        return
    if notice is None:
        return
    del st.query_params[NOTICE_PARAM]
    if notice == "salida" and account is None:
        flash("Cerró sesión. Sus respuestas quedaron guardadas.")
    elif notice == "ingreso" and account is not None:
        flash(f"Bienvenido, {_plain(account.display_name.rstrip('.'))}.")
    elif notice == "registro" and account is not None and firm is not None:
        size = peru.SIZE_NAMES.get(firm.size_class, "").lower()
        flash(
            f"¡Listo! Su cuenta está creada. Según sus ventas, {_plain(firm.razon_social)} es "
            f"una {size}. Ahora puede iniciar su primera evaluación."
        )


def _plain(text: str) -> str:
    from ui import widgets

    return widgets.plain(text)


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


def require_titular() -> tuple[AccountInfo, FirmInfo]:
    """``require_firm`` for what only the account holder may do (consents, profile, team);
    a collaborator gets a message and ``st.stop()``. Checked on every run."""
    account, firm = require_firm()
    if not account.is_titular:
        st.info(
            "Esta página es para el titular de la cuenta de su empresa (quien ingresa con el "
            "RUC). Usted puede llenar evaluaciones y ver los resultados."
        )
        st.stop()
    return account, firm


NO_TABLE_TOOLBAR = '<style>[data-testid="stElementToolbar"]{display:none !important}</style>'


def require_staff() -> AccountInfo:
    """The logged-in SNI staff account, or a message and ``st.stop()`` (checked on every run)."""
    account = current_account()
    if account is None:
        _ask_login()
    assert account is not None
    if not account.is_staff:
        st.error("Esta página es solo para el equipo de SNI.")
        st.stop()
    # Every way out of the staff area is an audited button: no table toolbar («Download as
    # CSV», which Streamlit 1.67 cannot switch off) on any staff page.
    st.html(NO_TABLE_TOOLBAR)
    return account


def client_address() -> str:
    """The client's address for throttling (Streamlit hides loopback: "local")."""
    try:
        address = st.context.ip_address
    except Exception:
        return "local"
    return address if isinstance(address, str) and address else "local"


def binding() -> str | None:
    """This browser's binding cookie (HttpOnly, set by the server on the page load)."""
    return cookie(BINDING_COOKIE)


def hand_over_login(account_id: int) -> bool:
    """Leave a login pending for this browser; the server's ``/sesion/entrar`` sets the cookie.

    False when the browser sent no binding cookie (cookies blocked, or no browser at all).
    """
    key = binding()
    if key is None:
        return False
    db.write(lambda database: add_pending_login(database, database.get(Account, account_id), key))
    return True


def go_to(path: str, label: str) -> None:
    """Send the browser to a server route (full page load) and stop this run.

    A script does it at once; the link is there for keyboards and if scripts are slow.
    """
    import json
    from html import escape

    target = server_path(path)
    script = json.dumps(target).replace("<", "\\u003c")
    st.html(
        f"<script>window.location.replace({script});</script>",
        unsafe_allow_javascript=True,
        width="content",
    )
    st.html(f'<p><a href="{escape(target, quote=True)}" target="_self">{escape(label)}</a></p>')
    st.stop()


def server_path(path: str) -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/{path}" if base else f"/{path}"


def logout() -> None:
    """Revoke the session in the database and forget it here; the caller then sends the
    browser to ``/sesion/salir``, which deletes the cookie."""
    tokens = {t for t in cookie_values(COOKIE_NAME) if is_token(t)}
    if st.session_state.get(TOKEN_KEY):
        tokens.add(st.session_state[TOKEN_KEY])
    if tokens:
        with db.session() as database:
            for token in tokens:
                revoke_session(database, token)
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[ACCOUNT_KEY] = None


def select_assessment(assessment_id: int) -> None:
    """Remember which assessment the firm is working on (session state and the URL)."""
    st.session_state[ASSESSMENT_KEY] = int(assessment_id)
    if st.query_params.get(ASSESSMENT_PARAM) != str(int(assessment_id)):
        st.query_params[ASSESSMENT_PARAM] = str(int(assessment_id))


# Ids are positive and fit PostgreSQL's ``integer``; anything else in ``?evaluacion=`` (huge,
# negative, "1e3", "١٢", " 7", "1_000") is never sent to the database: it simply names nothing.
MAX_ID = 2**31 - 1
_ID_TEXT = re.compile(r"[1-9][0-9]{0,9}")
INVALID_ID = 0


def parse_id(raw: object) -> int:
    """A record id from untrusted text, or ``INVALID_ID`` (which no record has)."""
    text = raw if isinstance(raw, str) else str(raw) if isinstance(raw, int) else ""
    if not _ID_TEXT.fullmatch(text):
        return INVALID_ID
    value = int(text)
    return value if value <= MAX_ID else INVALID_ID


def selected_assessment_id() -> int | None:
    """The assessment named by ``?evaluacion=`` or chosen earlier in this session (validated:
    ``INVALID_ID`` when it is not an id); None when neither."""
    raw = st.query_params.get(ASSESSMENT_PARAM)
    if raw is not None:
        return parse_id(raw)
    chosen = st.session_state.get(ASSESSMENT_KEY)
    return None if chosen is None else parse_id(chosen)


FLASH_KEY = "flash_message"


def flash(message: str) -> None:
    """A message to show once on the next page the user sees."""
    st.session_state[FLASH_KEY] = message


def show_flash() -> None:
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message, icon=":material/check_circle:")


# (file, title, icon, url path, roles that see it listed), as app.py lists its pages.
PageSpec = tuple[str, str, str, str, set[str]]

# Building an ``st.Page`` resolves its file on disk and validates its icon: about a tenth of a
# short run. ``navigation_pages`` builds them once per process, app folder and set of listed
# roles (a handful of sets), and gives every run shallow copies: ``st.navigation`` marks the
# page it returns as runnable and its ``run()`` clears the mark, so two sessions must never
# share one Page object (one could clear the other's mark between navigation and run).
_PAGE_TEMPLATES: dict[tuple, list[st.Page]] = {}
_PAGE_TEMPLATES_LOCK = threading.Lock()


def navigation_pages(
    specs: list[PageSpec], listed_for: set[str], present: set[str]
) -> list[st.Page]:
    """The app's pages for ``st.navigation``: every page present, each listed in the menu
    only for ``listed_for``; fresh Page objects for this run, built from per-process ones."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    folder = str(ctx.pages_manager.main_script_parent) if ctx is not None else ""
    key = (folder, tuple(_specs_key(specs)), frozenset(listed_for), frozenset(present))
    with _PAGE_TEMPLATES_LOCK:
        templates = _PAGE_TEMPLATES.get(key)
    if templates is None:
        templates = [
            st.Page(
                f"ui/pages/{file}",
                title=title,
                icon=f":material/{icon}:",
                url_path=url,
                default=file == "home.py",
                visibility="visible" if listed_for & roles else "hidden",
            )
            for file, title, icon, url, roles in specs
            if file in present
        ]
        if ctx is not None:  # without a run context st.Page resolves nothing: not kept
            with _PAGE_TEMPLATES_LOCK:
                templates = _PAGE_TEMPLATES.setdefault(key, templates)
    return [copy.copy(page) for page in templates]


def _specs_key(specs: list[PageSpec]) -> list[tuple]:
    return [(file, title, icon, url, frozenset(roles)) for file, title, icon, url, roles in specs]


def start_page(account: AccountInfo | None) -> str:
    """The page each role lands on."""
    if account is None:
        return HOME_PAGE
    if account.is_firm:
        return DASHBOARD_PAGE
    staff = sorted(PAGES_DIR.glob("staff_*.py"))
    return f"ui/pages/{staff[0].name}" if staff else METHOD_PAGE
