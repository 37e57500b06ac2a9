"""Reports of an assessment answered with a sector module («textil»): a «Módulo sectorial»
section in the PDF, a sheet in the Excel workbook and a block in the JSON (schema 2.1), with
its themes, its indicators in sector units and the comparison within the module."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json

import jsonschema
import pytest
from openpyxl import load_workbook

from reports import content, fmt
from reports.context import ReportContext
from reports.excel import build_xlsx
from reports.json_report import SCHEMA_ID_2, SCHEMA_ID_2_1, build_json, validate_report_json
from reports.pdf import build_pdf, report_data
from reports.sample import (
    SAMPLE_TEXTILE_FIRM,
    TEXTILE_CHOICES,
    TEXTILE_PROFILE,
    sample_answers,
    sample_textile_report,
)
from scoring.catalog import available_modules, default_questionnaire, with_modules
from scoring.compiled import compile_questionnaire
from scoring.peers import SectorComparison
from scoring.result import ModuleSummary, ScoreResult, score_assessment
from tests.reports.conftest import pdf_text, render_pngs, squash

MODULE = "Textil y confecciones"
THEMES = ["tex_corte_retazos", "tex_proceso_humedo", "tex_fibras_durabilidad"]
# Comparisons as the app passes them: module indicators within the module, core ones within
# the division; «agua» has too few firms to publish.
SECTOR = {
    "tex_retazo_por_mil_prendas": SectorComparison(
        "tex_retazo_por_mil_prendas", 50.0, 41.0, 9, 62.5
    ),
    "tex_agua_por_tonelada": SectorComparison("tex_agua_por_tonelada", 122.9, None, 3, None),
    "intensidad_hidrica": SectorComparison("intensidad_hidrica", 138.7, 120.0, 12, 25.0),
}


@pytest.fixture(scope="module")
def textile() -> tuple[ScoreResult, ReportContext]:
    """A garment plant's Completo assessment with the «textil» module and one «No sé» in it."""
    merged = with_modules(default_questionnaire(), available_modules(), ["textil"])
    compiled = compile_questionnaire(merged, "completo")
    answers, sources = sample_answers(compiled, 7, TEXTILE_PROFILE, TEXTILE_CHOICES)
    answers.update({"tex_eficiencia_tizado": 2, "tex_valorizacion_retazos": "no_se"})
    result = score_assessment(compiled, answers, sources)
    context = ReportContext(
        firm=SAMPLE_TEXTILE_FIRM,
        assessment_date=dt.datetime(2026, 11, 27, 10, 30),
        submitted=True,
        compiled=compiled,
        answers=answers,
        sources=sources,
        sector=SECTOR,
    )
    return result, context


@pytest.fixture(scope="module")
def textile_pdf(textile) -> bytes:
    return build_pdf(*textile)


def _theme(result: ScoreResult, ident: str):
    return next(t for t in result.ejes if t.id == ident)


def _indicator(result: ScoreResult, ident: str):
    return next(i for i in result.indicadores if i.id == ident)


def test_the_result_used_the_module(textile):
    result, _ = textile
    assert [m.id for m in result.modulos] == ["textil"]
    assert result.modulos[0].ejes == THEMES
    band = _theme(result, "tex_corte_retazos")
    assert band.puntaje_maximo > band.puntaje  # the «No sé» opens a band
    assert all(_indicator(result, i).valido for i in result.modulos[0].indicadores)


# --- shared sentences --------------------------------------------------------------------------


def test_sector_sentences_name_the_module(textile):
    result, context = textile
    module = result.modulos[0]
    waste = _indicator(result, "tex_retazo_por_mil_prendas")
    assert content.sector_text(waste, context, module) == (
        f"Mejor que el 62{fmt.NBSP}% de 9 empresas del módulo {MODULE} "
        f"(mediana 41,0{fmt.NBSP}kg por 1 000 prendas)."
    )
    water = _indicator(result, "tex_agua_por_tonelada")
    assert content.sector_text(water, context, module) == (
        f"Sin comparación: menos de 5 empresas del módulo {MODULE}."
    )
    core = _indicator(result, "intensidad_hidrica")
    assert "12 empresas de su división CIIU" in content.sector_text(core, context)
    # A firm with a module: its core intensities are compared within the module as well.
    assert result.comparison_group("intensidad_hidrica") is module
    rows = {r["id"]: r for r in content.indicator_rows(result, context)}
    assert rows["tex_retazo_por_mil_prendas"]["sector"].startswith("Mejor que el 62")
    assert "del módulo" in rows["tex_agua_por_tonelada"]["sector"]
    assert f"12 empresas del módulo {MODULE}" in rows["intensidad_hidrica"]["sector"]
    assert rows["tex_retazo_por_mil_prendas"]["modulo"] == "textil"
    assert rows["intensidad_hidrica"]["modulo"] is None
    assert content.no_sector_text() == content.NO_SECTOR


