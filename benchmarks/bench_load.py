"""Many firms at once through the real server (issue 11): N simulated firms speak Streamlit's own
websocket protocol to ``streamlit run servidor.py``, as a browser does.

Each firm loads the page (the server gives it its binding cookie), fills the registration form
(every widget value sent with the form's submit, as the browser sends them), collects its session
cookie from ``/sesion/entrar``, opens «Mi panel», starts a Completo assessment, and then answers
questions with a think time between clicks (about 4 per section before «Guardar y continuar»).
The N registrations start together: with N = 50 that is a registration storm.

At the end every answer the firm clicked is read back from the database and compared. Reported
per run: median and p95 time of an interaction (send → the server's "script finished"), of a
registration, and of a bare page (a rerun of «Ingresar»: the same protocol with almost no
script); server CPU per interaction (psutil on the server's pid, the client excluded); the
server's memory (resident, at start and peak); errors (an error or warning on a page, a
traceback, a timeout or a dropped connection); answers clicked and stored.

Each configuration gets a fresh server and a fresh database: a SQLite file in a temporary folder,
or a new PostgreSQL schema (``--postgres URL``, default TEST_DATABASE_URL) dropped afterwards.
``--gc on`` runs Streamlit's post-run ``gc.collect()`` (its default; off in
.streamlit/config.toml) to measure what it costs.

Run from the project root, for example::

    python benchmarks/bench_load.py --rapido
    python benchmarks/bench_load.py --empresas 1 10 50 100 --pausa 10 1 --base sqlite postgresql
    python benchmarks/bench_load.py --empresas 50 --pausa 10 --gc on off --salida carga.json
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
import websockets  # noqa: E402
from sqlalchemy import make_url, select  # noqa: E402
from streamlit.proto.Alert_pb2 import Alert  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit.proto.WidgetStates_pb2 import WidgetState  # noqa: E402

from scoring import compile_questionnaire, schema  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.peru import ruc_check_digit  # noqa: E402
from storage.db import make_engine, migrate, normalize_url, session_scope  # noqa: E402
from storage.models import Account, Answer, Assessment  # noqa: E402

PASSWORD = "clave-de-carga-2026"
EARLY = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
TIMEOUT = 180.0  # seconds one interaction may take before it counts as an error
PER_SECTION = 4  # answers before «Guardar y continuar»
BARE_RUNS = 20
IDLE_SECONDS = 5.0
GOAL_P95 = 1.0
GOAL_CPU_MS = 30.0


# --- the server -----------------------------------------------------------------------------


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
def server(database_url: str, folder: Path, gc_on: bool) -> Iterator[tuple[str, psutil.Process]]:
    """``streamlit run servidor.py`` on a free port (as scripts/run.sh starts it)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "BRUJULA_DATOS": str(folder / "datos")}
    env.pop("BRUJULA_CUESTIONARIO", None)
    log = (folder / "servidor.log").open("w")
    command = [
        sys.executable, "-m", "streamlit", "run", "servidor.py", "--server.headless", "true",
        "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--runner.postScriptGC", "true" if gc_on else "false",
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"el servidor no inició; vea {folder / 'servidor.log'}")
            time.sleep(0.25)
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


class Sampler:
    """The server's resident memory, sampled twice a second."""

    def __init__(self, process: psutil.Process) -> None:
        self.process = process
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self.process.memory_info().rss)
            self._stop.wait(0.5)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


# --- the browser's side of the protocol ---------------------------------------------------------


@dataclass
class Widget:
    id: str
    kind: str
    key: str
    proto: object


@dataclass
class Run:
    """What one script run (or a chain of reruns) showed."""

    widgets: dict[str, Widget] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    query_string: str | None = None
    seconds: float = 0.0


def _initial_state(widget: Widget) -> WidgetState | None:
    """The value the browser records for a widget it has just drawn (None: no value)."""
    proto = widget.proto
    state = WidgetState(id=widget.id)
    if widget.kind in ("radio", "selectbox"):
        if proto.HasField("raw_value"):
            state.string_value = proto.raw_value
        elif proto.HasField("default") and proto.options:
            state.string_value = proto.options[proto.default]
        else:
            return None
    elif widget.kind in ("text_input", "text_area"):
        if proto.HasField("value"):
            state.string_value = proto.value
        elif proto.HasField("default"):
            state.string_value = proto.default
        else:
            return None
    elif widget.kind == "checkbox":
        state.bool_value = proto.value if proto.set_value else proto.default
    elif widget.kind == "number_input":
        if proto.HasField("value"):
            state.double_value = proto.value
        elif proto.HasField("default"):
            state.double_value = proto.default
        else:
            return None
    else:
        return None
    return state


