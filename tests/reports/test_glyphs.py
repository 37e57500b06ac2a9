"""The PDF's font (shipped in the repo) covers what firms type; what it cannot draw is listed."""

from __future__ import annotations

import io

from pypdf import PdfReader

from reports import glyphs
from reports.pdf import build_pdf
from tests.reports.conftest import pdf_text, render_pngs, with_firm

TYPED = "Ñandú Café ≥ 5 € «Eco» ✓ ▲ 😀 ♻ ＡＢＣ１２３ Ωμ Привет"
UNCOVERED = "工厂"  # CJK ideographs: no free sans font of reasonable size covers them


def _fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page.get("/Resources", {}).get("/Font") or {}).values():
            names.add(str(font.get_object().get("/BaseFont")))
    return names


def test_the_font_ships_with_the_app_under_a_free_licence():
    for name in glyphs.FONT_FILES:
        assert (glyphs.FONT_DIR / name).stat().st_size > 100_000
    assert "Bitstream" in (glyphs.FONT_DIR / "LICENSE-DejaVu.txt").read_text()
    known = glyphs.covered()
    for char in "ÁÉÍÓÚÑáéíóúñü¿¡«»—–€≥▲□✓😀":
        assert ord(char) in known, char


def test_typed_characters_print_and_the_rest_is_listed(sample, tmp_path):
    result, context = sample
    pdf = build_pdf(result, with_firm(context, razon_social=f"{TYPED} {UNCOVERED} S.A.C."))
    text = pdf_text(pdf)
    # Everything the font has is printed as typed; full-width letters as their plain forms.
    for word in ("Ñandú", "Café", "«Eco»", "Привет", "ABC123", "😀"):
        assert word in text, word
    # The two ideographs became «□» and the annex names them by code point.
    assert "U+5DE5 CJK UNIFIED IDEOGRAPH-5DE5" in text
    assert "U+5382" in text and "imprimen como «□»" in text
    assert all(name.split("+")[-1].startswith("DejaVu") for name in _fonts(pdf) if "Sans" in name)
    assert any("DejaVuSans" in name for name in _fonts(pdf))
    render_pngs(pdf, "glifos", resolution=50)


def test_no_note_when_everything_is_covered(sample):
    result, context = sample
    pdf = build_pdf(result, with_firm(context, razon_social=TYPED))
    assert "imprimen como" not in pdf_text(pdf)


def test_control_characters_are_dropped_and_full_width_normalised():
    printer = glyphs.Printable()
    assert printer.text("a\x00b\x07ＡＢ") == "abAB"
    assert printer.text("工") == "□"
    assert list(printer.replaced.values()) == ["U+5DE5 CJK UNIFIED IDEOGRAPH-5DE5"]
