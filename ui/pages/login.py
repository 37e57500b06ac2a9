"""Log in with RUC (firms) or e-mail (SNI staff) and password.

The form is plain HTML posted to the server's ``/sesion`` route (``servidor.py``), which checks
the password behind the throttle and sets the HttpOnly session cookie itself; a failed attempt
comes back here with ``?error=``.
"""

from __future__ import annotations

from html import escape
from urllib.parse import unquote

import streamlit as st

from storage.accounts import LOGIN_FAILED, LOGIN_MALFORMED, throttled_message
from ui import session

if (current := session.current_account()) is not None:
    st.switch_page(session.start_page(current))

ERRORS = {
    "datos": LOGIN_FAILED,
    "vacio": "Escriba su RUC o correo y su contraseña.",
    "formato": LOGIN_MALFORMED,
    "vencido": "El ingreso tardó demasiado o las cookies están bloqueadas. Ingrese de nuevo.",
    "servicio": "No pudimos verificar su ingreso en este momento. Inténtelo en unos minutos.",
}


def error_message(code: str | None, seconds: str | None) -> str | None:
    if code == "espera":
        try:
            wait = max(1, min(int(seconds or "60"), 86_400))
        except ValueError:
            wait = 60
        return throttled_message(wait)
    return ERRORS.get(code or "")


def typed_login() -> str:
    """The RUC/correo typed before an error (a short-lived HttpOnly cookie set by the server)."""
    values = session.cookie_values(session.LOGIN_NAME_COOKIE)
    if len(values) != 1:
        return ""
    text = unquote(values[0])
    return text if len(text) <= 254 and text.isprintable() else ""


FORM = """
<style>
.bc-login {{ display: grid; gap: .35rem; max-width: 100%; font-family: inherit; }}
.bc-login label {{ font-size: .875rem; margin-top: .5rem; }}
.bc-login input {{ font: inherit; padding: .55rem .75rem; border-radius: .5rem;
  border: 1px solid #c4d3cd; background: #EEF5F2; color: #1B2A26; }}
.bc-login input:focus {{ outline: 2px solid #0F6E5A; outline-offset: 1px; }}
.bc-login button {{ font: inherit; margin-top: 1rem; padding: .6rem 1rem; border: 0;
  border-radius: .5rem; background: #0F6E5A; color: #fff; cursor: pointer; width: 100%; }}
.bc-login button:focus-visible {{ outline: 2px solid #1B2A26; outline-offset: 2px; }}
</style>
<form class="bc-login" method="post" action="{action}" aria-label="Ingresar">
  <label for="bc-login-name">RUC o correo</label>
  <input id="bc-login-name" name="login" type="text" required maxlength="254"
    autocomplete="username" inputmode="text" placeholder="Ejemplo: 20123456789" value="{value}">
  <label for="bc-login-password">Contraseña</label>
  <input id="bc-login-password" name="clave" type="password" required maxlength="1024"
    autocomplete="current-password">
  <button type="submit">Ingresar</button>
</form>
"""

st.title("Ingresar")
session.show_flash()
st.write(
    "Escriba el RUC de su empresa y su contraseña. Si un colega le invitó a su equipo, o si es "
    "del equipo de SNI, ingrese con su correo."
)
message = error_message(st.query_params.get("error"), st.query_params.get("s"))
if message:
    st.error(message, icon=":material/error:")
st.html(
    FORM.format(
        action=escape(session.server_path("sesion"), quote=True),
        value=escape(typed_login(), quote=True),
    )
)

st.page_link(
    "ui/pages/reset_password.py", label="¿Olvidó su contraseña?", icon=":material/lock_reset:"
)

st.divider()
st.write("¿Su empresa todavía no tiene cuenta?")
st.page_link("ui/pages/register.py", label="Crear cuenta de empresa", icon=":material/person_add:")
