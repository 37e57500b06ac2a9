"""Server time of the staff panel ("Panel SNI") with 100 000 submitted Completo assessments.

Fills a throwaway SQLite database (and, with ``--postgres URL`` or TEST_DATABASE_URL, a fresh
PostgreSQL schema) through SQLAlchemy Core bulk inserts with scores from ``score_batch`` on
``simulate`` output, then, in a separate process so that its memory is the server's alone,
measures with AppTest the first render (empty data cache) and filter changes, and the resident
memory (RSS). Targets: first render < 2 s, filter change < 0,3 s.

Run from the project root: ``python benchmarks/bench_dashboard.py [--evaluaciones N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import make_url  # noqa: E402

from scoring import compile_questionnaire  # noqa: E402
from scoring.answers import encode_frame  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.engine import score_batch  # noqa: E402
from scoring.numbers import format_number_es  # noqa: E402
from scoring.peru import ruc_check_digit, size_class  # noqa: E402
from scoring.simulate import simulate  # noqa: E402
from storage.bulk import ScoredBatch, insert_firms, insert_scored  # noqa: E402
from storage.db import make_engine, migrate, normalize_url, session_scope  # noqa: E402
from storage.demo import REGION_WEIGHTS, SECTOR_WEIGHTS  # noqa: E402

FIRST_TARGET_S = 2.0
FILTER_TARGET_S = 0.3
RUNS = 5
REASSESSED = 0.25


def _weights(mapping: dict) -> tuple[list, np.ndarray]:
    keys = list(mapping)
    p = np.array([float(mapping[k]) for k in keys])
    return keys, p / p.sum()


def fill(url: str, assessments: int, seed: int = 7) -> str:
    """Migrate, add one staff account and ``assessments`` scored Completo assessments."""
    from storage.accounts import create_staff, open_session

    start = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    rng = np.random.default_rng(seed)
    n_firms = int(round(assessments / (1 + REASSESSED)))
    sectors, sector_p = _weights(SECTOR_WEIGHTS)
    regions, region_p = _weights(REGION_WEIGHTS)
    sales = rng.lognormal(np.log(600_000), 1.3, size=n_firms).round(2)
    firms = []
    for i in range(n_firms):
        first_ten = f"20{i:08d}"
        firms.append(
            {
                "ruc": first_ten + str(ruc_check_digit(first_ten)),
                "razon_social": f"Empresa de prueba {i + 1} S.A.C.",
                "ciiu_division": int(sectors[rng.choice(len(sectors), p=sector_p)]),
                "region": str(regions[rng.choice(len(regions), p=region_p)]),
                "annual_sales": Decimal(str(sales[i])),
                "sales_year": 2025,
                "size_class": size_class(sales[i], 2025),
                "workers": int(rng.integers(2, 300)),
                "email": f"prueba{i + 1}@ejemplo.pe",
                "consent_share_sni": bool(rng.random() < 0.85),
                "consent_statistics": bool(rng.random() < 0.95),
                "is_demo": False,
                "created_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            }
        )
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    encoded, _, _ = encode_frame(compiled, simulate(compiled, assessments, seed=seed))
    scores = score_batch(compiled, encoded)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        ids = insert_firms(connection, firms)
        owners = list(ids) + [
            int(x) for x in rng.choice(ids, size=assessments - n_firms, replace=False)
        ]
        days = rng.uniform(0, 730, size=assessments)
        when = [now - dt.timedelta(days=float(d)) for d in days]
        insert_scored(
            connection,
            ScoredBatch(
                compiled, scores, encoded.practice, owners, when, requirements=encoded.requirements
            ),
        )
    with session_scope(engine) as session:
        account = create_staff(session, "bench@sni.org.pe", "Banco de pruebas", "clave-segura-123")
        token = open_session(session, account)
    engine.dispose()
    seconds = time.perf_counter() - start
    print(f"  {assessments} evaluaciones y {n_firms} empresas cargadas en {seconds:.1f} s")
    return token


def measure(url: str, token: str, runs: int) -> dict[str, float]:
    """Run in a child process: AppTest timings and this process's memory."""
    os.environ["DATABASE_URL"] = url
    os.environ.pop("BRUJULA_CUESTIONARIO", None)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui.session import TOKEN_KEY

    def new_app() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.session_state[TOKEN_KEY] = token
        return at

    def timed(at: AppTest) -> float:
        begin = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - begin
        if at.exception:
            raise RuntimeError(at.exception[0].value)
        return elapsed

    cold_process = timed(new_app())
    firsts, changes = [], []
    # Fixed partitions only: one CIIU division, one sector group, or all.
    filter_values = ["ciiu:10", "grupo:textil", "ciiu:25", "", "grupo:metales"]
    for run in range(runs):
        st.cache_resource.clear()
        st.cache_data.clear()
        at = new_app()
        firsts.append(timed(at))
        for value in filter_values:
            at.selectbox(key="sni_sector").set_value(value)
            changes.append(timed(at))
        at.selectbox(key="sni_tamano").set_value("micro" if run % 2 else "pequena")
        changes.append(timed(at))
    status = Path("/proc/self/status").read_text()
    memory = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return {
        "proceso_nuevo": cold_process,
        "primera": statistics.median(firsts),
        "filtro": statistics.median(changes),
        "filtro_max": max(changes),
        "rss": memory.get("VmRSS", 0.0),
        "rss_pico": memory.get("VmHWM", 0.0),
    }


