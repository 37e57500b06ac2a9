"""Shared pieces of the SNI staff pages: cached panel data, filters and the audit trail.

The panel rows are aggregate staff data, never one firm's page, so they are held once per
process (``storage.live_results.LiveResults`` in ``st.cache_resource``) for each database,
questionnaire version and depth, and brought up to date from the data version read from the
database on every run: a new submission appends its row, a consent change drops or adds that
firm's rows; nothing is read again in full (issue 11). The figures come from the rows'
``scoring.panel_cube.PanelCube`` (statistics per period and profile cell), so a filter change
sums cells instead of going over every assessment. A fresh process first looks for the cube
saved for the current data version (``storage.panel_snapshots``) and shows it while it reads
the rows in the background.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from scoring.aggregates import (
    SECTOR_GROUP_NAMES,
    SECTOR_GROUPS,
    Dashboard,
    Filters,
    check_fixed,
    dashboard,
    period_bounds,
    period_label,
    period_options,
    sector_group_of,
)
from scoring.compiled import CompiledQuestionnaire
from scoring.panel_cube import PanelCube, Present, RowsMissing
from scoring.peru import REGIONS, SIZE_NAMES
from scoring.schema import DEPTH_NAMES
from storage import audit, panel_snapshots
from storage.db import database_url, session_scope
from storage.live_results import LiveResults, as_frame
from storage.results_table import StoredVersion, data_version, stored_versions
from ui import db, widgets
from ui.session import AccountInfo
from ui.staff_exports import MethodBoard, method_board
from ui.staff_labels import Labels, labels_for, sector_label, size_label
from ui.widgets import LIMA

QUARTER_NAMES = {
    1: "1.er trimestre (ene–mar)",
    2: "2.º trimestre (abr–jun)",
    3: "3.er trimestre (jul–sep)",
    4: "4.º trimestre (oct–dic)",
}
KEEP = "_sni_keep_"
log = logging.getLogger(
    __name__
)  # copies of filter values that survive switching between staff pages


@st.cache_resource(max_entries=8, show_spinner=False)
def _live(url: str, questionnaire_id: str, depth: str, content_hash: str) -> LiveResults:
    return LiveResults(questionnaire_id, depth, content_hash, demo=True)


# From this many assessments a newer data version is brought in while the previous one is
# shown (its figures are a few seconds old; the page says so): appending the new rows and
# summing the cube again takes seconds at a million assessments (issue 11).
BACKGROUND_FROM_ROWS = 50_000
RETRY_SECONDS = 60  # after a failed update, the installed figures are shown this long


# From this many assessments the cube is saved in the database once its years are built
# (``storage.panel_snapshots``): the next fresh process shows the first view from it.
SAVE_FROM_ROWS = 50_000


class _Current:
    """The cube of the latest data version of one questionnaire version and depth (older ones
    are let go as soon as a newer one is installed: a cube holds its rows)."""

    def __init__(self, live: LiveResults, version: str, content_hash: str) -> None:
        self.live, self.label, self.content_hash = live, version, content_hash
        self.key = (live.questionnaire_id, live.depth, live.questionnaire_hash)
        self.lock = threading.Lock()  # guards the installed version and cube
        self.building = threading.Lock()  # one update at a time
        self.version: tuple | None = None
        self.cube: PanelCube | None = None
        self.updating: threading.Thread | None = None
        self.failed_at: float | None = None  # time.monotonic() of the last failed update
        # The installed cube is a saved one whose rows could not be read: a cube with rows is
        # built on a later run (its figures stay shown meanwhile).
        self.rowless = False

    def view(self, engine: Engine, newest: tuple) -> tuple[PanelCube, tuple, str]:
        """(cube, its data version, state): state "" when current, "updating" while a newer
        version is being summed, "failed" when summing it failed (the installed figures stay;
        it is tried again after ``RETRY_SECONDS``)."""
        with self.lock:
            if self.cube is not None and self.version == newest and not self.rowless:
                return self.cube, self.version, ""
            if self.cube is not None and self.cube.assessments >= BACKGROUND_FROM_ROWS:
                if self._failed_recently():
                    return self.cube, self.version, "failed"
                if self.updating is None or not self.updating.is_alive():
                    self.updating = threading.Thread(
                        target=self._update, args=(engine,), daemon=True, name="panel-update"
                    )
                    self.updating.start()
                return self.cube, self.version, "updating"
        try:
            self._update(engine, newest)
        except Exception:
            with self.lock:
                if self.cube is None:
                    raise  # nothing to show: the page's error boundary says so
        with self.lock:  # the pair installed, read together
            if self.failed_at:
                return self.cube, self.version, "failed"
            behind = self.version is not None and panel_snapshots.extends(self.version, newest)
            return self.cube, self.version, "updating" if behind else ""

    def _failed_recently(self) -> bool:
        return self.failed_at is not None and time.monotonic() - self.failed_at < RETRY_SECONDS

    def _update(self, engine: Engine, newest: tuple | None = None) -> None:
        """Bring the rows up to date and install their cube (one at a time: a second caller
        waits, then finds the version installed). A fresh process first looks for the cube
        saved for ``newest``: shown at once, its rows are read in the background."""
        try:
            with self.building:
                if self.cube is None and newest is not None and self._install_saved(engine, newest):
                    return
                self._build(engine)
        except Exception:  # a failed update keeps the previous figures
            log.exception("could not bring the staff panel's data up to date")
            with self.lock:
                self.failed_at = time.monotonic()
            if threading.current_thread().name != "panel-update":
                raise

    def _build(self, engine: Engine) -> None:
        """Read the rows (new ones only, when a version is installed) and install their cube;
        its years are built, and the cube saved, in the background. Holds ``building``."""
        with session_scope(engine) as session:
            snapshot = self.live.refresh(session)
        if snapshot.version == self.version and self.cube is not None and self.cube.has_rows:
            return
        cube = PanelCube(as_frame(snapshot.rows, self.label, self.content_hash))
        cube.prepare(PanelCube.FIRST_VIEW)  # the whole period, before it is shown
        with self.lock:
            self.cube, self.version = cube, snapshot.version
            self.failed_at = None
            self.rowless = False
        later = threading.Thread(  # each year, while staff look at the first view
            target=_prepare_later,
            args=(self, cube, engine, snapshot.version),
            daemon=True,
            name="panel-years",
        )
        later.start()

    def _install_saved(self, engine: Engine, newest: tuple) -> bool:
        """Install the cube saved for data version ``newest``, if there is one, and read its
        rows in the background. On a big panel, a cube saved before the latest submissions
        also serves: shown at once, while the cube of ``newest`` is built in the background.
        Holds ``building``. False (the cube is then built from the rows) when there is none or
        it cannot be read."""
        try:
            with session_scope(engine) as session:
                version = newest
                stored = panel_snapshots.load(session, self.key, newest)
                if stored is None:
                    # Submissions came in after it was saved: on a big panel its figures are
                    # shown, said to be a moment old, while the current ones are summed.
                    older = panel_snapshots.load_older(session, self.key, newest)
                    if older is None:
                        return False
                    version, *stored = older
            cube = PanelCube.from_snapshot(*stored)
            if version != newest and cube.assessments < BACKGROUND_FROM_ROWS:
                return False  # a small panel is summed in the run
        except Exception:  # another format, a damaged blob, the table missing…
            log.exception("saved panel cube of %s not usable: building it from the rows", self.key)
            return False
        with self.lock:
            self.cube, self.version = cube, version
            self.failed_at = None
            self.rowless = False
        threading.Thread(
            target=self._attach_rows, args=(engine, cube, version), daemon=True, name="panel-rows"
        ).start()
        return True

    def _attach_rows(self, engine: Engine, cube: PanelCube, version: tuple) -> None:
        """The rows of a saved cube (of data ``version``): attached when they are of that
        version and the cube is still the installed one; otherwise (a submission came in
        meanwhile) a cube of the newer rows is installed."""
        try:
            with self.building:
                if self.cube is not cube:  # a newer cube, with its rows, is installed
                    cube.abandon()
                    return
                with session_scope(engine) as session:
                    snapshot = self.live.refresh(session)
                frame = as_frame(snapshot.rows, self.label, self.content_hash)
                if snapshot.version == version and cube.attach(frame):
                    attached = True
                else:
                    attached = False
                    cube.abandon()
                    self._build(engine)
            if attached:
                _prepare_later(self, cube, engine, version)
        except Exception:
            cube.abandon()
            log.exception("could not read the rows of the staff panel's saved cube")
            with self.lock:
                self.failed_at = time.monotonic()
                if self.cube is cube:  # shown still, but other periods need a cube with rows
                    self.rowless = True


def _prepare_later(current: _Current, cube: PanelCube, engine: Engine, version: tuple) -> None:
    """Each year of ``cube``, then save it for the next fresh process (from
    ``SAVE_FROM_ROWS`` assessments). Stops as soon as a newer cube is installed."""
    try:
        cube.prepare(PanelCube.LATER, stop=lambda: current.cube is not cube)
    except Exception:  # the periods are then built when chosen
        log.exception("could not prepare the staff panel's yearly figures")
        return
    if current.cube is not cube or cube.assessments < SAVE_FROM_ROWS:
        return
    try:
        with session_scope(engine) as session:
            if panel_snapshots.saved_version(session, current.key) != tuple(version):
                panel_snapshots.save(session, current.key, version, *cube.snapshot())
    except Exception:  # a fresh process then builds the cube from the rows
        log.exception("could not save the staff panel's cube")


@st.cache_resource(max_entries=8, show_spinner=False)
def _current(
    url: str, questionnaire_id: str, depth: str, content_hash: str, version: str
) -> _Current:
    return _Current(_live(url, questionnaire_id, depth, content_hash), version, content_hash)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _boards(
    url: str,
    questionnaire_id: str,
    depth: str,
    content_hash: str,
    version: tuple,
    chosen: Filters,
    _cube: PanelCube,
) -> tuple[Dashboard, MethodBoard]:
    # ``_cube`` is not hashed: the data version in the key identifies it. One cut serves
    # both; only the figures are kept.
    prepared = _cube.cut(chosen)
    return dashboard(None, chosen, prepared=prepared), method_board(None, chosen, prepared=prepared)


@dataclass(frozen=True)
class PanelData:
    """The panel cube of one data version and the cache key it belongs to (read-only: shared
    by all staff).

    Holds the cube weakly: a page keeps this in its module globals, which Streamlit leaves in
    reference cycles after each run (collected late: the server runs without its collection
    after each run), so a strong reference would keep a replaced cube and its rows alive."""

    _cube: weakref.ref
    key: tuple
    assessments: int

    @property
    def cube(self) -> PanelCube:
        cube = self._cube()
        if cube is None:  # replaced by a newer version in the middle of this run
            st.rerun()
        return cube

    @property
    def empty(self) -> bool:
        return not self.assessments

    def board(self, chosen: Filters) -> Dashboard:
        """The aggregates for ``chosen``, remembered per data version and filters."""
        return self._boards(chosen)[0]

    def method(self, chosen: Filters) -> MethodBoard:
        """Legal floor, indices, band and provisional results (method 2.0) for ``chosen``."""
        return self._boards(chosen)[1]

    def _boards(self, chosen: Filters) -> tuple[Dashboard, MethodBoard]:
        try:
            return _boards(*self.key, chosen, self.cube)
        except RowsMissing:  # a saved cube without its rows: a cube with rows is coming
            st.info(
                "Las cifras de este periodo todavía se están preparando. Vuelva a cargar la "
                "página en unos segundos.",
                icon=":material/sync:",
            )
            st.stop()
            raise  # not reached: st.stop() ends the run


def panel_data(
    questionnaire_id: str, depth: str, content_hash: str, version: str = ""
) -> PanelData:
    """Every consenting firm's submitted results of one questionnaire version (content hash)
    and depth: aggregates never mix versions, which may score differently."""
    url = database_url()
    current = _current(url, questionnaire_id, depth, content_hash, version)
    with st.spinner("Cargando resultados…", show_time=True):
        with db.session() as session:
            newest = data_version(session, questionnaire_id, depth, content_hash)
        cube, shown, state = current.view(db.engine(), newest)
    if state == "updating":
        st.caption(
            ":material/sync: Hay evaluaciones enviadas hace un momento que se están sumando; "
            "las cifras se actualizan en unos segundos al volver a filtrar o recargar."
        )
    elif state == "failed":
        st.warning(
            "No pudimos sumar las evaluaciones más recientes; las cifras son las de la última "
            "actualización. Se volverá a intentar en un minuto.",
            icon=":material/sync_problem:",
        )
    key = (url, questionnaire_id, depth, content_hash, shown)
    return PanelData(weakref.ref(cube), key, cube.assessments)


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


def version_label(
    version: str, content_hash: str, same_version: int, current: bool, modules=()
) -> str:
    """ "versión 2.0.0", "+ módulo Textil y confecciones" for a version with sector modules
    (each module set is its own version: it scores differently), "sin módulo" beside those, a
    short hash when two contents still share the label, "(vigente)" for the questionnaire file
    new assessments use."""
    label = f"versión {version}"
    if modules:
        label += "".join(f" + módulo {name}" for name in modules)
    elif same_version > 1:
        label += " sin módulo sectorial"
    if same_version > 1 and not modules and not current:
        label += f" · huella {content_hash.removeprefix('sha256:')[:8]}"
    return label + (" (vigente)" if current else "")


def _module_names(content_hash: str) -> tuple[str, ...]:
    loaded = db.questionnaire_for_hash(content_hash) if content_hash else None
    return tuple(f"{m.nombre} {m.version}" for m in loaded.model.modulos) if loaded else ()


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
        format_func=lambda h: version_label(
            versions[h], h, count[versions[h]], h == served_hash, _module_names(h)
        ),
        help="Cada versión se muestra por separado: dos versiones pueden puntuar distinto. Los "
        "módulos sectoriales agregan preguntas e indicadores del sector, así que cada módulo "
        "es una versión aparte: elíjala para ver sus indicadores.",
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


def _years(found: Present) -> list[int]:
    """Calendar years (Lima) with submissions, and the current one."""
    now = dt.datetime.now(LIMA).year
    if not found.years:
        return [now]
    return list(range(found.years[0], max(found.years[-1], now) + 1))


def period_text(label: str) -> str:
    """«Todo el periodo», «Año 2025» or «3.er trimestre 2025 (jul–sep)»."""
    if not label:
        return "Todo el periodo"
    year, _, quarter = label.partition("-T")
    if not quarter:
        return f"Año {year}"
    return f"{QUARTER_NAMES[int(quarter)]} {year}"


def sector_options(found: Present) -> list[str]:
    """«todos», every predefined sector group, and each CIIU division present in the data."""
    divisions = sorted(d for group in SECTOR_GROUPS.values() for d in group if d in found.divisions)
    return ["", *(f"grupo:{g}" for g in SECTOR_GROUPS), *(f"ciiu:{d}" for d in divisions)]


def sector_text(option: str) -> str:
    if not option:
        return "Todos los sectores"
    kind, _, value = option.partition(":")
    if kind == "grupo":
        return SECTOR_GROUP_NAMES.get(value, value)
    return f"CIIU {sector_label(int(value))}"


def sector_divisions(option: str) -> tuple[int, ...]:
    kind, _, value = option.partition(":")
    if kind == "grupo":
        return SECTOR_GROUPS[value]
    return (int(value),) if kind == "ciiu" else ()


def filters(panel: PanelData) -> Filters:
    """Filter widgets in an expander; returns the chosen filters (kept across staff pages).

    Only fixed partitions can be chosen (issue 12): the whole time, one year or one quarter;
    all sectors, one predefined sector group or one CIIU division; all or one size and region.
    ``scoring.aggregates.check_fixed`` enforces the same on the server side."""
    found = panel.cube.present()
    periods = ["", *period_options(_years(found))]
    sectors = sector_options(found)
    sizes = ["", *(s for s in SIZE_NAMES if s in found.sizes)]
    regions = ["", *(r for r in REGIONS if r in found.regions)]
    real = not panel.empty and not found.only_demo
    keys = ("sni_periodo", "sni_sector", "sni_tamano", "sni_region", "sni_demo")
    for key, options in zip(keys[:4], (periods, sectors, sizes, regions), strict=True):
        if _kept(key, "") not in options:
            st.session_state[key] = ""
    _kept("sni_demo", not real)
    with st.expander("Filtros: periodo, sector, tamaño, región", icon=":material/filter_list:"):
        st.selectbox(
            "Periodo de envío",
            periods,
            key="sni_periodo",
            format_func=period_text,
            help="Un año o un trimestre calendario (hora de Lima), o todo el periodo.",
        )
        st.selectbox(
            "Sector",
            sectors,
            key="sni_sector",
            format_func=sector_text,
            help="Un grupo de sectores predefinido o una división CIIU, o todos.",
        )
        st.selectbox(
            "Tamaño de empresa",
            sizes,
            key="sni_tamano",
            format_func=lambda s: size_label(s) if s else "Todos los tamaños",
        )
        st.selectbox(
            "Región", regions, key="sni_region", format_func=lambda r: r or "Todas las regiones"
        )
        st.checkbox("Incluir empresas de demostración («DEMO»)", key="sni_demo")
    _keep(*keys)
    start, end = period_bounds(st.session_state["sni_periodo"] or "")
    size = st.session_state["sni_tamano"] or ""
    region = st.session_state["sni_region"] or ""
    chosen = Filters(
        start=start,
        end=end,
        ciiu=sector_divisions(st.session_state["sni_sector"] or ""),
        sizes=(size,) if size else (),
        regions=(region,) if region else (),
        include_demo=bool(st.session_state["sni_demo"]),
    )
    check_fixed(chosen)
    return chosen


def describe(filters: Filters, depth: str, version: str = "") -> str:
    """The active filters in one line, for captions and export files."""
    parts = [f"Evaluación {widgets.DEPTH_LABELS.get(depth, depth)}"]
    if version:
        parts.append(f"versión {version} del cuestionario")
    if filters.start or filters.end:
        try:
            parts.append(period_text(period_label(filters)).lower())
        except ValueError:  # not a fixed period (never built by ``filters``)
            dates = [d.strftime("%d/%m/%Y") if d else "…" for d in (filters.start, filters.end)]
            parts.append(f"del {dates[0]} al {dates[1]}")
    if filters.ciiu:
        group = sector_group_of(filters.ciiu)
        if group is not None and len(filters.ciiu) > 1:
            parts.append(SECTOR_GROUP_NAMES[group])
        else:
            parts.append("CIIU " + ", ".join(sector_label(s) for s in filters.ciiu))
    if filters.sizes:
        parts.append(", ".join(size_label(s).lower() for s in filters.sizes))
    if filters.regions:
        parts.append(", ".join(filters.regions))
    if filters.versions:
        parts.append("versión " + ", ".join(filters.versions))
    parts.append("con empresas DEMO" if filters.include_demo else "sin empresas DEMO")
    return " · ".join(parts)
