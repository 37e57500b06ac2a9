"""Reports of method 2.0 results: legal floor, indices with their band, provisional level,
indicator boundary and sector comparison, plan reasons; built on the hand-scored questionnaire
``tests/scoring/fixtures/metodo2.yaml``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from pathlib import Path

import jsonschema
import pytest
from openpyxl import load_workbook

from reports import content
from reports.context import ReportContext
from reports.excel import build_xlsx
from reports.json_report import (
    SCHEMA_ID,
    SCHEMA_ID_2,
    SCHEMA_ID_2_1,
    build_json,
    report_schema,
    validate_report_json,
)
from reports.pdf import build_pdf, report_data
from reports.sample import SAMPLE_FIRM
from scoring.compiled import compile_questionnaire
from scoring.loader import load_questionnaire
from scoring.peers import SectorComparison
from scoring.result import ScoreResult, score_assessment
from tests.reports.conftest import pdf_text, render_pngs, with_firm
from tests.scoring.test_method2 import EXAMPLE

FIXTURE = Path(__file__).resolve().parents[1] / "scoring" / "fixtures" / "metodo2.yaml"
ANSWERS = EXAMPLE  # the hand-computed example of tests/scoring/test_method2.py
SOURCES = {"masa_total": "medido", "masa_circular": "estimado"}


@pytest.fixture(scope="module")
def compiled():
    return compile_questionnaire(load_questionnaire(FIXTURE), "completo")


def _report(compiled, changes=None, **context_changes) -> tuple[ScoreResult, ReportContext]:
    answers = {**ANSWERS, **(changes or {})}
    result = score_assessment(compiled, answers, SOURCES)
    context = ReportContext(
        firm=SAMPLE_FIRM,
        assessment_date=dt.datetime(2026, 11, 27, 10, 30),
        submitted=True,
        compiled=compiled,
        answers=answers,
        sources=SOURCES,
        **context_changes,
    )
    return result, context


@pytest.fixture(scope="module")
def capped(compiled):
    return _report(compiled)


@pytest.fixture(scope="module")
def provisional(compiled):
    # Two more «No sé» widen the band of the principal index beyond the 20-point threshold;
    # the water questions do not apply by profile and one practice by the firm's reason.
    return _report(
        compiled,
        {
            "res_segregacion": "no_se",
            "perfil_peligrosos": ["ninguno"],
            "piso_manifiestos": "no_corresponde",
            "est_metas": "no_aplica",
            "est_metas__motivo": "Somos maquila: el cliente fija las metas.",
        },
    )


def test_capped_result_matches_the_hand_example(capped):
    result, _ = capped
    assert result.metodo == "2.0"
    assert result.global_.puntaje == pytest.approx(65.625)
    assert result.global_.puntaje_maximo == pytest.approx(78.125)
    assert result.global_.puntaje_sin_no_se == pytest.approx(68.75)
    assert result.piso_legal.capped and result.global_.nivel_nombre == "Inicial"
    assert not result.provisional


def test_pdf_shows_floor_cap_band_and_reasons(capped):
    result, context = capped
    pdf = build_pdf(result, context)
    text = pdf_text(pdf)
    assert "Índice de circularidad".upper() in text.upper()
    assert "NO CUMPLE EL PISO LEGAL" in text
    assert "Su nivel se limita a Inicial porque no cumple:" in text
    assert "¿Entrega sus residuos peligrosos con manifiesto?" in text
    assert "DL 1278" in text and "Manifiestos firmados por la EO-RS" in text
    assert "le daría el nivel Avanzado" in text
    assert "65,6–78,1" in text and "sin «No sé»: 68,8" in text
    assert "Nivel 2 · Inicial" in text and "(provisional)" not in text
    assert "Sitio (planta) · últimos 12 meses" in text and "Estimado" in text
    assert "Por qué: Es una obligación legal (DL 1278)" in text
    assert "Método de cálculo" in text and result.cuestionario_hash in text
    assert "Método 2.0." in text
    assert "Dimensión Piso legal" not in text  # profile and floor are sections, not dimensions
    pages = render_pngs(pdf, "metodo2")
    assert len(pages) >= 6


def test_pdf_floor_gap_comes_first_in_the_plan(capped):
    result, context = capped
    plan = report_data(result, context)["plan"]
    assert plan["grupos"][0]["ruta"] == "Piso legal"
    assert plan["grupos"][0]["filas"][0]["texto"] == result.piso_legal.gaps[0].texto
    assert plan["grupos"][0]["filas"][0]["ganancia"] == "Obligatorio"
    practice = [f for g in plan["grupos"][1:] for f in g["filas"]]
    assert all(f["motivo"] for f in practice)


def test_provisional_level_and_not_applicable_reasons(provisional):
    result, context = provisional
    assert result.provisional and result.piso_legal.cumple
    text = pdf_text(build_pdf(result, context))
    assert f"Nivel {result.global_.nivel} · {result.global_.nivel_nombre} (provisional)" in text
    assert "Nivel provisional: las respuestas «No sé» abren una banda" in text
    assert "CUMPLE EL PISO LEGAL" in text and "Su nivel se limita" not in text
    assert "No aplica (motivo: Somos maquila: el cliente fija las metas.)" in text
    render_pngs(build_pdf(result, context), "metodo2-provisional")


def test_no_clearly_weaker_dimension(compiled):
    # Every practice at level 2: all dimensions tie, so none is clearly weaker.
    answers = {q.id: 2 for q in compiled.practice}
    result, context = _report(compiled, {**answers, "agua_reuso": 2})
    assert result.dimension_mas_debil is None
    text = pdf_text(build_pdf(result, context))
    assert "Ninguna dimensión es claramente más débil" in text


def test_profile_not_applicable_reason(compiled):
    result, context = _report(compiled, {"perfil_agua_proceso": "no"})
    rows = {r["id"]: r for r in content.answer_rows(result, context)}
    assert rows["agua_medicion"]["motivo_no_aplica"] == "según el perfil de la empresa"
    assert "según el perfil de la empresa" in pdf_text(build_pdf(result, context))


def _sector_indicator(result: ScoreResult) -> ScoreResult:
    indicator = dataclasses.replace(
        result.indicadores[0],
        comparar_en_sector=True,
        puntaje=None,
        referencias=[
            {
                "nombre": "Media nacional",
                "valor": 12.0,
                "fuente": "INEI",
                "uso": "contexto",
                "verificacion": "verificada",
            },
            {
                "nombre": "Guía",
                "valor": 40.0,
                "fuente": None,
                "uso": "comparable",
                "verificacion": "por_confirmar",
            },
        ],
    )
    return dataclasses.replace(result, indicadores=[indicator])


def test_sector_comparison_and_reference_marks(capped):
    result, context = capped
    result = _sector_indicator(result)
    text = pdf_text(build_pdf(result, context))
    assert "Sin comparación: menos de 5 empresas de su división" in text
    assert "contexto, no comparable" in text and "por confirmar" in text
    comparison = SectorComparison("entrada_circular", 30.0, 22.5, 7, 71.4)
    with_sector = dataclasses.replace(context, sector={"entrada_circular": comparison})
    text = pdf_text(build_pdf(result, with_sector))
    assert "Mejor que el 71 % de 7 empresas de su división CIIU" in text
    data = json.loads(build_json(result, with_sector))
    validate_report_json(data)
    assert data["sector"]["entrada_circular"]["n"] == 7
    book = load_workbook(io.BytesIO(build_xlsx(result, with_sector)))
    rows = list(book["Indicadores"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Puntaje (0–100)"] == pytest.approx(71.4)
    assert row["Frontera"] == "Sitio (planta)" and row["Periodo"] == "últimos 12 meses"


def test_xlsx_has_floor_and_indices(capped):
    result, context = capped
    book = load_workbook(io.BytesIO(build_xlsx(result, context)))
    assert book.sheetnames == [
        "Resumen",
        "Puntajes",
        "Índices",
        "Piso legal",
        "Respuestas",
        "Plan de acción",
        "Indicadores",
    ]
    summary = {
        r[0]: r[1] for r in book["Resumen"].iter_rows(min_row=3, max_col=2, values_only=True)
    }
    assert summary["Nivel de madurez"] == "Nivel 2 · Inicial"
    assert summary["Nivel provisional"] == "No"
    assert summary["Piso legal"].startswith("No cumple: «¿Entrega sus residuos")
    assert summary["Banda por «No sé»: máximo"] == pytest.approx(78.125)
    floor = list(book["Piso legal"].iter_rows(min_row=2, values_only=True))
    assert [r[4] for r in floor] == ["Cumple", "No cumple"]
    assert floor[1][2] == "DL 1278"
    indices = list(book["Índices"].iter_rows(values_only=True))
    head = indices[0]
    principal = dict(zip(head, indices[1], strict=True))
    assert principal["Principal (decide el nivel)"] == "Sí"
    assert principal["Máximo de la banda («No sé» = 4)"] == pytest.approx(78.125)
    assert principal["Sin «No sé» (estimación)"] == pytest.approx(68.75)
    plan = list(book["Plan de acción"].iter_rows(values_only=True))
    first = dict(zip(plan[0], plan[1], strict=True))
    assert first["Tipo"] == "Piso legal" and first["Motivo"].startswith("Es una obligación")
    second = dict(zip(plan[0], plan[2], strict=True))
    assert second["Tipo"] == "Práctica" and second["Índice"]
    indicators = list(book["Indicadores"].iter_rows(values_only=True))
    assert {"Frontera", "Periodo", "Fuente del dato"} <= set(indicators[0])


def test_xlsx_keeps_formula_escaping(capped):
    result, context = capped
    book = load_workbook(io.BytesIO(build_xlsx(result, with_firm(context, razon_social="=1+1"))))
    ws = book["Resumen"]
    cell = next(c for c in ws["B"] if c.row > 2 and ws.cell(c.row, 1).value == "Razón social")
    assert cell.data_type == "s" and cell.quotePrefix


def test_json_validates_against_2_1(capped, provisional):
    jsonschema.Draft202012Validator.check_schema(report_schema(SCHEMA_ID_2_1))
    jsonschema.Draft202012Validator.check_schema(report_schema(SCHEMA_ID_2))
    for result, context in (capped, provisional):
        data = json.loads(build_json(result, context))
        assert data["esquema"] == SCHEMA_ID_2_1
        validate_report_json(data)
        assert data["resultado"]["piso_legal"]["cumple"] == result.piso_legal.cumple
        assert data["sector"] is None
        assert data["modulos"] == [] and data["resultado"]["modulos"] == []
        with pytest.raises(jsonschema.ValidationError):
            validate_report_json(data, SCHEMA_ID)  # not a 1.0 document
        with pytest.raises(jsonschema.ValidationError):
            validate_report_json(data, SCHEMA_ID_2)  # 2.0 has no «modulos»
    data = json.loads(build_json(*capped))
    broken = json.loads(json.dumps(data))
    del broken["resultado"]["piso_legal"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(broken)
    without_modules = json.loads(json.dumps(data))
    del without_modules["resultado"]["modulos"]
    with pytest.raises(jsonschema.ValidationError):
        validate_report_json(without_modules)


def test_documents_written_as_2_0_still_validate(capped):
    """A report written before the sector modules (esquema 2.0) keeps validating."""
    data = json.loads(build_json(*capped))
    old = {k: v for k, v in data.items() if k != "modulos"}
    old["esquema"] = SCHEMA_ID_2
    old["resultado"] = {k: v for k, v in data["resultado"].items() if k != "modulos"}
    validate_report_json(old)  # picks resultado-2.0.json from «esquema»


def test_stored_v2_result_renders_the_same(capped):
    result, context = capped
    again = ScoreResult.from_dict(result.to_dict())
    assert pdf_text(build_pdf(again, context)).count("Su nivel se limita a Inicial") >= 1
