"""The CTI / ISO 59020 worked example of cuestionarios/README.md («Ejemplo a mano de los
indicadores CTI»), scored with the base questionnaire's own formulas."""

import pytest

from scoring.catalog import default_questionnaire
from scoring.compiled import compile_questionnaire
from scoring.result import score_assessment

FLOWS = {
    "perfil_agua_proceso": "si",
    "perfil_vertimiento": "alcantarillado",
    # Inflows (t): 1 000 in all, 100 renewable with certified sustainable origin, 200 non-virgin.
    "amb_masa_entrada_total": 1000,
    "amb_masa_entrada_renovable": 100,
    "amb_masa_entrada_no_virgen": 200,
    "amb_masa_criticos": 5,
    # Outflows (t): products, packaging, by-products, waste; 20 t of waste burnt for energy.
    "amb_salida_productos": 700,
    "amb_productos_recuperable_pct": 80,
    "amb_productos_recuperado_pct": 25,
    "amb_salida_empaques": 50,
    "amb_empaques_recuperable_pct": 100,
    "amb_empaques_recuperado_pct": 40,
    "amb_salida_subproductos": 150,
    "amb_subproductos_uso_material_pct": 90,
    "amb_salida_residuos": 100,
    "amb_residuos_reciclados": 45,
    "amb_salida_energetica": 20,
    # Water (m³) and energy (kWh).
    "amb_agua_extraida": 5000,
    "amb_agua_extraida_circular": 500,
    "amb_agua_recirculada": 1250,
    "amb_agua_descargada": 4000,
    "amb_agua_descarga_circular": 3000,
    "amb_energia_total": 800_000,
    "amb_energia_renovable": 200_000,
    "eco_ventas": 7_000_000,
}


@pytest.fixture(scope="module")
def result():
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    return score_assessment(compiled, FLOWS)


def value(result, ident):
    return next(i for i in result.indicadores if i.id == ident)


def test_cti_indicators_by_hand(result):
    expected = {
        "entrada_circular": (100 + 200) / 1000 * 100,  # 30 %
        # 700·0,80·0,25 + 50·1,00·0,40 + 150·0,90 + 45 = 140 + 20 + 135 + 45 = 340 of 1 000 t
        "salida_circular": 340 / 1000 * 100,
        "recuperacion_energetica": 20 / 1000 * 100,  # 2 %, reported apart: not circular
        "valorizacion_material": 45 / 100 * 100,
        "agua_extraccion_circular": 500 / 5000 * 100,
        "agua_recirculacion": 1250 / (5000 + 1250) * 100,
        "agua_descarga_circular": 3000 / 4000 * 100,
        "energia_renovable": 200_000 / 800_000 * 100,
        "materiales_criticos": 5 / 1000 * 100,
        "productividad_material_circular": 7_000_000 / (1000 - 100 - 200),  # S/ 10 000 per t
    }
    for ident, number in expected.items():
        assert value(result, ident).valor == pytest.approx(number), ident


def test_energy_recovery_is_not_circular_outflow(result):
    more_energy = dict(FLOWS, amb_salida_energetica=60)
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    again = score_assessment(compiled, more_energy)
    assert value(again, "salida_circular").valor == value(result, "salida_circular").valor
    assert value(again, "recuperacion_energetica").valor == pytest.approx(6.0)


def test_core_performance_by_hand(result):
    # Core set: entrada 30 → 30 points, salida 34 → 34, valorización 45 % on a 0–90 scale → 50,
    # energía renovable 25 → 25. Mean = 34,75.
    assert result.desempeno == pytest.approx((30 + 34 + 50 + 25) / 4)
    assert all(value(result, i).nucleo for i in ("entrada_circular", "salida_circular"))
    assert value(result, "salida_circular").frontera == "empresa"
