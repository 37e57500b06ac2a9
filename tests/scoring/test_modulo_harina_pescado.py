"""Sector module «Harina y aceite de pescado» (cuestionarios/modulos/harina_pescado.yaml) by hand.

Every expected number is computed by hand in the comments from the answers below: module theme
scores (level × 25, equal question weights, «No sé» = 0, profile «No aplica» out of the
denominator), the module's indicators and the materiality factors merged into the core weights,
alone and together with the food module (a firm with two activities takes the larger factor).
"""

import pytest

from scoring.catalog import available_modules, default_questionnaire, with_modules
from scoring.compiled import compile_questionnaire
from scoring.result import score_assessment
from tests.scoring.module_cases import indicator, theme

ANSWERS = {
    "perfil_combustibles": "si",
    # pes_materia_prima
    "pes_rendimiento_frescura": 2,
    "pes_residuos_materia_prima": 1,
    "pes_trazabilidad": 4,
    "pes_t_pescado_entero": 40000,
    "pes_t_residuos": 10000,
    "pes_t_certificada": 30000,
    "pes_t_harina": 11000,
    # pes_aguas
    "pes_agua_bombeo": 3,
    "pes_agua_cola": "no_se",
    "pes_t_recuperado_bombeo": 90,
    "pes_t_perdido_bombeo": 10,
    # pes_secado
    "pes_secado_combustible": 1,
    "pes_gal_combustible_liquido": 300000,
    "pes_m3_gas_natural": 1000000,
}


def merged(ids):
    return with_modules(default_questionnaire(), available_modules(), ids)


@pytest.fixture(scope="module")
def cq():
    return compile_questionnaire(merged(["harina_pescado"]), "completo")


def score(cq, **changes):
    return score_assessment(cq, {**ANSWERS, **changes})


def test_module_theme_scores_by_hand(cq):
    result = score(cq)
    # Materia prima: rendimiento 2 → 50, residuos 1 → 25, trazabilidad 4 → 100:
    # (50 + 25 + 100) / 3 = 58,33.
    assert theme(result, "pes_materia_prima").puntaje == pytest.approx(175 / 3)
    # Aguas: bombeo 3 → 75, agua de cola «No sé» → 0: (75 + 0) / 2 = 37,5; without the
    # «No sé» 75; with it as level 4 (75 + 100) / 2 = 87,5.
    aguas = theme(result, "pes_aguas")
    assert aguas.puntaje == pytest.approx(37.5)
    assert aguas.puntaje_sin_no_se == pytest.approx(75.0)
    assert aguas.puntaje_maximo == pytest.approx(87.5)
    # Secado: level 1 → 25.
    assert theme(result, "pes_secado").puntaje == pytest.approx(25.0)


def test_no_combustion_makes_drying_not_applicable(cq):
    result = score(cq, perfil_combustibles="no")
    states = {q.id: (q.estado, q.motivo_no_aplica) for q in result.preguntas}
    assert states["pes_secado_combustible"] == ("no_aplica", "perfil")
    # The theme's only practice question does not apply: no score (not 0).
    assert theme(result, "pes_secado").puntaje is None
    # The fuel numbers are hidden too, so the fuel intensity has no value.
    assert not indicator(result, "pes_combustible_por_harina").valido


def test_module_indicators_by_hand(cq):
    result = score(cq)
    # Raw material per t of meal: (40 000 + 10 000) / 11 000 = 4,545 t/t.
    ratio = indicator(result, "pes_materia_prima_por_harina")
    assert ratio.valido and ratio.valor == pytest.approx(50000 / 11000)
    assert ratio.comparar_en_sector and ratio.mejor == "menor"
    # Fuel: (300 000 gal × 0,146 + 1 000 000 m³ × 0,037) / 11 000 t
    #     = (43 800 + 37 000) / 11 000 = 7,345 GJ/t.
    fuel = indicator(result, "pes_combustible_por_harina")
    assert fuel.valido and fuel.valor == pytest.approx(80800 / 11000)
    # Pump water: 90 / (90 + 10) × 100 = 90 %.
    assert indicator(result, "pes_recuperacion_bombeo").valor == pytest.approx(90.0)
    # Residues: 10 000 / 50 000 × 100 = 20 %.
    assert indicator(result, "pes_residuos_pct").valor == pytest.approx(20.0)
    # MarinTrust: 30 000 / 50 000 × 100 = 60 %; fixed scale 0 → 0, 100 → 100: 60 points.
    marintrust = indicator(result, "pes_marintrust_pct")
    assert marintrust.valor == pytest.approx(60.0) and marintrust.puntaje == pytest.approx(60.0)


def test_implausible_yield_is_out_of_range(cq):
    # 50 000 t / 1 000 t = 50 t/t, far above the valid 2–10: flagged, not used.
    ratio = indicator(score(cq, pes_t_harina=1000), "pes_materia_prima_por_harina")
    assert not ratio.valido and "fuera del rango" in ratio.motivo


def test_materiality_alone_and_with_the_food_module(cq):
    weights = {t.id: t.weight for t in cq.themes}
    # Core weight 1 × factor.
    assert weights["agua"] == pytest.approx(1.5)
    assert weights["energia"] == pytest.approx(1.5)
    assert weights["insumos_circulares"] == pytest.approx(1.25)
    assert weights["mermas_prevencion"] == pytest.approx(1.25)
    assert weights["empaques"] == pytest.approx(1.0)
    # With «alimentos» too, each theme takes the larger factor: agua max(1,25; 1,5) = 1,5,
    # mermas max(1,5; 1,25) = 1,5, empaques 1,25 (food only), energia 1,5 (fishmeal only).
    both = compile_questionnaire(merged(["alimentos", "harina_pescado"]), "completo")
    weights = {t.id: t.weight for t in both.themes}
    assert weights["agua"] == pytest.approx(1.5)
    assert weights["mermas_prevencion"] == pytest.approx(1.5)
    assert weights["empaques"] == pytest.approx(1.25)
    assert weights["energia"] == pytest.approx(1.5)
    assert weights["reciclaje_subproductos"] == pytest.approx(1.5)


def test_express_depth_has_the_three_module_questions():
    express = compile_questionnaire(merged(["harina_pescado"]), "expres")
    module_ids = {q.id for q in express.practice if q.id.startswith("pes_")}
    assert module_ids == {
        "pes_rendimiento_frescura",
        "pes_agua_bombeo",
        "pes_secado_combustible",
    }
