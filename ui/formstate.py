"""Pure helpers behind the assessment form: visibility, progress, missing answers, summaries.

No streamlit here, so the rules the pages show are tested as plain functions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from scoring import schema
from scoring.answers import NO_APLICA, NO_SE, REASON_MAX, REASON_SUFFIX
from scoring.compiled import CompiledQuestionnaire
from scoring.conditions import condition_met, hidden_questions, value_reader
from scoring.numbers import format_number_es, parse_number_es

SOURCE_LABELS = {"medido": "Medido", "estimado": "Estimado", "no_se": "No sé"}


def is_answered(value: object) -> bool:
    """True when ``value`` is an answer (a level, "No sé", "No aplica", a number, text...)."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list):
        return len(value) > 0
    return not (isinstance(value, float) and math.isnan(value))


# --- method 2.0: profile, applicability and the legal floor ------------------------------------


def condition_holds(
    compiled: CompiledQuestionnaire,
    condition: schema.Condition | None,
    answers: Mapping[str, object],
    hidden: set[str] | frozenset[str] = frozenset(),
) -> bool:
    """True when ``condition`` holds on one assessment's answers (False when there is none).

    The same evaluation the engine applies (``scoring.conditions``), one assessment at a time."""
    if condition is None:
        return False
    return condition_met(condition, value_reader(compiled, answers, hidden))


def not_applicable_by_profile(
    compiled: CompiledQuestionnaire, answers: Mapping[str, object], hidden=frozenset()
) -> set[str]:
    """Practice questions whose ``no_aplica_si`` holds: not asked, «No aplica» by the profile."""
    value_of = value_reader(compiled, answers, hidden)
    return {
        q.id
        for q in compiled.practice
        if q.no_aplica_si is not None
        and q.id not in hidden
        and condition_met(q.no_aplica_si, value_of)
    }


def no_corresponde_allowed(
    compiled: CompiledQuestionnaire,
    question: schema.RequirementQuestion,
    answers: Mapping[str, object],
) -> bool:
    """«No corresponde» is offered only where the item's ``no_corresponde_si`` holds."""
    return condition_holds(compiled, question.no_corresponde_si, answers)


def clean_reason(text: object) -> str | None:
    """A «No aplica» reason as the engine reads it: one line, at most REASON_MAX characters."""
    if not isinstance(text, str):
        return None
    line = " ".join(text.split())
    return line[:REASON_MAX] or None


def scoring_answers(
    answers: Mapping[str, object], reasons: Mapping[str, str] | None
) -> dict[str, object]:
    """The answers as the engine takes them: each «No aplica» reason as ``<id>__motivo``."""
    merged = dict(answers)
    for qid, reason in (reasons or {}).items():
        if answers.get(qid) == NO_APLICA and clean_reason(reason):
            merged[qid + REASON_SUFFIX] = clean_reason(reason)
    return merged


# --- which widgets this session changed (autosave) ---------------------------------------------

FILL = "fill"  # put the stored answer into the widgets
KEEP = "keep"  # untouched, and the database still holds what they show
CHANGED = "changed"  # the user changed them in this session: save them


def widget_sync(
    current: Mapping[str, object] | None,
    drawn: Mapping[str, object] | None,
    stored: Mapping[str, object],
) -> str:
    """What to do with one question's widgets at the start of a run of the form.

    ``current``: the widget values now, by part (None when the widgets were never drawn in this
    session or Streamlit dropped them, e.g. after a change of section). ``drawn``: the values
    this session last put into them or saved from them. ``stored``: the values that show the
    answer the database holds now.

    Only what the user changed is ever saved: a widget still showing what it was drawn with is
    refreshed from the database instead (another tab or replica may have answered it since),
    and never writes its stale value back. A part missing from ``current`` (the «No aplica»
    reason box, drawn only with «No aplica») counts as unchanged.
    """
    if current is None or drawn is None:
        return FILL
    now = {part: current.get(part, value) for part, value in drawn.items()}
    if now != dict(drawn):
        return CHANGED
    return KEEP if dict(drawn) == dict(stored) else FILL


