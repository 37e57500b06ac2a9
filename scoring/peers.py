"""Peer groups and their statistics: pure pandas over the anonymous peer table.

The group is the narrowest of: same CIIU division and size class, same division, same size
class, all firms, that has at least ``MIN_GROUP`` firms. Smaller groups are never returned, so
no firm can be singled out; every label says which group it is and when it is a broader one.
Published medians and quartiles are differentially private (``scoring.privacy``): noise is
added after the k ≥ 5 check on the true count.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from scoring import privacy
from scoring.peru import CIIU_DIVISIONS, SIZE_NAMES

MIN_GROUP = 5
NOT_ENOUGH = (
    "Aún no hay suficientes empresas para comparar: se necesitan al menos "
    f"{MIN_GROUP} empresas con resultados que aceptaron compartirlos de forma anónima."
)

# Fallback order, narrowest first.
LEVELS = ("division_tamano", "division", "tamano", "todas")


@dataclass(frozen=True)
class PeerGroup:
    """The peer firms used for a comparison and how to describe them."""

    frame: pd.DataFrame
    level: str  # one of LEVELS
    label: str
    broader: bool  # True when the first choice (same division and size) was too small

    @property
    def size(self) -> int:
        return len(self.frame)


@dataclass(frozen=True)
class PeerStat:
    """Median and quartiles of one score over a peer group (NaN values left out)."""

    median: float
    q1: float
    q3: float
    n: int

    def as_dict(self) -> dict[str, float | int]:
        return {"median": self.median, "q1": self.q1, "q3": self.q3, "n": self.n}


def division_text(division: int) -> str:
    """ "10 · Elaboración de productos alimenticios" (the number alone if unknown)."""
    name = CIIU_DIVISIONS.get(int(division))
    return f"{int(division)} · {name}" if name else str(int(division))


def size_text(size_class: str) -> str:
    return SIZE_NAMES.get(size_class, size_class)


def _firms(count: int) -> str:
    return f"{count} empresa" if count == 1 else f"{count} empresas"


def _label(level: str, division: int | None, size_class: str | None, count: int) -> str:
    if level == "division_tamano":
        return (
            f"Misma división CIIU ({division_text(division)}) y tamaño "
            f"({size_text(size_class)}) — {_firms(count)}"
        )
    if level == "division":
        return (
            "Grupo más amplio: todas las empresas de la división CIIU "
            f"{division_text(division)}, de todos los tamaños — {_firms(count)}"
        )
    if level == "tamano":
        return (
            f"Grupo más amplio: todas las empresas de tamaño {size_text(size_class)}, "
            f"de todos los sectores — {_firms(count)}"
        )
    return f"Grupo más amplio: todas las empresas que compartieron sus resultados — {_firms(count)}"


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def peer_group(
    peers_df: pd.DataFrame,
    ciiu_division: int | None,
    size_class: str | None,
    min_size: int = MIN_GROUP,
) -> PeerGroup | None:
    """The narrowest peer group with at least ``min_size`` firms, or None when none has.

    ``peers_df`` has one row per peer firm with ``ciiu_division`` and ``size_class`` columns
    (``storage.peers.peer_scores``). ``min_size`` may be raised above ``MIN_GROUP``, never lowered.
    """
    if min_size < MIN_GROUP:
        raise ValueError(f"min_size must be at least {MIN_GROUP}")
    has_division = not _is_missing(ciiu_division)
    has_size = not _is_missing(size_class)
    if peers_df.empty:
        return None
    same_division = (
        peers_df["ciiu_division"] == int(ciiu_division)
        if has_division
        else pd.Series(False, index=peers_df.index)
    )
    same_size = (
        peers_df["size_class"] == size_class if has_size else pd.Series(False, index=peers_df.index)
    )
    candidates = []
    if has_division and has_size:
        candidates.append(("division_tamano", same_division & same_size))
    if has_division:
        candidates.append(("division", same_division))
    if has_size:
        candidates.append(("tamano", same_size))
    candidates.append(("todas", pd.Series(True, index=peers_df.index)))
    for level, mask in candidates:
        count = int(mask.sum())
        if count >= min_size:
            frame = peers_df.loc[mask].reset_index(drop=True)
            label = _label(level, ciiu_division, size_class, count)
            return PeerGroup(frame, level, label, broader=level != "division_tamano")
    return None


def peer_stats(
    group_df: pd.DataFrame,
    columns: Iterable[str],
    min_size: int = MIN_GROUP,
    *,
    exact: bool = False,
    epsilon: float | None = None,
    scope: str = "",
) -> dict[str, PeerStat | None]:
    """Median, first and third quartile and count per column, ignoring NaN.

    A column with fewer than ``min_size`` values (or missing from the frame) maps to None: a
    statistic over so few firms could reveal one of them. The quartiles are released with
    OpenDP's private quantile (ε per figure = ``epsilon``, by default a third of
    ``pares.epsilon_por_puntaje``), ordered so that q1 ≤ median ≤ q3; ``exact`` (tests and
    internal checks only, never a page) gives the true values. ``scope`` names the group, so
    the same figure of the same group and data is always the same release.
    """
    if min_size < MIN_GROUP:
        raise ValueError(f"min_size must be at least {MIN_GROUP}")
    if epsilon is None:
        epsilon = privacy.config().peer_quantile_epsilon
    stats: dict[str, PeerStat | None] = {}
    for column in columns:
        if column not in group_df.columns:
            stats[column] = None
            continue
        values = pd.to_numeric(group_df[column], errors="coerce").dropna()
        if len(values) < min_size:
            stats[column] = None
            continue
        if exact:
            q1, median, q3 = values.quantile([0.25, 0.5, 0.75]).tolist()
        else:
            data = values.to_numpy(dtype=float)
            q1, median, q3 = sorted(
                privacy.noisy_quantile(data, alpha, epsilon, f"pares/{scope}/{column}/{alpha}")
                for alpha in (0.25, 0.5, 0.75)
            )
        stats[column] = PeerStat(float(median), float(q1), float(q3), int(len(values)))
    return stats


@dataclass(frozen=True)
class SectorComparison:
    """A firm's indicator against the firms of its CIIU division (same questionnaire version).

    ``puntaje`` (0–100) is the share of the other firms whose value is worse than the firm's,
    ties counting half; ``None`` with fewer than ``MIN_GROUP`` other firms.
    """

    indicator_id: str
    valor: float
    mediana: float | None
    n: int
    puntaje: float | None

    @property
    def comparable(self) -> bool:
        return self.puntaje is not None


def sector_comparison(
    indicator_id: str,
    value: float | None,
    peer_values: Iterable[float],
    better: str = "mayor",
    min_size: int = MIN_GROUP,
    *,
    exact: bool = False,
    epsilon: float | None = None,
    scope: str = "",
) -> SectorComparison | None:
    """Score ``value`` against the values of the other firms of its division (method 2.0).

    Intensities and productivity are never scored on a fixed cross-sector scale: this is their
    only score. None when the firm has no valid value. The median of the others (private
    quantile over a fixed logarithmic grid) and the share of worse firms (noisy counts) are
    differentially private, half of ``pares.epsilon_por_indicador`` each; ``exact`` (tests only)
    gives the true values."""
    if min_size < MIN_GROUP:
        raise ValueError(f"min_size must be at least {MIN_GROUP}")
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    values = pd.to_numeric(pd.Series(list(peer_values), dtype=object), errors="coerce").dropna()
    n = len(values)
    if n < min_size:
        return SectorComparison(indicator_id, float(value), None, n, None)
    if better == "menor":
        worse, ties = (values > value).sum(), (values == value).sum()
    else:
        worse, ties = (values < value).sum(), (values == value).sum()
    if exact:
        score = 100.0 * (worse + 0.5 * ties) / n
        return SectorComparison(indicator_id, float(value), float(values.median()), n, float(score))
    if epsilon is None:
        epsilon = privacy.config().pares_epsilon_por_indicador
    name = f"sector/{scope}/{indicator_id}"
    data = values.to_numpy(dtype=float)
    median = privacy.noisy_quantile(data, 0.5, epsilon / 2, name, privacy.LOG_GRID)
    # Ties count half: in whole firms, round the half-ties down before the noisy share.
    score = privacy.noisy_share(int(worse + ties // 2), n, epsilon / 2, f"{name}/{value!r}")
    return SectorComparison(indicator_id, float(value), float(median), n, score)
