"""Mi empresa: the firm's profile, its two consents and its password, one form each."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import streamlit as st

from scoring import peru
from scoring.numbers import format_number_es, format_soles, parse_number_es
from storage.accounts import (
    MIN_PASSWORD,
    FirmProfile,
    ProfileError,
    change_password,
    firm_profile,
    update_consents,
    update_firm_profile,
)
from ui import db, regions, session, widgets

ERRORS_KEY = "perfil_errores"  # {"datos" | "autorizaciones" | "clave": {field: message}}
DONE_KEY = "perfil_listo"  # {block: (kind, message)} shown once next to its form
FAILED = "No pudimos guardar los cambios en este momento. Lo que escribió sigue en el formulario: "
FAILED += "vuelva a intentarlo en unos minutos."

account, firm = session.require_firm()

this_year = dt.date.today().year


def _profile() -> FirmProfile:
    with db.session() as database:
        found = firm_profile(database, firm.id)
    if found is None:
        st.warning("No encontramos los datos de su empresa. Inicie sesión de nuevo.")
        st.stop()
    assert found is not None
    return found


def _sales_text(value: Decimal | float) -> str:
    """Sales as typed in Peru, always with two decimals so it never reads as ambiguous."""
    return format_number_es(value, 2).replace("\xa0", ".")


def _size_sentence(sales: Decimal | float, year: int) -> str:
    uit = peru.uit_for_year(year)
    size = peru.SIZE_NAMES[peru.size_class(sales, year)].lower()
    in_uit = format_number_es(Decimal(str(sales)) / uit.soles, 0)
    note = (
        f" (se usa la UIT de {uit.source_year}, la última registrada)" if uit.extrapolated else ""
    )
    return (
        f"Con ventas de {format_soles(sales)} en {year}, su empresa es una {size}: "
        f"{in_uit} UIT de {format_soles(uit.soles, 0)}{note}."
    )


def _fill_state(profile: FirmProfile) -> None:
    """Put the stored values in the widgets, unless they already hold what the firm typed."""
    initial = {
        "perfil_ventas": _sales_text(profile.annual_sales),
        "perfil_anio": profile.sales_year,
        "perfil_trabajadores": profile.workers,
        "perfil_correo": profile.email,
        "perfil_region": profile.region,
        "perfil_compartir": profile.consent_share_sni,
        "perfil_estadisticas": profile.consent_statistics,
    }
    for key, value in initial.items():
        if key not in st.session_state:
            st.session_state[key] = value


def _finish(block: str, errors: dict[str, str], done: tuple[str, str] | None = None) -> None:
    st.session_state.setdefault(ERRORS_KEY, {})[block] = errors
    if done is not None and not errors:
        st.session_state.setdefault(DONE_KEY, {})[block] = done


# --- callbacks: run before the page, so errors and messages show on this very run -----------


def _save_profile() -> None:
    if not account.is_titular:
        return
    state = st.session_state
    errors: dict[str, str] = {}
    sales: float | None = None
    text = (state.get("perfil_ventas") or "").replace("S/", "").strip()
    if not text:
        errors["annual_sales"] = "Escriba las ventas anuales en soles (puede ser aproximado)."
    else:
        try:
            sales = parse_number_es(text)
        except ValueError as exc:
            errors["annual_sales"] = str(exc)
    if state.get("perfil_trabajadores") is None:
        errors["workers"] = "Escriba cuántas personas trabajan en la empresa."
    if state.get("perfil_region") is None:
        errors["region"] = "Elija la región donde está la planta principal."
    year = int(state.get("perfil_anio") or this_year - 1)
    before = _profile()
    saved_sales, saved_size = before.annual_sales, before.size_class
    try:
        with db.session() as database:
            try:
                saved = update_firm_profile(
                    database,
                    firm.id,
                    annual_sales=sales if sales is not None else 0,
                    sales_year=year,
                    workers=int(state.get("perfil_trabajadores") or 0),
                    email=state.get("perfil_correo") or "",
                    region=state.get("perfil_region") or "",
                    account_id=account.id,
                )
                saved_sales, saved_size = saved.annual_sales, saved.size_class
            except ProfileError as exc:
                errors = {**exc.errors, **errors}
            if errors:
                database.rollback()
    except Exception:
        errors["general"] = FAILED
    if errors:
        _finish("datos", errors)
        return
    state["perfil_ventas"] = _sales_text(saved_sales)
    message = "Listo, se guardaron los datos de su empresa. " + _size_sentence(saved_sales, year)
    if saved_size != before.size_class:
        new = peru.SIZE_NAMES[saved_size].lower()
        message += (
            f" Su próxima evaluación enviada se comparará con empresas de tamaño {new}; "
            "los resultados ya enviados conservan el tamaño con que se calcularon."
        )
    _finish("datos", errors, ("success", message))


CONSENT_MESSAGES = {
    ("compartir_sni", True): "Desde ahora, el equipo de SNI puede ver los resultados de su "
    "empresa para ofrecerle programas y asesoría.",
    ("compartir_sni", False): "Desde ahora, el equipo de SNI ya no ve los resultados "
    "individuales de su empresa.",
    ("estadisticas", True): "Desde ahora, sus resultados se suman, sin nombre ni RUC, a las "
    "estadísticas anónimas.",
    ("estadisticas", False): "Desde ahora, sus resultados ya no se cuentan en las "
    "estadísticas anónimas ni en las comparaciones con otras empresas.",
}


def _save_consents() -> None:
    if not account.is_titular:
        return
    state = st.session_state
    share = bool(state.get("perfil_compartir"))
    statistics = bool(state.get("perfil_estadisticas"))
    errors: dict[str, str] = {}
    changed: list[str] = []
    try:
        with db.session() as database:
            changed = update_consents(database, firm.id, share, statistics, account_id=account.id)
    except Exception:
        errors["general"] = FAILED
    if errors:
        _finish("autorizaciones", errors)
        return
    if not changed:
        _finish("autorizaciones", errors, ("info", "Sus autorizaciones no cambiaron."))
        return
    now = {"compartir_sni": share, "estadisticas": statistics}
    parts = [CONSENT_MESSAGES[(name, now[name])] for name in changed]
    _finish("autorizaciones", errors, ("success", "Listo. " + " ".join(parts)))


def _change_password() -> None:
    state = st.session_state
    current = state.get("perfil_clave_actual") or ""
    new = state.get("perfil_clave_nueva") or ""
    errors: dict[str, str] = {}
    if new != (state.get("perfil_clave_repetida") or ""):
        errors["repeat"] = "Las dos contraseñas nuevas no coinciden. Escríbalas de nuevo."
        if len(new) < MIN_PASSWORD:
            errors["new"] = f"La contraseña debe tener al menos {MIN_PASSWORD} caracteres."
        _finish("clave", errors)
        return
    closed = 0
    try:
        with db.session() as database:
            try:
                closed = change_password(
                    database, account.id, current, new, keep_token=state.get(session.TOKEN_KEY)
                )
            except ProfileError as exc:
                errors = dict(exc.errors)
    except Exception:
        errors["general"] = FAILED
    if errors:
        _finish("clave", errors)
        return
    for key in ("perfil_clave_actual", "perfil_clave_nueva", "perfil_clave_repetida"):
        state[key] = ""
    message = "Listo, su contraseña cambió. Úsela la próxima vez que ingrese."
    if closed:
        message += (
            " Por seguridad se cerró la sesión abierta en otro navegador o equipo."
            if closed == 1
            else f" Por seguridad se cerraron {closed} sesiones abiertas en otros navegadores "
            "o equipos."
        )
    _finish("clave", errors, ("success", message))


# --- the page -----------------------------------------------------------------------------------

profile = _profile()
_fill_state(profile)
# Read once: a later visit to the page starts clean, like its widgets.
all_errors: dict[str, dict[str, str]] = st.session_state.pop(ERRORS_KEY, {})
done: dict[str, tuple[str, str]] = st.session_state.pop(DONE_KEY, {})


def field_error(block: str, name: str) -> None:
    message = all_errors.get(block, {}).get(name)
    if message:
        st.error(message, icon=":material/error:")


def block_result(block: str) -> None:
    """The outcome of the last save of this block, next to its button (read once)."""
    if all_errors.get(block):
        field_error(block, "general")
        st.warning("No se guardó. Revise lo marcado arriba: lo que escribió se mantiene.")
    result = done.get(block)
    if result is not None:
        kind, message = result
        if kind == "success":
            st.success(message, icon=":material/check_circle:")
        else:
            st.info(message)


def password_block() -> None:
    """Every member changes their own password here."""
    st.subheader("Contraseña")
    with st.form("perfil_clave", enter_to_submit=False):
        st.text_input("Contraseña actual", type="password", key="perfil_clave_actual")
        field_error("clave", "current")
        st.text_input(
            "Contraseña nueva",
            type="password",
            key="perfil_clave_nueva",
            help=f"Al menos {MIN_PASSWORD} caracteres. Una frase corta es fácil de recordar.",
        )
        field_error("clave", "new")
        st.text_input("Repita la contraseña nueva", type="password", key="perfil_clave_repetida")
        field_error("clave", "repeat")
        st.caption(
            "Al cambiarla se cierran las sesiones abiertas en otros navegadores o equipos; "
            "esta sigue abierta."
        )
        st.form_submit_button(
            "Cambiar contraseña", type="primary", on_click=_change_password, width="stretch"
        )
    block_result("clave")


st.title("Mi empresa")
session.show_flash()
st.write(
    "Revise y actualice los datos de su empresa, decida qué puede ver SNI y cambie su "
    "contraseña. Cada bloque se guarda por separado."
    if account.is_titular
    else "Los datos con que su empresa está registrada en Brújula Circular."
)

st.subheader("Datos de identificación")
st.markdown(
    f"**RUC:** {profile.ruc}  \n"
    f"**Razón social:** {widgets.plain(profile.razon_social)}  \n"
    f"**Actividad (CIIU):** {profile.ciiu_division} · "
    f"{peru.CIIU_DIVISIONS.get(profile.ciiu_division, '')}"
)
st.caption(
    "El RUC, la razón social y la actividad no se pueden cambiar aquí. Si hay un error, "
    "escriba a SNI desde el correo de contacto de su empresa y lo corregirán."
)

if not account.is_titular:
    # Collaborators see the firm's data but only its titular changes it (storage checks too).
    st.info(
        "Los datos de la empresa, las autorizaciones a SNI y el equipo los cambia el titular "
        "de la cuenta (quien ingresa con el RUC). Aquí puede cambiar su propia contraseña.",
        icon=":material/lock:",
    )
    password_block()
    st.divider()
    st.page_link(session.DASHBOARD_PAGE, label="Volver a Mi panel", icon=":material/dashboard:")
    st.stop()

st.subheader("Tamaño, contacto y región")
st.info(
    f"Tamaño registrado: **{peru.SIZE_NAMES.get(profile.size_class, profile.size_class)}**. "
    + _size_sentence(profile.annual_sales, profile.sales_year),
    icon=":material/domain:",
)
years = list(range(min(peru.UIT_BY_YEAR), this_year + 1))
if profile.sales_year not in years:
    years = sorted({*years, profile.sales_year})
limits = peru.SIZE_LIMITS_UIT
with st.form("perfil_datos", enter_to_submit=False):
    st.text_input(
        "Ventas anuales (S/)",
        key="perfil_ventas",
        placeholder="Ejemplo: 1.234.567,50",
        help="Las ventas netas del año elegido. Definen el tamaño de su empresa (Ley 30056) y "
        "con qué empresas se compara; nunca se muestran a otras empresas.",
    )
    field_error("datos", "annual_sales")
    st.selectbox("Año de esas ventas", options=years, key="perfil_anio")
    field_error("datos", "sales_year")
    st.caption(
        "El tamaño se calcula con la UIT del año elegido: microempresa hasta "
        f"{format_number_es(limits['micro'], 0)} UIT; pequeña hasta "
        f"{format_number_es(limits['pequena'], 0)} UIT; mediana hasta "
        f"{format_number_es(limits['mediana'], 0)} UIT; gran empresa, más."
    )
    st.number_input(
        "Número de trabajadores",
        min_value=0,
        max_value=1_000_000,
        step=1,
        key="perfil_trabajadores",
    )
    field_error("datos", "workers")
    st.text_input(
        "Correo de contacto",
        key="perfil_correo",
        max_chars=254,
        placeholder="nombre@empresa.com.pe",
        help="SNI le escribe a este correo, por ejemplo si pide una contraseña nueva.",
    )
    field_error("datos", "email")
    st.selectbox(
        "Región de la planta principal",
        options=regions.OPTIONS,
        format_func=regions.label,
        index=None,
        placeholder="Elija la región",
        key="perfil_region",
    )
    field_error("datos", "region")
    st.form_submit_button("Guardar datos", type="primary", on_click=_save_profile, width="stretch")
block_result("datos")

st.subheader("Sus autorizaciones")
with st.form("perfil_autorizaciones", enter_to_submit=False):
    st.checkbox(
        "Autorizo a SNI a ver los resultados individuales de mi empresa", key="perfil_compartir"
    )
    st.caption(
        "El equipo de SNI podrá ver el nombre de su empresa, su puntaje y sus respuestas, para "
        "ofrecerle programas y asesoría. Sin esta autorización, solo usted ve sus resultados."
    )
    st.checkbox(
        "Acepto que mis resultados se cuenten en estadísticas anónimas", key="perfil_estadisticas"
    )
    st.caption(
        "Sus resultados se suman, sin nombre ni RUC, a los promedios por sector, tamaño y "
        "región, y a las comparaciones que ven otras empresas. Solo se muestran grupos de 5 "
        "empresas o más, para que nadie pueda identificarlas."
    )
    st.caption(
        "Puede dar o retirar cada autorización cuando quiera. Un retiro se aplica desde ahora: "
        "desde ese momento SNI deja de ver o de contar sus resultados, pero lo que SNI ya haya "
        "descargado o publicado antes no cambia."
    )
    st.form_submit_button(
        "Guardar autorizaciones", type="primary", on_click=_save_consents, width="stretch"
    )
block_result("autorizaciones")

password_block()

st.divider()
st.page_link(session.DASHBOARD_PAGE, label="Volver a Mi panel", icon=":material/dashboard:")
