"""Hostile inputs for the command line (issue 12 «Confianza», «Figures»): tried / handled cleanly.

Run from the project root:  python benchmarks/hostile_inputs.py [--rapido] [--paralelo 4] [--web]

Generates each hostile input in a temporary folder (YAML "billion laughs" as questionnaire and
as answers, deep nesting, oversized files, /dev/zero, a FIFO, a 200 000-column CSV, a very long
line, binary garbage, NUL bytes, non-UTF-8 text, absurd ``simular --n``, wrong arguments, a
directory or a missing path given as a file…), runs ``python -m scoring …`` on it as a
subprocess with a timeout and an address-space cap, and prints one Spanish table.

"Handled cleanly" means: exit code 1 or 2, a Spanish message on stderr, no "Traceback", under
5 s and under 500 MB of peak memory (resident set size of the child, read from /proc while it runs).

Web cases (``--web``, or ``--solo-web``) run the app in-process through Streamlit's AppTest on a
fresh SQLite database: bad ``?evaluacion=`` values on the fill, review and results pages, NUL
bytes and 30-digit numbers in form fields, an impossible year, URLs in a razón social, and the
database down (a closed port). "Handled cleanly" there means: no exception reaches the page, no
traceback words (SQL, file paths, driver names) are shown, and a Spanish message is; the
«mensaje» column says whether it was the page's own message or the error boundary's generic one.

Importable: ``cases(folder)`` builds the cases, ``run_case`` runs one, ``FAST`` names the
quick subset that ``tests/scoring/test_hostile_files.py`` runs; ``web_cases()`` and
``run_web_cases(folder)`` do the same for the web.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MINI = str(ROOT / "tests" / "scoring" / "fixtures" / "mini.yaml")

LIMIT_SECONDS = 5.0
LIMIT_MB = 500.0
HARD_TIMEOUT = 30.0  # the child is killed after this, and the case counts as not handled
ADDRESS_CAP = 3 * 1024**3  # RLIMIT_AS for the child: numpy/Arrow reserve much more than they use

ENGLISH = re.compile(
    r"Traceback|usage:|error: |Errno|No such file|Is a directory|Permission denied|invalid |"
    r"expected |unrecognized|required|Exception|codec|not allowed|could not|found |"
    r"Error tokenizing|KeyboardInterrupt|BrokenPipe|should |Input should|String "
)
SPANISH = re.compile(r"[áéíóúñ¿¡]|\b(el|la|de|no|archivo|debe|faltan?|una?|argumentos?)\b")

BILLION_LAUGHS = (
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
    "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
    "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n"
)


@dataclass
class Case:
    name: str  # Spanish, shown in the table
    args: list[str]


@dataclass
class Outcome:
    case: Case
    code: int | None
    seconds: float
    peak_mb: float
    stderr: str
    why: str  # empty when handled cleanly

    @property
    def clean(self) -> bool:
        return not self.why


# The quick subset (about 1 s each, run in parallel by the test suite).
FAST = {
    "billion laughs (cuestionario)",
    "billion laughs (respuestas YAML)",
    "anidamiento profundo (cuestionario)",
    "/dev/zero como cuestionario",
    "/dev/zero como respuestas CSV",
    "CSV de 200 000 columnas",
    "bytes nulos (CSV)",
    "no UTF-8 (respuestas YAML)",
    "simular --n 1000000000",
    "simular --semilla -1",
    "argumento desconocido",
    "una carpeta como archivo",
    "archivo inexistente",
    "FIFO como cuestionario",
    "YAML con sintaxis inválida",
    "etiqueta !!python en respuestas",
}


def _write(folder: Path, name: str, content: str | bytes) -> str:
    path = folder / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def cases(folder: Path) -> list[Case]:
    """Every hostile case, its files written under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    answers = _write(folder, "ok.yaml", "respuestas:\n  e1: 2\n")
    lol = _write(folder, "lol.yaml", BILLION_LAUGHS)
    deep_flow = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    deep_block = "".join("  " * i + f"k{i}:\n" for i in range(2_000)) + "  " * 2_000 + "x: 1\n"
    columns = "id," + ",".join(f"c{i}" for i in range(200_000)) + "\n"
    big_questionnaire = folder / "grande.yaml"
    with big_questionnaire.open("wb") as handle:
        handle.write(b"# relleno\n" * 600_000)  # 6 MB
    big_table = folder / "grande.csv"
    with big_table.open("wb") as handle:
        handle.truncate(101 * 1024 * 1024)  # sparse: 101 MB of zero bytes
    fifo = folder / "tuberia.yaml"
    fifo_csv = folder / "tuberia.csv"
    for path in (fifo, fifo_csv):
        if hasattr(os, "mkfifo") and not path.exists():
            os.mkfifo(path)
    zero_csv = folder / "cero.csv"
    if not zero_csv.is_symlink():
        zero_csv.symlink_to("/dev/zero")
    empty_dir = folder / "carpeta"
    empty_dir.mkdir(exist_ok=True)
    garbage = bytes((i * 131 + 17) % 256 for i in range(200_000))
    result = [
        Case("billion laughs (cuestionario)", ["validar", lol]),
        Case("billion laughs (respuestas YAML)", ["puntuar", MINI, lol]),
        Case(
            "billion laughs (respuestas JSON)",
            ["puntuar", MINI, _write(folder, "lol.json", BILLION_LAUGHS)],
        ),
        Case("billion laughs como cuestionario de puntuar", ["puntuar", lol, answers]),
        Case(
            "anidamiento profundo (cuestionario)",
            ["validar", _write(folder, "hondo.yaml", deep_flow)],
        ),
        Case(
            "anidamiento profundo en bloques",
            ["validar", _write(folder, "hondo_bloques.yaml", deep_block)],
        ),
        Case(
            "anidamiento profundo (respuestas)",
            ["puntuar", MINI, _write(folder, "hondo_r.yaml", "respuestas: " + deep_flow[3:])],
        ),
        Case("cuestionario de 6 MB", ["validar", str(big_questionnaire)]),
        Case(
            "respuestas YAML de 2 MB",
            ["puntuar", MINI, _write(folder, "grande_r.yaml", "# x\n" * 500_000)],
        ),
        Case("respuestas CSV de 101 MB", ["puntuar", MINI, str(big_table)]),
        Case("/dev/zero como cuestionario", ["validar", "/dev/zero"]),
        Case("/dev/zero como respuestas", ["puntuar", MINI, "/dev/zero"]),
        Case("/dev/zero como respuestas CSV", ["puntuar", MINI, str(zero_csv)]),
        Case("CSV de 200 000 columnas", ["puntuar", MINI, _write(folder, "anchas.csv", columns)]),
        Case(
            "CSV con 200 000 columnas repetidas",
            ["puntuar", MINI, _write(folder, "repetidas.csv", "id" + ",e1" * 200_000 + "\n")],
        ),
        Case(
            "CSV con una línea de 2 millones de caracteres",
            ["puntuar", MINI, _write(folder, "larga.csv", "id,e1\n1," + "2" * 2_000_000 + "\n")],
        ),
        Case(
            "CSV con un nombre de columna de 200 000 caracteres",
            ["puntuar", MINI, _write(folder, "campo.csv", '"' + "x" * 200_000 + '",id\n1,2\n')],
        ),
        Case(
            "CSV con comillas sin cerrar",
            ["puntuar", MINI, _write(folder, "comillas.csv", 'id,e1\n"1,2\n3,4\n')],
        ),
        Case(
            "YAML con una línea de 4 MB",
            ["validar", _write(folder, "linea.yaml", "id: " + "x" * 4_000_000 + "\n")],
        ),
        Case("basura binaria (cuestionario)", ["validar", _write(folder, "basura.yaml", garbage)]),
        Case("basura binaria (CSV)", ["puntuar", MINI, _write(folder, "basura.csv", garbage)]),
        Case(
            "bytes nulos (YAML)",
            ["puntuar", MINI, _write(folder, "nul.yaml", "respuestas:\n  e1: 2\x00\n")],
        ),
        Case("bytes nulos (CSV)", ["puntuar", MINI, _write(folder, "nul.csv", "id,e1\n1,\x002\n")]),
        Case(
            "no UTF-8 (cuestionario)",
            ["validar", _write(folder, "latin1.yaml", "id: año\n".encode("latin-1"))],
        ),
        Case(
            "no UTF-8 (respuestas YAML)",
            ["puntuar", MINI, _write(folder, "latin1_r.yaml", "# año\n".encode("latin-1"))],
        ),
        Case(
            "no UTF-8 (CSV)",
            ["puntuar", MINI, _write(folder, "latin1.csv", "id,e1\naño,2\n".encode("latin-1"))],
        ),
        Case(
            "YAML con sintaxis inválida",
            ["puntuar", MINI, _write(folder, "sintaxis.yaml", "respuestas:\n  e1: a: b\n")],
        ),
        Case(
            "etiqueta !!python en respuestas",
            [
                "puntuar",
                MINI,
                _write(folder, "tag.yaml", "respuestas:\n  e1: !!python/name:os.system x\n"),
            ],
        ),
        Case(
            "número de 10 000 cifras en respuestas",
            ["puntuar", MINI, _write(folder, "cifras.yaml", "respuestas:\n  e1: 1" + "0" * 10_000)],
        ),
        Case("simular --n 1000000000", ["simular", MINI, "--n", "1000000000"]),
        Case("simular --n -5", ["simular", MINI, "--n", "-5"]),
        Case("simular --n abc", ["simular", MINI, "--n", "abc"]),
        Case("simular --semilla -1", ["simular", MINI, "--n", "3", "--semilla", "-1"]),
        Case("simular --semilla 1e400", ["simular", MINI, "--n", "3", "--semilla", "1e400"]),
        Case(
            "simular a una carpeta inexistente",
            ["simular", MINI, "--n", "3", "--salida", str(folder / "no" / "hay" / "x.csv")],
        ),
        Case(
            "esquema a una carpeta inexistente",
            ["esquema", "--salida", str(folder / "no" / "hay" / "x.json")],
        ),
        Case("sin argumentos", []),
        Case("acción desconocida", ["borrar", MINI]),
        Case("argumento desconocido", ["validar", MINI, "--rapido"]),
        Case("falta un argumento", ["puntuar", MINI]),
        Case("opción sin valor", ["simular", MINI, "--n"]),
        Case("elección inválida", ["puntuar", MINI, answers, "--formato", "xml"]),
        Case("opción ambigua", ["simular", MINI, "--n", "3", "--s", "1"]),
        Case("una carpeta como archivo", ["puntuar", MINI, str(empty_dir)]),
        Case("una carpeta como cuestionario", ["puntuar", str(empty_dir), answers]),
        Case("carpeta sin cuestionarios", ["validar", str(empty_dir)]),
        Case("archivo inexistente", ["puntuar", MINI, str(folder / "no-existe.yaml")]),
        Case("cuestionario inexistente", ["validar", str(folder / "no-existe.yaml")]),
        Case("ruta vacía", ["validar", ""]),
        Case("ruta a través de un archivo", ["validar", answers + "/x.yaml"]),
        Case("nombre de archivo de 5 000 caracteres", ["validar", "x" * 5_000 + ".yaml"]),
    ]
    if fifo.exists():
        result.append(Case("FIFO como cuestionario", ["validar", str(fifo)]))
        result.append(Case("FIFO como respuestas CSV", ["puntuar", MINI, str(fifo_csv)]))
    if os.geteuid() != 0:  # root reads everything
        locked = Path(_write(folder, "cerrado.yaml", "id: x\n"))
        locked.chmod(0)
        result.append(Case("archivo sin permiso de lectura", ["validar", str(locked)]))
    return result


