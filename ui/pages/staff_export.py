"""Exportar: aggregate tables and consenting firms' results as CSV and Excel (staff only)."""

from __future__ import annotations

import functools

import streamlit as st

from scoring.aggregates import apply_filters
from storage.staff import shared_assessments
from ui import db, session, staff
from ui.report_downloads import owned_button
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


def downloads(kind: str, build) -> None:
    """CSV and Excel buttons; ``build(ext)`` makes the file when clicked (no script context),
    audits the download and returns the bytes. Only this session may fetch the file."""
    for column, (ext, label, mime) in zip(
        st.columns(2),
        (("csv", "Descargar CSV", CSV), ("xlsx", "Descargar Excel", XLSX)),
        strict=True,
    ):
        with column:
            owned_button(
                label,
                functools.partial(build, ext),
                file_name=f"{kind}_{stamp}.{ext}",
                mime=mime,
                key=f"sni_{kind}_{ext}",
                on_click="ignore",
                icon=":material/download:",
                width="stretch",
            )


def prepared_download(staff_account, target: str, files: dict, ext: str) -> bytes:
    """The aggregate files prepared on the page (no firm-level data); the download is audited."""
    staff.record(staff_account, f"descarga_agregados_{ext}", target, {"filtros": files["filtros"]})
    return files[ext]


def firm_rows(questionnaire_id, depth, questionnaire_hash, filters):
    """(assessments, table) of the firms that share their results *now*, with the filters."""
    with db.session() as database:
        shared = shared_assessments(
            database,
            questionnaire_id=questionnaire_id,
            depth=depth,
            questionnaire_hash=questionnaire_hash,
            with_detail=True,
        )
    shared = apply_filters(shared, filters)
    return shared, firms_table(shared)


def firms_download(staff_account, target: str, what: str, rows, ext: str) -> bytes:
    """Rebuilt on click from the database, so a firm that withdrew its consent after the files
    were prepared is not in them; the download is audited with what it contains."""
    shared, table = rows()
    detail = {"filtros": what, "filas": len(table), "empresas": int(shared["firm_id"].nunique())}
    staff.record(staff_account, f"descarga_empresas_{ext}", target, detail)
    return csv_bytes(table) if ext == "csv" else xlsx_bytes({"Empresas": table})


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
    downloads("agregados", functools.partial(prepared_download, account, stamp, files))

st.subheader("Empresas que comparten sus resultados")
st.write(
    "Una fila por evaluación enviada, solo de las empresas que autorizaron a SNI a ver sus "
    "resultados individuales, con los mismos filtros: nivel, si el piso legal lo limita, si es "
    "provisional, índices con su banda, requisitos del piso legal e indicadores con su "
    "frontera y la fuente del dato."
)
rows = functools.partial(firm_rows, choice.questionnaire_id, choice.depth, choice.hash, chosen)
if st.button("Preparar archivos de empresas", key="sni_prep_empresas", icon=":material/domain:"):
    shared, table = rows()
    st.session_state["sni_files_empresas"] = {"filtros": description, "filas": len(table)}
    staff.record(
        account,
        "exportacion_empresas",
        stamp,
        {"filtros": description, "filas": len(table), "empresas": int(shared["firm_id"].nunique())},
    )
if (files := st.session_state.get("sni_files_empresas")) and files["filtros"] == description:
    st.caption(
        f"{num(files['filas'], 0)} evaluaciones al preparar. Cada archivo se arma al descargarlo, "
        "solo con las empresas que en ese momento comparten sus resultados."
    )
    downloads("empresas", functools.partial(firms_download, account, stamp, description, rows))
