"""The sentences that place a firm's scores against its peers, one set for screen and reports.

The results page and the PDF both read a firm's dimensions and routes with these functions, so
a comparison is worded (and its numbers formatted) the same way wherever the firm reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from scoring.numbers import format_number_es
from scoring.result import ScoreResult

Peer = Mapping[str, float] | None
Item = tuple[str, float | None, Peer]
SAME = 0.05  # scores shown with one decimal: closer than this reads as "en la mediana"


def join_es(items: Sequence[str]) -> str:
    """ "a, b y c" ("e" before a word that starts with the sound i: "agua e insumos")."""
    if len(items) == 1:
        return items[0]
    last = items[-1]
    sound_i = last[:1].lower() in ("i", "í") or (
        last[:2].lower() == "hi" and last[2:3].lower() not in ("a", "e", "o")
    )
    return ", ".join(items[:-1]) + (" e " if sound_i else " y ") + last


def _versus(score: float, median: float) -> str:
    return f"{format_number_es(score)} frente a {format_number_es(median)}"


def position(score: float, median: float) -> str:
    """ "por encima", "por debajo" or "en" (the median)."""
    if abs(score - median) < SAME:
        return "en"
    return "por encima" if score > median else "por debajo"


def peer_reading(score: float | None, peer: Peer, subject: str) -> str:
    """One score against its peer median, e.g. for the overall score; "" without peers."""
    if score is None or not peer or peer.get("median") is None:
        return ""
    median = float(peer["median"])
    where = {
        "en": "en la mediana",
        "por encima": "por encima de la mediana",
        "por debajo": "por debajo de la mediana",
    }[position(score, median)]
    return (
        f"Su empresa está {where} de su grupo de comparación en {subject} "
        f"({_versus(score, median)})."
    )


def peer_summary(items: Sequence[Item]) -> str:
    """Several scores against their peer medians (label, score, peer); "" without peers."""
    groups: dict[str, list[str]] = {"por encima": [], "por debajo": [], "en": []}
    for label, score, peer in items:
        if score is None or not peer or peer.get("median") is None:
            continue
        median = float(peer["median"])
        groups[position(score, median)].append(f"{label} ({_versus(score, median)})")
    parts = [
        (f"{where} de la mediana en " if where != "en" else "en la mediana en ") + join_es(labels)
        for where, labels in groups.items()
        if labels
    ]
    if not parts:
        return ""
    return "Frente a su grupo de comparación, su empresa está " + "; ".join(parts) + "."


NOUNS = {  # noun -> (article, plural)
    "dimensión": ("la", "dimensiones"),
    "ruta": ("la", "rutas"),
    "eje": ("el", "ejes"),
}


def balance_reading(items: Sequence[tuple[str, float | None]], noun: str) -> str:
    """Without peers: the strongest and the weakest of the firm's own scores."""
    article, plural = NOUNS.get(noun, ("la", noun + "s"))
    scored = [(name, score) for name, score in items if score is not None]
    if not scored:
        return f"Aún no hay puntajes por {noun}: no se respondió ninguna pregunta aplicable."
    if len(scored) == 1:
        name, score = scored[0]
        return f"Solo {article} {noun} {name} tiene puntaje ({format_number_es(score)})."
    strong = max(scored, key=lambda s: s[1])
    weak = min(scored, key=lambda s: s[1])
    if strong[1] == weak[1]:
        return f"Todas sus {plural} tienen el mismo puntaje ({format_number_es(strong[1])})."
    return (
        f"Su {noun} más fuerte es {article} {strong[0]} ({format_number_es(strong[1])}) y "
        f"{article} más débil, {article} {weak[0]} ({format_number_es(weak[1])})."
    )


def dimension_items(result: ScoreResult, peer_of: Callable[[str], Peer]) -> list[Item]:
    return [(f"la {d.nombre.lower()}", d.puntaje, peer_of(d.id)) for d in result.dimensiones]


def route_items(result: ScoreResult, peer_of: Callable[[str], Peer]) -> list[Item]:
    return [(r.id, r.puntaje, peer_of(r.id)) for r in result.rutas]


def dimension_summary(result: ScoreResult, peer_of: Callable[[str], Peer]) -> str:
    """The dimensions against their peer medians ("" when no median is published)."""
    return peer_summary(dimension_items(result, peer_of))


def route_summary(result: ScoreResult, peer_of: Callable[[str], Peer]) -> str:
    """The ODS 9 routes against their peer medians ("" when no median is published)."""
    return peer_summary(route_items(result, peer_of))
