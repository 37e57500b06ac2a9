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

from reports import charts, content, fmt, glyphs
from reports.context import ReportContext
from scoring import peer_text, schema
from scoring.result import ScoreResult

TEMPLATE = Path(__file__).parent / "templates" / "informe.typ"
# The sans font ships with the app (reports/fonts) and system fonts are ignored, so the PDF looks
# the same on every machine; typst's own embedded fonts (Libertinus Serif, DejaVu Sans Mono) stay
# available. Characters the shipped font cannot draw are replaced and listed (reports/glyphs.py).
FONTS = [glyphs.FAMILY, "Libertinus Serif"]
MONO_FONT = "DejaVu Sans Mono"
HEADER_NAME_CHARS = 90
LONG_TOKEN = re.compile(r"\S{41,}")

_lock = threading.Lock()
_compiler: typst.Compiler | None = None


def _get_compiler() -> typst.Compiler:
    """One compiler per process: fonts and the template are loaded once, then reused."""
    global _compiler
    if _compiler is None:
        _compiler = typst.Compiler(
            TEMPLATE,
            root=TEMPLATE.parent,
            font_paths=[str(glyphs.FONT_DIR)],
            ignore_system_fonts=True,
        )
    return _compiler


def _breakable(text: str) -> str:
    """Let unbroken runs longer than 40 characters wrap (zero-width spaces every 20)."""
    return LONG_TOKEN.sub(lambda m: "\u200b".join(re.findall(".{1,20}", m.group(0))), text)


def _level_text(level: int, name: str) -> str:
    return f"Nivel {level} · {name}" if level else "Sin nivel"


def _score_tables(result: ScoreResult, context: ReportContext) -> dict[str, Any]:
    has_peers = context.peers is not None
    dims = {
        "encabezado": ["Dimensión", "Puntaje", "Nivel", "Mediana del grupo", "Cuartiles (Q1–Q3)"],
        "filas": [],
    }
    v2 = content.is_v2(result)
    if v2:
        dims["encabezado"][2:2] = ["Banda por «No sé»", "Sin «No sé»"]
    for d in result.dimensiones:
        peer = context.peer(d.id)
        row = [
            d.nombre,
            fmt.number(d.puntaje),
            _level_text(d.nivel, d.nivel_nombre),
            fmt.number(peer["median"]) if peer else fmt.DASH,
            f"{fmt.number(peer.get('q1'))}–{fmt.number(peer.get('q3'))}" if peer else fmt.DASH,
        ]
        if v2:
            row[2:2] = [content.band_text(d), fmt.number(d.puntaje_sin_no_se)]
        dims["filas"].append(row)
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
    # Relative column widths of the dimension table (name, score, [band, without], level, peers).
    dims["anchos"] = [1.1, 0.6, *([0.85, 0.65] if v2 else []), 1.15, 0.75, 0.85]
    for table in (dims, routes):
        table["con_pares"] = has_peers
        if not has_peers:  # no peer figures: the two peer columns are left out, not dashed
            table["encabezado"] = table["encabezado"][:-2]
            table["filas"] = [row[:-2] for row in table["filas"]]
            table["anchos"] = table.get("anchos", [])[:-2]
    dim_names = {d.id: d.nombre for d in result.dimensiones}
    counts = content.applicable_counts(result)
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
        "marcas": [content.theme_mark(result, t.id) for t in result.ejes],
    }
    return {"dimensiones": dims, "rutas": routes, "ejes": themes}


def _indices(result: ScoreResult) -> dict[str, Any] | None:
    if not content.is_v2(result) or not result.indices:
        return None
    return {
        "encabezado": ["Índice", "Puntaje", "Banda por «No sé»", "Sin «No sé»", "Nivel"],
        "filas": [
            [
                i.nombre + (" (principal: decide el nivel)" if i.principal else ""),
                fmt.number(i.puntaje),
                content.band_text(i),
                fmt.number(i.puntaje_sin_no_se),
                _level_text(i.nivel, i.nivel_nombre),
            ]
            for i in result.indices
        ],
        "nota": (
            "Puntaje: cada «No sé» cuenta como 0. La banda va de ese puntaje al que tendría si "
            "cada «No sé» fuera el nivel más alto; la columna siguiente es la estimación que deja "
            "fuera las respuestas «No sé»."
        ),
    }