def _limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_CAP, ADDRESS_CAP))


def _high_water_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a running process, in MB; 0 when it is gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def run_case(case: Case, folder: Path, timed: bool = True) -> Outcome:
    """Run one case; wait4 gives the child's own peak resident memory.

    ``timed=False`` (the test suite) leaves the 5 s limit to this script: a shared machine
    makes wall-clock limits flaky, and the suite asserts behaviour, not speed. The hard
    timeout still catches a case that never ends."""
    err_path = folder / f"stderr-{os.getpid()}-{id(case)}.txt"
    start = time.perf_counter()
    with err_path.open("wb") as err, open(os.devnull, "wb") as out:
        child = subprocess.Popen(
            [sys.executable, "-m", "scoring", *case.args],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=_limit_child,
            env={**os.environ, "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"},
        )
        killed = False
        high_water = 0.0
        while True:
            high_water = max(high_water, _high_water_mb(child.pid))
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > HARD_TIMEOUT and not killed:
                child.send_signal(signal.SIGKILL)
                killed = True
            time.sleep(0.01)
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    # The child's own peak: VmHWM of its process image, read while it runs. ru_maxrss from
    # wait4 would also count the parent's memory copied at fork (Linux keeps the larger of
    # the two across exec), which inside a long test run says nothing about the child.
    peak_mb = high_water or usage.ru_maxrss / 1024  # kB on Linux
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    err_path.unlink()
    code = None if killed else child.returncode
    why = ""
    if killed:
        why = f"no terminó en {HARD_TIMEOUT:.0f} s"
    elif code not in (1, 2):
        why = f"código de salida {code}"
    elif "Traceback" in stderr:
        why = "traza de Python en stderr"
    elif ENGLISH.search(stderr):
        why = f"texto en inglés: «{ENGLISH.search(stderr).group(0).strip()}»"
    elif not SPANISH.search(stderr):
        why = "sin mensaje en español"
    elif timed and seconds > LIMIT_SECONDS:
        why = f"más de {LIMIT_SECONDS:.0f} s"
    elif peak_mb > LIMIT_MB:
        why = f"más de {LIMIT_MB:.0f} MB"
    return Outcome(case, code, seconds, peak_mb, stderr, why)


