"""Real-browser fixtures: a Streamlit server on a free port with a temporary SQLite database,
and Debian's Chromium driven by Playwright. Never sleeps: waits on health and app state."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true pero no se encontró Chromium en {CHROMIUM}.")
    pytest.skip(f"No se encontró Chromium en {CHROMIUM}: se omiten las pruebas e2e.")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(folder: Path, database_url: str) -> Iterator[str]:
    """The app as ``scripts/run.sh`` starts it (``streamlit run servidor.py``: st.App under
    uvicorn) on a free port against ``database_url``; stopped on exit."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BRUJULA_DATOS": str(folder / "datos")}
    env.pop("BRUJULA_CUESTIONARIO", None)
    log = (folder / "streamlit.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "servidor.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Streamlit no inició en 60 s; vea {folder / 'streamlit.log'}.")
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.25)  # pause between polls on the server itself
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app with its own empty SQLite database, for the whole session."""
    _require_chromium()
    folder = tmp_path_factory.mktemp("e2e")
    with streamlit_server(folder, f"sqlite:///{folder / 'e2e.sqlite3'}") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[object]:
    """A fresh browser context (no cookies) at phone width."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="es-PE")
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
