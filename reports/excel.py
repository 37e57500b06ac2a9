"""The Excel workbook of one assessment: summary, scores, answers, action plan, indicators.

Every text cell is written with ``write_string``; texts that a spreadsheet could read as a
formula (starting with = + - @, tab or carriage return) also carry Excel's quote prefix, the
same flag Excel sets when a user types an apostrophe first, so they stay text even when edited.
"""

from __future__ import annotations

import io
import math
from typing import Any

import xlsxwriter

from reports import content, fmt
from reports.context import ReportContext
from scoring import schema
from scoring.result import ScoreResult

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_COLOR = "#0F6E5A"


def is_risky(text: str) -> bool:
    """True when a spreadsheet could run ``text`` as a formula."""
    return text.startswith(FORMULA_START)


class _Sheet:
    """A worksheet written row by row with typed, injection-safe cells."""

    def __init__(self, book: xlsxwriter.Workbook, name: str, styles: dict[str, Any]):
        self.ws = book.add_worksheet(name)
        self.styles = styles
        self.row = 0

    def cell(self, row: int, col: int, value: object, style: str | None = None) -> None:
        fmt_obj = self.styles.get(style) if style else None
        if value is None or (isinstance(value, float) and math.isnan(value)):
            self.ws.write_blank(row, col, None, fmt_obj)
        elif isinstance(value, bool):
            self.ws.write_string(row, col, "Sí" if value else "No", fmt_obj)
        elif isinstance(value, int | float):
            self.ws.write_number(row, col, float(value), fmt_obj)
        else:
            text = str(value)
            if is_risky(text):
                quoted = "quoted_" + (style or "text")
                self.ws.write_string(row, col, text, self.styles[quoted])
            else:
                self.ws.write_string(row, col, text, fmt_obj or self.styles["text"])

    def table(
        self,
        headers: list[str],
        rows: list[list[object]],
        widths: list[float],
        styles: list[str | None] | None = None,
    ) -> None:
        """A header row (frozen, with autofilter) and data rows below it."""
        start = self.row
        for col, (header, width) in enumerate(zip(headers, widths, strict=True)):
            self.ws.write_string(start, col, header, self.styles["header"])
            self.ws.set_column(col, col, width)
        for r, values in enumerate(rows, start=start + 1):
            for col, value in enumerate(values):
                self.cell(r, col, value, styles[col] if styles else None)
        self.ws.freeze_panes(start + 1, 0)
        self.ws.autofilter(start, 0, start + max(len(rows), 1), len(headers) - 1)
        self.row = start + len(rows) + 1


def _styles(book: xlsxwriter.Workbook) -> dict[str, Any]:
    base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
    specs: dict[str, dict[str, Any]] = {
        "text": {"text_wrap": True},
        "header": {
            "bold": True,
            "font_color": "#FFFFFF",
            "bg_color": HEADER_COLOR,
            "text_wrap": True,
            "valign": "vcenter",
        },
        "score": {"num_format": "0.0"},
        "number": {"num_format": "#,##0.0"},
        "integer": {"num_format": "0"},
        "label": {"bold": True, "text_wrap": True},
        "title": {"bold": True, "font_size": 14, "font_color": HEADER_COLOR},
    }
    styles = {name: book.add_format({**base, **spec}) for name, spec in specs.items()}
    for name, spec in list(specs.items()):
        styles["quoted_" + name] = book.add_format({**base, **spec, "quote_prefix": True})
    return styles


def _summary(sheet: _Sheet, result: ScoreResult, context: ReportContext) -> None:
    firm = context.firm
    weakest = result.dimension(result.dimension_mas_debil) if result.dimension_mas_debil else None
    ws = sheet.ws
    ws.write_string(0, 0, "Brújula Circular — Resumen del autodiagnóstico", sheet.styles["title"])
    ws.set_column(0, 0, 32)
    ws.set_column(1, 1, 70)
    rows: list[tuple[str, object, str | None]] = [
        ("Razón social", firm.razon_social, None),
        ("RUC", firm.ruc, None),
        ("Actividad (CIIU Rev. 4)", f"{firm.ciiu_division} · {firm.ciiu_nombre}", None),
        ("Región", firm.region, None),
        ("Tamaño", firm.tamano, None),
        ("Trabajadores", firm.trabajadores, "integer"),
        ("Fecha de la evaluación", fmt.date(context.assessment_date), None),
        ("Estado", "Enviada" if context.submitted else "Borrador", None),
        ("Cuestionario", f"{result.cuestionario_id} · versión {result.cuestionario_version}", None),
        ("Profundidad", schema.DEPTH_NAMES.get(result.profundidad, result.profundidad), None),
        ("Huella SHA-256 del contenido", result.cuestionario_hash, None),
        ("Puntaje global (0–100)", result.global_.puntaje, "score"),
        ("Nivel de madurez", f"{result.global_.nivel} · {result.global_.nivel_nombre}", None),
        ("Dimensión más débil", weakest.nombre if weakest else fmt.DASH, None),
        ("Puntaje de la dimensión más débil", weakest.puntaje if weakest else None, "score"),
        ("Puntaje de desempeño (indicadores)", result.desempeno, "score"),
        ("Prácticas aplicables", int(result.cobertura.get("aplicables", 0)), "integer"),
        (
            "Prácticas respondidas con un nivel",
            int(result.cobertura.get("respondidas", 0)),
            "integer",
        ),
        ("Respuestas «No sé»", len(result.brechas), "integer"),
        ("Grupo de comparación", context.peer_label or "Sin grupo publicado", None),
    ]
    for r, (label, value, style) in enumerate(rows, start=2):
        ws.write_string(r, 0, label, sheet.styles["label"])
        sheet.cell(r, 1, value, style)
    r = len(rows) + 3
    ws.write_string(r, 0, "Mensajes clave", sheet.styles["label"])
    for i, message in enumerate(content.key_messages(result, context), start=1):
        sheet.cell(r + i - 1, 1, f"{i}. {message}")
    ws.freeze_panes(2, 0)


