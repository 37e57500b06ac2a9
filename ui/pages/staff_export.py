"""Exportar: aggregate tables and consenting firms' results as CSV and Excel (staff only)."""

from __future__ import annotations

import streamlit as st

from scoring.aggregates import apply_filters
from storage.staff import shared_assessments
from ui import db, session, staff
from ui.staff_exports import aggregate_sheets, aggregates_csv, csv_bytes, firms_table, xlsx_bytes
from ui.staff_labels import num

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

account = session.require_staff()

st.title("Exportar datos")
st.caption(
    "Descargue los resultados con los mismos filtros del Panel SNI. Cada exportación queda "
    "registrada con su autor, fecha y filtros."
)
choice = staff.choose_questionnaire()
panel = staff.panel_data(choice.questionnaire_id, choice.depth, choice.hash)
frame = panel.frame
chosen = staff.filters(frame)
description = staff.describe(chosen, choice.depth, choice.version)
st.caption(description)
stamp = choice.stamp


def downloads(kind: str, files: dict[str, bytes]) -> None:
    for column, (ext, label, mime) in zip(
        st.columns(2),
        (("csv", "Descargar CSV", CSV), ("xlsx", "Descargar Excel", XLSX)),
        strict=True,
    ):
        column.download_button(
            label,
            files[ext],
            file_name=f"{kind}_{stamp}.{ext}",
            mime=mime,
            key=f"sni_{kind}_{ext}",
            icon=":material/download:",
            width="stretch",
        )


st.subheader("Resultados agregados")
st.write(
    "Niveles, puntajes por dimensión, ruta y eje, sectores, trimestres, prácticas más débiles, "
    "indicadores, reevaluaciones y, en el método 2.0, piso legal, requisitos incumplidos, "
    "resultados provisionales, banda por «No sé» e índices. Las celdas con menos de 5 "
    "empresas salen vacías y marcadas como dato reservado."
)
if st.button("Preparar archivos de agregados", key="sni_prep_agregados", icon=":material/table:"):
    board = panel.board(chosen)
    sheets = aggregate_sheets(
        board, staff.labels(choice.compiled), description, panel.method(chosen)
    )
    st.session_state["sni_files_agregados"] = {
        "filtros": description,
        "csv": aggregates_csv(sheets),
        "xlsx": xlsx_bytes(sheets),
    }
    staff.record(
        account,
        "exportacion_agregados",
        stamp,
        {"filtros": description, "empresas": board.counts.empresas},
    )
if (files := st.session_state.get("sni_files_agregados")) and files["filtros"] == description:
    downloads("agregados", files)

st.subheader("Empresas que comparten sus resultados")
st.write(
    "Una fila por evaluación enviada, solo de las empresas que autorizaron a SNI a ver sus "
    "resultados individuales, con los mismos filtros: nivel, si el piso legal lo limita, si es "
    "provisional, índices con su banda, requisitos del piso legal e indicadores con su "
    "frontera y la fuente del dato."
)
if st.button("Preparar archivos de empresas", key="sni_prep_empresas", icon=":material/domain:"):
    with db.session() as database:
        shared = shared_assessments(
            database,
            questionnaire_id=choice.questionnaire_id,
            depth=choice.depth,
            questionnaire_hash=choice.hash,
            with_detail=True,
        )
    shared = apply_filters(shared, chosen)
    table = firms_table(shared)
    st.session_state["sni_files_empresas"] = {
        "filtros": description,
        "filas": len(table),
        "csv": csv_bytes(table),
        "xlsx": xlsx_bytes({"Empresas": table}),
    }
    staff.record(
        account,
        "exportacion_empresas",
        stamp,
        {"filtros": description, "filas": len(table), "empresas": int(shared["firm_id"].nunique())},
    )
if (files := st.session_state.get("sni_files_empresas")) and files["filtros"] == description:
    st.caption(f"{num(files['filas'], 0)} evaluaciones en el archivo.")
    downloads("empresas", files)
