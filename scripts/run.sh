#!/usr/bin/env bash
# Install the pinned runtime dependencies in .venv, prepare the embedded database and start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m storage migrar
exec .venv/bin/streamlit run app.py "$@"
