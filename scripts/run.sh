#!/usr/bin/env bash
# Install the pinned runtime dependencies in .venv, prepare the embedded database and start the app.
# The app runs as an ASGI app (servidor.py: st.App with the session routes) under uvicorn;
# `streamlit run` finds it and serves it, so Streamlit's flags still work, e.g.
#   bash scripts/run.sh --server.port 8600 --server.address 0.0.0.0
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m storage migrar
exec .venv/bin/streamlit run servidor.py "$@"
