"""Log in with RUC (firms) or e-mail (SNI staff) and password."""

from __future__ import annotations

import streamlit as st

from storage.accounts import LoginError
from ui import session, widgets

if (current := session.current_account()) is not None:
    st.switch_page(session.start_page(current))

st.title("Ingresar")
session.show_flash()
st.write("Escriba el RUC de su empresa y su contraseña. El equipo de SNI ingresa con su correo.")

with st.form("login_form", enter_to_submit=False):
    login_name = st.text_input(
        "RUC o correo", key="login_name", placeholder="Ejemplo: 20123456789", max_chars=254
    )
    password = st.text_input("Contraseña", type="password", key="login_password")
    submitted = st.form_submit_button("Ingresar", type="primary", width="stretch")

if submitted:
    if not login_name.strip() or not password:
        st.error("Escriba su RUC o correo y su contraseña.")
        st.stop()
    try:
        with st.spinner("Verificando..."):
            account = session.login(login_name, password)
    except LoginError as exc:
        st.error(str(exc))
        st.stop()
    session.flash(f"Bienvenido, {widgets.plain(account.display_name.rstrip('.'))}.")
    st.switch_page(session.start_page(account))

st.divider()
st.write("¿Su empresa todavía no tiene cuenta?")
st.page_link("ui/pages/register.py", label="Crear cuenta de empresa", icon=":material/person_add:")
st.caption(
    "¿Olvidó su contraseña? Escriba a SNI desde el correo de contacto de su empresa: el equipo "
    "le pondrá una contraseña nueva, que luego puede cambiar en «Mi empresa»."
)
