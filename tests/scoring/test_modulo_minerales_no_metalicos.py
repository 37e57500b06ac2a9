"""Sector module «Minerales no metálicos» (cuestionarios/modulos/minerales_no_metalicos.yaml) by
hand: the artisanal brick-kiln path and the cement path, «No sé» as 0, questions hidden by the
module's activity question, sector indicators (with an out-of-range value) and the merged
materiality weights."""

import pytest

from scoring.compiled import compile_questionnaire
from scoring.result import score_assessment
from tests.scoring.module_cases import indicator, merged_with, theme

MODULE = "minerales_no_metalicos"

# A micro brick-maker with an artisanal kiln that still burns tyres. The cement answers are
# there on purpose: their questions are hidden for this firm and must be ignored.
LADRILLERA = {
    "perfil_tamano": "micro",
    "min_actividad": ["ladrillo_artesanal"],
    "min_materias_alternativas": 1,
    "min_reincorporacion": 2,
    "min_factor_clinker": 4,
    "min_ladrillo_combustible": 0,
    "min_ladrillo_horno": 1,
    "min_ladrillo_mermas": "no_se",
    "min_t_mp_naturales": 900,
    "min_t_mp_recuperadas": 100,
    "min_t_clinker_cemento": 100,
    "min_t_adiciones": 100,
    "min_millares_buenos": 450,
    "min_millares_perdidos": 50,
}

CEMENTERA = {
    "perfil_tamano": "grande",
    "min_actividad": ["cemento", "concreto"],
    "min_materias_alternativas": 3,
    "min_factor_clinker": 2,
    "min_reincorporacion": 4,
    "min_coprocesamiento": 3,
    "min_t_mp_naturales": 1500,
    "min_t_mp_recuperadas": 500,
    "min_t_clinker_cemento": 700,
    "min_t_adiciones": 300,
    "min_t_clinker_producido": 800,
    "min_gj_fosil": 2000,
    "min_gj_alternativo": 800,
}


@pytest.fixture(scope="module")
def merged():
    return merged_with(MODULE)


@pytest.fixture(scope="module")
def cq(merged):
    return compile_questionnaire(merged, "completo")


def test_materiality_multiplies_the_core_theme_weights(merged):
    weights = {t.id: t.peso for d in merged.model.dimensiones for t in d.ejes}
    assert weights["energia"] == 1.5  # core weight 1 × factor 1,5
    assert weights["insumos_circulares"] == 1.5  # 1 × 1,5
    assert weights["clima_resiliencia"] == 1.25  # 1 × 1,25
    assert weights["comunidad"] == 1.25  # 1 × 1,25
    assert weights["agua"] == 1 and weights["diseno_circular"] == 1  # unchanged
    principal = next(i for i in merged.model.indices if i.principal)
    assert principal.ejes[-3:] == ["min_materias", "min_hornos_cemento_cal", "min_ladrilleras"]


def test_artisanal_brick_kiln_path_by_hand(cq):
    result = score_assessment(cq, LADRILLERA)
    # Materias: only the two questions for every firm are shown (clinker and cullet are
    # hidden, so the clinker level 4 is ignored), levels 1 and 2: (25 + 50) / 2 = 37,5.
    assert theme(result, "min_materias").puntaje == pytest.approx(37.5)
    # Cement and lime kilns: co-processing is hidden, the theme has no score (not 0).
    assert theme(result, "min_hornos_cemento_cal").puntaje is None
    # Ladrilleras: fuel 0 (burns tyres), kiln 1, losses «No sé» (= 0):
    # (0 + 25 + 0) / 3 = 8,33; without the «No sé» (0 + 25) / 2 = 12,5; with it as 4,
    # (0 + 25 + 100) / 3 = 41,67.
    kilns = theme(result, "min_ladrilleras")
    assert kilns.puntaje == pytest.approx(25 / 3)
    assert kilns.puntaje_sin_no_se == pytest.approx(12.5)
    assert kilns.puntaje_maximo == pytest.approx(125 / 3)
    recovered = indicator(result, "min_materias_recuperadas_pct")
    assert recovered.valido and recovered.valor == pytest.approx(10.0)  # 100 / (900 + 100) × 100
    losses = indicator(result, "min_perdidas_coccion")
    assert losses.valido and losses.valor == pytest.approx(10.0)  # 50 / (450 + 50) × 100
    assert losses.comparar_en_sector and losses.puntaje is None  # no peer group here
    assert not indicator(result, "min_factor_clinker_pct").valido  # hidden numbers ignored


def test_cement_plant_path_by_hand(cq):
    result = score_assessment(cq, CEMENTERA)
    # Materias: alternative raw materials 3, clinker 2, reincorporation 4:
    # (75 + 50 + 100) / 3 = 75.
    assert theme(result, "min_materias").puntaje == pytest.approx(75.0)
    assert theme(result, "min_hornos_cemento_cal").puntaje == pytest.approx(75.0)  # level 3
    assert theme(result, "min_ladrilleras").puntaje is None  # no brick kiln
    clinker = indicator(result, "min_factor_clinker_pct")
    assert clinker.valido and clinker.valor == pytest.approx(70.0)  # 700 / (700 + 300) × 100
    substitution = indicator(result, "min_sustitucion_termica")
    assert substitution.valor == pytest.approx(800 / 2800 * 100)  # 28,57 %
    energy = indicator(result, "min_energia_clinker")
    assert energy.valido and energy.valor == pytest.approx(3.5)  # (2 000 + 800) GJ / 800 t
    recovered = indicator(result, "min_materias_recuperadas_pct")
    assert recovered.valor == pytest.approx(25.0)  # 500 / (1 500 + 500) × 100


def test_implausible_kiln_energy_is_out_of_range(cq):
    # (10 000 + 0) GJ / 800 t = 12,5 GJ/t clinker, above the valid maximum of 10: a data error.
    result = score_assessment(cq, {**CEMENTERA, "min_gj_fosil": 10000, "min_gj_alternativo": 0})
    energy = indicator(result, "min_energia_clinker")
    assert not energy.valido and energy.puntaje is None
    assert indicator(result, "min_sustitucion_termica").valor == pytest.approx(0.0)


def test_express_depth_keeps_three_module_questions(merged):
    express = compile_questionnaire(merged, "expres")
    shown = {q for q in express.by_id if q.startswith("min_")}
    assert shown == {"min_actividad", "min_materias_alternativas", "min_ladrillo_combustible"}
