"""Small shared pieces of the interface: CSS, Spanish labels and the form's question widgets."""

from __future__ import annotations

import ast
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import streamlit as st

from scoring import schema
from scoring.answers import NO_APLICA, NO_SE, REASON_MAX
from scoring.numbers import format_date_es, format_number_es
from scoring.peru import SIZE_NAMES
from ui.formstate import (
    NOTE_MAX,
    SOURCE_LABELS,
    FormPage,
    choice_value_ok,
    clean_reason,
    note_error,
    number_text,
    parse_number_answer,
    plain_number,
)

try:
    from zoneinfo import ZoneInfo

    LIMA = ZoneInfo("America/Lima")
except Exception:  # no tz database: Peru has no daylight saving time
    LIMA = dt.timezone(dt.timedelta(hours=-5))

DEPTH_LABELS = {"expres": "Exprés", "completo": "Completa"}
STATUS_LABELS = {"borrador": "En curso", "enviada": "Enviada"}
NO_APLICA_LABEL = "No aplica a mi empresa"
NO_SE_LABEL = "No sé"
PROFILE_NA_LABEL = "No aplica según su perfil"
ANSWER_RULE = (
    "Elija el nivel más alto cuya descripción se cumple por completo en su empresa hoy (y "
    "también las de los niveles anteriores)."
)
REGISTRY_NOTE = (
    "Dato de su registro (tamaño según la Ley 30056, calculado con sus ventas anuales): no se "
    "cambia aquí. Si cambió, actualícelo en «Mi empresa»; regirá desde la siguiente evaluación."
)

_CSS = """
<style>
/* Larger touch targets and readable text on phones and old laptops. */
.stButton button, .stFormSubmitButton button, .stLinkButton a { min-height: 2.75rem; }
div[role="radiogroup"] label { padding: 0.35rem 0; align-items: flex-start; }
div[role="radiogroup"] label p { font-size: 1rem; line-height: 1.4; }
/* Captions at 8,7:1 on white (Streamlit draws them at 60 % opacity: 3,08:1), and the menu's
   links and icons at 9,3:1 on the sidebar (Streamlit's 60 %: 3,97:1). WCAG 1.4.3 asks 4,5:1. */
[data-testid="stCaptionContainer"] { color: #3d4f4a; opacity: 1; }
[data-testid="stSidebarNavLink"] span { color: #33443f; }
/* Tables wrap their headers and long words instead of scrolling sideways on a phone (a
   scrolling region cannot be reached with the keyboard). */
[data-testid="stTable"] th { white-space: normal; }
[data-testid="stTable"] td, [data-testid="stTable"] th { overflow-wrap: anywhere; }
/* A locked question (e.g. the size from the registry) still reads clearly, with its answer. */
[data-testid="stWidgetLabel"][disabled], [data-testid="stWidgetLabel"][disabled] p,
[data-testid="stRadioOption"][data-disabled="true"]:has(input:checked) { color: #3d4f4a; }
/* Form questions: the question reads as a heading above its answers. */
[class*="st-key-pregunta_"] [data-testid="stWidgetLabel"] p {
  font-size: 1.05rem; font-weight: 600; line-height: 1.4;
}
/* The form's progress stays on screen while scrolling long pages. */
[data-testid="stLayoutWrapper"]:has(> .st-key-avance) {
  position: sticky; top: 3.75rem; z-index: 50; background: #FFFFFF; padding: 0.25rem 0;
}
@media (max-width: 640px) {
  .block-container { padding-left: 1rem; padding-right: 1rem; padding-top: 3.5rem; }
  h1 { font-size: 1.75rem !important; }
}
</style>
"""


def page_title(path: Path) -> str:
    """A page's menu title: its docstring up to the first colon ("Panel SNI: ..." → "Panel SNI")."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = None
    return _page_title(path, stamp)


@functools.lru_cache(maxsize=128)
def _page_title(path: Path, stamp: int | None) -> str:
    # app.py asks on every run; parsing the file is what costs, so it is done once per version.
    try:
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    except (OSError, SyntaxError):
        doc = ""
    title = doc.split("\n", 1)[0].split(":", 1)[0].strip()
    if title and len(title) <= 40:
        return title
    return path.stem.removeprefix("staff_").replace("_", " ").capitalize()


def global_css() -> None:
    st.html(_CSS)


def _title_text(spec: dict) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(line) for line in title)
    return str(title or "").strip()


def accessible_spec(spec: dict, description: str | None) -> dict:
    """A Vega-Lite spec whose drawing has a text alternative: ``description`` (else the chart's
    title) becomes the chart's accessible name, and marks, axes and legends leave the
    accessibility tree (read one by one they are noise, and an empty layer has no name)."""
    text = " ".join((description or "").split()) or _title_text(spec) or "Gráfico"
    config = dict(spec.get("config") or {})
    config["aria"] = False
    config["mark"] = {**(config.get("mark") or {}), "aria": False}
    return {**spec, "description": text, "config": config}


def chart(figure: object, description: str | None, *, width: str | int = "stretch") -> None:
    """Draw an Altair chart or a Vega-Lite spec (dict) with a text alternative (see
    ``accessible_spec``; Streamlit puts it on the chart as ``role="graphics-document"`` and
    ``aria-label``); the chart's own colours and sizes are kept (``theme=None``)."""
    spec = figure if isinstance(figure, dict) else figure.to_dict()  # type: ignore[attr-defined]
    spec = accessible_spec(spec, description)
    st.vega_lite_chart(spec=spec, width=width, theme=None, alt=spec["description"])


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


