"""PDF reports per second of the bulk PDF export (issue 11) with 1 and 2 worker processes.

Fills a throwaway SQLite database with demo firms through the real path (answers, scoring,
submission), marks them sharing with SNI, then builds every firm's report with
``ui.bulk_pdf.build_one`` in a ``spawn`` process pool: first one report per worker (start-up:
imports, typst fonts and template), then all of them, timed. Also times the whole export job
(``ui.staff_jobs.reports_zip``, start-up and ZIP included).

Run from the project root: ``python benchmarks/bench_bulk_pdf.py [--empresas N]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select, update  # noqa: E402

from scoring import compile_questionnaire  # noqa: E402
from scoring.aggregates import Filters  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.numbers import format_number_es  # noqa: E402
from storage.db import make_engine, migrate, session_scope  # noqa: E402
from storage.demo import create_demo  # noqa: E402
from storage.models import Assessment, Firm  # noqa: E402


def fill(url: str, firms: int) -> list[tuple[int, int]]:
    migrate(url)
    engine = make_engine(url)
    loaded = default_questionnaire()
    compiled = {d: compile_questionnaire(loaded, d) for d in ("expres", "completo")}
    with session_scope(engine) as session:
        create_demo(session, compiled, firms, seed=3)
        session.execute(update(Firm).values(consent_share_sni=True))
    with session_scope(engine) as session:
        rows = session.execute(
            select(Assessment.firm_id, Assessment.id).where(Assessment.status == "enviada")
        ).all()
    engine.dispose()
    return [(int(f), int(a)) for f, a in rows]


def rate(url: str, pairs: list[tuple[int, int]], processes: int) -> tuple[float, float]:
    """(seconds to start the workers and build one report each, reports per second after)."""
    from ui import bulk_pdf

    context = multiprocessing.get_context("spawn")
    begin = time.perf_counter()
    with ProcessPoolExecutor(
        processes, mp_context=context, initializer=bulk_pdf.init_worker, initargs=(url,)
    ) as pool:
        list(pool.map(bulk_pdf.build_one, *zip(*pairs[:processes], strict=True)))
        warm = time.perf_counter() - begin
        begin = time.perf_counter()
        built = list(pool.map(bulk_pdf.build_one, *zip(*pairs, strict=True)))
        seconds = time.perf_counter() - begin
    assert all(data is not None for _, data, _ in built)
    return warm, len(pairs) / seconds


def whole_job(url: str, processes: int) -> tuple[float, int]:
    from ui.background import Job
    from ui.staff_jobs import reports_zip

    engine = make_engine(url)
    job = Job("bench", "bench", "informes_pdf", "todas")
    begin = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        reports_zip(
            job,
            Path(folder),
            engine=engine,
            url=url,
            questionnaire_id=default_questionnaire().id,
            depth="completo",
            questionnaire_hash=default_questionnaire().content_hash,
            filters=Filters(),
            stem="informes",
            processes=processes,
        )
    engine.dispose()
    return time.perf_counter() - begin, job.detail["informes"]


def main() -> int:
    parser = argparse.ArgumentParser(description="Informes PDF por segundo, 1 y 2 procesos.")
    parser.add_argument("--empresas", type=int, default=80)
    args = parser.parse_args()
    os.environ.pop("BRUJULA_CUESTIONARIO", None)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'pdf.sqlite3'}"
        pairs = fill(url, args.empresas)
        print(f"{len(pairs)} evaluaciones de {args.empresas} empresas de demostración\n")
        print("| procesos | arranque (1 informe por proceso) | informes por segundo | ZIP |")
        print("|---|---|---|---|")
        rates = {}
        for processes in (1, 2):
            warm, per_second = rate(url, pairs, processes)
            seconds, count = whole_job(url, processes)
            rates[processes] = per_second
            print(
                f"| {processes} | {format_number_es(warm, 1)} s | "
                f"{format_number_es(per_second, 1)} | {count} informes Completo en "
                f"{format_number_es(seconds, 1)} s |"
            )
        print(f"\n2 procesos / 1 proceso: {format_number_es(rates[2] / rates[1], 2)}×")
    return 0


if __name__ == "__main__":
    sys.exit(main())
