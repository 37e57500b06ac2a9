"""The report's content, formatted once: texts and rows shared by the PDF, Excel and JSON.

Everything here is plain data (str, int, float, list, dict); no layout and no file format.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import fmt
from reports.context import ReportContext
from scoring import peer_text, schema
from scoring.result import ScoreResult

PLAN_ITEMS_IN_PDF = 15
NO_WEAKEST = "ninguna dimensión es claramente más débil"
NO_SECTOR = "sin comparación: menos de 5 empresas de su división"
NO_SECTOR_MODULE = "sin comparación: menos de 5 {grupo}"
FLOOR_STATES = schema.REQUIREMENT_STATES
BOUNDARY_LABELS = {"sitio": "Sitio (planta)", "empresa": "Toda la empresa"}


def is_v2(result: ScoreResult) -> bool:
    """Method 2.0: level from the principal index, legal floor, band and provisional mark."""
    return result.metodo == "2.0"


def route_text(spec) -> str:
    """ "R1" or "R1 50 % · R2 50 %" for a question split between routes; "" without routes."""
    shares = schema.route_shares(spec)
    if len(shares) <= 1:
        return next(iter(shares), "")
    return " · ".join(f"{r} {fmt.percent(100 * v, 0)}" for r, v in shares.items())


def not_applicable_reason(reason: str) -> str:
    if reason == "perfil":
        return "según el perfil de la empresa"
    return f"motivo: {reason}"


def index_name(result: ScoreResult, ident: str | None) -> str:
    for index in result.indices:
        if index.id == ident:
            return index.nombre
    return "puntaje global"


def level_name(context: ReportContext, level: int) -> str:
    levels = context.compiled.model.niveles
    return levels[level - 1].nombre if 1 <= level <= len(levels) else ""


def level_text(result: ScoreResult, score=None) -> str:
    """ "Nivel 2 · Inicial", with "(provisional)" on the level of a provisional result."""
    score = score or result.global_
    text = f"Nivel {score.nivel} · {score.nivel_nombre}" if score.nivel else "Sin nivel"
    if score is result.global_ and result.provisional and score.nivel:
        text += " (provisional)"
    return text


def band_text(score) -> str:
    """ "65,6–78,1" (lower end «No sé» = 0, upper end «No sé» = 4); the score alone if no band."""
    if score.puntaje is None:
        return fmt.DASH
    if score.puntaje_maximo is None or score.band_width < 0.05:
        return fmt.number(score.puntaje)
    return f"{fmt.number(score.puntaje)}–{fmt.number(score.puntaje_maximo)}"


def band_sentence(score) -> str:
    if score.puntaje is None:
        return ""
    text = f"Banda por «No sé»: {band_text(score)}"
    if score.puntaje_sin_no_se is not None:
        text += f" · sin «No sé»: {fmt.number(score.puntaje_sin_no_se)}"
    return text + "."


def floor_gap_text(result: ScoreResult) -> str:
    gaps = result.piso_legal.gaps if result.piso_legal else []
    parts = [
        f"«{r.texto}» ({r.norma}"
        + (f"; {FLOOR_STATES[r.estado].lower()}" if r.estado != "no" else "")
        + ")"
        for r in gaps
    ]
    return "; ".join(parts)


def floor_status(result: ScoreResult, context: ReportContext) -> str:
    """The legal floor in one or two plain sentences; "" without a legal floor."""
    floor = result.piso_legal
    if floor is None:
        return ""
    if floor.cumple:
        return (
            "Cumple el piso legal: todos los requisitos legales mínimos están cumplidos o no "
            "le corresponden, así que su nivel sale solo de su puntaje."
        )
    if floor.capped:
        return (
            f"Su nivel se limita a {floor.tope_nombre} porque no cumple: "
            f"{floor_gap_text(result)}. Sin ese tope, su puntaje le daría el nivel "
            f"{level_name(context, floor.nivel_sin_tope)}."
        )
    return (
        f"No cumple el piso legal: {floor_gap_text(result)}. Mientras no lo cumpla, su nivel "
        f"no puede pasar de {floor.tope_nombre} (hoy su puntaje no supera ese nivel)."
    )


def provisional_text(result: ScoreResult) -> str:
    if not result.provisional:
        return ""
    return (
        f"Nivel provisional: las respuestas «No sé» abren una banda de "
        f"{fmt.number(result.global_.band_width)} puntos en su "
        f"{result.global_.nombre.lower()}, más que el umbral de "
        f"{fmt.number(result.umbral_provisional, 0)} puntos. Averiguar esas respuestas puede "
        "cambiar su nivel."
    )


def floor_rows(result: ScoreResult) -> list[dict[str, Any]]:
    if result.piso_legal is None:
        return []
    return [
        {
            "id": r.id,
            "texto": r.texto,
            "norma": r.norma,
            "evidencia": r.evidencia,
            "estado": r.estado,
            "estado_txt": FLOOR_STATES.get(r.estado, r.estado),
            "cumple": r.met,
            "recomendacion": r.recomendacion,
        }
        for r in result.piso_legal.requisitos
    ]


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


# One wording for screen and reports (scoring.peer_text); kept here under their report names.
peer_reading = peer_text.peer_reading
peer_summary = peer_text.peer_summary
_join = peer_text.join_es


def _scored(scores):
    return [s for s in scores if s.puntaje is not None]


def key_messages(result: ScoreResult, context: ReportContext) -> list[str]:
    """Three messages drawn from the data: balance of dimensions, top action, data gaps."""
    messages = []
    dims = _scored(result.dimensiones)
    if is_v2(result) and len(dims) >= 2 and result.dimension_mas_debil is None:
        messages.append(
            f"{NO_WEAKEST.capitalize()}: sus {len(dims)} dimensiones obtienen puntajes "
            "parecidos; el plan de acción indica por dónde avanzar primero."
        )
    elif is_v2(result) and len(dims) >= 2:
        weak = result.dimension(result.dimension_mas_debil)
        strong = max(dims, key=lambda d: d.puntaje)
        messages.append(
            f"Su dimensión más avanzada es la {strong.nombre.lower()} "
            f"({fmt.points(strong.puntaje)}, nivel {strong.nivel_nombre}) y la más débil "
            f"es la {weak.nombre.lower()} ({fmt.points(weak.puntaje)}, nivel "
            f"{weak.nivel_nombre}): empiece por cerrar esa brecha."
        )
    elif len(dims) >= 2 and result.dimensions_tied:
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
    floor = result.piso_legal if is_v2(result) else None
    if floor is not None and floor.gaps:
        messages.append(
            floor_status(result, context)
            + " Cumplir el piso legal es lo primero del plan de acción."
        )
    elif result.plan and is_v2(result):
        top = result.plan[0]
        messages.append(
            f"La acción de mayor efecto es «{top.texto}»: subir un nivel añade "
            f"{fmt.gain(top.ganancia)} a su «{index_name(result, top.indice)}». "
            f"Siguiente paso: {top.siguiente_paso}"
        )
    elif result.plan:
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
    requirements = (
        {r.id: r.estado for r in result.piso_legal.requisitos} if result.piso_legal else {}
    )
    name = names(result)
    rows = []
    for dimension, theme, questions in context.compiled.sections():
        for question in questions:
            value = context.answers.get(question.id)
            row: dict[str, Any] = {
                "id": question.id,
                "dimension": dimension.nombre,
                "eje": theme.nombre,
                "ruta": schema.primary_route(question.ruta),
                "ruta_txt": route_text(question.ruta),
                "texto": question.texto,
                "tipo": question.tipo,
                "respuesta": "",
                "nivel": None,
                "puntaje": None,
                "valor": None,
                "unidad": None,
                "fuente": None,
            }
            row["motivo_no_aplica"] = None
            if question.id in practice:
                scored = practice[question.id]
                row["puntaje"] = scored.puntaje
                if scored.estado == "nivel":
                    row["nivel"] = scored.nivel
                    row["respuesta"] = f"Nivel {scored.nivel}: {scored.descripcion_nivel}"
                else:
                    row["respuesta"] = fmt.STATE_LABELS.get(scored.estado, scored.estado)
                if scored.estado == "no_aplica" and scored.motivo_no_aplica:
                    row["motivo_no_aplica"] = not_applicable_reason(scored.motivo_no_aplica)
                    row["respuesta"] += f" ({row['motivo_no_aplica']})"
            elif isinstance(question, schema.RequirementQuestion):
                state = requirements.get(question.id) or (
                    value if value in FLOOR_STATES else "sin_respuesta"
                )
                row["respuesta"] = FLOOR_STATES.get(state, str(state))
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
            row["bloque"] = dimension is theme  # the profile or the legal floor
            row["dimension_id"] = dimension.id
            row["eje_id"] = theme.id
            row["ruta_nombre"] = name.get(row["ruta"], row["ruta"])
            row["nota"] = answer_note(context, question.id)
            rows.append(row)
    return rows


def answer_note(context: ReportContext, question_id: str) -> str | None:
    """The firm's note or evidence on one answer; None when there is none, or when the answer
    is «No aplica» (its comment is then the reason, shown with the answer)."""
    note = (context.notes.get(question_id) or "").strip()
    if not note or context.answers.get(question_id) == "no_aplica":
        return None
    return note


def note_rows(result: ScoreResult, context: ReportContext) -> list[dict[str, Any]]:
    """The answers that carry a note or evidence, in questionnaire order."""
    return [r for r in answer_rows(result, context) if r["nota"]]


def _decimals(value: float | None) -> int:
    return 0 if value is not None and abs(value) >= 1000 else 1


def _reference_text(ref: Mapping[str, Any], unit: str, marked: bool) -> str:
    """ "Media: 12,0 %", marked «contexto, no comparable» and «por confirmar» (method 2.0)."""
    text = f"{ref['nombre']}: {fmt.number(ref['valor'])}" + (f"{fmt.NBSP}{unit}" if unit else "")
    if not marked:
        return text
    marks = []
    if ref.get("uso") == "contexto":
        marks.append("contexto, no comparable")
    if ref.get("verificacion") == "por_confirmar":
        marks.append("por confirmar")
    return text + (f" ({'; '.join(marks)})" if marks else "")


def sector_group(module=None) -> str:
    """Whom a ``comparar_en_sector`` indicator is compared with: the firm's CIIU division, or the
    firms that used the same sector module (and questionnaire version)."""
    if module is None:
        return "empresas de su división CIIU"
    if "+" in module.id:  # a firm with two modules (ScoreResult.comparison_group)
        return f"empresas con los módulos {module.nombre}"
    return f"empresas del módulo {module.nombre}"


def no_sector_text(module=None) -> str:
    """ "sin comparación: menos de 5 empresas de su división" (or «del módulo …»)."""
    return NO_SECTOR if module is None else NO_SECTOR_MODULE.format(grupo=sector_group(module))


def sector_text(ind, context: ReportContext | None, module=None) -> str:
    """The sector comparison of a ``comparar_en_sector`` indicator, in one sentence.

    ``module`` is the ``ModuleSummary`` the indicator comes from (``result.module_of_indicator``):
    its indicators are compared within the module, not within the CIIU division."""
    if not ind.comparar_en_sector:
        return ""
    if not ind.valido:
        return "Sin comparación: no hay un valor válido."
    comparison = (context.sector or {}).get(ind.id) if context is not None else None
    if comparison is None or not comparison.comparable:
        text = no_sector_text(module)
        return text[:1].upper() + text[1:] + "."
    unit = f"{fmt.NBSP}{ind.unidad}" if ind.unidad else ""
    return (
        f"Mejor que el {fmt.percent(comparison.puntaje, 0)} de {comparison.n} "
        f"{sector_group(module)} (mediana {fmt.number(comparison.mediana)}{unit})."
    )


def _comparison(ind, context: ReportContext | None) -> dict[str, Any] | None:
    """The published figures of a ``comparar_en_sector`` indicator's comparison, if any."""
    if not ind.comparar_en_sector or context is None:
        return None
    c = (context.sector or {}).get(ind.id)
    if c is None:
        return None
    return {"valor": c.valor, "mediana": c.mediana, "n": c.n, "puntaje": c.puntaje}


