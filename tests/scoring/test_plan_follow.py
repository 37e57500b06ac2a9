"""Plan follow-up rules: what a firm may type, progress, and which done actions moved which
scores between two results of the hand-worked method 2.0 fixture."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scoring import compile_questionnaire, load_questionnaire, plan_follow, score_assessment

FIXTURE = Path(__file__).parent / "fixtures" / "metodo2.yaml"
BEFORE = {
    "perfil_tamano": "pequena",
    "perfil_agua_proceso": "si",
    "perfil_peligrosos": ["aceites_usados"],
    "piso_iga": "no",
    "piso_manifiestos": "si",
    "agua_medicion": 1,
    "agua_reuso": 2,
    "res_segregacion": 4,
    "res_valorizacion": 2,
    "est_metas": 3,
    "sst_mejora": 3,
    "masa_total": 200,
    "masa_circular": 50,
}


@pytest.fixture(scope="module")
def compiled():
    return compile_questionnaire(load_questionnaire(FIXTURE), "completo")


def _score(compiled, **changes):
    return score_assessment(compiled, {**BEFORE, **changes}, {})


def test_owner_is_trimmed_and_checked() -> None:
    assert plan_follow.clean_owner("  Ana   Pérez, jefa de planta ") == "Ana Pérez, jefa de planta"
    assert plan_follow.clean_owner("   ") is None
    with pytest.raises(ValueError, match="a lo más 120"):
        plan_follow.clean_owner("A" * 121)
    with pytest.raises(ValueError, match="con letras"):
        plan_follow.clean_owner("12345")


def test_target_date_within_plausible_years() -> None:
    today = dt.date(2026, 12, 1)
    assert plan_follow.check_target(dt.date(2027, 3, 15), today) == dt.date(2027, 3, 15)
    assert plan_follow.check_target(None, today) is None
    with pytest.raises(ValueError, match="1 de enero de 2000"):
        plan_follow.check_target(dt.date(1999, 12, 31), today)
    with pytest.raises(ValueError, match="no es válida"):
        plan_follow.check_target(dt.date(2037, 1, 1), today)
    with pytest.raises(ValueError, match="Estado desconocido"):
        plan_follow.check_status("terminado")


def test_progress_counts_unfollowed_actions_as_pending() -> None:
    counts = plan_follow.progress(
        ["a", "b", "c", "d", "a"], {"a": "hecho", "b": "en_curso", "z": "hecho"}
    )
    assert (counts.total, counts.hecho, counts.en_curso, counts.pendiente) == (4, 1, 1, 2)
    assert counts.share_done == 0.25
    assert plan_follow.progress([], {}).share_done == 0.0


def test_done_action_that_raised_its_practice_moves_its_theme_and_index(compiled) -> None:
    previous = _score(compiled)
    current = _score(compiled, agua_medicion=3)
    assert any(a.pregunta_id == "agua_medicion" for a in previous.plan)
    [movement] = plan_follow.moved_scores(previous, current, ["agua_medicion"])
    assert movement.moved and movement.kind == "practica"
    assert (movement.level.before, movement.level.after) == (1.0, 3.0)
    agua_before = next(t for t in previous.ejes if t.id == "agua").puntaje
    agua_after = next(t for t in current.ejes if t.id == "agua").puntaje
    assert agua_after > agua_before
    assert (movement.theme.before, movement.theme.after) == (agua_before, agua_after)
    circular = [next(i for i in r.indices if i.id == "circular") for r in (previous, current)]
    assert movement.index.name == "Índice de circularidad"
    assert (movement.index.before, movement.index.after) == tuple(i.puntaje for i in circular)
    sentence = plan_follow.movement_sentence(movement)
    assert "la práctica pasó del nivel 1 al 3" in sentence
    assert "el eje «Agua» subió de" in sentence
    assert "su «Índice de circularidad» subió de" in sentence


def test_done_action_that_changed_nothing_says_so(compiled) -> None:
    previous = _score(compiled)
    [movement] = plan_follow.moved_scores(previous, _score(compiled), ["agua_medicion"])
    assert not movement.moved
    sentence = plan_follow.movement_sentence(movement)
    assert "marcada como hecha, pero no movió sus puntajes" in sentence
    assert "la práctica sigue en el nivel 1" in sentence
    assert "se mantuvo en" in sentence


def test_legal_requirement_met_and_actions_outside_the_previous_plan(compiled) -> None:
    previous = _score(compiled)
    current = _score(compiled, piso_iga="si")
    movements = plan_follow.moved_scores(
        previous, current, ["piso_iga", "res_segregacion", "no_existe"]
    )
    # res_segregacion was at level 4 (not in the plan) and no_existe is unknown: skipped.
    assert [m.question_id for m in movements] == ["piso_iga"]
    assert movements[0].moved and movements[0].kind == "piso_legal"
    assert plan_follow.movement_sentence(movements[0]).endswith(
        "el requisito legal pasó de «no cumple» a «cumple»."
    )
    [still] = plan_follow.moved_scores(previous, _score(compiled), ["piso_iga"])
    assert not still.moved
    assert "el requisito sigue «no cumple»" in plan_follow.movement_sentence(still)


def test_done_before_a_reassessment_belongs_to_the_earlier_plan() -> None:
    submitted = dt.datetime(2027, 3, 1, 15, tzinfo=dt.UTC)
    before = submitted - dt.timedelta(days=3)
    after = submitted + dt.timedelta(hours=1)
    assert plan_follow.done_in_earlier_plan("hecho", before, submitted)
    assert not plan_follow.done_in_earlier_plan("hecho", after, submitted)
    assert not plan_follow.done_in_earlier_plan("en_curso", None, submitted)
    assert not plan_follow.done_in_earlier_plan("hecho", before, None)  # no plan yet
