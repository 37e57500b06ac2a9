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
    if content.is_v2(result):
        floor = result.piso_legal
        principal = result.global_
        rows[11:15] = [
            ("Método de cálculo", result.metodo, None),
            (f"{principal.nombre} (0–100, «No sé» = 0)", principal.puntaje, "score"),
            ("Banda por «No sé»: máximo", principal.puntaje_maximo, "score"),
            ("Estimación sin «No sé»", principal.puntaje_sin_no_se, "score"),
            ("Nivel de madurez", content.level_text(result), None),
            ("Nivel provisional", result.provisional, None),
            ("Umbral provisional (puntos de banda)", result.umbral_provisional, "score"),
            (
                "Piso legal",
                fmt.DASH
                if floor is None
                else ("Cumple" if floor.cumple else "No cumple: " + content.floor_gap_text(result)),
                None,
            ),
            ("Tope por el piso legal", floor.tope_nombre if floor else fmt.DASH, None),
            (
                "Nivel sin el tope",
                content.level_name(context, floor.nivel_sin_tope) if floor else fmt.DASH,
                None,
            ),
            (
                "Dimensión más débil",
                weakest.nombre if weakest else content.NO_WEAKEST.capitalize(),
                None,
            ),
            ("Puntaje de la dimensión más débil", weakest.puntaje if weakest else None, "score"),
        ]
    if result.modulos:
        at = next(i for i, row in enumerate(rows) if row[0] == "Profundidad") + 1
        label = "Módulos sectoriales" if len(result.modulos) > 1 else "Módulo sectorial"
        rows.insert(at, (label, content.modules_text(result), None))
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

    v2 = content.is_v2(result)
    module_of = {t: m.nombre for m in result.modulos for t in m.ejes}

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
            + ([score.puntaje_sin_no_se, score.puntaje_maximo] if v2 else [])
            + ([module_of.get(score.id)] if result.modulos else [])
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
        ]
        + (["Sin «No sé»", "Máximo de la banda («No sé» = 4)"] if v2 else [])
        + (["Módulo sectorial"] if result.modulos else []),
        rows,
        [12, 14, 48, 14, 14, 16, 14, 12, 12]
        + ([12, 14] if v2 else [])
        + ([24] if result.modulos else []),
        [None, None, None, None, "score", None, "score", "score", "score"]
        + (["score", "score"] if v2 else [])
        + ([None] if result.modulos else []),
    )


def _indices(sheet: _Sheet, result: ScoreResult) -> None:
    rows = [
        [
            i.id,
            i.nombre,
            i.principal,
            i.puntaje,
            i.puntaje_sin_no_se,
            i.puntaje_maximo,
            i.nivel,
            i.nivel_nombre or "",
        ]
        for i in result.indices
    ]
    sheet.table(
        [
            "Id",
            "Índice",
            "Principal (decide el nivel)",
            "Puntaje («No sé» = 0; mínimo de la banda)",
            "Sin «No sé» (estimación)",
            "Máximo de la banda («No sé» = 4)",
            "Nivel (0–5)",
            "Nombre del nivel",
        ],
        rows,
        [16, 36, 14, 16, 14, 16, 10, 16],
        [None, None, None, "score", "score", "score", "integer", None],
    )


def _floor(sheet: _Sheet, result: ScoreResult) -> None:
    rows = [
        [r["id"], r["texto"], r["norma"], r["evidencia"], r["estado_txt"], r["recomendacion"]]
        for r in content.floor_rows(result)
    ]
    sheet.table(
        ["Id", "Requisito legal", "Norma", "Evidencia", "Estado", "Recomendación"],
        rows,
        [20, 50, 24, 36, 14, 50],
    )


def _answers(sheet: _Sheet, result: ScoreResult, context: ReportContext) -> None:
    v2 = content.is_v2(result)
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
        + ([r["motivo_no_aplica"], r["ruta_txt"]] if v2 else [])
        + [r["nota"]]
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
        ]
        + (["Motivo de «No aplica»", "Rutas (reparto)"] if v2 else [])
        + ["Nota o evidencia de la empresa"],
        rows,
        [12, 24, 24, 6, 55, 55, 10, 9, 14, 14, 12] + ([36, 18] if v2 else []) + [50],
        [None, None, None, None, None, None, "integer", "score", "number", None, None]
        + ([None, None] if v2 else [])
        + [None],
    )


def _plan(sheet: _Sheet, result: ScoreResult) -> None:
    v2 = content.is_v2(result)
    rows = [
        [
            r["prioridad"],
            r["ruta"],
            r["ruta_nombre"],
            r["dimension"],
            r["eje"],
            r["pregunta_id"],
            r["texto"],
            r["estado_txt"] if v2 else r["estado"],
            r["siguiente_paso"],
            r["ganancia"],
            r["potencial"],
        ]
        + ([r["tipo_txt"], r["indice"], r["motivo"], r["requiere"]] if v2 else [])
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
        ]
        + (["Tipo", "Índice", "Motivo", "Requiere antes"] if v2 else []),
        rows,
        [9, 6, 30, 12, 24, 22, 50, 12, 60, 11, 14] + ([12, 24, 60, 24] if v2 else []),
        ["integer", None, None, None, None, None, None, None, None, "number", "number"]
        + ([None] * 4 if v2 else []),
    )


