"""Bar charts of one assessment as plain data; the PDF template draws them with typst's shapes.

Drawing in the template keeps the charts vector, their text selectable and the report fast (no
chart renderer). Numbers are formatted here with the report's helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reports import content, fmt
from reports.palette import PRIMARY, dimension_colors
from scoring import schema
from scoring.result import Score, ScoreResult

SCORE_AXIS = "Puntaje (0–100)"
PEER_NOTE = "Marca negra: mediana del grupo · franja gris: del primer al tercer cuartil"
TITLES = {
    "dimensiones": "Puntaje por dimensión",
    "rutas": "Puntaje por ruta de acción ODS 9",
    "ejes": "Puntaje por eje temático",
}


def _peer(peers: Mapping | None, key: str) -> dict | None:
    if not peers:
        return None
    value = peers.get(key)
    if not isinstance(value, Mapping) or value.get("median") is None:
        return None
    return dict(value)


def _row(
    score: Score, label: str, peers: Mapping | None, color: str, mark: str = ""
) -> dict[str, Any]:
    peer = _peer(peers, score.id)
    return {
        "etiqueta": label,
        "marca": mark,  # e.g. "Módulo textil y confecciones" under a sector module's theme
        "puntaje": score.puntaje,
        "texto": fmt.number(score.puntaje) if score.puntaje is not None else "No aplica",
        "mediana": peer.get("median") if peer else None,
        "q1": peer.get("q1") if peer else None,
        "q3": peer.get("q3") if peer else None,
        "color": color,
    }


def chart_data(kind: str, result: ScoreResult, peers: Mapping | None = None) -> dict[str, Any]:
    """Title, legend and one row per bar for "dimensiones", "rutas" or "ejes"."""
    legend: list[dict[str, str]] = []
    if kind == "dimensiones":
        rows = [_row(d, d.nombre, peers, PRIMARY) for d in result.dimensiones]
    elif kind == "rutas":
        rows = [
            _row(r, f"{r.id} · {schema.ROUTE_NAMES.get(r.id, r.nombre)}", peers, PRIMARY)
            for r in result.rutas
        ]
    elif kind == "ejes":
        colors = dimension_colors(d.id for d in result.dimensiones)
        legend = [{"nombre": d.nombre, "color": colors[d.id]} for d in result.dimensiones]
        rows = [
            _row(
                t,
                t.nombre,
                None,
                colors.get(t.dimension or "", PRIMARY),
                content.theme_mark(result, t.id),
            )
            for t in result.ejes
        ]
    else:
        raise ValueError(f"unknown chart kind {kind!r}")
    with_peers = any(row["mediana"] is not None for row in rows)
    return {
        "titulo": TITLES[kind],
        "subtitulo": PEER_NOTE if with_peers else "",
        "eje": SCORE_AXIS,
        "con_pares": with_peers,
        "leyenda": legend,
        "filas": rows,
    }
