"""The Excel workbook: sheets, values read back, and formula-injection protection."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from reports.excel import build_xlsx, is_risky
from tests.reports.conftest import INJECTION_NAME, with_firm

SHEETS = [
    "Resumen",
    "Puntajes",
    "Índices",
    "Piso legal",
    "Respuestas",
    "Plan de acción",
    "Indicadores",
]


def _book(result, context):
    return load_workbook(io.BytesIO(build_xlsx(result, context)))


def _summary(ws) -> dict:
    return {row[0]: row[1] for row in ws.iter_rows(min_row=3, max_col=2, values_only=True)}


def test_sheets_and_headers(sample):
    book = _book(*sample)
    assert book.sheetnames == SHEETS
    for name in SHEETS[1:]:
        ws = book[name]
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")


def test_values_match_the_result(sample):
    result, context = sample
    book = _book(result, context)
    summary = _summary(book["Resumen"])
    assert summary["Razón social"] == context.firm.razon_social
    assert summary["RUC"] == context.firm.ruc
    principal = "Índice de circularidad (0–100, «No sé» = 0)"
    assert summary[principal] == pytest.approx(result.global_.puntaje)
    assert summary["Banda por «No sé»: máximo"] == pytest.approx(result.global_.puntaje_maximo)
    assert summary["Huella SHA-256 del contenido"] == result.cuestionario_hash

    scores = {
        (row[0], row[1]): row[4] for row in book["Puntajes"].iter_rows(min_row=2, values_only=True)
    }
    for d in result.dimensiones:
        assert scores[("Dimensión", d.id)] == pytest.approx(d.puntaje)
    for r in result.rutas:
        assert scores[("Ruta ODS 9", r.id)] == pytest.approx(r.puntaje)

    plan = list(book["Plan de acción"].iter_rows(min_row=2, values_only=True))
    assert len(plan) == len(result.plan)
    assert plan[0][0] == 1
    assert plan[0][5] == result.plan[0].pregunta_id
    assert plan[0][9] == pytest.approx(result.plan[0].ganancia)

    answers = list(book["Respuestas"].iter_rows(min_row=2, values_only=True))
    assert len(answers) == len(context.compiled.questions)
    indicators = list(book["Indicadores"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in indicators] == [i.id for i in result.indicadores]


@pytest.mark.parametrize(
    "name", [INJECTION_NAME, "+51 999", "-1+2", "@SUM(A1)", "\t=1+1", "\r=1+1"]
)
def test_formula_like_text_stays_text(sample, name):
    result, context = sample
    book = _book(result, with_firm(context, razon_social=name))
    ws = book["Resumen"]
    cell = next(c for c in ws["B"] if c.row > 2 and ws.cell(c.row, 1).value == "Razón social")
    assert cell.data_type == "s"  # a string, not a formula ("f")
    assert cell.value.replace("_x000D_", "\r") == name  # openpyxl keeps the OOXML CR escape
    assert cell.quotePrefix  # Excel's own "typed with a leading apostrophe" flag


def test_is_risky():
    assert all(is_risky(t) for t in ("=1", "+1", "-1", "@x", "\tx", "\rx"))
    assert not any(is_risky(t) for t in ("Empresa S.A.C.", "1-2", " =1", ""))