def run_all(
    selected: list[Case], folder: Path, workers: int = 1, timed: bool = True
) -> list[Outcome]:
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda case: run_case(case, folder, timed), selected))


def table(outcomes: list[Outcome]) -> str:
    width = max(len(o.case.name) for o in outcomes)
    lines = [f"{'caso':<{width}}  código  tiempo  memoria  manejado limpiamente"]
    for o in outcomes:
        verdict = "sí" if o.clean else f"NO ({o.why})"
        code = "-" if o.code is None else str(o.code)
        lines.append(
            f"{o.case.name:<{width}}  {code:>6}  {o.seconds:5.2f} s  {o.peak_mb:4.0f} MB  {verdict}"
        )
    clean = sum(o.clean for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds)
    largest = max(outcomes, key=lambda o: o.peak_mb)
    lines.append(
        f"probados: {len(outcomes)} / manejados limpiamente: {clean}; "
        f"más lento {slowest.seconds:.2f} s ({slowest.case.name}); "
        f"más memoria {largest.peak_mb:.0f} MB ({largest.case.name})"
    )
    return "\n".join(lines)


# --- web cases (in-process, Streamlit AppTest) --------------------------------------------------

BOUNDARY = re.compile(r"Algo salió mal.*?(código [0-9A-F]{8})", re.DOTALL)
LEAKS = re.compile(
    r"Traceback|File \"|\.py\b|sqlalchemy|psycopg|sqlite3|OperationalError|SELECT |INSERT |"
    r"password_hash|127\.0\.0\.1|Exception|Error:",
    re.IGNORECASE,
)


