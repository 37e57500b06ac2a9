"""Follow-up of the action plan on screen: per action (responsable, fecha meta, estado) on the
results page, what the done actions moved at re-assessment, and the progress block of Mi panel.

Reads and writes go through ``storage.plan_tracking`` with the logged-in firm's id; the rules
(states, checks, progress, score changes) are in ``scoring.plan_follow``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

import streamlit as st

from scoring import plan_follow
from scoring.numbers import format_date_es
from scoring.result import Action, ScoreResult
from storage.assessments import get_result, list_assessments
from storage.plan_tracking import FollowUp, follow_ups, save_follow_up
from ui import db, widgets

log = logging.getLogger(__name__)


def _today() -> dt.date:
    return dt.datetime.now(widgets.LIMA).date()


def for_plan(follow: FollowUp | None, submitted_at: dt.datetime | None) -> FollowUp | None:
    """The follow-up of an action as it stands for the plan of a result submitted at
    ``submitted_at``: «hecho» before then was the previous step (``done_in_earlier_plan``)."""
    if follow is not None and plan_follow.done_in_earlier_plan(
        follow.status, follow.done_at, submitted_at
    ):
        return None
    return follow


def _summary(follow: FollowUp | None) -> str:
    """ "En curso · Ana Pérez · meta: 15 de marzo de 2027" for the expander's label."""
    if follow is None:
        return plan_follow.STATUS_LABELS["pendiente"]
    parts = [plan_follow.STATUS_LABELS.get(follow.status, follow.status)]
    if follow.owner:
        parts.append(widgets.plain(follow.owner))  # typed by the firm: shown as plain text
    if follow.target_date:
        parts.append(f"meta: {format_date_es(follow.target_date)}")
    return " · ".join(parts)


def follow_up_form(
    action: Action, follow: FollowUp | None, firm_id: int, account_id: int, assessment_id: int
) -> None:
    """Responsable, fecha meta and estado of one action, saved with an audit entry."""
    key = f"seguimiento_{action.pregunta_id}"
    saved = st.session_state.get(f"{key}_guardado")
    with st.expander(f"Seguimiento: {_summary(follow)}", expanded=bool(saved)):
        with st.form(key, border=False):
            owner = st.text_input(
                "Responsable",
                value=follow.owner if follow and follow.owner else "",
                max_chars=plan_follow.OWNER_MAX,
                placeholder="Nombre o cargo, por ejemplo: Jefa de planta",
                key=f"{key}_responsable",
            )
            today = _today()
            target = st.date_input(
                "Fecha meta (día/mes/año)",
                value=follow.target_date if follow else None,
                min_value=plan_follow.EARLIEST_TARGET,
                max_value=today.replace(year=today.year + plan_follow.LATEST_YEARS, day=1),
                format="DD/MM/YYYY",
                key=f"{key}_fecha",
            )
            status = st.radio(
                "Estado",
                plan_follow.STATUSES,
                index=plan_follow.STATUSES.index(follow.status) if follow else 0,
                format_func=plan_follow.STATUS_LABELS.get,
                horizontal=True,
                key=f"{key}_estado",
            )
            submitted = st.form_submit_button("Guardar seguimiento", icon=":material/save:")
        if target:
            st.caption(f"Fecha meta: {format_date_es(target)}")
        if submitted:
            _save(action, firm_id, account_id, assessment_id, owner, target, status, key)
        elif saved:
            st.success(saved, icon=":material/check_circle:")
            del st.session_state[f"{key}_guardado"]


def _save(action, firm_id, account_id, assessment_id, owner, target, status, key) -> None:
    try:
        clean = plan_follow.clean_owner(owner)
        date = plan_follow.check_target(target, _today())
    except ValueError as problem:
        st.error(str(problem))  # what was typed stays in the form
        return
    try:
        db.write(
            lambda database: save_follow_up(
                database,
                firm_id,
                account_id,
                assessment_id,
                action.pregunta_id,
                action.texto,
                clean,
                date,
                status,
            )
        )
    except LookupError:
        st.error("No encontramos esta evaluación entre las de su empresa.")
        return
    except Exception:
        log.exception("plan follow-up could not be saved")
        st.error(
            "No pudimos guardar el seguimiento en este momento; lo que escribió sigue en el "
            "formulario: vuelva a intentarlo en unos minutos."
        )
        return
    st.session_state[f"{key}_guardado"] = "Seguimiento guardado."
    st.rerun()


