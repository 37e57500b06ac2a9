"""The web server: the Streamlit app (``app.py``) as an ASGI app (``st.App``) under uvicorn, plus
the routes that own the session cookie. Start it with ``bash scripts/run.sh`` (``streamlit run
servidor.py`` finds ``app`` below and serves it with uvicorn).

Routes (all under ``server.baseUrlPath``):

* ``POST /sesion``: the login form on «Ingresar» posts RUC/correo and password here. Throttled
  (``storage.throttle``), checked, and on success the previous session of this browser is
  revoked, a new token is issued and set as the cookie ``brujula_sesion`` (HttpOnly,
  SameSite=Lax, Secure behind HTTPS); the browser is redirected to its start page.
* ``GET /sesion/entrar``: collects a login the registration page left pending for this browser
  (``storage.sessions.add_pending_login``) and sets the cookie the same way.
* ``GET /sesion/salir``: revokes the session, deletes the cookie and goes to the home page.

The middleware answers 404 for ``/_stcore/metrics`` and gives every page load a random HttpOnly
binding cookie (``brujula_vinculo``) that ties a pending login to the browser that asked for it.
Nothing a script in the page can read ever carries a session token. A second middleware serves
Streamlit's page HTML in Spanish: ``<html lang="es">``, the app's title and a small script that
translates Streamlit's own interface texts, lets the keyboard reach tables that scroll sideways
and ties each field's error to its field (``CHROME_ES``, ``translate_script``).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import threading
from collections.abc import Mapping
from http.cookies import SimpleCookie
from urllib.parse import quote, urlencode, urlsplit

from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from streamlit.starlette import App

from storage import audit
from storage.accounts import LoginError, check_login
from storage.db import database_url, make_engine, migrate, session_scope, write_transaction
from storage.sessions import (
    SESSION_HOURS,
    is_token,
    new_token,
    open_session,
    revoke_session,
    take_pending_login,
)

log = logging.getLogger("brujula.servidor")

SESSION_COOKIE = "brujula_sesion"
BINDING_COOKIE = "brujula_vinculo"
LOGIN_NAME_COOKIE = "brujula_usuario"  # the RUC/correo typed, to refill the form after an error
SECURE_ENV = "BRUJULA_COOKIE_SEGURA"  # "1": always Secure (behind an HTTPS proxy)
MAX_FORM_BYTES = 8 * 1024
START_PATHS = {"empresa": "panel", "personal": "staff-dashboard"}
LOGIN_PATH = "ingresar"
BLOCKED_SUFFIXES = ("/_stcore/metrics",)
_RESERVED = ("/_stcore/", "/static/", "/media/", "/component/", "/sesion")


# --- database -------------------------------------------------------------------------------

_engine_lock = threading.Lock()
_engines: dict[str, Engine] = {}


def engine() -> Engine:
    """One engine per database URL for the routes; migrated once per process, like ui.db."""
    url = database_url()
    with _engine_lock:
        if url not in _engines:
            migrate(url)
            _engines[url] = make_engine(url)
        return _engines[url]


# --- helpers --------------------------------------------------------------------------------


def base_path() -> str:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/" if base else "/"


def app_url(path: str, **params: str) -> str:
    query = f"?{urlencode(params)}" if params else ""
    return f"{base_path()}{path}{query}"


def is_secure(request: Request) -> bool:
    """HTTPS as seen by the client: the scheme (uvicorn applies X-Forwarded-Proto from trusted
    proxies, ``FORWARDED_ALLOW_IPS``) or ``BRUJULA_COOKIE_SEGURA=1``."""
    return request.url.scheme == "https" or os.environ.get(SECURE_ENV, "") == "1"


def cookie_values(headers: Mapping[str, str] | None, name: str) -> list[str]:
    """Every value the Cookie header carries for ``name`` (a planted second cookie shows up)."""
    raw = (headers or {}).get("cookie", "") if headers is not None else ""
    values = []
    for part in raw.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            values.append(value.strip().strip('"'))
    return values


def one_cookie(headers: Mapping[str, str] | None, name: str) -> str | None:
    """The cookie's value when the browser sent exactly one well-formed value, else None."""
    values = set(cookie_values(headers, name))
    if len(values) != 1:
        return None
    value = values.pop()
    return value if is_token(value) else None


def client_address(request: Request) -> str:
    return request.client.host if request.client else "desconocido"