def sector_score(ind, context: ReportContext | None) -> float | None:
    if not ind.comparar_en_sector:
        return ind.puntaje
    comparison = (context.sector or {}).get(ind.id) if context is not None else None
    return comparison.puntaje if comparison is not None else None


def indicator_rows(result: ScoreResult, context: ReportContext | None = None) -> list[dict]:
    name = names(result)
    rows = []
    for ind in result.indicadores:
        module = result.module_of_indicator(ind.id)
        refs = [_reference_text(r, ind.unidad, is_v2(result)) for r in ind.referencias]
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
                "frontera": BOUNDARY_LABELS.get(ind.frontera, ind.frontera),
                "periodo": ind.periodo,
                "comparar_en_sector": ind.comparar_en_sector,
                "sector": sector_text(ind, context, result.comparison_group(ind.id)),
                "puntaje_sector": sector_score(ind, context) if ind.comparar_en_sector else None,
                "nucleo": ind.nucleo,
                "modulo": module.id if module else None,
                "modulo_nombre": module.nombre if module else None,
                "comparacion": _comparison(ind, context),
            }
        )
    return rows


def _plan_state(action) -> str:
    if action.tipo == "piso_legal":
        return FLOOR_STATES.get(action.estado, action.estado)
    if action.estado in ("no_se", "sin_respuesta"):
        return fmt.STATE_LABELS[action.estado]
    return f"Nivel {action.nivel_actual}"


