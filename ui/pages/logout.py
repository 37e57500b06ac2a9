"""Log out: revoke the server-side session, then let the server delete the cookie.

The session is revoked here, in the database, before anything else; ``/sesion/salir`` then
deletes the HttpOnly cookie (a page cannot) and shows the home page.
"""

from __future__ import annotations

import streamlit as st

from ui import session

session.logout()
st.title("Cerrar sesión")
st.write("Cerró sesión. Sus respuestas quedaron guardadas.")
session.go_to("sesion/salir", "Volver al inicio")
