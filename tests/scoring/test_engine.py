"""Hand-computed scores on small inline questionnaires."""

import math

import pytest

from scoring.answers import encode_answers
from scoring.engine import score_batch
from scoring.result import score_assessment
from tests.scoring.builders import compiled, dimension, practice, questionnaire, theme


def two_dimensions():
    eco = dimension(
        "eco",
        [
            theme("t1", [practice("a", "R1", 1), practice("b", "R2", 3, permite_no_aplica=True)]),
            theme("t2", [practice("c", "R3", 1)], weight=2),
        ],
        weight=2,
    )
    amb = dimension("amb", [theme("t3", [practice("d", "R1", 1)])])
    return compiled(questionnaire([eco, amb]))


def test_weighted_means_by_hand():
    result = score_assessment(two_dimensions(), {"a": 4, "b": 0, "c": 2, "d": 3})
    # t1 = (1·100 + 3·0)/4 = 25; t2 = 50; eco = (1·25 + 2·50)/3 = 41.67; amb = 75
    assert [e.puntaje for e in result.ejes] == [25.0, 50.0, 75.0]
    assert result.dimension("eco").puntaje == pytest.approx(125 / 3)
    # overall = (2·41.67 + 1·75)/3 = 52.78 → "En transición"
    assert result.global_.puntaje == pytest.approx((2 * 125 / 3 + 75) / 3)
    assert result.global_.nivel_nombre == "En transición"
    assert result.dimension_mas_debil == "eco"
    # R1 = (100 + 75)/2; R2 = 0; R3 = 50
    assert [r.puntaje for r in result.rutas] == [87.5, 0.0, 50.0]


def test_not_applicable_leaves_the_denominator_and_dont_know_counts_zero():
    result = score_assessment(two_dimensions(), {"a": 4, "b": "no_aplica", "c": 2, "d": "no_se"})
    assert result.ejes[0].puntaje == 100.0
    assert result.dimension("amb").puntaje == 0.0
    assert result.brechas == ["d"]
    assert result.cobertura["no_se"] == 1 and result.cobertura["no_aplica"] == 1
    assert result.cobertura["respondidas"] == 2 and result.cobertura["aplicables"] == 3


def test_dimension_with_nothing_applicable_is_reported_as_such():
    data = questionnaire(
        [
            dimension("eco", [theme("t1", [practice("a")])]),
            dimension("amb", [theme("t2", [practice("b", permite_no_aplica=True)])]),
        ]
    )
    result = score_assessment(compiled(data), {"a": 2, "b": "no_aplica"})
    assert result.dimension("amb").puntaje is None
    assert result.global_.puntaje == 50.0
    assert result.dimension_mas_debil == "eco"


def test_level_boundaries():
    data = questionnaire([dimension("d", [theme("t", [practice("a"), practice("b")])])])
    cq = compiled(data)
    # 20 exactly is "Inicial" (20–40), 80 exactly is "Circular"
    assert score_assessment(cq, {"a": 1, "b": 0}).global_.nivel_nombre == "Lineal"  # 12.5
    assert score_assessment(cq, {"a": 4, "b": 4}).global_.nivel == 5
    result = score_assessment(cq, {"a": 2, "b": 2})
    assert result.global_.puntaje == 50.0 and result.global_.nivel_nombre == "En transición"


def test_skip_condition_hides_question():
    gate = {
        "id": "g",
        "tipo": "opcion_unica",
        "texto": "¿Usa agua?",
        "ruta": "R3",
        "profundidades": ["expres", "completo"],
        "opciones": [{"valor": "si", "etiqueta": "Sí"}, {"valor": "no", "etiqueta": "No"}],
    }
    water = practice("w", mostrar_si={"pregunta": "g", "valor": "si"})
    data = questionnaire([dimension("d", [theme("t", [gate, practice("a"), water])])])
    cq = compiled(data)
    hidden = score_assessment(cq, {"g": "no", "a": 2, "w": 0})
    shown = score_assessment(cq, {"g": "si", "a": 2, "w": 0})
    assert hidden.global_.puntaje == 50.0
    assert shown.global_.puntaje == 25.0
    assert next(q for q in hidden.preguntas if q.id == "w").estado == "oculta"


def test_action_plan_gains_are_exact_point_increases():
    cq = two_dimensions()
    answers = {"a": 4, "b": 0, "c": 2, "d": 3}
    result = score_assessment(cq, answers)
    assert [a.pregunta_id for a in result.plan][0] == "c"  # 25·(2/3)·(2/3)·1
    for action in result.plan:
        better = dict(answers, **{action.pregunta_id: action.nivel_actual + 1})
        gained = score_assessment(cq, better).global_.puntaje - result.global_.puntaje
        assert gained == pytest.approx(action.ganancia, abs=1e-5)
        assert action.siguiente_paso == f"Paso {action.nivel_actual} de {action.pregunta_id}."


