"""Registration and login forms: validation per field, kept input, sessions."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from storage.accounts import DUPLICATE_RUC, LOGIN_FAILED, LOGIN_MALFORMED
from storage.db import make_engine, session_scope
from storage.models import AuthSession, Firm
from storage.sessions import account_for_token, new_token, take_pending_login
from tests.ui.helpers import (
    PASSWORD,
    logged_in,
    make_firm,
    open_page,
    press,
    texts,
    valid_ruc,
)
from ui import session
from ui.session import ACCOUNT_KEY

REGISTER = "ui/pages/register.py"


def _fill(at, **overrides):
    values = {
        "reg_ruc": valid_ruc("2060000001"),
        "reg_name": "Textiles Andinos S.A.C.",
        "reg_sales": "1.234.567,50",
        "reg_email": "gerencia@textiles.pe",
        "reg_password": PASSWORD,
        "reg_password2": PASSWORD,
    }
    values.update(overrides)
    for key, value in values.items():
        at.text_input(key=key).input(value)
    at.selectbox(key="reg_ciiu").select(13)
    at.selectbox(key="reg_region").select("Cusco")
    at.number_input(key="reg_workers").set_value(12)
    at.checkbox(key="reg_consent_sni").check()
    return at


def _firms(url: str) -> list[Firm]:
    engine = make_engine(url)
    with session_scope(engine) as database:
        firms = list(database.scalars(select(Firm)))
    engine.dispose()
    return firms


def _with_cookies(monkeypatch, **cookies: str) -> None:
    """Make pages see these cookies in their connection's headers (AppTest has none)."""
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    monkeypatch.setattr(session, "_cookie_header", lambda: header)


def _html(at) -> str:
    return " ".join(str(e.proto.body) for e in at.get("html"))


def test_registration_without_cookies_creates_the_firm_and_asks_to_log_in(app_env: str) -> None:
    at = open_page(REGISTER)
    at = press(_fill(at))
    assert not at.exception, at.exception
    assert "Su cuenta está creada" in texts(at)
    assert "Ingrese con su RUC" in texts(at)
    firm = _firms(app_env)[0]
    assert firm.annual_sales == Decimal("1234567.50")
    assert firm.size_class == "pequena"
    assert firm.consent_share_sni is True and firm.consent_statistics is False


def test_registration_hands_the_login_to_the_server(app_env: str, monkeypatch) -> None:
    binding = new_token()
    _with_cookies(monkeypatch, brujula_vinculo=binding)
    at = open_page(REGISTER)
    at = press(_fill(at))
    assert not at.exception, at.exception
    page = _html(at)
    assert "/sesion/entrar?aviso=registro" in page
    assert binding not in page  # nothing secret in the page
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        account = take_pending_login(database, binding)
        assert account is not None and account.login == valid_ruc("2060000001")
        assert (
            database.scalar(select(AuthSession.id).where(AuthSession.revoked_at.is_(None))) is None
        )
    engine.dispose()


def test_the_registration_flash_comes_with_the_servers_redirect(app_env: str) -> None:
    token = make_firm(app_env, "2060000001", annual_sales=1_234_567)
    at = logged_in(token, aviso="registro")
    assert not at.exception, at.exception
    assert "pequeña empresa" in texts(at)
    assert "aviso" not in at.query_params


def test_bad_ruc_and_password_mismatch_are_shown_per_field_and_input_is_kept(
    app_env: str,
) -> None:
    at = open_page(REGISTER)
    at = press(_fill(at, reg_ruc="20100070971", reg_password2="otra-clave-distinta"))
    errors = [e.value for e in at.error]
    assert any("dígito verificador" in e for e in errors)
    assert any("no coinciden" in e for e in errors)
    assert at.text_input(key="reg_name").value == "Textiles Andinos S.A.C."
    assert at.text_input(key="reg_ruc").value == "20100070971"
    assert _firms(app_env) == []


def test_sales_in_spanish_format_are_read_and_bad_numbers_explained(app_env: str) -> None:
    at = open_page(REGISTER)
    at = press(_fill(at, reg_sales="mucho", reg_ruc="123"))
    assert any("No se reconoce «mucho» como número" in e.value for e in at.error)
    at.text_input(key="reg_sales").input("850.000,00")
    at = press(at)
    # The RUC is still wrong, but the size class of the typed sales is shown.
    assert "microempresa" in texts(at)


def test_duplicate_ruc_is_refused_without_confirming_the_account(app_env: str) -> None:
    make_firm(app_env, "2060000001")
    at = open_page(REGISTER)
    at = press(_fill(at))
    assert DUPLICATE_RUC in [e.value for e in at.error]
    assert not any("Ya existe" in e.value for e in at.error)
    assert len(_firms(app_env)) == 1


def test_password_mismatch_stores_nothing(app_env: str) -> None:
    """Issue 12 §3: on SQLite the refused registration used to be committed by a savepoint."""
    at = open_page(REGISTER)
    at = press(_fill(at, reg_password2="otra-clave-distinta"))
    assert any("no coinciden" in e.value for e in at.error)
    assert _firms(app_env) == []


