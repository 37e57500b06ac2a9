"""Staff read model: one narrow row per submitted assessment with a float32 score vector.

A vector holds, in the compiled questionnaire's order: the principal score (method 2.0: the
principal index; "No sé" counted 0), level (after the legal-floor cap), the band of the
principal score ("No sé" left out, "No sé" as the top level), legal floor met (1/0, NaN when
the questionnaire has none), provisional (1/0), dimensions, indices, routes, performance,
coverage, "No sé" count, theme scores, practice question codes (0–4 a level, -1 "No sé", -2
unanswered, -3 "No aplica", -4 hidden) and valid indicator values (NaN when invalid). Format 1
(before method 2.0) had only overall and level before the dimensions and no indices.
Column names are stored once per questionnaire hash, depth and format in ``panel_formatos``, so
old versions and formats decode without their YAML. ``load_results_frame`` reads 100 000 rows
in one query and decodes every vector with a single ``numpy.frombuffer``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, bindparam, func, or_, select, true, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from scoring import schema
from scoring.compiled import CompiledQuestionnaire
from scoring.engine import BatchScores
from scoring.result import ScoreResult
from storage.models import (
    Assessment,
    CountedFirmsVersion,
    Firm,
    PanelLayout,
    PanelRow,
    PanelVersion,
)

VECTOR_FORMAT = 2
QUESTION_PREFIX = "preg_"
INDEX_PREFIX = "idx_"
REQUIREMENT_PREFIX = "req_"
# Legal-floor items: the answer's code (NaN when unknown, for example in bulk loads).
REQUIREMENT_CODES = {"si": 0.0, "no": 1.0, "en_tramite": 2.0, "no_corresponde": 3.0}
REQUIREMENT_CODES["sin_respuesta"] = 4.0
REQUIREMENT_UNMET = (1.0, 2.0, 4.0)  # no, en trámite, sin respuesta
SUMMARY_COLUMNS = (
    "global",
    "nivel",
    "global_sin_no_se",
    "global_maximo",
    "piso_legal",
    "provisional",
)
TAIL_COLUMNS = ("desempeno", "cobertura", "no_se")
STATE_CODES = {"no_se": -1.0, "sin_respuesta": -2.0, "no_aplica": -3.0, "oculta": -4.0}
META_COLUMNS = (
    "assessment_id",
    "firm_id",
    "questionnaire_version",
    "questionnaire_hash",
    "vector_format",
    "submitted_at",
    "is_demo",
    "ciiu_division",
    "size_class",
    "region",
)


def vector_columns(compiled: CompiledQuestionnaire) -> list[str]:
    """Names of the vector's entries for ``compiled`` (the frame's score column names)."""
    return [
        *SUMMARY_COLUMNS,
        *(f"dim_{d.id}" for d in compiled.dimensions),
        *(f"{INDEX_PREFIX}{i.id}" for i in compiled.indices),
        *(f"ruta_{r}" for r in schema.ROUTES),
        *TAIL_COLUMNS,
        *(f"eje_{t.id}" for t in compiled.themes),
        *(f"{QUESTION_PREFIX}{q.id}" for q in compiled.practice),
        *(f"ind_{i.model.id}" for i in compiled.indicators),
        *(f"{REQUIREMENT_PREFIX}{q.id}" for q in compiled.requirements),
    ]


def _nan(value: float | None) -> float:
    return np.nan if value is None else float(value)


def _detail_values(detail: Mapping[str, Any]) -> tuple[list[str], list[float]]:
    """Column names and values from a ``ScoreResult.to_dict()`` (what ``detail_json`` stores)."""
    names = [*SUMMARY_COLUMNS]
    overall = detail["global"]
    floor = detail.get("piso_legal")
    values = [
        _nan(overall["puntaje"]),
        float(overall["nivel"] or 0),
        _nan(overall.get("puntaje_sin_no_se")),
        _nan(overall.get("puntaje_maximo")),
        np.nan if floor is None else float(bool(floor["cumple"])),
        float(bool(detail.get("provisional", False))),
    ]
    for score in detail["dimensiones"]:
        names.append(f"dim_{score['id']}")
        values.append(_nan(score["puntaje"]))
    for score in detail.get("indices") or []:
        names.append(f"{INDEX_PREFIX}{score['id']}")
        values.append(_nan(score["puntaje"]))
    for score in detail["rutas"]:
        names.append(f"ruta_{score['id']}")
        values.append(_nan(score["puntaje"]))
    names += TAIL_COLUMNS
    values += [
        _nan(detail["desempeno"]),
        float(detail["cobertura"]["porcentaje"]),
        float(len(detail["brechas"])),
    ]
    for score in detail["ejes"]:
        names.append(f"eje_{score['id']}")
        values.append(_nan(score["puntaje"]))
    for question in detail["preguntas"]:
        names.append(f"{QUESTION_PREFIX}{question['id']}")
        state = question["estado"]
        values.append(float(question["nivel"]) if state == "nivel" else STATE_CODES[state])
    for indicator in detail["indicadores"]:
        names.append(f"ind_{indicator['id']}")
        values.append(_nan(indicator["valor"]) if indicator["valido"] else np.nan)
    for requirement in (floor or {}).get("requisitos") or []:
        names.append(f"{REQUIREMENT_PREFIX}{requirement['id']}")
        values.append(REQUIREMENT_CODES.get(requirement["estado"], np.nan))
    return names, values


def detail_vector(detail: Mapping[str, Any]) -> tuple[list[str], bytes]:
    """Column names and float32 bytes rebuilt from a stored ``detail_json`` (for backfills)."""
    names, values = _detail_values(detail)
    return names, np.asarray(values, dtype=np.float32).tobytes()


def result_vector(compiled: CompiledQuestionnaire, result: ScoreResult) -> bytes:
    """The float32 vector of one scored assessment, in ``vector_columns(compiled)`` order."""
    names, vector = detail_vector(result.to_dict())
    if names != vector_columns(compiled):
        raise ValueError("the result was not scored with this compiled questionnaire")
    return vector


def batch_vectors(
    compiled: CompiledQuestionnaire,
    batch: BatchScores,
    codes: np.ndarray,
    requirements: np.ndarray | None = None,
) -> np.ndarray:
    """N × K float32 vectors of a scored batch; ``codes`` is ``Encoded.practice`` and
    ``requirements`` ``Encoded.requirements`` (legal-floor answers; None: unknown)."""
    valid_values = np.where(batch.indicator_valid, batch.indicator_values, np.nan)
    n = len(batch.level)
    floor = (
        np.full(n, np.nan)
        if compiled.model.piso_legal is None
        else np.asarray(batch.floor_met, dtype=np.float64)
    )
    parts = [
        batch.overall[:, None],
        batch.level[:, None],
        batch.point.overall[:, None],
        batch.high.overall[:, None],
        floor[:, None],
        np.asarray(batch.provisional, dtype=np.float64)[:, None],
        batch.dimensions,
        np.asarray(batch.indices, dtype=np.float64).reshape(n, len(compiled.indices)),
        batch.routes,
        batch.performance[:, None],
        batch.coverage[:, None],
        batch.counts["no_se"][:, None],
        batch.themes,
        codes,
        valid_values,
        _requirement_codes(requirements, n, len(compiled.requirements)),
    ]
    return np.hstack([np.asarray(p, dtype=np.float64) for p in parts]).astype(np.float32)


def _requirement_codes(answers: np.ndarray | None, n: int, count: int) -> np.ndarray:
    if answers is None or count == 0:
        return np.full((n, count), np.nan)
    lookup = np.vectorize(lambda a: REQUIREMENT_CODES.get(a, 4.0), otypes=[float])
    return lookup(np.asarray(answers, dtype=object).reshape(n, count))


# --- writing -----------------------------------------------------------------------------------


def ensure_layout(session: Session, questionnaire_hash: str, depth: str, columns: list[str]):
    """Record the column names of a vector layout once (safe when two submits race)."""
    key = (questionnaire_hash, depth, VECTOR_FORMAT)
    existing = session.get(PanelLayout, key)
    if existing is not None:
        if existing.columns != columns:
            raise ValueError(f"vector layout {key} already stored with other columns")
        return
    try:
        with session.begin_nested():
            session.add(
                PanelLayout(
                    questionnaire_hash=questionnaire_hash,
                    depth=depth,
                    vector_format=VECTOR_FORMAT,
                    columns=columns,
                )
            )
    except IntegrityError:  # stored concurrently by another submission: same content
        pass


def _panel_row(assessment: Assessment, firm: Firm, vector: bytes) -> PanelRow:
    assert assessment.submitted_at is not None
    return PanelRow(
        assessment_id=assessment.id,
        firm_id=firm.id,
        questionnaire_id=assessment.questionnaire_id,
        questionnaire_version=assessment.questionnaire_version,
        questionnaire_hash=assessment.questionnaire_hash,
        depth=assessment.depth,
        submitted_at=assessment.submitted_at,
        is_demo=bool(assessment.is_demo or firm.is_demo),
        ciiu_division=firm.ciiu_division,
        size_class=firm.size_class,
        region=firm.region,
        vector_format=VECTOR_FORMAT,
        vector=vector,
    )


def store_result_vector(
    session: Session, assessment_id: int, compiled: CompiledQuestionnaire, result: ScoreResult
) -> PanelRow:
    """Add the panel row of a just-submitted assessment, in the caller's transaction.

    Call it right after ``storage.assessments.submit`` with the same ``result``.
    """
    assessment = session.get_one(Assessment, assessment_id)
    if assessment.status != "enviada":
        raise ValueError("only submitted assessments go to the staff panel")
    firm = session.get_one(Firm, assessment.firm_id)
    ensure_layout(
        session, assessment.questionnaire_hash, assessment.depth, vector_columns(compiled)
    )
    row = _panel_row(assessment, firm, result_vector(compiled, result))
    session.add(row)
    session.flush()
    return row


def insert_panel_rows(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Bulk insert panel rows (``storage.bulk.write_rows``: COPY on PostgreSQL, executemany on
    SQLite); used by benchmarks and imports."""
    from storage.bulk import write_rows  # local: storage.bulk imports this module

    write_rows(connection, PanelRow.__table__, rows)