def _scores(sheet: _Sheet, result: ScoreResult, context: ReportContext) -> None:
    names = content.names(result)
    rows: list[list[object]] = []

    def add(kind: str, score, dimension: str | None) -> None:
        peer = context.peer(score.id) if kind != "Eje" else None
        rows.append(
            [
                kind,
                score.id,
                score.nombre,
                names.get(dimension, "") if dimension else "",
                score.puntaje,
                score.nivel_nombre or "",
                peer.get("median") if peer else None,
                peer.get("q1") if peer else None,
                peer.get("q3") if peer else None,
            ]
        )

    add("Global", result.global_, None)
    for d in result.dimensiones:
        add("Dimensión", d, None)
    for t in result.ejes:
        add("Eje", t, t.dimension)
    for r in result.rutas:
        add("Ruta ODS 9", r, None)
    sheet.table(
        [
            "Tipo",
            "Id",
            "Nombre",
            "Dimensión",
            "Puntaje (0–100)",
            "Nivel",
            "Mediana del grupo",
            "Q1 del grupo",
            "Q3 del grupo",
        ],
        rows,
        [12, 14, 48, 14, 14, 16, 14, 12, 12],
        [None, None, None, None, "score", None, "score", "score", "score"],
    )


def _answers(sheet: _Sheet, result: ScoreResult, context: ReportContext) -> None:
    rows = [
        [
            r["dimension"],
            r["eje"],
            r["id"],
            r["ruta"],
            r["texto"],
            r["respuesta"],
            r["nivel"],
            r["puntaje"],
            r["valor"],
            r["unidad"],
            r["fuente"],
        ]
        for r in content.answer_rows(result, context)
    ]
    sheet.table(
        [
            "Dimensión",
            "Eje",
            "Id",
            "Ruta",
            "Pregunta",
            "Respuesta",
            "Nivel (0–4)",
            "Puntaje",
            "Valor",
            "Unidad",
            "Fuente del dato",
        ],
        rows,
        [12, 24, 24, 6, 55, 55, 10, 9, 14, 14, 12],
        [None, None, None, None, None, None, "integer", "score", "number", None, None],
    )


def _plan(sheet: _Sheet, result: ScoreResult) -> None:
    rows = [
        [
            r["prioridad"],
            r["ruta"],
            r["ruta_nombre"],
            r["dimension"],
            r["eje"],
            r["pregunta_id"],
            r["texto"],
            r["estado"],
            r["siguiente_paso"],
            r["ganancia"],
            r["potencial"],
        ]
        for r in content.plan_rows(result)
    ]
    sheet.table(
        [
            "Prioridad",
            "Ruta",
            "Nombre de la ruta",
            "Dimensión",
            "Eje",
            "Id",
            "Práctica",
            "Situación actual",
            "Siguiente paso",
            "Ganancia (puntos)",
            "Potencial hasta el nivel 4 (puntos)",
        ],
        rows,
        [9, 6, 30, 12, 24, 22, 50, 12, 60, 11, 14],
        ["integer", None, None, None, None, None, None, None, None, "number", "number"],
    )


def _indicators(sheet: _Sheet, result: ScoreResult) -> None:
    rows = [
        [
            r["id"],
            r["nombre"],
            r["dimension"],
            r["ruta"],
            r["valor"],
            r["unidad"],
            r["fuente"],
            r["valido"],
            None if r["valido"] else r["validez"],
            r["puntaje"],
            r["referencias"],
            r["fuentes_ref"],
        ]
        for r in content.indicator_rows(result)
    ]
    sheet.table(
        [
            "Id",
            "Indicador",
            "Dimensión",
            "Ruta",
            "Valor",
            "Unidad",
            "Fuente del dato",
            "Válido",
            "Motivo",
            "Puntaje (0–100)",
            "Referencias",
            "Fuente de las referencias",
        ],
        rows,
        [22, 36, 12, 6, 14, 22, 12, 8, 40, 12, 36, 36],
        [None, None, None, None, "number", None, None, None, None, "score", None, None],
    )


def build_xlsx(result: ScoreResult, context: ReportContext) -> bytes:
    """The workbook as bytes (sheets Resumen, Puntajes, Respuestas, Plan de acción, Indicadores)."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
    )
    book.set_properties(
        {
            "title": f"Brújula Circular — {context.firm.razon_social}",
            "author": "Brújula Circular",
            "language": "es-PE",
        }
    )
    styles = _styles(book)
    _summary(_Sheet(book, "Resumen", styles), result, context)
    _scores(_Sheet(book, "Puntajes", styles), result, context)
    _answers(_Sheet(book, "Respuestas", styles), result, context)
    _plan(_Sheet(book, "Plan de acción", styles), result)
    _indicators(_Sheet(book, "Indicadores", styles), result)
    book.close()
    return buffer.getvalue()
