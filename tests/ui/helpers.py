"""Builders for the UI tests (a plain module; conftest is not meant to be imported)."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from scoring.peru import ruc_check_digit
from storage.accounts import FirmRegistration, create_staff, open_session, register_firm
from storage.db import make_engine, session_scope
from storage.sessions import account_for_token
from ui.session import TOKEN_KEY

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "clave-segura-123"


def valid_ruc(first_ten: str) -> str:
    return first_ten + str(ruc_check_digit(first_ten))


def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60)


def make_firm(url: str, first_ten: str = "2010007097", **overrides: object) -> str:
    """Register a firm directly in the database; returns a live session token for it."""
    data: dict[str, object] = {
        "ruc": valid_ruc(first_ten),
        "razon_social": "Plásticos del Sur S.A.C.",
        "ciiu_division": 22,
        "region": "Arequipa",
        "annual_sales": 5_000_000,
        "sales_year": 2025,
        "workers": 40,
        "email": "gerencia@plasticos.com.pe",
        "password": PASSWORD,
        "consent_share_sni": True,
        "consent_statistics": True,
    }
    data.update(overrides)
    engine = _engine(url)
    with session_scope(engine) as database:
        firm = register_firm(database, FirmRegistration(**data))  # type: ignore[arg-type]
        account = firm_account(database, firm.id)
        token = open_session(database, account)
    engine.dispose()
    return token


def make_staff(url: str) -> str:
    engine = _engine(url)
    with session_scope(engine) as database:
        account = create_staff(database, "analista@sni.org.pe", "Ana Analista", PASSWORD)
        token = open_session(database, account)
    engine.dispose()
    return token


def firm_account(database, firm_id: int):
    from sqlalchemy import select

    from storage.models import Account

    return database.scalar(select(Account).where(Account.firm_id == firm_id))


def firm_id_for(url: str, token: str) -> int:
    engine = _engine(url)
    with session_scope(engine) as database:
        firm_id = account_for_token(database, token).firm_id
    engine.dispose()
    return firm_id


def _engine(url: str):
    from storage.db import migrate

    migrate(url)
    return make_engine(url)


def open_page(page: str, token: str | None = None, **params: str) -> AppTest:
    """Run the app once (as after a reload: only the token is known), then open ``page``.

    AppTest needs one run before ``switch_page`` so that st.navigation has registered pages.
    """
    at = app()
    if token:
        at.session_state[TOKEN_KEY] = token
    at.run()
    for key, value in params.items():
        at.query_params[key] = value
    return at.switch_page(page).run()


def logged_in(token: str, page: str | None = None, **params: str) -> AppTest:
    """An app run for a logged-in account, on ``page`` or the role's start page."""
    if page:
        return open_page(page, token, **params)
    at = app()
    at.session_state[TOKEN_KEY] = token
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def press(at: AppTest, index: int = 0) -> AppTest:
    """Click a form's submit button and run."""
    at.form_submit_button[index].click()
    return at.run()


def texts(at: AppTest) -> str:
    """Everything the page shows as text, to search in."""
    parts = []
    for kind in ("markdown", "error", "warning", "info", "success", "caption", "title"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [str(e.label) for e in at.button]
    parts += [str(e.label) for e in at.radio]
    return "\n".join(parts)
