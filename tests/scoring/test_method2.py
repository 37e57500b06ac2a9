"""Method 2.0 by hand: legal floor and cap, band and provisional mark, profile applicability,
plan order, weakest dimension margin, core performance set, real productivity.

Every expected number is computed by hand from ``fixtures/metodo2.yaml`` (the same example as
«Ejemplo a mano del método 2.0» in cuestionarios/README.md).
"""

import pytest

from scoring.compiled import compile_questionnaire
from scoring.deflator import deflator_table
from scoring.loader import load_questionnaire
from scoring.result import ScoreResult, score_assessment
from tests.scoring.builders import compiled as build
from tests.scoring.builders import dimension, practice, questionnaire, theme

FIXTURE = "tests/scoring/fixtures/metodo2.yaml"
EXAMPLE = {
    "perfil_tamano": "micro",
    "perfil_agua_proceso": "si",
    "perfil_peligrosos": ["aceites_usados"],
    "piso_iga": "si",
    "piso_manifiestos": "no",
    "agua_medicion": 1,
    "agua_reuso": "no_se",
    "res_segregacion": 4,
    "res_valorizacion": 2,
    "est_metas": 3,
    "sst_mejora": 0,
    "masa_total": 100,
    "masa_circular": 30,
}


@pytest.fixture(scope="module")
def cq():
    return compile_questionnaire(load_questionnaire(FIXTURE), "completo")


def score(cq, **changes):
    return score_assessment(cq, {**EXAMPLE, **changes})


def index(result, ident):
    return next(i for i in result.indices if i.id == ident)


def test_principal_index_band_and_level_by_hand(cq):
    result = score(cq)
    # agua (peso 1): (25 + 0) / 2 = 12,5 with «No sé» = 0; 25 without it; (25 + 100) / 2 = 62,5
    # residuos (peso 3): (2·100 + 1·50) / 3 = 83,33…
    assert result.metodo == "2.0"
    assert result.global_.puntaje == pytest.approx((1 * 12.5 + 3 * 250 / 3) / 4)  # 65,625
    assert result.global_.puntaje_sin_no_se == pytest.approx((1 * 25 + 250) / 4)  # 68,75
    assert result.global_.puntaje_maximo == pytest.approx((1 * 62.5 + 250) / 4)  # 78,125
    assert index(result, "circular").puntaje == result.global_.puntaje
    assert index(result, "habilitadores").puntaje == 75.0
    assert index(result, "social").puntaje == 0.0
    # Band of 12,5 points ≤ 20: not provisional.
    assert not result.provisional


def test_unmet_floor_caps_the_level_and_met_floor_does_not(cq):
    capped = score(cq)
    assert capped.piso_legal.nivel_sin_tope == 4  # 65,625 is Avanzado
    assert capped.global_.nivel == 2 and capped.global_.nivel_nombre == "Inicial"
    assert not capped.piso_legal.cumple and capped.piso_legal.capped
    assert [r.id for r in capped.piso_legal.gaps] == ["piso_manifiestos"]
    met = score(cq, piso_manifiestos="si")
    assert met.piso_legal.cumple and met.global_.nivel == 4
    pending = score(cq, piso_manifiestos="en_tramite")
    assert pending.global_.nivel == 2  # «En trámite» is not yet met


def test_no_corresponde_only_where_the_profile_says_so(cq):
    allowed = score(cq, perfil_peligrosos=["ninguno"], piso_manifiestos="no_corresponde")
    assert allowed.piso_legal.cumple and allowed.global_.nivel == 4
    refused = score(cq, piso_manifiestos="no_corresponde")  # generates used oil
    assert not refused.piso_legal.cumple and refused.global_.nivel == 2


def test_dont_know_beyond_the_threshold_makes_the_level_provisional(cq):
    result = score(cq, agua_medicion="no_se")
    # agua: 0 (low), none (point), 100 (high) → index 62,5 / 83,33… / 87,5: band 25 > 20.
    assert result.global_.puntaje == pytest.approx(250 / 4)
    assert result.global_.puntaje_sin_no_se == pytest.approx(250 / 3)
    assert result.global_.puntaje_maximo == pytest.approx(350 / 4)
    assert result.provisional


def test_profile_makes_questions_not_applicable_without_asking(cq):
    result = score(cq, perfil_agua_proceso="no")
    states = {q.id: (q.estado, q.motivo_no_aplica) for q in result.preguntas}
    assert states["agua_medicion"] == ("no_aplica", "perfil")
    assert states["agua_reuso"] == ("no_aplica", "perfil")
    assert result.global_.puntaje == pytest.approx(250 / 3)  # residuos alone


