"""Register a firm: profile, sales and size class, consents and password, in one form."""

from __future__ import annotations

import datetime as dt
import logging

import streamlit as st
from sqlalchemy import select

from scoring import peru
from scoring.numbers import format_number_es, format_soles, parse_number_es
from storage import audit, throttle
from storage.accounts import (
    DUPLICATE_RUC,
    MIN_PASSWORD,
    DuplicateRuc,
    FirmRegistration,
    RegistrationError,
    hash_password,
    register_firm,
    registration_errors,
    ruc_error,
    ruc_taken,
    ruc_warning,
)
from storage.db import DatabaseBusy
from storage.models import Account
from ui import db, regions, session

log = logging.getLogger(__name__)

ERRORS_KEY = "register_errors"
DONE_KEY = "register_done"
RUC_NOTE_KEY = "register_ruc_note"  # (kind, message) about the RUC, checked as soon as typed

if (current := session.current_account()) is not None:
    st.switch_page(session.start_page(current))

this_year = dt.date.today().year
years = list(range(min(peru.UIT_BY_YEAR), this_year + 1))


def _sales(text: str) -> tuple[float | None, str | None]:
    if not (text or "").strip():
        return None, "Escriba las ventas anuales en soles (puede ser un monto aproximado)."
    try:
        value = parse_number_es(text.replace("S/", "").strip())
    except ValueError as exc:
        return None, str(exc)
    if value < 0:
        return None, "Las ventas anuales deben ser un monto igual o mayor que cero."
    return value, None


SERVICE_ERROR = (
    "No pudimos crear la cuenta en este momento. Sus datos siguen en el formulario: vuelva a "
    "intentarlo en unos minutos."
)
BUSY_ERROR = (
    "Hay muchas empresas registrándose en este momento y no pudimos crear la cuenta. Sus datos "
    "siguen en el formulario: espere unos segundos y pulse «Crear cuenta» otra vez."
)


def _check_ruc() -> None:
    """The RUC field's callback: say at once what is wrong (or unusual) with the RUC, and
    whether it is taken, before the rest of the form is sent. A taken RUC counts against this
    connection like a refused registration, so the check is no faster way to list RUCs."""
    state = st.session_state
    state.pop(RUC_NOTE_KEY, None)
    state.get(ERRORS_KEY, {}).pop("ruc", None)
    ruc = (state.get("reg_ruc") or "").strip()
    if not ruc:
        return
    if error := ruc_error(ruc):
        state[RUC_NOTE_KEY] = ("error", error)
        return
    client = session.client_address()
    limiter = throttle.shared()
    try:
        if not limiter.registration_wait(client):
            with db.session() as database:
                if ruc_taken(database, ruc):
                    limiter.registration_refused(client)
                    state[RUC_NOTE_KEY] = ("error", DUPLICATE_RUC)
                    return
    except Exception:  # the form still checks everything on «Crear cuenta»
        log.exception("RUC check failed")
    if warning := ruc_warning(ruc):
        state[RUC_NOTE_KEY] = ("warning", warning)


def _submit() -> None:
    """The form's callback. It runs outside the page's error boundary (app.py), so nothing it
    raises may escape: an unexpected error becomes a Spanish message above the form."""
    try:
        _register()
    except Exception:
        log.exception("registration failed unexpectedly")
        st.session_state[ERRORS_KEY] = {"general": SERVICE_ERROR}
        st.session_state.pop(DONE_KEY, None)


