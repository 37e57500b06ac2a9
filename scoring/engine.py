"""Vectorised scoring of N assessments at once (numpy); the method is in cuestionarios/README.md.

Question scores are levels × 25. Theme and route scores are weighted means over the applicable
questions; because question weights are integers ×1000 and levels are integers, their numerators
and denominators are exact integers, so a batch gives bit-for-bit the same numbers as one
assessment at a time. Dimension and overall scores are weighted means of the scored themes and
dimensions, computed column by column in a fixed order for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import schema
from scoring.answers import Encoded, prepare
from scoring.compiled import CompiledQuestionnaire

POINTS_PER_LEVEL = 25.0
# Dimension and overall scores are rounded to 9 decimals, so a weighted mean that is exactly a
# threshold in decimal arithmetic (60, not 59.99999999999999) gets its level. Rounding is
# elementwise, so batches and single assessments still agree bit for bit.
SCORE_DECIMALS = 9
TIE_TOLERANCE = 1e-9
# Assessments per block in the practice scores: the arrays of one block stay in the processor's
# cache from one step to the next (every step is elementwise, so blocks change no result).
BLOCK = 16384


def _blocks(n: int) -> list[slice]:
    return [slice(start, min(start + BLOCK, n)) for start in range(0, n, BLOCK)]


@dataclass
class ScoreSet:
    """Theme, route, dimension and index scores and the score that decides the level, as
    (assessment × item) arrays, for one treatment of "No sé"."""

    themes: np.ndarray  # N × T
    routes: np.ndarray  # N × 3
    dimensions: np.ndarray  # N × D
    indices: np.ndarray  # N × K (method 2.0; K = 0 otherwise)
    overall: np.ndarray  # N: the principal index (method 2.0) or the mean of dimensions


@dataclass
class BatchScores:
    """Scores of N assessments; NaN means "nothing applicable to score".

    ``low`` counts "No sé" as level 0 (the score shown and the one that decides the level, so
    a "No sé" never improves a result), ``point`` leaves "No sé" out, ``high`` counts it as
    level 4: together they are the band.
    """

    ids: list[str]
    low: ScoreSet
    point: ScoreSet
    high: ScoreSet
    level_uncapped: np.ndarray  # N ints (1..n), 0 when there is no score
    level: np.ndarray  # N ints: the level after the legal-floor cap
    floor_met: np.ndarray  # N bools (True when the questionnaire has no legal floor)
    provisional: np.ndarray  # N bools: "No sé" weighs more than ``umbral_provisional``
    weakest: np.ndarray  # N ints, index into dimensions, -1 when none is clearly weakest
    counts: dict[str, np.ndarray]  # applicable / answered / no_se / no_aplica / unanswered
    indicator_values: np.ndarray  # N × I
    indicator_valid: np.ndarray  # N × I bool (computable and inside the valid range)
    indicator_scores: np.ndarray  # N × I (NaN when not valid or no scale)
    performance: np.ndarray  # N
    theme_denominators: np.ndarray  # N × T integer weights of applicable questions (exact)

    @property
    def themes(self) -> np.ndarray:
        return self.low.themes

    @property
    def routes(self) -> np.ndarray:
        return self.low.routes

    @property
    def dimensions(self) -> np.ndarray:
        return self.low.dimensions

    @property
    def indices(self) -> np.ndarray:
        return self.low.indices

    @property
    def overall(self) -> np.ndarray:
        return self.low.overall

    @property
    def coverage(self) -> np.ndarray:
        """Share (0–100) of applicable practice questions answered with a level."""
        applicable = self.counts["aplicables"]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(applicable > 0, 100.0 * self.counts["respondidas"] / applicable, 0.0)


def score_batch(compiled: CompiledQuestionnaire, encoded: Encoded) -> BatchScores:
    """Practice maturity and measured performance of every assessment in ``encoded``."""
    low, point, high, denominators = practice_scores(compiled, encoded)
    values, valid, scores, performance = indicator_scores(compiled, encoded)
    model = compiled.model
    uncapped = maturity_levels(model, low.overall)
    floor_met = legal_floor_met(compiled, encoded)
    level = uncapped
    if model.piso_legal is not None:
        cap = model.piso_legal.tope
        level = np.where(floor_met, uncapped, np.minimum(uncapped, cap))
    with np.errstate(invalid="ignore"):
        provisional = (high.overall - low.overall) > model.umbral_provisional + TIE_TOLERANCE
    return BatchScores(
        ids=list(encoded.ids),
        low=low,
        point=point,
        high=high,
        level_uncapped=uncapped,
        level=level,
        floor_met=floor_met,
        provisional=provisional,
        weakest=weakest_dimension(low.dimensions, model.margen_dimension_debil),
        counts=encoded.counts,
        indicator_values=values,
        indicator_valid=valid,
        indicator_scores=scores,
        performance=performance,
        theme_denominators=denominators.T,
    )


FLOOR_MET_ANSWERS = ("si", "no_corresponde")


def legal_floor_met(compiled: CompiledQuestionnaire, encoded: Encoded) -> np.ndarray:
    """True where every legal-floor item is met ("sí") or does not apply to the firm."""
    n = len(encoded)
    if not compiled.requirements or encoded.requirements is None:
        return np.ones(n, dtype=bool)
    answers = encoded.requirements
    return np.isin(answers, FLOOR_MET_ANSWERS).all(axis=1)


def practice_scores(compiled: CompiledQuestionnaire, encoded: Encoded):
    """Scores with "No sé" as 0 (low), left out (point) and as level 4 (high).

    One matrix product over the levels, the applicability and the "No sé" answers side by side
    (``Encoded.stacked``) gives, per theme and route column, the numerators and denominators
    with "No sé" as 0 and the weight K of the "No sé" answers. Then point = num / (den - K)
    and high = (num + 4K) / den, all in exact integers. The low scores are computed at once;
    point and high are computed when first read (a batch usually needs only their score that
    decides the level, ``overall``, which is cheap on its own).
    """
    if encoded.levels is None:
        prepare(encoded)
    n, n_themes = len(encoded), len(compiled.themes)
    # Integer sums are exact in float32 while they stay below 2**24; else use float64.
    exact32 = 4.0 * compiled.weight_matrix.sum(axis=0).max(initial=0.0) < 2**24
    dtype = np.float32 if exact32 else np.float64
    stacked = encoded.stacked
    if stacked is None:  # an Encoded prepared by hand: the same three blocks
        blocks = (encoded.levels, encoded.applicable, encoded.dont_know)
        stacked = np.concatenate([np.asarray(b).T for b in blocks], axis=1)
    weights = np.ascontiguousarray(compiled.weight_matrix.T, dtype=dtype)
    # (T + R) × 3N: one contiguous row per theme or route keeps the loops below fast.
    sums = weights @ stacked.astype(dtype, copy=False)
    numerators, denominators, unknown = sums[:, :n], sums[:, n : 2 * n], sums[:, 2 * n :]
    low = _score_set(compiled, numerators, denominators)
    theme_denominators = denominators[:n_themes]  # exact integers (float32 or float64)
    if not encoded.dont_know_count.any():
        return low, low, low, theme_denominators
    point = LazyScoreSet(compiled, numerators, denominators, unknown, dont_know_as=None)
    high = LazyScoreSet(compiled, numerators, denominators, unknown, dont_know_as=4)
    return low, point, high, theme_denominators


def _theme_means(numerators: np.ndarray, denominators: np.ndarray, out=None):
    """Means × 25 (float64, from exact integer sums) with NaN where nothing applies, and where
    something applies."""
    present = denominators > 0
    # float64 first: a division that casts its inputs on the fly is several times slower.
    numerators = numerators.astype(np.float64, copy=False)
    denominators = denominators.astype(np.float64, copy=False)
    with np.errstate(invalid="ignore"):
        # Where nothing applies the numerator is 0 too: 0 / 0 is NaN.
        means = np.divide(numerators, denominators, out=out)
    means *= POINTS_PER_LEVEL
    return np.abs(means, out=means), present  # means are >= 0; abs gives NaN its usual sign


def _overall(compiled: CompiledQuestionnaire, themes, present, dimensions=None, indices=None):
    """The score that decides the level; ``themes`` are theme means with 0 where absent."""
    if compiled.indices:
        if indices is not None:
            return indices[compiled.principal_index].copy()
        row = compiled.theme_groups[len(compiled.dimensions) + compiled.principal_index]
        return _grouped_means(themes, present, row[None, :])[0]
    if dimensions is None:
        groups = _grouped_means(themes, present, compiled.theme_groups)
        dimensions = groups[: len(compiled.dimensions)]
    dim_weights = np.array([[d.peso for d in compiled.dimensions]])
    return _grouped_means(np.nan_to_num(dimensions), ~np.isnan(dimensions), dim_weights)[0]


def _score_set(compiled: CompiledQuestionnaire, numerators, denominators) -> ScoreSet:
    n_themes, n_dims = len(compiled.themes), len(compiled.dimensions)
    n = numerators.shape[1]
    means = np.empty(numerators.shape)
    groups = np.empty((len(compiled.theme_groups), n))
    for block in _blocks(n):
        part, present = _theme_means(numerators[:, block], denominators[:, block], means[:, block])
        themes = np.fmax(part[:n_themes], 0.0)  # 0 where absent (NaN)
        groups[:, block] = _grouped_means(themes, present[:n_themes], compiled.theme_groups)
    dimensions, indices = groups[:n_dims], groups[n_dims:]
    overall = _overall(compiled, None, None, dimensions, indices)
    return ScoreSet(means[:n_themes].T, means[n_themes:].T, dimensions.T, indices.T, overall)


class LazyScoreSet:
    """The scores with "No sé" left out (``dont_know_as`` None) or counted as level 4, computed
    when first read from the integer sums of ``practice_scores``; ``overall`` alone is computed
    on its own, from the themes it needs only."""

    def __init__(
        self,
        compiled: CompiledQuestionnaire,
        numerators,
        denominators,
        unknown,
        *,
        dont_know_as: int | None,
    ):
        self._args = (compiled, numerators, denominators, unknown, dont_know_as)
        self._full: ScoreSet | None = None
        self._overall: np.ndarray | None = None

    def _sums(self, rows=slice(None), columns=slice(None)):
        """Numerators and denominators of the theme and route rows ``rows`` (exact integers)."""
        _, numerators, denominators, unknown, dont_know_as = self._args
        numerators, denominators = numerators[rows, columns], denominators[rows, columns]
        unknown = unknown[rows, columns]
        if dont_know_as is None:
            return numerators, denominators - unknown
        return numerators + float(dont_know_as) * unknown, denominators

    def _get(self) -> ScoreSet:
        if self._full is None:
            self._full = _score_set(self._args[0], *self._sums())
        return self._full

    @property
    def overall(self) -> np.ndarray:
        if self._full is not None:
            return self._full.overall
        if self._overall is None:
            compiled = self._args[0]
            n_themes = len(compiled.themes)
            if compiled.indices:  # only the themes of the principal index
                row = compiled.theme_groups[len(compiled.dimensions) + compiled.principal_index]
                members = np.flatnonzero(row > 0)
                n = self._args[1].shape[1]
                self._overall = np.empty(n)
                for block in _blocks(n):
                    means, present = _theme_means(*self._sums(members, block))
                    themes = np.fmax(means, 0.0)
                    self._overall[block] = _grouped_means(themes, present, row[None, members])[0]
            else:
                means, present = _theme_means(*self._sums(slice(0, n_themes)))
                self._overall = _overall(compiled, np.fmax(means, 0.0), present)
        return self._overall

    @property
    def themes(self) -> np.ndarray:
        return self._get().themes

    @property
    def routes(self) -> np.ndarray:
        return self._get().routes

    @property
    def dimensions(self) -> np.ndarray:
        return self._get().dimensions

    @property
    def indices(self) -> np.ndarray:
        return self._get().indices


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.round(values, SCORE_DECIMALS, out=values)


def _grouped_means(values: np.ndarray, present: np.ndarray, membership: np.ndarray):
    """Weighted means per group of the present rows of ``values`` (items × assessments, 0
    where absent); ``membership`` is groups × items with the item's weight where it belongs.

    Each group adds its items one by one in item order, a product then a sum, the same
    elementwise steps for every assessment, so any batch size gives the same bits (items
    outside the group would add exact zeros and are skipped). ``einsum`` did the same for
    two or more assessments, but for a single one it may add in another order. The result is
    rounded to SCORE_DECIMALS."""
    n_groups, n = membership.shape[0], values.shape[1]
    numerator = np.zeros((n_groups, n))
    denominator = np.zeros((n_groups, n))
    term = np.empty(n)
    present = present.astype(np.float64)  # 1.0 or 0.0 (adding bools casts on every step)
    for g in range(n_groups):
        members = np.flatnonzero(membership[g])
        if (membership[g, members] == 1.0).all():
            # A count of present items: an exact integer in any order, so one call.
            np.add.reduce(present[members], axis=0, out=denominator[g])
            for t in members:
                numerator[g] += values[t]
            continue
        for t in members:
            weight = membership[g, t]
            np.multiply(values[t], weight, out=term)
            numerator[g] += term
            np.multiply(present[t], weight, out=term)
            denominator[g] += term
    result = np.full_like(numerator, np.nan)
    np.divide(numerator, denominator, out=result, where=denominator > 0)
    return _rounded(result)


def maturity_levels(model: schema.Questionnaire, scores: np.ndarray) -> np.ndarray:
    """Level number (1..n) whose threshold ``desde`` is the highest not above the score."""
    thresholds = np.array([level.desde for level in model.niveles], dtype=np.float64)
    levels = np.searchsorted(thresholds, np.nan_to_num(scores, nan=-1.0), side="right")
    return np.where(np.isnan(scores), 0, levels).astype(np.int64)


def weakest_dimension(dimensions: np.ndarray, margin: float = 0.0) -> np.ndarray:
    """Index of the lowest dimension when it trails the next lowest by at least ``margin``
    points; -1 when none is clearly weaker (ties, or within the margin) or nothing is scored.

    With a margin of 0 (method 1.0) the lowest dimension is named and ties go to the first."""
    n, d = dimensions.shape
    if d == 0:
        return np.full(n, -1)
    filled = np.where(np.isnan(dimensions), np.inf, dimensions)
    lowest = filled.min(axis=1)
    first = np.argmax(filled <= lowest[:, None] + TIE_TOLERANCE, axis=1)
    result = np.where(np.isinf(lowest), -1, first)
    if margin <= 0:
        return result
    others = filled.copy()
    others[np.arange(n), first] = np.inf
    second = others.min(axis=1)
    clear = (second - lowest) >= margin - TIE_TOLERANCE
    scored = np.count_nonzero(~np.isnan(dimensions), axis=1) >= 2
    return np.where(clear & scored, result, -1)


def indicator_scores(compiled: CompiledQuestionnaire, encoded: Encoded):
    """Indicator values, validity, points and the performance score."""
    n, count = len(encoded), len(compiled.indicators)
    values = np.full((n, count), np.nan, order="F")
    scores = np.full((n, count), np.nan, order="F")
    numbers = np.asfortranarray(encoded.numbers)
    columns = {q.id: numbers[:, m] for m, q in enumerate(compiled.numbers)}
    weights = np.zeros(count)
    for i, info in enumerate(compiled.indicators):
        indicator = info.model
        values[:, i] = info.formula.evaluate(columns)
        weights[i] = indicator.peso
        if indicator.escala is not None:
            zero, hundred = indicator.escala.cero, indicator.escala.cien
            scaled = (values[:, i] - zero) * (100.0 / (hundred - zero))
            scores[:, i] = np.clip(scaled, 0.0, 100.0)
    minimum = np.array([info.model.minimo for info in compiled.indicators])
    maximum = np.array([info.model.maximo for info in compiled.indicators])
    with np.errstate(invalid="ignore"):
        valid = ~np.isnan(values) & (values >= minimum) & (values <= maximum)
    scores[~valid] = np.nan
    present = ~np.isnan(scores)
    core = compiled.model.indicadores_nucleo
    if core:
        # Method 2.0: the mean of the core set, only when every core indicator is valid, so
        # leaving out an unfavourable input can never raise it.
        ids = [info.model.id for info in compiled.indicators]
        columns = [ids.index(c) for c in core if c in ids]
        complete = len(columns) == len(core)
        members = np.zeros(count, dtype=bool)
        members[columns] = True
    else:
        complete, members = True, np.ones(count, dtype=bool)
    numerator = np.zeros(n)
    denominator = np.zeros(n)
    all_present = np.ones(n, dtype=bool)
    for i in range(count):  # column by column: the same order for any batch size
        if not members[i]:
            continue
        all_present &= present[:, i]
        numerator += np.where(present[:, i], scores[:, i] * weights[i], 0.0)
        denominator += np.where(present[:, i], weights[i], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        performance = np.where(denominator > 0, numerator / denominator, np.nan)
    if core:
        performance = np.where(all_present & complete, performance, np.nan)
    return values, valid, scores, performance


def batch_frame(compiled: CompiledQuestionnaire, scores: BatchScores) -> pd.DataFrame:
    """One row per assessment: overall, level, dimensions, routes, themes, performance."""
    data: dict[str, object] = {
        "id": scores.ids,
        "global": scores.overall,
        "global_sin_no_se": scores.point.overall,
        "global_maximo": scores.high.overall,
        "nivel": scores.level,
        "nivel_nombre": _names([""] + [n.nombre for n in compiled.model.niveles], scores.level),
        "provisional": scores.provisional,
        "piso_legal_cumple": scores.floor_met,
        "dimension_mas_debil": _names([d.id for d in compiled.dimensions] + [""], scores.weakest),
    }
    for k, index in enumerate(compiled.indices):
        data[f"indice_{index.id}"] = scores.indices[:, k]
    for d, dimension in enumerate(compiled.dimensions):
        data[f"dim_{dimension.id}"] = scores.dimensions[:, d]
    for r, route in enumerate(schema.ROUTES):
        data[f"ruta_{route}"] = scores.routes[:, r]
    for t, theme in enumerate(compiled.themes):
        data[f"eje_{theme.id}"] = scores.themes[:, t]
    data["desempeno"] = scores.performance
    data["cobertura"] = scores.coverage
    data["no_se"] = scores.counts["no_se"]
    for i, info in enumerate(compiled.indicators):
        data[f"ind_{info.model.id}"] = np.where(
            scores.indicator_valid[:, i], scores.indicator_values[:, i], np.nan
        )
    return pd.DataFrame(data)


def _names(names: list[str], positions: np.ndarray) -> list[str]:
    """``names[p]`` for every position (-1: the last name), looked up all at once."""
    return np.array(names, dtype=object)[np.asarray(positions, dtype=np.intp)].tolist()
