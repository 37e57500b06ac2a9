"""Vega-Lite charts of the staff panel, each with a one-line Spanish reading (no streamlit).

Specs are written as plain dicts, the JSON Altair would emit: building seven layered Altair
charts costs ~0.3 s per rerun (object copies and schema checks), more than the whole budget of
a filter change. Numbers shown as text are formatted here in Spanish; reserved cells (fewer than
5 firms) are drawn grey with no value.
"""

from __future__ import annotations

import textwrap
from typing import Any, NamedTuple

import pandas as pd

from reports.palette import INK, MUTED, PRIMARY, RESERVED, dimension_colors
from scoring.aggregates import RESERVED_NOTE
from ui.staff_labels import Labels, count_text, num, sector_label

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
FONT = '"Source Sans Pro", "Liberation Sans", Arial, sans-serif'
SCORE_SCALE = {"domain": [0, 100]}
SCORE_AXIS = {"tickCount": 5}
CONFIG = {
    "font": FONT,
    "view": {"stroke": None},
    "axis": {"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal"},
    "legend": {"labelFontSize": 12, "titleFontSize": 12},
    "title": {"color": INK},
}
DETAIL = {"field": "tooltip", "type": "nominal", "title": "Detalle"}
TITLE_CHARS = 40
HEAT_SHORT = {"global": "Global"}
SUBTITLE_CHARS = 52


class StaffFigure(NamedTuple):
    spec: dict[str, Any]
    reading: str


