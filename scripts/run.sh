#!/usr/bin/env bash
# Install the pinned runtime dependencies in .venv, prepare the embedded database and start the app.
# The app runs as an ASGI app (servidor.py: st.App with the session routes) under uvicorn;
# `streamlit run` finds it and serves it, so Streamlit's flags still work, e.g.
#   bash scripts/run.sh --server.port 8600 --server.address 0.0.0.0
# --demo (first argument) starts in demo mode: demo firms are created once and count as peers,
# labelled as demo figures on screen (BRUJULA_MODO_DEMO=1). Never use it in production.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/venv.sh
ensure_venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
.venv/bin/python -m storage migrar
if [ "${1:-}" = "--demo" ]; then
    shift
    export BRUJULA_MODO_DEMO=1
    echo "Modo demostración: las empresas «(DEMO)» cuentan como pares, marcadas en pantalla."
    # Created the first time only; later runs keep the ones there are.
    if ! .venv/bin/python - <<'PY'
import sys

from storage.db import database_url, make_engine, session_scope
from storage.demo import count_demo

with session_scope(make_engine(database_url())) as session:
    sys.exit(0 if count_demo(session) else 1)
PY
    then
        .venv/bin/python -m storage demo --empresas 120 --semilla 7
    fi
fi
exec .venv/bin/streamlit run servidor.py "$@"
