"""«Mi empresa»: profile, consents and password, each in its own form."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from storage import audit
from storage.accounts import authenticate
from storage.db import make_engine, session_scope
from storage.models import AuditLog, Firm
from tests.ui.helpers import PASSWORD, make_firm, make_staff, open_page, texts, valid_ruc

PROFILE = "ui/pages/profile.py"
NEW_PASSWORD = "otra-clave-muy-segura"


def _firm(url: str) -> Firm:
    engine = make_engine(url)
    with session_scope(engine) as database:
        firm = database.scalars(select(Firm)).one()
        database.expunge(firm)
    engine.dispose()
    return firm


def _audits(url: str, action: str) -> list[AuditLog]:
    engine = make_engine(url)
    with session_scope(engine) as database:
        entries = list(database.scalars(select(AuditLog).where(AuditLog.action == action)))
        database.expunge_all()
    engine.dispose()
    return entries


def _press(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    return at.run()


def _errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def test_profile_renders_for_a_firm(app_env: str) -> None:
    at = open_page(PROFILE, make_firm(app_env))
    assert not at.exception, at.exception
    assert at.title[0].value == "Mi empresa"
    shown = texts(at)
    assert valid_ruc("2010007097") in shown and "Plásticos del Sur" in shown
    assert "escriba a SNI" in shown  # RUC and razón social change only through SNI
    assert "Pequeña empresa" in shown
    assert at.text_input(key="perfil_ventas").value == "5.000.000,00"
    assert at.selectbox(key="perfil_region").value == "Arequipa"
    assert at.checkbox(key="perfil_estadisticas").value is True
    assert "se aplica desde ahora" in shown
    assert not [t for t in at.text_input if t.key in ("perfil_ruc", "perfil_razon_social")]


def test_visitor_is_asked_to_log_in(app_env: str) -> None:
    at = open_page(PROFILE)
    assert not at.exception, at.exception
    assert "Inicie sesión para continuar." in [i.value for i in at.info]
    assert not at.text_input


def test_staff_is_refused(app_env: str) -> None:
    at = open_page(PROFILE, make_staff(app_env))
    assert not at.exception, at.exception
    assert "Esta página es para las empresas registradas." in [w.value for w in at.warning]
    assert not at.text_input


def test_profile_update_recomputes_size_class(app_env: str) -> None:
    at = open_page(PROFILE, make_firm(app_env))
    at.text_input(key="perfil_ventas").input("S/ 700.000,50")
    at.selectbox(key="perfil_anio").select(2025)
    at.number_input(key="perfil_trabajadores").set_value(8)
    at.text_input(key="perfil_correo").input("nuevo@plasticos.com.pe")
    at.selectbox(key="perfil_region").select("Callao")
    at = _press(at, "Guardar datos")
    assert not at.exception, at.exception
    assert not _errors(at)
    success = " ".join(s.value for s in at.success)
    assert "microempresa" in success and "Su próxima evaluación" in success
    firm = _firm(app_env)
    assert (firm.annual_sales, firm.size_class, firm.workers) == (Decimal("700000.50"), "micro", 8)
    assert (firm.email, firm.region) == ("nuevo@plasticos.com.pe", "Callao")
    assert at.text_input(key="perfil_ventas").value == "700.000,50"
    assert len(_audits(app_env, "perfil")) == 1


def test_bad_sales_keep_what_was_typed(app_env: str) -> None:
    at = open_page(PROFILE, make_firm(app_env))
    at.text_input(key="perfil_ventas").input("mucho dinero")
    at.text_input(key="perfil_correo").input("sin-arroba")
    at = _press(at, "Guardar datos")
    assert not at.exception, at.exception
    errors = _errors(at)
    assert any("No se reconoce «mucho dinero» como número" in e for e in errors)
    assert any("correo electrónico válido" in e for e in errors)
    assert "lo que escribió se mantiene" in texts(at)
    assert at.text_input(key="perfil_ventas").value == "mucho dinero"
    assert at.text_input(key="perfil_correo").value == "sin-arroba"
    firm = _firm(app_env)
    assert (firm.annual_sales, firm.email) == (Decimal("5000000.00"), "gerencia@plasticos.com.pe")


def test_consent_withdrawal_persists_and_is_audited(app_env: str) -> None:
    at = open_page(PROFILE, make_firm(app_env))
    at.checkbox(key="perfil_estadisticas").uncheck()
    at = _press(at, "Guardar autorizaciones")
    assert not at.exception, at.exception
    assert any("ya no se cuentan" in s.value for s in at.success)
    firm = _firm(app_env)
    assert (firm.consent_share_sni, firm.consent_statistics) == (True, False)
    entries = _audits(app_env, audit.CONSENT)
    assert len(entries) == 1
    assert entries[0].account_id is not None
    assert entries[0].detail["antes"]["estadisticas"] is True
    assert entries[0].detail["despues"]["estadisticas"] is False
    # A later visit shows the stored choice.
    again = open_page(PROFILE, at.session_state["auth_token"])
    assert again.checkbox(key="perfil_estadisticas").value is False


def test_password_change_works_and_wrong_current_is_refused(app_env: str) -> None:
    at = open_page(PROFILE, make_firm(app_env))
    at.text_input(key="perfil_clave_actual").input("no-es-mi-clave")
    at.text_input(key="perfil_clave_nueva").input(NEW_PASSWORD)
    at.text_input(key="perfil_clave_repetida").input(NEW_PASSWORD)
    at = _press(at, "Cambiar contraseña")
    assert not at.exception, at.exception
    assert "La contraseña actual no es correcta." in _errors(at)
    assert at.text_input(key="perfil_clave_nueva").value == NEW_PASSWORD

    at.text_input(key="perfil_clave_actual").input(PASSWORD)
    at.text_input(key="perfil_clave_repetida").input("otra-distinta-123")
    at = _press(at, "Cambiar contraseña")
    assert any("no coinciden" in e for e in _errors(at))

    at.text_input(key="perfil_clave_repetida").input(NEW_PASSWORD)
    at = _press(at, "Cambiar contraseña")
    assert not at.exception, at.exception
    assert not _errors(at)
    assert any("su contraseña cambió" in s.value for s in at.success)
    assert at.text_input(key="perfil_clave_actual").value == ""
    assert at.session_state["auth_account"] is not None  # this session stays open
    engine = make_engine(app_env)
    with session_scope(engine) as database:
        assert authenticate(database, valid_ruc("2010007097"), NEW_PASSWORD)
    engine.dispose()
