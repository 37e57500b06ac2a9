"""Altair charts of the results page, each with a one-line Spanish reading; no database.

Vega-Lite formats numbers in English, so every number a user reads (labels, tooltips, readings)
is formatted here in pandas; score axes are integers 0–100 and need no locale.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import altair as alt
import numpy as np
import pandas as pd

from reports.palette import BAND, GRID, INK, LEVEL_TINTS, MUTED, PEER, PRIMARY, REFERENCE
from reports.palette import dimension_colors as palette_dimension_colors
from scoring import peer_text
from scoring.numbers import format_number_es, lima_time
from scoring.result import IndicatorResult, Score, ScoreResult

SCORE_AXIS = "Puntaje (0–100)"
TITLE_CHARS = 38  # longer titles wrap: at 390 px a line holds about 40 characters
FONT = '"Source Sans Pro", "Source Sans 3", "Liberation Sans", Arial, sans-serif'
PEER_NOTE = [
    "Línea negra: mediana de su grupo de comparación.",
    "Franja gris: 1.er a 3.er cuartil.",
]
ROUTE_SHORT = {
    "R1": "R1 · Diversificación productiva circular",
    "R2": "R2 · Innovación y tecnologías limpias",
    "R3": "R3 · Infraestructura sostenible y resiliente",
}
DEFAULT_LEVELS = (
    ("Lineal", 0.0),
    ("Inicial", 20.0),
    ("En transición", 40.0),
    ("Avanzado", 60.0),
    ("Circular", 80.0),
)
# Swap English separators for Spanish ones in axis labels Vega formats itself.
SPANISH_LABEL = (
    "replace(replace(replace(datum.label, regexp(',', 'g'), '_'), "
    "regexp('\\\\.', 'g'), ','), regexp('_', 'g'), '.')"
)


@dataclass(frozen=True)
class Figure:
    """A chart and the sentence shown under it; ``stretch`` charts take the container width."""

    chart: alt.TopLevelMixin
    reading: str
    stretch: bool = True


# --- numbers -------------------------------------------------------------------------------


def fmt_num(value: float | None, decimals: int = 1) -> str:
    """ "62,5", "1 234 567,9" (scoring.numbers, as in the reports); "—" when there is no value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return format_number_es(float(value), decimals)


def fmt_gain(value: float) -> str:
    """ "+4,2 puntos"."""
    return f"+{fmt_num(value)} puntos"


def fmt_value(value: float | None, unit: str, decimals: int = 1) -> str:
    """A value with its unit: "1,3 %", "45,0 kWh/t"."""
    if value is None:
        return "—"
    return f"{fmt_num(value, decimals)}\u00a0{unit}".strip()  # never split "3,1 %" across lines


def fmt_date(value: dt.date | dt.datetime) -> str:
    return value.strftime("%d/%m/%Y")


def history_labels(times: Sequence[dt.date | dt.datetime]) -> list[str]:
    """ "01/12/2026" per submission, with the Lima time ("01/12/2026 14:05") when two share
    a day."""
    local = [lima_time(t) if isinstance(t, dt.datetime) else t for t in times]
    days = [t.date() if isinstance(t, dt.datetime) else t for t in local]
    return [
        fmt_date(day)
        + (f" {t:%H:%M}" if days.count(day) > 1 and isinstance(t, dt.datetime) else "")
        for t, day in zip(local, days, strict=True)
    ]


def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


# --- shared pieces -------------------------------------------------------------------------


def _title(text: str, subtitle: Sequence[str] | str | None = None) -> alt.TitleParams:
    return alt.TitleParams(
        textwrap.wrap(text, TITLE_CHARS) if len(text) > TITLE_CHARS else text,
        subtitle=list(subtitle) if isinstance(subtitle, (list, tuple)) else (subtitle or ""),
        anchor="start",
        fontSize=16,
        subtitleFontSize=13,
        subtitleColor=MUTED,
        offset=10,
    )


