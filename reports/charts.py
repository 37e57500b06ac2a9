"""Altair charts of one assessment, shared by the PDF report and the web app.

Numbers shown on the charts are formatted in Python with the report's helpers, so the charts
do not depend on the renderer's locale; axes are integers 0–100.

Each chart is a layout (cached: it depends only on a few sizes and flags) plus a small table of
rows. ``*_bars`` return ready ``alt.LayerChart`` objects for the app; ``chart_spec`` gives the
Vega-Lite dict directly, skipping Altair's per-call cost, for the PDF.
"""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import altair as alt

from reports import fmt
from scoring import schema
from scoring.result import Score, ScoreResult

PRIMARY = "#0F6E5A"
INK = "#1F2A2E"
MUTED = "#5B6770"
GRID = "#E3E8E6"
BAND = "#8A9A95"
DIMENSION_COLORS = ("#0F6E5A", "#3E6E96", "#A57C1B", "#7A4E8C", "#5B6770")
FONT = "Liberation Sans"
WIDTH = 420
LABEL_WIDTH = 190  # same label column in every chart, so they share one scale on the page
SCORE_AXIS = "Puntaje (0–100)"
PEER_NOTE = "Marca negra: mediana del grupo · franja gris: del primer al tercer cuartil"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _peer(peers: Mapping | None, key: str) -> dict | None:
    if not peers:
        return None
    value = peers.get(key)
    if not isinstance(value, Mapping) or value.get("median") is None:
        return None
    return dict(value)


def _rows(scores: list[Score], labels: list[str], peers: Mapping | None) -> list[dict[str, Any]]:
    rows = []
    for score, label in zip(scores, labels, strict=True):
        peer = _peer(peers, score.id)
        rows.append(
            {
                "id": score.id,
                "etiqueta": label,
                "nombre": score.nombre,
                "puntaje": score.puntaje,
                "texto": fmt.number(score.puntaje) if score.puntaje is not None else "No aplica",
                "x_texto": score.puntaje if score.puntaje is not None else 0.0,
                "mediana": peer.get("median") if peer else None,
                "q1": peer.get("q1") if peer else None,
                "q3": peer.get("q3") if peer else None,
                "mediana_txt": fmt.number(peer["median"]) if peer else "",
            }
        )
    return rows


@lru_cache(maxsize=64)
def _layout(
    title: str,
    subtitle: str,
    step: int,
    label_size: int,
    with_peers: bool,
    color_domain: tuple[str, ...] | None,
) -> alt.LayerChart:
    """The chart without data: bars, value labels and, optionally, the peer band and median."""
    y = alt.Y(
        "etiqueta:N",
        sort=None,
        title=None,
        axis=alt.Axis(
            labelExpr="split(datum.label, '\\n')",
            labelLimit=LABEL_WIDTH,
            minExtent=LABEL_WIDTH,
            maxExtent=LABEL_WIDTH,
            labelFontSize=label_size,
            labelColor=INK,
            ticks=False,
            domain=False,
            labelPadding=8,
        ),
    )
    x = alt.X(
        "puntaje:Q",
        title=SCORE_AXIS,
        scale=alt.Scale(domain=[0, 100], nice=False),
        axis=alt.Axis(values=[0, 20, 40, 60, 80, 100], gridColor=GRID, titleColor=MUTED),
    )
    if color_domain:
        color = alt.Color(
            "dimension:N",
            title="Dimensión",
            scale=alt.Scale(
                domain=list(color_domain), range=list(DIMENSION_COLORS[: len(color_domain)])
            ),
            legend=alt.Legend(
                orient="top", direction="horizontal", titleFontSize=10, labelFontSize=10
            ),
        )
    else:
        color = alt.value(PRIMARY)
    base = alt.Chart()
    bars = base.mark_bar(size=max(8, min(18, step - 10)), cornerRadiusEnd=2).encode(
        y=y,
        x=x,
        color=color,
        tooltip=[
            alt.Tooltip("nombre:N", title="Nombre"),
            alt.Tooltip("texto:N", title="Puntaje"),
        ],
    )
    labels = base.mark_text(
        align="left", dx=5, fontSize=label_size, color=INK, fontWeight="bold"
    ).encode(y=y, x=alt.X("x_texto:Q"), text="texto:N")
    layers: list[alt.Chart] = [bars]
    if with_peers:
        peers = base.transform_filter("isValid(datum.mediana)")
        tooltip = [alt.Tooltip("mediana_txt:N", title="Mediana del grupo")]
        band = peers.mark_bar(size=6, color=BAND, opacity=0.55).encode(
            y=y, x="q1:Q", x2="q3:Q", tooltip=tooltip
        )
        median = peers.mark_tick(color="#000000", thickness=2.5, size=min(26, step - 2)).encode(
            y=y, x="mediana:Q", tooltip=tooltip
        )
        layers += [band, median]
    layers.append(labels)
    return (
        alt.layer(*layers)
        .properties(
            width=WIDTH,
            height=alt.Step(step),
            title=alt.TitleParams(
                title,
                subtitle=subtitle,
                anchor="start",
                fontSize=13,
                subtitleFontSize=10,
                color=INK,
                subtitleColor=MUTED,
            ),
        )
        .configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelFont=FONT, titleFont=FONT, titleFontWeight="normal", titleFontSize=10)
        .configure_legend(labelFont=FONT, titleFont=FONT)
    )