def _register() -> None:
    """Validate and register in the form's callback, so errors can show under each field."""
    state = st.session_state
    errors: dict[str, str] = {}
    sales, sales_error = _sales(state.get("reg_sales", ""))
    if sales_error:
        errors["annual_sales"] = sales_error
    if state.get("reg_ciiu") is None:
        errors["ciiu_division"] = "Elija la actividad principal de la empresa."
    if state.get("reg_region") is None:
        errors["region"] = "Elija la región donde está la planta principal."
    if state.get("reg_workers") is None:
        errors["workers"] = "Escriba cuántas personas trabajan en la empresa."
    if state.get("reg_password", "") != state.get("reg_password2", ""):
        errors["password2"] = "Las dos contraseñas no coinciden. Escríbalas de nuevo."
    data = FirmRegistration(
        ruc=(state.get("reg_ruc") or "").strip(),
        razon_social=state.get("reg_name") or "",
        ciiu_division=state.get("reg_ciiu") or 0,
        region=state.get("reg_region") or "",
        annual_sales=sales if sales is not None else 0,
        sales_year=int(state.get("reg_year") or this_year - 1),
        workers=int(state["reg_workers"]) if state.get("reg_workers") is not None else 0,
        email=state.get("reg_email") or "",
        password=state.get("reg_password") or "",
        consent_share_sni=bool(state.get("reg_consent_sni")),
        consent_statistics=bool(state.get("reg_consent_stats")),
    )
    # Every check first: a refused registration must write nothing (on SQLite too).
    errors = {**registration_errors(data), **errors}
    client = session.client_address()
    limiter = throttle.shared()
    if not errors and (wait := limiter.registration_wait(client)):
        errors["general"] = (
            "Demasiados intentos de registro desde esta conexión. Por seguridad, espere "
            f"{throttle.wait_text(wait)} antes de volver a intentarlo."
        )
    account_id = None
    if not errors:
        # argon2 first, with no connection open; then one short write, retried if SQLite is
        # locked by other writers.
        hashed = hash_password(data.password)

        def work(database) -> int | None:
            firm = register_firm(database, data, password_hash=hashed)
            audit.record(database, None, "registro", data.ruc)
            return database.scalar(select(Account.id).where(Account.firm_id == firm.id))

        try:
            account_id = db.write(work)
        except DuplicateRuc as exc:
            limiter.registration_refused(client)
            errors = {**exc.errors, **errors}
        except RegistrationError as exc:
            errors = {**exc.errors, **errors}
        except DatabaseBusy:
            errors["general"] = BUSY_ERROR
        except Exception:
            log.exception("registration failed")
            errors["general"] = SERVICE_ERROR
    state[ERRORS_KEY] = errors
    warning = None if "ruc" in errors else ruc_warning(data.ruc)
    if warning:
        state[RUC_NOTE_KEY] = ("warning", warning)
    else:
        state.pop(RUC_NOTE_KEY, None)
    if not errors:
        state[DONE_KEY] = account_id


if (done := st.session_state.pop(DONE_KEY, None)) is not None:
    # The server sets the cookie: hand the login over to this browser and go collect it.
    for key in ("reg_password", "reg_password2"):
        st.session_state.pop(key, None)
    st.title("Crear cuenta de empresa")
    st.success("¡Listo! Su cuenta está creada.", icon=":material/check_circle:")
    if session.hand_over_login(done):
        session.go_to("sesion/entrar?aviso=registro", "Continuar a Mi panel")
    st.info("Ingrese con su RUC y la contraseña que eligió.")
    st.page_link(session.LOGIN_PAGE, label="Ingresar", icon=":material/login:")
    st.stop()

errors: dict[str, str] = st.session_state.get(ERRORS_KEY, {})


def field_error(name: str) -> None:
    if name in errors:
        st.error(errors[name], icon=":material/error:")


st.title("Crear cuenta de empresa")
st.write(
    "Con su cuenta podrá llenar la evaluación en varias sesiones, ver sus resultados y volver "
    "el próximo año para medir su avance. Toma unos 3 minutos."
)
if errors:
    st.warning("Revise los datos marcados abajo. Lo que escribió se mantiene.")
field_error("general")

st.subheader("Datos de la empresa")
# Outside the form, so that it is checked as soon as it is typed (the form keeps the rest).
st.text_input(
    "RUC",
    key="reg_ruc",
    max_chars=11,
    placeholder="11 dígitos, ej. 20123456789",
    on_change=_check_ruc,
)
if "ruc" in errors:
    field_error("ruc")
elif (note := st.session_state.get(RUC_NOTE_KEY)) is not None:
    kind, text = note
    if kind == "error":
        st.error(text, icon=":material/error:")
    else:
        st.warning(text, icon=":material/info:")

