"""The sample assessment uses the base questionnaire's current number ids.

If ``reports.sample.PROFILE`` fell behind the questionnaire again, its indicators would come out
empty and the report's performance score would be missing: these tests would fail.
"""

from __future__ import annotations

import pytest

from reports.sample import PROFILE, SAMPLE_SIZE, sample_answers, sample_report
from scoring import compile_questionnaire, schema
from scoring.catalog import default_questionnaire


def test_profile_covers_every_number_question() -> None:
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    numbers = {q.id for q in compiled.questions if isinstance(q, schema.NumberQuestion)}
    assert numbers <= set(PROFILE), sorted(numbers - set(PROFILE))
    assert set(PROFILE) <= numbers, sorted(set(PROFILE) - numbers)  # no stale ids


@pytest.mark.parametrize("seed", [7, 3, 11])
def test_sample_report_indicators_are_valid(seed: int) -> None:
    result, context = sample_report("completo", seed=seed)
    core = set(context.compiled.model.indicadores_nucleo)
    assert core
    by_id = {i.id: i for i in result.indicadores}
    assert core <= set(by_id)
    invalid = [i.id for i in result.indicadores if not i.valido]
    assert not invalid, invalid  # every indicator, the core four and real productivity growth
    assert isinstance(result.desempeno, float) and 0 <= result.desempeno <= 100
    growth = by_id["crecimiento_productividad_real"].valor
    assert -5 < growth < 10  # % per year: plausible for a small plant
    assert context.answers["perfil_tamano"] == SAMPLE_SIZE


def test_sample_answers_deterministic() -> None:
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    assert sample_answers(compiled, seed=4) == sample_answers(compiled, seed=4)
    assert sample_answers(compiled, seed=4) != sample_answers(compiled, seed=5)
