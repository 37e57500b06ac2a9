"""Log out: revoke the server-side session and go back to the public pages."""

from __future__ import annotations

import streamlit as st

from ui import session

session.logout()
st.switch_page(session.HOME_PAGE)