def _each(frame: pd.DataFrame, *names: str):
    return zip(*(frame[name] for name in names), strict=True)


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe rows (NaN becomes null)."""
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")


def _lines(text: str, width: int = TITLE_CHARS) -> list[str]:
    """Vega never wraps titles: break them so they fit a phone (390 px)."""
    return textwrap.wrap(text, width) or [""]


def _spec(frame: pd.DataFrame, title: str, subtitle: str, height: int, layers: list) -> dict:
    return {
        "$schema": SCHEMA,
        "data": {"values": _records(frame)},
        # fit-x: the chart takes the container width and ``height`` is the plot's own height
        # (Streamlit's default "fit" would squeeze title and axes into it).
        "autosize": {"type": "fit-x", "contains": "padding"},
        "title": {
            "text": _lines(title),
            "subtitle": _lines(subtitle, SUBTITLE_CHARS),
            "anchor": "start",
            "fontSize": 15,
            "subtitleColor": MUTED,
            "offset": 8,
        },
        "width": "container",
        "height": height,
        "layer": layers,
        "config": CONFIG,
    }


def _y(field: str, limit: int = 230, sort: list | None = None) -> dict[str, Any]:
    return {
        "field": field,
        "type": "nominal",
        "sort": sort,
        "title": None,
        "axis": {"labelLimit": limit},
    }


def _if_reserved(reserved: Any, otherwise: Any) -> dict[str, Any]:
    return {"condition": {"test": "datum.reservado", "value": reserved}, "value": otherwise}


def level_chart(levels: pd.DataFrame, labels: Labels) -> StaffFigure:
    data = pd.DataFrame(
        {
            "nivel": [f"{n} · {labels.levels.get(int(n), '')}" for n in levels["nivel"]],
            "empresas": levels["empresas"].fillna(0.0),
            "texto": [
                "reservado" if r else f"{count_text(e)} ({num(p, 0)} %)"
                for e, p, r in _each(levels, "empresas", "porcentaje", "reservado")
            ],
            "reservado": levels["reservado"],
        }
    )
    y = _y("nivel", 160)
    x = {"field": "empresas", "type": "quantitative"}
    layers = [
        {
            "mark": {"type": "bar", "color": PRIMARY, "cornerRadiusEnd": 3},
            "encoding": {
                "x": {
                    **x,
                    "title": "Empresas (n.º)",
                    "axis": {"format": "d", "tickCount": 5},
                    # room for the "75 (37 %)" labels right of the longest bar
                    "scale": {"domain": [0, max(1.0, float(data["empresas"].max())) * 1.3]},
                },
                "y": y,
            },
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 12},
            "encoding": {
                "x": x,
                "y": y,
                "text": {"field": "texto"},
                "color": _if_reserved(MUTED, INK),
            },
        },
    ]
    subtitle = "Última evaluación de cada empresa"
    spec = _spec(data, "Empresas por nivel de madurez", subtitle, 5 * 34, layers)
    published = levels[~levels["reservado"]]
    if published.empty:
        reading = RESERVED_NOTE + "."
    else:
        top = published.loc[published["empresas"].idxmax()]
        name = labels.levels.get(int(top["nivel"]), str(top["nivel"]))
        reading = (
            f"El nivel más frecuente es «{name}»: {num(top['porcentaje'], 0)} % de las empresas."
        )
    return StaffFigure(spec, reading)


def score_bars(
    scores: pd.DataFrame, labels: Labels, title: str, by_dimension: bool = False
) -> StaffFigure:
    """Mean score per column (bars) with the median (tick); reserved rows grey."""
    data = pd.DataFrame(
        {
            "nombre": [labels.column(c) for c in scores["columna"]],
            "grupo": [labels.dimension_of.get(c, "") for c in scores["columna"]],
            "media": scores["media"].fillna(0.0),
            "mediana": scores["mediana"],
            "reservado": scores["reservado"],
            "texto": ["reservado" if r else num(m) for m, r in _each(scores, "media", "reservado")],
            "tooltip": [
                RESERVED_NOTE
                if r
                else f"Media {num(m)} · mediana {num(md)} · {count_text(n)} empresas"
                for m, md, n, r in _each(scores, "media", "mediana", "empresas", "reservado")
            ],
        }
    )
    y = _y("nombre")
    color: dict[str, Any] = {"value": PRIMARY}
    if by_dimension:
        # Questionnaire order (Labels keeps it), so each dimension has the firm charts' colour.
        colors = dimension_colors(g for g in labels.dimension_of.values() if g)
        color = {
            "field": "grupo",
            "type": "nominal",
            "title": "Dimensión",
            "scale": {"domain": list(colors), "range": list(colors.values())},
            "legend": {"orient": "bottom"},
        }
    x = {"field": "media", "type": "quantitative"}
    layers = [
        {
            "mark": {"type": "bar", "cornerRadiusEnd": 3},
            "encoding": {
                "x": {
                    **x,
                    "title": "Puntaje medio (0–100)",
                    "scale": SCORE_SCALE,
                    "axis": SCORE_AXIS,
                },
                "y": y,
                "color": color,
                "tooltip": DETAIL,
            },
        },
        {
            "mark": {"type": "tick", "color": INK, "thickness": 2, "size": 18},
            "encoding": {"x": {"field": "mediana", "type": "quantitative"}, "y": y},
        },
        {
            "mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 12, "color": INK},
            "encoding": {"x": x, "y": y, "text": {"field": "texto"}},
        },
    ]
    subtitle = "Barra: media · raya negra: mediana · última evaluación por empresa"
    spec = _spec(data, title, subtitle, max(120, 28 * len(data)), layers)
    published = scores[~scores["reservado"]]
    if published.empty:
        reading = RESERVED_NOTE + "."
    elif len(published) == 1:
        reading = ""
    else:
        low = published.loc[published["media"].idxmin()]
        high = published.loc[published["media"].idxmax()]
        reading = (
            f"Más baja en promedio: {labels.column(low['columna'])} ({num(low['media'])} "
            f"puntos); más alta: {labels.column(high['columna'])} ({num(high['media'])})."
        )
    return StaffFigure(spec, reading)


def heatmap_chart(cells: pd.DataFrame, labels: Labels) -> StaffFigure:
    data = pd.DataFrame(
        {
            "sector": [sector_label(d) for d in cells["ciiu_division"]],
            "medida": [HEAT_SHORT.get(c, labels.column(c)) for c in cells["columna"]],
            "columna": cells["columna"],
            "media": cells["media"],
            "reservado": cells["reservado"],
            "texto": ["<5" if r else num(m, 0) for m, r in _each(cells, "media", "reservado")],
            "tooltip": [
                RESERVED_NOTE if r else f"Media {num(m)} · {count_text(n)} empresas"
                for m, n, r in _each(cells, "media", "empresas", "reservado")
            ],
        }
    )
    x = {
        "field": "medida",
        "type": "nominal",
        "sort": list(dict.fromkeys(data["medida"])),
        "title": None,
        "axis": {"orient": "top", "labelAngle": 0, "labelLimit": 80},
    }
    y = _y("sector", 200)
    fill = {
        "field": "media",
        "type": "quantitative",
        "title": "Puntaje medio (0–100)",
        "scale": {"scheme": "tealblues", "domain": [0, 100]},
        "legend": {"orient": "bottom", "gradientLength": 160},
    }
    cell = {"type": "rect", "stroke": "white", "strokeWidth": 2}
    layers = [
        {"mark": {**cell, "color": RESERVED}, "encoding": {"x": x, "y": y, "tooltip": DETAIL}},
        {
            "transform": [{"filter": "!datum.reservado"}],
            "mark": cell,
            "encoding": {"x": x, "y": y, "color": fill, "tooltip": DETAIL},
        },
        {
            "mark": {"type": "text", "fontSize": 12},
            "encoding": {
                "x": x,
                "y": y,
                "text": {"field": "texto"},
                "color": {
                    "condition": {"test": "datum.media > 55", "value": "white"},
                    "value": INK,
                },
            },
        },
    ]
    height = max(120, 30 * data["sector"].nunique())
    title = "Puntaje medio por sector y dimensión (0–100)"
    spec = _spec(data, title, f"Gris: {RESERVED_NOTE}", height, layers)
    overall = data[(data["columna"] == "global") & ~data["reservado"]]
    if overall.empty:
        reading = RESERVED_NOTE + " en todos los sectores."
    else:
        best = overall.loc[overall["media"].idxmax()]
        worst = overall.loc[overall["media"].idxmin()]
        reading = (
            f"Puntaje global más alto: {best['sector']} ({num(best['media'])}); "
            f"más bajo: {worst['sector']} ({num(worst['media'])})."
        )
    return StaffFigure(spec, reading)


def trend_chart(trend: pd.DataFrame) -> StaffFigure:
    data = pd.DataFrame(
        {
            "etiqueta": trend["etiqueta"],
            "media": trend["media"],
            "reservado": trend["reservado"],
            "y": 2.0,
            "tooltip": [
                f"{q}: {RESERVED_NOTE}" if r else f"{q}: media {num(m)} · {count_text(n)} empresas"
                for q, m, n, r in _each(trend, "etiqueta", "media", "empresas", "reservado")
            ],
        }
    )
    x = {
        "field": "etiqueta",
        "type": "nominal",
        "sort": list(data["etiqueta"]),
        "title": "Trimestre de envío",
        "axis": {"labelAngle": 0 if len(data) <= 5 else -45},
    }
    layers = [
        {
            "transform": [{"filter": "!datum.reservado"}],
            "mark": {"type": "line", "color": PRIMARY, "point": {"size": 60, "color": PRIMARY}},
            "encoding": {
                "x": x,
                "y": {
                    "field": "media",
                    "type": "quantitative",
                    "title": "Puntaje global medio (0–100)",
                    "scale": SCORE_SCALE,
                },
                "tooltip": DETAIL,
            },
        },
        {
            "transform": [{"filter": "datum.reservado"}],
            "mark": {"type": "point", "shape": "cross", "color": MUTED, "size": 60},
            "encoding": {"x": x, "y": {"field": "y", "type": "quantitative"}, "tooltip": DETAIL},
        },
    ]
    subtitle = "Empresas evaluadas en cada trimestre (su última evaluación del trimestre)"
    spec = _spec(data, "Puntaje global medio por trimestre", subtitle, 220, layers)
    published = trend[~trend["reservado"]]
    if len(published) >= 2:
        first, last = published.iloc[0], published.iloc[-1]
        reading = (
            f"Entre {first['etiqueta']} y {last['etiqueta']} el puntaje medio pasó de "
            f"{num(first['media'])} a {num(last['media'])} puntos."
        )
    else:
        reading = "Aún no hay dos trimestres con 5 empresas o más para ver una tendencia."
    if trend["reservado"].any():
        reading += f" Cruz gris: trimestre con {RESERVED_NOTE.lower()}."
    return StaffFigure(spec, reading)


def progress_chart(progress: pd.DataFrame, labels: Labels) -> StaffFigure:
    shown = progress[~progress["reservado"]]
    rows = []
    for _, row in shown.iterrows():
        name = labels.column(row["columna"])
        for when, value in (("Primera", row["primera"]), ("Última", row["ultima"])):
            rows.append({"nombre": name, "momento": when, "valor": value, "texto": num(value)})
    data = pd.DataFrame(rows, columns=["nombre", "momento", "valor", "texto"])
    y = _y("nombre")
    value = {"field": "valor", "type": "quantitative"}
    layers = [
        {
            "mark": {"type": "line", "color": RESERVED, "strokeWidth": 3},
            "encoding": {"x": value, "y": y, "detail": {"field": "nombre"}},
        },
        {
            "mark": {"type": "point", "filled": True, "size": 90, "opacity": 1},
            "encoding": {
                "x": {
                    **value,
                    "title": "Puntaje medio (0–100)",
                    "scale": SCORE_SCALE,
                    "axis": SCORE_AXIS,
                },
                "y": y,
                "color": {
                    "field": "momento",
                    "type": "nominal",
                    "title": None,
                    "scale": {"range": [MUTED, PRIMARY]},
                    "legend": {"orient": "bottom"},
                },
                "tooltip": [
                    {"field": "momento", "title": "Momento"},
                    {"field": "texto", "title": "Puntaje"},
                ],
            },
        },
    ]
    title = "Avance de las empresas evaluadas más de una vez"
    subtitle = "Media de la primera y de la última evaluación"
    spec = _spec(data, title, subtitle, max(100, 30 * len(shown)), layers)
    if shown.empty:
        return StaffFigure(spec, RESERVED_NOTE + ".")
    overall = shown.iloc[0]
    sign = "+" if overall["cambio"] >= 0 else ""
    reading = (
        f"Las {count_text(overall['empresas'])} empresas que repitieron la evaluación cambiaron "
        f"en promedio {sign}{num(overall['cambio'])} puntos en "
        f"{labels.column(overall['columna']).lower()}; {num(overall['mejoraron'], 0)} % mejoró."
    )
    return StaffFigure(spec, reading)
