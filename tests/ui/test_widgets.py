"""Firm-typed text is shown literally: no Markdown links, images or formatting."""

import re

from ui.widgets import plain


def test_markdown_is_neutralised():
    hostile = "![x](https://evil.example/p.png) [clic](http://x) **Hola** $x$ S.A.C."
    escaped = plain(hostile)
    unescaped = re.sub(r"\\(.)", r"\1", escaped).replace("\u2060", "")
    assert unescaped == hostile  # shown exactly as typed
    for sequence in ("![", "](", "**", "https://"):
        assert sequence not in escaped
