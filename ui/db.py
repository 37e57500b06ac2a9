"""Database engine and questionnaires held in ``st.cache_resource`` (global, never firm data)."""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import streamlit as st
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from scoring import CompiledQuestionnaire, LoadedQuestionnaire, compile_questionnaire
from scoring.catalog import (
    DEFAULT_ID,
    MODULE_DIR,
    QUESTIONNAIRE_DIR,
    available_modules,
    available_questionnaires,
    division_module,
    modules_for,
    second_activity_options,
    with_modules,
)
from scoring.errors import QuestionnaireError
from scoring.loader import load_questionnaire, parse_questionnaire
from scoring.modules import LoadedModule
from storage.db import database_url, make_engine, migrate, session_scope, write_transaction
from storage.questionnaires import archive, source_for_hash

log = logging.getLogger(__name__)
T = TypeVar("T")

QUESTIONNAIRE_ENV = "BRUJULA_CUESTIONARIO"
# Demo mode (storage.peers.demo_mode, BRUJULA_MODO_DEMO=1): peer figures that count demo firms.
DEMO_PEERS = "MODO DEMOSTRACIÓN: cifras que incluyen empresas de demostración «(DEMO)», no reales"


def peer_group_label(label: str, demo: bool) -> str:
    """The peer group's name as every page and report shows it: marked when demo firms count
    (``storage.peers.PeerTable.demo``), so demo figures are never taken for real ones."""
    return f"{label} · {DEMO_PEERS}" if demo else label


# The cached functions below are called with keyword arguments: for positional ones Streamlit
# inspects the function's signature on every lookup, which costs more than the lookup itself
# (every run makes several).


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    # Migrating at first use lets `streamlit run app.py` work on a fresh clone; it runs once per
    # process and database URL, never per user session.
    migrate(url)
    return make_engine(url)


def engine() -> Engine:
    return _engine_for(url=database_url())


@contextmanager
def session() -> Iterator[Session]:
    """A database session that commits on success and rolls back on error."""
    with session_scope(engine()) as db:
        yield db


def write(work: Callable[[Session], T]) -> T:
    """Run ``work(session)`` in one transaction, retried while SQLite is locked by another
    writer (``storage.db.write_transaction``); ``DatabaseBusy`` when it stays locked."""
    return write_transaction(engine(), work)


@contextmanager
def connection() -> Iterator[Connection]:
    """A plain connection for the reads every run makes (no ORM session). On PostgreSQL each
    statement runs on its own (autocommit), which saves the BEGIN and ROLLBACK round trips of
    every run and changes nothing else: under READ COMMITTED each statement of a transaction
    already saw its own snapshot. On SQLite, a read transaction rolled back on close."""
    with engine().connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


@st.cache_resource(show_spinner=False)
def _questionnaires(override: str | None) -> dict[str, LoadedQuestionnaire]:
    if override:
        loaded = load_questionnaire(override)
        found = {loaded.id: loaded}
    else:
        found = available_questionnaires(QUESTIONNAIRE_DIR)
    _archive_served(found.values())
    return found


def _archive_served(found: Iterable[LoadedQuestionnaire]) -> None:
    """Archive every version the app serves, once per process: assessments started before the
    archive existed carry these hashes too. New ones are archived by start_assessment anyway."""
    try:
        with session() as db:
            for loaded in found:
                archive(db, loaded)
    except SQLAlchemyError:
        log.exception("could not archive the current questionnaires")


def questionnaires() -> dict[str, LoadedQuestionnaire]:
    """Every questionnaire the app can show, by id (``BRUJULA_CUESTIONARIO`` pins one file)."""
    return _questionnaires(override=os.environ.get(QUESTIONNAIRE_ENV) or None)


def current_questionnaire() -> LoadedQuestionnaire:
    """The questionnaire new assessments use."""
    found = questionnaires()
    return found.get(DEFAULT_ID) or next(iter(found.values()))


@st.cache_resource(show_spinner=False)
def _modules(folder: str) -> dict[str, LoadedModule]:
    return available_modules(Path(folder))


def modules() -> dict[str, LoadedModule]:
    """The sector modules of ``cuestionarios/modulos/`` (public, cached per process)."""
    return _modules(folder=str(MODULE_DIR))


def firm_modules(division: int) -> tuple[LoadedModule | None, list[LoadedModule]]:
    """The module of a firm's CIIU division (or None) and those it may add for a second
    activity, for the questionnaire new assessments use."""
    core, found = current_questionnaire(), modules()
    return division_module(core, found, division), second_activity_options(core, found, division)


def current_modules() -> dict[str, LoadedModule]:
    """The modules written for the questionnaire new assessments use, by id."""
    return modules_for(current_questionnaire(), modules())


def questionnaire_with(module_ids: Iterable[str]) -> LoadedQuestionnaire:
    """The current questionnaire merged with these sector modules (cached by content)."""
    return with_modules(current_questionnaire(), modules(), list(module_ids))


def questionnaire_by_id(questionnaire_id: str) -> LoadedQuestionnaire | None:
    """The current file's version of a questionnaire (for new assessments and staff views)."""
    return questionnaires().get(questionnaire_id)


class _UnknownVersion(LookupError):
    """Raised inside the cached lookup so that a miss is not cached (it may be archived later)."""


@st.cache_resource(show_spinner=False, max_entries=64)
def _questionnaire_for_hash(content_hash: str) -> LoadedQuestionnaire:
    for loaded in questionnaires().values():
        if loaded.content_hash == content_hash:
            return loaded
    with connection() as conn:
        source = source_for_hash(conn, content_hash)
    if source is None:
        raise _UnknownVersion(content_hash)
    try:
        loaded = parse_questionnaire(source, f"archivo:{content_hash[:12]}")
    except QuestionnaireError as exc:
        log.error("archived questionnaire %s no longer validates: %s", content_hash[:12], exc)
        raise _UnknownVersion(content_hash) from None
    if loaded.content_hash != content_hash:
        # Same YAML, but the current code reads it into a different model (a new default, say):
        # it stays the version this hash names, so results and caches keep the stored identity.
        log.warning("archived questionnaire %s now hashes differently", content_hash[:12])
        loaded = dataclasses.replace(loaded, content_hash=content_hash)
    return loaded


def questionnaire_for_hash(content_hash: str) -> LoadedQuestionnaire | None:
    """The questionnaire version with this content hash: the current file when it matches,
    else the YAML archived in the database when an assessment started with it; None if unknown.

    Cached by hash for the whole process (questionnaires are public, never firm data).
    """
    try:
        return _questionnaire_for_hash(content_hash=content_hash)
    except _UnknownVersion:
        return None


@st.cache_resource(show_spinner=False)
def _compiled(_loaded: LoadedQuestionnaire, content_hash: str, depth: str) -> CompiledQuestionnaire:
    # ``_loaded`` is not hashed by Streamlit: the content hash identifies it.
    return compile_questionnaire(_loaded, depth)


def compiled(loaded: LoadedQuestionnaire, depth: str) -> CompiledQuestionnaire:
    """The questionnaire flattened for one depth (cached by content hash and depth)."""
    return _compiled(_loaded=loaded, content_hash=loaded.content_hash, depth=depth)
