"""Properties of the engine on random questionnaires and answers (hypothesis)."""

import io

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.answers import encode_answers, encode_frame, records_to_frame
from scoring.engine import batch_frame, score_batch
from scoring.reference import close, reference_scores
from scoring.result import score_assessment
from tests.scoring.builders import compiled, dimension, practice, questionnaire, theme

ANSWER = st.one_of(st.integers(0, 4), st.sampled_from(["no_se", "no_aplica", None]))
WEIGHT = st.sampled_from([1, 2, 3, 0.5, 1.25, 0.001, 7.5])


@st.composite
def questionnaires(draw):
    counter = iter(range(10_000))
    dims = []
    for d in range(draw(st.integers(1, 3))):
        themes = []
        for t in range(draw(st.integers(1, 3))):
            questions = [
                practice(
                    f"q{next(counter)}",
                    draw(st.sampled_from(["R1", "R2", "R3"])),
                    draw(WEIGHT),
                    permite_no_aplica=True,
                )
                for _ in range(draw(st.integers(1, 4)))
            ]
            themes.append(theme(f"t{d}_{t}", questions, draw(WEIGHT)))
        dims.append(dimension(f"d{d}", themes, draw(WEIGHT)))
    return compiled(questionnaire(dims))


@st.composite
def case(draw, rows=1):
    cq = draw(questionnaires())
    ids = [q.id for q in cq.practice]
    batch = [{qid: a for qid in ids if (a := draw(ANSWER)) is not None} for _ in range(rows)]
    return cq, batch


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def all_scores(result) -> list[float]:
    values = [result.global_.puntaje]
    values += [s.puntaje for s in result.dimensiones + result.ejes + result.rutas]
    return [v for v in values if v is not None]


@SETTINGS
@given(case())
def test_scores_within_bounds(data):
    cq, (answers,) = data
    result = score_assessment(cq, answers)
    assert all(0.0 <= v <= 100.0 for v in all_scores(result))
    assert 0 <= result.cobertura["porcentaje"] <= 100


@SETTINGS
@given(case(), st.data())
def test_raising_one_answer_never_lowers_any_score(data, more):
    cq, (answers,) = data
    qid = more.draw(st.sampled_from([q.id for q in cq.practice]))
    current = answers.get(qid)
    if current == "no_aplica":
        return  # moving from "not applicable" changes the denominator, not the level
    level = current if isinstance(current, int) else 0
    if level == 4:
        return
    higher = dict(answers, **{qid: more.draw(st.integers(level + 1, 4))})
    before, after = score_assessment(cq, answers), score_assessment(cq, higher)
    pairs = zip(
        [before.global_, *before.dimensiones, *before.ejes, *before.rutas],
        [after.global_, *after.dimensiones, *after.ejes, *after.rutas],
        strict=True,
    )
    for old, new in pairs:
        if old.puntaje is not None:
            assert new.puntaje >= old.puntaje - 1e-9


@SETTINGS
@given(case())
def test_adding_a_not_applicable_question_changes_nothing(data):
    cq, (answers,) = data
    model = cq.model.model_dump(mode="json", exclude_none=True)
    extra = practice("extra_na", "R2", 5, permite_no_aplica=True)
    model["dimensiones"][0]["ejes"][0]["preguntas"].append(extra)
    wider = compiled(model)
    before = score_assessment(cq, answers)
    after = score_assessment(wider, dict(answers, extra_na="no_aplica"))
    assert all_scores(before) == all_scores(after)
    assert before.global_.puntaje == after.global_.puntaje


@SETTINGS
@given(case(rows=6))
def test_batch_equals_one_by_one_exactly(data):
    cq, batch = data
    frame = records_to_frame([(str(i), answers, None) for i, answers in enumerate(batch)])
    encoded, _, _ = encode_frame(cq, frame)
    together = batch_frame(cq, score_batch(cq, encoded))
    for i, answers in enumerate(batch):
        alone_encoded, _ = encode_answers(cq, answers, ident=str(i))
        alone = batch_frame(cq, score_batch(cq, alone_encoded))
        pd.testing.assert_frame_equal(
            together.iloc[[i]].reset_index(drop=True), alone, check_exact=True
        )


@SETTINGS
@given(case())
def test_engine_agrees_with_the_plain_python_method(data):
    cq, (answers,) = data
    frame = batch_frame(cq, score_batch(cq, encode_answers(cq, answers)[0])).iloc[0]
    expected = reference_scores(cq, answers, hidden=set())
    for key, value in expected.items():
        assert close(float(frame[key]), value), key


@SETTINGS
@given(case(rows=4))
def test_csv_round_trip(data):
    cq, batch = data
    frame = records_to_frame([(f"e{i}", answers, None) for i, answers in enumerate(batch)])
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False)
    buffer.seek(0)
    read_back = pd.read_csv(buffer, dtype=str, keep_default_na=False)
    direct = batch_frame(cq, score_batch(cq, encode_frame(cq, frame)[0]))
    via_csv = batch_frame(cq, score_batch(cq, encode_frame(cq, read_back)[0]))
    pd.testing.assert_frame_equal(direct, via_csv, check_exact=True)
    assert np.array_equal(direct["id"], [f"e{i}" for i in range(len(batch))])
