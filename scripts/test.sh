#!/usr/bin/env bash
# Install the pinned dependencies in .venv and run every check: ruff, questionnaires, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m scoring validar cuestionarios/ cuestionarios/modulos/
.venv/bin/python -m pytest "$@"