def is_required(question: schema.Question) -> bool:
    """Required questions; every legal-floor item must be answered, whatever the file says."""
    return question.obligatoria or isinstance(question, schema.RequirementQuestion)


PAGE_LIMIT = 8  # a dimension with at most this many questions is one page of the form


@dataclass(frozen=True)
class FormPage:
    """One page of the form: a whole dimension when it is short, otherwise one theme."""

    index: int
    id: str  # id of its first theme, stored as the assessment's current section
    title: str
    dimension: str
    parts: list[tuple[schema.Theme, list[schema.Question]]]

    @property
    def questions(self) -> list[schema.Question]:
        return [q for _, questions in self.parts for q in questions]

    @property
    def label(self) -> str:
        return page_label(self.title, self.dimension)


def page_label(title: str, dimension: str) -> str:
    """ "Dimensión · eje", or just the dimension for a page that holds all of it."""
    return title if title == dimension else f"{dimension} · {title}"


# The pages depend only on the compiled questionnaire, which the app keeps for the life of
# the process, and the form asks for them on every rerun. Keyed by identity (the compiled
# object is held, so its id cannot be reused while cached); plain dict operations, safe across
# session threads. Treat the result as read-only.
_PAGES_CACHE: dict[int, tuple[CompiledQuestionnaire, list[FormPage]]] = {}
_PAGES_CACHE_SIZE = 16


def form_pages(compiled: CompiledQuestionnaire) -> list[FormPage]:
    """The form's pages in order. Short dimensions (the Exprés form) fit on one page."""
    hit = _PAGES_CACHE.get(id(compiled))
    if hit is not None and hit[0] is compiled:
        return hit[1]
    pages = _build_pages(compiled)
    if len(_PAGES_CACHE) >= _PAGES_CACHE_SIZE:
        _PAGES_CACHE.clear()
    _PAGES_CACHE[id(compiled)] = (compiled, pages)
    return pages


def _build_pages(compiled: CompiledQuestionnaire) -> list[FormPage]:
    grouped: list[tuple[schema.Dimension, list[tuple[schema.Theme, list[schema.Question]]]]] = []
    for dimension, theme, questions in compiled.sections():
        if grouped and grouped[-1][0].id == dimension.id:
            grouped[-1][1].append((theme, questions))
        else:
            grouped.append((dimension, [(theme, questions)]))
    pages: list[FormPage] = []
    for dimension, parts in grouped:
        if sum(len(q) for _, q in parts) <= PAGE_LIMIT:
            chunks = [parts]
        else:
            chunks = [[part] for part in parts]
        for chunk in chunks:
            title = dimension.nombre if len(chunk) > 1 else chunk[0][0].nombre
            pages.append(FormPage(len(pages), chunk[0][0].id, title, dimension.nombre, chunk))
    return pages


@dataclass
class SectionStatus:
    """One page of the form (a theme) and how far the firm got in it."""

    index: int
    id: str
    title: str
    dimension: str
    visible: list[schema.Question]
    answered: int
    missing_required: list[schema.Question] = field(default_factory=list)
    # Practice questions the profile makes not applicable (shown as a note, not asked).
    by_profile: list[schema.Question] = field(default_factory=list)
    # «No aplica» answers (not explained by the profile) still without their one-line reason.
    missing_reasons: list[schema.Question] = field(default_factory=list)

    @property
    def label(self) -> str:
        return page_label(self.title, self.dimension)

    @property
    def complete(self) -> bool:
        return (
            not self.missing_required
            and not self.missing_reasons
            and (self.answered > 0 or not self.visible)
        )