def test_bare_no_aplica_counts_as_unanswered_and_a_reason_makes_it_count(cq):
    bare = score(cq, res_valorizacion="no_aplica")
    # residuos: (2·100 + 1·0) / 3 = 66,67 → index (12,5 + 3·66,67) / 4 = 53,125
    assert bare.global_.puntaje == pytest.approx((12.5 + 200) / 4)
    explained = score(
        cq, res_valorizacion="no_aplica", res_valorizacion__motivo="  No generamos residuos  "
    )
    # residuos: 2·100 / 2 = 100 → index (12,5 + 300) / 4 = 78,125
    assert explained.global_.puntaje == pytest.approx((12.5 + 300) / 4)
    reason = next(q for q in explained.preguntas if q.id == "res_valorizacion")
    assert reason.motivo_no_aplica == "No generamos residuos"


def test_plan_order_floor_first_then_gain_then_prerequisites(cq):
    plan = score(cq).plan
    assert [a.pregunta_id for a in plan] == [
        "piso_manifiestos",  # legal gap first
        "res_valorizacion",  # 2 levels × 25 × 3/4 × 1/3 = 12,5 points of the circular index
        "agua_medicion",  # 3 levels × 25 × 1/4 × 1/2 = 9,375
        "sst_mejora",  # other indices next: 4 levels × 25 × 1 = 100 points of «Práctica social»
        "est_metas",  # 1 level × 25 = 25 points of «Habilitadores»
        "agua_reuso",  # 12,5 but waits for agua_medicion to reach level 2
    ]
    floor, *practice_actions = plan
    assert floor.tipo == "piso_legal" and "DL 1278" in floor.motivo and "Inicial" in floor.motivo
    potentials = {a.pregunta_id: a.potencial for a in practice_actions}
    assert potentials == pytest.approx(
        {
            "sst_mejora": 100.0,
            "est_metas": 25.0,
            "res_valorizacion": 12.5,
            "agua_medicion": 9.375,
            "agua_reuso": 12.5,
        }
    )
    waiting = plan[-1]
    assert waiting.requiere == ["agua_medicion"] and "primero medir" in waiting.motivo
    assert "paso previo" in plan[2].motivo
    # Once measurement reaches level 2 the reuse action no longer waits and outranks it.
    later = score(cq, agua_medicion=2).plan
    ids = [a.pregunta_id for a in later]
    assert ids.index("agua_reuso") < ids.index("agua_medicion")


def test_plan_top_five_holds_at_most_two_actions_per_theme():
    heavy = theme("pesado", [practice(f"p{i}") for i in range(4)], weight=8)
    middle = theme("medio", [practice(f"m{i}") for i in range(3)], weight=4)
    light = theme("liviano", [practice("l0")])
    data = questionnaire(
        [dimension("d", [heavy, middle, light])],
        indices=[
            {"id": "c", "nombre": "C", "principal": True, "ejes": ["pesado", "medio", "liviano"]}
        ],
    )
    result = score_assessment(build(data), {})
    # Gains to level 4: pesado 100·8/13/4 = 15,4 each; medio 100·4/13/3 = 10,3; liviano 7,7.
    assert [a.eje for a in result.plan] == [
        "pesado",
        "pesado",
        "medio",
        "medio",
        "liviano",  # without the rule, two more «pesado» would sit here
        "pesado",
        "pesado",
        "medio",
    ]


def test_plan_ties_never_depend_on_ids():
    firsts = []
    for ids in (["a_uno", "z_dos", "m_tres"], ["z_uno", "a_dos", "m_tres"]):
        data = questionnaire(
            [dimension("d", [theme("t", [practice(q) for q in ids])])],
            indices=[{"id": "c", "nombre": "C", "principal": True, "ejes": ["t"]}],
        )
        plan = score_assessment(build(data), {}).plan
        firsts.append([ids.index(a.pregunta_id) for a in plan])
    assert firsts[0] == firsts[1]  # renaming the questions changes nothing


