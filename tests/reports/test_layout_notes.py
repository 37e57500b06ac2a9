"""PDF layout (no nearly blank pages, no unlabelled peer columns) and the firm's notes and
evidence per answer in the PDF and the Excel workbook."""

from __future__ import annotations

import dataclasses
import io

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reports import content
from reports.excel import build_xlsx
from reports.pdf import build_pdf, report_data
from reports.sample import sample_report, sample_textile_report
from tests.reports.conftest import INJECTION_NAME, pdf_text, render_pngs

# A4 is 842 pt high; the template's margins are 2.3 cm at the top and 2.1 cm at the bottom, with
# the running header and footer outside them. Text between these heights is the page's body.
BODY_TOP = 842 - 66
BODY_BOTTOM = 60
MIN_FILL = 0.5  # every page but the last reaches at least half of the body height


def page_fill(pdf: bytes) -> list[float]:
    """For each page, how far down its body text reaches (0: no body text, 1: the bottom)."""
    fills = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        heights: list[float] = []

        def visit(text, cm, tm, font, size, heights=heights):
            if text.strip():
                heights.append(tm[5] * cm[3] + cm[5])

        page.extract_text(visitor_text=visit)
        body = [y for y in heights if BODY_BOTTOM < y < BODY_TOP]
        fills.append((BODY_TOP - min(body)) / (BODY_TOP - BODY_BOTTOM) if body else 0.0)
    return fills


@pytest.mark.parametrize("with_peers", [False, True], ids=["sin_pares", "con_pares"])
@pytest.mark.parametrize("depth", ["expres", "completo"])
@pytest.mark.parametrize("sample", [sample_report, sample_textile_report], ids=["base", "textil"])
def test_no_nearly_blank_page(sample, depth, with_peers):
    pdf = build_pdf(*sample(depth, seed=7, with_peers=with_peers))
    fills = page_fill(pdf)
    short = [(number, round(fill, 2)) for number, fill in enumerate(fills[:-1], 1)]
    assert all(fill >= MIN_FILL for _, fill in short), short
    name = "base" if sample is sample_report else "textil"
    render_pngs(pdf, f"paginas-{name}-{depth}-{'con' if with_peers else 'sin'}-pares")


def test_expres_without_indicators_says_so_in_one_sentence():
    result, context = sample_report("expres", seed=7, with_peers=False)
    text = pdf_text(build_pdf(result, context))
    assert "no incluye indicadores cuantitativos" in text
    assert "PUNTAJE DE DESEMPEÑO" not in text  # no empty score box


def test_without_peers_the_peer_columns_are_absent():
    result, context = sample_report("expres", seed=7, with_peers=False)
    tables = report_data(result, context)["tablas"]
    for name in ("dimensiones", "rutas"):
        table = tables[name]
        assert "" not in table["encabezado"]
        assert "Mediana del grupo" not in table["encabezado"]
        assert all(len(row) == len(table["encabezado"]) for row in table["filas"])
        assert not any(cell == "—" for row in table["filas"] for cell in row)
    assert len(tables["dimensiones"]["anchos"]) == len(tables["dimensiones"]["encabezado"])
    assert "— —" not in pdf_text(build_pdf(result, context))


def test_with_peers_the_peer_columns_are_labelled():
    result, context = sample_report("expres", seed=7, with_peers=True)
    tables = report_data(result, context)["tablas"]
    for name in ("dimensiones", "rutas"):
        header = tables[name]["encabezado"]
        assert header[-2:] == ["Mediana del grupo", "Cuartiles (Q1–Q3)"]
        assert all(len(row) == len(header) for row in tables[name]["filas"])
    assert len(tables["dimensiones"]["anchos"]) == len(tables["dimensiones"]["encabezado"])


# --- notes and evidence -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noted():
    """An Exprés report whose firm left notes on a practice, a legal requirement and a «No
    aplica» answer (whose comment is its reason, not a note)."""
    result, context = sample_report("expres", seed=7, with_peers=False)
    practices = [q.id for q in result.preguntas if q.estado == "nivel"]
    requirement = result.piso_legal.requisitos[0].id
    not_applicable = next((q.id for q in result.preguntas if q.estado == "no_aplica"), None)
    notes = {
        practices[0]: "Registro mensual de compras en la hoja «Insumos 2025».",
        practices[1]: INJECTION_NAME,
        requirement: "Certificado vigente hasta marzo de 2027.",
    }
    answers = dict(context.answers)
    if not_applicable is None:  # make one: a practice answered «No aplica» with its reason
        not_applicable = practices[2]
        answers[not_applicable] = "no_aplica"
    notes[not_applicable] = "No fabricamos envases."
    context = dataclasses.replace(context, notes=notes, answers=answers)
    return result, context, practices, requirement, not_applicable


def test_note_rows_skip_reasons_of_not_applicable(noted):
    result, context, practices, requirement, not_applicable = noted
    rows = {r["id"]: r["nota"] for r in content.note_rows(result, context)}
    assert set(rows) == {practices[0], practices[1], requirement}
    assert rows[requirement] == "Certificado vigente hasta marzo de 2027."


def test_pdf_has_a_notes_section(noted):
    result, context, *_ = noted
    pdf = build_pdf(result, context)
    text = pdf_text(pdf)
    assert "Notas y evidencias" in text
    assert "Registro mensual de compras en la hoja «Insumos 2025»." in text
    assert "Certificado vigente hasta marzo de 2027." in text
    assert INJECTION_NAME in text  # shown as plain text
    render_pngs(pdf, "notas")


def test_pdf_without_notes_has_no_notes_section():
    text = pdf_text(build_pdf(*sample_report("expres", seed=7, with_peers=False)))
    assert "Notas y evidencias" not in text


def test_excel_has_the_notes_column_injection_safe(noted):
    result, context, practices, requirement, not_applicable = noted
    book = load_workbook(io.BytesIO(build_xlsx(result, context)))
    sheet = book["Respuestas"]
    header = [c.value for c in sheet[1]]
    column = header.index("Nota o evidencia de la empresa")
    by_id = {row[2].value: row[column] for row in sheet.iter_rows(min_row=2)}
    assert by_id[practices[0]].value == "Registro mensual de compras en la hoja «Insumos 2025»."
    assert by_id[requirement].value == "Certificado vigente hasta marzo de 2027."
    assert by_id[not_applicable].value is None  # its comment is the reason, in its own column
    risky = by_id[practices[1]]
    assert risky.value == INJECTION_NAME
    assert risky.data_type == "s"  # a string, never a formula
    assert risky.quotePrefix
