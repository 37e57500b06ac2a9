"""Download buttons for one assessment's report (PDF, Excel, JSON), shared by firm and staff pages.

Each file is built only when its button is clicked (``st.download_button`` with a callable).

Download URLs belong to the session that made them. Streamlit stores the bytes a callable
returns under ``/media/<id>.<ext>``, a URL anyone holding it could fetch until the file is
pruned. Every download of the app goes through :func:`owned_button`, whose callable records
``media file id -> hash of the session token`` here; the server's middleware (``servidor.Guard``)
serves ``/media/`` only when the request's session cookie hashes to that owner, and refuses any
media file not recorded (the app serves no other media). Nothing a script in the page can read
carries the token: the cookie is HttpOnly.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Mapping

import streamlit as st
from streamlit.runtime.memory_media_file_storage import _calculate_file_id

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


# --- who may fetch a download ----------------------------------------------------------------

OWNER_SECONDS = 3600  # a media file outlives its click by far less; the registry forgets after this
_owners_lock = threading.Lock()
_owners: dict[str, tuple[frozenset[str], float]] = {}


def owner_key(token: str | None) -> str | None:
    """What the registry keeps of a session token: its SHA-256, never the token."""
    return hashlib.sha256(token.encode()).hexdigest() if token else None


def current_owner() -> str | None:
    """This run's session (validated by ``session.identify`` on every run), hashed."""
    from ui import session

    return owner_key(st.session_state.get(session.TOKEN_KEY))


def register_media(data: bytes, mime: str, file_name: str, owner: str | None) -> str:
    """Record that the media file Streamlit stores for these bytes belongs to ``owner``."""
    file_id = _calculate_file_id(data, mime, file_name)
    now = time.monotonic()
    with _owners_lock:
        for stale in [k for k, (_, seen) in _owners.items() if now - seen > OWNER_SECONDS]:
            del _owners[stale]
        owners = _owners.get(file_id, (frozenset(), now))[0]
        _owners[file_id] = (owners | ({owner} if owner else set()), now)
    return file_id


def may_fetch(media_path: str, token: str | None) -> bool:
    """Whether a request for ``.../media/<id>.<ext>`` carrying session ``token`` is served."""
    file_id = media_path.rstrip("/").rsplit("/", 1)[-1].split(".", 1)[0]
    key = owner_key(token)
    with _owners_lock:
        entry = _owners.get(file_id)
    return entry is not None and key is not None and key in entry[0]


def _owned(build: Callable[[], bytes], mime: str, file_name: str, owner: str | None) -> bytes:
    data = build()
    data = data.encode("utf-8") if isinstance(data, str) else data
    register_media(data, mime, file_name, owner)
    return data


def owned_button(
    label: str,
    build: Callable[[], bytes],
    file_name: str,
    mime: str,
    key: str,
    **options,
) -> None:
    """``st.download_button`` whose bytes ``build()`` makes on click (no script context: pass
    values with ``functools.partial``) and whose URL only this session may fetch."""
    st.download_button(
        label,
        data=functools.partial(_owned, build, mime, file_name, current_owner()),
        file_name=file_name,
        mime=mime,
        key=key,
        **options,
    )


def report_context(
    firm,
    submitted_at: dt.datetime,
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    sources: Mapping[str, str],
    peers: Mapping | None = None,
    sector: Mapping | None = None,
    notes: Mapping[str, str] | None = None,
) -> ReportContext:
    """What a report needs besides the result: the firm's profile, the answers, the peers and
    the firm's notes or evidence per answer (``storage.assessments.load_comments``)."""
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
        notes=dict(notes or {}),
    )


def download_buttons(
    result: ScoreResult,
    context: ReportContext,
    stem: str,
    key: str,
    build: Callable[[Callable, str], bytes] | None = None,
) -> None:
    """One button per format. ``build(builder, ext)``, when given, makes the file on click
    instead of ``builder(result, context)`` (staff pages re-check consent and audit there)."""
    columns = st.columns(len(FORMATS))
    for column, (builder, label, ext, mime) in zip(columns, FORMATS, strict=True):
        with column:
            owned_button(
                label,
                functools.partial(build, builder, ext)
                if build
                else functools.partial(builder, result, context),
                file_name=f"{stem}.{ext}",
                mime=mime,
                key=f"{key}_{ext}",
                on_click="ignore",
                icon=":material/download:",
                width="stretch",
            )
