"""Results of one submitted assessment: level, scores, peers, indicators, action plan, history.

Everything firm-specific is read through storage with the logged-in firm's id on every run; only
the anonymous peer table (other consenting firms' scores) is cached: one per questionnaire
version and process, rebuilt when the data version read from the database changes (issue 11).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from reports import content as report_content
from scoring import schema
from scoring.numbers import lima_time
from scoring.peers import (
    MIN_GROUP,
    NOT_ENOUGH,
    SectorComparison,
    division_text,
    peer_group,
    peer_stats,
    sector_comparison,
)
from scoring.result import (
    Action,
    IndicatorResult,
    LegalFloor,
    Score,
    ScoreResult,
    score_assessment,
)
from storage.assessments import (
    get_assessment,
    get_result,
    list_assessments,
    load_answers,
    load_comments,
)
from storage.db import database_url
from storage.peers import PeerSource, PeerTable
from storage.plan_tracking import follow_ups
from ui import answer_changes, charts, db, plan_progress, session, widgets
from ui.assessment import selected_assessment_id
from ui.formstate import plain_number, scoring_answers
from ui.module_views import factor_text
from ui.report_downloads import download_buttons, report_context

FILL_PAGE = "ui/pages/fill.py"
Track = Callable[[Action], None]  # draws the follow-up of one plan action
TABS = ("Nivel y piso legal", "Puntajes", "Comparación", "Indicadores", "Evolución", "Pendientes")
PLAN_SHOWN_PER_ROUTE = 3
PLAN_SHOWN = 5  # method 2.0: the first actions of the ordered plan, the rest in an expander
INDEX_PREFIX = "idx_"  # peer columns of the indices (storage.peers)
SOURCE_LABELS = {"medido": "Medido", "estimado": "Estimado", "no_se": "No sé"}
BOUNDARY_LABELS = {"sitio": "Sitio (la planta)", "empresa": "Empresa (todas sus plantas)"}
NO_SECTOR_YET = (
    f"sin comparación todavía: se necesitan al menos {MIN_GROUP} empresas de su división con "
    "la misma versión"
)


def peer_keys(result: ScoreResult) -> dict[str, str]:
    """Peer table column -> key of the score in the result (global, dimensions, routes, indices)."""
    keys = {"overall": "global"}
    keys.update({d.id: d.id for d in result.dimensiones})
    keys.update({r.lower(): r for r in schema.ROUTES})
    keys.update({f"{INDEX_PREFIX}{i.id}": i.id for i in result.indices})
    return keys


# --- data --------------------------------------------------------------------------------------


@st.cache_resource(max_entries=16, show_spinner=False)
def _peer_source(
    url: str, questionnaire_id: str, depth: str, questionnaire_hash: str
) -> PeerSource:
    """One peer source per database, questionnaire version and depth for the whole process:
    the table of anonymous scores is shared by every firm (no firm in the key)."""
    return PeerSource(questionnaire_id, depth, questionnaire_hash)


def _peer_table(questionnaire_id: str, depth: str, questionnaire_hash: str) -> PeerTable:
    """The peers of this version as of the data version in the database (checked every run,
    so replicas agree and a new submission counts at once)."""
    source = _peer_source(
        url=database_url(),
        questionnaire_id=questionnaire_id,
        depth=depth,
        questionnaire_hash=questionnaire_hash,
    )
    with db.session() as database:
        return source.current(database)


def _sector_values(
    result: ScoreResult, data: dict[str, Any], firm_id: int, ciiu_division: int
) -> dict[str, list[float]]:
    """Indicator values of the other counted firms of the division (same version)."""
    ids = [ind.id for ind in result.indicadores if ind.comparar_en_sector]
    if not ids:
        return {}
    table = _peer_table(data["questionnaire_id"], data["depth"], data["questionnaire_hash"])
    # A firm with sector modules is compared with the firms of the same modules and version
    # (this exact content hash), whatever their division: its module's indicators and its
    # intensities alike (result.comparison_group).
    whole = [i for i in ids if result.comparison_group(i) is not None]
    return table.sector_values(firm_id, ciiu_division, ids, whole_version=whole)


def _latest_submitted(firm_id: int) -> int | None:
    with db.session() as database:
        submitted = [a for a in list_assessments(database, firm_id) if a.status == "enviada"]
    return submitted[0].id if submitted else None


def _choose_assessment_id(firm_id: int) -> int | None:
    chosen = selected_assessment_id()  # validated: a bad ?evaluacion= names nothing
    return chosen if chosen is not None else _latest_submitted(firm_id)


def _load(firm_id: int, assessment_id: int) -> dict[str, Any] | None:
    """The assessment, its stored result and the firm's history, as plain data (or None)."""
    with db.session() as database:
        assessment = get_assessment(database, assessment_id, firm_id)
        if assessment is None:
            return None
        data: dict[str, Any] = {
            "id": assessment.id,
            "status": assessment.status,
            "depth": assessment.depth,
            "questionnaire_id": assessment.questionnaire_id,
            "questionnaire_version": assessment.questionnaire_version,
            "questionnaire_hash": assessment.questionnaire_hash,
            "created_at": assessment.created_at,
            "submitted_at": assessment.submitted_at,
        }
        if assessment.status != "enviada":
            return data
        stored = get_result(database, assessment_id, firm_id)
        data["detail"] = dict(stored.detail_json or {}) if stored else {}
        data["ciiu_division"] = stored.ciiu_division if stored else None
        data["size_class"] = stored.size_class if stored else None
        data["answers"], data["sources"] = load_answers(database, assessment_id, firm_id)
        data["reasons"] = load_comments(database, assessment_id, firm_id)
        history = []
        previous = None  # the same questionnaire and depth, submitted just before this one
        for other in list_assessments(database, firm_id):
            if (
                other.status == "enviada"
                and other.questionnaire_id == assessment.questionnaire_id
                and other.depth == assessment.depth
                and other.result is not None
            ):
                history.append(
                    {
                        "id": other.id,
                        "fecha": other.submitted_at,
                        "puntaje": other.result.overall,
                    }
                )
                if (
                    other.submitted_at is not None
                    and assessment.submitted_at is not None
                    and other.submitted_at < assessment.submitted_at
                    and (previous is None or other.submitted_at > previous.submitted_at)
                ):
                    previous = other
        data["history"] = history
        data["previous_detail"] = (
            dict(previous.result.detail_json or {}) if previous is not None else None
        )
        data["follow_ups"] = follow_ups(database, firm_id)
    return data