class Browser:
    """One tab: a websocket session, its cookies and its widget states."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies: dict[str, str] = {}
        self.ws = None
        self.states: dict[str, WidgetState] = {}
        self.page = ""
        self.page_hash = ""  # the page the server is showing (after a switch_page too)
        self.query = ""

    # HTTP, in a thread (the event loop keeps serving the other firms)
    def _http(self, path: str) -> tuple[int, dict[str, str]]:
        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        request = urllib.request.Request(f"{self.base}{path}", headers=self._cookie_header())
        try:
            response = opener.open(request, timeout=TIMEOUT)
        except urllib.error.HTTPError as exc:
            response = exc
        with response:
            response.read()
            for header in response.headers.get_all("set-cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower():
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
            return response.status, dict(response.headers)

    async def get(self, path: str) -> tuple[int, dict[str, str]]:
        return await asyncio.to_thread(self._http, path)

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def connect(self) -> None:
        await self.close()
        host = self.base.removeprefix("http://")
        self.ws = await websockets.connect(
            f"ws://{host}/_stcore/stream",
            subprotocols=["streamlit"],
            additional_headers={"Origin": self.base, **self._cookie_header()},
            max_size=None,
            open_timeout=TIMEOUT,
        )
        self.states = {}

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        self.ws = None

    async def run(
        self, page: str | None = None, query: str | None = None, **changes: WidgetState
    ) -> Run:
        """Send a rerun request (``changes`` by widget key) and read until the run is over."""
        if page is not None:
            self.page, self.page_hash, self.query, self.states = page, "", query or "", {}
        message = BackMsg()
        client = message.rerun_script
        client.query_string = self.query
        if self.page_hash:  # as the browser: the page it shows, by hash
            client.page_script_hash = self.page_hash
        else:
            client.page_name = self.page
        client.context_info.timezone = "America/Lima"
        client.context_info.locale = "es-PE"
        client.context_info.url = f"{self.base}/{self.page}"
        states = dict(self.states)
        triggers = []
        for state in changes.values():
            states[state.id] = state
            if state.HasField("trigger_value"):
                triggers.append(state.id)
        client.widget_states.widgets.extend(states.values())
        started = time.perf_counter()
        await self.ws.send(message.SerializeToString())
        result = Run()
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), TIMEOUT)
            forward = ForwardMsg()
            forward.ParseFromString(raw)
            kind = forward.WhichOneof("type")
            if kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                self._element(forward.delta.new_element, result)
            elif kind == "navigation":
                self.page_hash = forward.navigation.page_script_hash
            elif kind == "page_info_changed":
                result.query_string = forward.page_info_changed.query_string
                self.query = result.query_string
            elif kind == "script_finished":
                if forward.script_finished == EARLY:
                    result = Run(query_string=result.query_string)  # the rerun redraws it all
                    continue
                break
        result.seconds = time.perf_counter() - started
        # What the browser keeps: states of the widgets of this run, set values applied.
        for wid in triggers:
            states.pop(wid, None)
        kept = {}
        for widget in result.widgets.values():
            proto = widget.proto
            if getattr(proto, "set_value", False) or widget.id not in states:
                initial = _initial_state(widget)
                if initial is not None:
                    kept[widget.id] = initial
            else:
                kept[widget.id] = states[widget.id]
        self.states = kept
        return result

    @staticmethod
    def _element(element, result: Run) -> None:
        kind = element.WhichOneof("type")
        inner = getattr(element, kind)
        if kind == "exception":
            result.problems.append(f"excepción: {inner.type} {inner.message[:120]}")
        elif kind == "alert" and inner.format in (Alert.ERROR, Alert.WARNING):
            result.problems.append(inner.body[:160])
        elif kind in ("markdown", "heading", "alert", "html"):
            result.texts.append(getattr(inner, "body", ""))
        wid = getattr(inner, "id", "") if kind != "html" else ""
        if wid:
            key = wid.rsplit("-", 1)[-1]
            result.widgets[key] = Widget(wid, kind, key, inner)


def trigger(widget: Widget) -> WidgetState:
    return WidgetState(id=widget.id, trigger_value=True)


def text(widget: Widget, value: str) -> WidgetState:
    return WidgetState(id=widget.id, string_value=value)


# --- one firm ---------------------------------------------------------------------------------


@dataclass
class Figures:
    interactions: list[float] = field(default_factory=list)  # answers and section changes
    answers: int = 0
    sections: int = 0
    registrations: list[float] = field(default_factory=list)
    registration_failures: int = 0
    bare: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    clicked: dict[str, dict[str, object]] = field(default_factory=dict)  # ruc -> qid -> value


def option_values(question: schema.Question) -> dict[str, object]:
    """The radio's option labels (as the page formats them) → stored value; only plain
    answers (no «No aplica», «No sé» or «No corresponde», which need more than one click)."""
    if isinstance(question, schema.PracticeQuestion):
        return {level.descripcion: i for i, level in enumerate(question.niveles)}
    if isinstance(question, schema.RequirementQuestion):
        return {schema.REQUIREMENT_LABELS[v]: v for v in ("si", "no", "en_tramite")}
    if isinstance(question, schema.SingleChoiceQuestion):
        return {o.etiqueta: o.valor for o in question.opciones}
    return {}


class Firm:
    def __init__(self, index: int, base: str, questions: dict, figures: Figures, seed: int):
        self.index = index
        self.ruc = _ruc(index)
        self.browser = Browser(base)
        self.questions = questions
        self.figures = figures
        self.rng = random.Random(seed * 100_003 + index)
        self.clicked: dict[str, object] = {}
        figures.clicked[self.ruc] = self.clicked

    def _problems(self, run: Run, what: str) -> None:
        for problem in run.problems:
            self.figures.problems.append(f"{what}: {problem}")

    async def register(self) -> bool:
        browser = self.browser
        await browser.get("/registrarse")  # the page load sets the binding cookie
        await browser.connect()
        form = await browser.run("registrarse")
        w = form.widgets
        values = {
            "reg_ruc": text(w["reg_ruc"], self.ruc),
            "reg_name": text(w["reg_name"], f"Industrias de Carga {self.index} S.A.C."),
            "reg_ciiu": text(w["reg_ciiu"], w["reg_ciiu"].proto.options[12]),
            "reg_region": text(w["reg_region"], w["reg_region"].proto.options[14]),
            "reg_sales": text(w["reg_sales"], "2.500.000"),
            "reg_workers": WidgetState(id=w["reg_workers"].id, int_value=35),
            "reg_email": text(w["reg_email"], f"gerencia{self.index}@carga.com.pe"),
            "reg_password": text(w["reg_password"], PASSWORD),
            "reg_password2": text(w["reg_password2"], PASSWORD),
            "reg_consent_sni": WidgetState(id=w["reg_consent_sni"].id, bool_value=True),
            "reg_consent_stats": WidgetState(id=w["reg_consent_stats"].id, bool_value=True),
        }
        submit = next(x for k, x in w.items() if k.endswith("Crear cuenta"))
        done = await browser.run(**values, submit=trigger(submit))
        self.figures.registrations.append(done.seconds)
        if not any("sesion/entrar" in t for t in done.texts):
            self.figures.registration_failures += 1
            self._problems(done, "registro")
            if not done.problems:
                self.figures.problems.append("registro: la página no ofreció el ingreso")
            return False
        status, _ = await browser.get("/sesion/entrar?aviso=registro")
        if status != 303 or "brujula_sesion" not in browser.cookies:
            self.figures.registration_failures += 1
            self.figures.problems.append(f"registro: /sesion/entrar respondió {status}")
            return False
        return True

    async def bare_page(self, times: int) -> None:
        """Reruns of «Ingresar» on a fresh, anonymous tab: the protocol with almost no script."""
        tab = Browser(self.browser.base)
        await tab.get("/ingresar")
        await tab.connect()
        await tab.run("ingresar")
        for _ in range(times):
            self.figures.bare.append((await tab.run()).seconds)
        await tab.close()

    async def fill(self, answers: int, pause: float) -> None:
        browser = self.browser
        await browser.connect()
        panel = await browser.run("panel")
        self._problems(panel, "panel")
        start = panel.widgets.get("start_completo")
        if start is None:
            self.figures.problems.append("panel: sin botón «Iniciar evaluación Completa»")
            return
        await asyncio.sleep(self.rng.uniform(0, pause))  # firms do not all click together
        run = await browser.run(start=trigger(start))
        self._problems(run, "inicio")
        query = dict(p.split("=", 1) for p in (run.query_string or "").split("&") if "=" in p)
        aid = query.get("evaluacion")
        if aid is None:
            self.figures.problems.append("inicio: no se abrió la evaluación")
            return
        prefix = f"a{aid}_"
        in_section = 0
        while len(self.clicked) < answers:
            await asyncio.sleep(self.rng.uniform(0.5 * pause, 1.5 * pause))
            pending = [
                widget
                for key, widget in run.widgets.items()
                if widget.kind == "radio"
                and key.startswith(prefix)
                and key.endswith("_v")
                and not widget.proto.disabled
                and key[len(prefix) : -2] not in self.clicked
                and option_values(self.questions.get(key[len(prefix) : -2]))
            ]
            forward = run.widgets.get(f"next_{aid}")
            if pending and in_section < PER_SECTION:
                widget = pending[0]
                qid = widget.key[len(prefix) : -2]
                values = option_values(self.questions[qid])
                labels = [o for o in widget.proto.options if o in values]
                label = self.rng.choice(labels)
                run = await browser.run(answer=text(widget, label))
                self.clicked[qid] = values[label]
                self.figures.answers += 1
                in_section += 1
                what = "respuesta"
            elif forward is not None and "revisión" not in forward.proto.label:
                run = await browser.run(forward=trigger(forward))
                self.figures.sections += 1
                in_section = 0
                what = "sección"
            else:
                break
            self.figures.interactions.append(run.seconds)
            self._problems(run, what)

    async def close(self) -> None:
        await self.browser.close()


def _ruc(index: int) -> str:
    first_ten = f"20{700_000_00 + index + 1:08d}"
    return first_ten + str(ruc_check_digit(first_ten))


# --- one configuration -----------------------------------------------------------------------


@dataclass
class Config:
    firms: int
    pause: float
    base: str  # "sqlite" or "postgresql"
    gc_on: bool
    answers: int


async def _drive(
    url: str, config: Config, figures: Figures, seed: int, process: psutil.Process
) -> dict[str, float]:
    """Bare page, registration storm, then filling; the server's CPU seconds of each phase."""
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    questions = {q.id: q for q in compiled.questions}
    firms = [Firm(i, url, questions, figures, seed) for i in range(config.firms)]

    async def guarded(coro, what: str) -> bool:
        try:
            return bool(await coro) if coro is not None else True
        except Exception as exc:  # a timeout or a dropped connection is an error of the run
            figures.problems.append(f"{what}: {type(exc).__name__} {str(exc)[:120]}")
            return False

    # One firm first, not counted: the first runs of each page compile it, load the
    # questionnaire and fill the caches, once per process.
    warm = Firm(-1, url, questions, Figures(), seed)
    if await guarded(warm.register(), "calentamiento"):
        await guarded(warm.fill(3, 0.0), "calentamiento")
    await warm.close()
    phases: dict[str, float] = {}
    # What the idle server spends by itself (its event loop, timers), to take it out of the
    # CPU per interaction when think times are long.
    cpu = cpu_seconds(process)
    await asyncio.sleep(IDLE_SECONDS)
    phases["cpu_inactivo_por_s"] = (cpu_seconds(process) - cpu) / IDLE_SECONDS
    cpu = cpu_seconds(process)
    await guarded(firms[0].bare_page(BARE_RUNS), "página simple")
    phases["cpu_pagina_simple"] = cpu_seconds(process) - cpu
    cpu, started = cpu_seconds(process), time.perf_counter()
    ok = await asyncio.gather(*(guarded(f.register(), "registro") for f in firms))
    phases["registro_tanda_s"] = time.perf_counter() - started
    phases["cpu_registro"] = cpu_seconds(process) - cpu
    cpu, started = cpu_seconds(process), time.perf_counter()
    await asyncio.gather(
        *(
            guarded(f.fill(config.answers, config.pause), "llenado")
            for f, registered in zip(firms, ok, strict=True)
            if registered
        )
    )
    phases["cpu_llenado"] = cpu_seconds(process) - cpu
    phases["llenado_s"] = time.perf_counter() - started
    phases["llenados"] = sum(ok)
    await asyncio.gather(*(f.close() for f in firms))
    return phases