def _floor(result: ScoreResult, context: ReportContext) -> dict[str, Any] | None:
    floor = result.piso_legal
    if not content.is_v2(result) or floor is None:
        return None
    return {
        "cumple": floor.cumple,
        "titulo": "Cumple el piso legal" if floor.cumple else "No cumple el piso legal",
        "texto": content.floor_status(result, context),
        "encabezado": ["Requisito legal", "Norma", "Evidencia", "Estado"],
        "filas": [
            {
                "texto": r["texto"],
                "norma": r["norma"],
                "evidencia": r["evidencia"],
                "estado": r["estado_txt"],
                "cumple": r["cumple"],
            }
            for r in content.floor_rows(result)
        ],
    }


def _plan_row(r: dict[str, Any], v2: bool) -> dict[str, Any]:
    floor = r["tipo"] == "piso_legal"
    return {
        "prioridad": str(r["prioridad"]),
        "texto": r["texto"],
        "paso": r["siguiente_paso"],
        "motivo": r["motivo"] if v2 else "",
        "eje": "Piso legal" if floor else f"{r['dimension']} · {r['eje']}",
        "estado": r["estado_txt"] if v2 else r["estado"],
        "ganancia": "Obligatorio" if floor else r["ganancia_txt"],
    }


def _plan(result: ScoreResult) -> dict[str, Any]:
    v2 = content.is_v2(result)
    rows = content.plan_rows(result)
    shown = rows[: content.PLAN_ITEMS_IN_PDF]
    groups = []
    floor_rows = [r for r in rows if r["tipo"] == "piso_legal"]
    if floor_rows:
        groups.append(
            {
                "ruta": "Piso legal",
                "nombre": "requisitos pendientes, antes que todo lo demás",
                "filas": [_plan_row(r, v2) for r in floor_rows],
            }
        )
        shown = [r for r in shown if r["tipo"] != "piso_legal"]
    for route in schema.ROUTES:
        groups.append(
            {
                "ruta": route,
                "nombre": schema.ROUTE_NAMES[route],
                "filas": [_plan_row(r, v2) for r in shown if r["ruta"] == route],
            }
        )
    shown_count = len(shown) + len(floor_rows)
    if len(rows) > shown_count:
        note = (
            f"Se muestran las {shown_count} acciones de mayor efecto de un total de {len(rows)}; "
            "la lista completa está en el archivo Excel del informe."
        )
    else:
        note = f"El plan incluye todas las prácticas que pueden mejorar ({len(rows)})."
    if content.is_v2(result):
        intro = (
            "Primero van los requisitos del piso legal pendientes: son obligaciones y, mientras "
            "no se cumplan, limitan su nivel. Después, las prácticas ordenadas por los puntos que "
            "sumarían a su índice al llegar al nivel 4, agrupadas por ruta de acción del ODS 9. "
            "La ganancia es el aumento de su índice, en puntos, si la práctica sube un nivel; "
            "debajo de cada acción se explica por qué se propone."
        )
        return {
            "introduccion": intro,
            "encabezado": [
                "N.º",
                "Acción, siguiente paso y motivo",
                "Ámbito",
                "Situación",
                "Ganancia",
            ],
            "grupos": groups,
            "nota": note,
        }
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


def _indicator_row(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "nombre": r["nombre"],
        "dimension_ruta": f"{r['dimension']} · {r['ruta']}",
        "alcance": f"{r['frontera']} · {r['periodo']}",
        "valor": r["valor_txt"],
        "unidad": r["unidad"],
        "fuente": r["fuente"],
        "valido": r["valido"],
        "validez": r["validez"],
        "sector": r["sector"],
        "referencias": r["referencias"] or fmt.DASH,
        "fuentes_ref": r["fuentes_ref"],
    }


INDICATOR_HEADER_V2 = [
    "Indicador",
    "Valor",
    "Calidad del dato",
    "Validez y comparación",
    "Referencias",
]


