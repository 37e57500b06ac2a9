"""Anonymous peer scores: each consenting firm's latest submitted result, as a DataFrame."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.models import Assessment, Firm, Result

PEER_COLUMNS = (
    "ciiu_division",
    "size_class",
    "region",
    "overall",
    "economica",
    "social",
    "ambiental",
    "r1",
    "r2",
    "r3",
    "performance",
)
_SCORE_COLUMNS = PEER_COLUMNS[3:]


def peer_scores(
    session: Session,
    questionnaire_id: str,
    depth: str,
    exclude_firm_id: int | None = None,
    include_demo: bool = False,
) -> pd.DataFrame:
    """One row per firm with ``consent_statistics``: its latest submitted assessment.

    No firm id or name is returned. Demo firms count only with ``include_demo``.
    """
    latest = (
        select(
            Assessment.id.label("assessment_id"),
            func.row_number()
            .over(
                partition_by=Assessment.firm_id,
                order_by=(Assessment.submitted_at.desc(), Assessment.id.desc()),
            )
            .label("position"),
        )
        .join(Firm, Firm.id == Assessment.firm_id)
        .where(
            Assessment.status == "enviada",
            Assessment.questionnaire_id == questionnaire_id,
            Assessment.depth == depth,
            Firm.consent_statistics.is_(True),
        )
    )
    if exclude_firm_id is not None:
        latest = latest.where(Assessment.firm_id != exclude_firm_id)
    if not include_demo:
        latest = latest.where(Firm.is_demo.is_(False))
    latest_sub = latest.subquery()
    query = (
        select(*(getattr(Result, name) for name in PEER_COLUMNS))
        .join(latest_sub, latest_sub.c.assessment_id == Result.assessment_id)
        .where(latest_sub.c.position == 1)
        .order_by(Result.ciiu_division, Result.size_class, Result.region)
    )
    frame = pd.DataFrame(session.execute(query).all(), columns=list(PEER_COLUMNS))
    frame["ciiu_division"] = frame["ciiu_division"].astype("int64")
    for column in _SCORE_COLUMNS:
        frame[column] = frame[column].astype("float64")
    return frame