def _previous(data: dict[str, Any]) -> ScoreResult | None:
    """The result submitted just before this one (same questionnaire and depth), if readable."""
    detail = data.get("previous_detail") or {}
    if detail.get("global") is None:
        return None
    try:
        return ScoreResult.from_dict(detail)
    except (KeyError, TypeError):
        return None


def _result(data: dict[str, Any]) -> tuple[ScoreResult | None, str]:
    """The stored result, or a re-score of the stored answers with the very same questionnaire."""
    detail = data.get("detail") or {}
    if detail.get("global") is not None:
        try:
            return ScoreResult.from_dict(detail), "guardado"
        except (KeyError, TypeError):
            pass  # an older or damaged detail: fall back to re-scoring
    loaded = db.questionnaire_for_hash(data["questionnaire_hash"])
    if loaded is None:
        return None, ""
    compiled = db.compiled(loaded, data["depth"])
    answers = scoring_answers(data["answers"], data.get("reasons"))
    return score_assessment(compiled, answers, data["sources"]), "recalculado"


def _peers(result: ScoreResult, data: dict[str, Any], firm_id: int):
    """(group, peers mapping in the ReportContext shape) or (None, None)."""
    table = _peer_table(data["questionnaire_id"], data["depth"], data["questionnaire_hash"])
    peers = table.without(firm_id)  # a firm is never its own peer
    group = peer_group(peers, data.get("ciiu_division"), data.get("size_class"))
    if group is None:
        return None, None
    group = dataclasses.replace(group, label=db.peer_group_label(group.label, table.demo))
    keys = peer_keys(result)
    scope = f"{data['questionnaire_hash']}/{data['depth']}/{group.level}"
    stats = peer_stats(group.frame, [*keys, "performance"], scope=scope)
    mapping: dict[str, Any] = {"group_label": group.label}
    for column, key in keys.items():
        stat = stats.get(column)
        mapping[key] = stat.as_dict() if stat else None
    perf = stats.get("performance")
    mapping["desempeno"] = perf.as_dict() if perf else None
    return group, mapping


# --- sections ----------------------------------------------------------------------------------


def _figure(figure: charts.Figure) -> None:
    # theme=None: the charts carry their own type sizes, chosen to stay readable at 390 px.
    widgets.chart(figure.chart, figure.reading, width="stretch" if figure.stretch else "content")
    st.markdown(f"**Lectura:** {figure.reading}")


def _summary(result: ScoreResult) -> None:
    overall = result.global_
    weakest = next((d for d in result.dimensiones if d.id == result.dimension_mas_debil), None)
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.caption("Nivel global de madurez")
        if overall.puntaje is None:
            st.markdown("### Sin puntaje")
        else:
            st.markdown(f"### Nivel {overall.nivel} · {overall.nivel_nombre}")
            st.markdown(f"**{charts.fmt_num(overall.puntaje)}** de 100 puntos")
    with right, st.container(border=True):
        st.caption("Dimensión más débil")
        if weakest is None or weakest.puntaje is None:
            st.markdown("### —")
        elif result.dimensions_tied:
            st.markdown("### Empate")
            st.markdown(
                f"Todas sus dimensiones tienen **{charts.fmt_num(weakest.puntaje)}** de 100 "
                f"puntos · nivel {weakest.nivel} ({weakest.nivel_nombre})"
            )
        else:
            st.markdown(f"### {weakest.nombre}")
            st.markdown(
                f"**{charts.fmt_num(weakest.puntaje)}** de 100 puntos · nivel {weakest.nivel} "
                f"({weakest.nivel_nombre})"
            )
    _coverage_caption(result)


