"""Sector modules: format and validation (file, line, id, fix), merging with materiality, the
content hash of core + modules, which module a firm gets, and every shipped module.

The hand example extends ``fixtures/metodo2.yaml`` (scored by hand in test_method2.py) with
``fixtures/modulo_prueba.yaml``; cuestionarios/README.md («Módulos sectoriales») repeats it.
"""

import pytest

from scoring.catalog import (
    DEFAULT_ID,
    QUESTIONNAIRE_DIR,
    available_modules,
    division_module,
    extended_questionnaire,
    modules_for,
    second_activity_options,
    with_modules,
)
from scoring.compiled import compile_questionnaire
from scoring.errors import QuestionnaireError
from scoring.loader import load_questionnaire, parse_questionnaire
from scoring.modules import MAX_EXPRESS, merge, parse_module
from scoring.result import score_assessment
from scoring.simulate import simulate
from tests.scoring.test_method2 import EXAMPLE

CORE = "tests/scoring/fixtures/metodo2.yaml"
MODULE = "tests/scoring/fixtures/modulo_prueba.yaml"


@pytest.fixture(scope="module")
def core():
    return load_questionnaire(CORE)


def module_text() -> str:
    with open(MODULE, encoding="utf-8") as handle:
        return handle.read()


def module(text: str | None = None, file: str = "modulo.yaml"):
    return parse_module(module_text() if text is None else text, file)


def problems(core, text: str, file: str = "modulo.yaml"):
    with pytest.raises(QuestionnaireError) as info:
        merge(core, [parse_module(text, file)])
    return info.value.problems


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def theme(result, ident):
    return next(t for t in result.ejes if t.id == ident)


# --- the hand example -------------------------------------------------------------------------


def test_merged_index_weights_and_indicator_by_hand(core):
    merged = merge(core, [module()])
    weights = {t.id: t.peso for d in merged.model.dimensiones for t in d.ejes}
    assert weights["agua"] == 2  # core weight 1 × materiality 2
    assert weights["residuos"] == 3 and weights["mod_corte"] == 1
    principal = next(i for i in merged.model.indices if i.principal)
    assert principal.ejes == ["agua", "residuos", "mod_corte"]
    cq = compile_questionnaire(merged, "completo")
    answers = {**EXAMPLE, "mod_tizado": 2, "mod_retazo_kg": 1500, "mod_prendas": 10000}
    result = score_assessment(cq, answers)
    # agua 12,5 (weight 2), residuos 83,33… (3), mod_corte 2 × 25 = 50 (1):
    # (2·12,5 + 3·250/3 + 1·50) / 6 = 325 / 6 = 54,1666…
    assert theme(result, "mod_corte").puntaje == 50.0
    assert result.global_.puntaje == pytest.approx(325 / 6)
    # 54,17 is «En transición», but piso_manifiestos = "no" caps it at «Inicial».
    assert result.piso_legal.nivel_sin_tope == 3 and result.global_.nivel == 2
    ratio = next(i for i in result.indicadores if i.id == "mod_retazo_por_mil")
    assert ratio.valor == pytest.approx(150.0)  # 1 500 kg / 10 000 prendas × 1 000
    assert ratio.comparar_en_sector and ratio.puntaje is None  # only against its module's firms
    assert [m.id for m in merged.model.modulos] == ["corte_prueba"]
    assert merged.model.modulos[0].ejes == ["mod_corte"]


def test_plan_ranks_module_items_by_their_gain_in_the_index(core):
    cq = compile_questionnaire(merge(core, [module()]), "completo")
    result = score_assessment(cq, {**EXAMPLE, "piso_manifiestos": "si", "mod_tizado": 0})
    gains = {a.pregunta_id: a.potencial for a in result.plan}
    # 25 × 4 levels × (1 / 6 of the index) × (1 / 1 of its theme) = 16,67 points
    assert gains["mod_tizado"] == pytest.approx(100 / 6)


def test_hash_covers_core_and_modules_and_the_archived_text_reloads_to_it(core):
    merged = merge(core, [module()])
    assert merged.content_hash != core.content_hash
    again = parse_questionnaire(merged.source, "archivo")
    assert again.content_hash == merged.content_hash and again.model == merged.model
    changed = module(module_text().replace("agua: 2", "agua: 1.5"))
    assert merge(core, [changed]).content_hash != merged.content_hash
    assert merge(core, []) is core


