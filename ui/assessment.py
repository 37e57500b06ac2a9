"""Load the firm's selected assessment for a page (always scoped to the firm) and show it."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import streamlit as st

from scoring import CompiledQuestionnaire, LoadedQuestionnaire
from storage.assessments import assessment_with_answers, load_comments
from ui import db, session, widgets
from ui.formstate import scoring_answers


@dataclass
class AssessmentView:
    """A snapshot of one assessment and its saved answers, read at the start of a run."""

    id: int
    status: str
    depth: str
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    current_section: str | None
    questionnaire_id: str
    questionnaire_hash: str
    loaded: LoadedQuestionnaire
    compiled: CompiledQuestionnaire
    answers: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)  # «No aplica» reasons (comments)

    def scoring_answers(self) -> dict[str, object]:
        """The answers with each «No aplica» reason as the engine reads it."""
        return scoring_answers(self.answers, self.reasons)


_ROW_FIELDS = (
    "status",
    "depth",
    "created_at",
    "submitted_at",
    "current_section",
    "questionnaire_id",
    "questionnaire_hash",
)


# Ids are positive and fit PostgreSQL's ``integer``; anything else in ``?evaluacion=`` (huge,
# negative, "1e3", "١٢", " 7", "1_000") is never sent to the database: it simply names nothing.
MAX_ID = 2**31 - 1
_ID_TEXT = re.compile(r"[1-9][0-9]{0,9}")
INVALID_ID = 0


def parse_id(raw: object) -> int:
    """A record id from untrusted text, or ``INVALID_ID`` (which no record has)."""
    text = raw if isinstance(raw, str) else str(raw) if isinstance(raw, int) else ""
    if not _ID_TEXT.fullmatch(text):
        return INVALID_ID
    value = int(text)
    return value if value <= MAX_ID else INVALID_ID


def selected_assessment_id() -> int | None:
    """The assessment named by ``?evaluacion=`` (validated) or chosen earlier in this session;
    None when neither; ``INVALID_ID`` when the parameter is not a valid id."""
    raw = st.query_params.get(session.ASSESSMENT_PARAM)
    if raw is not None:
        return parse_id(raw)
    chosen = st.session_state.get(session.ASSESSMENT_KEY)
    return None if chosen is None else parse_id(chosen)


def _not_found() -> None:
    st.error("No encontramos esa evaluación.")
    st.page_link(session.DASHBOARD_PAGE, label="Volver a Mi panel", icon=":material/dashboard:")
    st.stop()


def load_assessment_or_stop(firm_id: int) -> AssessmentView:
    """The assessment chosen by ``?evaluacion=`` or session state, if it is this firm's."""
    assessment_id = selected_assessment_id()
    if assessment_id is None:
        st.info("Primero elija o inicie una evaluación en Mi panel.")
        st.page_link(session.DASHBOARD_PAGE, label="Ir a Mi panel", icon=":material/dashboard:")
        st.stop()
    if assessment_id == INVALID_ID:
        _not_found()
    with db.session() as database:
        found = assessment_with_answers(database, assessment_id, firm_id)
        reasons = load_comments(database, assessment_id, firm_id) if found else {}
    if found is None:
        _not_found()
    assert found is not None
    record, answers, sources = found
    row = {key: record[key] for key in _ROW_FIELDS}
    # The version the assessment was started with, even if the file has changed since.
    loaded = db.questionnaire_for_hash(row["questionnaire_hash"])
    if loaded is None:
        st.error(
            "No encontramos la versión del cuestionario con la que se inició esta evaluación "
            f"(huella {row['questionnaire_hash'][:12]}), así que no podemos mostrarla. Sus "
            "respuestas siguen guardadas: escriba a SNI para recuperarla."
        )
        st.page_link(session.DASHBOARD_PAGE, label="Volver a Mi panel", icon=":material/dashboard:")
        st.stop()
    assert loaded is not None
    session.select_assessment(assessment_id)
    return AssessmentView(
        id=assessment_id,
        loaded=loaded,
        compiled=db.compiled(loaded, row["depth"]),
        answers=answers,
        sources=sources,
        reasons=reasons,
        **row,
    )


def show_read_only(view: AssessmentView) -> None:
    """Every section with the saved answers, as text."""
    for dimension, theme, questions in view.compiled.sections():
        title = theme.nombre if dimension is theme else f"{dimension.nombre} · {theme.nombre}"
        with st.expander(title, expanded=True):
            for question in questions:
                answer = widgets.show_answer(
                    question, view.answers.get(question.id), view.sources.get(question.id)
                )
                reason = view.reasons.get(question.id)
                if reason and view.answers.get(question.id) == "no_aplica":
                    answer += f" — motivo: {reason}"
                st.markdown(f"**{question.texto}**")
                st.write(answer)