# GFM turns bare ``https://…``, ``www.…`` and ``a@b.pe`` into live links even when ``:`` and
# ``.`` are backslash-escaped (the autolink pass reads the unescaped text). An invisible word
# joiner (U+2060) on each side of every ``.``, ``:`` and ``@`` breaks those patterns without
# changing what is seen or where lines wrap.
WORD_JOINER = "\u2060"
_LINK_PUNCTUATION = re.compile(r"(\\[.:]|@)")


def plain(text: object) -> str:
    """Text typed by a firm, escaped so that Streamlit shows it literally (no links, images,
    formatting or formulas can be smuggled into a page through a razón social or an e-mail)."""
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))
    return _LINK_PUNCTUATION.sub(WORD_JOINER + r"\1" + WORD_JOINER, escaped)


def date_es(value: dt.datetime | dt.date | None) -> str:
    """A stored UTC timestamp as a Lima calendar date in words ("—" when missing)."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(LIMA).date()
    return format_date_es(value)


def count_es(n: int, singular: str, plural: str) -> str:
    """ "1 pregunta", "31 preguntas", "1 234 preguntas" (the number through the shared
    formatter)."""
    return f"{format_number_es(n, 0)} {singular if n == 1 else plural}"


def points(value: float | None) -> str:
    """A 0–100 score for display: "47,5" style via the shared formatter, "—" when none."""
    return "—" if value is None else format_number_es(value, 1)


def size_label(size_class: str) -> str:
    return SIZE_NAMES.get(size_class, size_class)


# --- questions of the form ---------------------------------------------------------------------


@dataclass
class QuestionInput:
    """What one question's widgets produced in this run."""

    value: object = None  # clean answer value, None when unanswered or invalid
    source: str | None = None
    error: str | None = None
    reason: str | None = None  # one-line reason of a «No aplica» (method 2.0)
    note: str | None = None  # optional note or evidence on any other answer

    @property
    def comment(self) -> str | None:
        """What is stored in the answer's comment: the «No aplica» reason, or the note."""
        return self.reason or self.note


@dataclass
class SectionInput:
    """One section of the form in one run (``ui/pages/fill.py``): its widget values read once
    (session state reads are not cheap), the answers they hold, and the form's answers with
    them. Defined here, not in the page: a class made in a page is made again on every run."""

    index: int
    page: FormPage
    stored_state: dict[str, dict[str, object]] = field(default_factory=dict)
    current_state: dict[str, dict[str, object] | None] = field(default_factory=dict)
    registry_fill: set[str] = field(default_factory=set)
    inputs: dict[str, QuestionInput] = field(default_factory=dict)
    offer_no_corresponde: dict[str, bool] = field(default_factory=dict)
    answers: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> dict[str, str]:
        return {qid: given.error for qid, given in self.inputs.items() if given.error}


def widget_key(assessment_id: int, question_id: str, part: str = "v") -> str:
    return f"a{assessment_id}_{question_id}_{part}"


def initial_widget_state(
    question: schema.Question, value: object, source: str | None
) -> dict[str, object]:
    """Widget values (by key suffix) that show a saved answer."""
    if isinstance(question, schema.NumberQuestion):
        if value == NO_SE:
            return {"v": "", "src": NO_SE}
        return {"v": number_text(value, question.decimales), "src": source}
    if isinstance(question, schema.MultipleChoiceQuestion):
        return {"v": list(value) if isinstance(value, list) else []}
    if isinstance(question, schema.TextQuestion):
        return {"v": value if isinstance(value, str) else ""}
    return {"v": value}


def stored_widget_state(
    question: schema.Question, value: object, source: str | None, reason: str | None = None
) -> dict[str, object]:
    """Every widget value (by key suffix, the «No aplica» reason or the note included) showing
    an answer. ``reason`` is the answer's comment: the reason of a «No aplica», else a note."""
    state = initial_widget_state(question, value, source)
    reason_box = isinstance(question, schema.PracticeQuestion)
    if reason_box:
        state["motivo"] = (reason or "") if value == NO_APLICA else ""
    state["nota"] = "" if reason_box and value == NO_APLICA else (reason or "")
    return state