def backfill(session: Session) -> int:
    """Create the missing panel rows of submitted assessments from their stored detail."""
    from storage.models import Result  # local: only this maintenance path needs the wide table

    missing = (
        select(Assessment, Result.detail_json)
        .join(Result, Result.assessment_id == Assessment.id)
        .outerjoin(PanelRow, PanelRow.assessment_id == Assessment.id)
        .where(Assessment.status == "enviada", PanelRow.assessment_id.is_(None))
    )
    rows = []
    names = [c.key for c in PanelRow.__table__.columns]
    for assessment, detail in session.execute(missing).all():
        columns, vector = detail_vector(detail)
        ensure_layout(session, assessment.questionnaire_hash, assessment.depth, columns)
        row = _panel_row(assessment, session.get_one(Firm, assessment.firm_id), vector)
        rows.append({name: getattr(row, name) for name in names})
    session.flush()
    # One statement (COPY on PostgreSQL), not one per row: each statement fires the triggers
    # that keep the data version, and on PostgreSQL every one rewrites the same counter row.
    insert_panel_rows(session.connection(), rows)
    return len(rows)


# --- reading -----------------------------------------------------------------------------------


def _questionnaire_rows(
    query, questionnaire_id: str, depth: str, questionnaire_hash: str | None = None
):
    query = query.where(PanelRow.questionnaire_id == questionnaire_id, PanelRow.depth == depth)
    if questionnaire_hash is not None:
        query = query.where(PanelRow.questionnaire_hash == questionnaire_hash)
    return query


