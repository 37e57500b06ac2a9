"""Properties of method 2.0 (hypothesis) on the hand-made 2.0 questionnaire and on the base one:
«No sé» never raises the lower bound nor any performance score, an unmet floor never yields a
level above the cap, a batch equals one assessment at a time, and the engine equals the loop."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import schema
from scoring.answers import encode_frame, records_to_frame
from scoring.catalog import default_questionnaire
from scoring.compiled import compile_questionnaire
from scoring.engine import batch_frame, score_batch
from scoring.loader import load_questionnaire
from scoring.reference import loop_score_row
from scoring.result import score_assessment
from scoring.simulate import simulate

FIXTURE = "tests/scoring/fixtures/metodo2.yaml"
CQ = compile_questionnaire(load_questionnaire(FIXTURE), "completo")
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])

LEVEL = st.one_of(st.integers(0, 4), st.just("no_se"))
FLOOR = st.sampled_from(["si", "no", "en_tramite", "no_corresponde"])


@st.composite
def assessments(draw):
    answers: dict[str, object] = {
        "perfil_tamano": draw(st.sampled_from(["micro", "pequena", "mediana", "grande"])),
        "perfil_agua_proceso": draw(st.sampled_from(["si", "no"])),
        "perfil_peligrosos": [draw(st.sampled_from(["aceites_usados", "ninguno"]))],
        "piso_iga": draw(FLOOR),
        "piso_manifiestos": draw(FLOOR),
        "masa_total": draw(st.integers(1, 1000)),
        "masa_circular": draw(st.one_of(st.integers(0, 1000), st.just("no_se"))),
    }
    for question in CQ.practice:
        answers[question.id] = draw(LEVEL)
    if draw(st.booleans()):
        answers["res_valorizacion"] = "no_aplica"
        if draw(st.booleans()):
            answers["res_valorizacion__motivo"] = "No genera ese residuo"
    return answers


def low_scores(result) -> list[float | None]:
    scores = [result.global_, *result.indices, *result.dimensiones, *result.ejes, *result.rutas]
    return [s.puntaje for s in scores]


@SETTINGS
@given(assessments(), st.sampled_from([q.id for q in CQ.practice] + ["masa_circular"]))
def test_dont_know_never_raises_the_lower_bound_nor_performance(answers, qid):
    before = score_assessment(CQ, answers)
    after = score_assessment(CQ, {**answers, qid: "no_se"})
    for old, new in zip(low_scores(before), low_scores(after), strict=True):
        if old is not None and new is not None:
            assert new <= old + 1e-9
    assert after.global_.nivel <= before.global_.nivel
    if after.desempeno is not None:
        assert before.desempeno is not None and after.desempeno <= before.desempeno + 1e-9


@SETTINGS
@given(assessments())
def test_band_brackets_the_point_estimate(answers):
    result = score_assessment(CQ, answers)
    for s in [result.global_, *result.indices, *result.dimensiones]:
        if s.puntaje is None:
            continue
        assert s.puntaje <= s.puntaje_maximo + 1e-9
        if s.puntaje_sin_no_se is not None:
            assert s.puntaje - 1e-9 <= s.puntaje_sin_no_se <= s.puntaje_maximo + 1e-9
    width = result.global_.puntaje_maximo - result.global_.puntaje
    assert result.provisional == (width > 20 + 1e-9)


@SETTINGS
@given(assessments())
def test_unmet_floor_never_yields_a_level_above_the_cap(answers):
    result = score_assessment(CQ, answers)
    if not result.piso_legal.cumple:
        assert result.global_.nivel <= 2
        assert result.plan[0].tipo == "piso_legal"
    else:
        assert all(a.tipo == "practica" for a in result.plan)


@SETTINGS
@given(st.lists(assessments(), min_size=2, max_size=6))
def test_batch_equals_one_at_a_time(batch):
    records = [(str(i), answers, None) for i, answers in enumerate(batch)]
    encoded, _, _ = encode_frame(CQ, records_to_frame(records), strict_rows=False)
    table = batch_frame(CQ, score_batch(CQ, encoded))
    for i, answers in enumerate(batch):
        single = score_assessment(CQ, answers)
        row = table.iloc[i]
        assert row["nivel"] == single.global_.nivel
        assert bool(row["provisional"]) == single.provisional
        for column, value in (
            ("global", single.global_.puntaje),
            ("global_maximo", single.global_.puntaje_maximo),
            *((f"indice_{s.id}", s.puntaje) for s in single.indices),
        ):
            assert (pd.isna(row[column]) and value is None) or row[column] == value


@SETTINGS
@given(assessments())
def test_engine_equals_the_reference_loop_on_method2(answers):
    row = {k: ("|".join(v) if isinstance(v, list) else v) for k, v in answers.items()}
    expected = loop_score_row(CQ, row)
    encoded, _, _ = encode_frame(CQ, records_to_frame([("1", answers, None)]), strict_rows=False)
    got = batch_frame(CQ, score_batch(CQ, encoded)).iloc[0]
    for key, value in expected.items():
        if value is None or value == "":
            assert got[key] == "" or pd.isna(got[key]), key
        elif isinstance(value, bool | np.bool_):
            assert bool(got[key]) == value, key
        elif isinstance(value, str):
            assert got[key] == value, key
        else:
            assert math.isclose(float(got[key]), value, rel_tol=1e-9, abs_tol=1e-9), key


@pytest.mark.parametrize("depth", ["expres", "completo"])
def test_engine_equals_the_loop_on_the_base_questionnaire(depth):
    compiled = compile_questionnaire(default_questionnaire(), depth)
    frame = simulate(compiled, 200, seed=5).astype(str).replace({"nan": ""})
    encoded, problems, _ = encode_frame(compiled, frame, strict_rows=False)
    table = batch_frame(compiled, score_batch(compiled, encoded))
    for i, row in enumerate(frame.to_dict(orient="records")):
        for key, value in loop_score_row(compiled, row).items():
            got = table.iloc[i][key]
            if value is None or value == "":
                assert got == "" or pd.isna(got), (i, key)
            elif isinstance(value, bool | np.bool_ | str):
                assert got == value, (i, key)
            else:
                assert math.isclose(float(got), value, rel_tol=1e-9, abs_tol=1e-9), (i, key)


def test_route_fractions_split_a_question_between_routes():
    result = score_assessment(
        CQ, {"res_segregacion": 4, "res_valorizacion": 0, "agua_medicion": 2, "agua_reuso": 2}
    )
    routes = {r.id: r.puntaje for r in result.rutas}
    # R1: segregacion (peso 2, 100) + half of valorizacion (0) + est_metas unanswered (0):
    # 200 / (2 + 0,5 + 1) = 57,14
    assert routes["R1"] == pytest.approx(200 / 3.5)
    assert routes["R2"] == pytest.approx(0.0)  # only the other half of valorizacion
    assert schema.route_shares({"R1": 0.5, "R2": 0.5}) == {"R1": 0.5, "R2": 0.5}