def test_remaining_ties_follow_the_firms_own_answers():
    questions = [practice(f"q{i}") for i in range(6)] + [practice("otra")]
    data = questionnaire(
        [dimension("d", [theme("t", questions[:6]), theme("u", questions[6:])])],
        indices=[{"id": "c", "nombre": "C", "principal": True, "ejes": ["t", "u"]}],
    )
    cq = build(data)

    # Six questions tied at level 1 in one theme; only the unrelated answer differs.
    def first_tied(level: int) -> str:
        plan = score_assessment(cq, {**{f"q{i}": 1 for i in range(6)}, "otra": level}).plan
        return next(a.pregunta_id for a in plan if a.eje == "t")

    heads = {first_tied(level) for level in range(4)}
    assert len(heads) > 1  # no question wins every tie
    again = score_assessment(cq, {**{f"q{i}": 1 for i in range(6)}, "otra": 0}).plan
    first = score_assessment(cq, {**{f"q{i}": 1 for i in range(6)}, "otra": 0}).plan
    assert [a.pregunta_id for a in again] == [a.pregunta_id for a in first]  # deterministic


def test_weakest_dimension_only_beyond_the_margin(cq):
    assert score(cq).dimension_mas_debil == "social"  # 0 against 65,6 and 75
    # ambiental 75, economica 75, social 75: no dimension is weaker.
    even = score(
        cq,
        agua_medicion=3,
        agua_reuso=3,
        res_segregacion=3,
        res_valorizacion=3,
        sst_mejora=3,
    )
    assert even.dimension_mas_debil is None
    # social 75 vs ambiental (1·75 + 3·(2·100 + 75)/3)/4 = 87,5 and economica 100: 12,5 ≥ 5.
    clear = score(cq, agua_medicion=3, agua_reuso=3, est_metas=4, sst_mejora=3)
    assert clear.dimension_mas_debil == "social"


def test_weakest_dimension_within_the_margin_is_not_named():
    data = questionnaire(
        [
            dimension("a", [theme("ta", [practice("qa")])]),
            dimension("b", [theme("tb", [practice("qb", weight=1), practice("qb2", weight=24)])]),
        ],
        indices=[{"id": "c", "nombre": "C", "principal": True, "ejes": ["ta", "tb"]}],
        margen_dimension_debil=5,
    )
    cq = build(data)
    # b = (1·75 + 24·100) / 25 = 99 against a = 100: 1 point apart, under the margin of 5.
    assert score_assessment(cq, {"qa": 4, "qb": 3, "qb2": 4}).dimension_mas_debil is None
    # b = (1·0 + 24·75)/25 = 72 against 100: named.
    assert score_assessment(cq, {"qa": 4, "qb": 0, "qb2": 3}).dimension_mas_debil == "b"


def test_performance_needs_the_whole_core_set(cq):
    assert score(cq).desempeno == pytest.approx(30.0)
    assert score(cq, masa_circular="no_se").desempeno is None


def test_result_round_trips_through_its_dict(cq):
    result = score(cq)
    again = ScoreResult.from_dict(result.to_dict())
    assert again.to_dict() == result.to_dict()
    assert again.piso_legal.capped and again.indices[0].principal


def test_real_productivity_growth_by_hand():
    years = {
        "id": "anio",
        "tipo": "numero",
        "texto": "Año",
        "unidad": "año",
        "minimo": 2015,
        "maximo": 2026,
        "decimales": 0,
    }
    numbers = [years] + [
        {"id": n, "tipo": "numero", "texto": n, "unidad": "S/", "minimo": 0, "maximo": 1e9}
        for n in ("va", "va_base", "atras")
    ]
    formula = "100 * (raiz((va / ipc(anio)) / (va_base / ipc(anio - atras)), atras) - 1)"
    indicator = {
        "id": "crecimiento",
        "nombre": "Crecimiento real",
        "dimension": "d",
        "ruta": "R1",
        "formula": formula,
        "unidad": "% al año",
        "minimo": -100,
        "maximo": 1000,
    }
    data = questionnaire(
        [dimension("d", [theme("t", [practice("q"), *numbers])])], indicators=[indicator]
    )
    result = score_assessment(build(data), {"anio": 2024, "va": 110, "va_base": 100, "atras": 2})
    changes = deflator_table()["variacion_promedio_anual"]
    # Nominal value added grew 10 % in two years while prices rose 6,32 % and then 2,41 %.
    real_ratio = 1.10 / ((1 + changes[2023] / 100) * (1 + changes[2024] / 100))
    expected = 100 * (real_ratio**0.5 - 1)
    assert result.indicadores[0].valor == pytest.approx(expected)
    assert result.indicadores[0].valor < 10 / 2  # far below the nominal 4,9 % a year