@dataclass(frozen=True)
class StoredVersion:
    """A questionnaire version (content hash) that submitted assessments were scored with."""

    questionnaire_id: str
    version: str
    hash: str
    depth: str
    last_submitted: dt.datetime


def stored_versions(
    session: Session, questionnaire_id: str | None = None, depth: str | None = None
) -> list[StoredVersion]:
    """Every (questionnaire, version, hash, depth) found in the panel rows, newest first.

    Read from the stored data, not from the files in ``cuestionarios/``: versions that are no
    longer served still have results. Two hashes never share an aggregate (they may score
    differently), so the staff pages pick one of these. Read from the data-version counters
    (one row per questionnaire, depth and hash, kept by triggers: ``storage.version_counters``)
    and the latest panel row of each (its id is the counter's largest): a few index probes on
    every staff page run, where grouping a million panel rows took seconds. "Newest" is the
    submission time of that latest row.
    """
    query = select(
        PanelVersion.questionnaire_id,
        PanelVersion.depth,
        PanelVersion.questionnaire_hash,
        PanelVersion.max_id,
    ).where(PanelVersion.row_count > 0)
    if questionnaire_id is not None:
        query = query.where(PanelVersion.questionnaire_id == questionnaire_id)
    if depth is not None:
        query = query.where(PanelVersion.depth == depth)
    found = []
    for qid, row_depth, content_hash, max_id in session.execute(query).all():
        latest = session.execute(
            select(PanelRow.questionnaire_version, PanelRow.submitted_at).where(
                PanelRow.assessment_id == max_id
            )
        ).one_or_none()
        if latest is not None:
            version, last = latest
            found.append(StoredVersion(qid, version, content_hash, row_depth, _utc(last)))
    return sorted(found, key=lambda v: (v.last_submitted, v.version, v.hash), reverse=True)


