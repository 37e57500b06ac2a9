"""Spanish (Peru) text for numbers, dates and labels, shared by every report format.

Numbers go through ``scoring.numbers`` so the reports read exactly like the app.
"""

from __future__ import annotations

import datetime as dt

from scoring.numbers import format_date_es, format_number_es

DASH = "—"
NBSP = "\u00a0"  # keeps a number on the same line as its unit

SOURCE_LABELS = {"medido": "Medido", "estimado": "Estimado", "no_se": "No sé"}
STATE_LABELS = {
    "no_se": "No sé",
    "no_aplica": "No aplica",
    "sin_respuesta": "Sin respuesta",
    "oculta": "No corresponde (pregunta omitida)",
}


def number(value: float | None, decimals: int = 1) -> str:
    """A number in the report convention, or an em dash when there is none."""
    if value is None:
        return DASH
    return format_number_es(value, decimals)


def points(value: float | None, decimals: int = 1) -> str:
    """A score with its unit, e.g. "62,5 puntos"."""
    return DASH if value is None else f"{number(value, decimals)}{NBSP}puntos"


def gain(value: float) -> str:
    """An expected gain, e.g. "+2,1 pts"."""
    return f"+{number(value, 1)}{NBSP}pts"


def percent(value: float | None, decimals: int = 1) -> str:
    """A value already on the 0–100 scale, e.g. 1,3 → "1,3 %"."""
    return DASH if value is None else f"{number(value, decimals)}{NBSP}%"


def date(value: dt.date | dt.datetime) -> str:
    return format_date_es(value.date() if isinstance(value, dt.datetime) else value)


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
