"""The PDF report: content a reader relies on, robustness to hostile text, rendered pages."""

from __future__ import annotations

import dataclasses
import io

from pypdf import PdfReader

from reports import fmt
from reports.pdf import build_pdf, report_data
from reports.sample import sample_report
from scoring import schema
from tests.reports.conftest import (
    HOSTILE_NAME,
    INJECTION_NAME,
    pdf_text,
    render_pngs,
    squash,
    with_firm,
)


def test_pdf_states_the_key_facts(sample, sample_pdf):
    result, context = sample
    text = pdf_text(sample_pdf)
    assert squash(context.firm.razon_social) in text
    assert context.firm.ruc in text
    assert fmt.number(result.global_.puntaje) in text
    assert result.global_.nivel_nombre in text
    for dimension in result.dimensiones:
        assert f"{dimension.nombre} {fmt.number(dimension.puntaje)}" in text
    top = result.plan[0]
    assert squash(top.texto) in text
    assert squash(fmt.gain(top.ganancia)) in text
    assert result.cuestionario_hash[:12] in text
    assert result.cuestionario_hash in text  # full hash on the methodology page
    assert "27 de noviembre de 2026" in text
    for route in schema.ROUTES:
        assert squash(schema.ROUTE_NAMES[route]) in text


def test_pdf_has_every_section_and_page_numbers(sample_pdf):
    reader = PdfReader(io.BytesIO(sample_pdf))
    pages = len(reader.pages)
    assert pages > 3
    text = pdf_text(sample_pdf)
    for title in (
        "Resumen ejecutivo",
        "Mensajes clave",
        "Indicadores de desempeño",
        "Plan de acción priorizado",
        "Vacíos de información",
        "Metodología y reproducibilidad",
        "Anexo: respuestas de la evaluación",
    ):
        assert title in text
    assert f"Página 2 de {pages}" in text
    assert f"Página {pages} de {pages}" in text


def test_pdf_lists_indicators_with_references(sample, sample_pdf):
    result, _ = sample
    text = pdf_text(sample_pdf)
    for indicator in result.indicadores:
        assert squash(indicator.nombre) in text
    productivity = [i for i in result.indicadores if i.referencias]
    assert productivity, "the base questionnaire carries national references"
    assert "Perú: 1,3 %" in text
    assert "Chile: 3,1 %" in text
    assert "México: 2,5 %" in text


def test_pdf_appendix_has_every_question(sample, sample_pdf):
    _, context = sample
    text = pdf_text(sample_pdf)
    for question in context.compiled.questions:
        assert squash(question.texto) in text, question.id


def test_pdf_embeds_its_fonts(sample_pdf):
    reader = PdfReader(io.BytesIO(sample_pdf))
    fonts = {}
    for page in reader.pages[:3]:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            descriptor = target["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = any(
                key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    assert fonts and all(fonts.values()), fonts


def test_hostile_firm_name_is_plain_text(sample):
    result, context = sample
    context = with_firm(context, razon_social=HOSTILE_NAME)
    pdf = build_pdf(result, context)
    text = pdf_text(pdf)
    assert HOSTILE_NAME in text
    for char in ("—", "á", "ñ", "≥", "€", "S/"):
        assert char in text
    render_pngs(pdf, "hostil")


def test_injection_and_long_names_render(sample):
    result, context = sample
    long_name = ("Compañía Industrial de Envases Reciclados y Servicios Metalmecánicos " * 5)[:300]
    for name in (INJECTION_NAME, long_name):
        pdf = build_pdf(result, with_firm(context, razon_social=name))
        assert squash(name) in pdf_text(pdf)
    # An unbroken run gets break opportunities, so it wraps instead of leaving the page.
    pdf = build_pdf(result, with_firm(context, razon_social="X" * 300))
    assert "X" * 300 in pdf_text(pdf).replace(" ", "")
    # The running header shortens very long names; the cover shows them in full.
    data = report_data(result, with_firm(context, razon_social=long_name))
    assert len(data["firm"]["nombre_cabecera"]) <= 90
    render_pngs(build_pdf(result, with_firm(context, razon_social=long_name)), "nombre-largo")


def test_draft_without_peers_and_expres_depth():
    result, context = sample_report("expres", seed=3, with_peers=False)
    context = dataclasses.replace(context, submitted=False)
    pdf = build_pdf(result, context)
    text = pdf_text(pdf)
    assert "Borrador" in text
    assert "Exprés" in text
    assert "Mediana del grupo" not in text
    assert fmt.number(result.global_.puntaje) in text


def test_render_pages_for_review(sample_pdf):
    pngs = render_pngs(sample_pdf, "informe")
    assert len(pngs) == len(PdfReader(io.BytesIO(sample_pdf)).pages)