def _styled(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Type sizes that stay readable on a phone (the page renders charts without a theme)."""
    return (
        chart.configure(font=FONT)
        .configure_view(stroke=None)
        .configure_axis(labelFontSize=12, titleFontSize=13, titleFontWeight="normal")
        .configure_legend(labelFontSize=13, titleFontSize=13)
        .configure_title(color=INK)
    )


def _peer(peers: Mapping | None, key: str) -> Mapping | None:
    if not peers:
        return None
    value = peers.get(key)
    if not isinstance(value, Mapping) or value.get("median") is None:
        return None
    return value


def _score_frame(scores: Sequence[Score], labels: Sequence[str], peers: Mapping | None, keys):
    rows = []
    for score, label, key in zip(scores, labels, keys, strict=True):
        peer = _peer(peers, key)
        shown = fmt_num(score.puntaje) if score.puntaje is not None else "No aplica"
        rows.append(
            {
                "etiqueta": label,
                "linea": f"{label}: {shown}"
                + (f" · {score.nivel_nombre}" if score.nivel_nombre else ""),
                "nombre": score.nombre,
                "puntaje": score.puntaje,
                "texto": shown,
                "nivel": score.nivel_nombre or "—",
                "mediana": float(peer["median"]) if peer else None,
                "q1": float(peer["q1"]) if peer else None,
                "q3": float(peer["q3"]) if peer else None,
                "mediana_txt": fmt_num(peer["median"]) if peer else "—",
                "cuartiles_txt": f"{fmt_num(peer['q1'])} a {fmt_num(peer['q3'])}" if peer else "—",
                "n_txt": str(int(peer["n"])) if peer and peer.get("n") else "—",
            }
        )
    return pd.DataFrame(rows)


def _bars(
    data: pd.DataFrame,
    title: str,
    subtitle: Sequence[str] | str | None = None,
    color: alt.Color | None = None,
    bar_size: int = 16,
) -> alt.LayerChart:
    """Horizontal 0–100 bars with each name written above its bar, so long names stay whole
    on a phone; peer band (q1–q3) behind the bar and the peer median as a dark tick on top."""
    step = bar_size + 36
    y = alt.Y("etiqueta:N", sort=None, title=None, axis=None)
    x = alt.X(
        "puntaje:Q",
        title=SCORE_AXIS,
        scale=alt.Scale(domain=[0, 100], nice=False),
        axis=alt.Axis(values=[0, 20, 40, 60, 80, 100], gridColor=GRID, labelFontSize=12),
    )
    tooltip = [
        alt.Tooltip("nombre:N", title="Nombre"),
        alt.Tooltip("texto:N", title="Puntaje (0–100)"),
        alt.Tooltip("nivel:N", title="Nivel"),
    ]
    has_peers = bool(data["mediana"].notna().any())
    if has_peers:
        tooltip += [
            alt.Tooltip("mediana_txt:N", title="Mediana del grupo"),
            alt.Tooltip("cuartiles_txt:N", title="1.er a 3.er cuartil"),
            alt.Tooltip("n_txt:N", title="Empresas con dato"),
        ]
    base = alt.Chart(data)
    layers: list[alt.Chart] = []
    peers = base.transform_filter("isValid(datum.mediana)")
    if has_peers:
        layers.append(
            peers.mark_bar(size=bar_size + 6, color=BAND, opacity=0.45).encode(
                y=y, x="q1:Q", x2="q3:Q", tooltip=tooltip
            )
        )
    layers.append(
        base.mark_bar(size=bar_size, cornerRadiusEnd=3).encode(
            y=y, x=x, tooltip=tooltip, color=color if color is not None else alt.value(PRIMARY)
        )
    )
    if has_peers:
        layers.append(
            peers.mark_tick(color=PEER, thickness=3, size=bar_size + 8).encode(
                y=y, x="mediana:Q", tooltip=tooltip
            )
        )
    layers.append(
        base.mark_text(
            align="left", baseline="bottom", dy=-(bar_size // 2 + 5), fontSize=13, color=INK
        ).encode(y=y, x=alt.datum(0), text="linea:N", tooltip=tooltip)
    )
    return _styled(
        alt.layer(*layers).properties(
            width="container", height=alt.Step(step), title=_title(title, subtitle)
        )
    )


# --- score charts --------------------------------------------------------------------------


def dimension_chart(result: ScoreResult, peers: Mapping | None = None) -> Figure:
    """Bars 0–100 per dimension with the peer median (tick) and the q1–q3 band."""
    dims = result.dimensiones
    data = _score_frame(dims, [d.nombre for d in dims], peers, [d.id for d in dims])
    note = PEER_NOTE if data["mediana"].notna().any() else None
    chart = _bars(data, "Puntaje por dimensión", note)
    # Against the peers in the PDF's very words (scoring.peer_text); else the firm's balance.
    reading = peer_text.dimension_summary(
        result, lambda key: _peer(peers, key)
    ) or peer_text.balance_reading([(d.nombre.lower(), d.puntaje) for d in dims], "dimensión")
    return Figure(chart, reading)


def route_chart(result: ScoreResult, peers: Mapping | None = None) -> Figure:
    """Bars 0–100 per ODS 9 route, with peer marks when published."""
    routes = result.rutas
    labels = [ROUTE_SHORT.get(r.id, r.id) for r in routes]
    data = _score_frame(routes, labels, peers, [r.id for r in routes])
    note = PEER_NOTE if data["mediana"].notna().any() else None
    chart = _bars(data, "Puntaje por ruta de acción ODS 9", note)
    reading = peer_text.route_summary(
        result, lambda key: _peer(peers, key)
    ) or peer_text.balance_reading([(r.id, r.puntaje) for r in routes], "ruta")
    return Figure(chart, reading)


def theme_chart(result: ScoreResult) -> Figure:
    """Bars 0–100 per theme, grouped and coloured by dimension."""
    dim_names = {d.id: d.nombre for d in result.dimensiones}
    order = list(dim_names)
    themes = sorted(
        result.ejes,
        key=lambda t: order.index(t.dimension) if t.dimension in order else len(order),
    )
    data = _score_frame(themes, [t.nombre for t in themes], None, [t.id for t in themes])
    data["dimension"] = [dim_names.get(t.dimension or "", "") for t in themes]
    colors = palette_dimension_colors(dim_names.values())
    color = alt.Color(
        "dimension:N",
        title="Dimensión",
        scale=alt.Scale(domain=list(colors), range=list(colors.values())),
        legend=alt.Legend(orient="top", direction="horizontal"),
    )
    chart = _bars(data, "Puntaje por eje temático", None, color=color, bar_size=14)
    scored = [t for t in themes if t.puntaje is not None]
    if not scored:
        reading = "Aún no hay puntajes por eje."
    else:
        weak = min(scored, key=lambda t: t.puntaje)
        strong = max(scored, key=lambda t: t.puntaje)
        reading = (
            f"Su eje más débil es «{weak.nombre}» ({dim_names.get(weak.dimension, '').lower()}, "
            f"{fmt_num(weak.puntaje)}); el más fuerte, «{strong.nombre}» "
            f"({fmt_num(strong.puntaje)})."
        )
    return Figure(chart, reading)


def _levels(levels: Sequence[tuple[str, float]] | None) -> list[tuple[str, float, float]]:
    levels = list(levels or DEFAULT_LEVELS)
    bounds = [float(start) for _, start in levels] + [100.0]
    return [(name, bounds[i], bounds[i + 1]) for i, (name, _) in enumerate(levels)]


RADAR_SIZE = 320  # px, plot square; the phone's column is 358 px wide at a 390 px viewport
RADAR_LABEL_AT = 106.0  # data units from the centre (the outer ring is 100)
RADAR_LABEL_LIMIT = 110  # px: Vega truncates a longer line with "…"
RADAR_CHAR_PX = 7.6  # generous mean width of a bold 12 px glyph
RADAR_LINE_PX = 15.0
RADAR_MARGIN_PX = 8.0


def radar_labels(texts: Sequence[str], angles: Sequence[float], size: int) -> list[dict]:
    """Where each axis label goes and the data range that keeps all of them inside the plot.

    Each label sits just outside the outer ring, aligned away from the centre; the scale (data
    units per pixel) is the largest that leaves every label's estimated box inside ``size``, so
    no name is cut at the edge of the chart on any screen width. Every row carries that range
    as ``limite`` (data units from the centre to the plot's edge).
    """
    half = size / 2 - RADAR_MARGIN_PX
    rows, scale = [], half / 100  # px per data unit: the outer ring touching the margin at most
    for text, angle in zip(texts, angles, strict=True):
        cos, sin = math.cos(angle), math.sin(angle)
        lines = text.split("\n")
        width = min(RADAR_LABEL_LIMIT, max(len(line) for line in lines) * RADAR_CHAR_PX)
        height = len(lines) * RADAR_LINE_PX
        align = "center" if abs(cos) < 0.35 else ("left" if cos > 0 else "right")
        baseline = "bottom" if sin > 0.35 else ("top" if sin < -0.35 else "middle")
        across = width / 2 if align == "center" else width
        up_down = height / 2 if baseline == "middle" else height
        for reach, extent in ((abs(cos), across), (abs(sin), up_down)):
            if reach > 1e-9:
                scale = min(scale, (half - extent) / (RADAR_LABEL_AT * reach))
        rows.append(
            {
                "x": RADAR_LABEL_AT * cos,
                "y": RADAR_LABEL_AT * sin,
                "texto": text,
                "align": align,
                "baseline": baseline,
            }
        )
    limit = (size / 2) / max(scale, 0.1)
    return [{**row, "limite": limit} for row in rows]


def radar_chart(
    scores: Sequence[Score],
    peers: Mapping | None = None,
    levels: Sequence[tuple[str, float]] | None = None,
    title: str = "Perfil por dimensión",
    noun: str = "dimensión",
    size: int = RADAR_SIZE,
) -> Figure:
    """Radar (at least three axes): polar coordinates turned into x/y in pandas, layered lines.

    Rings at the level boundaries carry the level names; the peer median, when published for
    every axis, is a dashed outline.
    """
    dims = list(scores)
    n = len(dims)
    if n < 3:
        raise ValueError("a radar needs at least three axes")
    angles = [math.pi / 2 - 2 * math.pi * k / n for k in range(n)]
    level_rows = _levels(levels)

    circle = np.linspace(0, 2 * math.pi, 73)
    rings = pd.DataFrame(
        [
            {"anillo": upper, "orden": i, "x": upper * math.cos(t), "y": upper * math.sin(t)}
            for _, _, upper in level_rows
            for i, t in enumerate(circle)
        ]
    )
    # Each ring's score, just outside it along the free direction at the bottom, between two
    # spokes: numbers stay legible where level names crowded the centre.
    label_angle = -math.pi / 2 + (math.pi / n if n % 2 == 0 else 0.0)
    ring_labels = pd.DataFrame(
        [
            {
                "x": (hi + 4) * math.cos(label_angle),
                "y": (hi + 4) * math.sin(label_angle),
                "texto": f"{hi:.0f}",
            }
            for _, _, hi in level_rows
        ]
    )
    spokes = pd.DataFrame(
        [
            {"eje": k, "orden": j, "x": r * math.cos(a), "y": r * math.sin(a)}
            for k, a in enumerate(angles)
            for j, r in enumerate((0.0, 100.0))
        ]
    )

    def polygon(values: Sequence[float | None], serie: str) -> pd.DataFrame:
        rows = []
        for k, (dim, value, angle) in enumerate(zip(dims, values, angles, strict=True)):
            r = value if value is not None else 0.0
            rows.append(
                {
                    "serie": serie,
                    "orden": k,
                    "x": r * math.cos(angle),
                    "y": r * math.sin(angle),
                    "nombre": dim.nombre,
                    "texto": fmt_num(value) if value is not None else "No aplica",
                }
            )
        return pd.DataFrame([*rows, {**rows[0], "orden": n}])  # closed outline

    series = [polygon([d.puntaje for d in dims], "Su empresa")]
    peer_values = [_peer(peers, d.id) for d in dims]
    if all(p is not None for p in peer_values):
        series.append(polygon([float(p["median"]) for p in peer_values], "Mediana del grupo"))
    data = pd.concat(series, ignore_index=True)

    labels = radar_labels([f"{dim.nombre}\n{fmt_num(dim.puntaje)}" for dim in dims], angles, size)
    limit = labels[0]["limite"]  # data units from the centre to the plot's edge
    labels_df = pd.DataFrame(labels)

    xs = alt.X("x:Q", scale=alt.Scale(domain=[-limit, limit]), axis=None)
    ys = alt.Y("y:Q", scale=alt.Scale(domain=[-limit, limit]), axis=None)
    layers = [
        alt.Chart(rings)
        .mark_line(color=GRID, strokeWidth=1)
        .encode(x=xs, y=ys, detail="anillo:N", order="orden:Q"),
        alt.Chart(spokes)
        .mark_line(color=GRID, strokeWidth=1)
        .encode(x=xs, y=ys, detail="eje:N", order="orden:Q"),
        alt.Chart(ring_labels)
        .mark_text(fontSize=10, color=MUTED, align="center")
        .encode(x=xs, y=ys, text="texto:N"),
    ]
    names = ["Su empresa", "Mediana del grupo"][: len(series)]
    color = alt.Color(
        "serie:N",
        title=None,
        scale=alt.Scale(domain=names, range=[PRIMARY, PEER][: len(series)]),
        legend=alt.Legend(orient="bottom", symbolType="stroke"),
    )
    dash = alt.StrokeDash(
        "serie:N",
        scale=alt.Scale(domain=names, range=[[1, 0], [5, 4]][: len(series)]),
        legend=None,
    )
    tooltip = [
        alt.Tooltip("serie:N", title="Serie"),
        alt.Tooltip("nombre:N", title=noun.capitalize()),
        alt.Tooltip("texto:N", title="Puntaje (0–100)"),
    ]
    layers.append(
        alt.Chart(data)
        .mark_line(strokeWidth=2.5)
        .encode(x=xs, y=ys, color=color, strokeDash=dash, detail="serie:N", order="orden:Q")
    )
    layers.append(
        alt.Chart(data)
        .mark_point(filled=True, size=70)
        .encode(x=xs, y=ys, color=color, tooltip=tooltip)
    )
    for (align, baseline), subset in labels_df.groupby(["align", "baseline"], sort=False):
        layers.append(
            alt.Chart(subset)
            .mark_text(
                fontSize=12,
                fontWeight="bold",
                align=align,
                baseline=baseline,
                lineBreak="\n",
                limit=RADAR_LABEL_LIMIT,
            )
            .encode(x=xs, y=ys, text="texto:N")
        )
    # A fixed square (a radar cannot stretch without turning its rings into ellipses) narrower
    # than a phone's column (358 px at 390 px), with every label inside it (radar_labels); the
    # subtitle wraps to the chart's width, since Vega shrinks the plot to make room for a longer
    # one and then clips it on the left.
    subtitle = (
        f"Anillos cada 20 puntos: del nivel {level_rows[0][0]} (centro) al "
        f"{level_rows[-1][0]} (borde)"
    )
    chart = alt.layer(*layers).properties(
        width=size,
        height=size,
        title=_title(title, textwrap.wrap(subtitle, 40)),
        # "pad": the plot keeps its square and the title, labels and legend add to it ("fit"
        # would squeeze the plot into an ellipse to keep the total at ``size``).
        autosize=alt.AutoSizeParams(type="pad"),
    )
    # The bars already compare with the peers: the radar's reading is about balance.
    items = [
        (d.nombre.lower() if noun == "dimensión" else f"«{d.nombre}»", d.puntaje) for d in dims
    ]
    reading = peer_text.balance_reading(items, noun)
    if len(series) > 1:
        reading += " La línea punteada es la mediana de su grupo."
    return Figure(_styled(chart), reading, stretch=False)


# --- indicators and history ----------------------------------------------------------------


def indicator_reference_chart(indicator: IndicatorResult) -> Figure:
    """The firm's value of an indicator beside its published references (e.g. countries)."""
    unit = indicator.unidad
    rows = [
        {
            "nombre": ref["nombre"],
            "valor": float(ref["valor"]),
            "texto": fmt_value(float(ref["valor"]), unit),
            "serie": "Referencia",
            "fuente": ref.get("fuente") or "—",
        }
        for ref in indicator.referencias
    ]
    if indicator.valido and indicator.valor is not None:
        rows.insert(
            0,
            {
                "nombre": "Su empresa",
                "valor": float(indicator.valor),
                "texto": fmt_value(indicator.valor, unit),
                "serie": "Su empresa",
                "fuente": {"medido": "Medido", "estimado": "Estimado"}.get(
                    indicator.fuente or "", "Sus datos"
                ),
            },
        )
    data = pd.DataFrame(rows)
    y = alt.Y("nombre:N", sort=None, title=None, axis=alt.Axis(labelFontSize=12, ticks=False))
    x = alt.X(
        "valor:Q",
        title=f"{indicator.nombre} ({unit})",
        axis=alt.Axis(labelExpr=SPANISH_LABEL, gridColor=GRID, titleLimit=320),
    )
    color = alt.Color(
        "serie:N",
        scale=alt.Scale(domain=["Su empresa", "Referencia"], range=[PRIMARY, REFERENCE]),
        legend=None,
    )
    tooltip = [
        alt.Tooltip("nombre:N", title="Quién"),
        alt.Tooltip("texto:N", title="Valor"),
        alt.Tooltip("fuente:N", title="Fuente"),
    ]
    base = alt.Chart(data)
    chart = alt.layer(
        base.mark_bar(size=22, cornerRadiusEnd=3).encode(y=y, x=x, color=color, tooltip=tooltip),
        base.transform_filter("datum.valor >= 0")
        .mark_text(align="left", dx=5, fontSize=12, fontWeight="bold")
        .encode(y=y, x="valor:Q", text="texto:N"),
        base.transform_filter("datum.valor < 0")
        .mark_text(align="right", dx=-5, fontSize=12, fontWeight="bold")
        .encode(y=y, x="valor:Q", text="texto:N"),
    ).properties(
        width="container",
        height=alt.Step(40),
        title=_title(indicator.nombre, "Su empresa frente a las referencias publicadas"),
    )
    chart = _styled(chart)
    refs = [(r["nombre"], float(r["valor"])) for r in indicator.referencias]
    if not (indicator.valido and indicator.valor is not None):
        reading = (
            "Su empresa aún no tiene un valor válido para este indicador; "
            "se muestran solo las referencias."
        )
    else:
        value = float(indicator.valor)
        above = [f"{name} ({fmt_value(v, unit)})" for name, v in refs if value > v]
        below = [f"{name} ({fmt_value(v, unit)})" for name, v in refs if value < v]
        text = f"El valor de su empresa ({fmt_value(value, unit)})"
        if above and not below:
            reading = f"{text} supera las referencias de {_join(above)}."
        elif below and not above:
            reading = f"{text} está por debajo de las referencias de {_join(below)}."
        elif above:
            reading = f"{text} supera a {_join(above)} y está por debajo de {_join(below)}."
        else:
            reading = f"{text} es igual a las referencias publicadas."
    return Figure(chart, reading)


def _join(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " y " + parts[-1]


def history_chart(
    history: pd.DataFrame, levels: Sequence[tuple[str, float]] | None = None
) -> Figure:
    """Overall score of each submitted assessment, over the maturity level bands.

    ``history`` columns: ``fecha`` (submission datetime, or a date) and ``puntaje`` (0–100 or
    None), one row per submitted assessment.
    """
    # Submission time, not the day: two assessments sent the same day keep their order.
    frame = (
        history.dropna(subset=["puntaje"])
        .sort_values("fecha", kind="stable")
        .reset_index(drop=True)
    )
    level_rows = _levels(levels)
    frame = frame.assign(
        etiqueta=[f"{i + 1}. {text}" for i, text in enumerate(history_labels(frame["fecha"]))],
        texto=[fmt_num(v) for v in frame["puntaje"]],
        nivel=[
            next(n for n, lo, hi in level_rows if lo <= v < hi or hi == 100)
            for v in frame["puntaje"]
        ],
    )
    frame = frame.drop(columns=["fecha"])
    bands = pd.DataFrame([{"nivel": name, "desde": lo, "hasta": hi} for name, lo, hi in level_rows])
    y_scale = alt.Scale(domain=[0, 100], nice=False)
    x = alt.X(
        "etiqueta:O", title="Evaluación enviada (fecha)", sort=None, axis=alt.Axis(labelAngle=0)
    )
    band_layer = (
        alt.Chart(bands)
        .mark_rect(opacity=0.8)
        .encode(
            y=alt.Y("desde:Q", scale=y_scale, title=SCORE_AXIS),
            y2="hasta:Q",
            color=alt.Color(
                "nivel:N",
                scale=alt.Scale(domain=[n for n, _, _ in level_rows], range=list(LEVEL_TINTS)),
                legend=None,
            ),
        )
    )
    band_labels = (
        alt.Chart(bands.assign(medio=(bands["desde"] + bands["hasta"]) / 2))
        .mark_text(align="left", x=4, fontSize=11, color=MUTED)
        .encode(y=alt.Y("medio:Q", scale=y_scale), text="nivel:N")
    )
    tooltip = [
        alt.Tooltip("etiqueta:N", title="Evaluación"),
        alt.Tooltip("texto:N", title="Puntaje global (0–100)"),
        alt.Tooltip("nivel:N", title="Nivel"),
    ]
    line = (
        alt.Chart(frame)
        .mark_line(color=PRIMARY, strokeWidth=3, point=False)
        .encode(x=x, y=alt.Y("puntaje:Q", scale=y_scale))
    )
    points = (
        alt.Chart(frame)
        .mark_point(filled=True, size=90, color=PRIMARY)
        .encode(x=x, y=alt.Y("puntaje:Q", scale=y_scale), tooltip=tooltip)
    )
    labels = (
        alt.Chart(frame)
        .mark_text(dy=-14, fontSize=12, fontWeight="bold")
        .encode(x=x, y=alt.Y("puntaje:Q", scale=y_scale), text="texto:N")
    )
    chart = _styled(
        alt.layer(band_layer, band_labels, line, points, labels).properties(
            width="container", height=300, title=_title("Evolución de su puntaje global")
        )
    )
    if frame.empty:
        reading = "Aún no tiene evaluaciones enviadas con puntaje."
    elif len(frame) == 1:
        reading = (
            "Esta es su primera evaluación enviada de este cuestionario: cuando envíe la "
            "siguiente, aquí verá su avance."
        )
    else:
        first, last = frame.iloc[0], frame.iloc[-1]
        diff = last["puntaje"] - first["puntaje"]
        change = (
            f"subió {fmt_num(diff)} puntos"
            if diff >= 0.05
            else (f"bajó {fmt_num(-diff)} puntos" if diff <= -0.05 else "se mantuvo")
        )
        reading = (
            f"Su puntaje global {change} entre su primera evaluación ({first['texto']}) "
            f"y la más reciente ({last['texto']}, nivel {last['nivel']})."
        )
    return Figure(chart, reading)