def test_scope_and_join_wording():
    def module(ciiu):
        return ModuleSummary("m", "Minerales no metálicos", "1.0.0", ciiu=ciiu)

    assert content.module_scope(module([13, 14])) == "Módulo para las divisiones CIIU 13 y 14"
    assert content.module_scope(module([23])) == "Módulo para la división CIIU 23"
    assert content.ciiu_text([16, 17, 31]) == "las divisiones CIIU 16, 17 y 31"
    assert content.ciiu_text([10, 1020]) == "la división CIIU 10 y la clase CIIU 1020"
    assert content.module_tag(module([23])) == "módulo minerales no metálicos"
    assert content._join(["Agua", "Insumos"]) == "Agua e Insumos"
    assert content._join(["Agua", "hielo"]) == "Agua y hielo"


def test_module_sections_content(textile):
    result, context = textile
    [section] = content.module_sections(result, context)
    assert section["alcance"] == "Módulo para las divisiones CIIU 13 y 14"
    assert [t["id"] for t in section["ejes"]] == THEMES
    corte = section["ejes"][0]
    theme = _theme(result, "tex_corte_retazos")
    assert corte["puntaje"] == pytest.approx(theme.puntaje)
    assert corte["banda"] == content.band_text(theme) and "–" in corte["banda"]
    assert corte["indice"] == "Índice de circularidad" and corte["dimension"] == "Ambiental"
    assert [r["id"] for r in section["indicadores"]] == result.modulos[0].indicadores
    assert "al índice de circularidad" in section["como_cuenta"]
    assert f"Circuitos de agua (×{fmt.NBSP}1,5)" in section["como_cuenta"]
    assert f"empresas del módulo {MODULE}" in section["comparacion"]
    assert content.module_sections(*sample_textile_report("expres", with_peers=False))


# --- PDF ---------------------------------------------------------------------------------------


def test_pdf_has_the_module_section(textile, textile_pdf):
    result, _ = textile
    text = pdf_text(textile_pdf)
    title = f"Módulo sectorial: {MODULE}"
    assert title in text
    assert "Módulo para las divisiones CIIU 13 y 14" in text
    # After the scores, before the indicators of the core questionnaire.
    start = text.index(f"3. {title}")
    assert text.index("Ejes temáticos") < start < text.index("4. Indicadores de desempeño")
    section = text[start : text.index("4. Indicadores de desempeño")]
    for ident in THEMES:
        theme = _theme(result, ident)
        assert squash(theme.nombre) in section
        assert fmt.number(theme.puntaje) in section
    assert content.band_text(_theme(result, "tex_corte_retazos")) in section
    for ident in result.modulos[0].indicadores:
        assert squash(_indicator(result, ident).nombre) in section
    assert "kg por 1 000 prendas" in section and "Sitio (planta) · últimos 12 meses" in section
    assert f"Mejor que el 62 % de 9 empresas del módulo {MODULE}" in section
    assert f"Sin comparación: menos de 5 empresas del módulo {MODULE}" in section
    assert "empresas de su división CIIU" not in section
    render_pngs(textile_pdf, "modulo-textil")


def test_pdf_module_items_are_not_repeated_confusingly(textile, textile_pdf):
    result, context = textile
    text = pdf_text(textile_pdf)
    # Module indicators are shown once, in the module section; the general table points there.
    for ident in result.modulos[0].indicadores:
        assert text.count(squash(_indicator(result, ident).nombre)) == 1, ident
    general = report_data(result, context)["indicadores"]
    assert {f["nombre"] for f in general["filas"]}.isdisjoint(
        _indicator(result, i).nombre for i in result.modulos[0].indicadores
    )
    assert "5 indicadores del módulo Textil y confecciones" in text
    # Module themes stay in the complete theme table and chart, marked as the module's.
    assert text.count("Corte y retazos Módulo textil y confecciones") >= 2
    assert "Corte y retazos — módulo textil y confecciones" in text  # the annex heading
    # Core intensities of a module firm are compared within the module too, and say so.
    assert f"de 12 empresas del módulo {MODULE}" in text
    assert "empresas de su división CIIU" not in text
    assert f"{MODULE} (textil 1.0.0)" in text  # cover and reproducibility table


