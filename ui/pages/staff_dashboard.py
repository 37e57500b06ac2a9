"""Panel SNI: aggregate results of the firms that accept anonymous statistics (staff only)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from scoring.aggregates import RESERVED_NOTE
from ui import session, staff, widgets
from ui.staff_charts import (
    StaffFigure,
    heatmap_chart,
    level_chart,
    progress_chart,
    score_bars,
    trend_chart,
)
from ui.staff_labels import count_text, num

account = session.require_staff()

st.title("Panel SNI")
st.caption(
    "Resultados agregados de las empresas que aceptaron contar en estadísticas anónimas. "
    "Cada empresa cuenta una vez, con su última evaluación del periodo. "
    f"{RESERVED_NOTE}."
)
choice = staff.choose_questionnaire()
panel = staff.panel_data(choice.questionnaire_id, choice.depth, choice.hash, choice.version)
chosen = staff.filters(panel)
st.caption(staff.describe(chosen, choice.depth, choice.version))

if panel.empty:
    st.info(
        "Todavía no hay evaluaciones enviadas de esta versión del cuestionario y profundidad. "
        "Para probar "
        "el panel con datos de demostración ejecute `python -m storage demo --empresas 300`."
    )
    st.stop()

labels = staff.labels(choice.compiled)
board = panel.board(chosen)
method = panel.method(chosen)


def show(figure: StaffFigure) -> None:
    widgets.chart(figure.spec, figure.reading)  # the reading (or the title) as its text
    if figure.reading:
        st.caption(figure.reading)


counts = board.counts
first, second, third = st.columns(3)
hidden = counts.reservado  # even the counts of a group under 5 firms stay reserved
first.metric("Empresas", "menos de 5" if hidden else num(counts.empresas, 0))
second.metric("Evaluaciones enviadas", "—" if hidden else num(counts.evaluaciones, 0))
third.metric("Empresas reevaluadas", "—" if hidden else num(counts.reevaluadas, 0))
if counts.por_diferencia:
    st.warning(
        f"{RESERVED_NOTE}. Este corte se diferencia de uno más amplio (quitando uno de los "
        "filtros) en menos de 5 empresas: compararlos revelaría los datos de esas empresas. "
        "Amplíe o cambie los filtros para ver resultados.",
        icon=":material/lock:",
    )
elif counts.reservado:
    st.warning(
        f"{RESERVED_NOTE}. Con estos filtros hay menos de 5 empresas: amplíe el periodo, el "
        "sector, el tamaño o la región para ver resultados.",
        icon=":material/lock:",
    )
    st.stop()

st.subheader("Niveles de madurez")
show(level_chart(board.levels, labels))

if method.has_floor or method.has_indices or not method.provisional.empty:
    st.subheader("Piso legal, índices y resultados provisionales")
    st.caption(
        "Método 2.0: el nivel lo decide el índice principal y no supera el tope del piso "
        "legal si falta un requisito. Un resultado es provisional cuando las respuestas "
        "«No sé» pesan demasiado."
    )
    floor_col, provisional_col = st.columns(2)

    def share(table: pd.DataFrame, state: str) -> str:
        row = table[table["estado"] == state]
        if row.empty or bool(row["reservado"].iloc[0]):
            return "reservado"
        return f"{num(row['porcentaje'].iloc[0], 0)} %"

    if method.has_floor:
        floor_col.metric("Cumplen el piso legal", share(method.piso, "Cumple"))
    if not method.provisional.empty:
        marked = method.provisional[method.provisional["estado"] == "Provisional"].iloc[0]
        provisional_col.metric(
            "Resultados provisionales",
            "reservado" if marked["reservado"] else num(marked["empresas"], 0),
            help="Empresas cuyo último resultado es provisional por exceso de «No sé».",
        )
    if method.has_floor and len(method.requisitos):
        items = method.requisitos
        st.markdown("**Requisitos del piso legal que más se incumplen**")
        st.table(
            pd.DataFrame(
                {
                    "Requisito": [
                        labels.requirements.get(r, (r, ""))[0] for r in items["requisito"]
                    ],
                    "Norma": [labels.requirements.get(r, ("", "—"))[1] for r in items["requisito"]],
                    "Empresas que no cumplen": [
                        "reservado" if r else num(v, 0)
                        for v, r in zip(items["no_cumplen"], items["reservado"], strict=True)
                    ],
                    "Porcentaje": [
                        "—" if r else f"{num(v, 0)} %"
                        for v, r in zip(items["porcentaje"], items["reservado"], strict=True)
                    ],
                }
            ),
            hide_index=True,
        )
        st.caption("«No cumple» incluye «No», «En trámite» y sin respuesta.")
    if method.has_indices:
        show(score_bars(method.indices, labels, "Puntaje medio por índice"))
    if not method.banda.empty:
        show(
            score_bars(
                method.banda,
                labels,
                "Banda del puntaje principal según cómo se cuente «No sé»",
            )
        )

st.subheader("Puntajes por dimensión, ruta y eje")
scores = board.scores.set_index("columna", drop=False)
headline = [c for c in scores.index if c == "global" or c.startswith("dim_")]
dimensions, routes, themes = st.tabs(["Dimensiones", "Rutas ODS 9", "Ejes temáticos"])
with dimensions:
    show(score_bars(scores.loc[headline], labels, "Puntaje medio global y por dimensión"))
with routes:
    route_rows = scores.loc[[c for c in scores.index if c.startswith("ruta_")]]
    show(score_bars(route_rows, labels, "Puntaje medio por ruta de la Mesa ODS 9"))
with themes:
    theme_rows = scores.loc[[c for c in scores.index if c.startswith("eje_")]]
    show(score_bars(theme_rows, labels, "Puntaje medio por eje temático", by_dimension=True))

st.subheader("Sectores")
show(heatmap_chart(board.heatmap, labels))

st.subheader("Evolución trimestral")
if board.trend.empty:
    st.info("No hay evaluaciones en el periodo elegido.")
else:
    show(trend_chart(board.trend))

st.subheader("Prácticas más débiles")
st.caption(
    "Las 10 preguntas de práctica con el nivel medio más bajo (0 a 4; «No sé» cuenta 0, "
    "«No aplica» no cuenta). Son candidatas para programas de apoyo."
)
if board.weakest.empty:
    st.info(RESERVED_NOTE + ".")
else:
    weakest = pd.DataFrame(
        {
            "Práctica": [labels.questions.get(q, (q, ""))[0] for q in board.weakest["pregunta"]],
            "Ruta": [labels.questions.get(q, ("", "—"))[1] for q in board.weakest["pregunta"]],
            "Nivel medio (0–4)": [num(v) for v in board.weakest["nivel_medio"]],
            "Empresas": [num(v, 0) for v in board.weakest["empresas"]],
        }
    )
    st.table(weakest, hide_index=True)  # a static table wraps the long question texts

st.subheader("Indicadores de desempeño")
st.caption(
    "Valores válidos declarados por las empresas: la mitad de ellas está entre el 1.er y el "
    "3.er cuartil."
)
indicators = board.indicators
if indicators.empty:
    st.info("Esta profundidad no tiene indicadores cuantitativos.")
else:
    names = [labels.indicators.get(i, (i, "")) for i in indicators["indicador"]]
    st.table(
        pd.DataFrame(
            {
                "Indicador (unidad)": [
                    f"{name} ({unit})" if unit else name for name, unit in names
                ],
                "Mediana": [num(v) for v in indicators["mediana"]],
                "Mitad central (1.er a 3.er cuartil)": [
                    "—" if r else f"{num(a)} a {num(b)}"
                    for a, b, r in zip(
                        indicators["q1"], indicators["q3"], indicators["reservado"], strict=True
                    )
                ],
                "Empresas": [count_text(v) for v in indicators["empresas"]],
            }
        ),
        hide_index=True,
    )
    if indicators["reservado"].any():
        st.caption(f"«—»: {RESERVED_NOTE}.")

st.subheader("Empresas que repitieron la evaluación")
if board.progress.empty or board.progress["reservado"].all():
    st.info(f"{RESERVED_NOTE}: aún no hay 5 empresas con dos evaluaciones en este filtro.")
else:
    show(progress_chart(board.progress, labels))