@lru_cache(maxsize=64)
def _layout_spec(*key) -> dict[str, Any]:
    return _layout(*key).to_dict(validate=False)


def _plan(kind: str, result: ScoreResult, peers: Mapping | None):
    """Layout key and data rows of one chart kind: "dimensiones", "rutas" or "ejes"."""
    row_height, label_size, color_domain = 30, 11, None
    if kind == "dimensiones":
        title = "Puntaje por dimensión"
        rows = _rows(result.dimensiones, [d.nombre for d in result.dimensiones], peers)
    elif kind == "rutas":
        title = "Puntaje por ruta de acción ODS 9"
        labels = [
            _wrap(f"{r.id} · {schema.ROUTE_NAMES.get(r.id, r.nombre)}", 34) for r in result.rutas
        ]
        rows = _rows(result.rutas, labels, peers)
    elif kind == "ejes":
        title = "Puntaje por eje temático"
        names = {d.id: d.nombre for d in result.dimensiones}
        rows = _rows(result.ejes, [_wrap(t.nombre, 38) for t in result.ejes], None)
        for row, theme in zip(rows, result.ejes, strict=True):
            row["dimension"] = names.get(theme.dimension or "", "")
        row_height, label_size, color_domain = 19, 10, tuple(names.values())
    else:
        raise ValueError(f"unknown chart kind {kind!r}")
    with_peers = any(row["mediana"] is not None for row in rows)
    lines = max(row["etiqueta"].count("\n") + 1 for row in rows)
    step = max(row_height, (label_size + 2) * lines + 8)
    subtitle = PEER_NOTE if with_peers else ""
    return (title, subtitle, step, label_size, with_peers, color_domain), rows


def chart_spec(kind: str, result: ScoreResult, peers: Mapping | None = None) -> dict[str, Any]:
    """The Vega-Lite spec of one chart kind, with its data inlined (fast path for exports)."""
    key, rows = _plan(kind, result, peers)
    spec = copy.deepcopy(_layout_spec(*key))
    for layer in spec.get("layer", []):
        layer.pop("data", None)  # layers built without data would shadow the rows below
    spec["data"] = {"values": rows}
    return spec


def _chart(kind: str, result: ScoreResult, peers: Mapping | None) -> alt.LayerChart:
    return alt.LayerChart.from_dict(chart_spec(kind, result, peers), validate=False)


def dimension_bars(result: ScoreResult, peers: Mapping | None = None) -> alt.LayerChart:
    """Score of each dimension, with the peer median and quartile band when published."""
    return _chart("dimensiones", result, peers)


def route_bars(result: ScoreResult, peers: Mapping | None = None) -> alt.LayerChart:
    """Score of each ODS 9 route (R1–R3), with peer figures when published."""
    return _chart("rutas", result, peers)


def theme_bars(result: ScoreResult) -> alt.LayerChart:
    """Score of each theme (eje), coloured by its dimension."""
    return _chart("ejes", result, None)
