"""The PDF report: a static typst template fed with JSON; it draws its own vector charts.

Firm text never becomes typst markup: the whole document's data travels as one JSON string in
``sys.inputs`` and the template shows it as plain strings.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from pathlib import Path
from typing import Any

import typst

from reports import charts, content, fmt
from reports.context import ReportContext
from scoring import schema
from scoring.result import ScoreResult

TEMPLATE = Path(__file__).parent / "templates" / "informe.typ"
# Sans fonts in order of preference; typst falls back glyph by glyph and always has its own
# embedded fonts (Libertinus Serif, DejaVu Sans Mono) when a system font is missing.
FONTS = ["Liberation Sans", "DejaVu Sans", "Libertinus Serif"]
MONO_FONT = "DejaVu Sans Mono"
HEADER_NAME_CHARS = 90
LONG_TOKEN = re.compile(r"\S{41,}")

_lock = threading.Lock()
_compiler: typst.Compiler | None = None


def _get_compiler() -> typst.Compiler:
    """One compiler per process: fonts and the template are loaded once, then reused."""
    global _compiler
    if _compiler is None:
        _compiler = typst.Compiler(TEMPLATE, root=TEMPLATE.parent)
    return _compiler


def _breakable(text: str) -> str:
    """Let unbroken runs longer than 40 characters wrap (zero-width spaces every 20)."""
    return LONG_TOKEN.sub(lambda m: "\u200b".join(re.findall(".{1,20}", m.group(0))), text)


def _level_text(level: int, name: str) -> str:
    return f"Nivel {level} · {name}" if level else "Sin nivel"


def _peer_cells(peer: dict | None) -> list[str]:
    if not peer:
        return [fmt.DASH]
    cells = fmt.number(peer["median"])
    return [cells]


def _score_tables(result: ScoreResult, context: ReportContext) -> dict[str, Any]:
    has_peers = context.peers is not None
    dims = {
        "encabezado": ["Dimensión", "Puntaje", "Nivel", "Mediana del grupo", "Cuartiles (Q1–Q3)"],
        "filas": [],
    }
    for d in result.dimensiones:
        peer = context.peer(d.id)
        dims["filas"].append(
            [
                d.nombre,
                fmt.number(d.puntaje),
                _level_text(d.nivel, d.nivel_nombre),
                fmt.number(peer["median"]) if peer else fmt.DASH,
                f"{fmt.number(peer.get('q1'))}–{fmt.number(peer.get('q3'))}" if peer else fmt.DASH,
            ]
        )
    routes = {
        "encabezado": ["Ruta", "Nombre", "Puntaje", "Mediana del grupo", "Cuartiles (Q1–Q3)"],
        "filas": [],
    }
    for r in result.rutas:
        peer = context.peer(r.id)
        routes["filas"].append(
            [
                r.id,
                schema.ROUTE_NAMES.get(r.id, r.nombre),
                fmt.number(r.puntaje) if r.puntaje is not None else "No aplica",
                fmt.number(peer["median"]) if peer else fmt.DASH,
                f"{fmt.number(peer.get('q1'))}–{fmt.number(peer.get('q3'))}" if peer else fmt.DASH,
            ]
        )
    if not has_peers:
        for table in (dims, routes):
            table["encabezado"] = table["encabezado"][:3] + ["", ""]
    dim_names = {d.id: d.nombre for d in result.dimensiones}
    counts: dict[str, int] = {}
    for q in result.preguntas:
        if q.estado not in ("no_aplica", "oculta"):
            counts[q.eje] = counts.get(q.eje, 0) + 1
    themes = {
        "encabezado": ["Eje", "Dimensión", "Preguntas", "Puntaje"],
        "filas": [
            [
                t.nombre,
                dim_names.get(t.dimension or "", ""),
                str(counts.get(t.id, 0)),
                fmt.number(t.puntaje) if t.puntaje is not None else "No aplica",
            ]
            for t in result.ejes
        ],
    }
    return {"dimensiones": dims, "rutas": routes, "ejes": themes}


def _plan(result: ScoreResult) -> dict[str, Any]:
    rows = content.plan_rows(result)
    shown = rows[: content.PLAN_ITEMS_IN_PDF]
    groups = []
    for route in schema.ROUTES:
        groups.append(
            {
                "ruta": route,
                "nombre": schema.ROUTE_NAMES[route],
                "filas": [
                    {
                        "prioridad": str(r["prioridad"]),
                        "texto": r["texto"],
                        "paso": r["siguiente_paso"],
                        "eje": f"{r['dimension']} · {r['eje']}",
                        "estado": r["estado"],
                        "ganancia": r["ganancia_txt"],
                    }
                    for r in shown
                    if r["ruta"] == route
                ],
            }
        )
    if len(rows) > len(shown):
        note = (
            f"Se muestran las {len(shown)} acciones de mayor efecto de un total de {len(rows)}; "
            "la lista completa está en el archivo Excel del informe."
        )
    else:
        note = f"El plan incluye todas las prácticas que pueden mejorar ({len(rows)})."
    return {
        "introduccion": (
            "Las acciones están ordenadas por su efecto en el puntaje global (peso de la práctica "
            "× brecha hasta el siguiente nivel) y agrupadas por ruta de acción del ODS 9. El "
            "número indica la prioridad; la ganancia es el aumento del puntaje global, en "
            "puntos, si la práctica sube un nivel."
        ),
        "encabezado": [
            "N.º",
            "Práctica y siguiente paso",
            "Dimensión · eje",
            "Nivel actual",
            "Ganancia",
        ],
        "grupos": groups,
        "nota": note,
    }


def _indicators(result: ScoreResult) -> dict[str, Any]:
    rows = content.indicator_rows(result)
    return {
        "introduccion": (
            "El desempeño medido se evalúa aparte de la madurez de prácticas. Cada indicador se "
            "calcula con los datos cuantitativos declarados; se indica si la cifra fue medida o "
            "estimada y si está dentro del rango válido."
        ),
        "desempeno": fmt.number(result.desempeno) if result.desempeno is not None else fmt.DASH,
        "nota_desempeno": (
            "Promedio ponderado de los indicadores válidos llevados a una escala de 0 a 100. "
            "No se suma al puntaje de madurez."
            if result.desempeno is not None
            else "No hay indicadores válidos para calcular el puntaje de desempeño."
        ),
        "encabezado": ["Indicador", "Valor", "Unidad", "Fuente", "Validez", "Referencias"],
        "filas": [
            {
                "nombre": r["nombre"],
                "dimension_ruta": f"{r['dimension']} · {r['ruta']}",
                "valor": r["valor_txt"],
                "unidad": r["unidad"],
                "fuente": r["fuente"],
                "valido": r["valido"],
                "validez": r["validez"],
                "referencias": r["referencias"] or fmt.DASH,
                "fuentes_ref": r["fuentes_ref"],
            }
            for r in rows
        ],
    }


def _gaps(result: ScoreResult) -> dict[str, Any]:
    questions = content.gap_rows(result)
    missing = [i for i in result.indicadores if not i.valido]
    if questions or missing:
        intro = (
            f"Respondió «No sé» en {fmt.plural(len(questions), 'pregunta')}. Estas respuestas "
            "cuentan como 0 en el puntaje: averiguar la situación real puede subirlo y hace el "
            "diagnóstico más preciso."
        )
    else:
        intro = "No hay vacíos: todas las preguntas aplicables y los indicadores tienen respuesta."
    return {
        "introduccion": intro,
        "preguntas": [
            {"texto": q["texto"], "ubicacion": f"{q['dimension']} · {q['eje']}"} for q in questions
        ],
        "indicadores": [{"nombre": i.nombre, "motivo": i.motivo or "Sin dato."} for i in missing],
    }


def _appendix(result: ScoreResult, context: ReportContext) -> list[dict[str, Any]]:
    dims: list[dict[str, Any]] = []
    for row in content.answer_rows(result, context):
        if not dims or dims[-1]["id"] != row["dimension_id"]:
            dims.append({"id": row["dimension_id"], "nombre": row["dimension"], "ejes": []})
        themes = dims[-1]["ejes"]
        if not themes or themes[-1]["id"] != row["eje_id"]:
            themes.append({"id": row["eje_id"], "nombre": row["eje"], "filas": []})
        detail = [f"{row['id']} · {row['ruta']}"]
        if row["fuente"]:
            detail.append(f"Fuente: {row['fuente'].lower()}")
        if row["puntaje"] is not None:
            detail.append(fmt.points(row["puntaje"], 0))
        themes[-1]["filas"].append(
            {"texto": row["texto"], "respuesta": row["respuesta"], "detalle": " · ".join(detail)}
        )
    return dims


def report_data(result: ScoreResult, context: ReportContext) -> dict[str, Any]:
    """Everything the template shows, as JSON-ready strings and lists."""
    firm = context.firm
    model = context.compiled.model
    depth = schema.DEPTH_NAMES.get(result.profundidad, result.profundidad)
    date = fmt.date(context.assessment_date)
    header_name = firm.razon_social
    if len(header_name) > HEADER_NAME_CHARS:
        header_name = header_name[: HEADER_NAME_CHARS - 1].rstrip() + "…"
    weakest = result.dimension(result.dimension_mas_debil) if result.dimension_mas_debil else None
    global_peer = context.peer("global")
    dim_reading = content.peer_summary(
        [(f"la {d.nombre.lower()}", d.puntaje, context.peer(d.id)) for d in result.dimensiones]
    )
    route_reading = content.peer_summary(
        [(r.id, r.puntaje, context.peer(r.id)) for r in result.rutas]
    )
    levels = content.level_table(context)
    return {
        "meta": {
            "titulo_documento": f"Informe Brújula Circular — {firm.razon_social}",
            "titulo": "Informe de autodiagnóstico de economía circular",
            "subtitulo": f"Cuestionario {depth} · {date}",
            "pie": f"Brújula Circular · Informe de autodiagnóstico · {date}",
            "estado": "Enviada" if context.submitted else "Borrador (evaluación no enviada)",
            "enviada": context.submitted,
            "aviso": (
                "Autodiagnóstico declarado por la empresa; los puntajes no constituyen una "
                "certificación. Informe generado el "
                f"{fmt.date(dt.datetime.now())} con Brújula Circular."
            ),
            "fuentes": FONTS,
            "fuente_mono": MONO_FONT,
        },
        "firm": {
            "razon_social": _breakable(firm.razon_social),
            "nombre_cabecera": _breakable(header_name),
            "ruc": firm.ruc,
            "ciiu": f"División {firm.ciiu_division} · {firm.ciiu_nombre}",
            "region": firm.region,
            "tamano": firm.tamano,
            "trabajadores": str(firm.trabajadores) if firm.trabajadores is not None else fmt.DASH,
        },
        "fecha": date,
        "cuestionario": {
            "titulo": model.titulo,
            "id_version": f"{result.cuestionario_id} · versión {result.cuestionario_version}",
            "profundidad": depth,
            "hash_corto": result.cuestionario_hash[:12],
        },
        "global": {
            "puntaje": fmt.number(result.global_.puntaje),
            "valor": result.global_.puntaje,
            "nivel": result.global_.nivel,
            "nivel_texto": _level_text(result.global_.nivel, result.global_.nivel_nombre),
            "descripcion": content.level_description(context, result.global_.nivel),
        },
        "debil": None
        if weakest is None
        else {
            "nombre": "empate entre dimensiones" if result.dimensions_tied else weakest.nombre,
            "puntaje": fmt.number(weakest.puntaje),
            "nivel_texto": _level_text(weakest.nivel, weakest.nivel_nombre),
            "descripcion": content.level_description(context, weakest.nivel),
        },
        "niveles": levels,
        "mensajes": content.key_messages(result, context),
        "cobertura": content.coverage_text(result),
        "pares": None
        if context.peers is None
        else {
            "etiqueta": context.peer_label or "",
            "lectura_global": content.peer_reading(
                result.global_.puntaje, global_peer, "el puntaje global"
            )
            or "El grupo de comparación aún no tiene suficientes empresas para publicar cifras.",
            "nota": "Solo se publican cifras de grupos con al menos 5 empresas.",
        },
        "charts": {
            kind: charts.chart_data(kind, result, context.peers)
            for kind in ("dimensiones", "rutas", "ejes")
        },
        "lecturas": {
            "dimensiones": dim_reading,
            "rutas": route_reading,
        },
        "tablas": _score_tables(result, context),
        "indicadores": _indicators(result),
        "plan": _plan(result),
        "brechas": _gaps(result),
        "metodo": {
            "parrafos": content.METHOD_TEXT,
            "nota_umbral": (
                "Cada nivel empieza en su umbral inferior: un puntaje igual a un umbral "
                "pertenece al nivel superior."
            ),
            "reproducibilidad": [
                ["Cuestionario", result.cuestionario_id, True],
                ["Versión", result.cuestionario_version, True],
                ["Profundidad", depth, False],
                ["Huella SHA-256 del contenido", result.cuestionario_hash, True],
                ["Fecha de la evaluación", date, False],
                ["Fecha del cálculo", fmt.date(dt.datetime.now()), False],
            ],
        },
        "anexo_nota": (
            "Todas las preguntas de la profundidad evaluada, con la respuesta registrada. "
            "Debajo de cada pregunta: su identificador, la ruta ODS 9 y el puntaje obtenido."
        ),
        "anexo": _appendix(result, context),
    }


def build_pdf(result: ScoreResult, context: ReportContext) -> bytes:
    """The A4 PDF report of one assessment."""
    data = json.dumps(report_data(result, context), ensure_ascii=False, default=float)
    with _lock:
        return _get_compiler().compile(format="pdf", sys_inputs={"data": data})
