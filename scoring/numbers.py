"""Numbers and dates as Peruvian users read and type them (parsing is lenient, never silent)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from babel.dates import format_date

LOCALE = "es_PE"
try:
    from zoneinfo import ZoneInfo

    LIMA: dt.tzinfo = ZoneInfo("America/Lima")
except Exception:  # no tz database: Peru has no daylight saving time
    LIMA = dt.timezone(dt.timedelta(hours=-5))

# Spaces users (or copied documents) put between thousands: space, no-break, narrow no-break.
_SPACES = " \u00a0\u202f"
_ALLOWED = re.compile(rf"^[0-9.,{_SPACES}]+$")
_MINUS = "-\u2212"

EXPECTED = "Escriba un número, por ejemplo 1 234,5 o 1234.5."


def _fail(text: str) -> ValueError:
    if not text.strip():
        return ValueError(f"Falta el número. {EXPECTED}")
    return ValueError(f"No se reconoce «{text}» como número. {EXPECTED}")


def _check_groups(integer: str, separator: str, text: str) -> str:
    """Digits of ``integer`` after checking that ``separator`` splits it in groups of three."""
    groups = integer.split(separator)
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        raise ValueError(
            f"En «{text}» los miles no están bien separados: cada grupo después del separador "
            f"debe tener 3 cifras. {EXPECTED}"
        )
    return "".join(groups)


def parse_number_es(text: str) -> float:
    """Read a number typed as "1.234,5", "1,234.5", "1 234,5", "1234,5" or "1234.5".

    With both separators the last one is the decimal mark. A single "," or "." is the decimal
    mark, except when exactly three digits follow it ("1,500"): that reads as thousands in Peru
    and as decimals in Spain, so it is refused with a message instead of guessed.
    """
    original = "" if text is None else str(text)
    body = original.strip()
    sign = ""
    if body and body[0] in _MINUS + "+":
        sign = "-" if body[0] in _MINUS else ""
        body = body[1:].lstrip()
    if not body or not _ALLOWED.match(body) or not any(c.isdigit() for c in body):
        raise _fail(original)
    spaced = any(c in body for c in _SPACES)
    for space in _SPACES[1:]:
        body = body.replace(space, " ")
    marks = [c for c in body if c in ".,"]
    kinds = set(marks)
    decimal_mark: str | None = None
    group_mark: str | None = " " if spaced else None
    if len(kinds) == 2:
        decimal_mark = body[max(body.rfind("."), body.rfind(","))]
        if spaced or marks.count(decimal_mark) != 1:
            raise _fail(original)
        group_mark = "," if decimal_mark == "." else "."
    elif len(kinds) == 1:
        mark = marks[0]
        if len(marks) > 1:
            if spaced:
                raise _fail(original)
            group_mark = mark
        else:
            decimal_mark = mark
            integer, _, fraction = body.partition(mark)
            if not spaced and len(fraction) == 3 and integer.strip("0"):
                whole = integer + fraction
                raise ValueError(
                    f"«{original.strip()}» es ambiguo: puede significar {whole} (con separador de "
                    "miles) o un número con tres decimales. Si son miles, escríbalo sin "
                    f"separador ({whole}); si son decimales, agregue un cero al final "
                    f"({integer}{mark}{fraction}0)."
                )
    integer, _, fraction = body.partition(decimal_mark) if decimal_mark else (body, "", "")
    if decimal_mark and (not fraction or not fraction.isdigit()):
        raise _fail(original)
    if group_mark:
        integer = _check_groups(integer, group_mark, original.strip())
    if integer and not integer.isdigit():
        raise _fail(original)
    return float(f"{sign}{integer or '0'}.{fraction or '0'}")


def _rounded(x: float | int | Decimal, decimals: int) -> Decimal:
    if decimals < 0:
        raise ValueError("decimals must be zero or positive")
    value = Decimal(str(x))
    if not value.is_finite():
        raise ValueError(f"cannot format non-finite number {x!r}")
    value = value.quantize(Decimal(1).scaleb(-decimals))
    return abs(value) if value == 0 else value  # never "-0,0"


# Thousands are grouped with a no-break space and decimals follow a comma ("1 234 567,9"), as
# the RAE and the SI recommend: neither "1.234" nor "1,234" can then be misread.
GROUP = "\u00a0"


def format_number_es(x: float | int | Decimal, decimals: int = 1) -> str:
    """``x`` with ``decimals`` decimals: 1234567.891 → "1 234 567,9"."""
    text = f"{_rounded(x, decimals):,.{decimals}f}"
    return text.replace(",", GROUP).replace(".", ",")


def format_percent_es(x: float | int | Decimal, decimals: int = 0) -> str:
    """A fraction as a percentage: 0.253 → "25 %"."""
    return f"{format_number_es(Decimal(str(x)) * 100, decimals)}{GROUP}%"


def format_soles(x: float | int | Decimal, decimals: int = 2) -> str:
    """An amount in soles: "S/ 1 234,50"."""
    return f"S/{GROUP}{format_number_es(x, decimals)}"


def format_date_es(date: dt.date) -> str:
    """A date in words: "27 de noviembre de 2026"."""
    return format_date(date, "d 'de' MMMM 'de' y", locale=LOCALE)


def lima_time(value: dt.datetime) -> dt.datetime:
    """A stored timestamp (naive means UTC) in Lima's time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(LIMA)


def submission_labels(times: Sequence[dt.datetime]) -> list[str]:
    """One label per submission time: the date in words, plus the Lima time ("14:05 h") when
    another of the same list falls on the same Lima day, so two same-day assessments differ."""
    local = [lima_time(t) for t in times]
    days = [t.date() for t in local]
    return [
        format_date_es(day) + (f", {t:%H:%M} h" if days.count(day) > 1 else "")
        for t, day in zip(local, days, strict=True)
    ]
