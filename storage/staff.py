"""What SNI staff may read about individual firms: only those with ``consent_share_sni``.

Every query here filters on that consent, so a page cannot show a non-consenting firm by
passing its id.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from storage.models import Assessment, Firm, Result

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
    query = (
        select(
            Firm.id,
            Firm.ruc,
            Firm.razon_social,
            Firm.ciiu_division,
            Firm.size_class,
            Firm.region,
            Firm.workers,
            Firm.is_demo,
            func.coalesce(submitted.c.evaluaciones, 0),
            submitted.c.ultima,
        )
        .outerjoin(submitted, submitted.c.firm_id == Firm.id)
        .where(Firm.consent_share_sni.is_(true()))
        .order_by(Firm.razon_social, Firm.id)
    )
    text = search.strip()
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(func.lower(Firm.razon_social).like(pattern) | Firm.ruc.like(pattern))
    frame = pd.DataFrame(session.execute(query).all(), columns=list(FIRM_COLUMNS))
    frame["ultima"] = pd.to_datetime(frame["ultima"], utc=True)
    return frame


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
) -> pd.DataFrame:
    """Submitted assessments with their scores, of consenting firms (all, or ``firm_ids``).

    Sector, size and region are those the assessment was scored with. ``with_detail`` adds the
    stored ``ScoreResult.to_dict()`` as a ``detail`` column (empty dict for bulk-loaded rows).
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
        .order_by(Assessment.firm_id, Assessment.submitted_at.desc(), Assessment.id.desc())
    )
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
