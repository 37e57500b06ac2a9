"""The whole questionnaire, readable without an account, filtered by depth."""

from __future__ import annotations

import streamlit as st

from scoring import schema
from scoring.numbers import format_number_es
from ui import db, widgets
from ui.module_views import NO_MODULE, module_summary, pick_module

st.session_state.setdefault("viewer_module", NO_MODULE)

st.title("Cuestionario")
st.write(
    "Estas son todas las preguntas, con las cinco respuestas posibles de cada práctica. Puede "
    "leerlas antes de registrarse o prepararlas con su equipo."
)
depth = st.segmented_control(
    "Evaluación",
    options=list(schema.DEPTHS),
    format_func=lambda d: widgets.DEPTH_LABELS[d],
    default="expres",
    key="viewer_depth",
    required=True,
)
depth = depth or "expres"
module_id = pick_module("viewer_module")
loaded = db.questionnaire_with([module_id] if module_id else [])
compiled = db.compiled(loaded, depth)
module_names = {t: m.nombre for m in loaded.model.modulos for t in m.ejes}
modules_text = "".join(f" + módulo {m.nombre} {m.version}" for m in loaded.model.modulos)
st.caption(
    f"{widgets.count_es(len(compiled.questions), 'pregunta', 'preguntas')} · "
    f"{loaded.model.titulo} · versión "
    f"{loaded.version}{modules_text}"
)
if module_id:
    with st.container(border=True):
        module_summary(db.current_modules()[module_id])

number = 0
current_dimension = None
model = loaded.model
for dimension, theme, questions in compiled.sections():
    block = dimension is theme  # the profile or the legal floor (method 2.0)
    if dimension.id != current_dimension:
        current_dimension = dimension.id
        st.subheader(
            dimension.nombre if block else f"Dimensión {dimension.nombre.lower()}", anchor=False
        )
        if dimension.descripcion:
            st.caption(dimension.descripcion)
        if model.piso_legal is not None and dimension.id == model.piso_legal.id:
            st.caption(
                "Si no cumple alguno de estos requisitos, su nivel no pasa de "
                f"«{compiled.level_name(model.piso_legal.tope)}»."
            )
    count = widgets.count_es(len(questions), "pregunta", "preguntas")
    sector = f" · módulo {module_names[theme.id]}" if theme.id in module_names else ""
    with st.expander(f"{theme.nombre} · {count}{sector}"):
        if theme.descripcion:
            st.caption(theme.descripcion)
        for question in questions:
            number += 1
            st.markdown(f"**{number}. {question.texto}**")
            shares = schema.route_shares(question.ruta)
            notes = []
            if len(shares) == 1:
                notes.append(f"Ruta {next(iter(shares))}")
            elif shares:
                notes.append(
                    "Rutas "
                    + ", ".join(
                        f"{r} ({format_number_es(v * 100, 0)} %)" for r, v in shares.items()
                    )
                )
            if not question.obligatoria:
                notes.append("opcional")
            if question.mostrar_si is not None:
                notes.append("se muestra según una respuesta anterior")
            if getattr(question, "no_aplica_si", None) is not None:
                notes.append("no aplica según el perfil de la empresa")
            if question.dato_registro is not None:
                notes.append("se llena con el tamaño de su registro")
            if question.ayuda:
                st.caption(question.ayuda)
            if isinstance(question, schema.RequirementQuestion):
                st.markdown(f"Norma: {question.norma}  \nEvidencia: {question.evidencia}")
                answers = "«Sí, cumple», «No», «En trámite»"
                if question.no_corresponde_si is not None:
                    answers += " y, según su perfil, «No corresponde»"
                notes.append("responde " + answers)
            elif isinstance(question, schema.PracticeQuestion):
                st.markdown(
                    "\n".join(
                        f"{i}. {level.descripcion}" for i, level in enumerate(question.niveles)
                    )
                )
                extra = []
                if question.permite_no_aplica:
                    extra.append("«No aplica»")
                if question.permite_no_se:
                    extra.append("«No sé»")
                if extra:
                    notes.append("también admite " + " y ".join(extra))
            elif isinstance(question, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
                kind = "una opción" if question.tipo == "opcion_unica" else "varias opciones"
                st.markdown("\n".join(f"- {o.etiqueta}" for o in question.opciones))
                notes.append(f"elija {kind}")
            elif isinstance(question, schema.NumberQuestion):
                low = format_number_es(question.minimo, 0)
                high = format_number_es(question.maximo, 0)
                notes.append(f"cifra en {question.unidad}, de {low} a {high}")
            else:
                notes.append("respuesta libre")
            st.caption(" · ".join(notes))

if model.indices:
    st.subheader("Índices", anchor=False)
    themes = {t.id: t.nombre for d in model.dimensiones for t in d.ejes}
    for index in model.indices:
        main = " (principal: decide el nivel)" if index.principal else ""
        st.markdown(
            f"- **{index.nombre}**{main}: " + ", ".join(themes.get(t, t) for t in index.ejes)
        )
