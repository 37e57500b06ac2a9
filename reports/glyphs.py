"""The fonts the PDF embeds (shipped in ``reports/fonts``, so every machine prints the same) and
the characters they cover: text a firm typed is normalised (full-width «ＡＢＣ» → «ABC») and any
character still without a glyph becomes «□», listed in the report so nothing vanishes silently.
"""

from __future__ import annotations

import functools
import struct
import unicodedata
from collections.abc import Iterable
from pathlib import Path

FONT_DIR = Path(__file__).parent / "fonts"
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")
FAMILY = "DejaVu Sans"
REPLACEMENT = "□"
# Layout characters typst handles without a glyph (line breaks, zero-width spaces, joiners…).
_INVISIBLE = frozenset("\n\t\u200b\u200c\u200d\u2060\ufeff")


def _cmap(path: Path) -> frozenset[int]:
    """The code points a TrueType font maps to glyphs (cmap formats 4 and 12)."""
    data = path.read_bytes()
    tables = struct.unpack_from(">H", data, 4)[0]
    offset = None
    for i in range(tables):
        tag, _, start, _ = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if tag == b"cmap":
            offset = start
    if offset is None:
        raise ValueError(f"{path.name}: sin tabla cmap")
    count = struct.unpack_from(">H", data, offset + 2)[0]
    subtables = [struct.unpack_from(">HHI", data, offset + 4 + 8 * i) for i in range(count)]
    best = {}
    for platform, encoding, sub in subtables:
        kind = struct.unpack_from(">H", data, offset + sub)[0]
        if (platform, encoding) in ((3, 10), (0, 4), (3, 1), (0, 3)) and kind in (4, 12):
            best.setdefault(kind, offset + sub)
    points: set[int] = set()
    if 12 in best:
        at = best[12]
        groups = struct.unpack_from(">I", data, at + 12)[0]
        for g in range(groups):
            first, last, glyph = struct.unpack_from(">III", data, at + 16 + 12 * g)
            points.update(c for c in range(first, last + 1) if glyph + c - first)
    elif 4 in best:
        at = best[4]
        segments = struct.unpack_from(">H", data, at + 6)[0] // 2
        ends = struct.unpack_from(f">{segments}H", data, at + 14)
        starts_at = at + 16 + 2 * segments
        starts = struct.unpack_from(f">{segments}H", data, starts_at)
        deltas = struct.unpack_from(f">{segments}h", data, starts_at + 2 * segments)
        ranges_at = starts_at + 4 * segments
        offsets = struct.unpack_from(f">{segments}H", data, ranges_at)
        for s in range(segments):
            for code in range(starts[s], ends[s] + 1):
                if code == 0xFFFF:
                    continue
                if offsets[s] == 0:
                    glyph = (code + deltas[s]) & 0xFFFF
                else:
                    where = ranges_at + 2 * s + offsets[s] + 2 * (code - starts[s])
                    glyph = struct.unpack_from(">H", data, where)[0]
                    glyph = (glyph + deltas[s]) & 0xFFFF if glyph else 0
                if glyph:
                    points.add(code)
    return frozenset(points)


@functools.cache
def covered() -> frozenset[int]:
    """Code points every embedded weight can draw (regular and bold alike)."""
    sets = [_cmap(FONT_DIR / name) for name in FONT_FILES]
    return frozenset.intersection(*sets)


def _describe(char: str) -> str:
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


class Printable:
    """Makes strings printable with the embedded fonts and remembers what it replaced."""

    def __init__(self) -> None:
        self._known = covered()
        self.replaced: dict[str, str] = {}  # character -> "U+XXXX NAME", in order of first sight

    def char(self, char: str) -> str:
        if ord(char) in self._known or char in _INVISIBLE:
            return char
        if unicodedata.category(char) == "Cc":
            return ""  # control characters (NUL…) have no place in a printed page
        normal = unicodedata.normalize("NFKC", char)
        if normal != char and all(ord(c) in self._known for c in normal):
            return normal
        self.replaced.setdefault(char, _describe(char))
        return REPLACEMENT

    def text(self, text: str) -> str:
        if text.isascii() and text.isprintable():
            return text
        return "".join(self.char(c) for c in text)

    def walk(self, value: object) -> object:
        """The same JSON-like structure with every string made printable."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {key: self.walk(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.walk(item) for item in value]
        return value


def unsupported(texts: Iterable[str]) -> list[str]:
    """The characters of ``texts`` the PDF would replace, described (for tests and the CLI)."""
    printer = Printable()
    for text in texts:
        printer.text(text)
    return list(printer.replaced.values())