def set_cookie(
    response: Response, request: Request, name: str, value: str, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        secure=is_secure(request),
        httponly=True,
        samesite="lax",
    )


def delete_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(name, path="/", secure=is_secure(request), httponly=True, samesite="lax")


def redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def same_origin(request: Request) -> bool:
    """Refuse cross-site posts (login CSRF): Origin, else Sec-Fetch-Site, must be ours."""
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin and origin != "null":
        return urlsplit(origin).netloc == host
    site = request.headers.get("sec-fetch-site")
    return site in (None, "same-origin", "none")


def forbidden() -> HTMLResponse:
    body = (
        "<!doctype html><html lang='es'><meta charset='utf-8'><title>Brújula Circular</title>"
        "<p>Esta solicitud no vino de la página de Brújula Circular y no se atendió.</p>"
        f"<p><a href='{html.escape(app_url(LOGIN_PATH))}'>Ir a Ingresar</a></p></html>"
    )
    return HTMLResponse(body, status_code=403)


def _start_session(request: Request, account_id: int, previous: str | None) -> tuple[str, str]:
    """Revoke this browser's previous session, open a new one; (token, start path)."""
    from storage.models import Account

    def work(database) -> tuple[str, str]:
        if previous:
            revoke_session(database, previous)
        account = database.get(Account, account_id)
        token = open_session(database, account)
        audit.record(database, account.id, "ingreso", account.login)
        return token, START_PATHS.get(account.kind, "")

    return write_transaction(engine(), work)


def _signed_in(request: Request, response: Response, token: str) -> Response:
    set_cookie(response, request, SESSION_COOKIE, token, SESSION_HOURS * 3600)
    set_cookie(response, request, BINDING_COOKIE, new_token(), None)  # rotate the binding
    delete_cookie(response, request, LOGIN_NAME_COOKIE)
    return response


# --- routes ---------------------------------------------------------------------------------


def _check_login(login_name: str, password: str, client: str) -> int:
    # argon2 runs with no database connection held (storage.accounts.check_login).
    return check_login(lambda: session_scope(engine()), login_name, password, client)


async def sesion(request: Request) -> Response:
    """POST /sesion: the login form."""
    if not same_origin(request):
        return forbidden()
    if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
        return redirect(app_url(LOGIN_PATH, error="formato"))
    form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)
    login_name = str(form.get("login") or "")
    password = str(form.get("clave") or "")
    if not login_name.strip() or not password:
        return redirect(app_url(LOGIN_PATH, error="vacio"))
    try:
        account_id = await run_in_threadpool(
            _check_login, login_name, password, client_address(request)
        )
    except LoginError as exc:
        code = "espera" if exc.retry_after else "formato" if "caracteres" in str(exc) else "datos"
        params = {"error": code}
        if exc.retry_after:
            params["s"] = str(int(exc.retry_after))
        response = redirect(app_url(LOGIN_PATH, **params))
        if code != "formato":
            set_cookie(response, request, LOGIN_NAME_COOKIE, quote(login_name.strip()), 300)
        return response
    except Exception:
        log.exception("login failed unexpectedly")
        return redirect(app_url(LOGIN_PATH, error="servicio"))
    previous = one_cookie(request.headers, SESSION_COOKIE)
    try:  # a full disk or a database that went down: a Spanish page, never a raw 500
        token, start = await run_in_threadpool(_start_session, request, account_id, previous)
    except Exception:
        log.exception("session could not be started")
        return redirect(app_url(LOGIN_PATH, error="servicio"))
    return _signed_in(request, redirect(app_url(start, aviso="ingreso")), token)


def _take_pending(binding: str | None) -> int | None:
    if not binding:
        return None

    def work(database) -> int | None:
        account = take_pending_login(database, binding)
        return account.id if account is not None else None

    return write_transaction(engine(), work)


async def entrar(request: Request) -> Response:
    """GET /sesion/entrar: collect the login the registration page left for this browser."""
    binding = one_cookie(request.headers, BINDING_COOKIE)
    try:
        account_id = await run_in_threadpool(_take_pending, binding)
        if account_id is None:
            return redirect(app_url(LOGIN_PATH, error="vencido"))
        previous = one_cookie(request.headers, SESSION_COOKIE)
        token, start = await run_in_threadpool(_start_session, request, account_id, previous)
    except Exception:
        log.exception("session could not be started after registration")
        return redirect(app_url(LOGIN_PATH, error="servicio"))
    notice = "registro" if request.query_params.get("aviso") == "registro" else "ingreso"
    return _signed_in(request, redirect(app_url(start, aviso=notice)), token)


