"""Random valid assessments for demos, tests and benchmarks (one row each, CSV layout)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoring import schema
from scoring.answers import NO_APLICA, NO_SE, REASON_SUFFIX, SOURCE_SUFFIX
from scoring.compiled import CompiledQuestionnaire


def simulate(compiled: CompiledQuestionnaire, n: int, seed: int | None = None) -> pd.DataFrame:
    """``n`` assessments whose practice levels follow each firm's latent maturity.

    About 4 % of answers are "No sé" and, where allowed, 4 % "No aplica" (with a one-line
    reason, as method 2.0 asks). Legal-floor items are met more often by more mature firms
    (70 % to 98 %); the rest are "no" or "en trámite". Numbers are drawn
    inside each question's valid range, with totals at least as large as their parts not
    guaranteed: an indicator may come out of range, as with real careless input.
    """
    rng = np.random.default_rng(seed)
    maturity = rng.uniform(0, 4, size=n)
    columns: dict[str, object] = {"id": [f"sim-{i + 1}" for i in range(n)]}
    for question in compiled.questions:
        if isinstance(question, schema.PracticeQuestion):
            levels = np.clip(np.rint(maturity + rng.normal(0, 0.9, size=n)), 0, 4).astype(int)
            values = levels.astype(str).astype(object)
            draw = rng.random(n)
            if question.permite_no_se:
                values[draw < 0.04] = NO_SE
            if question.permite_no_aplica:
                declared = (draw >= 0.04) & (draw < 0.08)
                values[declared] = NO_APLICA
                reasons = np.where(declared, "Simulada: no corresponde a su proceso", "")
                columns[question.id + REASON_SUFFIX] = reasons.astype(object)
            columns[question.id] = values
        elif isinstance(question, schema.RequirementQuestion):
            met = rng.random(n) < 0.7 + 0.07 * maturity
            pending = rng.random(n) < 0.5
            columns[question.id] = np.where(met, "si", np.where(pending, "en_tramite", "no"))
        elif isinstance(question, schema.SingleChoiceQuestion):
            options = [o.valor for o in question.opciones]
            columns[question.id] = rng.choice(options, size=n, p=_first_heavy(len(options)))
        elif isinstance(question, schema.MultipleChoiceQuestion):
            options = np.array([o.valor for o in question.opciones])
            picks = rng.random((n, len(options))) < 0.4
            columns[question.id] = ["|".join(options[row]) for row in picks]
        elif isinstance(question, schema.NumberQuestion):
            span = min(question.maximo - question.minimo, typical_span(question))
            values = question.minimo + span * rng.beta(2, 5, size=n)
            columns[question.id] = np.round(values, min(question.decimales, 2))
            columns[question.id + SOURCE_SUFFIX] = rng.choice(
                ["medido", "estimado"], size=n, p=[0.6, 0.4]
            )
    return pd.DataFrame(columns)


def _first_heavy(count: int) -> list[float]:
    weights = np.array([2.0] + [1.0] * (count - 1))
    return list(weights / weights.sum())


def typical_span(question: schema.NumberQuestion) -> float:
    """A plausible magnitude for a small or medium Peruvian plant, by unit."""
    unit = question.unidad.lower()
    if "%" in unit:
        return 100.0
    if "trabajador" in unit or "persona" in unit:
        return 250.0
    if unit.startswith("s/") or "soles" in unit:
        return 20_000_000.0
    if "hora" in unit:
        return 400_000.0
    if "accidente" in unit:
        return 20.0
    return 5_000.0