def current_widget_state(
    assessment_id: int, question: schema.Question, parts: list[str]
) -> dict[str, object] | None:
    """The question's widget values now (parts Streamlit dropped are left out); None when its
    main widget holds nothing (never drawn in this session, or dropped with its section)."""
    if widget_key(assessment_id, question.id) not in st.session_state:
        return None
    found = {}
    for part in parts:
        key = widget_key(assessment_id, question.id, part)
        if key in st.session_state:
            found[part] = st.session_state[key]
    return found


def set_widget_state(
    assessment_id: int, question: schema.Question, state: dict[str, object]
) -> None:
    """Put values into the question's widgets (before they are drawn in this run)."""
    for part, value in state.items():
        st.session_state[widget_key(assessment_id, question.id, part)] = value


def read_input(assessment_id: int, question: schema.Question) -> QuestionInput:
    """The clean answer currently held by a question's widgets (before drawing them), with
    its note (a note too long is an error; the text stays in its box)."""
    given = _read_answer(assessment_id, question)
    if given.reason is None and given.value is not None and given.value != NO_APLICA:
        typed = st.session_state.get(widget_key(assessment_id, question.id, "nota"))
        note = typed.strip() if isinstance(typed, str) else ""
        given.note = note or None
        if given.error is None:
            given.error = note_error(note)
    return given


def _read_answer(assessment_id: int, question: schema.Question) -> QuestionInput:
    raw = st.session_state.get(widget_key(assessment_id, question.id))
    if isinstance(question, schema.NumberQuestion):
        source = st.session_state.get(widget_key(assessment_id, question.id, "src"))
        if source == NO_SE:
            return QuestionInput(NO_SE, NO_SE)
        value, error = parse_number_answer(question, raw)
        return QuestionInput(value, source if value is not None else None, error)
    if isinstance(question, schema.MultipleChoiceQuestion):
        chosen = list(raw or [])
        error = choice_value_ok(question, chosen)
        return QuestionInput(None if error or not chosen else chosen, None, error)
    if isinstance(question, schema.TextQuestion):
        text = (raw or "").strip()
        return QuestionInput(text or None)
    if isinstance(question, schema.PracticeQuestion) and raw == NO_APLICA:
        reason = clean_reason(
            st.session_state.get(widget_key(assessment_id, question.id, "motivo"))
        )
        return QuestionInput(raw, reason=reason)
    return QuestionInput(raw)


def requirement_options(question: schema.RequirementQuestion, no_corresponde: bool) -> list[str]:
    """The answers a legal-floor item offers: «No corresponde» only where the profile allows."""
    options = [a for a in schema.REQUIREMENT_ANSWERS if a != "no_corresponde" or no_corresponde]
    if question.permite_no_se:
        options.append(NO_SE)
    return options


def requirement_label(value: object) -> str:
    return schema.REQUIREMENT_LABELS.get(value) or _special_label(value) or str(value)  # type: ignore[arg-type]


def _special_options(question: schema.Question) -> list[str]:
    options = []
    if question.permite_no_aplica:
        options.append(NO_APLICA)
    if question.permite_no_se:
        options.append(NO_SE)
    return options


def _special_label(value: object) -> str | None:
    if not isinstance(value, str):  # a level, a number or a list of options
        return None
    return {NO_APLICA: NO_APLICA_LABEL, NO_SE: NO_SE_LABEL}.get(value)


