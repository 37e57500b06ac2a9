"""Skip conditions ("mostrar_si"): column-wise over encoded answers (batches, scoring) and
one assessment at a time in plain Python (the form, which reruns on every click).

A hidden question counts as not asked: it leaves every denominator, and its answer is ignored.
A condition on a question without a usable answer (blank, "No sé", "No aplica" or hidden)
is not met.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from scoring import schema

if TYPE_CHECKING:
    from scoring.answers import Encoded
    from scoring.compiled import CompiledQuestionnaire

_NUMERIC = {
    "igual": np.equal,
    "distinto": np.not_equal,
    "mayor": np.greater,
    "mayor_o_igual": np.greater_equal,
    "menor": np.less,
    "menor_o_igual": np.less_equal,
}
_SCALAR = {
    "igual": operator.eq,
    "distinto": operator.ne,
    "mayor": operator.gt,
    "mayor_o_igual": operator.ge,
    "menor": operator.lt,
    "menor_o_igual": operator.le,
}


def apply_conditions(compiled: CompiledQuestionnaire, encoded: Encoded) -> None:
    """Hide, in place and in document order, the answers whose condition is not met."""
    from scoring.answers import HIDDEN

    for question in compiled.conditional:
        shown = evaluate(question.mostrar_si, compiled, encoded)
        hidden = ~shown
        if not hidden.any():
            continue
        qid = question.id
        if qid in compiled.practice_index:
            encoded.practice[hidden, compiled.practice_index[qid]] = HIDDEN
        elif qid in compiled.number_index:
            encoded.numbers[hidden, compiled.number_index[qid]] = np.nan
            encoded.number_sources[hidden, compiled.number_index[qid]] = None
        if qid in compiled.requirement_index and encoded.requirements is not None:
            # A legal-floor item that is not asked does not apply to this firm.
            encoded.requirements[hidden, compiled.requirement_index[qid]] = "no_corresponde"
        if qid in encoded.choices:
            encoded.choices[qid][hidden] = None
        elif isinstance(question, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
            encoded.choices[qid] = np.full(len(encoded), None, dtype=object)
        encoded.hidden.setdefault(qid, hidden)


def evaluate(condition, compiled: CompiledQuestionnaire, encoded: Encoded) -> np.ndarray:
    n = len(encoded)
    if isinstance(condition, schema.AllOf):
        result = np.ones(n, dtype=bool)
        for item in condition.todas:
            result &= evaluate(item, compiled, encoded)
        return result
    if isinstance(condition, schema.AnyOf):
        result = np.zeros(n, dtype=bool)
        for item in condition.alguna:
            result |= evaluate(item, compiled, encoded)
        return result
    if isinstance(condition, schema.Answered):
        usable, _ = _values(condition.respondida, compiled, encoded)
        return usable if condition.es else ~usable
    usable, values = _values(condition.pregunta, compiled, encoded)
    op, target = condition.operador, condition.valor
    if values.dtype == object:
        if op == "incluye":
            met = np.array([isinstance(v, frozenset) and target in v for v in values])
        else:
            met = (values == target).astype(bool)
            if op == "distinto":
                met = ~met
    else:
        with np.errstate(invalid="ignore"):
            met = _NUMERIC[op](values, float(target))
    return usable & met


def _values(qid: str, compiled: CompiledQuestionnaire, encoded: Encoded):
    n = len(encoded)
    if qid in compiled.practice_index:
        codes = encoded.practice[:, compiled.practice_index[qid]]
        return codes >= 0, codes
    if qid in compiled.number_index:
        values = encoded.numbers[:, compiled.number_index[qid]]
        return ~np.isnan(values), values
    values = encoded.choices.get(qid)
    if values is None:
        return np.zeros(n, dtype=bool), np.full(n, None, dtype=object)
    usable = (values != None) & (values != "no_se") & (values != "no_aplica")  # noqa: E711
    return usable, values


def hidden_questions(compiled: CompiledQuestionnaire, answers: Mapping[str, object]) -> set[str]:
    """Ids of the questions one assessment's skip conditions hide.

    The same rules as ``apply_conditions`` without building arrays (the form asks this on
    every rerun): document order, so a hidden question's answer no longer counts for the
    conditions after it; a condition on a question without a usable answer is not met.
    """
    hidden: set[str] = set()
    value_of = value_reader(compiled, answers, hidden)
    for question in compiled.conditional:
        if not condition_met(question.mostrar_si, value_of):
            hidden.add(question.id)
    return hidden


def value_reader(
    compiled: CompiledQuestionnaire, answers: Mapping[str, object], hidden
) -> Callable[[str], object]:
    """What a condition sees of each answer of one assessment (None for a question in
    ``hidden``, which the caller may keep filling), read once per question."""
    from scoring.answers import condition_value

    seen: dict[str, object] = {}

    def value_of(qid: str) -> object:
        if qid in hidden:
            return None
        if qid not in seen:
            seen[qid] = condition_value(compiled, qid, answers.get(qid))
        return seen[qid]

    return value_of


def condition_met(condition, value_of: Callable[[str], object]) -> bool:
    """Whether ``condition`` holds for one assessment; ``value_of`` reads an answer as
    ``scoring.answers.condition_value`` does (None when there is no usable answer)."""
    if isinstance(condition, schema.AllOf):
        return all(condition_met(item, value_of) for item in condition.todas)
    if isinstance(condition, schema.AnyOf):
        return any(condition_met(item, value_of) for item in condition.alguna)
    if isinstance(condition, schema.Answered):
        return (value_of(condition.respondida) is not None) == condition.es
    value = value_of(condition.pregunta)
    if value is None:
        return False
    op, target = condition.operador, condition.valor
    if isinstance(value, float | np.floating):  # a practice level or a number
        return bool(_SCALAR[op](value, float(target)))
    if op == "incluye":
        return isinstance(value, frozenset) and target in value
    # Choices compare by equality, as the object column does for every other operator.
    return (value == target) != (op == "distinto")
