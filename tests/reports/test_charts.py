"""Chart builders: Altair objects for the app and the fast spec path for the PDF agree."""

from __future__ import annotations

import altair as alt

from reports import charts


def _layers(spec):
    return [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"]
        for layer in spec["layer"]
    ]


def test_dimension_chart_with_peers(sample):
    result, context = sample
    chart = charts.dimension_bars(result, context.peers)
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()
    assert spec["title"]["text"] == "Puntaje por dimensión"
    assert spec["layer"][0]["encoding"]["x"]["title"] == "Puntaje (0–100)"
    assert "tick" in _layers(spec)  # the peer median


def test_fast_spec_matches_altair(sample):
    result, context = sample
    for kind, chart in (
        ("dimensiones", charts.dimension_bars(result, context.peers)),
        ("rutas", charts.route_bars(result, context.peers)),
        ("ejes", charts.theme_bars(result)),
    ):
        fast = charts.chart_spec(kind, result, context.peers)
        full = chart.to_dict()
        values = full["datasets"][full["data"]["name"]]
        assert len(fast["data"]["values"]) == len(values)
        assert [v["texto"] for v in fast["data"]["values"]] == [v["texto"] for v in values]
        assert _layers(fast) == _layers(full)


def test_no_peer_layers_without_peers(sample):
    result, _ = sample
    spec = charts.chart_spec("rutas", result, None)
    assert "tick" not in _layers(spec)
    assert len(spec["data"]["values"]) == 3


def test_chart_svgs_draw_one_bar_per_item():
    """Regression: layers built without data once shadowed the rows and drew empty charts."""
    import re

    import vl_convert as vlc

    from reports import charts
    from reports.sample import sample_report

    result, context = sample_report()
    for kind, expected in (("dimensiones", 3), ("rutas", 3), ("ejes", len(result.ejes))):
        svg = vlc.vegalite_to_svg(charts.chart_spec(kind, result, context.peers))
        bars = re.findall(
            r'class="mark-rect role-mark layer_0_marks"[^>]*><path[^>]*aria-roledescription="bar"',
            svg,
        )
        assert len(bars) == expected, kind
