"""Sector module «Metales y metalmecánica» (cuestionarios/modulos/metalmecanica.yaml) by hand:
the process question decides which questions are asked, theme scores (level × 25, «No sé» = 0,
hidden questions out of the denominator), indicator values and materiality weights."""

import pytest

from scoring.compiled import compile_questionnaire
from scoring.result import score_assessment
from tests.scoring.module_cases import indicator, merged_with, theme

MODULE = "metalmecanica"

# A foundry that also remanufactures components for mining clients.
ANSWERS = {
    "met_procesos": ["fusion", "reparacion"],
    "met_remanufactura": 3,
    "met_vida_componentes": "no_se",
    "met_chatarra_carga": 4,
    "met_escorias_polvos": 1,
    "met_residuos_metalicos": 2,
    "met_refrigerante": 4,  # hidden: the plant does not machine, so it must not count
    "met_t_carga_nueva": 12000,
    "met_t_chatarra": 10200,
    "met_t_metal_liquido": 10000,
    "met_kwh_fusion": 6000000,
    "met_t_escorias": 200,
    "met_t_escorias_valorizadas": 50,
    "met_kg_residuos_metalicos": 40000,
    "met_kg_metalicos_reciclados": 30000,
    "met_componentes_recibidos": 80,
    "met_componentes_reman": 60,
    "met_ventas_reman": 2000000,
    "eco_ventas": 8000000,
}


@pytest.fixture(scope="module")
def merged():
    return merged_with(MODULE)


@pytest.fixture(scope="module")
def cq(merged):
    return compile_questionnaire(merged, "completo")


def test_theme_scores_by_hand(cq):
    result = score_assessment(cq, ANSWERS)
    # met_remanufactura: remanufactura 3 → 75; vida de componentes «No sé» → 0: (75 + 0) / 2
    assert theme(result, "met_remanufactura").puntaje == pytest.approx(37.5)
    # met_fusion: chatarra 4 → 100; escorias 1 → 25: (100 + 25) / 2
    assert theme(result, "met_fusion").puntaje == pytest.approx(62.5)
    # met_virutas_refrigerante: recortes 2 → 50; refrigerante hidden (no «mecanizado»): 50 / 1
    assert theme(result, "met_virutas_refrigerante").puntaje == pytest.approx(50.0)


def test_process_question_hides_what_does_not_apply(cq):
    answers = {**ANSWERS, "met_procesos": ["mecanizado"]}
    result = score_assessment(cq, answers)
    # Nothing of remanufacture or melting is asked: those themes have no score.
    assert theme(result, "met_remanufactura").puntaje is None
    assert theme(result, "met_fusion").puntaje is None
    # recortes 2 → 50 and refrigerante 4 → 100: (50 + 100) / 2
    assert theme(result, "met_virutas_refrigerante").puntaje == pytest.approx(75.0)
    # The hidden number questions leave the melting indicators without data.
    assert indicator(result, "met_chatarra_en_carga").valor is None


def test_indicators_by_hand(cq):
    result = score_assessment(cq, ANSWERS)
    scrap = indicator(result, "met_chatarra_en_carga")
    assert scrap.valido and scrap.valor == pytest.approx(85.0)  # 10 200 / 12 000 × 100
    assert scrap.puntaje == pytest.approx(85.0)  # scale 0 → 0, 100 → 100
    slag = indicator(result, "met_escorias_valorizadas")
    assert slag.valor == pytest.approx(25.0)  # 50 / 200 × 100
    assert slag.puntaje == pytest.approx(25 / 90 * 100)  # scale 0 → 0, 90 → 100
    chips = indicator(result, "met_metalicos_reciclados")
    assert chips.valor == pytest.approx(75.0)  # 30 000 / 40 000 × 100
    energy = indicator(result, "met_energia_fusion")
    assert energy.valor == pytest.approx(600.0)  # 6 000 000 kWh / 10 000 t
    assert energy.comparar_en_sector and energy.puntaje is None  # only against module peers
    assert indicator(result, "met_tasa_reman").valor == pytest.approx(75.0)  # 60 / 80 × 100
    assert indicator(result, "met_ventas_reman").valor == pytest.approx(25.0)  # 2 M / 8 M × 100


def test_materiality_multiplies_core_theme_weights(merged):
    weights = {t.id: t.peso for d in merged.model.dimensiones for t in d.ejes}
    assert weights["reciclaje_subproductos"] == pytest.approx(1.5)  # core 1 × 1,5
    assert weights["extension_vida"] == pytest.approx(1.5)  # core 1 × 1,5
    assert weights["insumos_circulares"] == pytest.approx(1.25)  # core 1 × 1,25
    assert weights["energia"] == pytest.approx(1.25)  # core 1 × 1,25
    assert weights["agua"] == 1  # not material for this sector: unchanged
    assert weights["met_fusion"] == 1