def _stored(database_url: str, rucs: list[str]) -> dict[str, dict[str, object]]:
    engine = make_engine(database_url)
    found: dict[str, dict[str, object]] = {ruc: {} for ruc in rucs}
    with session_scope(engine) as session:
        rows = session.execute(
            select(Account.login, Answer.question_id, Answer.value)
            .join(Assessment, Assessment.firm_id == Account.firm_id)
            .join(Answer, Answer.assessment_id == Assessment.id)
            .where(Account.login.in_(rucs))
        )
        for login, qid, value in rows:
            found[login][qid] = value
    engine.dispose()
    return found


@contextlib.contextmanager
def database(kind: str, folder: Path, postgres: str | None) -> Iterator[str]:
    if kind == "sqlite":
        url = f"sqlite:///{folder / 'carga.sqlite3'}"
        migrate(url)
        yield url
        return
    if not postgres:
        raise SystemExit("PostgreSQL: indique --postgres URL o defina TEST_DATABASE_URL.")
    base = normalize_url(postgres)
    schema_name = f"carga_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema_name}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema_name}"})
    text_url = url.render_as_string(hide_password=False)
    try:
        migrate(text_url)
        yield text_url
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema_name}" CASCADE')
        admin.dispose()


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(config: Config, postgres: str | None, seed: int) -> dict[str, object]:
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="carga-") as tmp:
        folder = Path(tmp)
        with (
            database(config.base, folder, postgres) as url,
            server(url, folder, config.gc_on) as (address, process),
        ):
            start_rss = process.memory_info().rss
            client_before = time.process_time()
            with Sampler(process) as sampler:
                started = time.perf_counter()
                phases = asyncio.run(_drive(address, config, figures, seed, process))
                wall = time.perf_counter() - started
            client_cpu = time.process_time() - client_before
            end_rss = process.memory_info().rss
            stored = _stored(url, list(figures.clicked))
    clicked = sum(len(c) for c in figures.clicked.values())
    lost = sum(
        1
        for ruc, answers in figures.clicked.items()
        for qid, value in answers.items()
        if stored.get(ruc, {}).get(qid) != value
    )
    # The filling phase also opens «Mi panel» and starts the assessment: two more runs a firm.
    fill_runs = len(figures.interactions) + 2 * int(phases["llenados"])
    bare = statistics.median(figures.bare) if figures.bare else None
    return {
        "empresas": config.firms,
        "pausa_s": config.pause,
        "base": config.base,
        "gc": "on" if config.gc_on else "off",
        "interacciones": len(figures.interactions),
        "respuestas": figures.answers,
        "cambios_de_seccion": figures.sections,
        "mediana_s": _quantile(figures.interactions, 0.5),
        "p95_s": _quantile(figures.interactions, 0.95),
        "max_s": max(figures.interactions, default=None),
        "pagina_simple_s": bare,
        "registro_mediana_s": _quantile(figures.registrations, 0.5),
        "registro_p95_s": _quantile(figures.registrations, 0.95),
        "registro_tanda_s": phases["registro_tanda_s"],
        "registros_fallidos": figures.registration_failures,
        "cpu_llenado_s": phases["cpu_llenado"],
        "cpu_por_interaccion_ms": 1000 * phases["cpu_llenado"] / fill_runs if fill_runs else None,
        "cpu_inactivo_ms_por_s": 1000 * phases["cpu_inactivo_por_s"],
        "cpu_neta_por_interaccion_ms": (
            1000
            * (phases["cpu_llenado"] - phases["cpu_inactivo_por_s"] * phases["llenado_s"])
            / fill_runs
            if fill_runs
            else None
        ),
        "cpu_por_registro_ms": 1000 * phases["cpu_registro"] / max(1, config.firms),
        "cpu_pagina_simple_ms": 1000 * phases["cpu_pagina_simple"] / (BARE_RUNS + 1),
        "cpu_cliente_s": client_cpu,
        "duracion_s": wall,
        "memoria_inicio_mb": start_rss / 2**20,
        "memoria_pico_mb": sampler.peak / 2**20,
        "memoria_fin_mb": end_rss / 2**20,
        "errores": len(figures.problems),
        "ejemplos_de_errores": sorted(set(figures.problems))[:5],
        "respuestas_marcadas": clicked,
        "respuestas_perdidas": lost,
    }