def test_core_only_pdf_has_no_module_section(sample, sample_pdf):
    result, context = sample
    assert not result.modulos
    text = pdf_text(sample_pdf)
    assert "Módulo sectorial" not in text and "del módulo" not in text
    assert "módulo" not in " ".join(content.method_text(result))
    assert report_data(result, context)["modulos"] == []


# --- Excel -------------------------------------------------------------------------------------


def _table(ws, title: str) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    at = next(i for i, r in enumerate(rows) if r[0] == title)
    header = [h for h in rows[at + 1] if h is not None]
    found = []
    for row in rows[at + 2 :]:
        if row[0] is None:
            break
        found.append(dict(zip(header, row, strict=False)))
    return found


def test_xlsx_has_the_module_sheet(textile):
    result, context = textile
    book = load_workbook(io.BytesIO(build_xlsx(result, context)))
    assert book.sheetnames == [
        "Resumen",
        "Puntajes",
        "Índices",
        "Piso legal",
        "Módulo sectorial",
        "Respuestas",
        "Plan de acción",
        "Indicadores",
    ]
    ws = book["Módulo sectorial"]
    assert ws["A1"].value == f"Módulo sectorial: {MODULE}"
    facts = {r[0]: r[1] for r in ws.iter_rows(min_row=3, max_col=2, values_only=True) if r[0]}
    assert facts["Alcance"] == "Módulo para las divisiones CIIU 13 y 14"
    assert facts["Versión"] == "1.0.0" and facts["Códigos CIIU"] == "13, 14"
    themes = _table(ws, "Ejes del módulo")
    assert [t["Id"] for t in themes] == THEMES
    corte = _theme(result, "tex_corte_retazos")
    assert themes[0]["Puntaje (0–100, «No sé» = 0)"] == pytest.approx(corte.puntaje)
    assert themes[0]["Máximo de la banda («No sé» = 4)"] == pytest.approx(corte.puntaje_maximo)
    assert themes[0]["Índice"] == "Índice de circularidad"
    indicators = {r["Id"]: r for r in _table(ws, "Indicadores del módulo (unidades del sector)")}
    assert list(indicators) == result.modulos[0].indicadores
    waste = indicators["tex_retazo_por_mil_prendas"]
    assert waste["Valor"] == pytest.approx(_indicator(result, "tex_retazo_por_mil_prendas").valor)
    assert waste["Unidad"] == "kg por 1 000 prendas" and waste["Frontera"] == "Sitio (planta)"
    assert waste["Puntaje (0–100)"] == pytest.approx(62.5)
    assert waste["Empresas comparadas"] == 9 and waste["Mediana del módulo"] == pytest.approx(41)
    assert f"9 empresas del módulo {MODULE}" in waste["Comparación en el módulo"]
    water = indicators["tex_agua_por_tonelada"]
    assert water["Puntaje (0–100)"] is None
    assert water["Comparación en el módulo"].startswith("Sin comparación: menos de 5")
    cell = next(c for c in ws["E"] if c.value == waste["Valor"])
    assert cell.number_format == "#,##0.0"  # formatted like the Indicadores sheet
    summary = {
        r[0]: r[1] for r in book["Resumen"].iter_rows(min_row=3, max_col=2, values_only=True)
    }
    assert summary["Módulo sectorial"] == f"{MODULE} (textil 1.0.0)"
    scores = list(book["Puntajes"].iter_rows(values_only=True))
    column = scores[0].index("Módulo sectorial")
    marked = {r[1]: r[column] for r in scores[1:]}
    assert marked["tex_corte_retazos"] == MODULE and marked["energia"] is None
    listed = list(book["Indicadores"].iter_rows(values_only=True))
    column = listed[0].index("Módulo sectorial")
    by_id = {r[0]: r[column] for r in listed[1:]}
    assert by_id["tex_fibra_circular"] == MODULE and by_id["intensidad_hidrica"] is None


def test_core_only_xlsx_has_no_module_sheet(sample):
    book = load_workbook(io.BytesIO(build_xlsx(*sample)))
    assert not any(name.startswith("Módulo") for name in book.sheetnames)
    assert "Módulo sectorial" not in next(book["Puntajes"].iter_rows(values_only=True))


# --- JSON --------------------------------------------------------------------------------------