def _revoke(tokens: list[str]) -> None:
    def work(database) -> None:
        for token in tokens:
            revoke_session(database, token)

    write_transaction(engine(), work)


async def salir(request: Request) -> Response:
    """GET or POST /sesion/salir: revoke the session and delete the cookie."""
    site = request.headers.get("sec-fetch-site")
    if site not in (None, "same-origin", "none"):
        return redirect(app_url(""))  # a cross-site link cannot log anyone out
    tokens = [t for t in cookie_values(request.headers, SESSION_COOKIE) if is_token(t)]
    if tokens:
        try:
            await run_in_threadpool(_revoke, tokens)
        except Exception:  # the cookie is still deleted below; the session expires by itself
            log.exception("session could not be revoked")
    response = redirect(app_url("", aviso="salida"))
    delete_cookie(response, request, SESSION_COOKIE)
    set_cookie(response, request, BINDING_COOKIE, new_token(), None)
    return response


# --- middleware -----------------------------------------------------------------------------


MEDIA_REFUSED = "Este archivo solo se entrega a la sesión que lo generó. Descárguelo de nuevo."


def is_media(path: str) -> bool:
    """A download of ``st.download_button`` (``…/media/<id>``); Streamlit's own fonts live in
    ``…/static/media/`` and are public (refusing them left every icon and font broken)."""
    parts = path.rstrip("/").split("/")
    return len(parts) >= 2 and parts[-2] == "media" and (len(parts) < 3 or parts[-3] != "static")


def media_owner(path: str, request: Request) -> bool:
    """Whether this request's session cookie owns the media file (``ui.report_downloads``)."""
    from ui.report_downloads import may_fetch

    return may_fetch(path, one_cookie(request.headers, SESSION_COOKIE))