def test_password_mismatch_stores_nothing_on_postgresql(monkeypatch) -> None:
    url = _postgres_schema_url(monkeypatch)
    at = open_page(REGISTER)
    at = press(_fill(at, reg_password2="otra-clave-distinta"))
    assert any("no coinciden" in e.value for e in at.error)
    assert _firms(url) == []
    at = press(_fill(at))
    assert len(_firms(url)) == 1


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("reg_sales", "9" * 30, "Ventas"),
        ("reg_sales", "1e400", "Ventas"),
        ("reg_ruc", "2010007097\x00", "RUC"),
        ("reg_name", "\x00\x00", "Razón social"),
        ("reg_name", "\u200b\u200b", "Razón social"),
        ("reg_email", "a\x00@empresa.pe", "Correo"),
        ("reg_password", " " * 12, "Contraseña"),
    ],
)
def test_impossible_input_gets_a_field_error(
    app_env: str, field: str, value: str, key: str
) -> None:
    at = open_page(REGISTER)
    overrides = {field: value}
    if field == "reg_password":
        overrides["reg_password2"] = value
    at = press(_fill(at, **overrides))
    assert not at.exception, at.exception
    assert at.error, "a field error is shown"
    assert not any("en este momento" in e.value for e in at.error)
    assert _firms(app_env) == []


def test_login_page_posts_to_the_server_and_holds_no_token(app_env: str) -> None:
    at = open_page("ui/pages/login.py")
    assert not at.exception, at.exception
    form = _html(at)
    assert 'action="/sesion"' in form and 'method="post"' in form
    assert 'name="login"' in form and 'name="clave"' in form
    assert "<label" in form and 'autocomplete="current-password"' in form
    assert "script" not in form.lower()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"error": "datos"}, LOGIN_FAILED),
        ({"error": "formato"}, LOGIN_MALFORMED),
        ({"error": "espera", "s": "90"}, "espere 2 minutos"),
        ({"error": "espera", "s": "no"}, "espere 1 minuto"),
    ],
)
def test_login_errors_come_back_from_the_server(app_env: str, params, message: str) -> None:
    at = open_page("ui/pages/login.py", **params)
    assert not at.exception, at.exception
    assert any(message in e.value for e in at.error)


def test_the_cookie_decides_and_a_second_cookie_is_not_trusted(app_env: str, monkeypatch) -> None:
    victim = make_firm(app_env, "2060000001")
    attacker = make_firm(app_env, "2060000002", email="x@atacante.pe")
    _with_cookies(monkeypatch, brujula_sesion=victim)
    at = logged_in(attacker)  # a stale token in session_state loses to the cookie
    assert at.session_state[ACCOUNT_KEY].login == valid_ruc("2060000001")
    header = f"brujula_sesion={attacker}; brujula_sesion={victim}"
    monkeypatch.setattr(session, "_cookie_header", lambda: header)
    at = open_page("ui/pages/dashboard.py")
    assert at.session_state[ACCOUNT_KEY] is None


def test_logout_revokes_the_server_session(app_env: str) -> None:
    token = make_firm(app_env, "2060000001")
    at = open_page("ui/pages/logout.py", token)
    assert not at.exception, at.exception
    assert at.session_state[ACCOUNT_KEY] is None
    assert "Cerró sesión" in texts(at)
    assert "/sesion/salir" in _html(at)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        assert account_for_token(database, token) is None
    engine.dispose()
    again = open_page("ui/pages/dashboard.py", token)
    assert "Inicie sesión para continuar." in [i.value for i in again.info]


def test_logout_notice_is_shown_on_the_home_page(app_env: str) -> None:
    at = open_page("ui/pages/home.py", aviso="salida")
    assert "Cerró sesión" in texts(at)


def _postgres_schema_url(monkeypatch) -> str:
    import os
    import uuid

    from sqlalchemy import make_url

    from storage.db import normalize_url

    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true pero TEST_DATABASE_URL no está definido.")
        pytest.skip("TEST_DATABASE_URL no está definido.")
    base = normalize_url(base)
    schema = f"prueba_{uuid.uuid4().hex[:16]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", rendered)

    def drop() -> None:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()

    _cleanups.append(drop)
    return rendered


_cleanups: list = []


@pytest.fixture(autouse=True)
def _drop_schemas():
    yield
    while _cleanups:
        _cleanups.pop()()


# --- issue 10: the RUC is checked as soon as it is typed ---------------------------------------


def test_a_taken_ruc_is_said_as_soon_as_it_is_typed(app_env: str) -> None:
    make_firm(app_env, "2060000001")
    at = open_page(REGISTER)
    at.text_input(key="reg_ruc").input(valid_ruc("2060000001")).run()
    assert not at.exception, at.exception
    assert DUPLICATE_RUC in [e.value for e in at.error]
    at.text_input(key="reg_ruc").input(valid_ruc("2060000002")).run()
    assert DUPLICATE_RUC not in [e.value for e in at.error]
    assert len(_firms(app_env)) == 1


def test_a_ruc_not_starting_with_20_gets_a_warning_not_an_error(app_env: str) -> None:
    at = open_page(REGISTER)
    at.text_input(key="reg_ruc").input(valid_ruc("1045678901")).run()
    assert any("persona natural" in w.value for w in at.warning)
    assert not at.error
    at = press(_fill(at, reg_ruc=valid_ruc("1045678901")))
    assert not at.exception, at.exception
    assert "Su cuenta está creada" in texts(at)
    assert _firms(app_env)[0].ruc == valid_ruc("1045678901")


def test_a_company_ruc_gets_no_warning(app_env: str) -> None:
    at = open_page(REGISTER)
    at.text_input(key="reg_ruc").input(valid_ruc("2045678901")).run()
    assert not at.warning and not at.error
