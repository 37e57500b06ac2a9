"""Brújula Circular: page setup, who is logged in and the page list for that role.

Every page is registered for every role, each always at the same URL, so that links and reloads
never hit "page not found"; the role only decides which pages are listed. Each page still checks
access itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ui import errors, session
from ui.widgets import global_css

ROOT = Path(__file__).resolve().parent

APP_TITLE = "Brújula Circular"
# The favicon as inline SVG (Streamlit turns it into a data: URL): a Material icon would be
# fetched from fonts.gstatic.com, and the browser must talk only to this server.
FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">'
    '<circle cx="16" cy="16" r="14" fill="#FFFFFF" stroke="#0F6E5A" stroke-width="3"/>'
    '<path d="M21.5 10.5 18 18l-7.5 3.5L14 14z" fill="#0F6E5A"/></svg>'
)

st.set_page_config(page_title=APP_TITLE, page_icon=FAVICON, layout="centered")
global_css()
with errors.boundary():  # the database may be down: a Spanish page, not a traceback
    account = session.identify()
role = "visitante" if account is None else account.kind  # "empresa" or "personal"
# A firm's titular also sees what only the titular may use («Equipo»).
listed_for = {role} | ({"titular"} if account is not None and account.is_titular else set())

PAGE_DIR = ROOT / "ui/pages"
PRESENT = {name for name in os.listdir(PAGE_DIR) if name.endswith(".py")}  # one directory read

# (file, title, icon, url path, roles that see it listed)
PAGES = [
    ("home.py", "Inicio", "home", "inicio", {"visitante"}),
    ("dashboard.py", "Mi panel", "dashboard", "panel", {"empresa"}),
    ("fill.py", "Llenar evaluación", "edit_note", "llenar", {"empresa"}),
    ("review.py", "Revisión y envío", "fact_check", "revision", {"empresa"}),
    ("results.py", "Resultados", "insights", "resultados", {"empresa"}),
    ("profile.py", "Mi empresa", "domain", "mi-empresa", {"empresa"}),
    ("team.py", "Equipo", "group_add", "equipo", {"titular"}),
    ("staff_dashboard.py", "Panel SNI", "monitoring", "staff-dashboard", {"personal"}),
    ("staff_firms.py", "Empresas que comparten", "groups", "staff-firms", {"personal"}),
    ("staff_verify.py", "Verificar empresas", "verified", "staff-verify", {"personal"}),
    ("staff_export.py", "Exportar", "download", "staff-export", {"personal"}),
    ("method.py", "Metodología", "menu_book", "metodologia", {"visitante", "empresa", "personal"}),
    (
        "questionnaire.py",
        "Cuestionario",
        "list_alt",
        "cuestionario",
        {"visitante", "empresa", "personal"},
    ),
    ("login.py", "Ingresar", "login", "ingresar", {"visitante"}),
    ("register.py", "Registrarse", "person_add", "registrarse", {"visitante"}),
    ("join.py", "Unirse", "group_add", "unirse", set()),  # reached by an invitation link
    ("reset_password.py", "Restablecer contraseña", "lock_reset", "restablecer", set()),
    ("logout.py", "Cerrar sesión", "logout", "salir", {"empresa", "personal"}),
]
# The landing page is the default ("/") for everyone and sends logged-in users on to their
# start page; a per-role default would give a page a different URL after login or logout.
# The Page objects are built once per process (``session.navigation_pages``).
pages = session.navigation_pages(PAGES, listed_for, PRESENT)
with errors.boundary():
    current = st.navigation(pages)
    # A title per page (browser tab, history, screen readers), in the page's own words.
    st.set_page_config(page_title=f"{current.title} · {APP_TITLE}")
    try:
        current.run()
    finally:  # read with the login for this run only (a page that did not take it)
        st.session_state.pop(session.ASSESSMENT_READ_KEY, None)
