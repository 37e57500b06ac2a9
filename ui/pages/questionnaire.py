"""The whole questionnaire, readable without an account, filtered by depth."""

from __future__ import annotations

import streamlit as st

from scoring import schema
from scoring.numbers import format_number_es
from ui import db, widgets

loaded = db.current_questionnaire()

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
compiled = db.compiled(loaded, depth)
st.caption(
    f"{len(compiled.questions)} preguntas · {loaded.model.titulo} · versión {loaded.version}"
)

number = 0
current_dimension = None
for dimension, theme, questions in compiled.sections():
    if dimension.id != current_dimension:
        current_dimension = dimension.id
        st.subheader(f"Dimensión {dimension.nombre.lower()}", anchor=False)
        if dimension.descripcion:
            st.caption(dimension.descripcion)
    count = "1 pregunta" if len(questions) == 1 else f"{len(questions)} preguntas"
    with st.expander(f"{theme.nombre} · {count}"):
        if theme.descripcion:
            st.caption(theme.descripcion)
        for question in questions:
            number += 1
            st.markdown(f"**{number}. {question.texto}**")
            notes = [f"Ruta {question.ruta}"]
            if not question.obligatoria:
                notes.append("opcional")
            if question.mostrar_si is not None:
                notes.append("se muestra según una respuesta anterior")
            if question.ayuda:
                st.caption(question.ayuda)
            if isinstance(question, schema.PracticeQuestion):
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