def _ms(value: object) -> str:
    return "—" if value is None else f"{1000 * float(value):.0f} ms"


def show(row: dict[str, object], reference: dict[str, dict[str, object]]) -> None:
    base = reference.get(f"{row['base']}/{row['gc']}/{row['pausa_s']}")
    ratio = ""
    if base and base["mediana_s"] and row["mediana_s"]:
        ratio = f" ({row['mediana_s'] / base['mediana_s']:.1f}× N=1)"
    bare = ""
    if row["pagina_simple_s"] and row["mediana_s"]:
        bare = f", {row['mediana_s'] / row['pagina_simple_s']:.1f}× página simple"
    goal = (
        row["p95_s"] is not None
        and row["p95_s"] < GOAL_P95
        and row["errores"] == 0
        and row["respuestas_perdidas"] == 0
    )
    print(
        f"{row['base']:<10} gc {row['gc']:<3} N={row['empresas']:<3} pausa {row['pausa_s']:>4} s: "
        f"mediana {_ms(row['mediana_s'])}{ratio}{bare}, p95 {_ms(row['p95_s'])}, "
        f"CPU {row['cpu_por_interaccion_ms'] or 0:.1f} ms/interacción "
        f"(neta {row['cpu_neta_por_interaccion_ms'] or 0:.1f}) "
        f"(página simple {row['cpu_pagina_simple_ms']:.1f}), "
        f"memoria {row['memoria_inicio_mb']:.0f}→{row['memoria_pico_mb']:.0f} MB, "
        f"registro p95 {_ms(row['registro_p95_s'])} ({row['registros_fallidos']} fallidos), "
        f"errores {row['errores']}, respuestas {row['respuestas_marcadas']} marcadas / "
        f"{row['respuestas_perdidas']} perdidas {'✓' if goal else '✗'}",
        flush=True,
    )
    for example in row["ejemplos_de_errores"]:
        print(f"    · {example}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--empresas", type=int, nargs="+", default=[1, 10, 50, 100])
    parser.add_argument("--pausa", type=float, nargs="+", default=[10.0, 1.0])
    parser.add_argument("--base", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--gc", nargs="+", default=["off"], choices=["on", "off"])
    parser.add_argument("--respuestas", type=int, default=16, help="respuestas por empresa")
    parser.add_argument("--postgres", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--semilla", type=int, default=11)
    parser.add_argument("--salida", type=Path, help="archivo JSON con todas las filas")
    parser.add_argument(
        "--rapido", action="store_true", help="corrida corta: N = 1 y 10, pausa 1 s, SQLite"
    )
    args = parser.parse_args(argv)
    # A stopped run still stops its server and drops its database (the ``finally`` blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.rapido:
        args.empresas, args.pausa, args.base, args.respuestas = [1, 10], [1.0], ["sqlite"], 8
    rows: list[dict[str, object]] = []
    reference: dict[str, dict[str, object]] = {}
    print(
        f"{psutil.cpu_count()} núcleos; carga previa {os.getloadavg()[0]:.2f}; "
        f"{args.respuestas} respuestas por empresa",
        flush=True,
    )
    for base in args.base:
        for gc_mode in args.gc:
            for pause in args.pausa:
                for firms in sorted(args.empresas):
                    config = Config(firms, pause, base, gc_mode == "on", args.respuestas)
                    row = measure(config, args.postgres, args.semilla)
                    if firms == 1:
                        reference[f"{base}/{row['gc']}/{pause}"] = row
                    rows.append(row)
                    show(row, reference)
                    if args.salida:
                        args.salida.write_text(json.dumps(rows, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
