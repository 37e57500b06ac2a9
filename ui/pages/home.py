"""Landing page: what the tool is, for whom, how long it takes, what you get, privacy."""

from __future__ import annotations

import streamlit as st

from ui import db, session

if (current := session.current_account()) is not None:
    # Keep the URL's parameters (e.g. ?evaluacion=) for the page the user lands on.
    st.switch_page(session.start_page(current), query_params=st.query_params.to_dict())

loaded = db.current_questionnaire()
session.show_flash()

st.title("Brújula Circular")
st.markdown(
    "#### ¿Qué tan circular es su planta? Descúbralo en 15 minutos y sepa qué hacer después."
)
st.write(
    "Un autodiagnóstico gratuito de economía circular para la industria manufacturera del "
    "Perú, impulsado por la Sociedad Nacional de Industrias (SNI) en la Mesa de Acción del "
    "ODS 9. Le muestra dónde está su empresa en el camino de la producción lineal (extraer, "
    "fabricar, desechar) a la circular, y le da un plan de mejora concreto."
)

first, second = st.columns(2)
if first.button(
    "Crear cuenta de empresa",
    key="home_register",
    type="primary",
    width="stretch",
    icon=":material/person_add:",
):
    st.switch_page("ui/pages/register.py")
if second.button("Ingresar", key="home_login", width="stretch", icon=":material/login:"):
    st.switch_page(session.LOGIN_PAGE)

st.subheader("¿Para quién es?")
st.write(
    "Para gerentes y responsables de planta de empresas manufactureras de cualquier tamaño, "
    "de la microempresa a la gran empresa, en todas las regiones. No necesita conocimientos "
    "técnicos: cada pregunta describe prácticas concretas."
)

st.subheader("¿Cuánto toma?")
left, right = st.columns(2)
with left.container(border=True):
    st.markdown("**Evaluación Exprés**")
    st.write("Unas 15 preguntas clave. De 10 a 15 minutos.")
with right.container(border=True):
    st.markdown("**Evaluación Completa**")
    st.write(
        "Más de 50 prácticas y cifras de materiales, agua, energía y personal. Puede llenarla en "
        "varias sesiones: todo se guarda al avanzar."
    )

st.subheader("¿Qué obtiene?")
st.markdown(
    "- Su **nivel de madurez circular**, de *Lineal* a *Circular*, en las dimensiones "
    "económica, social y ambiental.\n"
    "- Su avance en las **tres rutas del ODS 9**: diversificación productiva, tecnologías "
    "limpias e infraestructura sostenible.\n"
    "- Un **plan de acción priorizado**: qué mejorar primero y cuántos puntos suma.\n"
    "- La **comparación con empresas parecidas** (mismo sector y tamaño), cuando hay "
    "suficientes.\n"
    "- Un **informe descargable** y la posibilidad de repetir la evaluación cada año."
)

st.subheader("Sus datos están protegidos")
st.write(
    "Sus respuestas son de su empresa. Solo el equipo de SNI puede ver sus resultados "
    "individuales, y solo si usted lo autoriza al registrarse. En las estadísticas y "
    "comparaciones nadie puede identificar a su empresa: se muestran solo grupos de 5 "
    "empresas o más, sin nombres ni RUC."
)

st.subheader("Un método abierto")
st.write("Puede leer todas las preguntas y cómo se calcula cada puntaje antes de registrarse.")
st.page_link("ui/pages/method.py", label="Cómo se calcula", icon=":material/menu_book:")
st.page_link("ui/pages/questionnaire.py", label="Ver el cuestionario", icon=":material/list_alt:")
st.caption(f"Cuestionario vigente: {loaded.model.titulo}, versión {loaded.version}.")