def _module_note(result: ScoreResult, rows: list[dict[str, Any]]) -> str:
    """Where the module indicators left out of the general table are shown."""
    parts = []
    for module in result.modulos:
        count = sum(1 for r in rows if r["modulo"] == module.id)
        if count:
            parts.append(
                f"{fmt.plural(count, 'indicador', 'indicadores')} del módulo {module.nombre}, en "
                f"unidades del sector, se presentan en la sección «Módulo sectorial: "
                f"{module.nombre}»"
            )
    if not parts:
        return ""
    return "Esta sección presenta los indicadores del cuestionario base; los " + (
        "; los ".join(parts) + "."
    )


def _indicators_v2(result: ScoreResult, context: ReportContext) -> dict[str, Any]:
    every = content.indicator_rows(result, context)
    rows = [r for r in every if r["modulo"] is None]
    return {
        "introduccion": (
            "El desempeño medido se evalúa aparte de la madurez de prácticas. Cada indicador "
            "indica su frontera (la planta o toda la empresa), el periodo de los datos y su "
            "calidad: medido, estimado o «No sé». Las intensidades se puntúan solo frente a "
            "empresas de su misma división CIIU. Las referencias «por confirmar» aún no se han "
            "verificado y las de «contexto» no son comparables con su cifra."
        ),
        "desempeno": fmt.number(result.desempeno) if result.desempeno is not None else fmt.DASH,
        "nota_desempeno": (
            "Promedio de los puntos de los indicadores del conjunto núcleo, en escala de 0 a 100. "
            "No se suma al índice de circularidad."
            if result.desempeno is not None
            else "Faltan datos válidos de los indicadores núcleo para calcular el puntaje de "
            "desempeño."
        ),
        "v2": True,
        "encabezado": INDICATOR_HEADER_V2,
        "filas": [_indicator_row(r) for r in rows],
        "nota_modulos": _module_note(result, every),
    }


NO_INDICATORS = (
    "Esta profundidad del cuestionario no incluye indicadores cuantitativos: la evaluación "
    "Completa los pide y calcula su puntaje de desempeño."
)


