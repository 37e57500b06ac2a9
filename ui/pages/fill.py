"""Fill an assessment page by page (a short dimension or one theme); every change is saved."""

from __future__ import annotations

import logging

import streamlit as st

from scoring import schema
from storage.assessments import (
    AssessmentLocked,
    AssessmentNotFound,
    confirm_carried,
    earlier_answers,
    save_answers,
)
from storage.db import DatabaseBusy
from ui import db, session, widgets
from ui.assessment import load_assessment_or_stop, remember_saved, show_read_only
from ui.formstate import (
    CHANGED,
    FILL,
    form_pages,
    no_corresponde_allowed,
    progress,
    section_index,
    section_statuses,
    widget_sync,
)
from ui.widgets import SectionInput

log = logging.getLogger(__name__)
REVIEW_PAGE = "ui/pages/review.py"
# Open the section at its heading, focused, after «Guardar y continuar», «Anterior» or a jump
# from the list of sections or from the review. Waits for the run to end (the old section's
# elements are gone by then) and for this section's heading; gives up after about 5 seconds.
_OPEN_AT_HEADING = """
<script>
(function () {
  var tries = 0;
  function go() {
    var app = document.querySelector('[data-testid="stApp"]');
    var heading = document.querySelector('.st-key-seccion_titulo_%d h3');
    var running = !app || app.getAttribute('data-test-script-state') === 'running';
    if ((running || !heading) && tries++ < 100) { setTimeout(go, 50); return; }
    if (!heading) { return; }
    heading.setAttribute('tabindex', '-1');
    heading.style.scrollMarginTop = '7.5rem';
    heading.scrollIntoView({block: 'start'});
    heading.focus({preventScroll: true});
  }
  go();
})();
</script>
"""

account, firm = session.require_firm()
st.title("Llenar evaluación")
view = load_assessment_or_stop(firm.id, draft_first=True)
aid = view.id
# A section chosen in the list of sections (taken now, so that a run that stops early never
# leaves it for a later visit).
GOTO_KEY, GOTO_REQUEST = f"goto_{aid}", f"goto_request_{aid}"
chosen_section = st.session_state.pop(GOTO_REQUEST, None)
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
SCROLL_KEY = f"scroll_{aid}"
if section_key not in st.session_state:
    st.session_state[section_key] = section_index(compiled, view.current_section)
current = min(max(int(st.session_state[section_key]), 0), len(sections) - 1)

# Only what this session changed is saved (the firm may have the form open in two tabs, or on
# two replicas). ``drawn`` keeps, per question, the widget values this session put in or saved:
# a widget still showing them was not touched, so it takes whatever the database holds now
# (another tab's answer appears on the next rerun); a widget that differs was changed here and
# is saved. Typed text stays on screen even when it cannot be saved yet.
drawn: dict[str, dict[str, object]] = st.session_state.setdefault(f"drawn_{aid}", {})


def _prepare(index: int) -> SectionInput:
    """Section ``index`` as its widgets hold it now (stored answers put into the widgets this
    session did not touch)."""
    here = SectionInput(index, sections[index])
    questions = here.page.questions
    for question in questions:
        saved = view.answers.get(question.id)
        if question.dato_registro == "tamano_empresa" and saved is None:
            # Filled from the firm's registration (read-only in the form) and saved with the
            # first run; kept once saved, as a new size class applies from the next assessment.
            saved = firm.size_class
            here.registry_fill.add(question.id)
        stored = widgets.stored_widget_state(
            question, saved, view.sources.get(question.id), view.reasons.get(question.id)
        )
        here.stored_state[question.id] = stored
        shown = widgets.current_widget_state(aid, question, list(stored))
        if widget_sync(shown, drawn.get(question.id), stored) == FILL:
            widgets.set_widget_state(aid, question, stored)
            drawn[question.id] = stored
            shown = dict(stored)
        here.current_state[question.id] = shown
    here.inputs = {q.id: widgets.read_input(aid, q) for q in questions}
    here.answers, here.sources, here.reasons = (
        dict(view.answers),
        dict(view.sources),
        dict(view.reasons),
    )
    for qid, given in here.inputs.items():
        if given.error:
            continue  # keep the saved value until the typed text is valid
        here.answers[qid] = given.value
        if given.source:
            here.sources[qid] = given.source
        else:
            here.sources.pop(qid, None)
        if given.reason:
            here.reasons[qid] = given.reason
        elif given.note:
            here.reasons[qid] = given.note
        else:
            here.reasons.pop(qid, None)
    # A legal-floor «No corresponde» the profile does not allow (any more) is not an answer.
    for question in questions:
        if isinstance(question, schema.RequirementQuestion):
            allowed = no_corresponde_allowed(compiled, question, here.answers)
            here.offer_no_corresponde[question.id] = allowed
            if not allowed and here.inputs[question.id].value == "no_corresponde":
                st.session_state[widgets.widget_key(aid, question.id)] = None
                here.inputs[question.id] = widgets.QuestionInput(None)
                here.answers[question.id] = None
                here.current_state[question.id] = widgets.current_widget_state(
                    aid, question, list(here.stored_state[question.id])
                )
    return here