class Guard:
    """Pure ASGI middleware (websockets pass through untouched).

    * ``/_stcore/metrics`` is not public: 404.
    * ``/media/<id>`` (download bytes) is served only to the session that made the file: the
      request's session cookie must hash to the owner ``ui.report_downloads`` recorded when the
      download callable ran; anything else (no cookie, another session, an unrecorded file) 403.
    * A page load without a binding cookie gets one (random, HttpOnly, SameSite=Lax).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.rstrip("/").endswith(BLOCKED_SUFFIXES):
            await Response("No encontrado.", status_code=404)(scope, receive, send)
            return
        request = Request(scope)
        if is_media(path) and not media_owner(path, request):
            await Response(MEDIA_REFUSED, status_code=403)(scope, receive, send)
            return
        page_load = (
            scope.get("method") == "GET"
            and not any(part in path for part in _RESERVED)
            and one_cookie(request.headers, BINDING_COOKIE) is None
        )
        if not page_load:
            await self.app(scope, receive, send)
            return
        cookie = SimpleCookie()
        cookie[BINDING_COOKIE] = new_token()
        morsel = cookie[BINDING_COOKIE]
        morsel["path"] = "/"
        morsel["httponly"] = True
        morsel["samesite"] = "Lax"
        if is_secure(request):
            morsel["secure"] = True
        header = morsel.OutputString().encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", header))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_cookie)


PAGE_TITLE = "Brújula Circular"
NOSCRIPT = (
    "<noscript><p>Active JavaScript en su navegador para usar Brújula Circular.</p></noscript>"
)

# Streamlit's own interface texts (menus, toolbars, buttons' accessible names, messages) that
# it only offers in English, with what is shown and read instead.
CHROME_ES = {
    "Skip to main content": "Saltar al contenido principal",
    "App pages": "Páginas",
    "Sidebar": "Menú lateral",
    "Collapse sidebar": "Ocultar el menú",
    "Expand sidebar": "Mostrar el menú",
    "Navigate to home page": "Ir al inicio",
    "Main menu": "Menú principal",
    "Close": "Cerrar",
    "Open": "Abrir",
    "Link to heading": "Enlace a este título",
    "Increment": "Aumentar",
    "Decrement": "Disminuir",
    "Show password": "Mostrar la contraseña",
    "Hide password": "Ocultar la contraseña",
    "Choose an option": "Elija una opción",
    "Choose options": "Elija opciones",
    "Select...": "Elija…",
    "No results": "Sin resultados",
    "Clear all": "Quitar todo",
    "Clear value": "Borrar",
    "Selected values": "Elegidos",
    "Download as CSV": "Descargar como CSV",
    "Download as PNG": "Descargar como PNG",
    "Fullscreen": "Pantalla completa",
    "Close fullscreen": "Salir de pantalla completa",
    "Toggle fullscreen": "Pantalla completa",
    "Search": "Buscar",
    "Close Search": "Cerrar la búsqueda",
    "Show/hide columns": "Mostrar u ocultar columnas",
    "Dataframe column menu": "Menú de la columna",
    "Show data": "Ver los datos",
    "Show chart": "Ver el gráfico",
    "Copy Vega-Lite spec": "Copiar la definición del gráfico",
    "Copied!": "Copiado",
    "Copy to clipboard": "Copiar",
    "Previous page": "Página anterior",
    "Next page": "Página siguiente",
    "Pagination": "Páginas",
    "Running...": "Procesando…",
    "Stop script": "Detener",
    "Stop": "Detener",
    "Notifications": "Avisos",
    "Choose date": "Elija una fecha",
    "Choose date range": "Elija las fechas",
    "Clear date": "Borrar la fecha",
    "Previous month": "Mes anterior",
    "Next month": "Mes siguiente",
    "progress": "avance",
    "Page not found": "Página no encontrada",
    "The page that you have requested does not seem to exist. Running the app's main page.": (
        "La página que pidió no existe. Se muestra la página de inicio."
    ),
    "Press Enter to apply": "Pulse Enter para aplicar",
    "Press Enter to submit form": "Pulse Enter para enviar el formulario",
    "Press Ctrl+Enter to apply": "Pulse Ctrl+Enter para aplicar",
    "Press ⌘+Enter to apply": "Pulse ⌘+Enter para aplicar",
    "Press Ctrl+Enter to submit form": "Pulse Ctrl+Enter para enviar el formulario",
    "Press ⌘+Enter to submit form": "Pulse ⌘+Enter para enviar el formulario",
}
# (JavaScript regular expression, replacement) for texts that carry a name.
CHROME_ES_PATTERNS = [
    ("^Help for (.+)$", "Ayuda: $1"),
    ("^Remove (.+)$", "Quitar $1"),
    (
        "^You have requested page /(.*), but no corresponding file was found in the app's "
        "pages/ directory\\. Running the app's main page\\.$",
        "La página /$1 no existe. Se muestra la página de inicio.",
    ),
]
# Runs before Streamlit's own script and translates each text node and accessible-name
# attribute as it appears (the page's own content, markdown, is never touched); it also lets
# the keyboard reach tables that scroll sideways and ties each field's error to the field.
_TRANSLATE_JS = """
(() => {
  const exact = %(exact)s;
  const patterns = %(patterns)s.map(([re, to]) => [new RegExp(re), to]);
  const attrs = ["aria-label", "title", "placeholder", "aria-roledescription"];
  const spanish = (text) => {
    const key = text.trim();
    if (!key) return null;
    if (Object.hasOwn(exact, key)) return text.replace(key, exact[key]);
    const cut = key.indexOf(": ");  // a toolbar button named after its chart: "Show data: …"
    if (cut > 0 && Object.hasOwn(exact, key.slice(0, cut))) {
      return text.replace(key, exact[key.slice(0, cut)] + key.slice(cut));
    }
    for (const [re, to] of patterns) {
      if (re.test(key)) return text.replace(key, key.replace(re, to));
    }
    return null;
  };
  const ownContent = (el) => !!el && !!el.closest("[data-testid=stMarkdownContainer]");
  const fixText = (node) => {
    if (ownContent(node.parentElement)) return;
    const done = spanish(node.nodeValue);
    if (done !== null && done !== node.nodeValue) node.nodeValue = done;
  };
  const fixAttrs = (el) => {
    for (const name of attrs) {
      const value = el.getAttribute(name);
      const done = value && spanish(value);
      if (done && done !== value) el.setAttribute(name, done);
    }
  };
  // A table wider than a phone scrolls sideways: its frame must take the keyboard focus.
  const scrollers = "[data-testid=stTable] > div:not([tabindex])";
  const focusable = (el) => {
    el.setAttribute("tabindex", "0");
    el.setAttribute("role", "region");
    el.setAttribute("aria-label", "Tabla");
  };
  const fixTree = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return fixText(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    if (root.matches(scrollers)) focusable(root);
    root.querySelectorAll(scrollers).forEach(focusable);
    fixAttrs(root);
    for (const el of root.querySelectorAll("[aria-label],[title],[placeholder]")) fixAttrs(el);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) fixText(walker.currentNode);
  };
  // An error shown right after a field (st.error under its widget) describes that field:
  // aria-invalid and aria-describedby, removed again when the error goes away.
  const fields = "input:not([type=hidden]), textarea, [role=radiogroup]";
  let errorCount = 0;
  const linkErrors = () => {
    const linked = new Set();
    for (const content of document.querySelectorAll("[data-testid=stAlertContentError]")) {
      const alert = content.closest("[data-testid=stAlertContainer]");
      let block = content.closest("[data-testid=stElementContainer]")?.previousElementSibling;
      for (let step = 0; block && step < 3 && !block.querySelector(fields); step += 1) {
        block = block.previousElementSibling;
      }
      if (!alert || !block) continue;
      alert.id ||= `bc-error-${(errorCount += 1)}`;
      for (const field of block.querySelectorAll(fields)) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", alert.id);
        field.setAttribute("data-bc-error", alert.id);
        linked.add(field);
      }
    }
    for (const field of document.querySelectorAll("[data-bc-error]")) {
      if (linked.has(field)) continue;
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
      field.removeAttribute("data-bc-error");
    }
  };
  let pending = false;
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.type === "characterData") fixText(change.target);
      else if (change.type === "attributes") fixAttrs(change.target);
      else change.addedNodes.forEach(fixTree);
    }
    if (!pending) {
      pending = true;
      requestAnimationFrame(() => { pending = false; linkErrors(); });
    }
  }).observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: attrs,
  });
})();
"""


def translate_script() -> str:
    """The ``<script>`` that puts Streamlit's interface texts in Spanish (``CHROME_ES``)."""
    code = _TRANSLATE_JS % {
        "exact": json.dumps(CHROME_ES, ensure_ascii=False),
        "patterns": json.dumps(CHROME_ES_PATTERNS, ensure_ascii=False),
    }
    return "<script>" + code.replace("</", "<\\/") + "</script>"


