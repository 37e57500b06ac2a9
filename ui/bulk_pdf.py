"""One firm's PDF report, built in a worker process of the bulk PDF export (issue 11).

Runs in a ``ProcessPoolExecutor`` started with ``spawn``: each process has its own typst
compiler (``reports.pdf`` serialises compilations within a process), so reports are built in
parallel, one per core. Consent is read again here, when the report is built: a firm that no
longer shares with SNI gets no report. Nothing here touches Streamlit's runtime.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from sqlalchemy import Engine

from reports.pdf import build_pdf
from scoring import compile_questionnaire, score_assessment
from scoring.catalog import QUESTIONNAIRE_DIR, available_questionnaires
from scoring.compiled import CompiledQuestionnaire
from scoring.loader import parse_questionnaire
from scoring.result import ScoreResult
from storage.assessments import get_result, load_answers, load_comments
from storage.db import make_engine, session_scope
from storage.questionnaires import source_for_hash
from storage.staff import shared_assessment
from ui.formstate import scoring_answers
from ui.report_downloads import report_context

log = logging.getLogger(__name__)

WITHDRAWN = "ya no comparte sus resultados con SNI"
NO_VERSION = "no está disponible la versión del cuestionario con la que se respondió"

_engine: Engine | None = None
_compiled: dict[tuple[str, str], CompiledQuestionnaire | None] = {}


def init_worker(url: str) -> None:
    """Process initializer: one small engine per worker process."""
    global _engine
    _engine = make_engine(url)


def _questionnaire(session, content_hash: str, depth: str) -> CompiledQuestionnaire | None:
    key = (content_hash, depth)
    if key not in _compiled:
        loaded = next(
            (
                q
                for q in available_questionnaires(QUESTIONNAIRE_DIR).values()
                if q.content_hash == content_hash
            ),
            None,
        )
        if loaded is None:
            source = source_for_hash(session, content_hash)
            if source is not None:
                loaded = parse_questionnaire(source, f"archivo:{content_hash[:12]}")
                loaded = dataclasses.replace(loaded, content_hash=content_hash)
        _compiled[key] = compile_questionnaire(loaded, depth) if loaded is not None else None
    return _compiled[key]


def build_one(firm_id: int, assessment_id: int) -> tuple[str, bytes | None, str]:
    """(file name, PDF bytes, "") or ("", None, why not) for one shared assessment."""
    assert _engine is not None, "init_worker was not called"
    with session_scope(_engine) as session:
        shared = shared_assessment(session, firm_id, assessment_id)
        if shared is None:
            return "", None, WITHDRAWN
        assessment = shared.assessment
        compiled = _questionnaire(session, assessment.questionnaire_hash, assessment.depth)
        if compiled is None:
            return "", None, NO_VERSION
        answers, sources = load_answers(session, assessment_id, firm_id)
        reasons = load_comments(session, assessment_id, firm_id)
        stored = get_result(session, assessment_id, firm_id)
        detail: dict[str, Any] = dict(stored.detail_json or {}) if stored else {}
        context = report_context(
            shared.firm, shared.submitted_at, compiled, answers, sources, notes=reasons
        )
        name = f"brujula_{shared.firm.ruc}_evaluacion_{assessment_id}.pdf"
    result = None
    if detail.get("global") is not None:  # the result as submitted, as the results page shows
        try:
            result = ScoreResult.from_dict(detail)
        except (KeyError, TypeError):
            log.warning("stored detail of assessment %s unreadable: re-scored", assessment_id)
    if result is None:
        result = score_assessment(compiled, scoring_answers(answers, reasons), sources)
    return name, build_pdf(result, context), ""
