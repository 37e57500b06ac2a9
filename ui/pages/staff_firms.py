"""Empresas que comparten: firms that let SNI see their individual results (staff only).

Only firms with ``consent_share_sni`` are listed or opened; every detail view and every
download is written to the audit log. Downloads re-check consent when clicked (a firm that
withdrew gets a refusal note instead of its report, and the refusal is audited), and the
tables have no toolbar, so «Download as CSV» is not a way out of the staff area.
"""

from __future__ import annotations

import functools

import pandas as pd
import streamlit as st

from reports.content import note_rows
from scoring import score_assessment
from scoring.numbers import lima_time, submission_labels
from scoring.schema import DEPTH_NAMES
from storage.assessments import load_answers, load_comments
from storage.staff import (
    shared_assessment,
    shared_assessments,
    sharing_firm,
    sharing_firms_page,
)
from ui import db, session, staff, widgets
from ui.formstate import scoring_answers
from ui.report_downloads import download_buttons, report_context
from ui.staff_labels import LEVEL_NAMES, num, sector_label, size_label


def short_date(value) -> str:
    """A stored timestamp as a Lima date, "27/11/2026" ("—" when missing)."""
    return lima_time(value).strftime("%d/%m/%Y") if pd.notna(value) else "—"


# Size classes in one word, so the list fits (the detail below uses the full names).
SIZE_SHORT = {"micro": "Micro", "pequena": "Pequeña", "mediana": "Mediana", "grande": "Grande"}
PAGE_SIZE = 100  # firms per page, read from the database page by page (issue 11)
PAGE_KEY = "sni_empresas_pagina"
WITHDRAWN_NOTE = (
    "Brújula Circular - Empresas que comparten sus resultados\n\n"
    "La empresa {ruc} ya no comparte sus resultados con SNI: retiró su autorización.\n"
    "El informe no se entregó y esta solicitud quedó registrada.\n"
)

account = session.require_staff()
# The firm list and the history tables have many columns: this page uses the full width.
st.set_page_config(layout="wide")

st.title("Empresas que comparten sus resultados")
st.caption(
    "Solo aparecen las empresas que autorizaron a SNI a ver sus resultados individuales. "
    "Cada consulta del detalle queda registrada."
)
search = st.text_input(
    "Buscar por razón social o RUC", key="sni_buscar", placeholder="Ejemplo: Plásticos o 2010"
)
if st.session_state.get("sni_buscar_anterior") != search:  # a new search starts on page 1
    st.session_state[PAGE_KEY] = 0
    st.session_state["sni_buscar_anterior"] = search
page = int(st.session_state.get(PAGE_KEY, 0))
with db.session() as database:
    shown, total = sharing_firms_page(database, search, PAGE_SIZE, page * PAGE_SIZE)
    if shown.empty and page > 0:  # the list shrank since the page was chosen
        page = st.session_state[PAGE_KEY] = 0
        shown, total = sharing_firms_page(database, search, PAGE_SIZE, 0)

if shown.empty:
    st.info(
        "No hay empresas que coincidan. Solo se listan las que autorizaron compartir sus "
        "resultados con SNI."
    )
    st.stop()