def _utc(value: Any) -> dt.datetime:
    if isinstance(value, str):  # SQLite returns the aggregate's naive UTC text
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _counted(query: Any) -> Any:
    """Firms that count in aggregates: consent to statistics, and verified by SNI staff (demo
    firms are never verified; they count only when the panel includes demo data)."""
    return query.where(
        Firm.consent_statistics.is_(true()),
        or_(Firm.verified_at.is_not(None), Firm.is_demo.is_(True)),
    )


def _consenting_firms(session: Session) -> np.ndarray:
    query = _counted(select(Firm.id))
    return np.fromiter(session.scalars(query), dtype=np.int64)


def data_version(
    session: Session, questionnaire_id: str, depth: str, questionnaire_hash: str | None = None
) -> tuple[int, ...]:
    """Changes with any submission of this questionnaire and depth, and whenever the set of
    counted firms may have changed.

    ``version[:3]``: count, largest id and sum of ids of the panel rows of that questionnaire,
    depth and hash (every hash when None). ``version[3:]``: a counter that grows whenever a
    firm that counts is registered or deleted, or a change of consent to statistics,
    verification or demo flag makes a firm start or stop counting (for the staff panel or for
    peers). Both are kept by database triggers (``storage.version_counters``), so this reads a
    few rows, however many panel rows there are.
    """
    if questionnaire_hash is None:
        query, params = _VERSION_OF_ALL_HASHES, {}
    else:
        query, params = _VERSION, {"questionnaire_hash": questionnaire_hash}
    params.update(questionnaire_id=questionnaire_id, depth=depth)
    # Core on the session's connection, statements built once: this runs on every page run.
    return tuple(int(v) for v in session.connection().execute(query, params).one())


def _version_query() -> Any:
    firms = select(CountedFirmsVersion.version).where(CountedFirmsVersion.id == 1)
    return select(
        func.coalesce(func.sum(PanelVersion.row_count), 0),
        func.coalesce(func.max(PanelVersion.max_id), 0),
        func.coalesce(func.sum(PanelVersion.id_sum), 0),
        func.coalesce(firms.scalar_subquery(), 0),
    ).where(
        PanelVersion.questionnaire_id == bindparam("questionnaire_id"),
        PanelVersion.depth == bindparam("depth"),
    )


_VERSION_OF_ALL_HASHES = _version_query()
_VERSION = _VERSION_OF_ALL_HASHES.where(
    PanelVersion.questionnaire_hash == bindparam("questionnaire_hash")
)


def layouts(session: Session, hashes: Iterable[str], depth: str) -> dict[tuple[str, int], list]:
    query = select(PanelLayout).where(
        PanelLayout.questionnaire_hash.in_(list(hashes)), PanelLayout.depth == depth
    )
    return {(r.questionnaire_hash, r.vector_format): r.columns for r in session.scalars(query)}


def _decode(blobs: Sequence[bytes], columns: list[str]) -> pd.DataFrame:
    width = len(columns)
    raw = b"".join(blobs)
    if len(raw) != 4 * width * len(blobs):
        raise ValueError("a stored vector does not match its layout")
    matrix = np.frombuffer(raw, dtype=np.float32).reshape(len(blobs), width).copy()
    questions = np.array([c.startswith(QUESTION_PREFIX) for c in columns])
    codes = matrix[:, questions]
    # Scored as the engine does: "No sé" and unanswered count 0, "No aplica" and hidden drop out.
    counted = codes >= STATE_CODES["sin_respuesta"]
    matrix[:, questions] = np.where(counted, np.maximum(codes, 0), np.nan)
    return pd.DataFrame(matrix, columns=columns)


