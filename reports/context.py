"""What a report needs besides the ScoreResult: the firm, the assessment and optional peers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from scoring.compiled import CompiledQuestionnaire
from scoring.peers import SectorComparison


@dataclass(frozen=True)
class Firm:
    razon_social: str
    ruc: str
    ciiu_division: str  # e.g. "10"
    ciiu_nombre: str  # e.g. "Elaboración de productos alimenticios"
    region: str
    tamano: str  # size class label, e.g. "Pequeña empresa"
    trabajadores: int | None = None


@dataclass(frozen=True)
class ReportContext:
    """Everything about one assessment that is not a score.

    ``peers`` is ``None`` or ``{"group_label": str, <score key>: {"median", "q1", "q3"} | None}``
    with score keys "global", dimension ids and route ids; a key may be missing or ``None`` when
    its group is too small to publish.

    ``sector`` maps indicator ids to ``scoring.peers.SectorComparison`` (method 2.0 indicators
    scored within the firm's CIIU division); an indicator missing from it has no comparison.
    """

    firm: Firm
    assessment_date: dt.datetime
    submitted: bool
    compiled: CompiledQuestionnaire
    answers: Mapping[str, object]
    sources: Mapping[str, str] = field(default_factory=dict)
    peers: Mapping[str, object] | None = None
    sector: Mapping[str, SectorComparison] | None = None
    # The firm's note or evidence per answer (``respuestas.comment``), by question id.
    notes: Mapping[str, str] = field(default_factory=dict)

    def peer(self, key: str) -> dict[str, float] | None:
        """Median and quartiles of the peer group for one score key, when published."""
        if not self.peers:
            return None
        value = self.peers.get(key)
        if not isinstance(value, Mapping) or value.get("median") is None:
            return None
        return {k: float(value[k]) for k in ("median", "q1", "q3") if value.get(k) is not None}

    @property
    def peer_label(self) -> str | None:
        return (
            str(self.peers["group_label"]) if self.peers and self.peers.get("group_label") else None
        )