st.caption("Haga clic en una fila para ver el detalle de esa empresa.")
listing = st.dataframe(
    pd.DataFrame(
        {
            "Razón social": shown["razon_social"],
            "RUC": shown["ruc"],
            "Sector": [sector_label(d) for d in shown["ciiu_division"]],
            "Tamaño": [SIZE_SHORT.get(s, size_label(s)) for s in shown["size_class"]],
            "Región": shown["region"],
            "Enviadas": shown["evaluaciones"].astype(int),
            "Última": [short_date(d) for d in shown["ultima"]],
        }
    ),
    hide_index=True,
    width="stretch",
    height=min(400, 38 + 35 * len(shown)),
    # Widths that fit the main column at 1 280 px without a horizontal scroll bar.
    column_config={
        "Razón social": st.column_config.TextColumn(width=190),
        "RUC": st.column_config.TextColumn(width=100),
        "Sector": st.column_config.TextColumn(width=135),
        "Tamaño": st.column_config.TextColumn(width=75, help="Tamaño según la Ley 30056"),
        "Región": st.column_config.TextColumn(width=135),
        "Enviadas": st.column_config.NumberColumn(
            width=65, help="Evaluaciones enviadas por la empresa"
        ),
        "Última": st.column_config.TextColumn(width=85, help="Fecha del último envío"),
    },
    on_select="rerun",
    # A click on any cell of a row (or on its checkbox) selects it.
    selection_mode=["single-row", "single-cell"],
    # One selection per page and search: a tick on one page never picks a row of another.
    key=f"sni_empresas_tabla_{page}_{search}",
)
first_shown = page * PAGE_SIZE + 1
last_shown = page * PAGE_SIZE + len(shown)
pages = max(1, -(-total // PAGE_SIZE))
before, where, after = st.columns([1, 3, 1])
if before.button(
    "Anterior", key="sni_empresas_anterior", disabled=page == 0, icon=":material/chevron_left:"
):
    st.session_state[PAGE_KEY] = page - 1
    st.rerun()
where.caption(
    f"Empresas {num(first_shown, 0)}–{num(last_shown, 0)} de {num(total, 0)} · página "
    f"{num(page + 1, 0)} de {num(pages, 0)}. Use la búsqueda para encontrar una empresa."
)
if after.button(
    "Siguiente",
    key="sni_empresas_siguiente",
    disabled=last_shown >= total,
    icon=":material/chevron_right:",
):
    st.session_state[PAGE_KEY] = page + 1
    st.rerun()

names = dict(zip(shown["firm_id"], shown["razon_social"] + " · RUC " + shown["ruc"], strict=True))
# A click on a row opens that firm; only a new click does, so the list below stays usable.
picked = [*listing.selection.rows, *(row for row, _column in listing.selection.cells)]
clicked = [int(shown["firm_id"].iloc[i]) for i in picked if i < len(shown)]
if clicked and st.session_state.get("sni_fila_elegida") != clicked[0]:
    st.session_state["sni_empresa"] = clicked[0]
st.session_state["sni_fila_elegida"] = clicked[0] if clicked else None
firm_id = st.selectbox(
    "Ver el detalle de",
    list(names),
    index=None,
    key="sni_empresa",
    format_func=names.get,
    placeholder="Elija una empresa",
)
if firm_id is None:
    st.stop()

with db.session() as database:
    firm = sharing_firm(database, int(firm_id))
    history = (
        shared_assessments(database, [int(firm_id)], with_detail=True) if firm else pd.DataFrame()
    )
if firm is None:  # consent withdrawn since the list was drawn
    st.warning("Esta empresa ya no comparte sus resultados con SNI.")
    st.stop()

if st.session_state.get("sni_empresa_auditada") != firm.id:
    staff.record(account, "ver_empresa", f"empresa:{firm.id}", {"ruc": firm.ruc})
    st.session_state["sni_empresa_auditada"] = firm.id

st.subheader(widgets.plain(firm.razon_social))
st.markdown(
    f"**RUC** {firm.ruc} · **Sector** {sector_label(firm.ciiu_division)} · "
    f"**Tamaño** {size_label(firm.size_class)} · **Región** {firm.region} · "
    f"**Trabajadores** {num(firm.workers, 0)} · **Correo** {widgets.plain(firm.email)}"
)
if history.empty:
    st.info("Esta empresa todavía no envió ninguna evaluación.")
    st.stop()

latest = history.iloc[0]
first, second, third = st.columns(3)
first.metric("Puntaje global", num(latest["overall"]))
second.metric("Nivel", LEVEL_NAMES.get(int(latest["level"] or 0), "—"))
third.metric("Evaluaciones enviadas", num(len(history), 0))
st.caption(f"Última evaluación enviada el {widgets.date_es(latest['submitted_at'])}.")


def _names(details) -> dict[str, str]:
    """Score column -> name, from the stored results (each version declares its own)."""
    names: dict[str, str] = {}
    for detail in details:
        for key, prefix in (("dimensiones", "dim_"), ("indices", "idx_")):
            for score in detail.get(key) or []:
                names.setdefault(f"{prefix}{score['id']}", score["nombre"])
    return names


def _floor_text(detail: dict) -> str:
    floor = detail.get("piso_legal")
    if floor is None:
        return "—"
    if floor.get("cumple"):
        return "Cumple"
    capped = floor.get("nivel_sin_tope", 0) > floor.get("tope", 0)
    return "No cumple (nivel limitado)" if capped else "No cumple"


details = list(history["detail"])
# Two assessments sent the same day get the Lima time too, so they can be told apart.
sent = submission_labels(list(history["submitted_at"]))
table = {
    "Enviada": sent,
    "Profundidad": [DEPTH_NAMES.get(d, d) for d in history["depth"]],
    "Versión": list(history["questionnaire_version"]),
    "Global": [num(v) for v in history["overall"]],
    "Nivel": [LEVEL_NAMES.get(int(v or 0), "—") for v in history["level"]],
    "Provisional": ["sí" if d.get("provisional") else "no" for d in details],
    "Piso legal": [_floor_text(d) for d in details],
}
names = _names(details)
for column in [c for c in history.columns if c.startswith(("dim_", "idx_", "ruta_"))]:
    label = names.get(column, column.removeprefix("ruta_"))
    if column.startswith("idx_"):
        label = f"Índice {label}"
    table[label] = [num(v) for v in history[column]]
table["Cobertura (%)"] = [num(v, 0) for v in history["coverage"]]
st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch")


def _report(assessment_id: int):
    """(result, context) of one shared assessment, scored with the questionnaire version it
    was answered with; None when that version is not available."""
    with db.session() as database:
        shared = shared_assessment(database, firm.id, assessment_id)
        if shared is None:
            return None
        answers, sources = load_answers(database, assessment_id, firm.id)
        comments = load_comments(database, assessment_id, firm.id)
        # «No aplica» reasons count in the score exactly as when the firm submitted.
        answers = scoring_answers(answers, comments)
        assessment = shared.assessment
    loaded = db.questionnaire_for_hash(assessment.questionnaire_hash)
    if loaded is None:
        return None
    compiled = db.compiled(loaded, assessment.depth)
    context = report_context(firm, shared.submitted_at, compiled, answers, sources, notes=comments)
    return score_assessment(compiled, answers, sources), context


def _download(staff_account, firm_id, ruc, assessment_id, result, context, builder, ext) -> bytes:
    """Runs when a download button is clicked (no script context): consent is read again from
    the database, and the download (or its refusal) is audited before any byte leaves."""
    with db.session() as database:
        sharing = shared_assessment(database, firm_id, assessment_id) is not None
    target = f"evaluacion:{assessment_id}"
    if not sharing:
        staff.record(staff_account, f"descarga_{ext}_rechazada", target, {"empresa": firm_id})
        return WITHDRAWN_NOTE.format(ruc=ruc).encode("utf-8")
    staff.record(staff_account, f"descarga_{ext}_empresa", target, {"empresa": firm_id})
    return builder(result, context)


st.subheader("Informe y datos de una evaluación")
dates = {
    int(row.assessment_id): f"{label} · {DEPTH_NAMES[row.depth]}"
    for row, label in zip(history.itertuples(), sent, strict=True)
}
chosen = int(st.selectbox("Evaluación", list(dates), format_func=dates.get, key="sni_informe_eval"))
report = _report(chosen)
if report is None:
    st.warning(
        "No se puede generar el informe: no está disponible la versión del cuestionario con la "
        "que se respondió esta evaluación."
    )
else:
    declared = [q for q in report[0].preguntas if q.motivo_no_aplica not in (None, "perfil")]
    if declared:
        st.markdown("**«No aplica» declarados por la empresa** (su perfil no los explica):")
        st.dataframe(
            pd.DataFrame(
                {
                    "Pregunta": [q.texto for q in declared],
                    "Motivo de la empresa": [q.motivo_no_aplica for q in declared],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    notes = note_rows(*report)
    if notes:
        st.markdown("**Notas y evidencias de la empresa** (declaradas por ella, sin verificar):")
        # A static table: long notes wrap instead of hiding past the right edge. Its cells are
        # Markdown, so the firm's text is escaped to show literally.
        st.table(
            pd.DataFrame(
                {
                    "Pregunta": [widgets.plain(n["texto"]) for n in notes],
                    "Respuesta": [widgets.plain(n["respuesta"]) for n in notes],
                    "Nota o evidencia": [widgets.plain(n["nota"]) for n in notes],
                }
            ),
            hide_index=True,
            border="horizontal",
        )
    else:
        st.caption("La empresa no dejó notas ni evidencias en esta evaluación.")
    download_buttons(
        *report,
        stem=f"brujula_{firm.ruc}_evaluacion_{chosen}",
        key=f"sni_informe_{chosen}",
        build=functools.partial(_download, account, firm.id, firm.ruc, chosen, *report),
    )
