"""«Unirse»: a colleague opens the invitation link (``/unirse?codigo=...``), picks a name and a
password, and enters as a collaborator of the firm (``storage.team``)."""

from __future__ import annotations

import logging

import streamlit as st

from storage import team
from storage.accounts import MIN_PASSWORD, hash_password
from storage.db import DatabaseBusy
from ui import db, session, widgets

log = logging.getLogger(__name__)

ERRORS_KEY = "unirse_errores"
DONE_KEY = "unirse_listo"
SERVICE_ERROR = (
    "No pudimos crear su cuenta en este momento. Lo que escribió sigue en el formulario: vuelva "
    "a intentarlo en unos minutos."
)

code = st.query_params.get("codigo") or ""
st.title("Unirse al equipo de su empresa")

if (done := st.session_state.pop(DONE_KEY, None)) is not None:
    for key in ("unirse_clave", "unirse_clave2"):
        st.session_state.pop(key, None)
    st.success("¡Listo! Su cuenta está creada.", icon=":material/check_circle:")
    if session.hand_over_login(done):
        session.go_to("sesion/entrar", "Continuar a Mi panel")
    st.info("Ingrese con su correo y la contraseña que eligió.")
    st.page_link(session.LOGIN_PAGE, label="Ingresar", icon=":material/login:")
    st.stop()

if (current := session.current_account()) is not None:
    st.info(
        f"Usted ya ingresó como {widgets.plain(current.display_name)}. Para aceptar una "
        "invitación con otra cuenta, primero cierre sesión y vuelva a abrir el enlace."
    )
    st.page_link("ui/pages/logout.py", label="Cerrar sesión", icon=":material/logout:")
    st.stop()

with db.session() as database:
    invitation = team.invitation_for_token(database, code)
if invitation is None:
    st.error(team.INVITE_INVALID, icon=":material/link_off:")
    st.stop()
assert invitation is not None


def _join() -> None:
    state = st.session_state
    name = state.get("unirse_nombre") or ""
    password = state.get("unirse_clave") or ""
    errors = team.join_errors(name, password, invitation.email)
    if password != (state.get("unirse_clave2") or ""):
        errors["repeat"] = "Las dos contraseñas no coinciden. Escríbalas de nuevo."
    if errors:
        state[ERRORS_KEY] = errors
        return
    hashed = hash_password(password)  # before the transaction: no connection held meanwhile
    try:
        account_id = db.write(
            lambda database: team.accept(database, code, name, password, hashed).id
        )
    except team.TeamError as exc:
        state[ERRORS_KEY] = dict(exc.errors)
        return
    except DatabaseBusy as exc:
        state[ERRORS_KEY] = {"general": str(exc)}
        return
    except Exception:
        log.exception("joining a team failed")
        state[ERRORS_KEY] = {"general": SERVICE_ERROR}
        return
    state.pop(ERRORS_KEY, None)
    state[DONE_KEY] = account_id


errors: dict[str, str] = st.session_state.get(ERRORS_KEY, {})


def field_error(name: str) -> None:
    if name in errors:
        st.error(errors[name], icon=":material/error:")


st.write(
    f"**{widgets.plain(invitation.firm_name)}** le invitó a Brújula Circular. Podrá llenar "
    "sus evaluaciones y ver sus resultados; los datos de la empresa, las autorizaciones a SNI y "
    "el equipo los maneja el titular de la cuenta."
)
st.markdown(
    f"Ingresará con el correo **{widgets.plain(invitation.email)}** y la contraseña que elija "
    f"aquí. La invitación vence el {widgets.date_es(invitation.expires_at)}."
)
field_error("general")
field_error("codigo")
with st.form("unirse_form", enter_to_submit=False):
    st.text_input("Su nombre", key="unirse_nombre", max_chars=200, placeholder="Nombre y apellido")
    field_error("name")
    st.text_input(
        "Contraseña",
        type="password",
        key="unirse_clave",
        help=f"Al menos {MIN_PASSWORD} caracteres. Una frase corta es fácil de recordar.",
    )
    field_error("password")
    st.text_input("Repita la contraseña", type="password", key="unirse_clave2")
    field_error("repeat")
    st.form_submit_button("Crear mi cuenta", type="primary", on_click=_join, width="stretch")