def spanish_index(body: bytes) -> bytes:
    """Streamlit's index.html in Spanish before any script runs: ``<html lang="es">``, our
    title (screen readers and axe read both on first paint; each page then sets its own
    title, see app.py), a Spanish ``<noscript>`` and the script that translates Streamlit's
    interface texts."""
    text = body.decode("utf-8")
    text = text.replace('<html lang="en">', '<html lang="es">', 1)
    text = text.replace("<title>Streamlit</title>", f"<title>{html.escape(PAGE_TITLE)}</title>", 1)
    text = re.sub(r"<noscript>.*?</noscript>", NOSCRIPT, text, count=1, flags=re.DOTALL)
    return text.replace("</head>", translate_script() + "</head>", 1).encode("utf-8")


class SpanishIndex:
    """Pure ASGI middleware: rewrites the HTML page Streamlit serves for every page URL with
    ``spanish_index``. Page loads ask for no compression, so the body can be rewritten; every
    other request (assets, websocket, routes) passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope.get("method") != "GET"
            or any(part in path for part in _RESERVED)
            or "." in path.rsplit("/", 1)[-1]  # a file (favicon.png, manifest.json…)
        ):
            await self.app(scope, receive, send)
            return
        headers = [(k, v) for k, v in scope.get("headers", []) if k != b"accept-encoding"]
        scope = {**scope, "headers": headers}
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = b"".join(chunks)
            kept = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            kind = dict(kept).get(b"content-type", b"")
            if kind.startswith(b"text/html") and not dict(kept).get(b"content-encoding"):
                body = spanish_index(body)
            kept.append((b"content-length", str(len(body)).encode("latin-1")))
            await send({**start, "headers": kept})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)


routes = [
    Route("/sesion", sesion, methods=["POST"]),
    Route("/sesion/entrar", entrar, methods=["GET"]),
    Route("/sesion/salir", salir, methods=["GET", "POST"]),
]

app = App("app.py", routes=routes, middleware=[Middleware(Guard), Middleware(SpanishIndex)])

__all__ = ["app"]
