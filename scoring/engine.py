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


@dataclass
class BatchScores:
    """Scores of N assessments; NaN means "nothing applicable to score"."""

    ids: list[str]
    themes: np.ndarray  # N × T
    routes: np.ndarray  # N × 3
    dimensions: np.ndarray  # N × D
    overall: np.ndarray  # N
    level: np.ndarray  # N ints (1..5), 0 when overall is NaN
    weakest: np.ndarray  # N ints, index into dimensions, -1 when none
    counts: dict[str, np.ndarray]  # applicable / answered / no_se / no_aplica / unanswered
    indicator_values: np.ndarray  # N × I
    indicator_valid: np.ndarray  # N × I bool (computable and inside the valid range)
    indicator_scores: np.ndarray  # N × I (NaN when not valid or no scale)
    performance: np.ndarray  # N
    theme_denominators: np.ndarray  # N × T integer weights of applicable questions

    @property
    def coverage(self) -> np.ndarray:
        """Share (0–100) of applicable practice questions answered with a level."""
        applicable = self.counts["aplicables"]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(applicable > 0, 100.0 * self.counts["respondidas"] / applicable, 0.0)


def score_batch(compiled: CompiledQuestionnaire, encoded: Encoded) -> BatchScores:
    """Practice maturity and measured performance of every assessment in ``encoded``."""
    themes, routes, dimensions, overall, denominators = practice_scores(compiled, encoded)
    values, valid, scores, performance = indicator_scores(compiled, encoded)
    return BatchScores(
        ids=list(encoded.ids),
        themes=themes.T,
        routes=routes.T,
        dimensions=dimensions.T,
        overall=overall,
        level=maturity_levels(compiled.model, overall),
        weakest=_weakest(dimensions.T),
        counts=encoded.counts,
        indicator_values=values,
        indicator_valid=valid,
        indicator_scores=scores,
        performance=performance,
        theme_denominators=denominators.T,
    )


def practice_scores(compiled: CompiledQuestionnaire, encoded: Encoded):
    """Theme, route, dimension and overall scores, as rows (item × assessment)."""
    if encoded.levels is None:
        prepare(encoded)
    n_themes = len(compiled.themes)
    # Integer sums are exact in float32 while they stay below 2**24; else use float64.
    exact32 = 4.0 * compiled.weight_matrix.sum(axis=0).max(initial=0.0) < 2**24
    dtype = np.float32 if exact32 else np.float64
    weights = compiled.weight_matrix.astype(dtype)
    levels = encoded.levels.astype(dtype, copy=False)
    applicable = encoded.applicable.astype(dtype, copy=False)
    # Column-major results (one contiguous row per theme or route) keep the loops below fast.
    numerators = (weights.T @ levels.T).astype(np.float64)
    denominators = (weights.T @ applicable.T).astype(np.float64)
    with np.errstate(invalid="ignore"):  # nothing applicable: 0 / 0 is NaN, as it should be
        means = np.divide(numerators, denominators, out=numerators)
    means *= POINTS_PER_LEVEL
    themes = means[:n_themes]
    routes = means[n_themes:]
    dimensions = _weighted_groups(
        themes,
        np.array([t.weight for t in compiled.themes]),
        compiled.theme_dimension,
        len(compiled.dimensions),
    )
    overall = _weighted_groups(
        dimensions,
        np.array([d.peso for d in compiled.dimensions]),
        np.zeros(len(compiled.dimensions), dtype=np.int64),
        1,
    )[0]
    return themes, routes, dimensions, overall, denominators[:n_themes]


def _rounded(values: np.ndarray) -> np.ndarray:
    return np.round(values, SCORE_DECIMALS, out=values)


def _weighted_groups(
    scores: np.ndarray, weights: np.ndarray, group: np.ndarray, n_groups: int
) -> np.ndarray:
    """Weighted mean per group of the non-NaN rows of ``scores`` (items × assessments),
    accumulated item by item in a fixed order, so any batch size gives the same bits."""
    n = scores.shape[1]
    present = ~np.isnan(scores)
    weighted = np.where(present, scores * weights[:, None], 0.0)
    counted = present * weights[:, None]
    numerator = np.zeros((n_groups, n))
    denominator = np.zeros((n_groups, n))
    for item in range(scores.shape[0]):
        numerator[group[item]] += weighted[item]
        denominator[group[item]] += counted[item]
    result = np.full_like(numerator, np.nan)
    np.divide(numerator, denominator, out=result, where=denominator > 0)
    return _rounded(result)


def maturity_levels(model: schema.Questionnaire, scores: np.ndarray) -> np.ndarray:
    """Level number (1..n) whose threshold ``desde`` is the highest not above the score."""
    thresholds = np.array([level.desde for level in model.niveles], dtype=np.float64)
    levels = np.searchsorted(thresholds, np.nan_to_num(scores, nan=-1.0), side="right")
    return np.where(np.isnan(scores), 0, levels).astype(np.int64)


def _weakest(dimensions: np.ndarray) -> np.ndarray:
    if dimensions.shape[1] == 0:
        return np.full(dimensions.shape[0], -1)
    filled = np.where(np.isnan(dimensions), np.inf, dimensions)
    lowest = filled.min(axis=1)
    # Ties (within rounding) go to the first dimension of the questionnaire.
    weakest = np.argmax(filled <= lowest[:, None] + TIE_TOLERANCE, axis=1)
    return np.where(np.isinf(lowest), -1, weakest)


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
    numerator = np.zeros(n)
    denominator = np.zeros(n)
    for i in range(count):  # column by column: the same order for any batch size
        numerator += np.where(present[:, i], scores[:, i] * weights[i], 0.0)
        denominator += np.where(present[:, i], weights[i], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        performance = np.where(denominator > 0, numerator / denominator, np.nan)
    return values, valid, scores, performance


def batch_frame(compiled: CompiledQuestionnaire, scores: BatchScores) -> pd.DataFrame:
    """One row per assessment: overall, level, dimensions, routes, themes, performance."""
    data: dict[str, object] = {
        "id": scores.ids,
        "global": scores.overall,
        "nivel": scores.level,
        "nivel_nombre": [compiled.level_name(int(v)) if v > 0 else "" for v in scores.level],
        "dimension_mas_debil": [
            compiled.dimensions[int(w)].id if w >= 0 else "" for w in scores.weakest
        ],
    }
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