@dataclass
class WebCase:
    name: str  # Spanish, shown in the table
    page: str  # script under ui/pages
    params: dict[str, str]  # query parameters
    fields: dict[str, object]  # widget key -> value, then the form is submitted
    expected: str  # the page's own Spanish message (regex)
    login: bool = True
    other_firm: bool = False  # replace "{otra}" by another firm's assessment id
    database_down: bool = False


@dataclass
class WebOutcome:
    case: WebCase
    seconds: float
    shown: str
    why: str  # empty when handled cleanly
    message: str  # "propio", "genérico (código …)" or "-"

    @property
    def clean(self) -> bool:
        return not self.why


_REGISTER = {
    "reg_ruc": "20600000013",
    "reg_name": "Textiles Andinos S.A.C.",
    "reg_sales": "1.234.567,50",
    "reg_email": "gerencia@textiles.pe",
    "reg_password": "clave-segura-123",
    "reg_password2": "clave-segura-123",
}


def web_cases() -> list[WebCase]:
    not_found = r"No encontramos esa evaluación"
    result = []
    pages = {"llenar": "fill.py", "revisión": "review.py", "resultados": "results.py"}
    values = {
        "id de 23 cifras": "99999999999999999999999",
        "id negativo": "-5",
        "id no numérico": "abc",
        "id 1e3": "1e3",
        "id con NUL": "7\x00",
        "id de otra empresa": "{otra}",
    }
    for label, page in pages.items():
        for what, value in values.items():
            result.append(
                WebCase(
                    f"?evaluacion= {what} ({label})",
                    page,
                    {"evaluacion": value},
                    {},
                    not_found,
                    other_firm=value == "{otra}",
                )
            )
    result += [
        WebCase(
            "NUL en la razón social (registro)",
            "register.py",
            {},
            {**_REGISTER, "reg_name": "Textiles\x00Andinos"},
            r"[Rr]azón social|caracteres|nombre",
            login=False,
        ),
        WebCase(
            "ventas de 30 cifras (registro)",
            "register.py",
            {},
            {**_REGISTER, "reg_sales": "9" * 30},
            r"[Vv]entas|monto|cifra",
            login=False,
        ),
        WebCase(
            "año imposible 99999 (registro, estado forjado)",
            "register.py",
            {},
            {**_REGISTER, "reg_year": 99999},
            r"[Aa]ño",
            login=False,
        ),
        WebCase(
            "URL en la razón social (registro)",
            "register.py",
            {},
            {
                **_REGISTER,
                "reg_ruc": "20600000021",
                "reg_name": "https://malo.example www.malo.example",
                "reg_email": "ventas@www.malo.example",
            },
            r"cuenta está creada",
            login=False,
        ),
    ]
    for label, page in {"inicio": "home.py", "ingresar": "login.py", **pages}.items():
        result.append(
            WebCase(
                f"base de datos caída ({label})",
                page,
                {"evaluacion": "1"} if page in pages.values() else {},
                {},
                r"No podemos conectarnos con la base de datos",
                database_down=True,
            )
        )
    return result


