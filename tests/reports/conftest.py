"""Shared fixtures: a realistic Completo assessment of the base questionnaire, and helpers."""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from reports.context import Firm, ReportContext
from reports.sample import SAMPLE_FIRM, sample_report

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "report"

HOSTILE_NAME = '#set page(fill: red) ] } "); <script>alert(1)</script> Ñandú — Café ≥ 5 € S/ 100'
INJECTION_NAME = '=HYPERLINK("http://x")'


def pdf_text(pdf: bytes) -> str:
    """All page text with whitespace normalised (line breaks, NBSP and zero-width spaces)."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    text = text.replace("\u200b", "").replace("\u00a0", " ").replace("\u202f", " ")
    text = re.sub(r"\s+", " ", text)
    # Spanish typesetting repeats a hyphen at the start of the next line («horas-» / «-hombre»).
    return re.sub(r"(\w)- -(\w)", r"\1-\2", text)


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def render_pngs(pdf: bytes, name: str, resolution: int = 60) -> list[Path]:
    """Render every page to ``test-artifacts/report/<name>-N.png`` for a human to look at."""
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm is required in CI to render the report pages")
        pytest.skip("pdftoppm is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(resolution), "-png", str(source), str(ARTIFACTS / name)],
        check=True,
        timeout=120,
    )
    return sorted(ARTIFACTS.glob(f"{name}-*.png"))


@pytest.fixture(scope="session")
def sample():
    """(result, context) of a Completo assessment with peer figures."""
    return sample_report("completo", seed=7)


@pytest.fixture(scope="session")
def sample_pdf(sample) -> bytes:
    from reports.pdf import build_pdf

    return build_pdf(*sample)


def with_firm(context: ReportContext, **changes) -> ReportContext:
    firm: Firm = dataclasses.replace(SAMPLE_FIRM, **changes)
    return dataclasses.replace(context, firm=firm)
