"""Mi panel: the firm's assessments, one clear next step, and starting a new assessment."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from scoring import peru, schema
from scoring.numbers import format_number_es
from storage import audit
from storage.assessments import (
    earlier_answers,
    list_assessments,
    load_answers,
    registry_figures,
    save_answers,
    start_assessment,
)
from ui import db, plan_progress, session, widgets
from ui.formstate import answers_to_carry, progress, registry_prefill, section_statuses

FILL_PAGE = "ui/pages/fill.py"
RESULTS_PAGE = "ui/pages/results.py"

account, firm = session.require_firm()
division = int(firm.ciiu_division)
primary_module, extra_modules = db.firm_modules(division)
SECOND_MODULE_KEY = "segundo_modulo"
CARRY_KEY = "traer_respuestas"
NO_SECOND = ""


@dataclass
class Row:
    id: int
    depth: str
    status: str
    created_at: object
    updated_at: object
    submitted_at: object
    overall: float | None
    level: int | None
    questionnaire_id: str
    questionnaire_hash: str


def _rows() -> list[Row]:
    with db.session() as database:
        return [
            Row(
                a.id,
                a.depth,
                a.status,
                a.created_at,
                a.updated_at,
                a.submitted_at,
                a.result.overall if a.result else None,
                a.result.level if a.result else None,
                a.questionnaire_id,
                a.questionnaire_hash,
            )
            for a in list_assessments(database, firm.id)
        ]


def _open(page: str, assessment_id: int) -> None:
    session.select_assessment(assessment_id)
    st.switch_page(page, query_params={session.ASSESSMENT_PARAM: str(assessment_id)})


def _start(depth: str) -> None:
    carry = bool(st.session_state.get(CARRY_KEY, True))

    def work(database) -> int:
        # New assessments use the current file; start_assessment archives its YAML by hash.
        loaded = _new_questionnaire()
        assessment = start_assessment(database, firm.id, loaded, depth)
        _prefill(database, assessment.id, db.compiled(loaded, depth), carry)
        audit.record(database, account.id, "evaluacion_iniciada", str(assessment.id))
        return assessment.id

    _open(FILL_PAGE, db.write(work))


def _prefill(database, assessment_id: int, compiled, carry: bool) -> None:
    """Copy what the firm already said (its latest earlier answers to the same questions, still
    valid, and its registration figures), marked as carried over until it confirms them."""
    carried = None
    if carry:
        earlier = earlier_answers(
            database, firm.id, {q.id for q in compiled.questions}, before_id=assessment_id
        )
        if earlier is not None:
            carried = answers_to_carry(compiled, earlier.answers, earlier.sources, earlier.comments)
            save_answers(
                database,
                assessment_id,
                firm.id,
                carried.answers,
                carried.sources,
                comments=carried.comments,
                carried=True,
            )
    registry = registry_prefill(
        compiled, registry_figures(database, firm.id), carried.answers if carried else {}
    )
    if registry:
        save_answers(database, assessment_id, firm.id, registry, carried=True)


def _new_questionnaire():
    """The questionnaire a new assessment of this firm uses: the current base questionnaire
    with the module of its CIIU division and the one it added for a second activity."""
    chosen = [primary_module.id] if primary_module else []
    second = st.session_state.get(SECOND_MODULE_KEY) or NO_SECOND
    if second and second in {m.id for m in extra_modules}:
        chosen.append(second)
    return db.questionnaire_with(chosen)


def _module_choice() -> None:
    """Which sector module the firm gets, said before it starts; one more may be added."""
    st.subheader("Módulo sectorial")
    activity = f"CIIU {division} ({peru.CIIU_DIVISIONS.get(division, '')})"
    if primary_module is not None:
        count = sum(len(t.preguntas) for t in primary_module.model.ejes)
        express = sum(
            "expres" in q.profundidades for t in primary_module.model.ejes for q in t.preguntas
        )
        st.write(
            f"Por su división {activity}, su evaluación incluye el módulo "
            f"**{primary_module.model.nombre}** "
            f"({widgets.count_es(count, 'pregunta', 'preguntas')} más, {express} en la Exprés): "
            f"{primary_module.model.descripcion or ''}"
        )
    else:
        st.write(
            f"Para la división {activity} todavía no hay un módulo sectorial: su evaluación usa "
            "las preguntas comunes a toda la industria."
        )
    if not extra_modules:
        return
    names = {NO_SECOND: "No, solo mi actividad principal"} | {
        m.id: f"{m.model.nombre} (CIIU {', '.join(str(c) for c in m.model.ciiu)})"
        for m in extra_modules
    }
    st.selectbox(
        "¿Su empresa tiene otra actividad importante? Puede agregar un módulo más (opcional)",
        options=list(names),
        format_func=names.__getitem__,
        key=SECOND_MODULE_KEY,
        help="Por ejemplo, una planta de conservas que también produce harina de pescado. El "
        "módulo agrega sus preguntas e indicadores (hasta 3 más en la Exprés); se aplica a las "
        "evaluaciones que inicie desde ahora. Con dos módulos, su evaluación se compara solo con "
        "empresas que usan los mismos dos módulos, que pueden ser pocas.",
    )


def _level_name(level: int | None, questionnaire_hash: str) -> str:
    if not level:
        return ""
    own = db.questionnaire_for_hash(questionnaire_hash) or db.current_questionnaire()
    names = {lv.nivel: lv.nombre for lv in own.model.niveles}
    return names.get(level, "")


def _question_count(depth: str) -> str:
    """The questions the form counts before any answer (its progress shows the same total),
    and what they are."""
    compiled = db.compiled(_new_questionnaire(), depth)
    shown = [q for status in section_statuses(compiled, {}) for q in status.visible]
    practices = sum(isinstance(q, schema.PracticeQuestion) for q in shown)
    figures = sum(isinstance(q, schema.NumberQuestion) for q in shown)
    floor = sum(isinstance(q, schema.RequirementQuestion) for q in shown)
    parts = [f"{practices} de prácticas"]
    if figures:
        parts.append(widgets.count_es(figures, "cifra", "cifras"))
    if len(shown) - practices - figures - floor:
        parts.append(f"{len(shown) - practices - figures - floor} sobre su empresa")
    if floor:
        parts.append(f"{floor} del piso legal")
    listed = ", ".join(parts[:-1]) + f" y {parts[-1]}" if len(parts) > 1 else parts[0]
    return f"{widgets.count_es(len(shown), 'pregunta', 'preguntas')} ({listed})"


rows = _rows()
drafts = {r.depth: r for r in rows if r.status == "borrador"}
submitted = [r for r in rows if r.status == "enviada"]
results_ready = (session.PAGES_DIR / "results.py").exists()

st.title("Mi panel")
session.show_flash()
name = widgets.plain(firm.razon_social)
st.caption(
    f"{name} · RUC {firm.ruc} · {widgets.size_label(firm.size_class)} · "
    f"{firm.region} · CIIU {firm.ciiu_division} "
    f"({peru.CIIU_DIVISIONS.get(firm.ciiu_division, '')})"
)

# One clear next step.
first_time = False  # the next step offers «Iniciar evaluación Exprés» (the card then does not)
with st.container(border=True):
    st.markdown("#### Su siguiente paso")
    if drafts:
        draft = drafts.get("expres") or drafts["completo"]
        compiled = db.compiled(
            db.questionnaire_for_hash(draft.questionnaire_hash) or db.current_questionnaire(),
            draft.depth,
        )
        with db.session() as database:
            answers, sources = load_answers(database, draft.id, firm.id)
        done, total = progress(section_statuses(compiled, answers, sources))
        st.write(
            f"Continúe su evaluación {widgets.DEPTH_LABELS[draft.depth]}: lleva {done} de "
            f"{total} preguntas respondidas. Todo lo que respondió está guardado."
        )
        if st.button(
            "Continuar evaluación",
            key="next_continue",
            type="primary",
            icon=":material/edit_note:",
            width="stretch",
        ):
            _open(FILL_PAGE, draft.id)
    elif submitted and results_ready:
        latest = submitted[0]
        st.write(
            f"Su última evaluación ({widgets.date_es(latest.submitted_at)}) obtuvo "
            f"{widgets.points(latest.overall)} puntos de 100. Revise su plan de acción."
        )
        if st.button(
            "Ver resultados",
            key="next_results",
            type="primary",
            icon=":material/insights:",
            width="stretch",
        ):
            _open(RESULTS_PAGE, latest.id)
    else:
        first_time = True
        st.write(
            "Empiece por la evaluación Exprés: en 10 a 15 minutos sabrá en qué nivel de "
            "economía circular está su planta."
        )
        if st.button(
            "Iniciar evaluación Exprés",
            key="start_expres",
            type="primary",
            icon=":material/play_arrow:",
            width="stretch",
        ):
            _start("expres")

plan_progress.show(firm.id)  # progress of the latest plan (issue 10, item 13)
_module_choice()
st.subheader("Nueva evaluación")
if rows:
    st.checkbox(
        "Traer mis respuestas anteriores",
        value=True,
        key=CARRY_KEY,
        help="La nueva evaluación empieza con las respuestas de su evaluación más reciente a "
        "las mismas preguntas (las que siguen siendo válidas), marcadas como «traídas» hasta "
        "que usted las confirme o las cambie. Sin marcar, empieza en blanco.",
    )
left, right = st.columns(2)
for column, depth, text in (
    (
        left,
        "expres",
        "{n}. De 10 a 15 minutos; ideal para empezar y para repetir cada año.",
    ),
    (
        right,
        "completo",
        "{n}, sobre materiales, agua, energía y personal. Toma de "
        "1 a 2 horas; puede hacerla en varias sesiones.",
    ),
):
    with column.container(border=True):
        st.markdown(f"**Evaluación {widgets.DEPTH_LABELS[depth]}**")
        st.caption(text.format(n=_question_count(depth)))
        if db.compiled(_new_questionnaire(), depth).conditional:
            st.caption(
                "El total del formulario puede cambiar mientras responde: algunas preguntas "
                "aparecen solo según sus respuestas anteriores, y las prácticas que su perfil "
                "descarta no se cuentan."
            )
        if depth in drafts:
            st.caption("Ya tiene una en curso: continúela en lugar de empezar otra.")
            if st.button("Continuar", key=f"continue_{depth}", width="stretch"):
                _open(FILL_PAGE, drafts[depth].id)
        elif depth == "expres" and first_time:
            st.caption("Iníciela con el botón «Iniciar evaluación Exprés» de arriba.")
        elif st.button(
            f"Iniciar evaluación {widgets.DEPTH_LABELS[depth]}",
            key=f"start_{depth}",
            width="stretch",
        ):
            _start(depth)

st.subheader("Sus evaluaciones")
if not rows:
    st.write("Todavía no tiene evaluaciones.")
for row in rows:
    with st.container(border=True):
        title = f"**Evaluación {widgets.DEPTH_LABELS[row.depth]}** · "
        title += widgets.STATUS_LABELS.get(row.status, row.status)
        st.markdown(title)
        if row.status == "enviada":
            level = _level_name(row.level, row.questionnaire_hash)
            st.write(
                f"Enviada el {widgets.date_es(row.submitted_at)} · Puntaje "
                f"{widgets.points(row.overall)} de 100" + (f" · Nivel {level}" if level else "")
            )
            cols = st.columns(2)
            if results_ready and cols[0].button(
                "Ver resultados", key=f"results_{row.id}", width="stretch"
            ):
                _open(RESULTS_PAGE, row.id)
            if cols[1].button("Ver respuestas", key=f"answers_{row.id}", width="stretch"):
                _open(FILL_PAGE, row.id)
        else:
            st.write(
                f"Iniciada el {widgets.date_es(row.created_at)} · último cambio el "
                f"{widgets.date_es(row.updated_at)}"
            )
            if st.button("Continuar", key=f"open_{row.id}", width="stretch"):
                _open(FILL_PAGE, row.id)

loaded = _new_questionnaire()
modules_text = "".join(f" + módulo {m.nombre} {m.version}" for m in loaded.model.modulos)
st.caption(
    f"Cuestionario {loaded.model.titulo} · versión {loaded.version}{modules_text} · "
    f"{format_number_es(len(db.compiled(loaded, 'completo').questions), 0)} preguntas en total."
)
