"""Fill an assessment page by page (a short dimension or one theme); every change is saved."""

from __future__ import annotations

import streamlit as st

from storage.assessments import AssessmentLocked, AssessmentNotFound, save_answers
from ui import db, session, widgets
from ui.assessment import load_assessment_or_stop, show_read_only
from ui.formstate import form_pages, progress, section_index, section_statuses

REVIEW_PAGE = "ui/pages/review.py"

account, firm = session.require_firm()
st.title("Llenar evaluación")
view = load_assessment_or_stop(firm.id)
aid = view.id
compiled = view.compiled
sections = form_pages(compiled)

depth_label = widgets.DEPTH_LABELS[view.depth]
st.caption(f"Evaluación {depth_label} · iniciada el {widgets.date_es(view.created_at)}")

if view.status != "borrador":
    st.success(
        "Esta evaluación ya fue enviada: sus respuestas se muestran como registro y no se "
        "pueden cambiar. Para medir su avance más adelante, inicie una nueva evaluación "
        "desde Mi panel."
    )
    st.page_link(session.DASHBOARD_PAGE, label="Ir a Mi panel", icon=":material/dashboard:")
    show_read_only(view)
    st.stop()

section_key = f"section_{aid}"
if section_key not in st.session_state:
    st.session_state[section_key] = section_index(compiled, view.current_section)
current = min(max(int(st.session_state[section_key]), 0), len(sections) - 1)
page = sections[current]
questions = page.questions

# Saved answers fill the widgets the first time they are drawn; after that the widgets hold
# whatever the user typed, even if saving fails.
for question in questions:
    widgets.prefill(aid, question, view.answers.get(question.id), view.sources.get(question.id))
inputs = {q.id: widgets.read_input(aid, q) for q in questions}
answers = dict(view.answers)
sources = dict(view.sources)
for qid, given in inputs.items():
    if given.error:
        continue  # keep the saved value until the typed text is valid
    answers[qid] = given.value
    if given.source:
        sources[qid] = given.source
    else:
        sources.pop(qid, None)
statuses = section_statuses(compiled, answers, sources)
answered, applicable = progress(statuses)


def _changes() -> tuple[dict[str, object], dict[str, str]]:
    """This section's valid answers that differ from the database."""
    changed: dict[str, object] = {}
    changed_sources: dict[str, str] = {}
    for qid, given in inputs.items():
        if given.error:
            continue
        if given.value != view.answers.get(qid) or given.source != view.sources.get(qid):
            changed[qid] = given.value
            if given.source:
                changed_sources[qid] = given.source
    return changed, changed_sources


def _save(section_id: str) -> bool:
    """Save this section's valid answers and where to resume; False (with a message) on error."""
    changed, changed_sources = _changes()
    try:
        with db.session() as database:
            save_answers(
                database, aid, firm.id, changed, changed_sources, current_section=section_id
            )
    except AssessmentLocked as exc:
        st.error(str(exc))
        return False
    except AssessmentNotFound:
        st.error("No encontramos esa evaluación.")
        return False
    except Exception:
        st.error(
            "No pudimos guardar sus respuestas en este momento. Lo que escribió sigue en "
            "pantalla: espere unos segundos y vuelva a intentarlo."
        )
        return False
    for qid, value in changed.items():
        if value is None:
            view.answers.pop(qid, None)
        else:
            view.answers[qid] = value
        if qid in changed_sources:
            view.sources[qid] = changed_sources[qid]
        else:
            view.sources.pop(qid, None)
    return True


# Autosave: whatever changed in this section is stored right away, so a reload, a closed tab
# or a server restart loses nothing.
if _changes()[0]:
    _save(page.id)

with st.container(key="avance"):
    st.progress(
        answered / applicable if applicable else 0.0,
        text=f"Avance: {answered} de {applicable} preguntas respondidas",
    )
target: int | None = None
with st.expander(f"Sección {current + 1} de {len(sections)} · ver todas las secciones"):
    for status in statuses:
        mark = "✓" if status.complete else "○"
        here = " (aquí)" if status.index == current else ""
        if st.button(
            f"{mark} {status.label}{here}",
            key=f"goto_{aid}_{status.index}",
            disabled=status.index == current,
            width="stretch",
        ):
            target = status.index

st.subheader(page.title, anchor=False)
if page.title != page.dimension:
    st.caption(f"Dimensión {page.dimension}")
if any(q.tipo == "practica" for q in page.questions):
    st.caption(
        "En cada pregunta elija la frase que mejor describe a su empresa hoy. Las frases van "
        "de la práctica menos avanzada a la más avanzada. Cada respuesta se guarda al instante."
    )

errors = {qid: given.error for qid, given in inputs.items() if given.error}
visible_ids = {q.id for q in statuses[current].visible}
if not visible_ids:
    st.info("Según sus respuestas anteriores, esta sección no tiene preguntas para su empresa.")
number = 0
for theme, theme_questions in page.parts:
    shown = [q for q in theme_questions if q.id in visible_ids]
    if not shown:
        continue
    if len(page.parts) > 1:
        st.markdown(f"##### {theme.nombre}", unsafe_allow_html=False)
    if theme.descripcion:
        st.caption(theme.descripcion)
    for question in shown:
        number += 1
        widgets.draw_question(aid, question, number, errors.get(question.id))

missing_here = statuses[current].missing_required
if missing_here:
    st.caption(
        f"Faltan {len(missing_here)} preguntas obligatorias en esta sección. Puede seguir y "
        "volver después: todo queda guardado."
    )

last = current == len(sections) - 1
left, right = st.columns(2)
back = left.button(
    "Anterior",
    key=f"back_{aid}",
    disabled=current == 0,
    width="stretch",
    icon=":material/arrow_back:",
)
forward = right.button(
    "Guardar e ir a revisión" if last else "Guardar y continuar",
    key=f"next_{aid}",
    type="primary",
    width="stretch",
    icon=":material/arrow_forward:",
)
if back:
    target = current - 1
elif forward:
    target = len(sections) if last else current + 1

if target is not None:
    if errors:
        st.error("Corrija los datos marcados en rojo antes de cambiar de sección.")
        st.stop()
    next_id = sections[min(target, len(sections) - 1)].id
    if _save(next_id):
        if target >= len(sections):
            st.switch_page(REVIEW_PAGE, query_params={session.ASSESSMENT_PARAM: str(aid)})
        st.session_state[section_key] = target
        st.rerun()