# Bare links as GitHub-flavoured Markdown finds them (micromark's autolink literal).
AUTOLINK = re.compile(r"(?:https?://|www\.)[^\s]|[\w.+-]@[\w-]+\.[\w-]", re.IGNORECASE)


def _shown(at) -> str:
    parts = []
    for kind in ("markdown", "error", "warning", "info", "success", "caption", "title", "header"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def _world(folder: Path):
    """A migrated SQLite database with two firms, each with one draft; returns what cases need."""
    from scoring.catalog import default_questionnaire
    from scoring.peru import ruc_check_digit
    from storage.accounts import FirmRegistration, open_session, register_firm
    from storage.assessments import start_assessment
    from storage.db import make_engine, migrate, session_scope
    from storage.models import Account

    url = f"sqlite:///{folder / 'web.sqlite3'}"
    migrate(url)
    engine = make_engine(url)
    loaded = default_questionnaire()
    ids = {}
    with session_scope(engine) as database:
        for first_ten, name in (("2010007097", "Plásticos del Sur S.A.C."), ("2010008888", "Otra")):
            ruc = first_ten + str(ruc_check_digit(first_ten))
            firm = register_firm(
                database,
                FirmRegistration(
                    ruc=ruc,
                    razon_social=name,
                    ciiu_division=22,
                    region="Arequipa",
                    annual_sales=5_000_000,
                    sales_year=2025,
                    workers=40,
                    email=f"gerencia{len(ids)}@plasticos.pe",
                    password="clave-segura-123",
                    consent_share_sni=True,
                    consent_statistics=True,
                ),
            )
            aid = start_assessment(database, firm.id, loaded, "expres").id
            account = database.query(Account).filter(Account.firm_id == firm.id).one()
            ids[name] = (open_session(database, account), aid)
    engine.dispose()
    return url, ids["Plásticos del Sur S.A.C."][0], ids["Otra"][1]


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_web_case(case: WebCase, url: str, token: str, other_id: int) -> WebOutcome:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui.session import TOKEN_KEY

    os.environ["DATABASE_URL"] = (
        f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/test"
        if case.database_down
        else url
    )
    st.cache_data.clear()
    st.cache_resource.clear()
    start = time.perf_counter()
    why = ""
    refused = False  # a list widget cannot even hold the hostile value
    try:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        if case.login:
            at.session_state[TOKEN_KEY] = token
        if not case.database_down:
            at.run()
        for key, value in case.params.items():
            at.query_params[key] = value.replace("{otra}", str(other_id))
        at.switch_page(f"ui/pages/{case.page}").run()
        for key, value in case.fields.items():
            if isinstance(value, str):
                at.text_input(key=key).input(value)
            else:  # a selectbox: the browser sends an index, so an absent value is refused
                box = at.selectbox(key=key)
                if str(value) in box.options:
                    box.set_value(value)
                else:
                    refused = True
        if case.fields:
            if case.page == "register.py":
                at.selectbox(key="reg_ciiu").select(13)
                at.selectbox(key="reg_region").select("Cusco")
                at.number_input(key="reg_workers").set_value(12)
                at.checkbox(key="reg_consent_sni").check()
            at.form_submit_button[0].click()
            at.run()
            # The server sets the session cookie after registration, so the pages that show
            # the name need a real browser: tests/e2e/test_hostile_web.py checks that no link
            # appears there. Here: the name is accepted and the page shows no link either.
        shown = _shown(at)
        if at.exception:
            why = "excepción en la página: " + str(at.exception[0].message)[:80]
        elif leak := LEAKS.search(shown):
            why = f"detalle interno visible: «{leak.group(0)}»"
        elif "malo" in case.fields.get("reg_name", "") and AUTOLINK.search(shown):
            why = "la URL se volvería un enlace"
    except Exception as exc:  # the harness itself (AppTest timeout, widget not found…)
        shown, why = "", f"la prueba falló: {type(exc).__name__}: {str(exc)[:80]}"
    seconds = time.perf_counter() - start
    own = re.search(case.expected, shown) is not None
    generic = BOUNDARY.search(shown)
    parts = (["propio"] if own else []) + ([f"genérico ({generic.group(1)})"] if generic else [])
    message = " + ".join(parts) or "-"
    if refused:
        why, message = "", "la lista no admite el valor"
    elif not why and message == "-":
        why = "aceptado sin mensaje de error" if case.fields else "sin mensaje en español"
    elif not why and seconds > LIMIT_SECONDS:
        why = f"más de {LIMIT_SECONDS:.0f} s"
    return WebOutcome(case, seconds, shown, why, message)


def run_web_cases(folder: Path, selected: list[WebCase] | None = None) -> list[WebOutcome]:
    """Every web case against one fresh database (environment restored afterwards)."""
    import logging

    saved = {
        k: os.environ.get(k) for k in ("DATABASE_URL", "BRUJULA_DATOS", "BRUJULA_CUESTIONARIO")
    }
    logging.getLogger("brujula.errores").setLevel(logging.CRITICAL)  # expected, and noisy
    try:
        os.environ["BRUJULA_DATOS"] = str(folder / "datos")
        os.environ.pop("BRUJULA_CUESTIONARIO", None)
        url, token, other_id = _world(folder)
        return [run_web_case(c, url, token, other_id) for c in selected or web_cases()]
    finally:
        logging.getLogger("brujula.errores").setLevel(logging.NOTSET)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def web_table(outcomes: list[WebOutcome]) -> str:
    width = max(len(o.case.name) for o in outcomes)
    lines = [f"{'caso web':<{width}}  tiempo  {'mensaje':<32}  manejado limpiamente"]
    for o in outcomes:
        verdict = "sí" if o.clean else f"NO ({o.why})"
        lines.append(f"{o.case.name:<{width}}  {o.seconds:5.2f} s  {o.message:<32}  {verdict}")
    clean = sum(o.clean for o in outcomes)
    own = sum(o.clean and o.message == "propio" for o in outcomes)
    slowest = max(outcomes, key=lambda o: o.seconds)
    lines.append(
        f"probados: {len(outcomes)} / manejados limpiamente: {clean} (con el mensaje propio de "
        f"la página: {own}); más lento {slowest.seconds:.2f} s ({slowest.case.name})"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description="Entradas hostiles para python -m scoring.")
    parser.add_argument("--rapido", action="store_true", help="solo el subconjunto rápido")
    parser.add_argument("--paralelo", type=int, default=1, help="casos a la vez (mide peor)")
    parser.add_argument("--mensajes", action="store_true", help="muestra el stderr de cada caso")
    parser.add_argument("--web", action="store_true", help="también los casos web (AppTest)")
    parser.add_argument("--solo-web", action="store_true", help="solo los casos web")
    args = parser.parse_args()
    ok = True
    if not args.solo_web:
        with tempfile.TemporaryDirectory(prefix="hostiles-") as tmp:
            folder = Path(tmp)
            selected = [c for c in cases(folder) if not args.rapido or c.name in FAST]
            outcomes = run_all(selected, folder, args.paralelo)
        if args.mensajes:
            for o in outcomes:
                print(f"--- {o.case.name} (código {o.code})\n{o.stderr.strip()[:600]}")
        print(table(outcomes))
        ok = all(o.clean for o in outcomes)
    if args.web or args.solo_web:
        sys.path.insert(0, str(ROOT))
        with tempfile.TemporaryDirectory(prefix="hostiles-web-") as tmp:
            web = run_web_cases(Path(tmp))
        if args.mensajes:
            for o in web:
                print(f"--- {o.case.name}\n{o.shown.strip()[:600]}")
        print(web_table(web))
        ok = ok and all(o.clean for o in web)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