with st.form("register_form", enter_to_submit=False):
    st.text_input("Razón social", key="reg_name", max_chars=200)
    field_error("razon_social")
    st.selectbox(
        "Actividad principal (CIIU)",
        options=list(peru.CIIU_DIVISIONS),
        format_func=lambda d: f"{d} · {peru.CIIU_DIVISIONS[d]}",
        index=None,
        placeholder="Elija la división de su industria",
        key="reg_ciiu",
    )
    field_error("ciiu_division")
    st.selectbox(
        "Región de la planta principal",
        options=regions.OPTIONS,
        format_func=regions.label,
        index=None,
        placeholder="Elija la región",
        key="reg_region",
    )
    field_error("region")

    st.subheader("Tamaño")
    st.text_input(
        "Ventas anuales (S/)",
        key="reg_sales",
        placeholder="Ejemplo: 1.234.567,50",
        help="Las ventas netas del año elegido. Sirve para saber el tamaño de su empresa "
        "(Ley 30056) y compararla con empresas parecidas; nunca se muestra a otros.",
    )
    field_error("annual_sales")
    st.selectbox(
        "Año de esas ventas", options=years, index=years.index(this_year - 1), key="reg_year"
    )
    field_error("sales_year")
    uit = peru.uit_for_year(this_year - 1)
    limits = peru.SIZE_LIMITS_UIT
    st.caption(
        f"Con la UIT de {uit.year} ({format_soles(uit.soles, 0)}): microempresa hasta "
        f"{format_soles(limits['micro'] * uit.soles, 0)}; pequeña hasta "
        f"{format_soles(limits['pequena'] * uit.soles, 0)}; mediana hasta "
        f"{format_soles(limits['mediana'] * uit.soles, 0)}; grande, más."
    )
    st.number_input(
        "Número de trabajadores",
        min_value=0,
        max_value=1_000_000,
        step=1,
        value=None,
        key="reg_workers",
        placeholder="Ejemplo: 25",
    )
    field_error("workers")

    st.subheader("Acceso")
    st.text_input("Correo de contacto", key="reg_email", placeholder="nombre@empresa.com.pe")
    field_error("email")
    st.text_input(
        "Contraseña",
        type="password",
        key="reg_password",
        help=f"Al menos {MIN_PASSWORD} caracteres. Una frase corta es fácil de recordar.",
    )
    field_error("password")
    st.text_input("Repita la contraseña", type="password", key="reg_password2")
    field_error("password2")

    st.subheader("Su autorización")
    st.checkbox(
        "Autorizo a SNI a ver los resultados individuales de mi empresa",
        key="reg_consent_sni",
    )
    st.caption(
        "El equipo de SNI podrá ver su puntaje y sus respuestas para ofrecerle programas y "
        "asesoría. Si no marca esta casilla, solo usted verá sus resultados."
    )
    st.checkbox(
        "Acepto que mis resultados se cuenten en estadísticas anónimas",
        key="reg_consent_stats",
    )
    st.caption(
        "Sus resultados se suman, sin nombre ni RUC, a los promedios por sector, tamaño y "
        "región. Solo se publican grupos de 5 empresas o más, para que nadie pueda "
        "identificarlas."
    )
    st.caption("Puede cambiar estas autorizaciones cuando quiera en «Mi empresa».")
    st.form_submit_button("Crear cuenta", type="primary", on_click=_submit, width="stretch")

FIELD_NAMES = {
    "ruc": "RUC",
    "razon_social": "razón social",
    "ciiu_division": "actividad",
    "region": "región",
    "annual_sales": "ventas anuales",
    "sales_year": "año de las ventas",
    "workers": "trabajadores",
    "email": "correo",
    "password": "contraseña",
    "password2": "repetir contraseña",
}
if errors:
    # Shown next to the button too: on a phone the top of the form is far away.
    fields = [FIELD_NAMES[name] for name in FIELD_NAMES if name in errors]
    if fields:
        st.error(
            "No se pudo crear la cuenta. Revise: " + ", ".join(fields) + ".",
            icon=":material/error:",
        )

sales_value, _ = _sales(st.session_state.get("reg_sales", ""))
# The size preview only for sales and a year the registration itself accepts.
if sales_value is not None and errors and not {"annual_sales", "sales_year"} & set(errors):
    year = int(st.session_state.get("reg_year") or this_year - 1)
    size = peru.size_class(sales_value, year)
    in_uit = format_number_es(sales_value / peru.uit_for_year(year).soles, 0)
    st.info(
        f"Con ventas de {format_soles(sales_value)} en {year}, su empresa sería una "
        f"{peru.SIZE_NAMES[size].lower()} ({in_uit} UIT)."
    )
st.caption("¿Ya tiene cuenta?")
st.page_link(session.LOGIN_PAGE, label="Ingresar", icon=":material/login:")
