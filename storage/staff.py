"""What SNI staff may read about individual firms: only those with ``consent_share_sni``.

Every query here filters on that consent, so a page cannot show a non-consenting firm by
passing its id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from storage.models import Assessment, Firm, PanelRow, Result

FIRM_COLUMNS = (
    "firm_id",
    "ruc",
    "razon_social",
    "ciiu_division",
    "size_class",
    "region",
    "workers",
    "is_demo",
    "evaluaciones",
    "ultima",
)
ASSESSMENT_COLUMNS = (
    "assessment_id",
    "firm_id",
    "ruc",
    "razon_social",
    "is_demo",
    "ciiu_division",
    "size_class",
    "region",
    "questionnaire_id",
    "questionnaire_version",
    "questionnaire_hash",
    "depth",
    "submitted_at",
    "overall",
    "level",
    "performance",
    "coverage",
    "dont_know_count",
)
# Then one column per stored score, named by the ids the result declares: "dim_<id>",
# "ruta_<id>", "idx_<id>" (as the panel frame of storage.results_table).
SCORE_PREFIXES = {"dimensiones": "dim_", "rutas": "ruta_", "indices": "idx_"}


# The firm's own columns of FIRM_COLUMNS, in that order.
_FIRM_FIELDS = (
    Firm.id,
    Firm.ruc,
    Firm.razon_social,
    Firm.ciiu_division,
    Firm.size_class,
    Firm.region,
    Firm.workers,
    Firm.is_demo,
)


def sharing_firms(session: Session, search: str = "") -> pd.DataFrame:
    """Firms that share results with SNI, with their submitted assessment count and last date."""
    submitted = (
        select(
            Assessment.firm_id,
            func.count().label("evaluaciones"),
            func.max(Assessment.submitted_at).label("ultima"),
        )
        .where(Assessment.status == "enviada")
        .group_by(Assessment.firm_id)
        .subquery()
    )
    query = _search(
        select(*_FIRM_FIELDS, func.coalesce(submitted.c.evaluaciones, 0), submitted.c.ultima)
        .outerjoin(submitted, submitted.c.firm_id == Firm.id)
        .where(Firm.consent_share_sni.is_(true())),
        search,
    ).order_by(Firm.razon_social, Firm.id)
    frame = pd.DataFrame(session.execute(query).all(), columns=list(FIRM_COLUMNS))
    frame["ultima"] = pd.to_datetime(frame["ultima"], utc=True)
    return frame


def _search(query: Any, search: str) -> Any:
    text = search.strip()
    if not text:
        return query
    pattern = f"%{text.lower()}%"
    return query.where(func.lower(Firm.razon_social).like(pattern) | Firm.ruc.like(pattern))


def sharing_firms_page(
    session: Session, search: str = "", limit: int = 100, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """One page of ``sharing_firms`` (same columns, ordered by name) and how many match.

    Paged in SQL along the (razon_social, id) index, with the assessment count and last date
    read only for the page's firms: the page costs the same with a million assessments."""
    consenting = Firm.consent_share_sni.is_(true())
    total = session.scalar(
        _search(select(func.count()).select_from(Firm), search).where(consenting)
    )
    query = _search(select(*_FIRM_FIELDS).where(consenting), search).order_by(
        Firm.razon_social, Firm.id
    )
    rows = session.execute(query.limit(limit).offset(offset)).all()
    frame = pd.DataFrame(rows, columns=list(FIRM_COLUMNS[: len(_FIRM_FIELDS)]))
    ids = [int(i) for i in frame["firm_id"]]
    found: dict[int, tuple[int, Any]] = {}
    if ids:
        submitted = (
            select(Assessment.firm_id, func.count(), func.max(Assessment.submitted_at))
            .where(Assessment.status == "enviada", Assessment.firm_id.in_(ids))
            .group_by(Assessment.firm_id)
        )
        found = {firm: (count, last) for firm, count, last in session.execute(submitted)}
    frame["evaluaciones"] = [found.get(i, (0, None))[0] for i in ids]
    frame["ultima"] = pd.to_datetime([found.get(i, (0, None))[1] for i in ids], utc=True)
    return frame, int(total or 0)


def sharing_firm(session: Session, firm_id: int) -> Firm | None:
    """The firm if it shares its results with SNI; None otherwise (never a non-consenting one)."""
    return session.scalar(
        select(Firm).where(Firm.id == firm_id, Firm.consent_share_sni.is_(true()))
    )


def score_columns(scores: dict[str, Any] | None) -> dict[str, float | None]:
    """``dim_``/``ruta_``/``idx_`` columns from a stored ``scores_json``."""
    found: dict[str, float | None] = {}
    for key, prefix in SCORE_PREFIXES.items():
        for ident, value in ((scores or {}).get(key) or {}).items():
            found[f"{prefix}{ident}"] = value
    return found


