"""Registration and login forms: validation per field, kept input, sessions."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from storage.db import make_engine, session_scope
from storage.models import AuthSession, Firm
from storage.sessions import account_for_token
from tests.ui.helpers import PASSWORD, make_firm, open_page, press, texts, valid_ruc
from ui.session import ACCOUNT_KEY, TOKEN_KEY

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


def test_registration_creates_firm_logs_in_and_opens_dashboard(app_env: str) -> None:
    at = open_page(REGISTER)
    at = press(_fill(at))
    assert not at.exception, at.exception
    assert at.session_state[ACCOUNT_KEY] is not None
    assert TOKEN_KEY in at.session_state
    assert at.title[0].value == "Mi panel"
    firm = _firms(app_env)[0]
    assert firm.annual_sales == Decimal("1234567.50")
    assert firm.size_class == "pequena"
    assert firm.consent_share_sni is True and firm.consent_statistics is False
    assert "pequeña empresa" in texts(at)


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


def test_duplicate_ruc_is_refused(app_env: str) -> None:
    make_firm(app_env, "2060000001")
    at = open_page(REGISTER)
    at = press(_fill(at))
    assert any("Ya existe una cuenta para el RUC" in e.value for e in at.error)
    assert len(_firms(app_env)) == 1


def test_login_generic_error_then_slowdown_then_success(app_env: str) -> None:
    make_firm(app_env, "2060000001")
    ruc = valid_ruc("2060000001")
    at = open_page("ui/pages/login.py")
    at.text_input(key="login_name").input("20999999999")
    at.text_input(key="login_password").input("lo-que-sea-123")
    at = press(at)
    assert [e.value for e in at.error] == ["RUC/correo o contraseña incorrectos."]
    at.text_input(key="login_name").input(ruc)
    for _ in range(5):
        at.text_input(key="login_password").input("clave-equivocada")
        at = press(at)
    assert "Por seguridad, espere" in at.error[0].value
    assert at.session_state[ACCOUNT_KEY] is None


def test_login_and_logout_revoke_the_server_session(app_env: str) -> None:
    make_firm(app_env, "2060000001")
    at = open_page("ui/pages/login.py")
    at.text_input(key="login_name").input(valid_ruc("2060000001"))
    at.text_input(key="login_password").input(PASSWORD)
    at = press(at)
    assert not at.exception, at.exception
    assert at.title[0].value == "Mi panel"
    token = at.session_state[TOKEN_KEY]
    at.switch_page("ui/pages/logout.py").run()
    assert not at.exception, at.exception
    assert at.session_state[ACCOUNT_KEY] is None
    assert "Cerró sesión" in texts(at)
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        assert account_for_token(database, token) is None
        assert database.scalar(select(AuthSession).order_by(AuthSession.id.desc())).revoked_at
    engine.dispose()
    # The old token no longer opens firm pages, even if the browser still sends it.
    again = open_page("ui/pages/dashboard.py", token)
    assert "Inicie sesión para continuar." in [i.value for i in again.info]