def test_two_modules_merge_in_any_order_and_take_the_larger_materiality(core):
    second_text = (
        module_text()
        .replace("id: corte_prueba", "id: otro_prueba")
        .replace("mod_", "otro_")
        .replace("agua: 2", "agua: 1.5\n  residuos: 2")
    )
    first, second = module(), module(second_text, "otro.yaml")
    a, b = merge(core, [first, second]), merge(core, [second, first])
    assert a.content_hash == b.content_hash
    weights = {t.id: t.peso for d in a.model.dimensiones for t in d.ejes}
    assert weights["agua"] == 2 and weights["residuos"] == 6  # max(2, 1.5) × 1; 2 × 3
    with pytest.raises(QuestionnaireError) as info:
        merge(core, [first, second, module(second_text.replace("otro_", "tercer_"), "t.yaml")])
    assert "a lo más 2" in info.value.problems[0].message


# --- validation: file, line, id and fix ----------------------------------------------------


def test_id_colliding_with_the_core_names_the_module_line(core):
    bad = module_text().replace("id: mod_tizado", "id: agua_reuso")
    found = [p for p in problems(core, bad) if "ya es una pregunta" in p.message]
    assert found and found[0].file == "modulo.yaml"
    assert found[0].line == line_of(bad, "id: agua_reuso") and found[0].question_id == "agua_reuso"
    assert "prefijo" in found[0].fix


def test_unknown_materiality_theme_and_dimension_and_index(core):
    bad = (
        module_text()
        .replace("  agua: 2", "  aguas: 2")
        .replace("dimension: ambiental", "dimension: ambientales\n    indice: circulares", 1)
    )
    messages = {p.message: p for p in problems(core, bad)}
    materiality = next(p for m, p in messages.items() if "'aguas'" in m)
    assert "¿Quiso decir 'agua'?" in materiality.fix
    assert materiality.line == line_of(bad, "aguas: 2")
    assert any("dimensión 'ambientales'" in m for m in messages)
    index = next(p for m, p in messages.items() if "'circulares'" in m)
    assert index.line == line_of(bad, "indice: circulares") and "circular" in index.fix


def test_module_for_another_questionnaire_version(core):
    bad = module_text().replace('version: "2.0.0"}', 'version: "1.0.0"}')
    (problem,) = problems(core, bad)
    assert "no metodo2_prueba 2.0.0" in problem.message
    assert problem.line == line_of(bad, "extiende:")


def test_core_rules_apply_to_module_questions_with_the_module_line(core):
    bad = module_text().replace("ruta: R2\n        profundidades", "profundidades")
    found = [p for p in problems(core, bad) if p.question_id == "mod_tizado"]
    assert found and found[0].file == "modulo.yaml"
    assert found[0].line is not None and found[0].line > line_of(bad, "id: mod_tizado") - 1


def test_own_rules_ciiu_express_and_requirements():
    bad = module_text().replace("ciiu: [13, 1410]", "ciiu: [9, 13, 3400]")
    with pytest.raises(QuestionnaireError) as info:
        module(bad)
    messages = [p.message for p in info.value.problems]
    assert any("vale 9" in m for m in messages) and any("vale 3400" in m for m in messages)
    bad = module_text().replace("ciiu: [13, 1410]", "ciiu: [13, 50, 13]")
    with pytest.raises(QuestionnaireError) as info:
        module(bad)
    messages = [p.message for p in info.value.problems]
    assert any("50 no es una división" in m for m in messages)
    assert any("repetido" in m for m in messages)
    extra = "".join(
        module_text().split("      - id: mod_retazo_kg")[0].split("    preguntas:\n")[1:]
    )
    many = module_text().replace(
        "      - id: mod_retazo_kg",
        "".join(extra.replace("mod_tizado", f"mod_t{i}") for i in range(MAX_EXPRESS))
        + "      - id: mod_retazo_kg",
    )
    with pytest.raises(QuestionnaireError) as info:
        module(many)
    (problem,) = info.value.problems
    assert f"{MAX_EXPRESS + 1} preguntas en Exprés" in problem.message
    assert problem.question_id == f"mod_t{MAX_EXPRESS - 1}"


def test_structural_error_is_reported_in_module_terms():
    bad = module_text().replace("    peso: 1\n", "    pesos: 1\n")
    with pytest.raises(QuestionnaireError) as info:
        module(bad)
    (problem,) = info.value.problems
    assert problem.file == "modulo.yaml" and problem.line == line_of(bad, "pesos: 1")