def shared_assessments(
    session: Session,
    firm_ids: list[int] | None = None,
    questionnaire_id: str | None = None,
    depth: str | None = None,
    questionnaire_hash: str | None = None,
    with_detail: bool = False,
    after_id: int | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """Submitted assessments with their scores, of consenting firms (all, or ``firm_ids``).

    Sector, size and region are those the assessment was scored with. ``with_detail`` adds the
    stored ``ScoreResult.to_dict()`` as a ``detail`` column (empty dict for bulk-loaded rows).
    With ``limit`` the rows come in assessment id order after ``after_id`` (keyset pages for
    exports that stream, issue 11); otherwise by firm and newest first.
    """
    query = (
        select(
            Assessment.id,
            Assessment.firm_id,
            Firm.ruc,
            Firm.razon_social,
            Firm.is_demo,
            Result.ciiu_division,
            Result.size_class,
            Result.region,
            Assessment.questionnaire_id,
            Assessment.questionnaire_version,
            Assessment.questionnaire_hash,
            Assessment.depth,
            Assessment.submitted_at,
            *(getattr(Result, name) for name in ASSESSMENT_COLUMNS[13:]),
            Result.scores_json,
            *((Result.detail_json,) if with_detail else ()),
        )
        .join(Result, Result.assessment_id == Assessment.id)
        .join(Firm, Firm.id == Assessment.firm_id)
        .where(Assessment.status == "enviada", Firm.consent_share_sni.is_(true()))
    )
    if limit is None:
        query = query.order_by(
            Assessment.firm_id, Assessment.submitted_at.desc(), Assessment.id.desc()
        )
    else:
        query = query.where(Assessment.id > (after_id or 0)).order_by(Assessment.id).limit(limit)
    if firm_ids is not None:
        query = query.where(Assessment.firm_id.in_(firm_ids))
    if questionnaire_id is not None:
        query = query.where(Assessment.questionnaire_id == questionnaire_id)
    if depth is not None:
        query = query.where(Assessment.depth == depth)
    if questionnaire_hash is not None:
        query = query.where(Assessment.questionnaire_hash == questionnaire_hash)
    rows = session.execute(query).all()
    width = len(ASSESSMENT_COLUMNS)
    frame = pd.DataFrame([row[:width] for row in rows], columns=list(ASSESSMENT_COLUMNS))
    scores = pd.DataFrame([score_columns(row[width]) for row in rows], index=frame.index)
    if len(scores.columns):
        frame = pd.concat([frame, scores.astype("float64")], axis=1)
    if with_detail:
        frame["detail"] = [dict(row[width + 1] or {}) for row in rows]
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["is_demo"] = frame["is_demo"].astype(bool)
    return frame


@dataclass(frozen=True)
class SharedAssessment:
    """A consenting firm's submitted assessment with what a report needs."""

    firm: Firm
    assessment: Assessment
    submitted_at: dt.datetime


def shared_assessment(
    session: Session, firm_id: int, assessment_id: int
) -> SharedAssessment | None:
    firm = sharing_firm(session, firm_id)
    if firm is None:
        return None
    assessment = session.scalar(
        select(Assessment).where(
            Assessment.id == assessment_id,
            Assessment.firm_id == firm_id,
            Assessment.status == "enviada",
        )
    )
    if assessment is None or assessment.submitted_at is None:
        return None
    return SharedAssessment(firm, assessment, assessment.submitted_at)


def shared_count(
    session: Session, questionnaire_id: str, depth: str, questionnaire_hash: str
) -> int:
    """How many submitted assessments of one version the sharing firms have (for progress)."""
    query = (
        select(func.count())
        .select_from(Assessment)
        .join(Firm, Firm.id == Assessment.firm_id)
        .where(
            Assessment.status == "enviada",
            Firm.consent_share_sni.is_(true()),
            Assessment.questionnaire_id == questionnaire_id,
            Assessment.depth == depth,
            Assessment.questionnaire_hash == questionnaire_hash,
        )
    )
    return int(session.scalar(query) or 0)


SHARED_LIST_COLUMNS = (
    "assessment_id",
    "firm_id",
    "ruc",
    "is_demo",
    "questionnaire_version",
    "submitted_at",
    "ciiu_division",
    "size_class",
    "region",
)


def shared_list(
    session: Session, questionnaire_id: str, depth: str, questionnaire_hash: str
) -> pd.DataFrame:
    """Every submitted assessment of one version of the firms that share with SNI, with only
    what filters need (no scores, no detail): from the narrow panel rows and the firm."""
    query = (
        select(
            PanelRow.assessment_id,
            PanelRow.firm_id,
            Firm.ruc,
            PanelRow.is_demo,
            PanelRow.questionnaire_version,
            PanelRow.submitted_at,
            PanelRow.ciiu_division,
            PanelRow.size_class,
            PanelRow.region,
        )
        .join(Firm, Firm.id == PanelRow.firm_id)
        .where(
            Firm.consent_share_sni.is_(true()),
            PanelRow.questionnaire_id == questionnaire_id,
            PanelRow.depth == depth,
            PanelRow.questionnaire_hash == questionnaire_hash,
        )
        .order_by(PanelRow.firm_id, PanelRow.submitted_at, PanelRow.assessment_id)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(SHARED_LIST_COLUMNS))
    frame["submitted_at"] = pd.to_datetime(frame["submitted_at"], utc=True)
    frame["is_demo"] = frame["is_demo"].astype(bool)
    return frame


def sharing_firm_ids(session: Session) -> np.ndarray:
    """Sorted ids of the firms that share their results with SNI now."""
    query = select(Firm.id).where(Firm.consent_share_sni.is_(true()))
    return np.sort(np.fromiter(session.scalars(query), dtype=np.int64))
