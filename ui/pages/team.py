"""«Equipo»: the titular invites colleagues, sees who belongs to the firm and removes members.

Only the titular manages the team (checked here on every run and again in ``storage.team``).
An invitation is a link shown once; it works for 7 days, once.
"""

from __future__ import annotations

import logging
import os
from urllib.parse import urlencode, urlsplit

import streamlit as st

from storage import team
from ui import db, session, widgets

log = logging.getLogger(__name__)

ERRORS_KEY = "equipo_errores"  # {field: message}
LINK_KEY = "equipo_enlace"  # (email, link) of the invitation just created: shown once
DONE_KEY = "equipo_listo"  # a success message shown once
FAILED = (
    "No pudimos guardar el cambio en este momento. Vuelva a intentarlo en unos minutos; lo "
    "que escribió sigue en el formulario."
)

account, firm = session.require_titular()


def public_base() -> str:
    """Where users open the app: ``BRUJULA_URL_PUBLICA`` if set, else this page's own address."""
    configured = (os.environ.get("BRUJULA_URL_PUBLICA") or "").strip().rstrip("/")
    if configured:
        return configured
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:
        parts = urlsplit("")
    origin = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
    return origin + session.server_path("").rstrip("/")


def _run(work, done: str | None = None) -> bool:
    st.session_state.pop(ERRORS_KEY, None)
    try:
        db.write(work)
    except team.TeamError as exc:
        st.session_state[ERRORS_KEY] = dict(exc.errors)
        return False
    except Exception:
        log.exception("team change failed")
        st.session_state[ERRORS_KEY] = {"general": FAILED}
        return False
    if done:
        st.session_state[DONE_KEY] = done
    return True


def _invite() -> None:
    email = (st.session_state.get("equipo_correo") or "").strip()
    tokens: list[str] = []
    if _run(lambda database: tokens.append(team.invite(database, firm.id, account.id, email))):
        query = urlencode({"codigo": tokens[-1]})
        st.session_state[LINK_KEY] = (email.lower(), f"{public_base()}/{team.JOIN_PATH}?{query}")
        st.session_state["equipo_correo"] = ""


def _revoke(invitation_id: int, email: str) -> None:
    _run(
        lambda database: team.revoke_invitation(database, firm.id, account.id, invitation_id),
        f"Se anuló la invitación para {email}: su enlace ya no sirve.",
    )


def _remove() -> None:
    member_id = st.session_state.get("equipo_quitar")
    if member_id is None:
        st.session_state[ERRORS_KEY] = {"remove": "Elija a quién quitar del equipo."}
        return
    if not st.session_state.get("equipo_confirmar"):
        st.session_state[ERRORS_KEY] = {
            "remove": "Marque la casilla para confirmar que quiere quitar a esa persona."
        }
        return
    if _run(
        lambda database: team.remove_member(database, firm.id, account.id, int(member_id)),
        "Listo: esa persona ya no puede ingresar y se cerraron sus sesiones. Sus respuestas "
        "quedan, con su nombre.",
    ):
        st.session_state["equipo_quitar"] = None
        st.session_state["equipo_confirmar"] = False


errors: dict[str, str] = st.session_state.pop(ERRORS_KEY, {})


def field_error(name: str) -> None:
    if name in errors:
        st.error(errors[name], icon=":material/error:")


with db.session() as database:
    people = team.members(database, firm.id)
    pending = team.pending_invitations(database, firm.id)

st.title("Equipo")
st.write(
    "Invite a sus colegas para que llenen la evaluación con usted. Cada persona ingresa con su "
    "correo y su propia contraseña, y queda registrado quién respondió cada pregunta. Solo "
    "usted, como titular, cambia los datos de la empresa, las autorizaciones y el equipo."
)
if message := st.session_state.pop(DONE_KEY, None):
    st.success(message, icon=":material/check_circle:")
field_error("general")

st.subheader("Quiénes están")
ROLES = {"titular": "Titular", "colaborador": "Colaborador(a)"}
st.dataframe(
    [
        {
            "Nombre": person.name,
            "Ingresa con": person.login,
            "Rol": ROLES.get(person.role, person.role),
            "Desde": widgets.date_es(person.since),
            "Estado": "Activo" if person.removed_at is None else "Retirado del equipo",
        }
        for person in people
    ],
    hide_index=True,
    width="stretch",
)

st.subheader("Invitar a una persona")
if (shown := st.session_state.pop(LINK_KEY, None)) is not None:
    email, link = shown
    st.success(
        f"Invitación creada para {widgets.plain(email)}. Copie este enlace y envíeselo: vale "
        f"{team.INVITE_DAYS} días, sirve una sola vez y **no se vuelve a mostrar**.",
        icon=":material/link:",
    )
    st.code(link, language=None, wrap_lines=True)
with st.form("equipo_invitar", enter_to_submit=False):
    st.text_input(
        "Correo de la persona",
        key="equipo_correo",
        max_chars=254,
        placeholder="nombre@empresa.com.pe",
        help="Con este correo ingresará a Brújula Circular.",
    )
    field_error("email")
    st.form_submit_button("Crear invitación", type="primary", on_click=_invite, width="stretch")

if pending:
    st.subheader("Invitaciones abiertas")
    for invitation in pending:
        left, right = st.columns([3, 1], vertical_alignment="center")
        left.markdown(
            f"{widgets.plain(invitation.email)} · vence el {widgets.date_es(invitation.expires_at)}"
        )
        right.button(
            "Anular",
            key=f"equipo_anular_{invitation.id}",
            on_click=_revoke,
            args=(invitation.id, invitation.email),
            width="stretch",
        )

active = {p.id: p for p in people if p.role == "colaborador" and p.removed_at is None}
if active:
    st.subheader("Quitar a una persona del equipo")
    with st.form("equipo_quitar_form", enter_to_submit=False):
        st.selectbox(
            "Persona",
            options=list(active),
            format_func=lambda member_id: f"{active[member_id].name} ({active[member_id].login})",
            index=None,
            placeholder="Elija a quién quitar",
            key="equipo_quitar",
        )
        st.checkbox(
            "Confirmo: ya no podrá ingresar y se cerrarán sus sesiones abiertas",
            key="equipo_confirmar",
        )
        field_error("remove")
        st.form_submit_button("Quitar del equipo", on_click=_remove, width="stretch")
