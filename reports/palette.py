"""The product's one palette: the firm's charts, the staff charts and the PDF draw with these.

A dimension keeps its colour everywhere: colours go by the dimension's place in the
questionnaire (economic, social, environmental), never by the order a chart happens to sort
its legend.
"""

from __future__ import annotations

from collections.abc import Iterable

PRIMARY = "#0F6E5A"  # the firm's own score
INK = "#1F2A2E"  # text and the peer median
PEER = INK
BAND = "#8A9A95"  # peer q1–q3 band
MUTED = "#4F5B63"
GRID = "#D5DDDA"
RESERVED = "#C9D0CD"  # staff cells with fewer than 5 firms
REFERENCE = "#A9B4B0"  # published references beside the firm's value
DIMENSION_COLORS = ("#0F6E5A", "#3E6E96", "#A5661B", "#7A4E8C", "#5B6770")
LEVEL_TINTS = ("#F6E1DA", "#F8EBD3", "#F3F1D6", "#E1F0DF", "#CFE9DA")


def dimension_color(position: int) -> str:
    """Colour of the dimension at ``position`` in questionnaire order."""
    return DIMENSION_COLORS[position % len(DIMENSION_COLORS)]


def dimension_colors(names_in_order: Iterable[str]) -> dict[str, str]:
    """Dimension (id or name, in questionnaire order) -> its colour."""
    return {name: dimension_color(i) for i, name in enumerate(dict.fromkeys(names_in_order))}
