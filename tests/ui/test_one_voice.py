"""One way to say a number, a peer comparison and a dimension's colour (issue 10, item 9): the
screen, the staff panel and the PDF must agree, and a second formatter or palette must not
come back."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from reports import charts as report_charts
from reports import fmt, palette
from reports.pdf import report_data
from reports.sample import sample_report
from scoring.numbers import format_number_es
from ui import charts, staff_charts, widgets
from ui.staff_labels import labels_for, num

ROOT = Path(__file__).resolve().parents[2]
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def sample():
    return sample_report("completo", seed=7)


@pytest.mark.parametrize("value", [1234567.891, 62.5, 1000, 0.04, -0.04, -1234.56, 0])
def test_screen_staff_and_report_write_a_number_alike(value: float) -> None:
    shown = {
        charts.fmt_num(value),
        fmt.number(value),
        widgets.points(value),
        num(value),
        format_number_es(value),
    }
    assert len(shown) == 1, shown


def test_the_shared_format_groups_thousands_with_a_no_break_space() -> None:
    assert charts.fmt_num(1234567.891) == f"1{NBSP}234{NBSP}567,9" == fmt.number(1234567.891)
    assert charts.fmt_value(1234.5, "kWh/t") == f"1{NBSP}234,5{NBSP}kWh/t"


def test_results_page_and_pdf_compare_with_peers_in_the_same_words(sample) -> None:
    result, context = sample
    assert context.peers  # the sample has published peer figures
    data = report_data(result, context)
    screen_dims = charts.dimension_chart(result, context.peers).reading
    screen_routes = charts.route_chart(result, context.peers).reading
    assert screen_dims == data["lecturas"]["dimensiones"]
    assert screen_routes == data["lecturas"]["rutas"]
    assert screen_dims.startswith("Frente a su grupo de comparación, su empresa está")


def test_without_peers_the_screen_reads_the_firms_own_balance(sample) -> None:
    result, _ = sample
    reading = charts.dimension_chart(result, None).reading
    assert reading.startswith(("Su dimensión más fuerte es la ", "Todas sus dimensiones"))
    assert "la la " not in reading


def _scale(spec: dict) -> dict[str, str]:
    for layer in spec.get("layer", [spec]):
        color = layer.get("encoding", {}).get("color", {})
        scale = color.get("scale") if isinstance(color, dict) else None
        if scale and "domain" in scale:
            return dict(zip(scale["domain"], scale["range"], strict=True))
    raise AssertionError("no colour scale with a domain")


def test_a_dimension_has_one_colour_on_screen_staff_panel_and_pdf(sample) -> None:
    result, context = sample
    pdf = {
        row["nombre"]: row["color"] for row in report_charts.chart_data("ejes", result)["leyenda"]
    }
    screen = _scale(charts.theme_chart(result).chart.to_dict())
    labels = labels_for(context.compiled)
    columns = [c for c in labels.dimension_of if c.startswith("eje_")]
    scores = pd.DataFrame(
        {
            "columna": columns,
            "media": [50.0] * len(columns),
            "mediana": [50.0] * len(columns),
            "reservado": [False] * len(columns),
            "empresas": [10] * len(columns),
        }
    )
    staff = _scale(staff_charts.score_bars(scores, labels, "Ejes", by_dimension=True).spec)
    assert pdf == screen == staff
    assert list(pdf.values()) == list(palette.DIMENSION_COLORS[: len(pdf)])


CHART_MODULES = ("ui/charts.py", "ui/staff_charts.py", "reports/charts.py")


@pytest.mark.parametrize("path", CHART_MODULES)
def test_chart_modules_take_their_colours_from_the_palette(path: str) -> None:
    source = (ROOT / path).read_text(encoding="utf-8")
    assert not re.findall(r"#[0-9A-Fa-f]{6}\b", source), f"{path}: colours belong in palette.py"


def test_numbers_are_formatted_in_one_module() -> None:
    """What the screen and the reports show is formatted by scoring/numbers.py only: no Babel
    number formatting and no grouping of their own. (The command line's file-size messages,
    scoring/yaml_source.number_es, group with a plain space for terminals.)"""
    offenders = []
    for folder in ("ui", "reports"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.relative_to(ROOT).as_posix() == "scoring/numbers.py":
                continue
            source = path.read_text(encoding="utf-8")
            # Babel, Python's own grouping ("{x:,}") or a decimal point ("{x:.1f}" → "62.5")
            if re.search(r"format_decimal|babel\.numbers|\{\w[^{}\[\]]*:,|:\.[1-9]f\}", source):
                offenders.append(path.relative_to(ROOT).as_posix())
    assert offenders == []


def test_every_number_hint_is_read_by_the_parser_as_written() -> None:
    """Placeholders ("Ejemplo: 1.234,5") and the parser's own examples must all parse."""
    from scoring.numbers import EXPECTED, parse_number_es

    hints = re.findall(r"por ejemplo ([0-9][0-9., ]*[0-9])", EXPECTED)
    for path in (ROOT / "ui").rglob("*.py"):
        hints += re.findall(r"Ejemplo: ([0-9][0-9.,]*[0-9])\"", path.read_text(encoding="utf-8"))
    assert len(hints) >= 3, hints
    for hint in hints:
        for example in hint.split(" o "):
            value = parse_number_es(example)  # raises on a hint the parser refuses
            # and what the app shows for it reads back as the same number, typed or pasted
            shown = format_number_es(value, 2)
            assert parse_number_es(shown) == value == parse_number_es(shown.replace(NBSP, " "))
