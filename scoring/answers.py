"""Answers: check them against the questionnaire and encode them as numeric arrays.

One assessment is a mapping ``question id -> value`` (plus an optional ``sources`` mapping for
number answers). Many assessments are a table with one row each and one column per question id
(``<id>__fuente`` for the source of a number). Both go through ``encode_frame``, so one
assessment and a batch are read by exactly the same code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring import schema
from scoring.compiled import CompiledQuestionnaire
from scoring.conditions import apply_conditions
from scoring.numbers import parse_number_es

NO_APLICA = "no_aplica"
NO_SE = "no_se"
SOURCES = ("medido", "estimado", "no_se")
SOURCE_SUFFIX = "__fuente"
REASON_SUFFIX = "__motivo"  # one-line reason for a "No aplica" the profile does not explain
REASON_MAX = 200

# Practice codes in the encoded matrix. Levels are 0..4; every "not a level" state is negative,
# ordered so that ``code >= UNANSWERED`` means "counts in the denominator".
DONT_KNOW = -1.0
UNANSWERED = -2.0
NOT_APPLICABLE = -3.0
HIDDEN = -4.0

_PRACTICE_CODES: dict[object, float] = {NO_SE: DONT_KNOW, NO_APLICA: NOT_APPLICABLE}
for _level in range(5):
    _PRACTICE_CODES[_level] = float(_level)
    _PRACTICE_CODES[str(_level)] = float(_level)


@dataclass(frozen=True)
class AnswerProblem:
    row: int | None  # 1-based data row in a table; None for a single assessment
    question_id: str
    message: str

    def __str__(self) -> str:
        where = f"fila {self.row}, " if self.row is not None else ""
        return f"{where}pregunta {self.question_id}: {self.message}"


@dataclass
class Encoded:
    """Numeric form of N assessments for one compiled questionnaire."""

    ids: list[str]
    practice: np.ndarray  # N × P float32 codes (see above); small integers, so exact
    numbers: np.ndarray  # N × M float64, NaN when missing or "no sé"
    number_sources: np.ndarray  # N × M object: "medido" / "estimado" / "no_se" / None
    choices: dict[str, np.ndarray] = field(default_factory=dict)  # id -> N objects
    hidden: dict[str, np.ndarray] = field(default_factory=dict)  # id -> N bools (skipped)
    # Legal-floor answers, N × R objects: "si", "no", "en_tramite", "no_corresponde" or None.
    requirements: np.ndarray | None = None
    # Practice question id -> N objects: the firm's reason for a declared "No aplica" (None
    # where the profile made the question not applicable, or where there is no such answer).
    reasons: dict[str, np.ndarray] = field(default_factory=dict)
    # Practice question id -> N bools: "No aplica" decided by the profile.
    profile_na: dict[str, np.ndarray] = field(default_factory=dict)
    # Derived by ``prepare`` once the codes are final: what the engine multiplies and counts.
    levels: np.ndarray | None = None  # N × P: the level where there is one, else 0
    applicable: np.ndarray | None = None  # N × P: 1 where the question counts, else 0
    dont_know: np.ndarray | None = None  # N × P: 1 where the answer is "No sé", else 0
    counts: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def dont_know_count(self) -> np.ndarray:
        return self.counts["no_se"]

    def __len__(self) -> int:
        return len(self.ids)


def prepare(encoded: Encoded) -> Encoded:
    """Compute the level and applicability matrices and the per-assessment counts."""
    codes = encoded.practice
    applicable = codes >= UNANSWERED
    encoded.levels = np.maximum(codes, 0)
    encoded.applicable = applicable.astype(codes.dtype)
    encoded.dont_know = (codes == DONT_KNOW).astype(codes.dtype)
    encoded.counts = {
        "aplicables": np.count_nonzero(applicable, axis=1),
        "respondidas": np.count_nonzero(codes >= 0, axis=1),
        "no_se": np.count_nonzero(codes == DONT_KNOW, axis=1),
        "no_aplica": np.count_nonzero(codes == NOT_APPLICABLE, axis=1),
        "sin_respuesta": np.count_nonzero(codes == UNANSWERED, axis=1),
    }
    return encoded


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def records_to_frame(
    records: list[tuple[str, Mapping[str, object], Mapping[str, str] | None]],
) -> pd.DataFrame:
    """Turn ``(id, answers, sources)`` triples into the one-row-per-assessment table."""
    rows = []
    for ident, answers, sources in records:
        row: dict[str, object] = {"id": ident}
        row.update(answers)
        for qid, source in (sources or {}).items():
            row[qid + SOURCE_SUFFIX] = source
        rows.append(row)
    return pd.DataFrame(rows, dtype=object)


def encode_answers(
    compiled: CompiledQuestionnaire,
    answers: Mapping[str, object],
    sources: Mapping[str, str] | None = None,
    ident: str = "evaluacion",
) -> tuple[Encoded, list[AnswerProblem]]:
    """Encode one assessment; problems name the question (no row number)."""
    frame = records_to_frame([(ident, answers, sources)])
    encoded, problems, _ = encode_frame(compiled, frame, strict_rows=False)
    return encoded, [AnswerProblem(None, p.question_id, p.message) for p in problems]


def encode_frame(
    compiled: CompiledQuestionnaire, frame: pd.DataFrame, strict_rows: bool = True
) -> tuple[Encoded, list[AnswerProblem], np.ndarray]:
    """Encode a table. With ``strict_rows`` the rows with any problem are left out.

    Returns the encoding, the problems (1-based row numbers) and the mask of kept rows.
    """
    n = len(frame)
    problems: list[AnswerProblem] = []
    bad = np.zeros(n, dtype=bool)
    known = set(compiled.all_ids) | {"id"}
    for column in frame.columns:
        base = str(column).removesuffix(SOURCE_SUFFIX).removesuffix(REASON_SUFFIX)
        if base not in known:
            problems.append(
                AnswerProblem(None, str(column), "columna desconocida: no es una pregunta.")
            )

    def flag(mask: np.ndarray, qid: str, message: str, values: pd.Series | None = None) -> None:
        for row in np.flatnonzero(mask):
            shown = f" (se leyó {values.iloc[row]!r})" if values is not None else ""
            problems.append(AnswerProblem(int(row) + 1, qid, message + shown))
        bad[mask] = True

    practice = np.full((n, len(compiled.practice)), UNANSWERED, dtype=np.float32)
    for p, question in enumerate(compiled.practice):
        if question.id not in frame.columns:
            continue
        raw = frame[question.id]
        codes = map_cells(raw, _practice_code).astype(np.float64)
        flag(
            np.isnan(codes),
            question.id,
            "se espera un nivel del 0 al 4, no_aplica o no_se",
            raw,
        )
        if not question.permite_no_aplica:
            flag(codes == NOT_APPLICABLE, question.id, "esta pregunta no admite 'No aplica'")
        if not question.permite_no_se:
            flag(codes == DONT_KNOW, question.id, "esta pregunta no admite 'No sé'")
        practice[:, p] = np.where(np.isnan(codes), UNANSWERED, codes)

    numbers = np.full((n, len(compiled.numbers)), np.nan, dtype=np.float64)
    sources = np.full((n, len(compiled.numbers)), None, dtype=object)
    for m, question in enumerate(compiled.numbers):
        if question.id in frame.columns:
            numbers[:, m], sources[:, m] = _encode_number(question, frame, flag)

    choices: dict[str, np.ndarray] = {}
    for question in compiled.questions:
        if question.id not in frame.columns:
            continue
        if isinstance(question, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
            choices[question.id] = _encode_choice(question, frame[question.id], flag)
        elif isinstance(question, schema.TextQuestion):
            raw = frame[question.id]
            limit = question.max_caracteres
            too_long = raw.map(lambda v, limit=limit: isinstance(v, str) and len(v) > limit)
            too_long = too_long.to_numpy(dtype=bool)
            flag(too_long, question.id, f"texto de más de {question.max_caracteres} caracteres")
            choices[question.id] = map_cells(raw, _read_text)

    requirements = np.full((n, len(compiled.requirements)), None, dtype=object)
    for r, question in enumerate(compiled.requirements):
        if question.id in frame.columns:
            requirements[:, r] = _encode_requirement(question, frame[question.id], flag)

    if "id" in frame.columns:
        ids = frame["id"].astype(str).tolist()
    else:
        ids = [str(i + 1) for i in range(n)]
    encoded = Encoded(ids, practice, numbers, sources, choices, requirements=requirements)
    for question in compiled.practice:
        column = question.id + REASON_SUFFIX
        if column in frame.columns:
            encoded.reasons[question.id] = map_cells(frame[column], _read_reason)
    apply_conditions(compiled, encoded)
    if compiled.method == "2.0":
        apply_profile(compiled, encoded, flag)
    keep = ~bad if strict_rows else np.ones(n, dtype=bool)
    if strict_rows and bad.any():
        encoded = subset(encoded, keep)
    return prepare(encoded), problems, keep


def apply_profile(compiled: CompiledQuestionnaire, encoded: Encoded, flag) -> None:
    """Method 2.0 applicability: the profile decides "No aplica" and "No corresponde".

    Where a question's ``no_aplica_si`` holds it is not applicable whatever was answered.
    Elsewhere a "No aplica" counts only with a one-line reason; without one it is read as
    unanswered (0 points), so a bare "No aplica" can never lift a score. A legal-floor
    "No corresponde" that the profile does not support counts as unmet ("no").
    """
    from scoring.conditions import evaluate

    for question in compiled.practice:
        p = compiled.practice_index[question.id]
        codes = encoded.practice[:, p]
        visible = codes != HIDDEN
        by_profile = np.zeros(len(encoded), dtype=bool)
        if question.no_aplica_si is not None:
            by_profile = evaluate(question.no_aplica_si, compiled, encoded) & visible
            codes[by_profile] = NOT_APPLICABLE
            encoded.profile_na[question.id] = by_profile
        reasons = encoded.reasons.get(question.id)
        has_reason = (
            np.not_equal(reasons, None).astype(bool)
            if reasons is not None
            else np.zeros(len(encoded), dtype=bool)
        )
        bare = (codes == NOT_APPLICABLE) & ~by_profile & ~has_reason
        flag(
            bare,
            question.id,
            "«No aplica» necesita un motivo de una línea (columna "
            f"{question.id}{REASON_SUFFIX}) cuando el perfil no lo indica",
        )
        codes[bare] = UNANSWERED
        if reasons is not None:
            keep = (codes == NOT_APPLICABLE) & ~by_profile
            encoded.reasons[question.id] = np.where(keep, reasons, None)
    for r, question in enumerate(compiled.requirements):
        answers = encoded.requirements[:, r]
        claimed = answers == "no_corresponde"
        if not claimed.any():
            continue
        allowed = (
            evaluate(question.no_corresponde_si, compiled, encoded)
            if question.no_corresponde_si is not None
            else np.zeros(len(encoded), dtype=bool)
        )
        wrong = claimed & ~allowed
        flag(wrong, question.id, "«No corresponde» solo vale donde el perfil lo indica")
        answers[wrong] = "no"


def subset(encoded: Encoded, mask: np.ndarray) -> Encoded:
    """The assessments where ``mask`` is true (derived matrices recomputed by ``prepare``)."""
    return Encoded(
        [i for i, k in zip(encoded.ids, mask, strict=True) if k],
        encoded.practice[mask],
        encoded.numbers[mask],
        encoded.number_sources[mask],
        {k: v[mask] for k, v in encoded.choices.items()},
        {k: v[mask] for k, v in encoded.hidden.items()},
        None if encoded.requirements is None else encoded.requirements[mask],
        {k: v[mask] for k, v in encoded.reasons.items()},
        {k: v[mask] for k, v in encoded.profile_na.items()},
    )


def map_cells(raw: pd.Series, func) -> np.ndarray:
    """``func`` applied to each cell, calling it once per distinct value (columns of answers
    hold a handful of distinct values, so this is vectorised in practice)."""
    try:
        codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    except TypeError:  # unhashable cells such as lists: one call per cell
        return np.array([func(v) for v in raw.tolist()] or [], dtype=object)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):
        mapped[i] = func(value)
    mapped[-1] = func(None)
    return mapped[codes]


def _blank_mask(raw: pd.Series) -> np.ndarray:
    mask = raw.isna().to_numpy(dtype=bool, copy=True)
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        mask |= (raw == "").to_numpy(dtype=bool, na_value=False)
    return mask


def _practice_code(value: object) -> float:
    """Code of one practice answer; UNANSWERED for blank, NaN for something invalid."""
    if _blank(value):
        return UNANSWERED
    if isinstance(value, bool):  # True == 1 in Python: never read a yes/no as a level
        return np.nan
    if isinstance(value, str):
        value = value.strip().lower()
    elif isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return _PRACTICE_CODES.get(value, np.nan)  # type: ignore[arg-type]
    except TypeError:
        return np.nan


AMBIGUOUS_NUMBER = re.compile(r"^[+-]?[1-9]\d{0,2}[.,]\d{3}$")


def _to_float(value: object) -> float:
    """A number answer as float; NaN for blank or "no sé"; raises ValueError otherwise."""
    if _blank(value) or value == NO_SE:
        return np.nan
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, Mapping):
        return _to_float(value.get("valor"))
    text = str(value).strip()
    if AMBIGUOUS_NUMBER.match(text):
        return parse_number_es(text)  # raises: "1.234" may be 1,234 or 1234
    try:
        return float(text.replace(" ", "").replace("\u00a0", ""))
    except ValueError:
        return parse_number_es(text)


def _encode_number(question: schema.NumberQuestion, frame: pd.DataFrame, flag):
    raw = frame[question.id]
    blank = _blank_mask(raw)
    dont_know = (raw == NO_SE).to_numpy(dtype=bool)
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, copy=True)
    if raw.dtype == object or pd.api.types.is_string_dtype(raw):
        # "1.234" or "1,234": thousands or decimals? Never guess: send them to the check below.
        ambiguous = raw.astype(str).str.match(AMBIGUOUS_NUMBER.pattern).to_numpy(dtype=bool)
        values[ambiguous & ~blank] = np.nan
    unreadable = np.zeros(len(raw), dtype=bool)
    for i in np.flatnonzero(np.isnan(values) & ~blank & ~dont_know):
        try:  # Spanish spellings such as "1.234,5", or {"valor": …}
            values[i] = _to_float(raw.iloc[i])
        except (ValueError, TypeError):
            unreadable[i] = True
    flag(
        unreadable,
        question.id,
        f"se espera un número en {question.unidad} (por ejemplo 1234,5 o 1 234,5) o no_se",
        raw,
    )
    with np.errstate(invalid="ignore"):
        out = (values < question.minimo) | (values > question.maximo)
    flag(
        out,
        question.id,
        f"el valor debe estar entre {question.minimo:g} y {question.maximo:g} {question.unidad}",
        raw,
    )
    if not question.permite_no_se:
        flag(dont_know, question.id, "esta pregunta no admite 'No sé'")
    source_column = question.id + SOURCE_SUFFIX
    sources = np.full(len(raw), None, dtype=object)
    if source_column in frame.columns:
        given = map_cells(
            frame[source_column], lambda v: None if _blank(v) else str(v).strip().lower()
        )
        wrong = map_cells(
            frame[source_column],
            lambda v: not _blank(v) and str(v).strip().lower() not in SOURCES,
        ).astype(bool)
        flag(
            wrong,
            question.id,
            "la fuente debe ser medido, estimado o no_se",
            frame[source_column],
        )
        sources = np.where(wrong, None, given)
    sources = np.where(dont_know, NO_SE, sources)
    values = np.where(out | unreadable, np.nan, values)
    return values, sources


_INVALID = object()  # a choice cell that is not one of the question's options


def _read_choice(question, value: object) -> object:
    """One choice cell: None when blank, the option (a frozenset for multiple choice),
    "no_se"/"no_aplica" when the question allows them, otherwise ``_INVALID``."""
    if not isinstance(value, list | tuple | set | frozenset) and _blank(value):
        return None
    if isinstance(value, str) and value in (NO_SE, NO_APLICA):
        permitted = question.permite_no_se if value == NO_SE else question.permite_no_aplica
        return value if permitted else _INVALID
    allowed = {o.valor for o in question.opciones}
    if isinstance(question, schema.MultipleChoiceQuestion):
        items = value.split("|") if isinstance(value, str) else list(value)
        items = [str(item).strip() for item in items if str(item).strip()]
        return frozenset(items) if all(item in allowed for item in items) else _INVALID
    return str(value).strip() if str(value).strip() in allowed else _INVALID


def _encode_choice(question, raw: pd.Series, flag) -> np.ndarray:
    result = map_cells(raw, lambda v: _read_choice(question, v))
    wrong = map_cells(raw, lambda v: _read_choice(question, v) is _INVALID).astype(bool)
    result[wrong] = None
    options = ", ".join(sorted(o.valor for o in question.opciones))
    flag(wrong, question.id, f"opción no válida; use una de: {options}", raw)
    return result


def _read_reason(value: object) -> str | None:
    """A "No aplica" reason: one line of visible text, cut at REASON_MAX characters."""
    if not isinstance(value, str):
        return None
    line = " ".join(value.split())
    return line[:REASON_MAX] if line else None


def _encode_requirement(question: schema.RequirementQuestion, raw: pd.Series, flag) -> np.ndarray:
    allowed = set(schema.REQUIREMENT_ANSWERS)
    if question.permite_no_se:
        allowed.add(NO_SE)

    def read(value: object) -> object:
        if _blank(value):
            return None
        text = str(value).strip().lower()
        return text if text in allowed else _INVALID

    result = map_cells(raw, read)
    wrong = np.equal(result, _INVALID).astype(bool)  # identity: object() has no other equal
    result[wrong] = None
    flag(wrong, question.id, "use si, no, en_tramite o no_corresponde", raw)
    return result


def _read_text(value: object) -> str | None:
    """A free-text answer as conditions see it: None when blank, "No sé" or "No aplica"."""
    if not isinstance(value, str) or not value.strip() or value in (NO_SE, NO_APLICA):
        return None
    return value


def condition_value(compiled: CompiledQuestionnaire, question_id: str, value: object) -> object:
    """What a skip condition sees of one stored answer, cell by cell as ``encode_frame``
    encodes it: a practice level (float32) or a number (float), a choice as text (a frozenset for
    multiple choice), or None when there is no usable answer (blank, invalid, out of range,
    "No sé", "No aplica", or a question not asked at this depth); a text answer as text.

    Answers are JSON values (what storage keeps); this is the per-assessment twin of the
    column-wise ``scoring.conditions._values``.
    """
    if question_id in compiled.practice_index:
        code = _practice_code(value)
        # float32 like the practice matrix, so comparisons round exactly as there.
        return np.float32(code) if code >= 0 else None  # NaN (invalid) is not >= 0 either
    if question_id in compiled.number_index:
        question = compiled.numbers[compiled.number_index[question_id]]
        try:
            # pandas reads booleans as 0/1 before ``_to_float`` sees the other cells.
            number = float(value) if isinstance(value, bool) else _to_float(value)
        except (ValueError, TypeError):
            return None
        if np.isnan(number) or number < question.minimo or number > question.maximo:
            return None
        return number
    question = compiled.by_id.get(question_id)
    if isinstance(question, schema.TextQuestion):
        return _read_text(value)
    if not isinstance(question, schema.SingleChoiceQuestion | schema.MultipleChoiceQuestion):
        return None
    read = _read_choice(question, value)
    if read is _INVALID or read is None or read in (NO_SE, NO_APLICA):
        return None
    return read