# --- which module a firm gets ------------------------------------------------------------


def test_division_module_and_second_activity_options(tmp_path, core):
    (tmp_path / "a.yaml").write_text(module_text(), encoding="utf-8")
    food = module_text().replace("corte_prueba", "comida").replace("mod_", "com_")
    (tmp_path / "b.yaml").write_text(food.replace("ciiu: [13, 1410]", "ciiu: [10]"), "utf-8")
    fish = food.replace("comida", "pescado").replace("com_", "pes_").replace("[13, 1410]", "[1020]")
    (tmp_path / "c.yaml").write_text(fish, encoding="utf-8")
    found = available_modules(tmp_path)
    assert set(modules_for(core, found)) == {"corte_prueba", "comida", "pescado"}
    assert division_module(core, found, 13).id == "corte_prueba"
    assert division_module(core, found, 10).id == "comida"
    assert division_module(core, found, 14) is None  # 1410 is a class: offered, not given
    assert [m.id for m in second_activity_options(core, found, 10)][0] == "pescado"
    assert [m.id for m in second_activity_options(core, found, 14)][0] == "corte_prueba"
    merged = with_modules(core, found, ["pescado", "comida"])
    assert merged is with_modules(core, found, ["comida", "pescado"])  # cached, order-free
    with pytest.raises(QuestionnaireError):
        with_modules(core, found, ["no_existe"])
    (tmp_path / "d.yaml").write_text(module_text(), encoding="utf-8")
    with pytest.raises(QuestionnaireError) as info:
        available_modules(tmp_path)
    assert "ya lo usa" in info.value.problems[0].message


# --- every shipped module ----------------------------------------------------------------


SHIPPED = sorted(available_modules())


def test_at_least_five_modules_cover_the_named_sectors():
    shipped = available_modules()
    core = load_questionnaire(QUESTIONNAIRE_DIR / f"{DEFAULT_ID}.yaml")
    for division in (10, 11, 13, 14, 20, 22, 23, 24, 25, 28, 33):
        if len(shipped) >= 5:
            assert division_module(core, shipped, division) is not None, division


@pytest.mark.parametrize("ident", SHIPPED)
def test_shipped_module_shape_and_simulated_scores(ident):
    found = available_modules()
    mod = found[ident]
    core = extended_questionnaire(mod)
    assert core is not None
    practice = [q for t in mod.model.ejes for q in t.preguntas if q.tipo == "practica"]
    assert 4 <= len(practice) <= 8
    assert 3 <= len(mod.model.indicadores) <= 6
    assert sum("expres" in q.profundidades for t in mod.model.ejes for q in t.preguntas) <= 3
    merged = with_modules(core, found, [ident])
    for depth in ("expres", "completo"):
        cq = compile_questionnaire(merged, depth)
        from scoring.answers import encode_frame
        from scoring.engine import score_batch

        encoded, _, _ = encode_frame(cq, simulate(cq, 200, seed=4), strict_rows=False)
        batch = score_batch(cq, encoded)
        themes = [cq.theme_index[t.id] for t in mod.model.ejes if t.id in cq.theme_index]
        values = batch.low.themes[:, themes]
        assert ((values[~(values != values)] >= 0) & (values[~(values != values)] <= 100)).all()
        overall = batch.low.overall
        assert ((overall >= 0) & (overall <= 100)).all()


def test_a_module_adds_no_legal_floor_items(core):
    bad = (
        module_text()
        .replace(
            "        tipo: practica\n"
            "        texto: ¿Mide la eficiencia del tizado?\n"
            "        ruta: R2\n",
            "        tipo: requisito\n        texto: ¿Cumple?\n        norma: DS 1\n"
            "        evidencia: Constancia\n        recomendacion: Cumpla.\n",
        )
        .replace(
            '        niveles:\n          - {descripcion: "Nivel 0.", recomendacion: "Paso 0."}\n'
            '          - {descripcion: "Nivel 1.", recomendacion: "Paso 1."}\n'
            '          - {descripcion: "Nivel 2.", recomendacion: "Paso 2."}\n'
            '          - {descripcion: "Nivel 3.", recomendacion: "Paso 3."}\n'
            '          - {descripcion: "Nivel 4."}\n',
            "",
        )
    )
    found = [p for p in problems(core, bad) if "piso legal" in p.message]
    assert found and found[0].question_id == "mod_tizado"
    assert found[0].line == line_of(bad, "tipo: requisito")
