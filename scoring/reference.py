"""The method written as a plain per-assessment Python loop, line by line as in the guide.

Used to cross-check the vectorised engine and as the baseline of the benchmark; the app and
the command line use ``scoring.engine``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scoring import schema
from scoring.compiled import CompiledQuestionnaire


def reference_scores(
    compiled: CompiledQuestionnaire, answers: Mapping[str, object], hidden: set[str]
) -> dict[str, float | None]:
    """Overall, dimension, theme and route scores of one assessment (None: nothing applicable).

    ``answers`` holds levels 0–4, "no_se", "no_aplica" or nothing; ``hidden`` the questions
    whose skip condition was not met.
    """
    theme_sums: dict[str, list[float]] = {t.id: [0.0, 0.0] for t in compiled.themes}
    route_sums: dict[str, list[float]] = {r: [0.0, 0.0] for r in schema.ROUTES}
    for question in compiled.practice:
        answer = answers.get(question.id)
        if question.id in hidden or answer == "no_aplica":
            continue
        points = 25.0 * answer if isinstance(answer, int) else 0.0
        for sums in (theme_sums[compiled.theme_of[question.id]], route_sums[question.ruta]):
            sums[0] += question.peso * points
            sums[1] += question.peso
    result: dict[str, float | None] = {}
    for theme_id, (num, den) in theme_sums.items():
        result[f"eje_{theme_id}"] = num / den if den else None
    for route, (num, den) in route_sums.items():
        result[f"ruta_{route}"] = num / den if den else None
    overall_num = overall_den = 0.0
    for dimension in compiled.dimensions:
        num = den = 0.0
        for theme in compiled.themes:
            score = result[f"eje_{theme.id}"]
            if theme.dimension == dimension.id and score is not None:
                num += theme.weight * score
                den += theme.weight
        score = num / den if den else None
        result[f"dim_{dimension.id}"] = score
        if score is not None:
            overall_num += dimension.peso * score
            overall_den += dimension.peso
    result["global"] = overall_num / overall_den if overall_den else None
    return result


def close(a: float | None, b: float | None, tolerance: float = 1e-9) -> bool:
    """Equal within ``tolerance``, treating None and NaN alike as "no score"."""
    a_missing = a is None or math.isnan(a)
    b_missing = b is None or math.isnan(b)
    if a_missing or b_missing:
        return a_missing and b_missing
    return abs(a - b) <= tolerance
