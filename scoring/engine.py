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
from scoring.answers import DONT_KNOW, NOT_APPLICABLE, UNANSWERED, Encoded
from scoring.compiled import CompiledQuestionnaire

POINTS_PER_LEVEL = 25.0


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
    codes = encoded.practice
    n_themes = len(compiled.themes)
    # Integer sums are exact in float32 while they stay below 2**24; else use float64.
    exact32 = 4.0 * compiled.weight_matrix.sum(axis=0).max(initial=0.0) < 2**24
    dtype = np.float32 if exact32 else np.float64
    weights = compiled.weight_matrix.astype(dtype)
    applicable = codes >= UNANSWERED
    numerators = (np.maximum(codes, 0).astype(dtype, copy=False) @ weights).astype(np.float64)
    denominators = (applicable.astype(dtype) @ weights).astype(np.float64)
    means = np.full_like(numerators, np.nan)
    np.divide(numerators, denominators, out=means, where=denominators > 0)
    means *= POINTS_PER_LEVEL
    themes = means[:, :n_themes]
    routes = means[:, n_themes:]
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
    )[:, 0]
    counts = {
        "aplicables": np.count_nonzero(applicable, axis=1),
        "respondidas": np.count_nonzero(codes >= 0, axis=1),
        "no_se": np.count_nonzero(codes == DONT_KNOW, axis=1),
        "no_aplica": np.count_nonzero(codes == NOT_APPLICABLE, axis=1),
        "sin_respuesta": np.count_nonzero(codes == UNANSWERED, axis=1),
    }
    values, valid, scores, performance = _indicators(compiled, encoded)
    return BatchScores(
        ids=list(encoded.ids),
        themes=themes,
        routes=routes,
        dimensions=dimensions,
        overall=overall,
        level=maturity_levels(compiled.model, overall),
        weakest=_weakest(dimensions),
        counts=counts,
        indicator_values=values,
        indicator_valid=valid,
        indicator_scores=scores,
        performance=performance,
        theme_denominators=denominators[:, :n_themes],
    )


def _weighted_groups(
    scores: np.ndarray, weights: np.ndarray, group: np.ndarray, n_groups: int
) -> np.ndarray:
    """Weighted mean per group of the non-NaN columns, accumulated column by column."""
    n = scores.shape[0]
    numerator = np.zeros((n, n_groups))
    denominator = np.zeros((n, n_groups))
    for column in range(scores.shape[1]):
        present = ~np.isnan(scores[:, column])
        g = group[column]
        numerator[:, g] += np.where(present, weights[column] * scores[:, column], 0.0)
        denominator[:, g] += np.where(present, weights[column], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def maturity_levels(model: schema.Questionnaire, scores: np.ndarray) -> np.ndarray:
    """Level number (1..n) whose threshold ``desde`` is the highest not above the score."""
    thresholds = np.array([level.desde for level in model.niveles], dtype=np.float64)
    levels = np.searchsorted(thresholds, np.nan_to_num(scores, nan=-1.0), side="right")
    return np.where(np.isnan(scores), 0, levels).astype(np.int64)


def _weakest(dimensions: np.ndarray) -> np.ndarray:
    if dimensions.shape[1] == 0:
        return np.full(dimensions.shape[0], -1)
    filled = np.where(np.isnan(dimensions), np.inf, dimensions)
    weakest = np.argmin(filled, axis=1)
    return np.where(np.isinf(filled.min(axis=1)), -1, weakest)


def _indicators(compiled: CompiledQuestionnaire, encoded: Encoded):
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