def run_child(url: str, token: str, runs: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--medir", url, "--token", token, "--corridas", str(runs)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _postgres_schema(base: str) -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    admin.dispose()
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return schema, url.render_as_string(hide_password=False)


def _drop_schema(base: str, schema: str) -> None:
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def _s(seconds: float) -> str:
    return format_number_es(seconds, 3) + " s"


def main() -> int:
    parser = argparse.ArgumentParser(description="Tiempo del panel del equipo SNI.")
    parser.add_argument("--evaluaciones", type=int, default=100_000)
    parser.add_argument("--postgres", help="URL de PostgreSQL (por defecto TEST_DATABASE_URL).")
    parser.add_argument("--corridas", type=int, default=RUNS)
    parser.add_argument("--medir", help=argparse.SUPPRESS)
    parser.add_argument("--token", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.medir:
        print(json.dumps(measure(args.medir, args.token, args.corridas)))
        return 0
    results: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite:")
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        results.append(("SQLite", run_child(url, fill(url, args.evaluaciones), args.corridas)))
    base = args.postgres or os.environ.get("TEST_DATABASE_URL")
    if base:
        base = normalize_url(base)
        print("PostgreSQL:")
        schema, url = _postgres_schema(base)
        try:
            token = fill(url, args.evaluaciones)
            results.append(("PostgreSQL", run_child(url, token, args.corridas)))
        finally:
            _drop_schema(base, schema)
    count = format_number_es(args.evaluaciones, 0)
    runs = args.corridas
    print(f"\nPanel SNI con {count} evaluaciones Completo enviadas (mediana de {runs} corridas)\n")
    print(
        "| Base | Primera carga | Cambio de filtro (mediana / máx.) | Proceso nuevo | RSS (pico) |"
    )
    print("|---|---|---|---|---|")
    for name, r in results:
        print(
            f"| {name} | {_s(r['primera'])} | {_s(r['filtro'])} / {_s(r['filtro_max'])} | "
            f"{_s(r['proceso_nuevo'])} | {format_number_es(r['rss'], 0)} MB "
            f"({format_number_es(r['rss_pico'], 0)} MB) |"
        )
    print(
        f"| Meta | < {_s(FIRST_TARGET_S)} | < {_s(FILTER_TARGET_S)} | — | — |\n\n"
        "Primera carga: caché de datos vacía en un proceso ya iniciado. Proceso nuevo: la "
        "primera ejecución tras arrancar (importaciones, migración y cuestionarios incluidos)."
    )
    ok = all(r["primera"] < FIRST_TARGET_S and r["filtro"] < FILTER_TARGET_S for _, r in results)
    print("Metas cumplidas." if ok else "Alguna meta no se cumple.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