def _touched(here: SectionInput) -> dict[str, dict[str, object]]:
    """The widget values of the questions this session changed since it drew or saved them."""
    found = {}
    for question in here.page.questions:
        shown = here.current_state[question.id]
        if question.id in here.registry_fill or (
            widget_sync(shown, drawn.get(question.id), here.stored_state[question.id]) == CHANGED
        ):
            found[question.id] = shown or {}
    return found


def _changes(here: SectionInput) -> tuple[dict[str, object], dict[str, str]]:
    """This section's valid answers that this session changed and the database lacks."""
    changed: dict[str, object] = {}
    changed_sources: dict[str, str] = {}
    for qid, shown in _touched(here).items():
        given = here.inputs[qid]
        if given.error:
            continue
        if (
            given.value != view.answers.get(qid)
            or given.source != view.sources.get(qid)
            or given.comment != view.reasons.get(qid)
        ):
            changed[qid] = given.value
            if given.source:
                changed_sources[qid] = given.source
        else:  # already stored (the other tab gave the same answer): nothing to write
            drawn[qid] = {**drawn.get(qid, {}), **shown}
    return changed, changed_sources


def _save(here: SectionInput, section_id: str) -> bool:
    """Save what this session changed in the section and where to resume; False (with a
    message, the typed values still on screen) on error."""
    touched = _touched(here)
    changed, changed_sources = _changes(here)
    changed_reasons = {qid: here.inputs[qid].comment for qid in changed if here.inputs[qid].comment}
    try:
        saved = db.write(
            lambda database: save_answers(
                database,
                aid,
                firm.id,
                changed,
                changed_sources,
                current_section=section_id,
                comments=changed_reasons,
                answered_by=account.id,
            )
        )
    except AssessmentLocked as exc:
        st.error(str(exc))
        return False
    except AssessmentNotFound:
        st.error("No encontramos esa evaluación.")
        return False
    except DatabaseBusy as exc:
        st.warning(str(exc), icon=":material/hourglass_top:")
        return False
    except Exception:
        log.exception("could not save the answers of assessment %s", aid)
        st.error(
            "No pudimos guardar sus respuestas en este momento. Lo que escribió sigue en "
            "pantalla: espere unos segundos y vuelva a intentarlo."
        )
        return False
    for qid, value in changed.items():
        drawn[qid] = {**drawn.get(qid, {}), **touched[qid]}  # saved: no longer a change
        here.registry_fill.discard(qid)
        view.carried.discard(qid)  # touched: confirmed
        if value is None:
            view.answers.pop(qid, None)
        else:
            view.answers[qid] = value
        if qid in changed_sources:
            view.sources[qid] = changed_sources[qid]
        else:
            view.sources.pop(qid, None)
        if qid in changed_reasons:
            view.reasons[qid] = changed_reasons[qid]
        else:
            view.reasons.pop(qid, None)
    remember_saved(view, firm.id, saved)
    return True


def _section_chosen(value: object, count: int) -> int | None:
    """The section index the list sent. A label drawn by an earlier run (its ✓/○ mark has
    changed since) comes back as that text: found by the section's name."""
    if isinstance(value, int) and 0 <= value < count:
        return value
    if isinstance(value, str):
        name = value.partition(" ")[2]
        return next((i for i, section in enumerate(sections) if section.label == name), None)
    return None


# Where this run was asked to go: «Anterior» or «Guardar y continuar» (drawn by the previous
# run; their click is in session state before they are drawn again) or the list of sections.
# The move is made now, before drawing: the new section is drawn in this same run (a move used
# to draw the old section, save, and run the whole page again).
# «Anterior» and «Guardar y continuar» move from the section they were drawn with: a second
# click that comes before this run drew the next section's buttons (a double click on a slow
# page) must not skip a section.
NAV_DRAWN = f"nav_drawn_{aid}"
buttons_here = st.session_state.get(NAV_DRAWN, current) == current
target: int | None = None
if buttons_here and st.session_state.get(f"back_{aid}") and current > 0:
    target = current - 1
