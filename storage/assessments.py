"""A firm's assessments: start, save and resume answers, submit; always scoped to the firm."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from sqlalchemy import Connection, RowMapping, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from scoring.loader import LoadedQuestionnaire
from scoring.result import ScoreResult
from storage.models import Account, Answer, Assessment, Firm, Result, utcnow
from storage.questionnaires import archive

DEPTHS = ("expres", "completo")
SOURCES = ("medido", "estimado", "no_se")
# Keys a result summary may carry; the column of the same name receives the value. Scores of
# dimensions, routes and indices go in ``scores`` under the ids the questionnaire declares.
RESULT_COLUMNS = (
    "overall",
    "level",
    "weakest_dimension",
    "performance",
    "coverage",
    "dont_know_count",
)
RESULT_KEYS = (*RESULT_COLUMNS, "scores", "detail")


class QuestionnaireMeta(NamedTuple):
    """Identity of the questionnaire an assessment was answered with."""

    id: str
    version: str
    hash: str


class AssessmentNotFound(LookupError):
    """No such assessment for this firm (also when it belongs to another firm)."""

    def __init__(self) -> None:
        super().__init__("No se encontró esa evaluación para su empresa.")


class AssessmentLocked(Exception):
    """The assessment was submitted: its answers and result can no longer change."""

    def __init__(self) -> None:
        super().__init__(
            "Esta evaluación ya fue enviada y no se puede modificar. "
            "Inicie una nueva evaluación para registrar cambios."
        )


class SavedVersion(NamedTuple):
    """An assessment's version before and after one write of its answers.

    ``Assessment.updated_at`` is the version of an assessment's answers: every function here
    that changes an answer (``save_answers``, ``confirm_carried``, ``submit``) sets it, so a
    copy of the answers kept with the version it was read at stays valid while it is unchanged.
    """

    before: dt.datetime | None  # None: unknown (another writer came in between)
    after: dt.datetime


def start_assessment(
    session: Session,
    firm_id: int,
    questionnaire: LoadedQuestionnaire | QuestionnaireMeta | tuple[str, str, str],
    depth: str,
    is_demo: bool = False,
) -> Assessment:
    """Create a draft assessment for ``firm_id``; flushes, does not commit.

    Given the loaded questionnaire, its YAML is archived by content hash in the same
    transaction (storage.questionnaires), so the draft can be continued and its reports rebuilt
    after the file changes. A bare (id, version, hash) is for callers that archived it already.
    """
    if depth not in DEPTHS:
        raise ValueError(f"depth must be one of {DEPTHS}, not {depth!r}")
    if isinstance(questionnaire, LoadedQuestionnaire):
        meta = QuestionnaireMeta(
            questionnaire.id, questionnaire.version, questionnaire.content_hash
        )
    else:
        meta = QuestionnaireMeta(*questionnaire)
    if session.get(Firm, firm_id) is None:
        raise AssessmentNotFound()
    if isinstance(questionnaire, LoadedQuestionnaire):
        archive(session, questionnaire)
    now = utcnow()
    assessment = Assessment(
        firm_id=firm_id,
        questionnaire_id=meta.id,
        questionnaire_version=meta.version,
        questionnaire_hash=meta.hash,
        depth=depth,
        status="borrador",
        created_at=now,
        updated_at=now,
        is_demo=is_demo,
    )
    session.add(assessment)
    session.flush()
    return assessment


def list_assessments(session: Session, firm_id: int) -> list[Assessment]:
    """The firm's assessments, newest first."""
    query = (
        select(Assessment)
        .where(Assessment.firm_id == firm_id)
        .order_by(Assessment.created_at.desc(), Assessment.id.desc())
    )
    return list(session.scalars(query))


# Built once with bound parameters: every save of the form reads the assessment this way.
_ASSESSMENT = select(Assessment).where(
    Assessment.id == bindparam("assessment_id"), Assessment.firm_id == bindparam("firm_id")
)
_ASSESSMENT_FOR_UPDATE = _ASSESSMENT.with_for_update()
_EXISTING_ANSWERS = select(Answer).where(
    Answer.assessment_id == bindparam("assessment_id"),
    Answer.question_id.in_(bindparam("question_ids", expanding=True)),
)


