"""The method in plain words, with the levels, weights and routes read from the questionnaire."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scoring import schema
from scoring.numbers import format_number_es, format_percent_es
from ui import db

loaded = db.current_questionnaire()
model = loaded.model

st.title("Metodología")
st.write(
    "Así se calcula cada puntaje. Todo sale del cuestionario publicado, por lo que cualquier "
    "resultado se puede reproducir a mano."
)

st.subheader("Niveles de madurez")
st.write("Cada puntaje va de 0 a 100 y se ubica en uno de estos niveles:")
levels = sorted(model.niveles, key=lambda lv: lv.desde)
for i, level in enumerate(levels):
    upper = levels[i + 1].desde if i + 1 < len(levels) else 100
    with st.container(border=True):
        st.markdown(
            f"**{level.nivel}. {level.nombre}** · de {format_number_es(level.desde, 0)} a "
            f"{format_number_es(upper, 0)} puntos"
        )
        st.write(level.descripcion)

st.subheader("Dimensiones y ejes")
dims_total = sum(d.peso for d in model.dimensiones)
st.write(
    "El cuestionario se organiza en dimensiones, y cada dimensión en ejes temáticos. El peso "
    "dice cuánto cuenta cada uno dentro de su grupo."
)
for dimension in model.dimensiones:
    themes_total = sum(t.peso for t in dimension.ejes)
    st.markdown(
        f"**{dimension.nombre}** · {format_percent_es(dimension.peso / dims_total)} del "
        "puntaje global"
    )
    if dimension.descripcion:
        st.caption(dimension.descripcion)
    table = pd.DataFrame(
        {
            "Eje": [t.nombre for t in dimension.ejes],
            "Peso en la dimensión": [
                format_percent_es(t.peso / themes_total) for t in dimension.ejes
            ],
            "Preguntas (Exprés / Completa)": [
                f"{sum('expres' in q.profundidades for q in t.preguntas)} / "
                f"{sum('completo' in q.profundidades for q in t.preguntas)}"
                for t in dimension.ejes
            ],
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key=f"method_dim_{dimension.id}")
st.caption(
    "Si un eje no tiene preguntas aplicables para su empresa, su peso se reparte entre los "
    "demás ejes de la dimensión."
)

st.subheader("Rutas del ODS 9")
st.write(
    "Cada pregunta también pertenece a una de las tres rutas de acción de la Mesa de Acción "
    "del ODS 9 (Industria, Innovación e Infraestructura), así que sus resultados se pueden "
    "leer por dimensión y por ruta:"
)
for route, name in schema.ROUTE_NAMES.items():
    st.markdown(f"- **{route}** · {name}")

st.subheader("Cómo se calcula el puntaje")
st.markdown(
    "1. **Cada pregunta de práctica** tiene cinco respuestas, del nivel 0 al 4, cada una con "
    "una práctica concreta. Su puntaje es **nivel × 25**: 0, 25, 50, 75 o 100 puntos.\n"
    "2. **Cada eje** es el promedio ponderado (por el peso de cada pregunta) de sus "
    "preguntas. **Cada dimensión** es el promedio ponderado de sus ejes, y el **puntaje "
    "global** es el promedio ponderado de las dimensiones.\n"
    "3. **«No aplica»** saca la pregunta del cálculo: no suma ni resta, y su peso no entra "
    "en el denominador.\n"
    "4. **«No sé»** cuenta como 0 puntos y se marca como dato por completar en su informe.\n"
    "5. Junto al nivel global siempre se muestra **la dimensión más débil**, para que un "
    "buen promedio no esconda una brecha.\n"
    "6. **Las cifras** (materiales, agua, energía, personal) se usan para calcular "
    "indicadores de desempeño, como el porcentaje de entrada circular o de agua reutilizada. "
    "Forman un puntaje de desempeño **separado** de la madurez de prácticas. Para cada "
    "cifra usted indica si es medida, estimada o si no la sabe."
)
if model.indicadores:
    st.markdown("**Indicadores de desempeño**")
    st.dataframe(
        pd.DataFrame(
            {
                "Indicador": [i.nombre for i in model.indicadores],
                "Unidad": [i.unidad for i in model.indicadores],
                "Fórmula": [i.formula for i in model.indicadores],
                "Ruta": [i.ruta for i in model.indicadores],
            }
        ),
        hide_index=True,
        width="stretch",
        key="method_indicators",
    )
st.write(
    "El plan de acción ordena las preguntas por cuántos puntos sumaría subir un nivel "
    "(peso × brecha), con el siguiente paso concreto para cada una."
)

st.subheader("Versión del cuestionario")
st.markdown(
    f"- Identificador: `{loaded.id}`\n"
    f"- Versión: `{loaded.version}`\n"
    f"- Huella del contenido (SHA-256): `{loaded.content_hash}`"
)
st.caption(
    "La huella cambia si cambia cualquier pregunta, peso o nivel. Cada evaluación guarda la "
    "versión y la huella con las que se respondió."
)