def _raw(column: Any) -> Any:
    """The column without SQLAlchemy's per-row result processing (pandas converts it)."""
    return type_coerce(column, NullType()).label(column.key)


def load_results_frame(
    session: Session,
    questionnaire_id: str,
    depth: str,
    since: dt.datetime | None = None,
    questionnaire_hash: str | None = None,
) -> pd.DataFrame:
    """One row per submitted assessment of firms that accept statistics, sorted by firm and date.

    Profile and identity columns (``META_COLUMNS``) plus the decoded vector columns; question
    columns hold the level counted by the engine (0–4, NaN when not applicable). Consent is
    applied in numpy: a join would make SQLite look up every firm row by row. With
    ``questionnaire_hash`` only that version's rows (aggregates never mix versions that may
    score differently; without it the columns are the union of the versions' layouts).
    """
    table = PanelRow.__table__
    query = _questionnaire_rows(
        select(*(_raw(table.c[name]) for name in META_COLUMNS), _raw(table.c.vector)),
        questionnaire_id,
        depth,
        questionnaire_hash,
    )
    if since is not None:
        query = query.where(PanelRow.submitted_at >= since)
    rows = session.connection().execute(query).all()
    if not rows:
        return _empty_frame()
    columns = dict(zip((*META_COLUMNS, "vector"), zip(*rows, strict=True), strict=True))
    del rows
    blobs = columns.pop("vector")
    if len(set(columns["questionnaire_hash"])) == 1 and len(set(columns["vector_format"])) == 1:
        keys = [(columns["questionnaire_hash"][0], columns["vector_format"][0])]
    else:
        keys = list(zip(columns["questionnaire_hash"], columns["vector_format"], strict=True))
    found = layouts(session, {h for h, _ in set(keys)}, depth)
    scores = _decode_groups(blobs, keys, found)
    frame = _typed(pd.DataFrame(columns))
    if scores is not None:
        frame = pd.concat([frame, scores], axis=1)
    # One take for consent and order (firm, date): copying 100 000 wide rows twice costs.
    firms = frame["firm_id"].to_numpy()
    order = np.lexsort((frame["assessment_id"], frame["submitted_at"].astype("int64"), firms))
    order = order[np.isin(firms[order], _consenting_firms(session))]
    return frame.take(order).reset_index(drop=True)


def _decode_groups(blobs, keys, found) -> pd.DataFrame | None:
    """Decode each layout's rows; several layouts (versions) give the union of their columns."""
    distinct = list(dict.fromkeys(keys))
    if len(keys) == 1:  # every row shares one layout
        return _decode(blobs, found[keys[0]]) if keys[0] in found else None
    parts = []
    for key in distinct:
        if key not in found:  # no layout recorded: profile columns only
            continue
        positions = [i for i, k in enumerate(keys) if k == key]
        part = _decode([blobs[i] for i in positions], found[key])
        part.index = positions
        parts.append(part)
    if not parts:
        return None
    return pd.concat(parts).reindex(range(len(blobs)))


def _typed(meta: pd.DataFrame) -> pd.DataFrame:
    meta = meta.drop(columns=["vector_format"])
    meta["assessment_id"] = meta["assessment_id"].astype("int64")
    meta["firm_id"] = meta["firm_id"].astype("int64")
    when = meta["submitted_at"]
    if len(when) and isinstance(when.iloc[0], str):  # SQLite keeps naive UTC text
        meta["submitted_at"] = pd.to_datetime(when, format="ISO8601").dt.tz_localize("UTC")
    else:
        meta["submitted_at"] = pd.to_datetime(when, utc=True)
    meta["is_demo"] = meta["is_demo"].astype(bool)
    meta["ciiu_division"] = meta["ciiu_division"].astype("int16")
    for column in ("size_class", "region", "questionnaire_version", "questionnaire_hash"):
        meta[column] = meta[column].astype("category")
    return meta


def _empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame({name: [] for name in META_COLUMNS})
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    return _typed(frame)