elif buttons_here and st.session_state.get(f"next_{aid}"):
    target = current + 1
else:
    chosen = _section_chosen(chosen_section, len(sections))
    target = chosen if chosen is not None and chosen != current else None

here = _prepare(current)
blocked = target is not None and bool(here.errors)  # a move while data is marked in red
scroll = st.session_state.pop(SCROLL_KEY, False)
if target is not None and not blocked:
    # Autosave and the place to resume in one write.
    if _save(here, sections[min(target, len(sections) - 1)].id):
        if target >= len(sections):
            st.switch_page(REVIEW_PAGE, query_params={session.ASSESSMENT_PARAM: str(aid)})
        st.session_state[section_key] = current = target
        scroll = True
        here = _prepare(current)
        if _changes(here)[0]:  # filled from the registration, or a «No corresponde» undone
            _save(here, here.page.id)
# Autosave: whatever changed in this section is stored right away (also the valid answers
# next to one marked in red), so a reload, a closed tab or a server restart loses nothing.
elif _changes(here)[0]:
    _save(here, here.page.id)

# The widget values of the questions of other sections go (Streamlit drops the drawn ones
# anyway; the parts never drawn, like an empty note, would stay): every radio and text box
# Streamlit draws copies all of session state, so it is kept to this section's.
for qid in [qid for qid in drawn if qid not in here.stored_state]:
    for part in drawn.pop(qid):
        st.session_state.pop(widgets.widget_key(aid, qid, part), None)

page = here.page
questions = page.questions
inputs = here.inputs
statuses = section_statuses(compiled, here.answers, here.sources, here.reasons)
answered, applicable = progress(statuses)

with st.container(key="avance"):
    st.progress(
        answered / applicable if applicable else 0.0,
        text=f"Avance: {answered} de {applicable} preguntas respondidas",
    )


# The list of sections is one radio (one element, not a button per section: a rerun draws
# it on every answer). Choosing another section saves this one and goes there; the radio always
# shows the section on screen, also when the move could not be made.
def _request_section() -> None:
    st.session_state[GOTO_REQUEST] = st.session_state[GOTO_KEY]


st.session_state[GOTO_KEY] = current
marks = {status.index: f"{'✓' if status.complete else '○'} {status.label}" for status in statuses}
with st.expander(f"Sección {current + 1} de {len(sections)} · ver todas las secciones"):
    st.radio(
        "Ir a la sección (✓ completa, ○ con preguntas por responder)",
        options=list(marks),
        format_func=marks.__getitem__,
        key=GOTO_KEY,
        on_change=_request_section,
    )

# The section's heading: after a change of section the page opens here, with the focus on it
# (Streamlit keeps the scroll position across reruns, which left the new section's heading far
# above the screen). The key carries the section so the script waits for the new heading.
with st.container(key=f"seccion_titulo_{current}"):
    st.subheader(page.title, anchor=False)
if page.title != page.dimension:
    st.caption(f"Dimensión {page.dimension}")
model = compiled.model
# The profile and the legal floor carry their own description in the questionnaire (shown below
# as the theme's description); saying it twice only lengthens the page, so these notes are for
# a file without one.
intro = None
if model.perfil is not None and page.id == model.perfil.id:
    intro = (
        "Estas preguntas sobre su empresa deciden qué preguntas le corresponden: las prácticas "
        "que no aplican a su perfil no se le preguntan y no cuentan en su puntaje."
    )
elif model.piso_legal is not None and page.id == model.piso_legal.id:
    intro = (
        "Obligaciones legales mínimas. Si su empresa no cumple alguna (o está en trámite), su "
        f"nivel de madurez no pasa de «{compiled.level_name(model.piso_legal.tope)}», sea cual "
        "sea su puntaje, y ese requisito encabeza su plan de acción. Debajo de cada una verá la "
        "norma que la exige y la evidencia que la demuestra."
    )
if intro and not any(theme.descripcion for theme, _ in page.parts):
    st.caption(intro)
if any(q.tipo == "practica" for q in page.questions):
    st.caption(
        f"{widgets.ANSWER_RULE} Las frases van de la práctica menos avanzada a la más avanzada. "
        "Cada respuesta se guarda al instante."
    )

errors = here.errors
status_here = statuses[current]
visible_ids = {q.id for q in status_here.visible}
profile_na = {q.id for q in status_here.by_profile}
no_reason = {q.id for q in status_here.missing_reasons}
if not visible_ids and not profile_na:
    st.info("Según sus respuestas anteriores, esta sección no tiene preguntas para su empresa.")
