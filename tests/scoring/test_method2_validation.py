"""Method 2.0 keys validate like the rest: code, file, line, id and a fix; never a traceback."""

import pytest

from scoring.errors import QuestionnaireError
from scoring.formulas import FormulaError, parse_formula
from scoring.loader import parse_questionnaire

FIXTURE = "tests/scoring/fixtures/metodo2.yaml"


def text() -> str:
    with open(FIXTURE, encoding="utf-8") as handle:
        return handle.read()


def problems(source: str):
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(source, "malo.yaml")
    return info.value.problems


def line_of(source: str, fragment: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if fragment in line)


def test_index_naming_an_unknown_theme():
    bad = text().replace("ejes: [agua, residuos]", "ejes: [agua, residuo]")
    found = [p for p in problems(bad) if p.code == "E_INDICE" and "'residuo'" in p.message]
    assert found and "¿Quiso decir 'residuos'?" in found[0].fix
    assert found[0].file == "malo.yaml" and found[0].line == line_of(bad, "ejes: [agua, residuo]")


def test_theme_left_out_of_every_index_and_two_principals():
    bad = text().replace("ejes: [estrategia]", "principal: true, ejes: [agua]")
    messages = [p.message for p in problems(bad) if p.code == "E_INDICE"]
    assert any("estrategia" in m and "ningún índice" in m for m in messages)
    assert any("ya alimenta" in m for m in messages)
    assert any("2 índices con 'principal: true'" in m for m in messages)


def test_cap_naming_a_missing_level():
    bad = text().replace("tope: 2", "tope: 9")
    found = [p for p in problems(bad) if p.code == "E_PISO"]
    assert found and found[0].line == line_of(bad, "tope: 9") and "1, 2, 3, 4, 5" in found[0].fix


def test_requiere_forward_reference_and_self_reference():
    forward = text().replace(
        "            niveles: &niveles",
        "            requiere: [{pregunta: agua_reuso, nivel: 2}]\n            niveles: &niveles",
    )
    found = [p for p in problems(forward) if p.code == "E_REQUIERE"]
    assert found and found[0].question_id == "agua_medicion" and "ciclo" in found[0].message
    itself = text().replace(
        "requiere: [{pregunta: agua_medicion, nivel: 2}]",
        "requiere: [{pregunta: agua_reuso, nivel: 2}]",
    )
    found = [p for p in problems(itself) if p.code == "E_REQUIERE"]
    assert found and "a sí misma" in found[0].message


def test_floor_item_without_a_norm():
    bad = text().replace("      norma: DS 017-2015-PRODUCE\n", "")
    found = problems(bad)
    assert any(p.question_id == "piso_iga" and "norma" in p.message for p in found)
    assert all(p.line is not None for p in found)


def test_route_fractions_must_add_up_to_one():
    bad = text().replace("ruta: {R1: 0.5, R2: 0.5}", "ruta: {R1: 0.5, R2: 0.4}")
    found = [p for p in problems(bad) if p.code == "E_RUTA"]
    assert found and found[0].question_id == "res_valorizacion" and "0.9" in found[0].message
    assert found[0].line == line_of(bad, "R2: 0.4")


def test_no_aplica_si_needs_permite_no_aplica_and_an_earlier_question():
    bad = text().replace(
        "no_aplica_si: {pregunta: perfil_agua_proceso",
        "no_aplica_si: {pregunta: perfil_agua_proces",
        1,
    )
    found = [p for p in problems(bad) if p.code == "E_CONDICION"]
    assert found and "no_aplica_si" in found[0].message and "perfil_agua_proceso" in found[0].fix


def test_core_indicator_must_exist_and_have_a_scale():
    unknown = text().replace("indicadores_nucleo: [entrada_circular]", "indicadores_nucleo: [x]")
    assert any(p.code == "E_INDICADOR" and "'x'" in p.message for p in problems(unknown))
    unscaled = text().replace("    escala: {cero: 0, cien: 100}\n", "")
    assert any("no tiene 'escala'" in p.message for p in problems(unscaled))


def test_sector_comparison_and_fixed_scale_exclude_each_other():
    bad = text().replace(
        "escala: {cero: 0, cien: 100}", "escala: {cero: 0, cien: 100}\n    comparar_en_sector: true"
    )
    assert any("ordena sectores" in p.fix for p in problems(bad))


def test_formula_functions_are_checked():
    with pytest.raises(FormulaError, match="ipc\\(\\) lleva 1"):
        parse_formula("ipc(a, b)")
    with pytest.raises(FormulaError, match="no está permitido"):
        parse_formula("log(a)")
    assert parse_formula("raiz(a / ipc(b), 2)").names == ("a", "b")
