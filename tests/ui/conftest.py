"""AppTest fixtures: a fresh SQLite database and the mini questionnaire for every test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "scoring" / "fixtures" / "mini.yaml"


@pytest.fixture(autouse=True)
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test gets its own database and the small test questionnaire; caches start empty."""
    url = f"sqlite:///{tmp_path / 'ui.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BRUJULA_CUESTIONARIO", str(MINI))
    monkeypatch.setenv("BRUJULA_DATOS", str(tmp_path / "datos"))
    monkeypatch.chdir(ROOT)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield url
    st.cache_data.clear()
    st.cache_resource.clear()