def _coverage_caption(result: ScoreResult) -> None:
    """Coverage, «No sé» answers and measured performance, in one line under the level."""
    coverage = result.cobertura.get("porcentaje")
    parts = []
    if coverage is not None:
        parts.append(f"Respondió el {charts.fmt_num(coverage)} % de las preguntas aplicables")
    if result.brechas:
        count = len(result.brechas)
        parts.append(f"{count} respuesta{'s' if count != 1 else ''} «No sé»")
    if result.desempeno is not None:
        parts.append(f"desempeño medido por indicadores: {charts.fmt_num(result.desempeno)} de 100")
    if parts:
        st.caption(" · ".join(parts) + ".")


def _level_meaning(result: ScoreResult, loaded) -> None:
    overall = result.global_
    if loaded is not None and overall.nivel >= 1:
        description = loaded.model.niveles[overall.nivel - 1].descripcion
        st.info(f"**Qué significa «{overall.nivel_nombre}».** {description}")


def _next_step(result: ScoreResult) -> None:
    if not result.plan:
        st.success(
            "**Su siguiente paso:** mantenga sus prácticas y vuelva a evaluarse en un año para "
            "medir su avance."
        )
        return
    top = result.plan[0]
    st.success(
        f"**Su siguiente paso** ({charts.fmt_gain(top.ganancia)} en su puntaje global): "
        f"{top.siguiente_paso}  \n*Pregunta: {top.texto}*"
    )


def _scores(result: ScoreResult, peers, levels) -> None:
    st.subheader("Sus puntajes", divider="gray")
    _figure(charts.dimension_chart(result, peers))
    scored = [d for d in result.dimensiones if d.puntaje is not None]
    if len(scored) >= 3:
        _figure(charts.radar_chart(result.dimensiones, peers, levels))
    _figure(charts.route_chart(result, peers))
    with st.expander("Rutas de acción del ODS 9"):
        for route, name in schema.ROUTE_NAMES.items():
            st.markdown(f"**{route}** — {name}")
    _figure(charts.theme_chart(result))


def _peer_section(result: ScoreResult, group, peers) -> None:
    st.subheader("Comparación con empresas similares", divider="gray")
    if group is None:
        st.info(NOT_ENOUGH)
        return
    if group.broader:
        st.warning(
            "Su grupo exacto (misma división CIIU y tamaño) aún tiene menos de 5 empresas: "
            "le comparamos con un grupo más amplio."
        )
    st.markdown(f"**Grupo de comparación:** {group.label}")
    rows = [("Puntaje global", result.global_.puntaje, peers.get("global"))]
    rows += [(d.nombre, d.puntaje, peers.get(d.id)) for d in result.dimensiones]
    rows += [(f"Ruta {r.id}", r.puntaje, peers.get(r.id)) for r in result.rutas]
    table = pd.DataFrame(
        [
            {
                "Puntaje (0–100)": name,
                "Usted": charts.fmt_num(score),
                "Mediana": charts.fmt_num(peer["median"]) if peer else "—",
                "Mitad central": (
                    f"{charts.fmt_num(peer['q1'])} a {charts.fmt_num(peer['q3'])}" if peer else "—"
                ),
            }
            for name, score, peer in rows
        ]
    ).set_index("Puntaje (0–100)")
    st.table(table)
    st.caption(
        "«Mitad central»: la mitad de las empresas del grupo está en ese rango (del 1.er al "
        "3.er cuartil). Solo se "
        "publican cifras de grupos de 5 empresas o más que aceptaron compartir sus resultados "
        "de forma anónima; «—» indica que hay muy pocas empresas con ese dato."
    )


def _indicators(result: ScoreResult) -> None:
    st.subheader("Indicadores de desempeño", divider="gray")
    if not result.indicadores:
        st.info(
            "Esta evaluación no incluye indicadores cuantitativos. La evaluación Completa los "
            "calcula a partir de sus cifras (materiales, agua, energía, productividad, empleo)."
        )
        return
    st.caption(
        "El desempeño medido se califica aparte de la madurez de prácticas: muestra lo que "
        "sus cifras dicen hoy."
    )
    table = pd.DataFrame(
        [
            {
                "Indicador": ind.nombre,
                "Valor": charts.fmt_value(ind.valor, ind.unidad) if ind.valido else "Sin valor",
                "Dato": SOURCE_LABELS.get(ind.fuente or "", "—"),
            }
            for ind in result.indicadores
        ]
    ).set_index("Indicador")
    st.table(table)
    st.caption("«Dato»: cómo obtuvo su empresa las cifras del indicador (medido o estimado).")
    problems = [ind for ind in result.indicadores if not ind.valido]
    if problems:
        st.markdown(
            "\n".join(f"- **{ind.nombre}:** {ind.motivo or 'sin dato'}" for ind in problems)
        )
    for ind in result.indicadores:
        if ind.referencias:
            _figure(charts.indicator_reference_chart(ind))
            sources = sorted({r["fuente"] for r in ind.referencias if r.get("fuente")})
            if sources:
                st.caption("Fuente de las referencias: " + "; ".join(sources) + ".")


