# Sourced by run.sh and test.sh: make sure .venv exists and runs Python 3.11 or newer.
# A .venv built with an older Python, or whose interpreter no longer starts (the system Python
# it pointed to was upgraded or removed), is said so in Spanish and rebuilt from scratch.
# PYTHON chooses the interpreter that builds it; otherwise the newest python3.x found.

MIN_PYTHON="3.11"

# True when "$1" starts and is at least MIN_PYTHON.
python_ok() {
    "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1
}

# "3.9.18", or "que no arranca" when the interpreter does not start.
python_version() {
    "$1" -c 'import platform; print(platform.python_version())' 2>/dev/null || echo "que no arranca"
}

# The interpreter that builds .venv: $PYTHON, or the newest python3.x on the PATH.
find_python() {
    local candidate
    for candidate in ${PYTHON:-python3.13 python3.12 python3.11 python3}; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

ensure_venv() {
    if [ -e .venv ] && ! { [ -x .venv/bin/python ] && python_ok .venv/bin/python; }; then
        echo "El entorno .venv usa Python $(python_version .venv/bin/python) y Brújula Circular" \
            "necesita Python $MIN_PYTHON o superior: se borra y se vuelve a crear." >&2
        rm -rf .venv
    fi
    if [ ! -e .venv ]; then
        local python
        if ! python="$(find_python)"; then
            echo "No se encontró Python $MIN_PYTHON o superior (se probó: ${PYTHON:-python3.13" \
                "python3.12 python3.11 python3}). Instálelo (por ejemplo, apt-get install" \
                "python3.11-venv) o indique cuál usar: PYTHON=/ruta/a/python3.11 bash $0" >&2
            return 1
        fi
        echo "Creando el entorno .venv con $python (Python $(python_version "$python"))." >&2
        "$python" -m venv .venv
    fi
}
