"""Shared pieces of the SNI staff pages: cached panel data, filters and the audit trail.

The loaded panel frame is aggregate staff data, never one firm's page, so it is cached globally
with ``st.cache_resource`` keyed by database, questionnaire, depth and a data version that
changes with every submission or consent change. ``cache_resource`` hands every run the same
object instead of unpickling ~40 MB per rerun as ``cache_data`` would; this is safe because
pandas 3 copies on write and the aggregates never modify their input.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from scoring.aggregates import Dashboard, Filters, dashboard
from scoring.compiled import CompiledQuestionnaire
from scoring.peru import REGIONS, SIZE_NAMES
from scoring.schema import DEPTH_NAMES
from storage import audit
from storage.db import database_url
from storage.results_table import (
    StoredVersion,
    data_version,
    load_results_frame,
    stored_versions,
)
from ui import db, widgets
from ui.session import AccountInfo
from ui.staff_exports import MethodBoard, method_board
from ui.staff_labels import Labels, labels_for, sector_label, size_label
from ui.widgets import LIMA

KEEP = "_sni_keep_"  # copies of filter values that survive switching between staff pages


@st.cache_resource(max_entries=4, ttl=3600, show_spinner="Cargando resultados…")
def _panel_frame(
    url: str, questionnaire_id: str, depth: str, content_hash: str, version: tuple
) -> pd.DataFrame:
    with db.session() as session:
        return load_results_frame(session, questionnaire_id, depth, questionnaire_hash=content_hash)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _board(
    url: str, questionnaire_id: str, depth: str, content_hash: str, version: tuple, chosen: Filters
):
    frame = _panel_frame(url, questionnaire_id, depth, content_hash, version)
    return dashboard(frame, chosen)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _method_board(
    url: str, questionnaire_id: str, depth: str, content_hash: str, version: tuple, chosen: Filters
):
    frame = _panel_frame(url, questionnaire_id, depth, content_hash, version)
    return method_board(frame, chosen)


@dataclass(frozen=True)
class PanelData:
    """The loaded frame and the cache key it came from (read-only: shared by all staff)."""

    frame: pd.DataFrame
    key: tuple

    def board(self, chosen: Filters) -> Dashboard:
        """The aggregates for ``chosen``, remembered per data version and filters."""
        return _board(*self.key, chosen)

    def method(self, chosen: Filters) -> MethodBoard:
        """Legal floor, indices, band and provisional results (method 2.0) for ``chosen``."""
        return _method_board(*self.key, chosen)


def panel_data(questionnaire_id: str, depth: str, content_hash: str) -> PanelData:
    """Every consenting firm's submitted results of one questionnaire version (content hash)
    and depth: aggregates never mix versions, which may score differently."""
    with db.session() as session:
        version = data_version(session, questionnaire_id, depth, content_hash)
    key = (database_url(), questionnaire_id, depth, content_hash, version)
    return PanelData(_panel_frame(*key), key)


def record(account: AccountInfo, action: str, target: str, detail: dict | None = None) -> None:
    """Write an audit entry for a staff action."""
    with db.session() as session:
        audit.record(session, account.id, action, target, detail)


def _kept(key: str, default: Any) -> Any:
    """Carry a filter widget's value to the next staff page.

    Re-assigning the value detaches it from the previous page's widget (which would otherwise
    hand the new widget its default); the KEEP copy covers pages that had no such widget.
    """
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]
    else:
        st.session_state[key] = st.session_state.get(KEEP + key, default)
    return st.session_state[key]


def _keep(*keys: str) -> None:
    for key in keys:
        if key in st.session_state:
            st.session_state[KEEP + key] = st.session_state[key]


@dataclass(frozen=True)
class Choice:
    """The questionnaire version the staff pages show: one content hash, one depth."""

    questionnaire_id: str
    depth: str
    hash: str
    version: str
    compiled: CompiledQuestionnaire | None

    @property
    def stamp(self) -> str:
        return f"{self.questionnaire_id}_{self.version}_{self.depth}"


def _stored_versions() -> list[StoredVersion]:
    with db.session() as session:
        return stored_versions(session)


def version_label(version: str, content_hash: str, same_version: int, current: bool) -> str:
    """ "2.0.0", with a short hash when two contents share the version, "(vigente)" for the
    questionnaire file new assessments use."""
    label = f"versión {version}"
    if same_version > 1:
        label += f" · huella {content_hash.removeprefix('sha256:')[:8]}"
    return label + (" (vigente)" if current else "")


def choose_questionnaire() -> Choice:
    """Questionnaire, depth and version pickers; versions are those found in the stored
    results (plus the current file's), so older versions stay visible."""
    found = db.questionnaires()
    stored = _stored_versions()
    ids = list(dict.fromkeys([*found, *(v.questionnaire_id for v in stored)]))
    current = db.current_questionnaire().id
    left, middle, right = st.columns([3, 2, 2])
    _kept("sni_cuestionario", current)
    if st.session_state.get("sni_cuestionario") not in ids:
        st.session_state["sni_cuestionario"] = current
    titles = {v.questionnaire_id: v.questionnaire_id for v in stored}
    titles |= {i: q.model.titulo for i, q in found.items()}
    questionnaire_id = left.selectbox(
        "Cuestionario", ids, key="sni_cuestionario", format_func=lambda i: titles.get(i, i)
    )
    _kept("sni_profundidad", "completo")
    depth = (
        middle.radio(
            "Profundidad",
            list(DEPTH_NAMES),
            key="sni_profundidad",
            format_func=widgets.DEPTH_LABELS.get,
            horizontal=True,
        )
        or "completo"
    )
    versions = {
        v.hash: v.version
        for v in stored
        if v.questionnaire_id == questionnaire_id and v.depth == depth
    }
    served = found.get(questionnaire_id)
    if served is not None:  # the version new assessments use comes first (the default)
        versions = {served.content_hash: served.version, **versions}
    hashes = list(versions)
    _kept("sni_version", hashes[0] if hashes else "")
    if st.session_state.get("sni_version") not in hashes:
        st.session_state["sni_version"] = hashes[0] if hashes else None
    count = {v: list(versions.values()).count(v) for v in versions.values()}
    served_hash = served.content_hash if served is not None else None
    content_hash = right.selectbox(
        "Versión del cuestionario",
        hashes,
        key="sni_version",
        format_func=lambda h: version_label(versions[h], h, count[versions[h]], h == served_hash),
        help="Cada versión se muestra por separado: dos versiones pueden puntuar distinto.",
    )
    _keep("sni_cuestionario", "sni_profundidad", "sni_version")
    content_hash = content_hash or ""
    loaded = db.questionnaire_for_hash(content_hash) if content_hash else None
    return Choice(
        questionnaire_id,
        depth,
        content_hash,
        versions.get(content_hash, ""),
        db.compiled(loaded, depth) if loaded else None,
    )


def labels(compiled: CompiledQuestionnaire | None) -> Labels:
    return labels_for(compiled)


def _date_range(frame: pd.DataFrame) -> tuple[dt.date, dt.date]:
    if frame.empty:
        today = dt.datetime.now(LIMA).date()
        return today - dt.timedelta(days=730), today
    local = frame["submitted_at"].agg(["min", "max"]).dt.tz_convert(LIMA)
    return local.iloc[0].date(), local.iloc[1].date()


def _present(column: pd.Series) -> set[str]:
    """Distinct values, read from the categorical's codes (never row by row)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        used = np.unique(column.cat.codes.to_numpy())
        return {str(column.cat.categories[i]) for i in used if i >= 0}
    return {str(v) for v in column.unique()}


def filters(frame: pd.DataFrame) -> Filters:
    """Filter widgets in an expander; returns the chosen filters (kept across staff pages)."""
    first, last = _date_range(frame)
    sectors = sorted(int(d) for d in np.unique(frame["ciiu_division"].to_numpy()))
    sizes = [s for s in SIZE_NAMES if s in _present(frame["size_class"])]
    regions = [r for r in REGIONS if r in _present(frame["region"])]
    real = bool(len(frame)) and not frame["is_demo"].to_numpy().all()
    keys = ("sni_periodo", "sni_sectores", "sni_tamanos", "sni_regiones", "sni_demo")
    for key, options in zip(keys[1:4], (sectors, sizes, regions), strict=True):
        kept = _kept(key, [])
        st.session_state[key] = [v for v in kept if v in options]
    _kept("sni_periodo", (first, last))
    _kept("sni_demo", not real)
    with st.expander("Filtros: periodo, sector, tamaño, región", icon=":material/filter_list:"):
        period = st.date_input(
            "Periodo de envío",
            key="sni_periodo",
            min_value=dt.date(2020, 1, 1),
            max_value=max(last, dt.datetime.now(LIMA).date()),
            format="DD/MM/YYYY",
        )
        st.multiselect(
            "Sector (división CIIU)",
            sectors,
            key="sni_sectores",
            format_func=sector_label,
            placeholder="Todos los sectores",
        )
        st.multiselect(
            "Tamaño de empresa",
            sizes,
            key="sni_tamanos",
            format_func=size_label,
            placeholder="Todos los tamaños",
        )
        st.multiselect("Región", regions, key="sni_regiones", placeholder="Todas las regiones")
        st.checkbox("Incluir empresas de demostración («DEMO»)", key="sni_demo")
    _keep(*keys)
    start, end = (tuple(period) + (None, None))[:2] if isinstance(period, tuple) else (period, None)
    return Filters(
        start=start,
        end=end,
        ciiu=tuple(st.session_state["sni_sectores"]),
        sizes=tuple(st.session_state["sni_tamanos"]),
        regions=tuple(st.session_state["sni_regiones"]),
        include_demo=bool(st.session_state["sni_demo"]),
    )


def describe(filters: Filters, depth: str, version: str = "") -> str:
    """The active filters in one line, for captions and export files."""
    parts = [f"Evaluación {widgets.DEPTH_LABELS.get(depth, depth)}"]
    if version:
        parts.append(f"versión {version} del cuestionario")
    if filters.start or filters.end:
        dates = [d.strftime("%d/%m/%Y") if d else "…" for d in (filters.start, filters.end)]
        parts.append(f"del {dates[0]} al {dates[1]}")
    if filters.ciiu:
        parts.append("sectores " + ", ".join(str(s) for s in filters.ciiu))
    if filters.sizes:
        parts.append(", ".join(size_label(s).lower() for s in filters.sizes))
    if filters.regions:
        parts.append(", ".join(filters.regions))
    if filters.versions:
        parts.append("versión " + ", ".join(filters.versions))
    parts.append("con empresas DEMO" if filters.include_demo else "sin empresas DEMO")
    return " · ".join(parts)