def test_result_carries_questionnaire_identity():
    cq = two_dimensions()
    result = score_assessment(cq, {"a": 1})
    data = result.to_dict()
    assert data["cuestionario_id"] == "prueba" and data["cuestionario_version"] == "1"
    assert data["cuestionario_hash"] == cq.loaded.content_hash
    assert data["profundidad"] == "completo"


def test_expres_depth_only_scores_its_questions():
    eco = dimension("eco", [theme("t", [practice("a"), practice("b", profundidades=["completo"])])])
    cq = compiled(questionnaire([eco]), "expres")
    assert [q.id for q in cq.practice] == ["a"]
    assert score_assessment(cq, {"a": 4, "b": 0}).global_.puntaje == 100.0


def test_indicators_and_performance_are_separate():
    numbers = [
        {
            "id": n,
            "tipo": "numero",
            "texto": n,
            "ruta": "R3",
            "unidad": "t/año",
            "minimo": 0,
            "maximo": 1000,
            "obligatoria": False,
        }
        for n in ("total", "reciclado")
    ]
    indicator = {
        "id": "circ",
        "nombre": "Entrada circular",
        "dimension": "amb",
        "ruta": "R1",
        "formula": "reciclado / total * 100",
        "unidad": "%",
        "minimo": 0,
        "maximo": 100,
        "escala": {"cero": 0, "cien": 50},
    }
    data = questionnaire(
        [dimension("amb", [theme("t", [practice("a"), *numbers])])], indicators=[indicator]
    )
    cq = compiled(data)
    result = score_assessment(cq, {"a": 1, "total": 200, "reciclado": 50})
    assert result.indicadores[0].valor == 25.0 and result.desempeno == 50.0
    assert result.global_.puntaje == 25.0
    invalid = score_assessment(cq, {"a": 1, "total": 10, "reciclado": 50})
    assert not invalid.indicadores[0].valido and "fuera del rango" in invalid.indicadores[0].motivo
    assert invalid.desempeno is None
    missing = score_assessment(cq, {"a": 1, "total": 0, "reciclado": 0})
    assert missing.indicadores[0].valor is None


def test_invalid_answers_are_reported_by_question():
    cq = two_dimensions()
    _, problems = encode_answers(cq, {"a": 7, "d": "no_aplica"})
    assert {p.question_id for p in problems} == {"a", "d"}


def test_batch_of_nothing_applicable_gives_nan_not_zero():
    cq = two_dimensions()
    encoded, _ = encode_answers(cq, {})
    batch = score_batch(cq, encoded)
    assert batch.overall[0] == 0.0  # unanswered counts as zero, not as "not applicable"
    encoded, _ = encode_answers(cq, {"b": "no_aplica"})
    assert not math.isnan(score_batch(cq, encoded).themes[0, 0])


def test_result_round_trips_through_its_dict():
    import json

    from scoring.result import ScoreResult

    result = score_assessment(two_dimensions(), {"a": 4, "b": "no_se", "c": 2, "d": 3})
    stored = json.loads(json.dumps(result.to_dict()))
    assert ScoreResult.from_dict(stored) == result


def test_condition_on_an_answered_text_question():
    from scoring.conditions import hidden_questions

    note = {
        "id": "nota",
        "tipo": "texto",
        "texto": "¿Qué certificaciones tiene?",
        "ruta": "R2",
        "profundidades": ["expres", "completo"],
        "obligatoria": False,
    }
    follow = practice("f", mostrar_si={"respondida": "nota"})
    cq = compiled(questionnaire([dimension("d", [theme("t", [practice("a"), note, follow])])]))
    shown = score_assessment(cq, {"a": 4, "nota": "ISO 14001", "f": 0})
    hidden = score_assessment(cq, {"a": 4, "nota": "  ", "f": 0})
    assert shown.global_.puntaje == 50.0 and hidden.global_.puntaje == 100.0
    assert hidden_questions(cq, {"nota": "ISO 14001"}) == set()
    assert hidden_questions(cq, {"nota": "no_se"}) == {"f"}


def test_a_score_exactly_on_a_threshold_gets_that_level():
    # Themes weighted 0.1 and 0.2, each worth 60 (levels 3 and 2 with weights 2 and 3):
    # in binary floating point the weighted mean is 59.99999999999999 before rounding.
    first = theme("t1", [practice("a", weight=2), practice("b", weight=3)], weight=0.1)
    second = theme("t2", [practice("c", weight=2), practice("d", weight=3)], weight=0.2)
    cq = compiled(questionnaire([dimension("d", [first, second])]))
    result = score_assessment(cq, {"a": 3, "b": 2, "c": 3, "d": 2})
    assert result.global_.puntaje == 60.0
    assert result.global_.nivel_nombre == "Avanzado"


def test_tied_dimensions_are_reported_as_a_tie():
    cq = two_dimensions()
    tied = score_assessment(cq, {"a": 2, "b": 2, "c": 2, "d": 2})
    assert tied.dimensions_tied and tied.dimension_mas_debil == "eco"
    assert not score_assessment(cq, {"a": 4, "b": 0, "c": 2, "d": 3}).dimensions_tied