def _indicators(result: ScoreResult, context: ReportContext) -> dict[str, Any]:
    if content.is_v2(result):
        return {**_indicators_v2(result, context), "sin_indicadores": NO_INDICATORS}
    rows = content.indicator_rows(result, context)
    return {
        "sin_indicadores": NO_INDICATORS,
        "v2": False,
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


def _modules(result: ScoreResult, context: ReportContext) -> list[dict[str, Any]]:
    """The «Módulo sectorial» section of each module the assessment used (at most two)."""
    sections = []
    for section in content.module_sections(result, context):
        with_peers = any(t["pares"] for t in section["ejes"])
        header = ["Eje del módulo", "Preguntas", "Puntaje", "Banda por «No sé»", "Sin «No sé»"]
        if with_peers:
            header.append("Mediana del grupo")
        themes = [
            {
                "nombre": t["nombre"],
                "ambito": t["dimension"] + (f" · {t['indice']}" if t["indice"] else ""),
                "preguntas": str(t["preguntas"]),
                "puntaje": t["puntaje_txt"],
                "banda": t["banda"],
                "sin_no_se": t["sin_no_se_txt"],
                "mediana": t["mediana_txt"],
            }
            for t in section["ejes"]
        ]
        sections.append(
            {
                "titulo": f"Módulo sectorial: {section['nombre']}",
                "alcance": section["alcance"],
                "version": f"{section['id']} · versión {section['version']}",
                "textos": section["textos"],
                "ejes": {"encabezado": header, "filas": themes, "con_pares": with_peers},
                "nota_ejes": (
                    "Puntaje: cada «No sé» cuenta como 0; la banda llega al puntaje con cada "
                    "«No sé» en el nivel más alto. Estos ejes también figuran, marcados como "
                    "del módulo, en la tabla de ejes temáticos."
                ),
                "indicadores": {
                    "encabezado": INDICATOR_HEADER_V2,
                    "filas": [_indicator_row(r) for r in section["indicadores"]],
                },
            }
        )
    return sections


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


def _notes(result: ScoreResult, context: ReportContext) -> list[dict[str, str]]:
    """The «Notas y evidencias» section: each answer the firm annotated, with its note."""
    return [
        {
            "texto": row["texto"],
            "ubicacion": f"{row['dimension']} · {row['eje']}"
            if not row["bloque"]
            else row["dimension"],
            "respuesta": row["respuesta"],
            "nota": _breakable(row["nota"]),
        }
        for row in content.note_rows(result, context)
    ]


def _appendix(result: ScoreResult, context: ReportContext) -> list[dict[str, Any]]:
    dims: list[dict[str, Any]] = []
    for row in content.answer_rows(result, context):
        if not dims or dims[-1]["id"] != row["dimension_id"]:
            title = row["dimension"] if row["bloque"] else f"Dimensión {row['dimension']}"
            dims.append(
                {"id": row["dimension_id"], "titulo": title, "bloque": row["bloque"], "ejes": []}
            )
        themes = dims[-1]["ejes"]
        if not themes or themes[-1]["id"] != row["eje_id"]:
            label = content.theme_label(result, row["eje_id"], row["eje"])
            themes.append({"id": row["eje_id"], "nombre": label, "filas": []})
        detail = [row["id"] + (f" · {row['ruta_txt']}" if row["ruta_txt"] else "")]
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
    v2 = content.is_v2(result)
    global_peer = context.peer("global")
    dim_reading = peer_text.dimension_summary(result, context.peer)  # the results page's too
    route_reading = peer_text.route_summary(result, context.peer)
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
            "modulos": content.modules_text(result),
            "modulos_etiqueta": "Módulos sectoriales"
            if len(result.modulos) > 1
            else "Módulo sectorial",
        },
        "global": {
            "titulo": result.global_.nombre if v2 else "Puntaje global de madurez",
            "puntaje": fmt.number(result.global_.puntaje),
            "valor": result.global_.puntaje,
            "nivel": result.global_.nivel,
            "nivel_texto": content.level_text(result),
            "descripcion": content.level_description(context, result.global_.nivel),
            "banda": content.band_sentence(result.global_) if v2 else "",
            "provisional": content.provisional_text(result) if v2 else "",
            "marca": "▲ Su puntaje" if v2 else "▲ Su empresa",
        },
        "sin_debil": (
            content.NO_WEAKEST[0].upper() + content.NO_WEAKEST[1:] + "."
            if v2 and weakest is None and len(content._scored(result.dimensiones)) >= 2
            else ""
        ),
        "piso": _floor(result, context),
        "indices": _indices(result),
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
        "modulos_resumen": content.modules_summary(result),
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
        "indicadores": _indicators(result, context),
        "modulos": _modules(result, context),
        "plan": _plan(result),
        "brechas": _gaps(result),
        "notas": _notes(result, context),
        "notas_intro": (
            "Lo que la empresa anotó junto a sus respuestas: aclaraciones y la evidencia que "
            "tiene de cada una. Son declaraciones de la empresa; no se verificaron."
        ),
        "metodo": {
            "parrafos": content.method_text(result),
            "nota_umbral": (
                "Cada nivel empieza en su umbral inferior: un puntaje igual a un umbral "
                "pertenece al nivel superior."
            ),
            "reproducibilidad": [
                ["Cuestionario", result.cuestionario_id, True],
                ["Versión", result.cuestionario_version, True],
                ["Profundidad", depth, False],
                *(
                    [
                        ["Método de cálculo", result.metodo, False],
                        [
                            "Umbral provisional",
                            f"{fmt.number(result.umbral_provisional, 0)} puntos de banda",
                            False,
                        ],
                    ]
                    if v2
                    else []
                ),
                *(
                    [["Módulos sectoriales", content.modules_text(result), False]]
                    if result.modulos
                    else []
                ),
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


def _replaced_note(replaced: dict[str, str]) -> str:
    """The annex's footnote naming each character printed as «□» (by code point and name)."""
    if not replaced:
        return ""
    listed = "; ".join(replaced.values())
    return (
        f"La tipografía del informe no tiene {len(replaced)} de los caracteres escritos; se "
        f"imprimen como «{glyphs.REPLACEMENT}»: {listed}."
    )


def build_pdf(result: ScoreResult, context: ReportContext) -> bytes:
    """The A4 PDF report of one assessment."""
    printer = glyphs.Printable()
    report = printer.walk(report_data(result, context))
    report["reemplazados"] = _replaced_note(printer.replaced)
    data = json.dumps(report, ensure_ascii=False, default=float)
    with _lock:
        return _get_compiler().compile(format="pdf", sys_inputs={"data": data})