CONFIRMED_KEY = f"confirmed_{aid}"
confirmed = st.session_state.pop(CONFIRMED_KEY, 0)
if confirmed:
    st.success(
        "Respuesta confirmada." if confirmed == 1 else f"{confirmed} respuestas confirmadas.",
        icon=":material/check:",
    )
carried_here = [q.id for q in status_here.visible if q.id in view.carried]
carried_notes: dict[str, str] = {}
if carried_here:
    # Where they came from: the firm's latest earlier assessment that answered them (the rule
    # that carried them), or its registration (sales, their year, workers).
    origin_key = f"carried_origin_{aid}"
    if origin_key not in st.session_state:
        with db.session() as database:
            source = earlier_answers(database, firm.id, set(view.carried), before_id=aid)
        st.session_state[origin_key] = (
            (widgets.date_es(source.date), frozenset(source.answers)) if source else None
        )
    origin = st.session_state[origin_key]
    for qid in carried_here:
        if origin is not None and qid in origin[1]:
            carried_notes[qid] = f"Traída de su evaluación del {origin[0]}: confírmela o cámbiela."
        else:
            carried_notes[qid] = "Tomada de los datos de su registro: confírmela o cámbiela."
    count = len(carried_here)
    st.info(
        (
            "1 respuesta de esta sección ya viene llena"
            if count == 1
            else f"{count} respuestas de esta sección ya vienen llenas"
        )
        + " con lo que su empresa respondió antes (cada una dice de dónde). Revise cada una: "
        "si sigue siendo cierta, confírmela con el botón; si cambió, elija la nueva respuesta "
        "(queda confirmada al cambiarla).",
        icon=":material/history:",
    )
    if st.button(
        "Confirmar las respuestas traídas de esta sección",
        key=f"confirm_carried_{aid}_{current}",
        icon=":material/done_all:",
    ):
        try:
            db.write(
                lambda database: confirm_carried(
                    database, aid, firm.id, carried_here, answered_by=account.id
                )
            )
        except AssessmentLocked as exc:
            st.error(str(exc))
        except DatabaseBusy as exc:
            st.warning(str(exc), icon=":material/hourglass_top:")
        except Exception:
            st.error("No pudimos confirmar sus respuestas en este momento. Vuelva a intentarlo.")
        else:
            st.session_state[CONFIRMED_KEY] = len(carried_here)
            st.rerun()
number = 0
for theme, theme_questions in page.parts:
    shown = [q for q in theme_questions if q.id in visible_ids or q.id in profile_na]
    if not shown:
        continue
    if len(page.parts) > 1:
        st.markdown(f"##### {theme.nombre}", unsafe_allow_html=False)
    if theme.descripcion:
        st.caption(theme.descripcion)
    for question in shown:
        if question.id in profile_na:
            with st.container(border=True, key=f"perfil_na_{question.id}"):
                st.markdown(widgets.plain(question.texto))
                st.caption(
                    f"«{widgets.PROFILE_NA_LABEL}»: por lo que respondió en el perfil, esta "
                    "práctica no se le pregunta y no cuenta en su puntaje."
                )
            continue
        number += 1
        widgets.draw_question(
            aid,
            question,
            number,
            errors.get(question.id),
            no_corresponde=here.offer_no_corresponde.get(question.id, False),
            reason_missing=question.id in no_reason,
            carried_note=carried_notes.get(question.id) if question.id in view.carried else None,
        )

missing_here = status_here.missing_required
if missing_here:
    count = len(missing_here)
    what = (
        "Falta 1 pregunta obligatoria" if count == 1 else f"Faltan {count} preguntas obligatorias"
    )
    st.caption(f"{what} en esta sección. Puede seguir y volver después: todo queda guardado.")
if no_reason:
    count = len(no_reason)
    what = "1 respuesta «No aplica»" if count == 1 else f"{count} respuestas «No aplica»"
    st.caption(
        f"Falta el motivo de {what} en esta sección: sin motivo no se puede enviar la evaluación."
    )

if scroll:
    st.html(_OPEN_AT_HEADING % current, unsafe_allow_javascript=True)

last = current == len(sections) - 1
left, right = st.columns(2)
# Their clicks are handled at the top of the next run (``target``).
st.session_state[NAV_DRAWN] = current
left.button(
    "Anterior",
    key=f"back_{aid}",
    disabled=current == 0,
    width="stretch",
    icon=":material/arrow_back:",
)
right.button(
    "Guardar e ir a revisión" if last else "Guardar y continuar",
    key=f"next_{aid}",
    type="primary",
    width="stretch",
    icon=":material/arrow_forward:",
)
if blocked:
    st.error("Corrija los datos marcados en rojo antes de cambiar de sección.")
