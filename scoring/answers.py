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
    # P × 3N: levels, applicable and dont_know side by side, one row per question (the three
    # above are views of it), so the engine multiplies them by the weights in one product.
    stacked: np.ndarray | None = None

    @property
    def dont_know_count(self) -> np.ndarray:
        return self.counts["no_se"]

    def __len__(self) -> int:
        return len(self.ids)


def prepare(encoded: Encoded) -> Encoded:
    """Compute the level and applicability matrices and the per-assessment counts."""
    codes = encoded.practice
    n, n_questions = codes.shape
    by_question = codes.T  # P × N: contiguous rows when ``codes`` is column-major
    stacked = np.empty((n_questions, 3, n), dtype=codes.dtype)
    np.maximum(by_question, 0, out=stacked[:, 0])
    applicable = by_question >= UNANSWERED
    dont_know = by_question == DONT_KNOW
    stacked[:, 1] = applicable
    stacked[:, 2] = dont_know
    encoded.stacked = stacked.reshape(n_questions, 3 * n)
    encoded.levels, encoded.applicable, encoded.dont_know = (
        stacked[:, 0].T,
        stacked[:, 1].T,
        stacked[:, 2].T,
    )
    encoded.counts = {
        "aplicables": np.count_nonzero(applicable, axis=0),
        "respondidas": np.count_nonzero(by_question >= 0, axis=0),
        "no_se": np.count_nonzero(dont_know, axis=0),
        "no_aplica": np.count_nonzero(by_question == NOT_APPLICABLE, axis=0),
        "sin_respuesta": np.count_nonzero(by_question == UNANSWERED, axis=0),
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

    # Column-major: every question's answers are contiguous while they are read and checked.
    practice = np.full((n, len(compiled.practice)), UNANSWERED, dtype=np.float32, order="F")
    for p, question in enumerate(compiled.practice):
        if question.id not in frame.columns:
            continue
        raw = frame[question.id]
        codes = _practice_column(raw)
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

    numbers = np.full((n, len(compiled.numbers)), np.nan, dtype=np.float64, order="F")
    sources = np.full((n, len(compiled.numbers)), None, dtype=object, order="F")
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
            encoded.reasons[question.id] = map_cells_many(
                frame[column], _read_reason, common=("",)
            )[0]
    apply_conditions(compiled, encoded)
    if compiled.method == "2.0":
        apply_profile(compiled, encoded, flag)
    keep = ~bad if strict_rows else np.ones(n, dtype=bool)
    if strict_rows and bad.any():
        encoded = subset(encoded, keep)
        encoded.practice = np.asfortranarray(encoded.practice)
    prepare(encoded)
    encoded.practice = np.ascontiguousarray(encoded.practice)  # one row per assessment
    return encoded, problems, keep


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
            ~pd.isna(reasons)  # None or a non-empty line (``_read_reason``)
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


def map_cells_many(
    raw: pd.Series, *funcs, common: tuple[str, ...] = (), dtypes: tuple = ()
) -> list[np.ndarray]:
    """``map_cells`` for several functions at once, the result of each as ``dtypes`` says
    (object when not given). ``common``: the texts most cells hold (the answers as the form
    writes them); in a column kept in Arrow they are looked up all at once and only the other
    cells are grouped by distinct value. Same results either way."""
    kinds = list(dtypes) + [object] * (len(funcs) - len(dtypes))
    array = _arrow_strings(raw) if common else None
    if array is None:
        try:
            codes, uniques = pd.factorize(raw, use_na_sentinel=True)
        except TypeError:  # unhashable cells such as lists: one call per cell
            return [map_cells(raw, f).astype(k) for f, k in zip(funcs, kinds, strict=True)]
    else:
        import pyarrow as pa
        import pyarrow.compute as pc

        uniques = list(common)
        found = pc.index_in(array, value_set=pa.array(uniques, type=array.type))
        codes = pc.fill_null(found, -2).to_numpy(zero_copy_only=False).astype(np.intp)
        codes[array.is_null().to_numpy(zero_copy_only=False)] = -1
    rest = codes == -2  # only in Arrow columns: a cell that is none of ``common``
    result = []
    for func, kind in zip(funcs, kinds, strict=True):
        mapped = np.empty(len(uniques) + 1, dtype=object)
        for i, value in enumerate(uniques):
            mapped[i] = func(value)
        mapped[-1] = func(None)
        result.append(mapped.astype(kind)[codes])
    if rest.any():
        others = map_cells_many(raw[rest], *funcs, dtypes=tuple(kinds))
        for out, mapped in zip(result, others, strict=True):
            out[rest] = mapped
    return result


def _arrow_strings(raw: pd.Series):
    """The column as one pyarrow string array when pandas keeps it in Arrow (CSV text read by
    the command line, or any ``str`` column); None for other columns."""
    dtype = raw.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        pass
    elif not (isinstance(dtype, pd.ArrowDtype) and dtype.kind in "OUS"):
        return None
    import pyarrow as pa

    array = pa.array(raw.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if not (pa.types.is_string(array.type) or pa.types.is_large_string(array.type)):
        return None
    return array


# Practice answers as the form and the CSV write them, and their codes (see ``_practice_code``).
_PLAIN_PRACTICE = ("0", "1", "2", "3", "4", NO_SE, NO_APLICA, "")
_PLAIN_CODES = np.array([0.0, 1.0, 2.0, 3.0, 4.0, DONT_KNOW, NOT_APPLICABLE, UNANSWERED, np.nan])


def _practice_column(raw: pd.Series) -> np.ndarray:
    """Codes (float64, NaN where invalid) of one column of practice answers: the same as
    ``_practice_code`` cell by cell. Text kept in Arrow is looked up all at once against the
    answers spelled as the form writes them; any other cell (blank aside) goes through
    ``_practice_code``, once per distinct value."""
    array = _arrow_strings(raw)
    if array is None:
        return map_cells(raw, _practice_code).astype(np.float64)
    import pyarrow as pa
    import pyarrow.compute as pc

    plain = pa.array(_PLAIN_PRACTICE, type=array.type)
    found = pc.fill_null(pc.index_in(array, value_set=plain), len(_PLAIN_PRACTICE))
    codes = _PLAIN_CODES[found.to_numpy(zero_copy_only=False)]
    other = np.isnan(codes)
    if other.any():
        missing = array.is_null().to_numpy(zero_copy_only=False)
        codes[other & missing] = UNANSWERED
        rest = other & ~missing
        if rest.any():
            codes[rest] = map_cells(raw[rest], _practice_code).astype(np.float64)
    return codes


_DIGITS_MAX = 15  # plain decimals with at most 15 digits: every parser rounds them alike
# Byte classes of plain decimals, summed per cell: a digit adds 0, "." 1, "-" 32, anything else
# 1024 (cells have at most 17 bytes here, so the three counts never mix).
_BYTE_CLASS = np.full(256, 1024, dtype=np.int32)
_BYTE_CLASS[ord("0") : ord("9") + 1] = 0
_BYTE_CLASS[ord(".")] = 1
_BYTE_CLASS[ord("-")] = 32


def _plain_numbers(raw: pd.Series):
    """Number answers of a column kept in Arrow when every cell is blank, "no_se" or a plain
    decimal (``-?digits[.digits]``, at most 15 digits, not "-0…"): float64 values (NaN where
    blank or "no_se" and where it may be ambiguous, "1.234", left to ``_to_float`` as before),
    the blank cells and the "no_se" cells.

    Those cells read exactly as ``pd.to_numeric`` reads them (Arrow's parser and pandas' both
    round correctly, and at most 15 digits fit a float64 exactly). None when any other cell
    is present: the column is then read the general way."""
    array = _arrow_strings(raw)
    if array is None:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(array)
    buffers = array.buffers()
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    offsets = np.frombuffer(buffers[1], dtype=width)[array.offset : array.offset + n + 1]
    offsets = offsets.astype(np.int64)
    start, length = offsets[:-1], np.diff(offsets)
    present = length > 0
    if array.null_count:
        present &= array.is_valid().to_numpy(zero_copy_only=False)
    dont_know = pc.fill_null(pc.equal(array, NO_SE), False).to_numpy(zero_copy_only=False)
    numeric = present & ~dont_know
    values = np.full(n, np.nan)
    if not numeric.any():
        return values, ~present, dont_know
    if (length[numeric] > _DIGITS_MAX + 2).any():  # 15 digits, a sign and a point
        return None
    data = np.frombuffer(buffers[2], dtype=np.uint8)
    # Per cell, the sum of its bytes' classes (a 0 at the end closes the last cell; the sums
    # of empty cells are not used).
    byte_classes = np.empty(len(data) + 1, dtype=np.int32)
    np.take(_BYTE_CLASS, data, out=byte_classes[:-1])
    byte_classes[-1] = 0
    classes = np.add.reduceat(byte_classes, start)
    signed = classes >= 32
    first = data[np.where(numeric, start, 0)]
    second = data[np.where(numeric & (length > 1), start + 1, 0)]
    last = data[np.where(numeric, start + length - 1, 0)]
    plain = (
        ((classes & ~33) == 0)  # digits, at most one "." and at most one "-"
        & (length - (classes & 1) - signed <= _DIGITS_MAX)
        & np.where(signed, (first == ord("-")) & _is_digit(second), _is_digit(first))
        & ~(signed & (second == ord("0")))
        & _is_digit(last)
    )
    if not plain[numeric].all():
        return None
    # "1.234": one to three digits, the first not 0, a point and exactly three digits.
    body = length - signed
    lead = np.where(signed, second, first)
    candidates = numeric & (body >= 5) & (body <= 7) & (lead != ord("0"))
    ambiguous = np.zeros(n, dtype=bool)
    ambiguous[candidates] = data[(start + length - 4)[candidates]] == ord(".")
    readable = numeric & ~ambiguous
    if array.null_count == n - int(readable.sum()):  # every other cell is null: parse them all
        parsed = pc.cast(array, pa.float64()).to_numpy(zero_copy_only=False)[readable]
    else:
        parsed = pc.cast(array.filter(pa.array(readable)), pa.float64())
        parsed = parsed.to_numpy(zero_copy_only=False)
    values[readable] = parsed
    return values, ~present, dont_know


def _is_digit(byte: np.ndarray) -> np.ndarray:
    return (byte >= ord("0")) & (byte <= ord("9"))


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
    plain = _plain_numbers(raw)  # plain text only: already NaN where ambiguous ("1.234")
    if plain is not None:
        values, blank, dont_know = plain
    else:
        blank = _blank_mask(raw)
        dont_know = (raw == NO_SE).to_numpy(dtype=bool)
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, copy=True)
        if raw.dtype == object or pd.api.types.is_string_dtype(raw):
            # "1.234" or "1,234": thousands or decimals? Never guess: send them to the check
            # below.
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
        given, wrong = map_cells_many(
            frame[source_column],
            lambda v: None if _blank(v) else str(v).strip().lower(),
            lambda v: not _blank(v) and str(v).strip().lower() not in SOURCES,
            common=(*SOURCES, ""),
            dtypes=(object, bool),
        )
        flag(
            wrong,
            question.id,
            "la fuente debe ser medido, estimado o no_se",
            frame[source_column],
        )
        given[wrong] = None
        sources = given
    sources[dont_know] = NO_SE
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
    result, wrong = map_cells_many(
        raw,
        lambda v: _read_choice(question, v),
        lambda v: _read_choice(question, v) is _INVALID,
        common=(*(o.valor for o in question.opciones), NO_SE, NO_APLICA, ""),
        dtypes=(object, bool),
    )
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

    result, wrong = map_cells_many(
        raw,
        read,
        lambda v: read(v) is _INVALID,
        common=(*schema.REQUIREMENT_ANSWERS, NO_SE, ""),
        dtypes=(object, bool),
    )
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