def plan_rows(result: ScoreResult) -> list[dict[str, Any]]:
    name = names(result)
    return [
        {
            "tipo": a.tipo,
            "tipo_txt": "Piso legal" if a.tipo == "piso_legal" else "Práctica",
            "indice": index_name(result, a.indice) if a.indice else "",
            "motivo": a.motivo,
            "requiere": "; ".join(a.requiere),
            "estado_txt": _plan_state(a),
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


def applicable_counts(result: ScoreResult) -> dict[str, int]:
    """Practice questions that count in each theme (neither «No aplica» nor omitted)."""
    counts: dict[str, int] = {}
    for q in result.preguntas:
        if q.estado not in ("no_aplica", "oculta"):
            counts[q.eje] = counts.get(q.eje, 0) + 1
    return counts


# --- sector modules -----------------------------------------------------------------------


def _lower_first(text: str) -> str:
    """ "Textil y confecciones" -> "textil y confecciones" (acronyms such as "CIIU" kept)."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def module_tag(module) -> str:
    """ "módulo textil y confecciones": the mark of a module's theme in the general tables."""
    return f"módulo {_lower_first(module.nombre)}"


def theme_mark(result: ScoreResult, theme_id: str) -> str:
    """ "Módulo textil y confecciones" for a sector module's theme; "" for a core theme."""
    module = result.module_of_theme(theme_id)
    if module is None:
        return ""
    tag = module_tag(module)
    return tag[:1].upper() + tag[1:]


def theme_label(result: ScoreResult, theme_id: str, name: str) -> str:
    """A theme's name, with « — módulo …» when a sector module brought it."""
    module = result.module_of_theme(theme_id)
    return f"{name} — {module_tag(module)}" if module else name


def ciiu_text(codes) -> str:
    """ "las divisiones CIIU 13 y 14", "la división CIIU 23 y la clase CIIU 1020"."""
    divisions = [str(c) for c in codes if c < 100]
    classes = [str(c) for c in codes if c >= 100]
    parts = []
    if divisions:
        word = "las divisiones" if len(divisions) > 1 else "la división"
        parts.append(f"{word} CIIU {_join(divisions)}")
    if classes:
        word = "las clases" if len(classes) > 1 else "la clase"
        parts.append(f"{word} CIIU {_join(classes)}")
    return " y ".join(parts)


def module_scope(module) -> str:
    """ "Módulo para las divisiones CIIU 13 y 14"."""
    return f"Módulo para {ciiu_text(module.ciiu)}"


def _factor(value: float) -> str:
    return "×" + fmt.NBSP + fmt.number(value, 1 if round(value, 1) == value else 2)


def module_texts(result: ScoreResult, context: ReportContext, module) -> dict[str, str]:
    """What the module covers ("descripcion", "" without one), how its themes count
    ("como_cuenta") and whom its indicators are compared with ("comparacion"); its CIIU scope
    is ``module_scope``."""
    first = module.descripcion.strip() if module.descripcion else ""
    themes = [t for t in result.ejes if t.id in module.ejes]
    dims = {d.id: d.nombre for d in result.dimensiones}
    dim_names = list(dict.fromkeys(dims.get(t.dimension or "", "") for t in themes))
    index_of = {e: i.nombre for i in context.compiled.model.indices for e in i.ejes}
    index_names = list(dict.fromkeys(index_of[t.id] for t in themes if t.id in index_of))
    where = []
    if any(dim_names):
        word = "las dimensiones" if len(dim_names) > 1 else "la dimensión"
        where.append(f"{word} {_join([n.lower() for n in dim_names if n])}")
    if index_names:
        named = [_lower_first(n) for n in index_names]
        where.append(
            _join([f"el {n}" if n.startswith("índice") else f"el índice {n}" for n in named])
        )
    target = " y a ".join(where) if where else "los puntajes del cuestionario base"
    if len(themes) == 1:
        second = f"Su eje de prácticas del sector se suma a {target}: cuenta ahí igual que"
    else:
        second = (
            f"Sus {len(themes)} ejes de prácticas del sector se suman a {target}: cuentan ahí "
            "igual que"
        )
    second = (second + " los ejes del cuestionario base.").replace(" a el ", " al ")
    info = next((m for m in context.compiled.model.modulos if m.id == module.id), None)
    weights = dict(info.materialidad) if info is not None else {}
    if weights:
        names_by_id = {t.id: t.nombre for t in result.ejes}
        more = [f"{names_by_id.get(k, k)} ({_factor(v)})" for k, v in weights.items() if v > 1]
        less = [f"{names_by_id.get(k, k)} ({_factor(v)})" for k, v in weights.items() if v < 1]
        if more:
            second += (
                " Además, el módulo multiplica el peso de ejes del cuestionario base que importan "
                f"más en este sector: {_join(more)}"
                + (f"; y reduce el de {_join(less)}." if less else ".")
            )
        elif less:
            second += f" Además, el módulo reduce el peso de {_join(less)}."
    third = (
        "Sus indicadores se miden en unidades del sector. Las intensidades se comparan solo con "
        f"las {sector_group(module)} que respondieron la misma versión del cuestionario (no con "
        "toda su división CIIU); la comparación se publica cuando hay al menos 5 empresas."
    )
    return {"descripcion": first, "como_cuenta": second, "comparacion": third}


def module_theme_rows(result: ScoreResult, context: ReportContext, module) -> list[dict]:
    counts = applicable_counts(result)
    dims = {d.id: d.nombre for d in result.dimensiones}
    index_of = {e: i.nombre for i in context.compiled.model.indices for e in i.ejes}
    rows = []
    for t in result.ejes:
        if t.id not in module.ejes:
            continue
        peer = context.peer(t.id)
        rows.append(
            {
                "id": t.id,
                "nombre": t.nombre,
                "dimension": dims.get(t.dimension or "", ""),
                "indice": index_of.get(t.id),
                "preguntas": counts.get(t.id, 0),
                "puntaje": t.puntaje,
                "puntaje_sin_no_se": t.puntaje_sin_no_se,
                "puntaje_maximo": t.puntaje_maximo,
                "puntaje_txt": fmt.number(t.puntaje) if t.puntaje is not None else "No aplica",
                "banda": band_text(t) if t.puntaje is not None else fmt.DASH,
                "sin_no_se_txt": fmt.number(t.puntaje_sin_no_se),
                "pares": peer,
                "mediana_txt": fmt.number(peer["median"]) if peer else fmt.DASH,
                "cuartiles_txt": (
                    f"{fmt.number(peer.get('q1'))}–{fmt.number(peer.get('q3'))}"
                    if peer
                    else fmt.DASH
                ),
            }
        )
    return rows


def module_sections(result: ScoreResult, context: ReportContext) -> list[dict[str, Any]]:
    """One block per sector module the assessment used: what it is, its themes, its indicators.

    Shared by the PDF, the Excel sheet and the JSON report; empty for a core-only result."""
    if not result.modulos:
        return []
    indicators = indicator_rows(result, context)
    sections = []
    for module in result.modulos:
        info = next((m for m in context.compiled.model.modulos if m.id == module.id), None)
        weights = dict(info.materialidad) if info is not None else {}
        theme_names = {t.id: t.nombre for t in result.ejes}
        texts = module_texts(result, context, module)
        sections.append(
            {
                "id": module.id,
                "nombre": module.nombre,
                "version": module.version,
                "ciiu": list(module.ciiu),
                "alcance": module_scope(module),
                "descripcion": module.descripcion,
                "textos": [text for text in texts.values() if text],
                **texts,
                "materialidad": weights,
                "materialidad_txt": "; ".join(
                    f"{theme_names.get(k, k)} {_factor(v)}" for k, v in weights.items()
                ),
                "ejes": module_theme_rows(result, context, module),
                "indicadores": [r for r in indicators if r["modulo"] == module.id],
            }
        )
    return sections


def modules_summary(result: ScoreResult) -> str:
    """One sentence for the summary page naming the modules used; "" without modules."""
    if not result.modulos:
        return ""
    parts = [
        f"{m.nombre} ({fmt.plural(len(m.ejes), 'eje', 'ejes')} y "
        f"{fmt.plural(len(m.indicadores), 'indicador', 'indicadores')} del sector)"
        for m in result.modulos
    ]
    word = "los módulos sectoriales" if len(parts) > 1 else "el módulo sectorial"
    return (
        f"Esta evaluación incluye {word} {_join(parts)}: sus ejes cuentan en los índices como "
        "los del cuestionario base y se detallan en la sección «Módulo sectorial»."
    )


def modules_text(result: ScoreResult) -> str:
    """ "Textil y confecciones (textil 1.0.0)" for the summary; "" without modules."""
    return "; ".join(f"{m.nombre} ({m.id} {m.version})" for m in result.modulos)


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


METHOD_TEXT_2 = [
    "Método 2.0. Cada pregunta de práctica tiene cinco respuestas descritas, del nivel 0 al 4; "
    "su puntaje es el nivel × 25. «No aplica» la excluye del cálculo: lo decide el perfil de la "
    "empresa o, fuera de él, la empresa con un motivo de una línea.",
    "Los ejes se agrupan en índices. El nivel de madurez sale solo del índice principal (el "
    "índice de circularidad); los demás índices y las dimensiones se informan aparte.",
    "Piso legal: si la empresa no cumple algún requisito legal mínimo (sin respuesta cuenta como "
    "no cumplido), su nivel no pasa del tope fijado por el cuestionario, sea cual sea su puntaje.",
    "Banda por «No sé»: el puntaje informado cuenta cada «No sé» como 0 (extremo inferior); el "
    "extremo superior lo cuenta como nivel 4 y la estimación puntual lo deja fuera. Si la banda "
    "del índice principal es más ancha que el umbral provisional, el nivel se marca como "
    "provisional.",
    "Una dimensión se señala como la más débil solo si queda claramente por debajo de las demás; "
    "si no, el informe dice que ninguna es claramente más débil.",
    "Plan de acción: primero los requisitos del piso legal pendientes; luego las prácticas, "
    "ordenadas por los puntos que sumarían a su índice al llegar al nivel 4. Una práctica que "
    "requiere otra previa (primero medir, luego mejorar) espera detrás de las que pueden empezar "
    "ya.",
    "Los indicadores se calculan aparte con su frontera (sitio o empresa), su periodo y la "
    "calidad del dato (medido, estimado o «No sé»). Las intensidades se comparan solo con "
    "empresas de la misma división CIIU (al menos 5); las referencias de contexto no son "
    "comparables.",
]


def method_text(result: ScoreResult) -> list[str]:
    """The methodology paragraphs of the result's method, with this questionnaire's figures."""
    if not is_v2(result):
        return METHOD_TEXT
    modules = []
    if result.modulos:
        names_ = _join([f"«{m.nombre}» (versión {m.version})" for m in result.modulos])
        word = "los módulos sectoriales" if len(result.modulos) > 1 else "el módulo sectorial"
        modules.append(
            f"Esta evaluación usó {word} {names_}. Sus preguntas se puntúan igual que las del "
            "cuestionario base y sus ejes cuentan en la dimensión y el índice que indica el "
            "módulo; sus factores de materialidad ajustan el peso de algunos ejes del "
            "cuestionario base. Sus indicadores, y también las intensidades y la productividad "
            "del cuestionario base, se comparan con las empresas que usaron los mismos módulos "
            "y la misma versión del cuestionario, no solo con las de su división CIIU."
        )
    figures = []
    if result.piso_legal is not None:
        figures.append(
            f"el tope del piso legal es el nivel {result.piso_legal.tope} "
            f"({result.piso_legal.tope_nombre})"
        )
    figures.append(
        f"el umbral provisional es de {fmt.number(result.umbral_provisional, 0)} puntos de banda"
    )
    return [*METHOD_TEXT_2, *modules, "En este cuestionario, " + " y ".join(figures) + "."]