def done_before(follows: Mapping[str, FollowUp], moment: dt.datetime | None) -> list[str]:
    """Actions marked «hecho» before ``moment`` (the submission of the result shown)."""
    if moment is None:
        return []
    return [
        qid
        for qid, f in follows.items()
        if f.status == "hecho" and f.done_at is not None and f.done_at <= moment
    ]


def show_movements(previous: ScoreResult | None, current: ScoreResult, done: list[str]) -> None:
    """At re-assessment: which actions marked «hecho» moved which scores."""
    if previous is None or not done:
        return
    movements = plan_follow.moved_scores(previous, current, done)
    if not movements:
        return
    moved = sum(m.moved for m in movements)
    with st.container(border=True, key="acciones_hechas"):
        st.markdown(
            f"**Sus acciones hechas desde la evaluación anterior** · {moved} de "
            f"{len(movements)} movieron sus puntajes"
        )
        st.markdown("\n".join(f"- {plan_follow.movement_sentence(m)}" for m in movements))


# --- Mi panel ----------------------------------------------------------------------------------


def _latest_plan(
    firm_id: int,
) -> tuple[int | None, dt.datetime | None, list[str], dict[str, str]]:
    """The latest submitted assessment, its submission time, its plan's action ids and texts."""
    with db.session() as database:
        latest = next(
            (a for a in list_assessments(database, firm_id) if a.status == "enviada"), None
        )
        if latest is None:
            return None, None, [], {}
        stored = get_result(database, latest.id, firm_id)
        plan = list((stored.detail_json or {}).get("plan") or []) if stored else []
    ids = [str(a["pregunta_id"]) for a in plan if isinstance(a, Mapping) and a.get("pregunta_id")]
    texts = {str(a["pregunta_id"]): str(a.get("texto", "")) for a in plan if a.get("pregunta_id")}
    return latest.id, latest.submitted_at, ids, texts


def show(firm_id: int) -> None:
    """Mi panel: how far the plan of the latest result has come, and the next target dates."""
    assessment_id, submitted_at, plan_ids, texts = _latest_plan(firm_id)
    if assessment_id is None or not plan_ids:
        return
    with db.session() as database:
        stored = follow_ups(database, firm_id)
    follows = {
        qid: current
        for qid, follow in stored.items()
        if (current := for_plan(follow, submitted_at)) is not None
    }
    statuses = {qid: f.status for qid, f in follows.items()}
    counts = plan_follow.progress(plan_ids, statuses)
    with st.container(border=True, key="avance_plan"):
        st.markdown("#### Avance de su plan de acción")
        st.progress(
            counts.share_done,
            text=(
                f"{counts.hecho} de {counts.total} acciones hechas · {counts.en_curso} en curso "
                f"· {counts.pendiente} pendientes"
            ),
        )
        today = _today()
        upcoming = sorted(
            (f for qid, f in follows.items() if qid in texts and f.status != "hecho"),
            key=lambda f: (f.target_date is None, f.target_date or today),
        )
        lines = []
        for f in upcoming[:3]:
            if f.target_date is None:
                continue
            late = " (vencida)" if f.target_date < today else ""
            who = f" · {widgets.plain(f.owner)}" if f.owner else ""
            lines.append(
                f"- {format_date_es(f.target_date)}{late}: {widgets.plain(texts[f.question_id])}"
                f"{who}"
            )
        if lines:
            st.markdown("Próximas fechas meta:\n" + "\n".join(lines))
        else:
            st.caption(
                "Asigne un responsable y una fecha meta a cada acción en «Resultados» → "
                "«Plan de acción»."
            )