def _plan(result: ScoreResult, track: Track) -> None:
    st.subheader("Plan de acción", divider="gray")
    if not result.plan:
        st.success("No hay acciones pendientes: todas sus prácticas están en el nivel más alto.")
        return
    st.caption(
        "Las prácticas que más subirían su puntaje global, por ruta del ODS 9. La ganancia es "
        "lo que sube su puntaje global al pasar al siguiente nivel de esa práctica."
    )
    theme_names = {t.id: t.nombre for t in result.ejes}
    for route, name in schema.ROUTE_NAMES.items():
        actions = [a for a in result.plan if a.ruta == route]
        if not actions:
            continue
        st.markdown(f"##### {route} · {name}")
        for action in actions[:PLAN_SHOWN_PER_ROUTE]:
            _action(action, theme_names, track)
        rest = actions[PLAN_SHOWN_PER_ROUTE:]
        if rest:
            with st.expander(f"Ver {len(rest)} acciones más de {route}"):
                for action in rest:
                    _action(action, theme_names, track)


def _action(action: Action, theme_names: dict[str, str], track: Track) -> None:
    with st.container(border=True, key=f"accion_{action.pregunta_id}"):
        st.markdown(f"**{charts.fmt_gain(action.ganancia)}** · {action.texto}")
        st.markdown(f"Siguiente paso: {action.siguiente_paso}")
        if action.estado == "no_se":
            level = "respondió «No sé»"
        else:
            level = f"nivel actual {action.nivel_actual} de 4"
        st.caption(
            f"{theme_names.get(action.eje, action.eje)} · {level} · hasta "
            f"{charts.fmt_gain(action.potencial)} si llega al nivel 4"
        )
        track(action)


def _gaps(result: ScoreResult) -> None:
    st.subheader("Datos pendientes («No sé»)", divider="gray")
    texts = {q.id: q.texto for q in result.preguntas}
    if not result.brechas:
        st.markdown("No respondió «No sé» en ninguna pregunta.")
        return
    st.markdown(
        "Estas respuestas cuentan como nivel 0. Averiguarlas puede subir su puntaje sin cambiar "
        "nada en la planta:"
    )
    st.markdown("\n".join(f"- {texts.get(qid, qid)}" for qid in result.brechas))


def _history(data: dict[str, Any], levels) -> None:
    st.subheader("Su evolución", divider="gray")
    # The submission time, not the day: the chart orders by it (two the same day, issue 10).
    history = pd.DataFrame(
        [
            {"fecha": lima_time(row["fecha"]), "puntaje": row["puntaje"]}
            for row in data["history"]
            if row["fecha"] is not None
        ],
        columns=["fecha", "puntaje"],
    )
    _figure(charts.history_chart(history, levels))


def _downloads(
    result: ScoreResult, firm, assessment: dict[str, Any], peers, loaded, sector=None
) -> None:
    """PDF, Excel and JSON of this (own, submitted) assessment, built with the questionnaire
    version it was answered with (``loaded``); built only on click."""
    if loaded is None:
        st.caption(
            "Las descargas no están disponibles: no encontramos la versión del cuestionario con "
            "la que se respondió esta evaluación. Escriba a SNI."
        )
        return
    context = report_context(
        firm,
        assessment["submitted_at"],
        db.compiled(loaded, assessment["depth"]),
        scoring_answers(assessment["answers"], assessment.get("reasons")),
        assessment["sources"],
        peers,
        sector=sector or None,
        notes=assessment.get("reasons"),
    )
    st.markdown("**Descargue su informe**")
    stem = f"brujula_{firm.ruc}_evaluacion_{assessment['id']}"
    download_buttons(result, context, stem, key=f"descarga_{assessment['id']}")


# --- method 2.0 --------------------------------------------------------------------------------


def is_v2(result: ScoreResult) -> bool:
    return result.metodo == "2.0"


def band_text(score: Score) -> str:
    """ "60,0 a 85,0 (sin contar «No sé»: 70,0)", or the single score when there is no band."""
    if score.puntaje is None:
        return "Sin puntaje"
    low, high = score.puntaje, score.puntaje_maximo
    if high is None or high - low < 0.05:
        return f"{charts.fmt_num(low)}"
    point = score.puntaje_sin_no_se
    text = f"{charts.fmt_num(low)} a {charts.fmt_num(high)}"
    if point is not None:
        text += f" (sin contar «No sé»: {charts.fmt_num(point)})"
    return text


