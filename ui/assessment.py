"""Load the firm's selected assessment for a page (always scoped to the firm) and show it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import streamlit as st

from scoring import CompiledQuestionnaire, LoadedQuestionnaire, schema
from scoring.answers import NO_APLICA
from storage.assessments import (
    AnswerSnapshot,
    SavedVersion,
    answer_snapshot,
    assessment_row,
    list_assessments,
)
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
    # Comments: the reason of a «No aplica» practice, otherwise the firm's optional note.
    reasons: dict[str, str] = field(default_factory=dict)
    # Answers carried over from an earlier assessment and not yet confirmed.
    carried: set[str] = field(default_factory=set)
    # The version of the answers above (the assessment's ``updated_at`` when they were read).
    version: dt.datetime | None = None

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


def selected_assessment_id(draft_first_for: int | None = None) -> int | None:
    """The assessment named by ``?evaluacion=`` (validated) or chosen earlier in this session;
    None when neither; ``INVALID_ID`` when the parameter is not a valid id.

    ``draft_first_for``: a firm id; without ``?evaluacion=`` (the sidebar link), that firm's
    draft in progress comes first, so the form never opens on an old or missing choice."""
    if draft_first_for is not None and st.query_params.get(session.ASSESSMENT_PARAM) is None:
        draft = draft_in_progress(draft_first_for)
        if draft is not None:
            return draft
    return session.selected_assessment_id()


def draft_in_progress(firm_id: int) -> int | None:
    """The firm's draft assessment: the one last changed when there are two (Exprés, Completa)."""
    with db.session() as database:
        drafts = [a for a in list_assessments(database, firm_id) if a.status == "borrador"]
        if not drafts:
            return None
        return max(drafts, key=lambda a: (a.updated_at, a.id)).id


def _not_found() -> None:
    st.error("No encontramos esa evaluación.")
    st.page_link(session.DASHBOARD_PAGE, label="Volver a Mi panel", icon=":material/dashboard:")
    st.stop()


def load_assessment_or_stop(firm_id: int, draft_first: bool = False) -> AssessmentView:
    """The assessment chosen by ``?evaluacion=`` or session state, if it is this firm's
    (``draft_first``: without ``?evaluacion=``, the firm's draft in progress first)."""
    assessment_id = selected_assessment_id(firm_id if draft_first else None)
    if assessment_id is None:
        st.info(
            "Todavía no tiene una evaluación en curso. Inicie una en Mi panel: la Exprés toma "
            "de 10 a 15 minutos."
        )
        st.page_link(session.DASHBOARD_PAGE, label="Ir a Mi panel", icon=":material/dashboard:")
        st.stop()
    if assessment_id == session.INVALID_ID:
        _not_found()
    # Usually read with the login at the start of this run, and the answers kept from an
    # earlier run of the same version: then nothing more is read.
    record = session.assessment_read_with_login(assessment_id, firm_id)
    if record is session.NOT_READ:
        with db.connection() as connection:
            record = assessment_row(connection, assessment_id, firm_id)
    snapshot = None
    if record is not None:
        version = record["updated_at"]
        snapshot = _kept_answers(assessment_id, firm_id, version)
        if snapshot is None:
            with db.connection() as connection:
                snapshot = answer_snapshot(connection, assessment_id)
            _keep_answers(assessment_id, firm_id, version, snapshot)
    if record is None or snapshot is None:
        _not_found()
    assert record is not None and snapshot is not None
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
        # Copies: pages change them in place after a save; the kept snapshot stays as read.
        answers=dict(snapshot.answers),
        sources=dict(snapshot.sources),
        reasons=dict(snapshot.comments),
        carried=set(snapshot.carried),
        version=record["updated_at"],
        **row,
    )


# The answers last read in this session, with the version they were read at. Every rerun of
# the form reads the assessment's row (status, section, version: in the login's query, or on
# its own when the login did not read it); the answers are read again only when the version
# changed, that is when anything wrote them (another tab, another replica, a save from this
# session). Session state, so one firm's answers are never seen by another session; one
# assessment at a time.
_ANSWERS_KEY = "answers_snapshot"


def _kept_answers(assessment_id: int, firm_id: int, version: object) -> AnswerSnapshot | None:
    kept = st.session_state.get(_ANSWERS_KEY)
    if kept is not None and kept[0] == (assessment_id, firm_id, version):
        return kept[1]
    return None


def _keep_answers(
    assessment_id: int, firm_id: int, version: object, snapshot: AnswerSnapshot
) -> None:
    st.session_state[_ANSWERS_KEY] = ((assessment_id, firm_id, version), snapshot)


def remember_saved(view: AssessmentView, firm_id: int, saved: SavedVersion) -> None:
    """After this session saved answers (and updated ``view`` to match), keep the view's answers
    as the new version's, so the next rerun need not read them back. Only when the write was
    based on the version the view was read at (``saved.before``): otherwise someone else wrote
    in between, and the next rerun reads everything again."""
    if view.version is None or saved.before != view.version:
        return
    view.version = saved.after
    _keep_answers(
        view.id,
        firm_id,
        saved.after,
        AnswerSnapshot(
            dict(view.answers), dict(view.sources), dict(view.reasons), set(view.carried)
        ),
    )


def answer_lines(
    view: AssessmentView, question: schema.Question, author: str | None = None
) -> list[str]:
    """One saved answer as Markdown lines (firm-typed text escaped): the answer, its «No aplica»
    reason or its note, who gave it, and whether it was carried over unconfirmed."""
    value = view.answers.get(question.id)
    answer = widgets.show_answer(question, value, view.sources.get(question.id))
    lines = [widgets.plain(answer) if isinstance(question, schema.TextQuestion) else answer]
    comment = view.reasons.get(question.id)
    if comment and value is not None:
        if value == NO_APLICA and isinstance(question, schema.PracticeQuestion):
            lines[0] += f" — motivo: {widgets.plain(comment)}"
        else:
            lines.append(f"*Nota:* {widgets.plain(comment)}")
    if author and value is not None:
        lines.append(f":gray[Respondió: {widgets.plain(author)}]")
    if question.id in view.carried and value is not None:
        lines.append(":orange[Traída de antes, sin confirmar]")
    return lines


def show_read_only(view: AssessmentView) -> None:
    """Every section with the saved answers (and their notes), as text."""
    for dimension, theme, questions in view.compiled.sections():
        title = theme.nombre if dimension is theme else f"{dimension.nombre} · {theme.nombre}"
        with st.expander(title, expanded=True):
            for question in questions:
                st.markdown(f"**{question.texto}**")
                st.markdown("  \n".join(answer_lines(view, question)))
