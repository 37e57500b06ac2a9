"""Download buttons for one assessment's report (PDF, Excel, JSON), shared by firm and staff pages.

Each file is built only when its button is clicked (``st.download_button`` with a callable).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping

import streamlit as st

from reports.context import Firm as ReportFirm
from reports.context import ReportContext
from reports.excel import build_xlsx
from reports.json_report import build_json
from reports.pdf import build_pdf
from scoring.compiled import CompiledQuestionnaire
from scoring.peru import CIIU_DIVISIONS
from scoring.result import ScoreResult
from ui import widgets

FORMATS = (
    (build_pdf, "Informe PDF", "pdf", "application/pdf"),
    (
        build_xlsx,
        "Datos en Excel",
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (build_json, "Datos en JSON", "json", "application/json"),
)


def report_context(
    firm,
    submitted_at: dt.datetime,
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    sources: Mapping[str, str],
    peers: Mapping | None = None,
    sector: Mapping | None = None,
) -> ReportContext:
    """What a report needs besides the result: the firm's profile, the answers, the peers."""
    return ReportContext(
        firm=ReportFirm(
            razon_social=firm.razon_social,
            ruc=firm.ruc,
            ciiu_division=str(firm.ciiu_division),
            ciiu_nombre=CIIU_DIVISIONS.get(firm.ciiu_division, ""),
            region=firm.region,
            tamano=widgets.size_label(firm.size_class),
            trabajadores=firm.workers,
        ),
        assessment_date=submitted_at,
        submitted=True,
        compiled=compiled,
        answers=dict(answers),
        sources=dict(sources),
        peers=peers,
        sector=sector,
    )


def download_buttons(
    result: ScoreResult,
    context: ReportContext,
    stem: str,
    key: str,
    on_download: Callable[[str], None] | None = None,
) -> None:
    """One button per format; ``on_download(ext)`` runs when a file is downloaded."""
    columns = st.columns(len(FORMATS))
    for column, (builder, label, ext, mime) in zip(columns, FORMATS, strict=True):
        with column:
            st.download_button(
                label,
                data=functools.partial(builder, result, context),
                file_name=f"{stem}.{ext}",
                mime=mime,
                key=f"{key}_{ext}",
                on_click=functools.partial(on_download, ext) if on_download else "ignore",
                icon=":material/download:",
                width="stretch",
            )
