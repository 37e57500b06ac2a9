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


# --- the whole engine, one assessment at a time ---------------------------------------------

_CODES = {"no_se": -1, "no_aplica": -3}


def _condition_met(condition, values: dict[str, object]) -> bool:
    if isinstance(condition, schema.AllOf):
        return all(_condition_met(c, values) for c in condition.todas)
    if isinstance(condition, schema.AnyOf):
        return any(_condition_met(c, values) for c in condition.alguna)
    if isinstance(condition, schema.Answered):
        return (values.get(condition.respondida) is not None) == condition.es
    value = values.get(condition.pregunta)
    if value is None:
        return False
    target, op = condition.valor, condition.operador
    if op == "incluye":
        return isinstance(value, frozenset) and target in value
    if op in ("igual", "distinto") and isinstance(value, str):
        return (value == target) == (op == "igual")
    if isinstance(value, frozenset):
        return (value == target) == (op == "igual") if op in ("igual", "distinto") else False
    return {
        "igual": value == target,
        "distinto": value != target,
        "mayor": value > target,
        "mayor_o_igual": value >= target,
        "menor": value < target,
        "menor_o_igual": value <= target,
    }[op]


def loop_score_row(compiled: CompiledQuestionnaire, row: Mapping[str, object]) -> dict[str, object]:
    """Score one assessment the plain way: the baseline of the benchmark.

    ``row`` maps question ids to CSV text or to decoded values (levels as int, numbers as
    float, multiple choices as sets).

    Produces the same columns as ``scoring.engine.batch_frame`` for valid rows.
    """
    values: dict[str, object] = {}  # usable answers, for conditions
    answers: dict[str, object] = {}
    hidden: set[str] = set()
    numbers: dict[str, float] = {}
    for question in compiled.questions:
        raw = row.get(question.id)
        if isinstance(raw, str):
            raw = raw.strip()
        if question.mostrar_si is not None and not _condition_met(question.mostrar_si, values):
            hidden.add(question.id)
            continue
        if raw is None or raw == "":
            continue
        if isinstance(question, schema.PracticeQuestion):
            level = int(raw) if isinstance(raw, int) or str(raw).isdigit() else None
            answers[question.id] = raw if level is None else level
            if level is not None:
                values[question.id] = float(level)
        elif isinstance(question, schema.NumberQuestion):
            if raw != "no_se":
                numbers[question.id] = float(raw)
                values[question.id] = float(raw)
        elif isinstance(question, schema.MultipleChoiceQuestion):
            items = raw.split("|") if isinstance(raw, str) else raw
            values[question.id] = frozenset(x for x in items if x)
        elif isinstance(question, schema.SingleChoiceQuestion) and raw not in _CODES:
            values[question.id] = raw
    result: dict[str, object] = dict(reference_scores(compiled, answers, hidden))
    overall = result["global"]
    level = 0
    if overall is not None:
        for threshold in compiled.model.niveles:
            if overall >= threshold.desde:
                level = threshold.nivel
    result["nivel"] = level
    dims = [(result[f"dim_{d.id}"], d.id) for d in compiled.dimensions]
    scored = [(score, ident) for score, ident in dims if score is not None]
    lowest = min((score for score, _ in scored), default=None)
    weakest = [ident for score, ident in scored if score <= lowest + 1e-9] if scored else [""]
    result["dimension_mas_debil"] = weakest[0]
    applicable = answered = dont_know = 0
    for question in compiled.practice:
        answer = answers.get(question.id)
        if question.id in hidden or answer == "no_aplica":
            continue
        applicable += 1
        answered += isinstance(answer, int)
        dont_know += answer == "no_se"
    result["cobertura"] = 100.0 * answered / applicable if applicable else 0.0
    result["no_se"] = dont_know
    perf_num = perf_den = 0.0
    for info in compiled.indicators:
        indicator = info.model
        try:
            value = _evaluate(info.formula.tree, numbers)
        except (KeyError, ZeroDivisionError):
            value = None
        if value is not None and not indicator.minimo <= value <= indicator.maximo:
            value = None
        result[f"ind_{indicator.id}"] = value
        if value is not None and indicator.escala is not None:
            zero, hundred = indicator.escala.cero, indicator.escala.cien
            points = min(max((value - zero) * (100.0 / (hundred - zero)), 0.0), 100.0)
            perf_num += points * indicator.peso
            perf_den += indicator.peso
    result["desempeno"] = perf_num / perf_den if perf_den else None
    return result


def _evaluate(node, numbers: dict[str, float]) -> float:
    import ast

    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, numbers), _evaluate(node.right, numbers)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        return left / right
    if isinstance(node, ast.UnaryOp):
        operand = _evaluate(node.operand, numbers)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Name):
        return numbers[node.id]
    return float(node.value)
