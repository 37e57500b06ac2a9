"""What changed in a firm's answers since its previous submitted assessment (results page)."""

from __future__ import annotations

import streamlit as st

from scoring import schema
from scoring.numbers import format_number_es
from storage.assessments import AnswerChange, answer_changes, get_assessment
from ui import db, widgets


def _answer(question: schema.Question, value: object, source: str | None) -> str:
    text = widgets.show_answer(question, value, source)
    return widgets.plain(text) if isinstance(question, schema.TextQuestion) else text


def change_lines(
    by_id: dict[str, schema.Question], changes: list[AnswerChange]
) -> tuple[list[str], int]:
    """Markdown lines «question: antes → ahora» for questions answered both times (in the
    questionnaire's order), and how many were answered only this time."""
    order = {qid: i for i, qid in enumerate(by_id)}
    lines = []
    first_time = 0
    for change in sorted(changes, key=lambda c: order.get(c.question_id, len(order))):
        question = by_id.get(change.question_id)
        if question is None or question.dato_registro is not None:
            continue
        if change.before is None or change.after is None:
            first_time += change.before is None and change.after is not None
            continue
        before = _answer(question, change.before, change.source_before)
        after = _answer(question, change.after, change.source_after)
        lines.append(f"**{question.texto}**  \nAntes: {before}  \nAhora: **{after}**")
    return lines, first_time


def show_changes(firm_id: int, assessment_id: int) -> None:
    """An expander «Qué cambió desde su evaluación anterior»: per question, antes → ahora.
    Nothing when the firm has no earlier submitted assessment (only the firm's own data)."""
    with db.session() as database:
        assessment = get_assessment(database, assessment_id, firm_id)
        if assessment is None:
            return
        questionnaire_hash, depth = assessment.questionnaire_hash, assessment.depth
        found = answer_changes(database, firm_id, assessment_id)
    if found is None:
        return
    previous, changes = found
    loaded = db.questionnaire_for_hash(questionnaire_hash)
    if loaded is None:
        return
    lines, first_time = change_lines(db.compiled(loaded, depth).by_id, changes)
    with st.expander("Qué cambió desde su evaluación anterior"):
        when = widgets.date_es(previous.date)
        if not lines:
            st.write(f"Sus respuestas son las mismas que en su evaluación del {when}.")
        else:
            count = len(lines)
            st.caption(
                (
                    "1 respuesta cambió"
                    if count == 1
                    else f"{format_number_es(count, 0)} respuestas cambiaron"
                )
                + f" desde su evaluación del {when}."
            )
            for line in lines:
                st.markdown(line)
        if first_time:
            st.caption(
                f"Además respondió {format_number_es(first_time, 0)} preguntas que esa "
                "evaluación no tenía o dejó sin responder."
            )