def section_statuses(
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    sources: Mapping[str, str] | None = None,
    reasons: Mapping[str, str] | None = None,
) -> list[SectionStatus]:
    """Every page's visible questions and progress (``sources`` never decide visibility).

    Method 2.0: questions the profile makes not applicable are left out of the count; a
    legal-floor «No corresponde» the profile no longer allows counts as unanswered; a «No aplica»
    without its reason is listed in ``missing_reasons``."""
    done = {qid for qid, value in answers.items() if is_answered(value)}
    usable = {qid: answers[qid] for qid in done}
    hidden = hidden_questions(compiled, usable)
    by_profile = not_applicable_by_profile(compiled, usable, hidden)
    for question in compiled.requirements:
        if answers.get(question.id) == "no_corresponde" and not no_corresponde_allowed(
            compiled, question, usable
        ):
            done.discard(question.id)
    reasons = reasons or {}
    statuses = []
    for page in form_pages(compiled):
        shown = [q for q in page.questions if q.id not in hidden]
        visible = [q for q in shown if q.id not in by_profile]
        answered = sum(1 for q in visible if q.id in done)
        missing = [q for q in visible if is_required(q) and q.id not in done]
        no_reason = [
            q
            for q in visible
            if isinstance(q, schema.PracticeQuestion)
            and answers.get(q.id) == NO_APLICA
            and not clean_reason(reasons.get(q.id))
        ]
        statuses.append(
            SectionStatus(
                page.index,
                page.id,
                page.title,
                page.dimension,
                visible,
                answered,
                missing,
                [q for q in shown if q.id in by_profile],
                no_reason,
            )
        )
    return statuses


def progress(statuses: list[SectionStatus]) -> tuple[int, int]:
    """(answered, applicable) questions over the whole form."""
    answered = sum(s.answered for s in statuses)
    applicable = sum(len(s.visible) for s in statuses)
    return answered, applicable


def missing_required(statuses: list[SectionStatus]) -> list[SectionStatus]:
    """The sections that still have required questions without an answer or a missing reason."""
    return [s for s in statuses if s.missing_required or s.missing_reasons]


def section_index(compiled: CompiledQuestionnaire, section_id: str | None) -> int:
    """Page holding a saved section (theme) id; 0 when unknown (e.g. a changed questionnaire)."""
    for page in form_pages(compiled):
        if any(theme.id == section_id for theme, _ in page.parts):
            return page.index
    return 0


def parse_number_answer(
    question: schema.NumberQuestion, text: str | None
) -> tuple[float | None, str | None]:
    """A typed number as float, or a Spanish message saying what is wrong with it."""
    if text is None or not str(text).strip():
        return None, None
    try:
        value = parse_number_es(str(text))
    except ValueError as exc:
        return None, str(exc)
    if value < question.minimo or value > question.maximo:
        low, high = plain_number(question.minimo), plain_number(question.maximo)
        return None, f"El valor debe estar entre {low} y {high} {question.unidad}."
    if not math.isclose(round(value, question.decimales), value, rel_tol=0, abs_tol=1e-9):
        places = question.decimales
        allowed = "sin decimales" if places == 0 else f"con {places} decimales como máximo"
        return None, f"Escriba la cifra {allowed}."
    return value, None


def plain_number(value: float, decimals: int = 2) -> str:
    """A limit or amount with decimals only when it has them."""
    return format_number_es(value, 0 if float(value).is_integer() else decimals)


