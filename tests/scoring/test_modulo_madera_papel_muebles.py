"""Sector module «Madera, papel y muebles» (cuestionarios/modulos/madera_papel_muebles.yaml) by
hand: the process question decides which questions are asked, theme scores (level × 25,
«No sé» = 0, hidden or not-applicable questions out of the denominator), indicator values
(energy use of residues reported without points) and materiality weights."""

import pytest

from scoring.compiled import compile_questionnaire
from scoring.result import score_assessment
from tests.scoring.module_cases import indicator, merged_with, theme

MODULE = "madera_papel_muebles"

# A sawmill that also makes furniture with its own designs.
ANSWERS = {
    "perfil_diseno": "empresa",
    "mad_procesos": ["aserrio", "muebles"],
    "mad_origen_legal": 2,
    "mad_rendimiento_aserrio": "no_se",
    "mad_residuos_madera": 3,
    "mad_fibra_recuperada": 4,  # hidden: the plant makes no paper, so it must not count
    "mad_mueble_reparable": 2,
    "mad_m3_madera_comprada": 400,
    "mad_m3_madera_verificada": 300,
    "mad_m3_rolliza": 1000,
    "mad_m3_aserrada": 520,
    "mad_t_residuos": 120,
    "mad_t_residuos_material": 30,
    "mad_t_residuos_energia": 60,
}

# A paper mill that also makes furniture, designed by its clients.
PAPER = {
    "perfil_diseno": "cliente",
    "mad_procesos": ["papel", "muebles"],
    "mad_origen_legal": 1,
    "mad_rendimiento_aserrio": 4,  # hidden: no sawmill, so it must not count
    "mad_fibra_recuperada": 3,
    "mad_mueble_reparable": 4,  # not applicable by profile: the client designs
    "mad_t_fibra_total": 5000,
    "mad_t_fibra_recuperada": 4000,
    "mad_t_papel": 4500,
    "mad_m3_agua_papel": 90000,
}


@pytest.fixture(scope="module")
def merged():
    return merged_with(MODULE)


@pytest.fixture(scope="module")
def cq(merged):
    return compile_questionnaire(merged, "completo")


def test_theme_scores_by_hand(cq):
    result = score_assessment(cq, ANSWERS)
    # mad_madera: origen legal 2 → 50; rendimiento «No sé» → 0: (50 + 0) / 2
    assert theme(result, "mad_madera").puntaje == pytest.approx(25.0)
    # mad_residuos: residuos 3 → 75
    assert theme(result, "mad_residuos").puntaje == pytest.approx(75.0)
    # mad_papel: the only practice question is hidden (no «papel» or «conversion»): no score
    assert theme(result, "mad_papel").puntaje is None
    # mad_muebles: mueble reparable 2 → 50
    assert theme(result, "mad_muebles").puntaje == pytest.approx(50.0)


def test_paper_mill_and_not_applicable_by_profile(cq):
    result = score_assessment(cq, PAPER)
    assert theme(result, "mad_papel").puntaje == pytest.approx(75.0)  # fibra 3 → 75
    # Makes furniture, but its client designs it: «No aplica» by profile, theme without score.
    assert theme(result, "mad_muebles").puntaje is None
    # Furniture uses wood: origen legal 1 → 25; rendimiento hidden (no «aserrio»): 25 / 1
    assert theme(result, "mad_madera").puntaje == pytest.approx(25.0)
    fibre = indicator(result, "mad_fibra_recuperada")
    assert fibre.valor == pytest.approx(80.0)  # 4 000 / 5 000 × 100
    assert fibre.puntaje == pytest.approx(80.0)  # scale 0 → 0, 100 → 100
    water = indicator(result, "mad_agua_por_tonelada_papel")
    assert water.valor == pytest.approx(20.0)  # 90 000 m³ / 4 500 t
    assert water.comparar_en_sector and water.puntaje is None  # only against module peers


def test_indicators_by_hand(cq):
    result = score_assessment(cq, ANSWERS)
    wood = indicator(result, "mad_madera_verificada")
    assert wood.valido and wood.valor == pytest.approx(75.0)  # 300 / 400 × 100
    assert wood.puntaje == pytest.approx(75.0)
    sawmill = indicator(result, "mad_rendimiento_aserrio")
    assert sawmill.valor == pytest.approx(52.0)  # 520 / 1 000 × 100
    material = indicator(result, "mad_residuos_material")
    assert material.valor == pytest.approx(25.0)  # 30 / 120 × 100
    assert material.puntaje == pytest.approx(25 / 90 * 100)  # scale 0 → 0, 90 → 100
    energy = indicator(result, "mad_residuos_energia")
    assert energy.valor == pytest.approx(50.0)  # 60 / 120 × 100
    assert energy.puntaje is None and not energy.comparar_en_sector  # shown, never scored
    # The paper numbers are hidden for this plant: no data.
    assert indicator(result, "mad_fibra_recuperada").valor is None


def test_materiality_multiplies_core_theme_weights(merged):
    weights = {t.id: t.peso for d in merged.model.dimensiones for t in d.ejes}
    assert weights["insumos_circulares"] == pytest.approx(1.5)  # core 1 × 1,5
    assert weights["reciclaje_subproductos"] == pytest.approx(1.5)  # core 1 × 1,5
    assert weights["mermas_prevencion"] == pytest.approx(1.25)  # core 1 × 1,25
    assert weights["diseno_circular"] == pytest.approx(1.25)  # core 1 × 1,25
    assert weights["energia"] == 1  # not material for this sector: unchanged
    assert weights["mad_residuos"] == 1
