"""Results of one submitted assessment: level, scores, peers, indicators, action plan, history.

Everything firm-specific is read through storage with the logged-in firm's id on every run; only
the anonymous peer table (other consenting firms' scores) is cached.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from scoring import schema
from scoring.peers import NOT_ENOUGH, peer_group, peer_stats
from scoring.result import (
    Action,
    ScoreResult,
    score_assessment,
)
from storage.assessments import get_assessment, get_result, list_assessments, load_answers
from storage.peers import peer_scores
from ui import charts, db, session, widgets
from ui.report_downloads import download_buttons, report_context

FILL_PAGE = "ui/pages/fill.py"
PLAN_SHOWN_PER_ROUTE = 3
# Peer score column -> key of the score in the result (global, dimension ids, route ids).
PEER_KEYS = {
    "overall": "global",
    "economica": "economica",
    "social": "social",
    "ambiental": "ambiental",
    "r1": "R1",
    "r2": "R2",
    "r3": "R3",
}
SOURCE_LABELS = {"medido": "Medido", "estimado": "Estimado", "no_se": "No sé"}


# --- data --------------------------------------------------------------------------------------


@st.cache_data(ttl=300, max_entries=500, show_spinner=False)
def _peer_table(questionnaire_id: str, depth: str, exclude_firm_id: int) -> pd.DataFrame:
    """Anonymous scores of the other consenting firms (no ids or names), five minutes old at most.

    The firm id is part of the key only to leave that firm out of its own comparison.
    """
    with db.session() as database:
        return peer_scores(database, questionnaire_id, depth, exclude_firm_id=exclude_firm_id)


def _latest_submitted(firm_id: int) -> int | None:
    with db.session() as database:
        submitted = [a for a in list_assessments(database, firm_id) if a.status == "enviada"]
    return submitted[0].id if submitted else None


def _choose_assessment_id(firm_id: int) -> int | None:
    chosen = session.selected_assessment_id()
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
        history = []
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
        data["history"] = history
    return data


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
    return score_assessment(compiled, data["answers"], data["sources"]), "recalculado"


def _peers(result: ScoreResult, data: dict[str, Any], firm_id: int):
    """(group, peers mapping in the ReportContext shape) or (None, None)."""
    table = _peer_table(data["questionnaire_id"], data["depth"], firm_id)
    group = peer_group(table, data.get("ciiu_division"), data.get("size_class"))
    if group is None:
        return None, None
    stats = peer_stats(group.frame, [*PEER_KEYS, "performance"])
    mapping: dict[str, Any] = {"group_label": group.label}
    for column, key in PEER_KEYS.items():
        stat = stats.get(column)
        mapping[key] = stat.as_dict() if stat else None
    perf = stats.get("performance")
    mapping["desempeno"] = perf.as_dict() if perf else None
    return group, mapping


def _lima_date(value: dt.datetime | None) -> dt.date | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(widgets.LIMA).date()


# --- sections ----------------------------------------------------------------------------------


def _figure(figure: charts.Figure) -> None:
    # theme=None: the charts carry their own type sizes, chosen to stay readable at 390 px.
    st.altair_chart(figure.chart, width="stretch" if figure.stretch else "content", theme=None)
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


def _plan(result: ScoreResult) -> None:
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
            _action(action, theme_names)
        rest = actions[PLAN_SHOWN_PER_ROUTE:]
        if rest:
            with st.expander(f"Ver {len(rest)} acciones más de {route}"):
                for action in rest:
                    _action(action, theme_names)


def _action(action: Action, theme_names: dict[str, str]) -> None:
    with st.container(border=True):
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
    history = pd.DataFrame(
        [
            {"fecha": _lima_date(row["fecha"]), "puntaje": row["puntaje"]}
            for row in data["history"]
            if row["fecha"] is not None
        ],
        columns=["fecha", "puntaje"],
    )
    _figure(charts.history_chart(history, levels))


def _downloads(result: ScoreResult, firm, assessment: dict[str, Any], peers, loaded) -> None:
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
        assessment["answers"],
        assessment["sources"],
        peers,
    )
    st.subheader("Descargar", divider="gray")
    stem = f"brujula_{firm.ruc}_evaluacion_{assessment['id']}"
    download_buttons(result, context, stem, key=f"descarga_{assessment['id']}")


# --- page --------------------------------------------------------------------------------------

account, firm = session.require_firm()
st.title("Resultados de su evaluación")

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
_summary(result)
_next_step(result)
_level_meaning(result, loaded)

group, peers = _peers(result, data, firm.id)
_scores(result, peers, levels)
_peer_section(result, group, peers)
_indicators(result)
_plan(result)
_gaps(result)
_history(data, levels)
_downloads(result, firm, data, peers, loaded)

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
