"""Sector module «Alimentos y bebidas» (cuestionarios/modulos/alimentos.yaml) by hand.

Every expected number is computed by hand in the comments from the answers below: module theme
scores (level × 25, equal question weights, «No sé» = 0, profile «No aplica» out of the
denominator), the module's indicators and the materiality factors merged into the core weights.
"""

import pytest

from scoring.catalog import available_modules, default_questionnaire, with_modules
from scoring.compiled import compile_questionnaire
from scoring.result import score_assessment
from tests.scoring.module_cases import indicator, theme

ANSWERS = {
    "perfil_agua_proceso": "si",
    "perfil_combustibles": "si",
    # ali_perdidas
    "ali_medicion_perdidas": 3,
    "ali_donacion_excedentes": "no_se",
    "ali_t_materia_prima": 200,
    "ali_kg_perdidas": 5000,
    # ali_subproductos
    "ali_escalera_subproductos": 2,
    "ali_t_sub_alimento": 30,
    "ali_t_sub_material": 10,
    "ali_t_sub_energia": 40,
    "ali_t_sub_eliminacion": 20,
    # ali_agua_limpieza
    "ali_limpieza_cip": 4,
    "ali_productos": "bebidas",
    "ali_hl_bebidas": 10000,
    "ali_m3_agua_bebidas": 3000,
    # ali_envases
    "ali_envases_retornables": 1,
    "ali_usa_pet": "no",
    "ali_unid_retornables": 90000,
    "ali_unid_un_solo_uso": 30000,
    "ali_envases_nuevos": 4500,
}


@pytest.fixture(scope="module")
def cq():
    merged = with_modules(default_questionnaire(), available_modules(), ["alimentos"])
    return compile_questionnaire(merged, "completo")


def score(cq, **changes):
    return score_assessment(cq, {**ANSWERS, **changes})


def test_module_theme_scores_by_hand(cq):
    result = score(cq)
    # Pérdidas: medición 3 → 75; donación «No sé» → 0 (shown score): (75 + 0) / 2 = 37,5;
    # without the «No sé» 75; with it as level 4 (75 + 100) / 2 = 87,5.
    perdidas = theme(result, "ali_perdidas")
    assert perdidas.puntaje == pytest.approx(37.5)
    assert perdidas.puntaje_sin_no_se == pytest.approx(75.0)
    assert perdidas.puntaje_maximo == pytest.approx(87.5)
    # Subproductos: one question at level 2 → 50.
    assert theme(result, "ali_subproductos").puntaje == pytest.approx(50.0)
    # Agua de limpieza: CIP at level 4 → 100.
    assert theme(result, "ali_agua_limpieza").puntaje == pytest.approx(100.0)
    # Envases: retornables 1 → 25; PET «No aplica» by the module's own question (ali_usa_pet =
    # no), out of the denominator: 25 / 1 = 25 (12,5 if it counted as 0).
    assert theme(result, "ali_envases").puntaje == pytest.approx(25.0)
    states = {q.id: (q.estado, q.motivo_no_aplica) for q in result.preguntas}
    assert states["ali_pet_reciclado"] == ("no_aplica", "perfil")
    assert "ali_donacion_excedentes" in result.brechas


def test_profile_without_process_water_drops_the_cleaning_theme(cq):
    result = score(cq, perfil_agua_proceso="no")
    # ali_limpieza_cip is the theme's only practice question: no score at all (not 0).
    assert theme(result, "ali_agua_limpieza").puntaje is None
    # With PET: the PET ladder counts again, (25 + 3 × 25) / 2 = 50.
    with_pet = score(cq, ali_usa_pet="si", ali_pet_reciclado=3)
    assert theme(with_pet, "ali_envases").puntaje == pytest.approx(50.0)


def test_module_indicators_by_hand(cq):
    result = score(cq)
    # Food loss: 5 000 kg / (200 t × 1 000) × 100 = 2,5 %.
    loss = indicator(result, "ali_perdida_alimentos")
    assert loss.valido and loss.valor == pytest.approx(2.5)
    assert loss.comparar_en_sector and loss.mejor == "menor"
    # By-products as food or material: (30 + 10) / (30 + 10 + 40 + 20) × 100 = 40 %;
    # fixed scale 0 → 0, 90 → 100: 40 / 90 × 100 = 44,44 points.
    byproducts = indicator(result, "ali_subproductos_alto_valor")
    assert byproducts.valido and byproducts.valor == pytest.approx(40.0)
    assert byproducts.puntaje == pytest.approx(40 / 90 * 100)
    # Beverage water: 3 000 m³ × 10 hL/m³ / 10 000 hL = 3 hL/hL.
    assert indicator(result, "ali_agua_por_hl").valor == pytest.approx(3.0)
    # Returnables: 90 000 / (90 000 + 30 000) × 100 = 75 %; trips 90 000 / 4 500 = 20.
    assert indicator(result, "ali_envases_retornables_pct").valor == pytest.approx(75.0)
    assert indicator(result, "ali_vueltas_envase").valor == pytest.approx(20.0)
    # No PET: the PET numbers are hidden, so the indicator has no value.
    assert not indicator(result, "ali_pet_reciclado_pct").valido
    # With PET: 1 500 kg recycled of 6 000 kg → 25 %; scale 0 → 0, 100 → 100: 25 points.
    pet = indicator(
        score(cq, ali_usa_pet="si", ali_kg_pet=6000, ali_kg_rpet=1500), "ali_pet_reciclado_pct"
    )
    assert pet.valido and pet.valor == pytest.approx(25.0) and pet.puntaje == pytest.approx(25.0)


def test_food_only_plant_has_no_beverage_water_and_loss_out_of_range_is_flagged(cq):
    result = score(cq, ali_productos="alimentos", ali_kg_perdidas=300000)
    # Beverage questions hidden → no value.
    water = indicator(result, "ali_agua_por_hl")
    assert not water.valido and "Faltan datos" in water.motivo
    # 300 000 kg / 200 000 kg × 100 = 150 % > 100: out of range, not used.
    loss = indicator(result, "ali_perdida_alimentos")
    assert not loss.valido and loss.valor is None
    assert "fuera del rango" in loss.motivo


def test_materiality_multiplies_core_theme_weights(cq):
    weights = {t.id: t.weight for t in cq.themes}
    # Core weight 1 × factor: mermas and subproducts 1,5; water and packaging 1,25.
    assert weights["mermas_prevencion"] == pytest.approx(1.5)
    assert weights["reciclaje_subproductos"] == pytest.approx(1.5)
    assert weights["agua"] == pytest.approx(1.25)
    assert weights["empaques"] == pytest.approx(1.25)
    # Themes the module does not name keep weight 1, and the module's own themes weigh 1.
    assert weights["energia"] == pytest.approx(1.0)
    assert weights["ali_perdidas"] == pytest.approx(1.0)


def test_express_depth_has_the_three_module_questions():
    merged = with_modules(default_questionnaire(), available_modules(), ["alimentos"])
    express = compile_questionnaire(merged, "expres")
    module_ids = {q.id for q in express.practice if q.id.startswith("ali_")}
    assert module_ids == {
        "ali_medicion_perdidas",
        "ali_donacion_excedentes",
        "ali_escalera_subproductos",
    }
