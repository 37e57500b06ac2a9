"""Sector module «Químicos y plásticos» (cuestionarios/modulos/quimicos_plasticos.yaml) by hand:
theme scores with the questions its activity shows or hides, «No sé» as 0, «No aplica» from the
module's own solvent question, sector indicators and the merged materiality weights."""

import pytest

from scoring.compiled import compile_questionnaire
from scoring.result import score_assessment
from tests.scoring.module_cases import indicator, merged_with, theme

MODULE = "quimicos_plasticos"

# A plastics converter that also formulates chemicals and uses no organic solvents.
PLASTICS = {
    "perfil_tamano": "pequena",
    "qp_procesos": ["plastico", "quimicos"],
    "qp_resina_reciclada": 3,
    "qp_remolido": 2,
    "qp_perdida_pellets": "no_se",
    "qp_diseno_reciclable": 1,
    "qp_sustancias_producto": 4,
    "qp_usa_solventes": "no",
    "qp_t_resina_virgen": 80,
    "qp_t_resina_pcr": 15,
    "qp_t_resina_pir": 5,
    "qp_t_merma_remolida": 30,
    "qp_t_merma_salida": 10,
    "qp_kg_pellets_perdidos": 50,
    "qp_t_prod_reciclable": 60,
    "qp_t_prod_no_reciclable": 40,
}


@pytest.fixture(scope="module")
def merged():
    return merged_with(MODULE)


@pytest.fixture(scope="module")
def cq(merged):
    return compile_questionnaire(merged, "completo")


def test_materiality_multiplies_the_core_theme_weights(merged):
    weights = {t.id: t.peso for d in merged.model.dimensiones for t in d.ejes}
    assert weights["insumos_circulares"] == 1.5  # core weight 1 × factor 1,5
    assert weights["diseno_circular"] == 1.5  # 1 × 1,5
    assert weights["reciclaje_subproductos"] == 1.25  # 1 × 1,25
    assert weights["agua"] == 1 and weights["energia"] == 1  # not material here: unchanged
    principal = next(i for i in merged.model.indices if i.principal)
    assert principal.ejes[-3:] == ["qp_resinas_mermas", "qp_diseno_sustancias", "qp_solventes"]


def test_plastics_converter_themes_by_hand(cq):
    result = score_assessment(cq, PLASTICS)
    # Resina, merma y pellets: levels 3, 2 and «No sé» (= 0), weight 1 each:
    # (75 + 50 + 0) / 3 = 41,67; without the «No sé» (75 + 50) / 2 = 62,5; with it as 4,
    # (75 + 50 + 100) / 3 = 75.
    resinas = theme(result, "qp_resinas_mermas")
    assert resinas.puntaje == pytest.approx(125 / 3)
    assert resinas.puntaje_sin_no_se == pytest.approx(62.5)
    assert resinas.puntaje_maximo == pytest.approx(75.0)
    # Diseño y sustancias: levels 1 and 4: (25 + 100) / 2 = 62,5.
    assert theme(result, "qp_diseno_sustancias").puntaje == pytest.approx(62.5)
    # No organic solvents: the only practice question does not apply, the theme has no score
    # (it is not a 0).
    assert theme(result, "qp_solventes").puntaje is None


def test_plastics_converter_indicators_by_hand(cq):
    result = score_assessment(cq, PLASTICS)
    pcr = indicator(result, "qp_resina_pcr")
    assert pcr.valido and pcr.valor == pytest.approx(15.0)  # 15 / (80 + 15 + 5) × 100
    assert pcr.comparar_en_sector and pcr.puntaje is None  # no peer group in a unit test
    regrind = indicator(result, "qp_remolido_pct")
    assert regrind.valido and regrind.valor == pytest.approx(75.0)  # 30 / (30 + 10) × 100
    pellets = indicator(result, "qp_pellets_por_tonelada")
    assert pellets.valido and pellets.valor == pytest.approx(0.5)  # 50 kg / 100 t
    recyclable = indicator(result, "qp_productos_reciclables")
    assert recyclable.valido and recyclable.valor == pytest.approx(60.0)  # 60 / (60 + 40) × 100
    solvent = indicator(result, "qp_solvente_recuperado")
    assert not solvent.valido and solvent.valor is None  # solvent numbers hidden by «No»


def test_chemicals_only_firm_hides_the_plastics_questions(cq):
    answers = {
        **PLASTICS,
        "qp_procesos": ["quimicos"],
        "qp_usa_solventes": "si",
        "qp_recuperacion_solventes": 2,
        "qp_t_solvente_nuevo": 6,
        "qp_t_solvente_recuperado": 2,
    }
    result = score_assessment(cq, answers)
    # The resin, regrind and pellet questions are hidden: the theme has no score, and the
    # answers given to them are ignored.
    assert theme(result, "qp_resinas_mermas").puntaje is None
    # Only qp_sustancias_producto (level 4) is shown in the design theme: 100.
    assert theme(result, "qp_diseno_sustancias").puntaje == pytest.approx(100.0)
    # Solvents: level 2 → 50.
    assert theme(result, "qp_solventes").puntaje == pytest.approx(50.0)
    assert not indicator(result, "qp_resina_pcr").valido  # hidden numbers do not count
    solvent = indicator(result, "qp_solvente_recuperado")
    assert solvent.valido and solvent.valor == pytest.approx(25.0)  # 2 / (6 + 2) × 100


def test_express_depth_keeps_three_module_questions(merged):
    express = compile_questionnaire(merged, "expres")
    shown = {q for q in express.by_id if q.startswith("qp_")}
    assert shown == {"qp_procesos", "qp_resina_reciclada", "qp_sustancias_producto"}
