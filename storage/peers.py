"""Anonymous peer data: each consenting, verified firm's latest submitted result of one
questionnaire version (content hash) and depth. Only firms verified by SNI staff
(``storage.verification``) count: a registration alone cannot add a firm to anyone's peers.
Results of two versions are never mixed: they may score differently.
No firm id or name leaves this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from storage.models import Assessment, Firm, Result

# Always present; then one column per score the stored results declare: the dimension ids,
# the route ids in lower case ("r1") and "idx_<id>" for the indices of method 2.0.
PEER_COLUMNS = ("ciiu_division", "size_class", "region", "overall", "performance")
INDEX_PREFIX = "idx_"


def _latest(
    questionnaire_hash: str,
    depth: str,
    exclude_firm_id: int | None,
    include_demo: bool,
) -> Any:
    """Subquery: each consenting firm's submitted assessments of this version, newest first."""
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
            Assessment.questionnaire_hash == questionnaire_hash,
            Assessment.depth == depth,
            Firm.consent_statistics.is_(true()),
        )
    )
    if exclude_firm_id is not None:
        latest = latest.where(Assessment.firm_id != exclude_firm_id)
    if include_demo:
        # Demo mode: the demo firms count (they are never verified), real ones only if verified.
        latest = latest.where(or_(Firm.verified_at.is_not(None), Firm.is_demo.is_(True)))
    else:
        latest = latest.where(and_(Firm.verified_at.is_not(None), Firm.is_demo.is_(False)))
    return latest.subquery()


def _latest_results(sub: Any, *columns: Any) -> Select:
    return (
        select(*columns)
        .join(sub, sub.c.assessment_id == Result.assessment_id)
        .where(sub.c.position == 1)
    )


def current_hash(session: Session, questionnaire_id: str, depth: str) -> str | None:
    """The content hash of the most recently submitted assessment of this questionnaire."""
    query = (
        select(Assessment.questionnaire_hash)
        .where(
            Assessment.status == "enviada",
            Assessment.questionnaire_id == questionnaire_id,
            Assessment.depth == depth,
        )
        .order_by(Assessment.submitted_at.desc(), Assessment.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def _score_values(scores: Mapping[str, Any] | None) -> dict[str, float]:
    """Peer columns from a stored ``scores_json``, named by the ids it declares."""
    scores = scores or {}
    values: dict[str, float] = {}
    for ident, value in (scores.get("dimensiones") or {}).items():
        values[str(ident)] = value
    for ident, value in (scores.get("rutas") or {}).items():
        values[str(ident).lower()] = value
    for ident, value in (scores.get("indices") or {}).items():
        values[f"{INDEX_PREFIX}{ident}"] = value
    return {k: v for k, v in values.items() if k not in PEER_COLUMNS}


def peer_scores(
    session: Session,
    questionnaire_id: str,
    depth: str,
    exclude_firm_id: int | None = None,
    include_demo: bool = False,
    questionnaire_hash: str | None = None,
) -> pd.DataFrame:
    """One row per verified firm with ``consent_statistics``: its latest submitted assessment of one
    questionnaire version.

    Pass the hash of the result being compared. Without it, the version of the most recent
    submission of ``questionnaire_id`` is used, so two versions are never mixed either way.
    No firm id or name is returned. Demo firms count only with ``include_demo``.
    """
    if questionnaire_hash is None:
        questionnaire_hash = current_hash(session, questionnaire_id, depth)
    rows: list[tuple] = []
    if questionnaire_hash is not None:
        sub = _latest(questionnaire_hash, depth, exclude_firm_id, include_demo)
        query = _latest_results(
            sub, *(getattr(Result, name) for name in PEER_COLUMNS), Result.scores_json
        ).order_by(Result.ciiu_division, Result.size_class, Result.region, Result.assessment_id)
        rows = list(session.execute(query).all())
    base = pd.DataFrame([row[: len(PEER_COLUMNS)] for row in rows], columns=list(PEER_COLUMNS))
    scores = pd.DataFrame([_score_values(row[-1]) for row in rows], index=base.index)
    frame = pd.concat([base, scores], axis=1) if len(scores.columns) else base
    frame["ciiu_division"] = frame["ciiu_division"].astype("int64")
    for column in frame.columns[3:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return frame


def _valid(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def sector_indicator_values(
    session: Session,
    *,
    firm_id: int,
    questionnaire_hash: str,
    depth: str,
    ciiu_division: int,
    include_demo: bool = False,
) -> dict[str, list[float]]:
    """Valid values of each ``comparar_en_sector`` indicator of the other firms of a CIIU
    division: their latest submitted assessment of this exact questionnaire version and depth,
    only firms that accept anonymous statistics (as ``peer_scores``), never ``firm_id`` itself.

    The division is the one each result was scored with. Give a value list to
    ``scoring.peers.sector_comparison``; an indicator no peer has a valid value for maps to
    an empty list (when any peer declares it).
    """
    sub = _latest(questionnaire_hash, depth, firm_id, include_demo)
    query = _latest_results(sub, Result.detail_json).where(
        Result.ciiu_division == int(ciiu_division)
    )
    values: dict[str, list[float]] = {}
    for (detail,) in session.execute(query):
        for indicator in (detail or {}).get("indicadores") or []:
            if not indicator.get("comparar_en_sector"):
                continue
            found = values.setdefault(indicator["id"], [])
            if indicator.get("valido") and _valid(indicator.get("valor")):
                found.append(float(indicator["valor"]))
    return values
