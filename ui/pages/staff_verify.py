"""Verificar empresas: SNI staff confirm that a registered firm is who it says (staff only).

Only verified firms count in peer figures and staff aggregates (issue 12): a registration alone
proves nothing, since any RUC with a valid check digit is accepted. Each verification and each
withdrawal asks for a confirmation and is written to the audit log (``storage.verification``).
Demo firms are never verified: they count only when the panel includes demo data.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import select

from storage.models import Firm
from storage.verification import (
    VerificationError,
    unverified_firms,
    unverify_firm,
    verify_firm,
)
from ui import db, session, widgets
from ui.staff_labels import sector_label

LIST_LIMIT = 200
PENDING = "sni_verificacion_pendiente"  # (action, firm id, RUC, razón social) awaiting "Sí"
DONE = "sni_verificacion_hecha"

account = session.require_staff()  # checked on every run


def verified_firms(search: str) -> list[Firm]:
    """Verified (real) firms, latest verification first; ``search`` by RUC or razón social."""
    query = select(Firm).where(Firm.verified_at.is_not(None)).order_by(Firm.verified_at.desc())
    text = search.strip()
    if text:
        query = query.where(Firm.ruc.like(f"%{text}%") | Firm.razon_social.ilike(f"%{text}%"))
    with db.session() as database:
        firms = list(database.scalars(query.limit(LIST_LIMIT)))
        database.expunge_all()
    return firms


def pending_firms(search: str) -> list[Firm]:
    with db.session() as database:
        firms = unverified_firms(database, search)
        database.expunge_all()
    return firms


def describe(firm: Firm) -> str:
    return (
        f"**{widgets.plain(firm.razon_social)}** · RUC {firm.ruc}  \n"
        f"CIIU {sector_label(firm.ciiu_division)} · {widgets.plain(firm.region)} · "
        f"registrada el {widgets.date_es(firm.created_at)}"
    )


def ask(action: str, firm: Firm) -> None:
    st.session_state[PENDING] = (action, firm.id, firm.ruc, firm.razon_social)


def confirm() -> None:
    """The confirmation of the pending action: «Sí, …» applies it (audited), «Cancelar» not."""
    action, firm_id, ruc, name = st.session_state[PENDING]
    verb = "verificar" if action == "verificar" else "quitar la verificación de"
    with st.container(border=True):
        st.warning(
            f"¿Confirma que desea {verb} {widgets.plain(name)} (RUC {ruc})?",
            icon=":material/help:",
        )
        note = st.text_input(
            "Nota para el registro (opcional)",
            key="sni_verificacion_nota",
            max_chars=200,
            placeholder="Ejemplo: RUC activo en SUNAT; llamada al contacto registrado.",
        )
        yes, no = st.columns(2)
        label = "Sí, verificar" if action == "verificar" else "Sí, quitar la verificación"
        if yes.button(label, key="sni_verificacion_si", type="primary", width="stretch"):
            try:
                with db.session() as database:
                    apply = verify_firm if action == "verificar" else unverify_firm
                    apply(database, firm_id, account.id, note)
            except VerificationError as exc:
                st.session_state[DONE] = ("error", str(exc))
            else:
                done = "verificada" if action == "verificar" else "ya no está verificada"
                st.session_state[DONE] = ("ok", f"{name} (RUC {ruc}) {done}.")
            st.session_state.pop(PENDING, None)
            st.session_state.pop("sni_verificacion_nota", None)
            st.rerun()
        if no.button("Cancelar", key="sni_verificacion_no", width="stretch"):
            st.session_state.pop(PENDING, None)
            st.rerun()


st.title("Verificar empresas")
st.caption(
    "Solo las empresas verificadas cuentan en las cifras de pares y en el Panel SNI. Verifique "
    "una empresa después de comprobar su RUC en SUNAT y confirmar el registro con su contacto. "
    "Cada verificación y cada retiro queda registrado con su autor y fecha. Las empresas de "
    "demostración no se verifican: solo cuentan cuando el panel incluye datos «DEMO»."
)
if done := st.session_state.pop(DONE, None):
    kind, message = done
    if kind == "ok":
        st.success(widgets.plain(message), icon=":material/verified:")
    else:
        st.error(message)
if PENDING in st.session_state:
    confirm()

search = st.text_input(
    "Buscar por razón social o RUC", key="sni_verificar_buscar", placeholder="Ejemplo: 2010"
)
waiting, verified = st.tabs(["Pendientes de verificación", "Verificadas"])
with waiting:
    firms = pending_firms(search)
    if not firms:
        st.info("No hay empresas pendientes de verificación que coincidan.")
    if len(firms) >= LIST_LIMIT:
        st.caption(f"Se muestran las {LIST_LIMIT} más antiguas; use la búsqueda para acotar.")
    for firm in firms:
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.markdown(describe(firm))
        if button.button("Verificar", key=f"sni_verificar_{firm.id}", icon=":material/verified:"):
            ask("verificar", firm)
            st.rerun()
with verified:
    firms = verified_firms(search)
    if not firms:
        st.info("No hay empresas verificadas que coincidan.")
    for firm in firms:
        text, button = st.columns([4, 1], vertical_alignment="center")
        text.markdown(describe(firm) + f"  \nVerificada el {widgets.date_es(firm.verified_at)}")
        if button.button("Quitar verificación", key=f"sni_quitar_{firm.id}"):
            ask("quitar", firm)
            st.rerun()
