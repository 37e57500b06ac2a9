"""Exportar: aggregate tables, consenting firms' results (CSV, Excel) and their PDF reports
(ZIP), for staff only.

The firm files are built by background jobs (``ui.background``, ``ui.staff_jobs``): the page
shows their progress and stays usable meanwhile; each preparation and each download is audited,
and a file prepared before a later consent change is not handed out.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from storage.db import database_url
from storage.staff import sharing_firm_ids
from ui import background, db, session, staff, staff_jobs
from ui.report_downloads import current_owner, owned_button
from ui.staff_exports import aggregate_sheets, aggregates_csv, xlsx_bytes
from ui.staff_labels import num

POLL_SECONDS = 1.0
WITHDRAWN_NOTE = (
    "Brújula Circular - Exportación no entregada\n\n"
    "Una empresa de este archivo retiró su autorización a SNI después de que se preparó: el "
    "archivo no se entregó. Prepárelo de nuevo (ya no la incluirá).\n"
    "Esta solicitud quedó registrada.\n"
)

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

account = session.require_staff()

st.title("Exportar datos")
st.caption(
    "Descargue los resultados con los mismos filtros del Panel SNI. Cada exportación queda "
    "registrada con su autor, fecha y filtros."
)
choice = staff.choose_questionnaire()
panel = staff.panel_data(choice.questionnaire_id, choice.depth, choice.hash, choice.version)
chosen = staff.filters(panel)
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


def job_download(staff_account, target: str, job: background.Job) -> bytes:
    """Runs when the download is clicked (no script context): the file only if every firm in
    it still shares its results with SNI; the download, or its refusal, is audited first."""
    with db.session() as database:
        sharing = sharing_firm_ids(database)
    detail = {"filtros": job.description, **job.detail}
    if not np.isin(job.firm_ids, sharing).all():
        staff.record(staff_account, f"descarga_{job.kind}_rechazada", target, detail)
        return WITHDRAWN_NOTE.encode("utf-8")
    staff.record(staff_account, f"descarga_{job.kind}", target, detail)
    assert job.path is not None
    return job.path.read_bytes()


@st.fragment(run_every=POLL_SECONDS)
def job_progress(kind: str) -> None:
    """Polls this session's running job; when it ends, the whole page runs again to offer the
    file. The account is validated again on every poll."""
    account_now = session.identify()
    job = background.jobs().latest(current_owner(), kind)
    if account_now is None or not account_now.is_staff or job is None or not job.active:
        st.rerun(scope="app")
    text = f"{job.stage}: {num(job.done, 0)} de {num(job.total, 0)}" if job.total else job.stage
    st.progress(job.fraction, text=text)


def job_section(kind: str, button: str, icon: str, work, done_label: str, prepared: str) -> None:
    """A «prepare» button that starts ``work`` as a background job, then its progress, then
    the download of the file (only for this session)."""
    owner = current_owner()
    jobs = background.jobs()
    job = jobs.latest(owner, kind)
    busy = job is not None and job.active
    if st.button(button, key=f"sni_prep_{kind}", icon=icon, disabled=busy or owner is None):
        job = jobs.start(owner, kind, description, work)
        staff.record(account, prepared, stamp, {"filtros": description})
    if job is None:
        return
    if job.description != description:
        st.caption(f"Último archivo preparado con otros filtros: {job.description}.")
    if job.active:
        job_progress(kind)
    elif job.state == background.DONE and job.path is not None:
        owned_button(
            done_label,
            functools.partial(job_download, account, stamp, job),
            file_name=job.file_name,
            mime=job.mime,
            key=f"sni_descarga_{kind}_{job.id}",
            on_click="ignore",
            icon=":material/download:",
        )
    elif job.message:
        st.warning(job.message, icon=":material/info:")
    else:
        st.error(
            "No se pudo preparar el archivo. Inténtelo de nuevo; si vuelve a fallar, avise al "
            f"equipo técnico (código {job.id[:8]})."
        )


st.subheader("Empresas que comparten sus resultados")
st.write(
    "Una fila por evaluación enviada, solo de las empresas que autorizaron a SNI a ver sus "
    "resultados individuales, con los mismos filtros: nivel, si el piso legal lo limita, si es "
    "provisional, índices con su banda, requisitos del piso legal e indicadores con su "
    "frontera y la fuente del dato. El archivo se prepara en segundo plano: puede seguir "
    "usando el panel mientras tanto."
)
options = {
    "engine": db.engine(),
    "questionnaire_id": choice.questionnaire_id,
    "depth": choice.depth,
    "questionnaire_hash": choice.hash,
    "filters": chosen,
}
csv_column, xlsx_column = st.columns(2)
with csv_column:
    job_section(
        "empresas_csv",
        "Preparar CSV de empresas",
        ":material/domain:",
        functools.partial(staff_jobs.firms_file, **options, ext="csv", stem=f"empresas_{stamp}"),
        "Descargar CSV",
        "exportacion_empresas",
    )
with xlsx_column:
    job_section(
        "empresas_xlsx",
        "Preparar Excel de empresas",
        ":material/domain:",
        functools.partial(staff_jobs.firms_file, **options, ext="xlsx", stem=f"empresas_{stamp}"),
        "Descargar Excel",
        "exportacion_empresas",
    )

st.subheader("Informes PDF de las empresas que comparten")
st.write(
    "Un archivo ZIP con el informe PDF de la última evaluación de cada empresa que comparte "
    f"sus resultados, con los mismos filtros (hasta {num(staff_jobs.MAX_PDFS, 0)} informes "
    "por archivo). Los informes se generan en paralelo, en segundo plano; una empresa que "
    "retira su autorización mientras tanto queda fuera y el archivo LEEME.txt lo indica."
)
job_section(
    "informes_pdf",
    "Preparar ZIP de informes PDF",
    ":material/picture_as_pdf:",
    functools.partial(
        staff_jobs.reports_zip, **options, url=database_url(), stem=f"informes_{stamp}"
    ),
    "Descargar ZIP de informes",
    "exportacion_informes_pdf",
)