def _indicators(sheet: _Sheet, result: ScoreResult, context: ReportContext) -> None:
    v2 = content.is_v2(result)
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
            r["puntaje_sector"] if r["comparar_en_sector"] else r["puntaje"],
            r["referencias"],
            r["fuentes_ref"],
        ]
        + (
            [r["frontera"], r["periodo"], r["comparar_en_sector"], r["sector"], r["nucleo"]]
            if v2
            else []
        )
        + ([r["modulo_nombre"]] if result.modulos else [])
        for r in content.indicator_rows(result, context)
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
        ]
        + (
            [
                "Frontera",
                "Periodo",
                "Se compara en el sector",
                "Comparación en el sector",
                "Indicador núcleo",
            ]
            if v2
            else []
        )
        + (["Módulo sectorial"] if result.modulos else []),
        rows,
        [22, 36, 12, 6, 14, 22, 12, 8, 40, 12, 36, 36]
        + ([16, 18, 12, 40, 10] if v2 else [])
        + ([24] if result.modulos else []),
        [None, None, None, None, "number", None, None, None, None, "score", None, None]
        + ([None] * 5 if v2 else [])
        + ([None] if result.modulos else []),
    )


MODULE_THEME_HEADERS = [
    "Id",
    "Eje del módulo",
    "Dimensión",
    "Índice",
    "Preguntas que cuentan",
    "Puntaje (0–100, «No sé» = 0)",
    "Sin «No sé» (estimación)",
    "Máximo de la banda («No sé» = 4)",
    "Mediana del grupo",
    "Q1 del grupo",
    "Q3 del grupo",
]
MODULE_INDICATOR_HEADERS = [
    "Id",
    "Indicador",
    "Dimensión",
    "Ruta",
    "Valor",
    "Unidad",
    "Frontera",
    "Periodo",
    "Fuente del dato",
    "Válido",
    "Motivo",
    "Se compara en el módulo",
    "Comparación en el módulo",
    "Puntaje (0–100)",
    "Empresas comparadas",
    "Mediana del módulo",
    "Referencias",
]


def module_sheet_name(position: int) -> str:
    """ "Módulo sectorial", then "Módulo sectorial 2" for a second module."""
    return "Módulo sectorial" if position == 0 else f"Módulo sectorial {position + 1}"


def _module(sheet: _Sheet, section: dict[str, Any]) -> None:
    """One module: what it is and why, its themes' scores, its indicators (sector units)."""
    ws, styles = sheet.ws, sheet.styles
    ws.write_string(0, 0, f"Módulo sectorial: {section['nombre']}", styles["title"])
    facts: list[tuple[str, object]] = [
        ("Id del módulo", section["id"]),
        ("Nombre", section["nombre"]),
        ("Versión", section["version"]),
        ("Alcance", section["alcance"]),
        ("Códigos CIIU", ", ".join(str(c) for c in section["ciiu"])),
        ("Descripción", section["descripcion"] or fmt.DASH),
        ("Cómo cuenta", section["como_cuenta"]),
        ("Comparación", section["comparacion"]),
        ("Factores de materialidad", section["materialidad_txt"] or fmt.DASH),
    ]
    for r, (label, value) in enumerate(facts, start=2):
        ws.write_string(r, 0, label, styles["label"])
        sheet.cell(r, 1, value)
    row = len(facts) + 3
    widths = [26, 44, 14, 22, 12, 16, 14, 16, 12, 12, 12, 20, 44, 12, 12, 14, 50]
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)

    def header(r: int, title: str, names: list[str]) -> None:
        ws.write_string(r, 0, title, styles["label"])
        for col, name in enumerate(names):
            ws.write_string(r + 1, col, name, styles["header"])

    header(row, "Ejes del módulo", MODULE_THEME_HEADERS)
    row += 2
    for t in section["ejes"]:
        peer = t["pares"] or {}
        values = [
            t["id"],
            t["nombre"],
            t["dimension"],
            t["indice"] or "",
            t["preguntas"],
            t["puntaje"],
            t["puntaje_sin_no_se"],
            t["puntaje_maximo"],
            peer.get("median"),
            peer.get("q1"),
            peer.get("q3"),
        ]
        kinds = [None, None, None, None, "integer"] + ["score"] * 6
        for col, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            sheet.cell(row, col, value, kind)
        row += 1
    row += 1
    header(row, "Indicadores del módulo (unidades del sector)", MODULE_INDICATOR_HEADERS)
    row += 2
    for r in section["indicadores"]:
        comparison = r["comparacion"] or {}
        values = [
            r["id"],
            r["nombre"],
            r["dimension"],
            r["ruta"],
            r["valor"],
            r["unidad"],
            r["frontera"],
            r["periodo"],
            r["fuente"],
            r["valido"],
            None if r["valido"] else r["validez"],
            r["comparar_en_sector"],
            r["sector"] or None,
            r["puntaje_sector"] if r["comparar_en_sector"] else r["puntaje"],
            comparison.get("n"),
            comparison.get("mediana"),
            r["referencias"] or None,
        ]
        kinds = [None, None, None, None, "number"] + [None] * 8 + ["score", "integer"]
        kinds += ["number", None]
        for col, (value, kind) in enumerate(zip(values, kinds, strict=True)):
            sheet.cell(row, col, value, kind)
        row += 1


def build_xlsx(result: ScoreResult, context: ReportContext) -> bytes:
    """The workbook as bytes (sheets Resumen, Puntajes, Respuestas, Plan de acción, Indicadores;
    method 2.0 results add Índices and Piso legal after Puntajes, and a «Módulo sectorial» sheet
    per sector module after them)."""
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
    if content.is_v2(result):
        _indices(_Sheet(book, "Índices", styles), result)
        _floor(_Sheet(book, "Piso legal", styles), result)
    for position, section in enumerate(content.module_sections(result, context)):
        _module(_Sheet(book, module_sheet_name(position), styles), section)
    _answers(_Sheet(book, "Respuestas", styles), result, context)
    _plan(_Sheet(book, "Plan de acción", styles), result)
    _indicators(_Sheet(book, "Indicadores", styles), result, context)
    book.close()
    return buffer.getvalue()
