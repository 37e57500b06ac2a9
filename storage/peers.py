"""Anonymous peer data: each consenting, verified firm's latest submitted result of one
questionnaire version (content hash) and depth. Only firms verified by SNI staff
(``storage.verification``) count: a registration alone cannot add a firm to anyone's peers.
Results of two versions are never mixed: they may score differently.
No firm id or name leaves this module.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, and_, func, or_, select, true
from sqlalchemy.orm import Session

from storage.live_results import LiveResults, Rows
from storage.models import Assessment, Firm, Result

# Always present; then one column per score the stored results declare: the dimension ids,
# the route ids in lower case ("r1") and "idx_<id>" for the indices of method 2.0.
PEER_COLUMNS = ("ciiu_division", "size_class", "region", "overall", "performance")
INDEX_PREFIX = "idx_"
# Demonstrations only: with this variable set to 1, the demo firms (``python -m storage demo``)
# count as peers of every firm, next to the verified ones. Never set in production.
DEMO_MODE_ENV = "BRUJULA_MODO_DEMO"


def demo_mode(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether demo firms count as peers: only when ``BRUJULA_MODO_DEMO`` is 1 (or sí/true)."""
    return environ.get(DEMO_MODE_ENV, "").strip().lower() in {"1", "si", "sí", "true"}


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


# --- once per data version, from the narrow panel rows (issue 11) -----------------------------

# Vector columns a peer table needs (storage.results_table.vector_columns names).
PEER_PREFIXES = ("global", "desempeno", "dim_", "idx_", "ruta_", "ind_")
INDICATOR_PREFIX = "ind_"


def _peer_name(column: str) -> str | None:
    """The ``peer_scores`` column of a vector column (None: not a peer score)."""
    if column == "global":
        return "overall"
    if column == "desempeno":
        return "performance"
    if column.startswith("dim_"):
        return column.removeprefix("dim_")
    if column.startswith("ruta_"):
        return column.removeprefix("ruta_").lower()
    if column.startswith(INDEX_PREFIX):
        return column
    return None


@dataclass(frozen=True)
class PeerTable:
    """Every counted firm's latest submitted result of one version and depth (as
    ``peer_scores``, without leaving anyone out), built once per data version and shared by
    every firm a process serves. Firm ids stay inside: ``without`` gives the rows of the
    others, with no id."""

    version: tuple
    frame: pd.DataFrame  # PEER_COLUMNS + score columns, as peer_scores
    indicators: pd.DataFrame  # "ind_<id>" valid values (NaN when invalid), same rows
    _firm_ids: np.ndarray
    demo: bool = False  # demo firms counted (demo mode): every figure must say so

    def __len__(self) -> int:
        return len(self.frame)

    def without(self, firm_id: int | None) -> pd.DataFrame:
        """The peers of ``firm_id``: every row but its own (no ids)."""
        if firm_id is None:
            return self.frame.copy()
        return self.frame[self._firm_ids != int(firm_id)].reset_index(drop=True)

    def sector_values(
        self,
        firm_id: int,
        ciiu_division: int,
        indicator_ids: Iterable[str],
        whole_version: Iterable[str] = (),
    ) -> dict[str, list[float]]:
        """As ``sector_indicator_values``: valid values of each indicator of the other firms of
        the division (their latest result), an empty list when none has one. Indicators in
        ``whole_version`` (a sector module's) take every other firm of this version: the same
        module, whatever its division."""
        others = self._firm_ids != int(firm_id)
        in_division = others & (self.frame["ciiu_division"].to_numpy() == int(ciiu_division))
        module_wide = set(whole_version)
        values: dict[str, list[float]] = {}
        for ident in indicator_ids:
            column = f"{INDICATOR_PREFIX}{ident}"
            if column not in self.indicators:
                continue
            mask = others if ident in module_wide else in_division
            found = self.indicators[column].to_numpy()[mask]
            values[ident] = [float(v) for v in found[np.isfinite(found)]]
        return values


def peer_table(rows: Rows, version: tuple = (), demo: bool = False) -> PeerTable:
    """The latest row of each firm in ``rows`` (in their firm, time and id order,
    ``Rows.sorted_positions``), with the peer columns of ``peer_scores``."""
    in_order = rows.sorted_positions()
    firms = rows.meta["firm_id"][in_order]
    last = np.ones(len(firms), dtype=bool)
    last[:-1] = firms[1:] != firms[:-1]
    positions = in_order[last]
    meta = rows.meta
    data: dict[str, Any] = {
        "ciiu_division": meta["ciiu_division"][positions].astype("int64"),
        "size_class": np.asarray(rows.categories["size_class"], dtype=object)[
            meta["size_class"][positions]
        ]
        if len(positions)
        else np.empty(0, dtype=object),
        "region": np.asarray(rows.categories["region"], dtype=object)[meta["region"][positions]]
        if len(positions)
        else np.empty(0, dtype=object),
        "overall": np.full(len(positions), np.nan),
        "performance": np.full(len(positions), np.nan),
    }
    indicators: dict[str, np.ndarray] = {}
    for j, column in enumerate(rows.columns):
        values = rows.matrix[positions, j].astype("float64")
        name = _peer_name(column)
        if name is not None:
            data[name] = values
        elif column.startswith(INDICATOR_PREFIX):
            indicators[column] = values
    frame = pd.DataFrame(data)
    return PeerTable(version, frame, pd.DataFrame(indicators), firms[last], demo)


class PeerSource:
    """One version and depth's peer table for a process: refreshed when the data version read
    from the database changes (a submission, a consent or a verification), never by a timer."""

    def __init__(
        self, questionnaire_id: str, depth: str, questionnaire_hash: str, demo: bool | None = None
    ) -> None:
        # Demo firms count only in demo mode (``demo_mode``, read when the source is made).
        self.demo = demo_mode() if demo is None else demo
        self.live = LiveResults(
            questionnaire_id, depth, questionnaire_hash, prefixes=PEER_PREFIXES, demo=self.demo
        )
        self._lock = threading.Lock()
        self._table: PeerTable | None = None

    def current(self, session: Session) -> PeerTable:
        snapshot = self.live.refresh(session)
        table = self._table
        if table is not None and table.version == snapshot.version:
            return table
        with self._lock:
            if self._table is None or self._table.version != snapshot.version:
                self._table = peer_table(snapshot.rows, snapshot.version, self.demo)
            return self._table