def test_json_2_1_has_the_modules(textile):
    result, context = textile
    data = json.loads(build_json(result, context))
    assert data["esquema"] == SCHEMA_ID_2_1
    validate_report_json(data)
    assert data["resultado"]["modulos"] == [dataclasses.asdict(result.modulos[0])]
    [module] = data["modulos"]
    assert module["alcance"] == "Módulo para las divisiones CIIU 13 y 14"
    assert module["materialidad"] == {
        "agua": 1.5,
        "mermas_prevencion": 1.5,
        "insumos_circulares": 1.25,
    }
    assert [t["id"] for t in module["ejes"]] == THEMES
    assert module["ejes"][0]["puntaje_maximo"] == pytest.approx(
        _theme(result, "tex_corte_retazos").puntaje_maximo
    )
    indicators = {i["id"]: i for i in module["indicadores"]}
    waste = indicators["tex_retazo_por_mil_prendas"]
    assert waste["puntaje"] == pytest.approx(62.5) and waste["sector"]["n"] == 9
    assert waste["comparacion"].startswith("Mejor que el 62")
    assert f"del módulo {MODULE}" in waste["comparacion"]
    assert waste["frontera"] == "sitio" and waste["fuente"] in ("medido", "estimado")
    assert data["sector"]["tex_retazo_por_mil_prendas"]["modulo"] == "textil"
    assert data["sector"]["intensidad_hidrica"]["modulo"] is None
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(data, SCHEMA_ID_2)  # a 2.0 document has no modules
    broken = json.loads(json.dumps(data))
    del broken["modulos"][0]["indicadores"][0]["comparacion"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(broken)
    broken = json.loads(json.dumps(data))
    broken["resultado"]["modulos"][0]["ciiu"] = ["13"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(broken)


def test_stored_module_result_renders_the_same(textile):
    result, context = textile
    again = ScoreResult.from_dict(result.to_dict())
    assert again.modulos == result.modulos
    text = pdf_text(build_pdf(again, context))
    assert f"Módulo sectorial: {MODULE}" in text


# --- sample ------------------------------------------------------------------------------------


def test_sample_textile_report_shows_the_module():
    result, context = sample_textile_report()
    assert context.firm.ciiu_division == "14"
    assert [m.id for m in result.modulos] == ["textil"]
    invalid = [i.id for i in result.indicadores if not i.valido]
    assert not invalid, invalid
    compared = {k: v for k, v in context.sector.items() if result.module_of_indicator(k)}
    assert any(c.comparable for c in compared.values())
    assert any(not c.comparable and c.mediana is None for c in compared.values())
    assert context.peer_label.startswith("División CIIU 14")


def test_module_theme_peers_get_a_column(textile):
    result, context = textile
    peers = {"group_label": "Módulo textil (11 empresas)", "tex_corte_retazos": {"median": 42.5}}
    data = report_data(result, dataclasses.replace(context, peers=peers))
    [section] = data["modulos"]
    assert section["ejes"]["encabezado"][-1] == "Mediana del grupo"
    assert [f["mediana"] for f in section["ejes"]["filas"]] == ["42,5", fmt.DASH, fmt.DASH]
    text = pdf_text(build_pdf(result, dataclasses.replace(context, peers=peers)))
    module_part = text[text.index("3.1. Ejes del módulo") : text.index("3.2. Indicadores")]
    assert "Mediana del grupo" in module_part and "42,5" in module_part
    assert (
        "Mediana del grupo" not in report_data(result, context)["modulos"][0]["ejes"]["encabezado"]
    )


def test_two_modules_are_one_comparison_group_named_in_plural():
    from scoring.catalog import available_modules, default_questionnaire, with_modules
    from scoring.compiled import compile_questionnaire
    from scoring.result import score_assessment

    merged = with_modules(
        default_questionnaire(), available_modules(), ["alimentos", "harina_pescado"]
    )
    result = score_assessment(compile_questionnaire(merged, "completo"), {})
    names = [m.nombre for m in result.modulos]
    # Peers are the firms with exactly this pair, for the module's own indicators too.
    for ident in ("ali_perdida_alimentos", "intensidad_hidrica"):
        group = result.comparison_group(ident)
        assert group.nombre == " y ".join(names) and "+" in group.id
    group = result.comparison_group("ali_perdida_alimentos")
    assert content.sector_group(group) == f"empresas con los módulos {' y '.join(names)}"
    assert content.no_sector_text(group).endswith(f"con los módulos {' y '.join(names)}")
