"""Server time of two pages, measured with AppTest on a throwaway SQLite database.

(a) Results of a Completo assessment with 1 000 consenting peer firms: median script time of
    reruns after a warm-up (target < 1 s).
(b) One section of the fill page against a bare one-file Streamlit page that draws the same
    elements in the same layout (``bare_page_like``): ratio of median rerun times, the two pages
    measured alternately (target ≤ 2×). Two things AppTest does unlike a server are set right
    for both pages: scripts stay compiled between reruns, and the session's browser connection
    is a plain list of headers carrying the login cookie (``browser_connection``) instead of
    AppTest's MagicMock. The ratios with AppTest's own behaviour are printed for information.

Times are server script time (``ScriptRunner._run_script``), without AppTest's own polling.

Run from the project root: ``python benchmarks/bench_pages.py`` (``--solo-llenado``: only (b),
on a database without peers, in a minute or so). Times are ratios within one run on a shared
machine; absolute numbers vary between runs. (b) also counts the SQL statements of a rerun.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import types
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit.runtime.context as streamlit_context  # noqa: E402
from sqlalchemy import event, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from streamlit.runtime.scriptrunner.script_cache import ScriptCache  # noqa: E402
from streamlit.runtime.scriptrunner.script_runner import ScriptRunner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from reports.sample import sample_answers  # noqa: E402
from scoring import compile_questionnaire, score_assessment  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.peru import CIIU_DIVISIONS, REGIONS, SIZE_CLASSES, ruc_check_digit  # noqa: E402
from storage.accounts import register_firm  # noqa: E402
from storage.assessments import (  # noqa: E402
    result_summary,  # noqa: E402
    save_answers,
    start_assessment,
    submit,
)
from storage.db import make_engine, migrate  # noqa: E402
from storage.models import Account, Assessment, Firm, Result, utcnow  # noqa: E402
from storage.sessions import open_session  # noqa: E402
from ui.session import ASSESSMENT_PARAM, COOKIE_NAME, TOKEN_KEY  # noqa: E402

PEERS = 1000
RUNS = 10
PAIRED_RUNS = 100  # a section rerun takes milliseconds and the machine is shared: many runs
RESULTS_TARGET_S = 1.0
FILL_RATIO_TARGET = 2.0


def ruc(number: int) -> str:
    first_ten = f"20{number:08d}"
    return first_ten + str(ruc_check_digit(first_ten))


def build_database(url: str, peers: int = PEERS) -> dict[str, object]:
    """The firm under test (token, a submitted and a draft Completo assessment) plus peers."""
    migrate(url)
    engine = make_engine(url)
    loaded = default_questionnaire()
    compiled = compile_questionnaire(loaded, "completo")
    meta = (loaded.id, loaded.version, loaded.content_hash)
    with Session(engine, expire_on_commit=False) as db:
        firm = register_firm(
            db,
            {
                "ruc": ruc(1),
                "razon_social": "Conservas y Envases del Pacífico S.A.C.",
                "ciiu_division": 10,
                "region": "Lima Metropolitana",
                "annual_sales": 8_500_000,
                "sales_year": 2025,
                "workers": 48,
                "email": "gerencia@ejemplo.pe",
                "password": "clave-segura-123",
                "consent_statistics": True,
            },
        )
        db.flush()
        answers, sources = sample_answers(compiled, seed=7)
        submitted = start_assessment(db, firm.id, meta, "completo")
        save_answers(db, submitted.id, firm.id, answers, sources)
        submit(
            db, submitted.id, firm.id, result_summary(score_assessment(compiled, answers, sources))
        )
        draft = start_assessment(db, firm.id, meta, "completo")
        save_answers(db, draft.id, firm.id, answers, sources)
        account = db.scalar(select(Account).where(Account.firm_id == firm.id))
        token = open_session(db, account)
        db.commit()

        # Peers straight through the storage models (registering 1 000 accounts would spend
        # minutes hashing passwords that the benchmark never uses).
        rng = random.Random(11)
        summaries = []
        for seed in range(40):
            peer_answers, peer_sources = sample_answers(compiled, seed=100 + seed)
            summaries.append(result_summary(score_assessment(compiled, peer_answers, peer_sources)))
        divisions = list(CIIU_DIVISIONS)
        now = utcnow()
        for i in range(peers):
            size = rng.choice(SIZE_CLASSES)
            peer = Firm(
                ruc=ruc(1000 + i),
                razon_social=f"Empresa par {i}",
                ciiu_division=10 if i % 4 == 0 else rng.choice(divisions),
                region=rng.choice(REGIONS),
                annual_sales=Decimal("1000000.00"),
                sales_year=2025,
                size_class=size,
                workers=30,
                email=f"par{i}@ejemplo.pe",
                consent_statistics=True,
            )
            assessment = Assessment(
                questionnaire_id=loaded.id,
                questionnaire_version=loaded.version,
                questionnaire_hash=loaded.content_hash,
                depth="completo",
                status="enviada",
                created_at=now,
                updated_at=now,
                submitted_at=now,
            )
            summary = summaries[i % len(summaries)]
            columns = {k: v for k, v in summary.items() if k not in ("scores", "detail")}
            result = Result(
                scored_at=now,
                scores_json=summary["scores"],
                detail_json=summary["detail"],
                ciiu_division=peer.ciiu_division,
                size_class=size,
                region=peer.region,
                **columns,
            )
            db.add(peer)
            db.flush()
            assessment.firm_id = peer.id
            db.add(assessment)
            db.flush()
            result.assessment_id = assessment.id
            db.add(result)
        db.commit()
    engine.dispose()
    return {"token": token, "submitted": submitted.id, "draft": draft.id}


SCRIPT_TIMES: list[float] = []
STATEMENTS: list[str] = []


@event.listens_for(Engine, "before_cursor_execute")
def _statement(conn, cursor, statement, parameters, context, executemany) -> None:
    STATEMENTS.append(statement)


def _timed(run_script):
    """Record the server script time of every run (AppTest's own polling left out)."""

    def wrapper(self, rerun_data):
        start = time.perf_counter()
        try:
            return run_script(self, rerun_data)
        finally:
            SCRIPT_TIMES.append(time.perf_counter() - start)

    return wrapper


ScriptRunner._run_script = _timed(ScriptRunner._run_script)

# A server compiles each script once per process (the Runtime keeps one ScriptCache; it is
# cleared only when a file changes). AppTest builds a new ScriptCache for every run, so each
# rerun would also recompile app.py and the page, including Streamlit's "magic" AST pass —
# work that a real rerun does not do, and that grows with the length of the script. The
# benchmark keeps compiled scripts between runs, as the server does (both pages alike);
# KEEP_COMPILED = False measures AppTest's behaviour instead.
KEEP_COMPILED = True
_COMPILED: dict[str, object] = {}


def _kept(get_bytecode):
    def wrapper(self, script_path):
        if not KEEP_COMPILED:
            return get_bytecode(self, script_path)
        key = os.path.abspath(script_path)
        if key not in _COMPILED:
            _COMPILED[key] = get_bytecode(self, script_path)
        return _COMPILED[key]

    return wrapper


ScriptCache.get_bytecode = _kept(ScriptCache.get_bytecode)

# AppTest replaces the server's Runtime with a MagicMock, so every ``st.context`` read walks mock
# attributes: reading the Cookie header (every run of every page does, to check the login) took
# about 1.5 ms of a fill rerun, where a server returns the list of headers it kept from the
# websocket handshake (Streamlit's ``StarletteClientContext``) in microseconds. The benchmark
# gives the session that: the headers a browser sends, with the login cookie, so pages also take
# the server's path to the login (the cookie, not the test-only token in session state).
# BROWSER_CONNECTION = None measures AppTest's mock instead.
BROWSER_CONNECTION: types.SimpleNamespace | None = None
_mock_client_context = streamlit_context._get_client_context


def browser_connection(token: str) -> types.SimpleNamespace:
    """What a browser's websocket connection gives the server: its handshake headers."""
    cookies = {COOKIE_NAME: token, "brujula_vinculo": "v" * 43}
    return types.SimpleNamespace(
        headers=[
            ("Host", "localhost:8501"),
            ("Connection", "Upgrade"),
            ("Upgrade", "websocket"),
            ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0"),
            ("Origin", "http://localhost:8501"),
            ("Accept-Language", "es-PE,es;q=0.9"),
            ("Cookie", "; ".join(f"{name}={value}" for name, value in cookies.items())),
            ("Sec-WebSocket-Version", "13"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
        ],
        cookies=cookies,
        remote_ip="127.0.0.1",
    )


def _client_context():
    return BROWSER_CONNECTION if BROWSER_CONNECTION is not None else _mock_client_context()


streamlit_context._get_client_context = _client_context


def rerun_time(at: AppTest) -> float:
    """Server script time of one rerun of the page."""
    SCRIPT_TIMES.clear()
    at.run()
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return sum(SCRIPT_TIMES)


def median_rerun(at: AppTest, runs: int = RUNS) -> float:
    """Median server script time of ``runs`` reruns of the page."""
    return statistics.median(rerun_time(at) for _ in range(runs))


def paired_medians(first: AppTest, second: AppTest, runs: int) -> tuple[float, float]:
    """Median rerun times of two pages measured alternately, so that load from other work on
    the machine falls on both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        times[0].append(rerun_time(first))
        times[1].append(rerun_time(second))
    return statistics.median(times[0]), statistics.median(times[1])


def app_page(token: str, assessment_id: int, page: str) -> tuple[AppTest, float]:
    """The page reached through app.py as the logged-in firm; returns it and the cold time."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[TOKEN_KEY] = token
    at.query_params[ASSESSMENT_PARAM] = str(assessment_id)
    at.run()
    at.switch_page(page)
    start = time.perf_counter()
    at.run()
    cold = time.perf_counter() - start
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    at.run()  # warm-up
    return at, cold


def _common(proto) -> str:
    """The help text and disabled state of a widget, as arguments of its plain equivalent."""
    return f"help={proto.help or None!r}, disabled={bool(proto.disabled)}, "


def bare_page_like(at: AppTest, folder: Path) -> Path:
    """A plain one-file script that draws what ``at`` shows, in the same order and layout:
    the same headings, texts, progress bar, radios (same options and selection), text boxes
    (same limits and placeholders), the same help texts and disabled states, buttons (same
    labels, type, icon) inside the same containers, expander and columns. None of the app's
    work: no login, database, questionnaire, navigation or CSS.
    """
    lines = ["import streamlit as st", "st.set_page_config(layout='centered')"]
    counter = iter(range(10_000))

    def emit(node, indent: str) -> None:
        kind = node.type
        proto = getattr(node, "proto", None)
        if kind in ("title", "subheader", "header", "caption", "markdown"):
            call = {"title": "title", "subheader": "subheader", "header": "header"}.get(kind)
            if call is None:
                call = "caption" if kind == "caption" else "markdown"
            lines.append(f"{indent}st.{call}({str(node.value)!r})")
        elif kind in ("info", "success", "warning", "error"):
            lines.append(f"{indent}st.{kind}({str(node.value)!r})")
        elif kind == "progress":
            lines.append(f"{indent}st.progress({proto.value}, text={proto.text!r})")
        elif kind == "radio":
            options = [str(o) for o in node.options]
            lines.append(
                f"{indent}st.radio({node.label!r}, {options!r}, index={node.index!r}, "
                f"horizontal={bool(proto.horizontal)}, {_common(proto)}key='w{next(counter)}')"
            )
        elif kind in ("text_input", "text_area"):
            limits = f"max_chars={proto.max_chars or None}, placeholder={proto.placeholder!r}, "
            lines.append(
                f"{indent}st.{kind}({node.label!r}, {limits}{_common(proto)}key='w{next(counter)}')"
            )
        elif kind == "number_input":
            arguments = f"{_common(proto)}key='w{next(counter)}'"
            lines.append(f"{indent}st.{kind}({node.label!r}, {arguments})")
        elif kind in ("selectbox", "multiselect"):
            options = [str(o) for o in node.options]
            lines.append(
                f"{indent}st.{kind}({node.label!r}, {options!r}, {_common(proto)}"
                f"key='w{next(counter)}')"
            )
        elif kind == "button":
            icon = proto.icon or None
            lines.append(
                f"{indent}st.button({proto.label!r}, key='w{next(counter)}', type={proto.type!r}, "
                f"icon={icon!r}, disabled={bool(proto.disabled)}, width='stretch')"
            )
        elif kind == "expander":
            lines.append(f"{indent}with st.expander({proto.label!r}, expanded={proto.expanded}):")
            emit_children(node, indent + "    ")
        elif kind == "flex_container":
            children = list(node.children.values())
            if children and all(child.type == "column" for child in children):
                name = f"columns_{next(counter)}"
                lines.append(f"{indent}{name} = st.columns({len(children)})")
                for i, column in enumerate(children):
                    lines.append(f"{indent}with {name}[{i}]:")
                    emit_children(column, indent + "    ")
            else:
                border = bool(proto.flex_container.border)
                lines.append(f"{indent}with st.container(border={border}):")
                emit_children(node, indent + "    ")
        else:
            raise ValueError(f"bare_page_like: no plain equivalent for {kind!r}; add one")

    def emit_children(node, indent: str) -> None:
        children = list(node.children.values())
        if not children:
            lines.append(f"{indent}pass")
        for child in children:
            emit(child, indent)

    emit_children(at.main, "")
    path = folder / "pagina_simple.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Tiempo de servidor de dos páginas (AppTest).")
    parser.add_argument(
        "--solo-llenado",
        action="store_true",
        help="solo (b), la sección del llenado, con una base sin empresas pares",
    )
    args = parser.parse_args(argv)
    peers = 0 if args.solo_llenado else PEERS
    print("Medición de páginas (AppTest, base SQLite temporal)")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        os.environ["DATABASE_URL"] = url
        os.environ.pop("BRUJULA_CUESTIONARIO", None)
        start = time.perf_counter()
        ids = build_database(url, peers)
        print(f"Base creada con {peers} empresas pares en {time.perf_counter() - start:.1f} s.")

        ok_a = True
        if not args.solo_llenado:
            results, cold = app_page(ids["token"], ids["submitted"], "ui/pages/results.py")
            charts = len(results.get("vega_lite_chart"))
            warm = median_rerun(results)
            ok_a = warm < RESULTS_TARGET_S
            print(
                f"(a) Resultados, evaluación Completa, {PEERS} pares: primera carga "
                f"{cold:.3f} s; mediana de {RUNS} recargas {warm:.3f} s ({charts} gráficos) — "
                f"meta < {RESULTS_TARGET_S:.0f} s: {'cumple' if ok_a else 'NO cumple'}."
            )

        global KEEP_COMPILED, BROWSER_CONNECTION
        BROWSER_CONNECTION = browser_connection(ids["token"])
        fill, _ = app_page(ids["token"], ids["draft"], "ui/pages/fill.py")
        bare_path = bare_page_like(fill, Path(folder))
        bare = AppTest.from_file(str(bare_path), default_timeout=60)
        bare.run()
        STATEMENTS.clear()
        rerun_time(fill)
        statements = len(STATEMENTS)
        fill_time, bare_time = paired_medians(fill, bare, PAIRED_RUNS)
        ratio = fill_time / bare_time
        ok_b = ratio <= FILL_RATIO_TARGET
        print(
            f"(b) Llenado, primera sección ({len(fill.radio)} preguntas de opción, "
            f"{len(fill.number_input)} numéricas, {len(fill.button)} botones; {statements} "
            f"consultas SQL por recarga): "
            f"{fill_time:.4f} s frente a {bare_time:.4f} s de una página simple con los mismos "
            f"elementos — razón {ratio:.2f}×, meta ≤ {FILL_RATIO_TARGET:.0f}×: "
            f"{'cumple' if ok_b else 'NO cumple'}."
        )
        KEEP_COMPILED = False
        fill_recompiled, bare_recompiled = paired_medians(fill, bare, PAIRED_RUNS)
        KEEP_COMPILED = True
        connection, BROWSER_CONNECTION = BROWSER_CONNECTION, None
        fill_mocked, bare_mocked = paired_medians(fill, bare, PAIRED_RUNS)
        BROWSER_CONNECTION = connection
        print(
            "    Informativo, con lo que AppTest hace distinto de un servidor: si cada recarga "
            f"recompilara los scripts, {fill_recompiled:.4f} s frente a {bare_recompiled:.4f} s "
            f"— razón {fill_recompiled / bare_recompiled:.2f}×; con su conexión simulada "
            f"(MagicMock) en vez de la del navegador, {fill_mocked:.4f} s frente a "
            f"{bare_mocked:.4f} s — razón {fill_mocked / bare_mocked:.2f}×."
        )
    print(
        "Resumen: "
        + (
            "todas las metas se cumplen."
            if ok_a and ok_b
            else "hay metas sin cumplir (ver arriba)."
        )
    )
    return 0 if ok_a and ok_b else 1


if __name__ == "__main__":
    raise SystemExit(main())
