"""The action plan in bulk (``plan_columns``, used by ``puntuar --formato csv``) is the plan of
each assessment scored alone, and the legal-floor gaps are not ordered by their place in the
file."""

from collections import Counter

import pytest

from scoring.answers import encode_frame
from scoring.catalog import DEFAULT_ID, QUESTIONNAIRE_DIR
from scoring.compiled import compile_questionnaire
from scoring.engine import score_batch
from scoring.loader import load_questionnaire
from scoring.plan import plan_columns
from scoring.result import build_result
from scoring.simulate import simulate


@pytest.fixture(scope="module", params=["completo", "expres"])
def scored(request):
    loaded = load_questionnaire(QUESTIONNAIRE_DIR / f"{DEFAULT_ID}.yaml")
    compiled = compile_questionnaire(loaded, request.param)
    encoded, _, _ = encode_frame(compiled, simulate(compiled, 120, seed=3), strict_rows=False)
    return compiled, encoded, score_batch(compiled, encoded)


def test_bulk_plan_is_the_plan_of_each_assessment(scored):
    compiled, encoded, batch = scored
    columns = plan_columns(compiled, batch, encoded)
    for row in range(len(encoded)):
        single = [a.pregunta_id for a in build_result(compiled, batch, encoded, row).plan[:5]]
        assert columns[row] == (single + [""] * 5)[:5]


def test_floor_gaps_no_before_pending_then_a_draw_not_the_file_order(scored):
    compiled, encoded, batch = scored
    requirements = [q.id for q in compiled.requirements]
    first_gap = Counter()
    for row in range(len(encoded)):
        result = build_result(compiled, batch, encoded, row)
        floor = [a for a in result.plan if a.tipo == "piso_legal"]
        states = [a.estado for a in floor]
        assert states == sorted(states, key=lambda s: s == "en_tramite")
        assert {a.pregunta_id for a in floor} == {r.id for r in result.piso_legal.gaps}
        same_urgency = [a for a in floor if a.estado == floor[0].estado] if floor else []
        if len(same_urgency) >= 2:
            first_gap[
                requirements.index(same_urgency[0].pregunta_id)
                == min(requirements.index(a.pregunta_id) for a in same_urgency)
            ] += 1
    # With two or more gaps of the same urgency, the first in the file does not always lead.
    assert first_gap[True] > 0 and first_gap[False] > 0
