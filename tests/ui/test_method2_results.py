"""Method 2.0 on the results and method pages: the floor cap, bands, the provisional mark, the
weakest-dimension margin, the plan's reasons, indicators and the method read from the YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from scoring import compile_questionnaire, load_questionnaire, score_assessment
from storage.assessments import result_summary, save_answers, start_assessment, submit
from storage.db import make_engine, session_scope
from tests.ui.helpers import firm_id_for, make_firm, open_page, texts
from ui.formstate import scoring_answers

ROOT = Path(__file__).resolve().parents[2]
METODO2 = ROOT / "tests" / "scoring" / "fixtures" / "metodo2.yaml"
RESULTS = "ui/pages/results.py"
METHOD = "ui/pages/method.py"
# The hand-worked example: circular index 65,625 (No sé = 0), 68,75 without, 78,125 as level 4;
# the unmet environmental instrument caps «Avanzado» at «Inicial».
EXAMPLE = {
    "perfil_tamano": "pequena",
    "perfil_agua_proceso": "si",
    "perfil_peligrosos": ["aceites_usados"],
    "piso_iga": "no",
    "piso_manifiestos": "si",
    "agua_medicion": 1,
    "agua_reuso": "no_se",
    "res_segregacion": 4,
    "res_valorizacion": 2,
    "est_metas": 3,
    "sst_mejora": 3,
}


def _questionnaire(tmp_path: Path) -> Path:
    """The fixture with its indicator compared within the division and two references."""
    text = METODO2.read_text(encoding="utf-8").replace(
        "    escala: {cero: 0, cien: 100}",
        "    escala: {cero: 0, cien: 100}\n"
        "    referencias:\n"
        "      - {nombre: Meta sectorial, valor: 30, fuente: Guía X}\n"
        "      - {nombre: Promedio nacional, valor: 12, uso: contexto, verificacion: verificada}\n"
        "  - id: intensidad_insumos\n"
        "    nombre: Intensidad de insumos\n"
        "    dimension: ambiental\n"
        "    ruta: R1\n"
        "    formula: masa_total / masa_circular\n"
        "    unidad: t/t\n"
        "    minimo: 0\n"
        "    maximo: 100000\n"
        "    comparar_en_sector: true\n"
        "    mejor: menor\n"
        "    frontera: empresa\n"
        "    periodo: año 2025",
    )
    path = tmp_path / "metodo2_sector.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def questionnaire(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_env: str) -> Path:
    path = _questionnaire(tmp_path)
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(path))
    return path


def _submitted(url: str, path: Path, answers: dict, reasons: dict | None = None):
    token = make_firm(url)
    firm_id = firm_id_for(url, token)
    loaded = load_questionnaire(path)
    compiled = compile_questionnaire(loaded, "completo")
    engine = make_engine(url)
    with session_scope(engine) as database:
        assessment = start_assessment(database, firm_id, loaded, "completo")
        sources = {"masa_total": "medido", "masa_circular": "estimado"}
        save_answers(database, assessment.id, firm_id, answers, sources, comments=reasons)
        result = score_assessment(compiled, scoring_answers(answers, reasons), sources)
        submit(database, assessment.id, firm_id, result_summary(result))
        aid = assessment.id
    engine.dispose()
    return token, aid, result


def _results(token: str, aid: int):
    at = open_page(RESULTS, token, evaluacion=str(aid))
    assert not at.exception, at.exception
    return at, texts(at) + "\n" + "\n".join(str(t.value) for t in at.table)


def test_cap_band_weakest_and_plan_reasons(app_env: str, questionnaire: Path) -> None:
    answers = {**EXAMPLE, "masa_total": 200, "masa_circular": 50}
    token, aid, result = _submitted(app_env, questionnaire, answers)
    assert result.piso_legal.capped and not result.provisional
    at, shown = _results(token, aid)
    assert "Nivel 2 · Inicial" in shown and "(provisional)" not in shown
    assert (
        "Su nivel se limita a Inicial porque no cumple: ¿Tiene su instrumento de gestión "
        "ambiental aprobado? (DS 017-2015-PRODUCE)." in shown
    )
    assert "65,6 a 78,1 (sin contar «No sé»: 68,8)" in shown  # the circular index's band
    assert "Índice de circularidad (principal)" in shown
    # Ambiental 65,6 trails the others (75) by more than the margin of 5: it is named.
    assert "Ninguna dimensión es claramente más débil" not in shown
    # The plan: the floor gap first, then each action with why it is proposed.
    assert "Obligación legal" in shown
    assert result.plan[0].tipo == "piso_legal"
    for action in result.plan[:3]:
        assert action.motivo in shown
    # Indicators: boundary, period, data quality, sector comparison pending, references.
    assert (
        "Frontera: Sitio (la planta) · Periodo: últimos 12 meses · Calidad del dato: estimado"
        in shown
    )
    assert "Frontera: Empresa (todas sus plantas) · Periodo: año 2025" in shown
    assert "sin comparación todavía: se necesitan al menos 5 empresas de su división" in shown
    assert "Referencia: Meta sectorial, 30,0\u00a0% · fuente: Guía X · por confirmar" in shown
    assert "Contexto (no es una comparación con su empresa): Promedio nacional" in shown


def test_no_weakest_dimension_within_the_margin_uses_the_saved_reason(
    app_env: str, questionnaire: Path
) -> None:
    answers = {**EXAMPLE, "res_valorizacion": "no_aplica"}
    token, aid, result = _submitted(
        app_env, questionnaire, answers, {"res_valorizacion": "No generamos residuos"}
    )
    assert result.dimension_mas_debil is None
    _, shown = _results(token, aid)
    assert (
        "Ninguna dimensión es claramente más débil que las otras (diferencia menor a 5 "
        "puntos)." in shown
    )


def test_provisional_level_says_why(app_env: str, questionnaire: Path) -> None:
    answers = {**EXAMPLE, "res_valorizacion": "no_se"}
    token, aid, result = _submitted(app_env, questionnaire, answers)
    assert result.provisional
    _, shown = _results(token, aid)
    assert "Nivel 2 · Inicial (provisional)" in shown
    assert "más ancha que el umbral de 20 que fija el cuestionario" in shown


def test_method_page_reads_the_thresholds_from_the_questionnaire(
    app_env: str, questionnaire: Path
) -> None:
    at = open_page(METHOD)
    assert not at.exception, at.exception
    shown = texts(at) + "\n".join(d.value.to_string() for d in at.dataframe)
    assert "más de 20 puntos" in shown  # umbral_provisional
    assert "menos de 5 puntos" in shown  # margen_dimension_debil
    assert "no pasa de «Inicial»" in shown  # piso_legal.tope = 2
    assert "Índice de circularidad" in shown and "Agua, Residuos" in shown
    assert "65,625" in shown and "68,75" in shown and "78,125" in shown
    assert "Entrada circular" in shown  # indicadores_nucleo


def test_questionnaire_page_shows_profile_floor_and_indices(
    app_env: str, questionnaire: Path
) -> None:
    at = open_page("ui/pages/questionnaire.py")
    assert not at.exception, at.exception
    shown = texts(at) + "\n".join(str(s.value) for s in at.subheader)
    assert "Perfil de la empresa" in shown and "Piso legal" in shown
    assert "Norma: DS 017-2015-PRODUCE" in shown and "Resolución de aprobación" in shown
    assert "no aplica según el perfil de la empresa" in shown
    assert "**Índice de circularidad** (principal: decide el nivel): Agua, Residuos" in shown
