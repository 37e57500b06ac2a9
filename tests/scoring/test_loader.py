"""Each validation rule: the error code, and where it points."""

import pytest

from scoring.errors import QuestionnaireError
from scoring.loader import load_questionnaire, parse_questionnaire
from tests.scoring.builders import dimension, load, practice, questionnaire, theme

FIXTURE = "tests/scoring/fixtures/mini.yaml"


def problems(text: str):
    with pytest.raises(QuestionnaireError) as info:
        parse_questionnaire(text, "malo.yaml")
    return info.value.problems


def codes(text: str) -> list[str]:
    return [p.code for p in problems(text)]


def fixture_text() -> str:
    with open(FIXTURE, encoding="utf-8") as handle:
        return handle.read()


def test_fixture_is_valid_and_hash_is_stable():
    first = load_questionnaire(FIXTURE)
    second = parse_questionnaire(fixture_text() + "\n# comentario\n", "otro.yaml")
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64


def test_hash_changes_with_content():
    changed = parse_questionnaire(fixture_text().replace("peso: 3", "peso: 2"))
    assert changed.content_hash != load_questionnaire(FIXTURE).content_hash


def test_yaml_syntax_error_has_line():
    found = problems("id: x\nversion: '1'\n  titulo: [mal\n")
    assert found[0].code == "E_YAML" and found[0].line is not None


def test_duplicate_key_is_rejected_with_both_lines():
    found = problems(fixture_text().replace("titulo:", "titulo: Uno\ntitulo:", 1))
    dup = [p for p in found if p.code == "E_CLAVE_DUPLICADA"]
    assert dup and dup[0].line == 4 and "línea 3" in dup[0].message


@pytest.mark.parametrize(
    "old,new,code",
    [
        ("obligatoria: false", "obligatoria: no", "E_YAML11_BOOLEANO"),
        ("peso: 3", "peso: 03", "E_YAML11_CERO_INICIAL"),
        ('version: "1.0"', "version: 2026-01-01", "E_YAML11_FECHA"),
        ("valor: si}", "valor: on}", "E_YAML11_BOOLEANO"),
    ],
)
def test_yaml_11_traps(old, new, code):
    text = fixture_text()
    assert old in text
    assert code in codes(text.replace(old, new, 1))


def test_trap_names_the_question():
    found = problems(fixture_text().replace("obligatoria: false", "obligatoria: no", 1))
    trap = next(p for p in found if p.code == "E_YAML11_BOOLEANO")
    assert trap.question_id == "agua_total"


def test_spanish_si_for_boolean_is_explained():
    found = problems(fixture_text().replace("permite_no_aplica: true", "permite_no_aplica: sí"))
    assert found[0].code == "E_TIPO" and "true" in found[0].fix


def test_misspelt_key_suggests_the_right_one():
    found = problems(fixture_text().replace("permite_no_aplica:", "permite_noaplica:"))
    assert found[0].code == "E_CLAVE_DESCONOCIDA"
    assert "permite_no_aplica" in found[0].fix
    assert found[0].question_id == "e2"
    assert found[0].line == 35


def test_unknown_type_suggests():
    found = problems(fixture_text().replace("tipo: numero", "tipo: numerico", 1))
    assert found[0].code == "E_VALOR" and "numero" in found[0].fix


def test_all_errors_are_reported_at_once_including_cross_checks():
    text = (
        fixture_text()
        .replace("peso: 3", "peso: 0")
        .replace("valor: si}", "valor: quizas}")
        .replace("desde: 40", "desde: 10")
        .replace("agua_reusada / agua_total", "agua_reusad / agua_total")
    )
    found = codes(text)
    for code in ("E_PESO", "E_CONDICION", "E_UMBRALES", "E_INDICADOR"):
        assert code in found


def test_duplicate_question_id():
    data = questionnaire([dimension("d", [theme("t", [practice("a"), practice("a")])])])

    with pytest.raises(QuestionnaireError) as info:
        load(data)
    assert [p.code for p in info.value.problems] == ["E_ID_DUPLICADO"]
    assert info.value.problems[0].question_id == "a"


def test_condition_must_refer_to_an_earlier_question():
    later = practice("b", mostrar_si={"pregunta": "c", "operador": "mayor", "valor": 2})
    data = questionnaire([dimension("d", [theme("t", [later, practice("c")])])])

    with pytest.raises(QuestionnaireError) as info:
        load(data)
    problem = info.value.problems[0]
    assert problem.code == "E_CONDICION" and problem.question_id == "b"


def test_condition_on_question_missing_from_depth():
    first = practice("a", profundidades=["completo"])
    second = practice("b", mostrar_si={"pregunta": "a", "operador": "mayor", "valor": 1})
    data = questionnaire([dimension("d", [theme("t", [first, second])])])

    with pytest.raises(QuestionnaireError) as info:
        load(data)
    assert "expres" in info.value.problems[0].message


def test_weights_must_be_positive_with_three_decimals():
    data = questionnaire([dimension("d", [theme("t", [practice("a", weight=1.2345)])])])

    with pytest.raises(QuestionnaireError) as info:
        load(data)
    assert info.value.problems[0].code == "E_PESO"


def test_thresholds_out_of_order():
    text = fixture_text().replace("desde: 60", "desde: 90")
    assert "E_UMBRALES" in codes(text)


def test_indicator_with_unknown_question_and_bad_syntax():
    assert "E_INDICADOR" in codes(fixture_text().replace("agua_reusada / agua", "agua_x / agua"))
    found = problems(fixture_text().replace("agua_reusada / agua_total", "__import__('os')"))
    assert found[0].code == "E_INDICADOR" and "no está permitido" in found[0].message


def test_practice_needs_five_levels():
    bad = practice("a")
    bad["niveles"] = bad["niveles"][:4]
    data = questionnaire([dimension("d", [theme("t", [bad])])])

    with pytest.raises(QuestionnaireError) as info:
        load(data)
    assert "exactamente 5" in info.value.problems[0].fix


def test_message_reads_well():
    found = problems(fixture_text().replace("permite_no_aplica:", "permite_noaplica:"))
    text = str(found[0])
    assert text.startswith("malo.yaml:35: [pregunta e2]") and "Solución:" in text


def test_missing_file_is_a_clear_error():
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire("no/existe.yaml")
    assert info.value.problems[0].code == "E_ARCHIVO"