def provisional_sentence(result: ScoreResult) -> str:
    principal = result.global_
    return (
        "**Nivel provisional.** Sus respuestas «No sé» dejan el puntaje de su "
        f"«{principal.nombre}» entre {charts.fmt_num(principal.puntaje)} y "
        f"{charts.fmt_num(principal.puntaje_maximo)} puntos: una banda de "
        f"{charts.fmt_num(principal.band_width)} puntos, más ancha que el umbral de "
        f"{plain_number(result.umbral_provisional, 1)} que fija el cuestionario. El nivel se "
        "calcula con el extremo bajo («No sé» = 0); averiguar esos datos lo confirmará."
    )


def weakest_sentence(result: ScoreResult, margin: float | None) -> str | None:
    """Method 2.0: None when a dimension is named; else why none is."""
    if result.dimension_mas_debil is not None:
        return None
    if margin is None:
        return "Ninguna dimensión es claramente más débil que las otras."
    return (
        "Ninguna dimensión es claramente más débil que las otras (diferencia menor a "
        f"{plain_number(margin, 1)} puntos)."
    )


def level_name(result: ScoreResult) -> str:
    """Name of the level the principal index alone gives (before the legal-floor cap)."""
    floor = result.piso_legal
    loaded = db.questionnaire_for_hash(result.cuestionario_hash)
    if floor is None or loaded is None or floor.nivel_sin_tope < 1:
        return ""
    return loaded.model.niveles[floor.nivel_sin_tope - 1].nombre


def floor_sentence(floor: LegalFloor) -> str:
    gaps = "; ".join(f"{r.texto} ({r.norma.rstrip('. ')})" for r in floor.gaps)
    if floor.capped:
        return f"Su nivel se limita a {floor.tope_nombre} porque no cumple: {gaps}."
    return (
        f"No cumple: {gaps}. Mientras no lo cumpla, su nivel no podrá pasar de {floor.tope_nombre}."
    )


FLOOR_STATES = {
    "si": "Cumple",
    "no": "No cumple",
    "en_tramite": "En trámite",
    "no_corresponde": "No corresponde",
    "sin_respuesta": "Sin respuesta",
}


def _summary_v2(result: ScoreResult, margin: float | None) -> None:
    principal = result.global_
    weakest = next((d for d in result.dimensiones if d.id == result.dimension_mas_debil), None)
    left, right = st.columns(2)
    with left, st.container(border=True, key="nivel", height="stretch"):
        st.caption("Nivel de madurez")
        if principal.puntaje is None:
            st.markdown("### Sin puntaje")
        else:
            mark = " (provisional)" if result.provisional else ""
            st.markdown(f"### Nivel {principal.nivel} · {principal.nivel_nombre}{mark}")
            st.markdown(f"**{principal.nombre}:** {band_text(principal)} de 100 puntos")
            if result.piso_legal is not None and result.piso_legal.capped:
                st.caption(f"Limitado por el piso legal: sin él sería «{level_name(result)}».")
    with right, st.container(border=True, height="stretch"):
        st.caption("Dimensión más débil")
        if weakest is not None and weakest.puntaje is not None:
            st.markdown(f"### {weakest.nombre}")
            st.markdown(
                f"**{charts.fmt_num(weakest.puntaje)}** de 100 puntos · nivel {weakest.nivel} "
                f"({weakest.nivel_nombre})"
            )
        else:
            st.markdown("### Ninguna")
            st.markdown(weakest_sentence(result, margin) or "")
    if result.provisional:
        st.warning(provisional_sentence(result), icon=":material/hourglass_top:")
    _coverage_caption(result)


def _legal_floor(result: ScoreResult) -> None:
    floor = result.piso_legal
    if floor is None:
        return
    st.subheader("Piso legal", divider="gray")
    if floor.cumple:
        st.success(
            "Cumple el piso legal: todas las obligaciones mínimas que le corresponden están al "
            "día, así que su nivel no tiene tope.",
            icon=":material/gavel:",
        )
    else:
        st.error(floor_sentence(floor), icon=":material/gavel:")
        for requirement in floor.gaps:
            with st.container(border=True):
                st.markdown(f"**{requirement.texto}** · {FLOOR_STATES.get(requirement.estado, '')}")
                st.caption(f"Norma: {requirement.norma} · Evidencia: {requirement.evidencia}")
                st.markdown(f"Qué hacer: {requirement.recomendacion}")
    met = [r for r in floor.requisitos if r.met]
    if met:
        with st.expander(f"Requisitos cumplidos o que no le corresponden ({len(met)})"):
            st.markdown(
                "\n".join(
                    f"- {r.texto} ({r.norma.rstrip('. ')}) · {FLOOR_STATES.get(r.estado, '')}"
                    for r in met
                )
            )