def get_assessment(
    session: Session, assessment_id: int, firm_id: int, for_update: bool = False
) -> Assessment | None:
    """The assessment if it belongs to ``firm_id``; None otherwise (never another firm's)."""
    # PostgreSQL locks the row; SQLite serialises writers anyway
    query = _ASSESSMENT_FOR_UPDATE if for_update else _ASSESSMENT
    return session.scalar(query, {"assessment_id": assessment_id, "firm_id": firm_id})


def _editable(session: Session, assessment_id: int, firm_id: int) -> Assessment:
    assessment = get_assessment(session, assessment_id, firm_id, for_update=True)
    if assessment is None:
        raise AssessmentNotFound()
    if assessment.status != "borrador":
        raise AssessmentLocked()
    return assessment


def _check_value(question_id: str, value: object) -> None:
    """Only JSON kinds an answer can take: level, number, text, list of texts."""
    if isinstance(value, bool):
        raise TypeError(f"answer {question_id!r}: booleans are not answers")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"answer {question_id!r}: number must be finite")
    if isinstance(value, (int, float, str)):
        return
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return
    raise TypeError(f"answer {question_id!r}: unsupported value {value!r}")


def save_answers(
    session: Session,
    assessment_id: int,
    firm_id: int,
    answers: Mapping[str, object],
    sources: Mapping[str, str] | None = None,
    current_section: str | None = None,
    comments: Mapping[str, str | None] | None = None,
    answered_by: int | None = None,
    carried: bool = False,
) -> SavedVersion:
    """Insert or update answers (None deletes one) and remember the section to resume at.

    ``answered_by``: the account that gave them. ``carried``: copied from the firm's earlier
    assessment and not yet confirmed; an answer saved otherwise counts as confirmed.

    Returns the assessment's version (``updated_at``) just before and just after this write: a
    copy of the answers taken at version ``before`` plus these changes is exactly what the
    database holds at ``after``. ``before`` is None when another writer changed the assessment
    after it was read here (SQLite runs that first read outside the write transaction)."""
    sources = sources or {}
    comments = comments or {}
    for question_id, value in answers.items():
        if value is not None:
            _check_value(question_id, value)
    for question_id, source in sources.items():
        if source is not None and source not in SOURCES:
            raise ValueError(f"source of {question_id!r} must be one of {SOURCES}")
    assessment = _editable(session, assessment_id, firm_id)
    before = assessment.updated_at
    now = utcnow()
    existing = {
        row.question_id: row
        for row in session.scalars(
            _EXISTING_ANSWERS, {"assessment_id": assessment.id, "question_ids": list(answers)}
        )
    }
    for question_id, value in answers.items():
        row = existing.get(question_id)
        if value is None:
            if row is not None:
                session.delete(row)
            continue
        if row is None:
            row = Answer(assessment_id=assessment.id, question_id=question_id)
            session.add(row)
        row.value = value
        row.source = sources.get(question_id)
        row.comment = comments.get(question_id) or None
        row.updated_at = now
        row.answered_by = answered_by
        row.carried_over = carried
    values: dict[str, object] = {"updated_at": now}
    if current_section is not None:
        values["current_section"] = current_section
    # Set the new version only where the row still has the one read above: this statement runs
    # after the answers were written, so it holds the write lock (SQLite) or the row lock
    # (PostgreSQL), and no other writer can come between it and the commit.
    claimed = session.execute(
        update(Assessment)
        .where(Assessment.id == assessment.id, Assessment.updated_at == before)
        .values(values),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        session.execute(
            update(Assessment).where(Assessment.id == assessment.id).values(values),
            execution_options={"synchronize_session": False},
        )
        before = None
    for key, value in values.items():  # the loaded object says what the database now holds
        set_committed_value(assessment, key, value)
    session.flush()
    return SavedVersion(before, now)


def confirm_carried(
    session: Session,
    assessment_id: int,
    firm_id: int,
    question_ids: list[str],
    answered_by: int | None = None,
) -> int:
    """Mark carried-over answers as confirmed by ``answered_by``; how many were confirmed."""
    assessment = _editable(session, assessment_id, firm_id)
    rows = session.scalars(
        select(Answer).where(
            Answer.assessment_id == assessment.id,
            Answer.question_id.in_(list(question_ids)),
            Answer.carried_over.is_(True),
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.carried_over = False
        row.answered_by = answered_by
        row.updated_at = now
    if rows:
        assessment.updated_at = now
    session.flush()
    return len(rows)


def carried_questions(session: Session, assessment_id: int, firm_id: int) -> set[str]:
    """Questions whose answer was carried over from an earlier assessment, not yet confirmed."""
    query = (
        select(Answer.question_id)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .where(
            Answer.assessment_id == assessment_id,
            Assessment.firm_id == firm_id,
            Answer.carried_over.is_(True),
        )
    )
    return set(session.scalars(query))


def answer_authors(session: Session, assessment_id: int, firm_id: int) -> dict[str, str]:
    """Who gave each answer (the account's name), only when the firm has more than one account;
    never names an account of another firm."""
    members = session.scalar(
        select(func.count()).select_from(Account).where(Account.firm_id == firm_id)
    )
    if not members or members < 2:
        return {}
    query = (
        select(Answer.question_id, Account.display_name)
        .join(Assessment, Assessment.id == Answer.assessment_id)
        .join(Account, Account.id == Answer.answered_by)
        .where(
            Answer.assessment_id == assessment_id,
            Assessment.firm_id == firm_id,
            Account.firm_id == firm_id,
        )
    )
    return {question_id: name for question_id, name in session.execute(query)}


def registry_figures(session: Session, firm_id: int) -> dict[str, object]:
    """What the firm declared at registration (or updated since): sales, their year, workers."""
    firm = session.get(Firm, firm_id)
    if firm is None:
        return {}
    return {
        "annual_sales": firm.annual_sales,
        "sales_year": firm.sales_year,
        "workers": firm.workers,
    }


class EarlierAnswers(NamedTuple):
    """The answers of one of the firm's earlier assessments (to carry over or compare)."""

    assessment_id: int
    date: dt.datetime  # when it was submitted, or started for a draft
    answers: dict[str, Any]
    sources: dict[str, str]
    comments: dict[str, str]


def _answers_of(session: Session, assessment: Assessment) -> EarlierAnswers:
    answers: dict[str, Any] = {}
    sources: dict[str, str] = {}
    comments: dict[str, str] = {}
    rows = session.execute(
        select(Answer.question_id, Answer.value, Answer.source, Answer.comment).where(
            Answer.assessment_id == assessment.id
        )
    )
    for question_id, value, source, comment in rows:
        answers[question_id] = value
        if source:
            sources[question_id] = source
        if comment:
            comments[question_id] = comment
    return EarlierAnswers(
        assessment.id,
        assessment.submitted_at or assessment.created_at,
        answers,
        sources,
        comments,
    )


def earlier_answers(
    session: Session,
    firm_id: int,
    question_ids: set[str] | frozenset[str],
    before_id: int | None = None,
) -> EarlierAnswers | None:
    """The firm's latest assessment (submitted or draft, started before ``before_id`` when given)
    that answered at least one of ``question_ids``, with its answers; None when there is none."""
    has_common = (
        select(Answer.id)
        .where(Answer.assessment_id == Assessment.id, Answer.question_id.in_(list(question_ids)))
        .exists()
    )
    query = select(Assessment).where(Assessment.firm_id == firm_id, has_common)
    if before_id is not None:
        query = query.where(Assessment.id < before_id)
    query = query.order_by(Assessment.id.desc()).limit(1)
    found = session.scalar(query)
    return None if found is None else _answers_of(session, found)


class AnswerChange(NamedTuple):
    """One question answered differently (or only once) in two assessments."""

    question_id: str
    before: Any  # None: not answered then
    after: Any  # None: not answered now
    source_before: str | None
    source_after: str | None


def answer_changes(
    session: Session, firm_id: int, assessment_id: int
) -> tuple[EarlierAnswers, list[AnswerChange]] | None:
    """What changed in the firm's assessment since its previous submitted one (submitted
    before it): per question, before and after. None when there is no previous one (or the
    assessment is not this firm's)."""
    current = get_assessment(session, assessment_id, firm_id)
    if current is None:
        return None
    query = select(Assessment).where(
        Assessment.firm_id == firm_id,
        Assessment.status == "enviada",
        Assessment.id != current.id,
    )
    if current.submitted_at is not None:
        query = query.where(Assessment.submitted_at < current.submitted_at)
    previous = session.scalar(
        query.order_by(Assessment.submitted_at.desc(), Assessment.id.desc()).limit(1)
    )
    if previous is None:
        return None
    before = _answers_of(session, previous)
    after = _answers_of(session, current)
    changes = [
        AnswerChange(
            qid,
            before.answers.get(qid),
            after.answers.get(qid),
            before.sources.get(qid),
            after.sources.get(qid),
        )
        for qid in sorted(set(before.answers) | set(after.answers))
        if before.answers.get(qid) != after.answers.get(qid)
        or before.sources.get(qid) != after.sources.get(qid)
    ]
    return before, changes


def load_answers(
    session: Session, assessment_id: int, firm_id: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """The saved answers and their sources (only number answers have one)."""
    if get_assessment(session, assessment_id, firm_id) is None:
        raise AssessmentNotFound()
    rows = session.scalars(select(Answer).where(Answer.assessment_id == assessment_id))
    answers: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for row in rows:
        answers[row.question_id] = row.value
        if row.source:
            sources[row.question_id] = row.source
    return answers, sources


# What every rerun of the form reads of its assessment: status, depth, dates, section,
# questionnaire and ``updated_at`` (the version of its answers). Read by ``assessment_row`` or,
# for the assessment the page asks for, with the login (``storage.sessions.identity_for_token``).
ASSESSMENT_ROW_COLUMNS = (
    Assessment.status,
    Assessment.depth,
    Assessment.created_at,
    Assessment.submitted_at,
    Assessment.current_section,
    Assessment.questionnaire_id,
    Assessment.questionnaire_hash,
    Assessment.updated_at,
)
# Read when the login did not read the assessment; built once with bound parameters
# (SQLAlchemy reuses the compiled statements). The answers are another small query: a join
# would repeat and re-parse the assessment's dates on every answer row.
_ASSESSMENT_ROW = select(*ASSESSMENT_ROW_COLUMNS).where(
    Assessment.id == bindparam("assessment_id"), Assessment.firm_id == bindparam("firm_id")
)
_ANSWER_ROWS = select(
    Answer.question_id, Answer.value, Answer.source, Answer.comment, Answer.carried_over
).where(Answer.assessment_id == bindparam("assessment_id"))


class AnswerSnapshot(NamedTuple):
    """Everything the form shows of an assessment's saved answers, read in one query."""

    answers: dict[str, Any]
    sources: dict[str, str]
    comments: dict[str, str]  # a «No aplica» reason or the firm's note
    carried: set[str]  # carried over from an earlier assessment, not yet confirmed


def assessment_row(
    connection: Connection | Session, assessment_id: int, firm_id: int
) -> RowMapping | None:
    """The firm's assessment (status, depth, dates, section, questionnaire and ``updated_at``,
    the version of its answers); None when it is not this firm's (or does not exist)."""
    params = {"assessment_id": assessment_id, "firm_id": firm_id}
    return connection.execute(_ASSESSMENT_ROW, params).mappings().first()


def answer_snapshot(connection: Connection | Session, assessment_id: int) -> AnswerSnapshot:
    """The saved answers of an assessment with their sources, comments and carried-over marks.

    Not scoped to a firm by itself: call it only for an id ``assessment_row`` (or the login's
    read, ``storage.sessions.assessment_of``) found for the firm, in the same transaction or
    keyed by the version it returned."""
    snapshot = AnswerSnapshot({}, {}, {}, set())
    params = {"assessment_id": assessment_id}
    for question_id, value, source, comment, carried in connection.execute(_ANSWER_ROWS, params):
        snapshot.answers[question_id] = value
        if source:
            snapshot.sources[question_id] = source
        if comment is not None:
            snapshot.comments[question_id] = comment
        if carried:
            snapshot.carried.add(question_id)
    return snapshot


def assessment_with_answers(
    connection: Connection | Session, assessment_id: int, firm_id: int
) -> tuple[RowMapping, dict[str, Any], dict[str, str]] | None:
    """The firm's assessment (``assessment_row``) with its saved answers and sources; None when
    it is not this firm's (or does not exist)."""
    row = assessment_row(connection, assessment_id, firm_id)
    if row is None:
        return None
    snapshot = answer_snapshot(connection, assessment_id)
    return row, snapshot.answers, snapshot.sources


def load_comments(session: Session, assessment_id: int, firm_id: int) -> dict[str, str]:
    """Comments left on answers, by question id."""
    if get_assessment(session, assessment_id, firm_id) is None:
        raise AssessmentNotFound()
    query = select(Answer.question_id, Answer.comment).where(
        Answer.assessment_id == assessment_id, Answer.comment.is_not(None)
    )
    return {question_id: comment for question_id, comment in session.execute(query)}


def submit(
    session: Session, assessment_id: int, firm_id: int, result_summary: Mapping[str, Any]
) -> Result:
    """Mark the assessment "enviada" and store its result, in the caller's transaction.

    ``result_summary`` keys: ``RESULT_COLUMNS`` (``coverage`` required) plus ``scores`` and
    ``detail`` (JSON-serialisable dicts). The firm's CIIU division, size and region are copied.
    """
    unknown = set(result_summary) - set(RESULT_KEYS)
    if unknown:
        raise ValueError(f"unknown result keys: {sorted(unknown)}")
    if "coverage" not in result_summary:
        raise ValueError("result_summary needs 'coverage'")
    assessment = _editable(session, assessment_id, firm_id)
    firm = session.get_one(Firm, firm_id)
    now = utcnow()
    result = Result(
        assessment_id=assessment.id,
        scored_at=now,
        scores_json=dict(result_summary.get("scores") or {}),
        detail_json=dict(result_summary.get("detail") or {}),
        ciiu_division=firm.ciiu_division,
        size_class=firm.size_class,
        region=firm.region,
        dont_know_count=0,
    )
    for key in RESULT_COLUMNS:
        if key in result_summary:
            setattr(result, key, result_summary[key])
    assessment.status = "enviada"
    assessment.submitted_at = now
    assessment.updated_at = now
    session.add(result)
    session.flush()
    return result


def get_result(session: Session, assessment_id: int, firm_id: int) -> Result | None:
    """The stored result of the firm's submitted assessment, if any."""
    query = (
        select(Result)
        .join(Assessment, Assessment.id == Result.assessment_id)
        .where(Assessment.id == assessment_id, Assessment.firm_id == firm_id)
    )
    return session.scalar(query)


def scores_summary(result: ScoreResult) -> dict[str, Any]:
    """The narrow ``scores_json``: scores by the ids the questionnaire declares."""
    return {
        "dimensiones": {d.id: d.puntaje for d in result.dimensiones},
        "ejes": {t.id: t.puntaje for t in result.ejes},
        "rutas": {r.id: r.puntaje for r in result.rutas},
        "indices": {i.id: i.puntaje for i in result.indices},
        "metodo": result.metodo,
    }


def result_summary(result: ScoreResult) -> dict:
    """What ``storage.assessments.submit`` stores for a scored assessment."""
    return {
        "overall": result.global_.puntaje,
        "level": result.global_.nivel or None,
        "weakest_dimension": result.dimension_mas_debil,
        "performance": result.desempeno,
        "coverage": float(result.cobertura.get("porcentaje", 0.0)),
        "dont_know_count": len(result.brechas),
        "scores": scores_summary(result),
        "detail": result.to_dict(),
    }
