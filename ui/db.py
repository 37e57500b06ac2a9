"""Database engine and questionnaires held in ``st.cache_resource`` (global, never firm data)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import streamlit as st
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from scoring import CompiledQuestionnaire, LoadedQuestionnaire, compile_questionnaire
from scoring.catalog import DEFAULT_ID, QUESTIONNAIRE_DIR, available_questionnaires
from scoring.loader import load_questionnaire
from storage.db import database_url, make_engine, migrate, session_scope

ROOT = Path(__file__).resolve().parent.parent
# Used only while the base questionnaire is not in cuestionarios/ yet (development).
FALLBACK_QUESTIONNAIRE = ROOT / "tests" / "scoring" / "fixtures" / "mini.yaml"
QUESTIONNAIRE_ENV = "BRUJULA_CUESTIONARIO"

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


@contextmanager
def connection() -> Iterator[Connection]:
    """A plain connection for the reads every run makes (no ORM session; rolled back on close)."""
    with engine().connect() as conn:
        yield conn


@st.cache_resource(show_spinner=False)
def _questionnaires(override: str | None) -> dict[str, LoadedQuestionnaire]:
    if override:
        loaded = load_questionnaire(override)
        return {loaded.id: loaded}
    found = available_questionnaires(QUESTIONNAIRE_DIR)
    if not found:
        loaded = load_questionnaire(FALLBACK_QUESTIONNAIRE)
        found = {loaded.id: loaded}
    return found


def questionnaires() -> dict[str, LoadedQuestionnaire]:
    """Every questionnaire the app can show, by id (``BRUJULA_CUESTIONARIO`` pins one file)."""
    return _questionnaires(override=os.environ.get(QUESTIONNAIRE_ENV) or None)


def current_questionnaire() -> LoadedQuestionnaire:
    """The questionnaire new assessments use."""
    found = questionnaires()
    return found.get(DEFAULT_ID) or next(iter(found.values()))


def questionnaire_by_id(questionnaire_id: str) -> LoadedQuestionnaire | None:
    return questionnaires().get(questionnaire_id)


@st.cache_resource(show_spinner=False)
def _compiled(questionnaire_id: str, content_hash: str, depth: str) -> CompiledQuestionnaire:
    loaded = questionnaires()[questionnaire_id]
    return compile_questionnaire(loaded, depth)


def compiled(loaded: LoadedQuestionnaire, depth: str) -> CompiledQuestionnaire:
    """The questionnaire flattened for one depth (cached by id, content hash and depth)."""
    return _compiled(questionnaire_id=loaded.id, content_hash=loaded.content_hash, depth=depth)
