"""Parsing numbers as Peruvian users type them, and formatting in es_PE."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.numbers import (
    format_date_es,
    format_number_es,
    format_percent_es,
    format_soles,
    parse_number_es,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234,5", 1234.5),
        ("1,234.5", 1234.5),
        ("1234,5", 1234.5),
        ("1234.5", 1234.5),
        ("1 234,5", 1234.5),
        ("1\u00a0234,5", 1234.5),
        ("1.234.567", 1234567),
        ("1,234,567", 1234567),
        ("1.234.567,89", 1234567.89),
        ("1,234,567.89", 1234567.89),
        ("  42 ", 42),
        ("0", 0),
        ("-12,5", -12.5),
        ("\u221212,5", -12.5),
        ("+3", 3),
        ("0,125", 0.125),
        (",5", 0.5),
        ("12,34", 12.34),
        ("1,5", 1.5),
        ("1 234 567,5", 1234567.5),
        ("1 234,567", 1234.567),
    ],
)
def test_parse_accepted(text: str, value: float) -> None:
    assert parse_number_es(text) == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "1,2,3",
        "12.34.5",
        "1.23,4",
        "5.",
        "1,234.567,8",
        "1..2",
        "--1",
        "1e5",
        "S/ 100",
        "1 2",
        "1.234 567",
    ],
)
def test_parse_refused_with_spanish_hint(text: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_number_es(text)
    assert "Escriba un número, por ejemplo 1 234,5 o 1234.5." in str(info.value)


@pytest.mark.parametrize("text", ["1,500", "1.500", "850,000", "12.345"])
def test_single_separator_before_three_digits_is_ambiguous(text: str) -> None:
    with pytest.raises(ValueError, match="ambiguo"):
        parse_number_es(text)


def test_formatting_es_pe() -> None:
    assert format_number_es(1234567.891) == "1\u00a0234\u00a0567,9"
    assert format_number_es(1234.5, 0) == "1\u00a0234"
    assert format_number_es(2.25, 2) == "2,25"
    assert format_number_es(-0.04) == "0,0"
    assert format_percent_es(0.253) == "25\u00a0%"
    assert format_percent_es(0.2535, 1) == "25,4\u00a0%"
    assert format_soles(1234.5) == "S/\u00a01\u00a0234,50"
    assert format_date_es(dt.date(2026, 11, 27)) == "27 de noviembre de 2026"
    with pytest.raises(ValueError):
        format_number_es(math.inf)


@given(
    x=st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    decimals=st.sampled_from([1, 2]),
)
def test_format_then_parse_round_trip(x: float, decimals: int) -> None:
    text = format_number_es(x, decimals)
    value = parse_number_es(text)
    assert abs(value - x) <= 0.5 * 10**-decimals + 1e-6 * max(1.0, abs(x))
    assert format_number_es(value, decimals) == text


@given(x=st.integers(min_value=-(10**12), max_value=10**12))
def test_integers_round_trip(x: int) -> None:
    assert parse_number_es(format_number_es(x, 0)) == x
