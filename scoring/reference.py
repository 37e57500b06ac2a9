"""The method written as a plain per-assessment Python loop, line by line as in the guide.

Used to cross-check the vectorised engine and as the baseline of the benchmark; the app and
the command line use ``scoring.engine``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from scoring import schema
from scoring.compiled import CompiledQuestionnaire
from scoring.deflator import price_index


def reference_scores(
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    hidden: set[str],
    dont_know_as: int | None = 0,
) -> dict[str, float | None]:
    """Overall, dimension, index, theme and route scores of one assessment (None: nothing
    applicable).

    ``answers`` holds levels 0–4, "no_se", "no_aplica" or nothing; ``hidden`` the questions
    whose skip condition was not met. ``dont_know_as`` is the level a "No sé" counts as: 0 for
    the score shown (the lower end of the band), 4 for the upper end, None to leave it out.
    """
    theme_sums: dict[str, list[float]] = {t.id: [0.0, 0.0] for t in compiled.themes}
    route_sums: dict[str, list[float]] = {r: [0.0, 0.0] for r in schema.ROUTES}
    for question in compiled.practice:
        answer = answers.get(question.id)
        if question.id in hidden or answer == "no_aplica":
            continue
        if answer == "no_se":
            if dont_know_as is None:
                continue
            points = 25.0 * dont_know_as
        else:
            points = 25.0 * answer if isinstance(answer, int) else 0.0
        theme = theme_sums[compiled.theme_of[question.id]]
        theme[0] += question.peso * points
        theme[1] += question.peso
        for route, share in schema.route_shares(question.ruta).items():
            route_sums[route][0] += question.peso * share * points
            route_sums[route][1] += question.peso * share
    result: dict[str, float | None] = {}
    for theme_id, (num, den) in theme_sums.items():
        result[f"eje_{theme_id}"] = num / den if den else None
    for route, (num, den) in route_sums.items():
        result[f"ruta_{route}"] = num / den if den else None

    def mean_of_themes(members) -> float | None:
        num = den = 0.0
        for theme in compiled.themes:
            score = result[f"eje_{theme.id}"]
            if theme.id in members and score is not None:
                num += theme.weight * score
                den += theme.weight
        return num / den if den else None

    overall_num = overall_den = 0.0
    for dimension in compiled.dimensions:
        score = mean_of_themes({t.id for t in dimension.ejes})
        result[f"dim_{dimension.id}"] = score
        if score is not None:
            overall_num += dimension.peso * score
            overall_den += dimension.peso
    result["global"] = overall_num / overall_den if overall_den else None
    for index in compiled.indices:
        score = mean_of_themes(set(index.ejes))
        result[f"indice_{index.id}"] = score
        if index.principal:  # method 2.0: the principal index decides the level
            result["global"] = score
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
    floor: dict[str, str | None] = {}
    method2 = compiled.method == "2.0"
    for question in compiled.questions:
        raw = row.get(question.id)
        if isinstance(raw, str):
            raw = raw.strip()
        if question.mostrar_si is not None and not _condition_met(question.mostrar_si, values):
            hidden.add(question.id)
            if isinstance(question, schema.RequirementQuestion):
                floor[question.id] = "no_corresponde"
            continue
        if isinstance(question, schema.RequirementQuestion):
            allowed = question.no_corresponde_si is not None and _condition_met(
                question.no_corresponde_si, values
            )
            floor[question.id] = "no" if raw == "no_corresponde" and not allowed else raw
            continue
        if (
            method2
            and isinstance(question, schema.PracticeQuestion)
            and question.no_aplica_si is not None
            and _condition_met(question.no_aplica_si, values)
        ):
            answers[question.id] = "no_aplica"  # the profile decides, whatever was answered
            continue
        if raw is None or raw == "":
            continue
        if isinstance(question, schema.PracticeQuestion):
            level = int(raw) if isinstance(raw, int) or str(raw).isdigit() else None
            if method2 and raw == "no_aplica" and not row.get(question.id + "__motivo"):
                continue  # a bare "No aplica" the profile does not explain: unanswered
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
    point = reference_scores(compiled, answers, hidden, dont_know_as=None)
    high = reference_scores(compiled, answers, hidden, dont_know_as=4)
    result["global_sin_no_se"] = point["global"]
    result["global_maximo"] = high["global"]
    overall = result["global"]
    level = 0
    if overall is not None:
        for threshold in compiled.model.niveles:
            if overall >= threshold.desde - 1e-9:
                level = threshold.nivel
    floor_met = all(answer in ("si", "no_corresponde") for answer in floor.values())
    if compiled.model.piso_legal is not None and not floor_met:
        level = min(level, compiled.model.piso_legal.tope)
    result["nivel"] = level
    result["piso_legal_cumple"] = floor_met
    result["provisional"] = (
        overall is not None and high["global"] - overall > compiled.model.umbral_provisional + 1e-9
    )
    dims = [(result[f"dim_{d.id}"], d.id) for d in compiled.dimensions]
    scored = sorted(
        [(score, i, ident) for i, (score, ident) in enumerate(dims) if score is not None]
    )
    margin = compiled.model.margen_dimension_debil
    if not scored:
        weakest = ""
    elif margin <= 0 or len(scored) >= 2 and scored[1][0] - scored[0][0] >= margin - 1e-9:
        weakest = scored[0][2]
    else:
        weakest = ""
    result["dimension_mas_debil"] = weakest
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
    core = set(compiled.model.indicadores_nucleo)
    core_valid = set()
    for info in compiled.indicators:
        indicator = info.model
        try:
            value = _evaluate(info.formula.tree, numbers)
        except (KeyError, ZeroDivisionError, ValueError):
            value = None
        if value is not None and not indicator.minimo <= value <= indicator.maximo:
            value = None
        result[f"ind_{indicator.id}"] = value
        if core and indicator.id not in core:
            continue
        if value is not None and indicator.escala is not None:
            zero, hundred = indicator.escala.cero, indicator.escala.cien
            points = min(max((value - zero) * (100.0 / (hundred - zero)), 0.0), 100.0)
            perf_num += points * indicator.peso
            perf_den += indicator.peso
            core_valid.add(indicator.id)
    result["desempeno"] = perf_num / perf_den if perf_den else None
    if core and core_valid != core:
        result["desempeno"] = None  # method 2.0: only with the whole core set
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
    if isinstance(node, ast.Call):
        args = [_evaluate(arg, numbers) for arg in node.args]
        if node.func.id == "ipc":
            return price_index()[int(args[0])]  # KeyError outside the table: no value
        base, degree = args
        if base < 0 or degree <= 0 or degree != int(degree):
            raise ValueError
        return base ** (1.0 / degree)
    return float(node.value)
