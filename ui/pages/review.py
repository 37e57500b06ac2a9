"""Review before sending: what is still missing, then submit (answers become read-only)."""

from __future__ import annotations

import streamlit as st

from scoring import score_assessment
from storage import audit
from storage.assessments import AssessmentLocked, answer_authors, result_summary, submit
from storage.results_table import store_result_vector
from ui import db, session, widgets
from ui.assessment import AssessmentView, answer_lines, load_assessment_or_stop
from ui.formstate import missing_required, progress, section_statuses

FILL_PAGE = "ui/pages/fill.py"
RESULTS_PAGE = "ui/pages/results.py"

account, firm = session.require_firm()
st.title("Revisión y envío")
view = load_assessment_or_stop(firm.id, draft_first=True)
aid = view.id
params = {session.ASSESSMENT_PARAM: str(aid)}


def _after_submit_page() -> str:
    return RESULTS_PAGE if (session.PAGES_DIR / "results.py").exists() else session.DASHBOARD_PAGE


depth_label = widgets.DEPTH_LABELS[view.depth]
st.caption(f"Evaluación {depth_label} · iniciada el {widgets.date_es(view.created_at)}")

if view.status != "borrador":
    st.success(f"Esta evaluación ya fue enviada el {widgets.date_es(view.submitted_at)}.")
    if st.button("Ver resultados", key="review_results", type="primary"):
        st.switch_page(_after_submit_page(), query_params=params)
    st.stop()

statuses = section_statuses(view.compiled, view.answers, view.sources, view.reasons)
answered, applicable = progress(statuses)
st.progress(
    answered / applicable if applicable else 0.0,
    text=f"Avance: {answered} de {applicable} preguntas respondidas",
)

pending = missing_required(statuses)
dont_know = [qid for qid, value in view.answers.items() if value == "no_se"]

floor_id = view.compiled.model.piso_legal.id if view.compiled.model.piso_legal else None
if pending:
    total = sum(len(s.missing_required) for s in pending)
    reasons_missing = sum(len(s.missing_reasons) for s in pending)
    if total:
        st.warning(
            (
                "Falta 1 pregunta obligatoria. Respóndala"
                if total == 1
                else f"Faltan {total} preguntas obligatorias. Respóndalas"
            )
            + " para poder enviar la evaluación."
        )
    if any(s.id == floor_id and s.missing_required for s in pending):
        st.warning(
            "Responda todos los requisitos del piso legal: sin ellos no podemos saber si su "
            "nivel tiene tope.",
            icon=":material/gavel:",
        )
    if reasons_missing:
        st.warning(
            f"Falta el motivo de {reasons_missing} respuestas «No aplica». Escriba en una línea "
            "por qué no aplica a su empresa: sin motivo cuenta como pregunta sin responder."
        )
    st.caption("Las secciones con algo pendiente están abiertas abajo, marcadas con ○.")
else:
    st.success("Todas las preguntas obligatorias tienen respuesta.", icon=":material/done_all:")

carried_left = [q for s in statuses for q in s.visible if q.id in view.carried]
if carried_left:
    count = len(carried_left)
    st.info(
        (
            "1 respuesta traída de antes (de su evaluación anterior o de su registro) sigue "
            "sin confirmar"
            if count == 1
            else f"{count} respuestas traídas de antes (de su evaluación anterior o de su "
            "registro) siguen sin confirmar"
        )
        + " (marcadas abajo). Revíselas: puede enviar igual, y se enviarán tal como están.",
        icon=":material/history:",
    )

if dont_know:
    st.info(
        f"Respondió «No sé» en {widgets.count_es(len(dont_know), 'pregunta', 'preguntas')}. "
        "Cuentan como 0 puntos y aparecerán "
        "en su informe como datos por completar."
    )


st.subheader("Sus respuestas por sección", anchor=False)
with db.session() as database:
    authors = answer_authors(database, aid, firm.id)
for status in statuses:
    if not status.visible and not status.by_profile:
        continue
    open_here = bool(
        status.missing_required
        or status.missing_reasons
        or any(q.id in view.carried for q in status.visible)
    )
    mark = "✓" if status.complete else "○"
    with st.expander(f"{mark} {status.label}", expanded=open_here):
        missing = {q.id for q in status.missing_required}
        no_reason = {q.id for q in status.missing_reasons}
        for number, question in enumerate(status.visible, start=1):
            lines = answer_lines(view, question, authors.get(question.id))
            if question.id in missing:
                lines[0] = ":red[**Falta responder** (obligatoria)]"
            if question.id in no_reason:
                lines[0] += " — falta el motivo de «No aplica»"
            st.markdown(f"**{number}. {question.texto}**  \n" + "  \n".join(lines))
        for question in status.by_profile:
            st.markdown(f"**{question.texto}**  \n{widgets.PROFILE_NA_LABEL}")
        if st.button(
            "Ir a esta sección", key=f"review_goto_{status.index}", icon=":material/edit:"
        ):
            st.session_state[f"section_{aid}"] = status.index
            st.session_state[f"scroll_{aid}"] = True
            st.switch_page(FILL_PAGE, query_params=params)


CONFIRM_KEY = f"confirm_submit_{aid}"


def _close_dialog() -> None:
    st.session_state[CONFIRM_KEY] = False


# The open/closed state lives in session state so the dialog survives full reruns.
@st.dialog("¿Enviar la evaluación?", on_dismiss=_close_dialog)
def confirm(view: AssessmentView) -> None:
    st.write(
        "Al enviarla calcularemos su resultado y sus respuestas quedarán como registro: ya no "
        "podrá cambiarlas. Para medir su avance más adelante, podrá iniciar una nueva "
        "evaluación."
    )
    yes, no = st.columns(2)
    if no.button("Volver", key="submit_cancel", width="stretch"):
        _close_dialog()
        st.rerun()
    if yes.button("Sí, enviar", key="submit_confirm", type="primary", width="stretch"):
        # view.compiled is the version the assessment was started with (ui.assessment).
        result = score_assessment(view.compiled, view.scoring_answers(), view.sources)

        def work(database) -> None:
            submit(database, view.id, firm.id, result_summary(result))
            store_result_vector(database, view.id, view.compiled, result)
            audit.record(database, account.id, "evaluacion_enviada", str(view.id))

        try:
            db.write(work)
        except AssessmentLocked:
            st.info("Esta evaluación ya había sido enviada.")
        except Exception:
            st.error(
                "No pudimos enviar la evaluación en este momento. Sus respuestas siguen "
                "guardadas: vuelva a intentarlo en unos minutos."
            )
            st.stop()
        _close_dialog()
        session.flash("¡Evaluación enviada! Este es su resultado.")
        st.switch_page(_after_submit_page(), query_params=params)


st.divider()
if st.button(
    "Enviar evaluación",
    key="submit_open",
    type="primary",
    icon=":material/send:",
    disabled=bool(pending),
    width="stretch",
):
    st.session_state[CONFIRM_KEY] = True
if st.session_state.get(CONFIRM_KEY) and not pending:
    confirm(view)
if pending:
    st.caption(
        "El botón se activa cuando no falten preguntas obligatorias ni motivos de «No aplica»."
    )
if st.button("Volver al formulario", key="review_back", icon=":material/arrow_back:"):
    st.switch_page(FILL_PAGE, query_params=params)