def _index_table(result: ScoreResult) -> None:
    st.subheader("Índices y dimensiones", divider="gray")
    st.caption(
        "Cada puntaje va de 0 a 100. La banda va de «No sé» contado como 0 (el puntaje que "
        "vale) a «No sé» contado como el nivel más alto; entre paréntesis, el puntaje sin "
        "contar las respuestas «No sé». El índice principal decide su nivel."
    )
    rows = [
        {
            "Puntaje": i.nombre + (" (principal)" if i.principal else ""),
            "Puntaje y banda": band_text(i),
            "Nivel": f"{i.nivel} · {i.nivel_nombre}" if i.nivel else "—",
        }
        for i in result.indices
    ]
    rows += [
        {
            "Puntaje": f"Dimensión {d.nombre.lower()}",
            "Puntaje y banda": band_text(d),
            "Nivel": f"{d.nivel} · {d.nivel_nombre}" if d.nivel else "—",
        }
        for d in result.dimensiones
    ]
    st.table(pd.DataFrame(rows).set_index("Puntaje"))
    floor = result.piso_legal
    if floor is not None and floor.capped:
        uncapped = level_name(result)
        instead = f" y no «{uncapped}»" if uncapped else ""
        st.caption(
            "El nivel de cada fila es el que da su puntaje por sí solo. Su nivel de madurez es "
            f"«{floor.tope_nombre}»{instead} porque el piso legal lo limita mientras falte una "
            "obligación legal."
        )


def _next_step_v2(result: ScoreResult) -> None:
    if not result.plan:
        _next_step(result)
        return
    top = result.plan[0]
    if top.tipo == "piso_legal":
        head = "**Su siguiente paso** (obligación legal)"
    else:
        head = f"**Su siguiente paso** (hasta {charts.fmt_gain(top.potencial)})"
    st.success(f"{head}: {top.siguiente_paso}  \n*{top.texto}*")


def _plan_v2(result: ScoreResult, track: Track) -> None:
    st.subheader("Plan de acción", divider="gray")
    if not result.plan:
        st.success("No hay acciones pendientes: todas sus prácticas están en el nivel más alto.")
        return
    st.caption(
        "Primero las obligaciones legales que faltan; luego las prácticas que más puntos "
        "sumarían a su índice si llegaran al nivel 4, y cada una dice por qué se propone."
    )
    theme_names = {t.id: t.nombre for t in result.ejes}
    index_names = {i.id: i.nombre for i in result.indices}
    floor = [a for a in result.plan if a.tipo == "piso_legal"]
    practice = [a for a in result.plan if a.tipo != "piso_legal"]
    if floor:
        st.markdown("##### Piso legal")
        for action in floor:
            _action_v2(action, theme_names, index_names, track)
    if practice:
        st.markdown("##### Prácticas")
        for action in practice[:PLAN_SHOWN]:
            _action_v2(action, theme_names, index_names, track)
        rest = practice[PLAN_SHOWN:]
        if rest:
            with st.expander(f"Ver {len(rest)} acciones más"):
                for action in rest:
                    _action_v2(action, theme_names, index_names, track)


def _action_v2(
    action: Action, theme_names: dict[str, str], index_names: dict[str, str], track: Track
) -> None:
    with st.container(border=True, key=f"accion_{action.pregunta_id}"):
        if action.tipo == "piso_legal":
            st.markdown(f"**Obligación legal** · {action.texto}")
        else:
            st.markdown(f"**{charts.fmt_gain(action.potencial)}** · {action.texto}")
        st.markdown(f"Siguiente paso: {action.siguiente_paso}")
        st.markdown(f"*Por qué:* {action.motivo}")
        if action.tipo != "piso_legal":
            where = [theme_names.get(action.eje, action.eje)]
            if action.indice:
                where.append(index_names.get(action.indice, action.indice))
            where.append(f"{charts.fmt_gain(action.ganancia)} al subir un nivel")
            if action.requiere:
                where.append("espera un paso previo")
            st.caption(" · ".join(where))
        track(action)


def sector_comparisons(
    result: ScoreResult, values: dict[str, list[float]] | None
) -> dict[str, SectorComparison]:
    """The comparison within the division of every valid ``comparar_en_sector`` indicator."""
    found: dict[str, SectorComparison] = {}
    for ind in result.indicadores:
        if not ind.comparar_en_sector or not ind.valido:
            continue
        peers = (values or {}).get(ind.id, [])
        module = result.comparison_group(ind.id)
        scope = f"modulo/{module.id}" if module is not None else "division"
        comparison = sector_comparison(ind.id, ind.valor, peers, ind.mejor, scope=scope)
        if comparison is not None:
            found[ind.id] = comparison
    return found


def sector_text(
    ind: IndicatorResult, comparison: SectorComparison | None, division, module=None
) -> str:
    """The comparison of a ``comparar_en_sector`` indicator: within the firm's CIIU division,
    or, for a sector module's indicator, within the firms of the same module and version."""
    if not ind.valido:
        return "—"
    if comparison is None or not comparison.comparable:
        if module is not None:
            return report_content.no_sector_text(module) + " con la misma versión"
        return NO_SECTOR_YET
    better = "más alto" if ind.mejor == "mayor" else "más bajo"
    group = (
        report_content.sector_group(module)
        if module is not None
        else f"empresas de la división {division_text(division) if division else ''}"
    )
    return (
        f"mejor que el {charts.fmt_num(comparison.puntaje, 0)} % de {comparison.n} {group} "
        f"(mediana {charts.fmt_value(comparison.mediana, ind.unidad)}; mejor es {better})"
    )


