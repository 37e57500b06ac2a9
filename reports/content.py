"""The report's content, formatted once: texts and rows shared by the PDF, Excel and JSON.

Everything here is plain data (str, int, float, list, dict); no layout and no file format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context import ReportContext
from scoring import schema
from scoring.result import ScoreResult

PLAN_ITEMS_IN_PDF = 15


def level_table(context: ReportContext) -> list[dict[str, Any]]:
    """The maturity scale with the upper bound of each level."""
    levels = context.compiled.model.niveles
    rows = []
    for i, level in enumerate(levels):
        upper = levels[i + 1].desde if i + 1 < len(levels) else 100
        rows.append(
            {
                "nivel": level.nivel,
                "nombre": level.nombre,
                "desde": float(level.desde),
                "hasta": float(upper),
                "rango": f"{fmt.number(level.desde, 0)}–{fmt.number(upper, 0)}",
                "descripcion": level.descripcion,
            }
        )
    return rows


def level_description(context: ReportContext, level: int) -> str:
    if level < 1:
        return ""
    return context.compiled.model.niveles[level - 1].descripcion


def names(result: ScoreResult) -> dict[str, str]:
    """Display name of every dimension, theme and route id."""
    table = {d.id: d.nombre for d in result.dimensiones}
    table.update({t.id: t.nombre for t in result.ejes})
    table.update(schema.ROUTE_NAMES)
    return table


def peer_reading(score: float | None, peer: Mapping[str, float] | None, subject: str) -> str:
    """One sentence placing a score against its peer median, e.g. for a chart caption."""
    if score is None or not peer:
        return ""
    median = peer["median"]
    if abs(score - median) < 0.05:
        where = "en la mediana"
    elif score > median:
        where = "por encima de la mediana"
    else:
        where = "por debajo de la mediana"
    return (
        f"Su empresa está {where} de su grupo de comparación en {subject} "
        f"({fmt.number(score)} frente a {fmt.number(median)})."
    )


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " y " + items[-1]


def peer_summary(items: list[tuple[str, float | None, Mapping[str, float] | None]]) -> str:
    """One sentence for several scores against their peer medians (label, score, peer)."""
    groups: dict[str, list[str]] = {"por encima": [], "por debajo": [], "en": []}
    for label, score, peer in items:
        if score is None or not peer:
            continue
        median = peer["median"]
        key = (
            "en" if abs(score - median) < 0.05 else "por encima" if score > median else "por debajo"
        )
        groups[key].append(f"{label} ({fmt.number(score)} frente a {fmt.number(median)})")
    parts = [
        (f"{where} de la mediana en " if where != "en" else "en la mediana en ") + _join(labels)
        for where, labels in groups.items()
        if labels
    ]
    if not parts:
        return ""
    return "Frente a su grupo de comparación, su empresa está " + "; ".join(parts) + "."


def _scored(scores):
    return [s for s in scores if s.puntaje is not None]


def key_messages(result: ScoreResult, context: ReportContext) -> list[str]:
    """Three messages drawn from the data: balance of dimensions, top action, data gaps."""
    messages = []
    dims = _scored(result.dimensiones)
    if len(dims) >= 2 and result.dimensions_tied:
        messages.append(
            f"Sus {len(dims)} dimensiones obtienen el mismo puntaje "
            f"({fmt.points(dims[0].puntaje)}, nivel {dims[0].nivel_nombre}): ninguna queda "
            "atrás; el plan de acción indica por "
            "dónde avanzar primero."
        )
    elif len(dims) >= 2:
        strong = max(dims, key=lambda d: d.puntaje)
        weak = min(dims, key=lambda d: d.puntaje)
        messages.append(
            f"Su dimensión más avanzada es la {strong.nombre.lower()} "
            f"({fmt.points(strong.puntaje)}, nivel {strong.nivel_nombre}) y la más débil "
            f"es la {weak.nombre.lower()} ({fmt.points(weak.puntaje)}, nivel "
            f"{weak.nivel_nombre}): empiece por cerrar esa brecha."
        )
    elif dims:
        d = dims[0]
        messages.append(
            f"La dimensión {d.nombre.lower()} obtiene {fmt.points(d.puntaje)} "
            f"(nivel {d.nivel_nombre})."
        )
    if result.plan:
        top = result.plan[0]
        messages.append(
            f"La acción de mayor efecto es «{top.texto}»: subir un nivel añade "
            f"{fmt.gain(top.ganancia)} al puntaje global. Siguiente paso: {top.siguiente_paso}"
        )
    else:
        messages.append("Todas las prácticas aplicables están en el nivel más alto.")
    gaps = len(result.brechas)
    missing = [i for i in result.indicadores if not i.valido]
    if gaps or missing:
        parts = []
        if gaps:
            parts.append(f"respondió «No sé» en {fmt.plural(gaps, 'pregunta')}")
        if missing:
            parts.append(f"{fmt.plural(len(missing), 'indicador', 'indicadores')} sin dato válido")
        messages.append(
            "Hay vacíos de información: "
            + " y ".join(parts)
            + ". Completar esos datos hace el diagnóstico más preciso (los «No sé» cuentan como 0)."
        )
    else:
        messages.append(
            "No hay vacíos de información: todas las preguntas aplicables y los indicadores "
            "tienen respuesta."
        )
    return messages


def _option_label(question, value) -> str:
    labels = {o.valor: o.etiqueta for o in question.opciones}
    if isinstance(value, list | tuple | set):
        return "; ".join(labels.get(str(v), str(v)) for v in value) or "Ninguna"
    return labels.get(str(value), str(value))


def answer_rows(result: ScoreResult, context: ReportContext) -> list[dict[str, Any]]:
    """One row per question of the assessed depth, in questionnaire order."""
    practice = {q.id: q for q in result.preguntas}
    name = names(result)
    rows = []
    for dimension, theme, questions in context.compiled.sections():
        for question in questions:
            value = context.answers.get(question.id)
            row: dict[str, Any] = {
                "id": question.id,
                "dimension": dimension.nombre,
                "eje": theme.nombre,
                "ruta": question.ruta,
                "texto": question.texto,
                "tipo": question.tipo,
                "respuesta": "",
                "nivel": None,
                "puntaje": None,
                "valor": None,
                "unidad": None,
                "fuente": None,
            }
            if question.id in practice:
                scored = practice[question.id]
                row["puntaje"] = scored.puntaje
                if scored.estado == "nivel":
                    row["nivel"] = scored.nivel
                    row["respuesta"] = f"Nivel {scored.nivel}: {scored.descripcion_nivel}"
                else:
                    row["respuesta"] = fmt.STATE_LABELS.get(scored.estado, scored.estado)
            elif value is None or value == "":
                row["respuesta"] = fmt.STATE_LABELS["sin_respuesta"]
            elif value in ("no_se", "no_aplica"):
                row["respuesta"] = fmt.STATE_LABELS[value]
            elif isinstance(question, schema.NumberQuestion):
                try:
                    number = float(value)
                except (TypeError, ValueError):
                    row["respuesta"] = str(value)
                else:
                    row["valor"] = number
                    row["unidad"] = question.unidad
                    row["respuesta"] = (
                        f"{fmt.number(number, question.decimales)}{fmt.NBSP}{question.unidad}"
                    )
                source = context.sources.get(question.id)
                row["fuente"] = fmt.SOURCE_LABELS.get(source) if source else None
            elif isinstance(question, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
                row["respuesta"] = _option_label(question, value)
            else:
                row["respuesta"] = str(value)
            row["dimension_id"] = dimension.id
            row["eje_id"] = theme.id
            row["ruta_nombre"] = name.get(question.ruta, question.ruta)
            rows.append(row)
    return rows


def _decimals(value: float | None) -> int:
    return 0 if value is not None and abs(value) >= 1000 else 1


def indicator_rows(result: ScoreResult) -> list[dict[str, Any]]:
    name = names(result)
    rows = []
    for ind in result.indicadores:
        refs = [
            f"{r['nombre']}: {fmt.number(r['valor'])}"
            + (f"{fmt.NBSP}{ind.unidad}" if ind.unidad else "")
            for r in ind.referencias
        ]
        sources = sorted({r["fuente"] for r in ind.referencias if r.get("fuente")})
        rows.append(
            {
                "id": ind.id,
                "nombre": ind.nombre,
                "dimension": name.get(ind.dimension, ind.dimension),
                "ruta": ind.ruta,
                "valor": ind.valor,
                "valor_txt": fmt.number(ind.valor, _decimals(ind.valor))
                if ind.valido
                else fmt.DASH,
                "unidad": ind.unidad,
                "fuente": fmt.SOURCE_LABELS.get(ind.fuente or "", "Sin dato"),
                "valido": ind.valido,
                "validez": "Válido" if ind.valido else (ind.motivo or "Sin dato"),
                "puntaje": ind.puntaje,
                "referencias": "; ".join(refs),
                "fuentes_ref": "; ".join(sources),
            }
        )
    return rows


def plan_rows(result: ScoreResult) -> list[dict[str, Any]]:
    name = names(result)
    return [
        {
            "prioridad": rank,
            "pregunta_id": a.pregunta_id,
            "texto": a.texto,
            "ruta": a.ruta,
            "ruta_nombre": name.get(a.ruta, a.ruta),
            "dimension": name.get(a.dimension, a.dimension),
            "eje": name.get(a.eje, a.eje),
            "nivel_actual": a.nivel_actual,
            "estado": "No sé" if a.estado == "no_se" else f"Nivel {a.nivel_actual}",
            "siguiente_paso": a.siguiente_paso,
            "ganancia": a.ganancia,
            "ganancia_txt": fmt.gain(a.ganancia),
            "potencial": a.potencial,
        }
        for rank, a in enumerate(result.plan, start=1)
    ]


def gap_rows(result: ScoreResult) -> list[dict[str, Any]]:
    name = names(result)
    return [
        {
            "id": q.id,
            "texto": q.texto,
            "dimension": name.get(q.dimension, q.dimension),
            "eje": name.get(q.eje, q.eje),
        }
        for q in result.preguntas
        if q.estado == "no_se"
    ]


def coverage_text(result: ScoreResult) -> str:
    cov = result.cobertura
    applicable = int(cov.get("aplicables", 0))
    answered = int(cov.get("respondidas", 0))
    return (
        f"Respondió {answered} de {applicable} prácticas aplicables con un nivel "
        f"({fmt.percent(cov.get('porcentaje', 0.0), 0)})."
    )


METHOD_TEXT = [
    "Cada pregunta de práctica tiene cinco respuestas descritas, del nivel 0 al 4; su puntaje "
    "es el nivel × 25 (0, 25, 50, 75 o 100 puntos).",
    "«No aplica» excluye la pregunta del cálculo (no suma ni resta). «No sé» y las preguntas "
    "sin respuesta cuentan como 0 y se señalan como vacíos de información.",
    "El puntaje de cada eje y de cada ruta ODS 9 es la media ponderada (por el peso de cada "
    "pregunta) de sus preguntas aplicables. El de cada dimensión es la media ponderada de sus "
    "ejes, y el global, la media ponderada de las dimensiones.",
    "El puntaje de desempeño se calcula aparte, a partir de los indicadores cuantitativos "
    "válidos; no se mezcla con el de madurez de prácticas.",
    "La ganancia de cada acción es el aumento exacto del puntaje global si esa práctica sube un "
    "nivel, manteniendo todo lo demás igual.",
]
