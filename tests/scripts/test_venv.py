"""scripts/venv.sh, sourced by run.sh and test.sh: a .venv with a Python older than 3.11, or one
that no longer starts, is reported in Spanish and rebuilt; a good one is kept."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

VENV_SH = Path(__file__).resolve().parents[2] / "scripts" / "venv.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _fake_python(path: Path, version: str, builds_with: str | None = None) -> Path:
    """A stand-in interpreter that reports ``version``; with ``builds_with``, its ``-m venv``
    makes a .venv whose python is that real interpreter."""
    ok = tuple(int(p) for p in version.split(".")[:2]) >= (3, 11)
    venv = (
        f'if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then mkdir -p "$3/bin" && '
        f'ln -s "{builds_with}" "$3/bin/python"; exit 0; fi'
        if builds_with
        else ""
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "#!/bin/sh\n"
        f"{venv}\n"
        f'case "$*" in *version_info*) exit {0 if ok else 1};; esac\n'
        f'case "$*" in *python_version*) echo {version};; esac\n'
    )
    path.chmod(0o755)
    return path


def _ensure(folder: Path, python: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PYTHON": str(python), "LANG": "C.UTF-8"}
    return subprocess.run(
        ["bash", "-c", f'. "{VENV_SH}"; ensure_venv'],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _venv_version(folder: Path) -> tuple[int, int]:
    out = subprocess.run(
        [str(folder / ".venv/bin/python"), "-c", "import sys; print(*sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    )
    major, minor = out.stdout.split()
    return int(major), int(minor)


@pytest.fixture
def builder(tmp_path: Path) -> Path:
    """A Python ≥ 3.11 that builds .venv (pointing at the interpreter running the tests)."""
    return _fake_python(tmp_path / "tools" / "python3.12", "3.12.1", builds_with=sys.executable)


def test_old_venv_is_reported_and_rebuilt(tmp_path: Path, builder: Path) -> None:
    project = tmp_path / "project"
    _fake_python(project / ".venv" / "bin" / "python", "3.9.18")
    (project / ".venv" / "viejo.txt").write_text("de la versión anterior")
    run = _ensure(project, builder)
    assert run.returncode == 0, run.stderr
    assert "usa Python 3.9.18" in run.stderr
    assert "necesita Python 3.11 o superior" in run.stderr
    assert "se vuelve a crear" in run.stderr
    assert not (project / ".venv" / "viejo.txt").exists()  # rebuilt, not patched
    assert _venv_version(project) >= (3, 11)


def test_broken_venv_is_rebuilt(tmp_path: Path, builder: Path) -> None:
    project = tmp_path / "project"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(tmp_path / "borrado" / "python3.10")
    run = _ensure(project, builder)
    assert run.returncode == 0, run.stderr
    assert "usa Python que no arranca" in run.stderr
    assert _venv_version(project) >= (3, 11)


def test_good_venv_is_kept(tmp_path: Path, builder: Path) -> None:
    project = tmp_path / "project"
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(sys.executable)
    (project / ".venv" / "propio.txt").write_text("se conserva")
    run = _ensure(project, builder)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    assert (project / ".venv" / "propio.txt").exists()


def test_without_a_recent_python_it_says_what_to_install(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    old = _fake_python(tmp_path / "tools" / "python3", "3.10.12", builds_with=sys.executable)
    run = _ensure(project, old)
    assert run.returncode == 1
    assert "No se encontró Python 3.11 o superior" in run.stderr
    assert "PYTHON=" in run.stderr
    assert not (project / ".venv").exists()


@pytest.mark.parametrize("script", ["run.sh", "test.sh"])
def test_both_scripts_use_the_check(script: str) -> None:
    text = (VENV_SH.parent / script).read_text()
    lines = [line.strip() for line in text.splitlines()]
    assert ". scripts/venv.sh" in lines
    assert lines.index("ensure_venv") < min(i for i, ln in enumerate(lines) if "pip install" in ln)