def reference_lines(ind: IndicatorResult) -> list[str]:
    lines = []
    for ref in ind.referencias:
        pending = " · por confirmar" if ref.get("verificacion") != "verificada" else ""
        source = f" · fuente: {ref['fuente']}" if ref.get("fuente") else ""
        value = charts.fmt_value(float(ref["valor"]), ind.unidad)
        if ref.get("uso") == "contexto":
            lines.append(
                f"- Contexto (no es una comparación con su empresa): {ref['nombre']}, "
                f"{value}{source}{pending}"
            )
        else:
            lines.append(f"- Referencia: {ref['nombre']}, {value}{source}{pending}")
    return lines


def _indicators_v2(result: ScoreResult, sector: dict[str, SectorComparison], division) -> None:
    if not result.indicadores:
        _indicators(result)  # its own heading and the note that Exprés has no indicators
        return
    st.subheader("Indicadores de desempeño", divider="gray")
    group = (
        f"las {report_content.sector_group(result.comparison_group(''))}"
        if result.modulos
        else "empresas de su misma división CIIU"
    )
    st.caption(
        "El desempeño medido se califica aparte de la madurez de prácticas. Las intensidades "
        f"y la productividad solo se comparan con {group} (misma versión del cuestionario), "
        "nunca con una escala fija."
    )
    for ind in result.indicadores:
        if result.module_of_indicator(ind.id) is None:  # module ones: in their own section
            _indicator_box(result, ind, sector, division)


def _indicator_box(
    result: ScoreResult, ind: IndicatorResult, sector: dict[str, SectorComparison], division
) -> None:
    module = result.comparison_group(ind.id)
    with st.container(border=True, key=f"indicador_{ind.id}"):
        value = charts.fmt_value(ind.valor, ind.unidad) if ind.valido else "Sin valor"
        core = " · indicador núcleo" if ind.nucleo else ""
        st.markdown(f"**{ind.nombre}:** {value}{core}")
        st.caption(
            f"Frontera: {BOUNDARY_LABELS.get(ind.frontera, ind.frontera)} · Periodo: "
            f"{ind.periodo} · Calidad del dato: "
            f"{SOURCE_LABELS.get(ind.fuente or '', 'sin dato').lower()}"
        )
        if not ind.valido:
            st.markdown(f"{ind.motivo or 'Sin dato.'}")
        if ind.comparar_en_sector and ind.valido:
            where = "En su módulo" if module is not None else "En su sector"
            text = sector_text(ind, sector.get(ind.id), division, module)
            st.markdown(f"{where}: {text}.")
        lines = reference_lines(ind)
        if lines:
            st.markdown("\n".join(lines))
        comparable = [r for r in ind.referencias if r.get("uso") != "contexto"]
        if comparable and ind.valido:
            _figure(
                charts.indicator_reference_chart(dataclasses.replace(ind, referencias=comparable))
            )


def _modules(result: ScoreResult, sector: dict[str, SectorComparison], division, loaded) -> None:
    """One section per sector module: what it covers, its themes and its indicators."""
    model = loaded.model if loaded is not None else None
    for module in result.modulos:
        st.subheader(f"Módulo sectorial: {module.nombre}", divider="gray")
        st.caption(f"{report_content.module_scope(module)} · versión {module.version}")
        if module.descripcion:
            st.write(module.descripcion)
        info = next((m for m in model.modulos if m.id == module.id), None) if model else None
        names = {t.id: t.nombre for t in result.ejes}
        if info is not None and info.materialidad:
            st.markdown(
                "En su sector pesan más: "
                + "; ".join(
                    f"{names.get(t, t)} (peso × {factor_text(f)})"
                    for t, f in info.materialidad.items()
                )
                + ". Sus prácticas suman a su índice de circularidad como las demás."
            )
        rows = [
            {
                "Eje del módulo": t.nombre,
                "Puntaje (0–100)": charts.fmt_num(t.puntaje) if t.puntaje is not None else "—",
                "Banda por «No sé»": band_text(t),
            }
            for t in result.ejes
            if t.id in module.ejes
        ]
        if rows:
            st.dataframe(
                pd.DataFrame(rows), hide_index=True, width="stretch", key=f"modulo_{module.id}"
            )
        indicators = [i for i in result.indicadores if i.id in module.indicadores]
        if indicators:
            st.markdown("**Indicadores del sector**")
            for ind in indicators:
                _indicator_box(result, ind, sector, division)
        elif result.profundidad == "expres":
            st.caption("Los indicadores del sector se calculan en la evaluación Completa.")


# --- page --------------------------------------------------------------------------------------