def draw_question(
    assessment_id: int,
    question: schema.Question,
    number: int,
    error: str | None = None,
    disabled: bool = False,
    no_corresponde: bool = False,
    reason_missing: bool = False,
    carried_note: str | None = None,
) -> None:
    """Draw one question's widgets (their state was prefilled; values are read by read_input).

    ``no_corresponde``: offer «No corresponde» on a legal-floor item (the profile allows it).
    ``reason_missing``: the «No aplica» chosen here still needs its one-line reason.
    ``carried_note``: the answer was carried over from an earlier assessment (said above it)."""
    key = widget_key(assessment_id, question.id)
    label = f"{number}. {question.texto}"
    if not question.obligatoria and not isinstance(question, schema.RequirementQuestion):
        label += " (opcional)"
    help_text = question.ayuda or None
    registry = question.dato_registro is not None
    with st.container(border=True, key=f"pregunta_{question.id}"):
        if carried_note:
            st.caption(f":orange[:material/history: {carried_note}]")
        if isinstance(question, schema.RequirementQuestion):
            st.radio(
                label,
                options=requirement_options(question, no_corresponde),
                format_func=requirement_label,
                index=None,
                key=key,
                help=help_text,
                disabled=disabled,
                horizontal=True,
            )
            st.caption(f"**Norma:** {question.norma}  \n**Evidencia:** {question.evidencia}")
        elif isinstance(question, schema.PracticeQuestion | schema.SingleChoiceQuestion):
            if isinstance(question, schema.PracticeQuestion):
                labels = {i: level.descripcion for i, level in enumerate(question.niveles)}
            else:
                labels = {o.valor: o.etiqueta for o in question.opciones}
            st.radio(
                label,
                options=[*labels, *_special_options(question)],
                format_func=lambda v: _special_label(v) or labels[v],
                index=None,
                key=key,
                help=help_text,
                disabled=disabled or registry,
            )
            if registry:
                st.caption(REGISTRY_NOTE)
            if isinstance(question, schema.PracticeQuestion) and (
                st.session_state.get(key) == NO_APLICA
            ):
                st.text_input(
                    "¿Por qué no aplica a su empresa? (una línea, obligatorio)",
                    key=widget_key(assessment_id, question.id, "motivo"),
                    max_chars=REASON_MAX,
                    placeholder="Ejemplo: no usamos calderas ni vapor en el proceso",
                    disabled=disabled,
                )
                if reason_missing:
                    st.warning(
                        "Escriba el motivo: sin él, «No aplica» cuenta como pregunta sin "
                        "responder (0 puntos).",
                        icon=":material/edit_note:",
                    )
        elif isinstance(question, schema.MultipleChoiceQuestion):
            labels = {o.valor: o.etiqueta for o in question.opciones}
            st.multiselect(
                label,
                options=[*labels, *_special_options(question)],
                format_func=lambda v: _special_label(v) or labels[v],
                key=key,
                help=help_text,
                placeholder="Elija una o varias opciones",
                disabled=disabled or registry,
            )
        elif isinstance(question, schema.NumberQuestion):
            _draw_number(assessment_id, question, label, help_text, disabled)
        elif isinstance(question, schema.TextQuestion):
            st.text_area(
                label,
                key=key,
                help=help_text,
                max_chars=question.max_caracteres,
                value=None,
                disabled=disabled,
            )
        _draw_note(assessment_id, question, disabled or registry)
        if error:
            st.error(error, icon=":material/error:")


def _draw_note(assessment_id: int, question: schema.Question, disabled: bool) -> None:
    """The optional note on an answer, offered once the question is answered (a «No aplica»
    practice has its reason instead)."""
    value = st.session_state.get(widget_key(assessment_id, question.id))
    if (
        disabled
        or value in (None, "", [])
        or (isinstance(question, schema.PracticeQuestion) and value == NO_APLICA)
    ):
        return
    st.text_area(
        "Nota o evidencia (opcional)",
        key=widget_key(assessment_id, question.id, "nota"),
        max_chars=NOTE_MAX,
        height=68,
        placeholder="Ejemplo: registro de mantenimiento 2025, archivado en planta",
        help=f"Hasta {format_number_es(NOTE_MAX, 0)} caracteres. Se muestra en la revisión y "
        "en su informe.",
    )


def _draw_number(
    assessment_id: int,
    question: schema.NumberQuestion,
    label: str,
    help_text: str | None,
    disabled: bool,
) -> None:
    low, high = plain_number(question.minimo), plain_number(question.maximo)
    source_key = widget_key(assessment_id, question.id, "src")
    dont_know = st.session_state.get(source_key) == NO_SE
    st.text_input(
        f"{label} — en {question.unidad}",
        key=widget_key(assessment_id, question.id),
        help=help_text,
        placeholder="Ejemplo: 1.234,5" if not dont_know else "Marcó «No sé»",
        value=None,
        disabled=disabled or dont_know,
    )
    st.caption(f"Valor entre {low} y {high} {question.unidad}.")
    sources = [s for s in SOURCE_LABELS if s != NO_SE or question.permite_no_se]
    st.radio(
        "¿Cómo obtuvo esta cifra?",
        options=sources,
        format_func=lambda s: SOURCE_LABELS[s],
        index=None,
        key=source_key,
        horizontal=True,
        disabled=disabled,
    )


def show_answer(question: schema.Question, value: object, source: str | None) -> str:
    """A saved answer in words, for read-only views."""
    if value is None:
        return "Sin respuesta"
    if isinstance(question, schema.RequirementQuestion):
        return requirement_label(value)
    if special := _special_label(value):
        return special
    if isinstance(question, schema.PracticeQuestion) and isinstance(value, int):
        return question.niveles[value].descripcion
    if isinstance(question, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
        labels = {o.valor: o.etiqueta for o in question.opciones}
        items = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(v, _special_label(v) or str(v)) for v in items)
    if isinstance(question, schema.NumberQuestion) and isinstance(value, int | float):
        text = f"{number_text(value, question.decimales)} {question.unidad}"
        return f"{text} ({SOURCE_LABELS[source].lower()})" if source in SOURCE_LABELS else text
    return str(value)
