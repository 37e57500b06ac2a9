"""«¿Olvidó su contraseña?»: ask for a link by e-mail; with ``?codigo=``, choose a new password.

The request always gets the same answer, whether or not an account matched
(``storage.password_reset``). Without SMTP configured the page says the service is not
available and how to ask SNI instead.
"""

from __future__ import annotations

import logging

import streamlit as st

from storage import mail, password_reset
from storage.accounts import MIN_PASSWORD, ProfileError, hash_password, password_error
from ui import db, session

log = logging.getLogger(__name__)

SENT_KEY = "restablecer_enviado"
ERRORS_KEY = "restablecer_errores"
DONE_KEY = "restablecer_listo"
SERVICE_ERROR = (
    "No pudimos atender su solicitud en este momento. Lo que escribió sigue en el formulario: "
    "vuelva a intentarlo en unos minutos."
)

code = st.query_params.get("codigo")


def _request() -> None:
    state = st.session_state
    state.pop(ERRORS_KEY, None)
    typed = (state.get("restablecer_usuario") or "").strip()
    if not typed:
        state[ERRORS_KEY] = {"login": "Escriba el RUC de su empresa o su correo."}
        return
    try:
        password_reset.request_reset(db.session, typed, session.client_address())
    except password_reset.ResetThrottled as exc:
        state[ERRORS_KEY] = {"login": str(exc)}
        return
    except LookupError:
        state[ERRORS_KEY] = {"general": password_reset.NOT_AVAILABLE}
        return
    except Exception:
        log.exception("password reset request failed")
        state[ERRORS_KEY] = {"general": SERVICE_ERROR}
        return
    state[SENT_KEY] = True


def _reset() -> None:
    state = st.session_state
    state.pop(ERRORS_KEY, None)
    new = state.get("restablecer_nueva") or ""
    if new != (state.get("restablecer_repetida") or ""):
        state[ERRORS_KEY] = {"repeat": "Las dos contraseñas no coinciden. Escríbalas de nuevo."}
        return
    if error := password_error(new):
        state[ERRORS_KEY] = {"password": error}
        return
    hashed = hash_password(new)  # before the transaction: no connection held meanwhile
    try:
        db.write(lambda database: password_reset.complete_reset(database, code, new, hashed))
    except ProfileError as exc:
        state[ERRORS_KEY] = dict(exc.errors)
        return
    except Exception:
        log.exception("password reset failed")
        state[ERRORS_KEY] = {"general": SERVICE_ERROR}
        return
    for key in ("restablecer_nueva", "restablecer_repetida"):
        state[key] = ""
    state[DONE_KEY] = True


errors: dict[str, str] = st.session_state.get(ERRORS_KEY, {})


def field_error(name: str) -> None:
    if name in errors:
        st.error(errors[name], icon=":material/error:")


if code is None:
    st.title("¿Olvidó su contraseña?")
    if not mail.is_configured():
        st.info(password_reset.NOT_AVAILABLE, icon=":material/mail:")
        st.page_link(session.LOGIN_PAGE, label="Volver a Ingresar", icon=":material/login:")
        st.stop()
    if st.session_state.pop(SENT_KEY, False):
        st.success(password_reset.REQUEST_ANSWER, icon=":material/mark_email_read:")
        st.page_link(session.LOGIN_PAGE, label="Volver a Ingresar", icon=":material/login:")
        st.stop()
    st.write(
        "Escriba el RUC de su empresa (o su correo, si ingresa con correo). Le enviaremos un "
        "enlace para elegir una contraseña nueva: a su correo o, para el RUC, al correo de "
        "contacto que la empresa registró."
    )
    field_error("general")
    with st.form("restablecer_pedir", enter_to_submit=False):
        st.text_input(
            "RUC o correo",
            key="restablecer_usuario",
            max_chars=254,
            placeholder="Ejemplo: 20123456789",
        )
        field_error("login")
        st.form_submit_button("Enviar enlace", type="primary", on_click=_request, width="stretch")
    st.page_link(session.LOGIN_PAGE, label="Volver a Ingresar", icon=":material/login:")
    st.stop()

st.title("Elija una contraseña nueva")
if st.session_state.pop(DONE_KEY, False):
    st.session_state.pop(ERRORS_KEY, None)
    st.success(
        "Listo, su contraseña cambió y se cerraron todas las sesiones abiertas de su cuenta. "
        "Ingrese con la contraseña nueva.",
        icon=":material/check_circle:",
    )
    st.link_button("Ir a Ingresar", session.server_path("ingresar"), type="primary")
    st.stop()
with db.session() as database:
    login = password_reset.login_for_token(database, code)
if login is None:
    st.error(password_reset.LINK_INVALID, icon=":material/link_off:")
    st.link_button("Pedir un enlace nuevo", session.server_path("restablecer"))
    st.stop()
st.write(
    f"Cuenta: **{login}**. Al guardar, se cierran todas las sesiones abiertas de esta cuenta, "
    "también esta."
)
field_error("general")
field_error("codigo")
with st.form("restablecer_nueva_clave", enter_to_submit=False):
    st.text_input(
        "Contraseña nueva",
        type="password",
        key="restablecer_nueva",
        help=f"Al menos {MIN_PASSWORD} caracteres. Una frase corta es fácil de recordar.",
    )
    field_error("password")
    st.text_input("Repita la contraseña nueva", type="password", key="restablecer_repetida")
    field_error("repeat")
    st.form_submit_button(
        "Guardar contraseña nueva", type="primary", on_click=_reset, width="stretch"
    )