account, firm = session.require_firm()
st.title("Resultados de su evaluación")
session.show_flash()  # «¡Evaluación enviada!» from the review page belongs here

assessment_id = _choose_assessment_id(firm.id)
if assessment_id is None:
    st.info("Aún no ha enviado ninguna evaluación. Cuando la envíe, aquí verá sus resultados.")
    st.page_link(session.DASHBOARD_PAGE, label="Ir a Mi panel", icon=":material/dashboard:")
    st.stop()

data = _load(firm.id, assessment_id)
if data is None:
    st.error("No encontramos esa evaluación.")
    st.page_link(session.DASHBOARD_PAGE, label="Volver a Mi panel", icon=":material/dashboard:")
    st.stop()
if data["status"] != "enviada" and (latest := _latest_submitted(firm.id)) is not None:
    # The selected assessment is still a draft: show the latest submitted one instead.
    st.info(
        "Su evaluación en curso aún no tiene resultados; abajo ve los de su última evaluación "
        "enviada.",
        icon=":material/info:",
    )
    st.page_link(
        FILL_PAGE,
        label="Continuar la evaluación en curso",
        icon=":material/edit_note:",
        query_params={session.ASSESSMENT_PARAM: str(assessment_id)},
    )
    assessment_id = latest
    data = _load(firm.id, assessment_id)
if data["status"] != "enviada":
    st.info(
        "Esta evaluación todavía está en curso: verá sus resultados cuando la envíe desde "
        "«Revisión y envío»."
    )
    st.page_link(
        FILL_PAGE,
        label="Continuar la evaluación",
        icon=":material/edit_note:",
        query_params={session.ASSESSMENT_PARAM: str(assessment_id)},
    )
    st.stop()

result, origin = _result(data)
if result is None:
    st.error(
        "No pudimos mostrar el resultado de esta evaluación: falta el detalle guardado y el "
        "cuestionario con el que se respondió ya no está disponible. Escriba a SNI."
    )
    st.stop()

# The version this assessment was answered with (archived if the file has changed since).
loaded = db.questionnaire_for_hash(data["questionnaire_hash"])
levels = [(lv.nombre, float(lv.desde)) for lv in loaded.model.niveles] if loaded else None

depth_label = widgets.DEPTH_LABELS.get(data["depth"], data["depth"])
st.caption(
    f"{widgets.plain(firm.razon_social)} · Evaluación {depth_label} "
    f"enviada el {widgets.date_es(data['submitted_at'])}"
)
group, peers = _peers(result, data, firm.id)
follows = data["follow_ups"]
previous = _previous(data)


def _track(action: Action) -> None:
    follow = plan_progress.for_plan(follows.get(action.pregunta_id), data["submitted_at"])
    plan_progress.follow_up_form(action, follow, firm.id, account.id, assessment_id)


# First things first (issue 10): level, band, next step, downloads and the plan; the detail
# below in tabs, so a phone reaches the plan within a few screens.
v2 = is_v2(result)
if v2:
    margin = loaded.model.margen_dimension_debil if loaded is not None else None
    division = data.get("ciiu_division") or firm.ciiu_division
    sector = sector_comparisons(
        result,
        _sector_values(result, data, firm.id, int(division)),
    )
    _summary_v2(result, margin)
    _next_step_v2(result)
else:
    division = None
    sector = {}
    _summary(result)
    _next_step(result)
_downloads(result, firm, data, peers, loaded, sector)
plan_progress.show_movements(
    previous, result, plan_progress.done_before(follows, data["submitted_at"])
)
if v2:
    _plan_v2(result, _track)
else:
    _plan(result, _track)

st.subheader("Detalle de su resultado", divider="gray")
level_tab, scores_tab, peers_tab, indicators_tab, history_tab, gaps_tab = st.tabs(TABS)
with level_tab:
    _level_meaning(result, loaded)
    if v2:
        _legal_floor(result)
        _index_table(result)
with scores_tab:
    _scores(result, peers, levels)
with peers_tab:
    _peer_section(result, group, peers)
with indicators_tab:
    if v2:
        _modules(result, sector, division, loaded)
        _indicators_v2(result, sector, division)
    else:
        _indicators(result)
with history_tab:
    _history(data, levels)
    answer_changes.show_changes(firm.id, assessment_id)  # issue 10: antes → ahora per question
with gaps_tab:
    _gaps(result)

st.divider()
how = (
    "Resultado calculado y guardado al enviar la evaluación"
    if origin == "guardado"
    else "Resultado recalculado a partir de sus respuestas guardadas, con el mismo cuestionario"
)
st.caption(
    f"{how}. Cuestionario «{result.cuestionario_id}» versión {result.cuestionario_version}, "
    f"huella {result.cuestionario_hash[:12]}: con estos datos cualquier puntaje se puede "
    "reproducir a mano con el método publicado."
)
st.page_link(session.DASHBOARD_PAGE, label="Volver a Mi panel", icon=":material/dashboard:")