def number_text(value: object, decimals: int) -> str:
    """A saved number as the text to show in its input box."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    full = format_number_es(value, decimals)  # "1 500,00": decimal comma, spaced thousands
    short = full.rstrip("0").rstrip(",") if "," in full else full
    # The shortest text that reads back as the same number.
    for text in (short, full):
        try:
            if math.isclose(parse_number_es(text), float(value), rel_tol=0, abs_tol=1e-9):
                return text
        except ValueError:
            continue
    return full


def choice_value_ok(question: schema.Question, value: object) -> str | None:
    """Message when a choice answer mixes «No sé» with options, else None."""
    if isinstance(question, schema.MultipleChoiceQuestion) and isinstance(value, list):
        if NO_SE in value and len(value) > 1:
            return "«No sé» no se puede combinar con otras opciones."
        if NO_APLICA in value and len(value) > 1:
            return "«No aplica» no se puede combinar con otras opciones."
    return None


# --- notes and carrying answers over from an earlier assessment --------------------------------

NOTE_MAX = 1000  # characters of an optional note or evidence on one answer


def note_error(text: str | None) -> str | None:
    """Spanish message when a note is too long, else None."""
    if text and len(text) > NOTE_MAX:
        return (
            f"La nota tiene {format_number_es(len(text), 0)} caracteres y el máximo es "
            f"{format_number_es(NOTE_MAX, 0)}. Acórtela: lo escrito sigue aquí."
        )
    return None


def answer_valid(question: schema.Question, value: object, source: str | None = None) -> bool:
    """True when ``value`` is still a valid answer to ``question`` (its options, range and
    special answers as the questionnaire defines them now)."""
    if value is None or isinstance(value, bool):
        return False
    specials = {NO_SE} if question.permite_no_se else set()
    if question.permite_no_aplica:
        specials.add(NO_APLICA)
    special = isinstance(value, str) and value in specials
    if isinstance(question, schema.RequirementQuestion):
        return special or (isinstance(value, str) and value in schema.REQUIREMENT_ANSWERS)
    if isinstance(question, schema.PracticeQuestion):
        if isinstance(value, int):
            return 0 <= value < len(question.niveles)
        return special
    if isinstance(question, schema.SingleChoiceQuestion):
        return special or (isinstance(value, str) and value in {o.valor for o in question.opciones})
    if isinstance(question, schema.MultipleChoiceQuestion):
        allowed = {o.valor for o in question.opciones} | specials
        return (
            isinstance(value, list)
            and bool(value)
            and all(v in allowed for v in value)
            and choice_value_ok(question, value) is None
        )
    if isinstance(question, schema.NumberQuestion):
        if value == NO_SE:
            return question.permite_no_se
        if not isinstance(value, int | float) or not math.isfinite(value):
            return False
        if source is not None and source not in SOURCE_LABELS:
            return False
        return question.minimo <= value <= question.maximo and math.isclose(
            round(value, question.decimales), value, rel_tol=0, abs_tol=1e-9
        )
    if isinstance(question, schema.TextQuestion):
        return isinstance(value, str) and 0 < len(value) <= question.max_caracteres
    return False


@dataclass
class CarriedAnswers:
    """Answers to copy into a new assessment (all marked carried over until confirmed)."""

    answers: dict[str, object] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)


def answers_to_carry(
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    sources: Mapping[str, str] | None = None,
    comments: Mapping[str, str] | None = None,
) -> CarriedAnswers:
    """The earlier answers that fit the new questionnaire: same question id, still valid.

    Registry data (the size class) is never carried: it comes from the firm's registration."""
    sources = sources or {}
    comments = comments or {}
    carried = CarriedAnswers()
    for question in compiled.questions:
        value = answers.get(question.id)
        if question.dato_registro is not None:
            continue
        if not answer_valid(question, value, sources.get(question.id)):
            continue
        carried.answers[question.id] = value
        if sources.get(question.id):
            carried.sources[question.id] = sources[question.id]
        if comments.get(question.id):
            carried.comments[question.id] = comments[question.id][:NOTE_MAX]
    return carried


# Number questions answered from what the firm declared at registration (or updated in «Mi
# empresa»), by question id: the firm's attribute.
REGISTRY_NUMBERS = {
    "eco_anio_datos": "sales_year",
    "eco_ventas": "annual_sales",
    "eco_trabajadores": "workers",
}


def registry_prefill(
    compiled: CompiledQuestionnaire, firm_data: Mapping[str, object], already: Mapping[str, object]
) -> dict[str, object]:
    """Registration figures for the form's number questions not already given (valid only)."""
    found: dict[str, object] = {}
    by_id = compiled.by_id
    for qid, attribute in REGISTRY_NUMBERS.items():
        question = by_id.get(qid)
        raw = firm_data.get(attribute)
        if question is None or qid in already or raw is None or isinstance(raw, bool):
            continue
        try:
            value = float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            continue
        value = round(value, question.decimales)  # type: ignore[union-attr]
        value = int(value) if float(value).is_integer() else value
        if answer_valid(question, value):
            found[qid] = value
    return found
