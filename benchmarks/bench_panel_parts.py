"""Where the staff panel's time goes on a loaded database, part by part, in one fresh process
(issue 11): the full read of the panel rows (``LiveResults.refresh``), the data-version check
that every rerun makes, and for three cuts the filtered rows (``cut``), the dashboard and the
method 2.0 tables, plus the peak memory.

Run on a database filled by ``bench_dashboard.py --conservar CARPETA``::

    python benchmarks/bench_panel_parts.py sqlite:///CARPETA/bench.sqlite3
    python benchmarks/bench_panel_parts.py \\
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D<esquema>"

``--version-datos N`` (issue 11, item 5) measures instead the data version alone: it loads N
submitted assessments with ``storage.bulk`` into a new database (a temporary SQLite file for
``sqlite``, a throwaway schema for a PostgreSQL URL) twice, with and without the triggers of
``storage.version_counters``, and times the bulk load of each, the counting that migration 0009
does on existing rows, and ``data_version`` (median of 20) against the scans it made before::

    python benchmarks/bench_panel_parts.py sqlite --version-datos 300000
    python benchmarks/bench_panel_parts.py postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        --version-datos 300000
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import Engine, func, make_url, or_, select, true  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from scoring import compile_questionnaire  # noqa: E402
from scoring.aggregates import Filters, cut, dashboard  # noqa: E402
from scoring.answers import encode_frame  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.engine import score_batch  # noqa: E402
from scoring.numbers import format_number_es  # noqa: E402
from scoring.simulate import simulate  # noqa: E402
from storage import audit, version_counters  # noqa: E402
from storage.bulk import ScoredBatch, insert_firms, insert_scored  # noqa: E402
from storage.db import make_engine, migrate  # noqa: E402
from storage.live_results import LiveResults, as_frame  # noqa: E402
from storage.models import AuditLog, Firm, PanelRow  # noqa: E402
from storage.results_table import data_version  # noqa: E402
from storage.verification import UNVERIFY_ACTION, VERIFY_ACTION  # noqa: E402
from ui.staff_exports import method_board  # noqa: E402

CUTS = {
    "todas las empresas": Filters(),
    "tamaño micro": Filters(sizes=("micro",)),
    "región Arequipa": Filters(regions=("Arequipa",)),
}


def _s(seconds: float) -> str:
    return format_number_es(seconds, 2) + " s"


# --- the data version before and after the counters (issue 11, item 5) -------------------------


def scanned_version(
    session: Session, questionnaire_id: str, depth: str, questionnaire_hash: str | None = None
) -> tuple[int, ...]:
    """The reference: ``results_table.data_version`` before migration 0009, which scanned the
    panel rows (count, max and sum of ids), the counted firms (count and sum of ids) and the
    audit log (latest consent or verification change) on every page run."""
    rows = select(
        func.count(),
        func.coalesce(func.max(PanelRow.assessment_id), 0),
        func.coalesce(func.sum(PanelRow.assessment_id), 0),
    ).where(PanelRow.questionnaire_id == questionnaire_id, PanelRow.depth == depth)
    if questionnaire_hash is not None:
        rows = rows.where(PanelRow.questionnaire_hash == questionnaire_hash)
    firms = select(func.count(), func.coalesce(func.sum(Firm.id), 0)).where(
        Firm.consent_statistics.is_(true()),
        or_(Firm.verified_at.is_not(None), Firm.is_demo.is_(True)),
    )
    last_change = (
        select(AuditLog.id)
        .where(AuditLog.action.in_((audit.CONSENT, VERIFY_ACTION, UNVERIFY_ACTION)))
        .order_by(AuditLog.id.desc())
        .limit(1)
    )
    consent = session.scalar(last_change) or 0
    values = (*session.execute(rows).one(), *session.execute(firms).one(), consent)
    return tuple(int(v) for v in values)


@contextmanager
def _new_database(base: str, folder: Path) -> Iterator[Engine]:
    """A migrated, empty database: a SQLite file in ``folder`` or a PostgreSQL schema."""
    if base == "sqlite":
        url = f"sqlite:///{folder / f'version_{uuid.uuid4().hex[:8]}.sqlite3'}"
        migrate(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()
        return
    schema = f"bench_version_{uuid.uuid4().hex[:12]}"
    admin = make_engine(base)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def _load(engine: Engine, compiled, pool, assessments: int, seed: int = 7) -> tuple[float, float]:
    """Firms and submitted assessments through ``storage.bulk`` (one firm in five assessed
    twice, 95 % counting); each assessment reuses one of the ``pool`` scored ones."""
    encoded, scores = pool
    size = len(scores.level)
    rng = np.random.default_rng(seed)
    n_firms = int(round(assessments / 1.25))
    counted = rng.random(n_firms) < 0.95
    when = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    begin = time.perf_counter()
    firm_ids: list[int] = []
    for start in range(0, n_firms, 50_000):
        rows = [
            {
                "ruc": f"20{start + k:09d}",
                "razon_social": f"Empresa {start + k}",
                "ciiu_division": 10 + k % 20,
                "region": "Lima Metropolitana" if k % 3 else "Arequipa",
                "annual_sales": 100_000 + k,
                "sales_year": 2025,
                "size_class": "micro",
                "workers": 5,
                "email": f"e{start + k}@ejemplo.pe",
                "consent_share_sni": True,
                "consent_statistics": bool(counted[start + k]),
                "is_demo": False,
                "created_at": when,
                "verified_at": when,
            }
            for k in range(min(50_000, n_firms - start))
        ]
        with engine.begin() as connection:
            firm_ids += insert_firms(connection, rows)
    firms_time = time.perf_counter() - begin
    owners = np.concatenate(
        [firm_ids, rng.choice(firm_ids, size=assessments - n_firms, replace=False)]
    )
    begin = time.perf_counter()
    for start in range(0, assessments, size):
        stop = start + size  # ``assessments`` is a multiple of the pool's size
        batch = ScoredBatch(
            compiled,
            scores,
            encoded.practice,
            [int(f) for f in owners[start:stop]],
            [when + dt.timedelta(minutes=i) for i in range(start, stop)],
            requirements=encoded.requirements,
        )
        with engine.begin() as connection:
            insert_scored(connection, batch)
    return firms_time, time.perf_counter() - begin


def _median(function, runs: int = 20) -> float:
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        function()
        times.append(time.perf_counter() - begin)
    return statistics.median(times)


def measure_version(base: str, assessments: int) -> None:
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    loaded = compiled.loaded
    pool_size = min(5000, assessments)
    assessments = -(-assessments // pool_size) * pool_size
    encoded, _, _ = encode_frame(compiled, simulate(compiled, pool_size, seed=7), strict_rows=False)
    pool = (encoded, score_batch(compiled, encoded))
    key = (loaded.id, "completo", loaded.content_hash)
    name = "SQLite" if base == "sqlite" else "PostgreSQL"
    print(f"{name}: {format_number_es(assessments, 0)} evaluaciones cargadas con storage.bulk")
    with tempfile.TemporaryDirectory() as folder:
        for triggers in (True, False):
            with _new_database(base, Path(folder)) as engine:
                if not triggers:
                    with engine.begin() as connection:
                        version_counters.uninstall(connection)
                firms_time, rows_time = _load(engine, compiled, pool, assessments)
                label = "con disparadores" if triggers else "sin disparadores"
                print(
                    f"  carga {label}: empresas {_s(firms_time)}, evaluaciones {_s(rows_time)}"
                    f" (total {_s(firms_time + rows_time)})"
                )
                if triggers:
                    continue
                begin = time.perf_counter()
                with engine.begin() as connection:
                    version_counters.install(connection)
                print(f"  conteo inicial de la migración 0009: {_s(time.perf_counter() - begin)}")
                with Session(engine) as session:
                    before = scanned_version(session, *key)
                    after = data_version(session, *key)
                    assert before[:3] == after[:3], (before, after)
                    old = _median(lambda s=session: scanned_version(s, *key))
                    new = _median(lambda s=session: data_version(s, *key))
                print(
                    f"  versión de los datos (mediana de 20): antes {_ms(old)}, "
                    f"ahora {_ms(new)} ({format_number_es(old / new, 0)}×)"
                )


def _ms(seconds: float) -> str:
    return format_number_es(seconds * 1000, 2) + " ms"


def main() -> int:
    parser = argparse.ArgumentParser(description="Partes de la primera vista del panel SNI.")
    parser.add_argument("url", help="URL de la base cargada (con --version-datos: sqlite o URL)")
    parser.add_argument(
        "--version-datos",
        type=int,
        metavar="N",
        help="medir solo la versión de los datos, con N evaluaciones cargadas en una base nueva",
    )
    args = parser.parse_args()
    if args.version_datos:
        measure_version(args.url, args.version_datos)
        return 0
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    loaded = compiled.loaded
    engine = make_engine(args.url)
    live = LiveResults(loaded.id, "completo", loaded.content_hash, demo=True)
    begin = time.perf_counter()
    with Session(engine) as session:
        snapshot = live.refresh(session)
    read = time.perf_counter() - begin
    frame = as_frame(snapshot.rows, loaded.version, loaded.content_hash)
    print(f"lectura completa: {_s(read)} ({format_number_es(len(frame), 0)} filas)")
    for name, filters in CUTS.items():
        begin = time.perf_counter()
        prepared = cut(frame, filters)
        middle = time.perf_counter()
        dashboard(frame, filters, prepared=prepared)
        after = time.perf_counter()
        method_board(frame, filters, prepared=prepared)
        end = time.perf_counter()
        del prepared  # as the app: a cut is dropped once its figures are computed
        print(
            f"{name}: corte {_s(middle - begin)}, panel {_s(after - middle)}, "
            f"método 2.0 {_s(end - after)}"
        )
    begin = time.perf_counter()
    with Session(engine) as session:
        live.refresh(session)
    print(f"versión de los datos (cada ejecución): {_s(time.perf_counter() - begin)}")
    with Session(engine) as session:
        key = (loaded.id, "completo", loaded.content_hash)
        old = _median(lambda: (scanned_version(session, *key), session.rollback()), 5)
        new = _median(lambda: (data_version(session, *key), session.rollback()), 5)
    print(f"  de ella, la versión sola: antes (recorrido) {_ms(old)}, ahora {_ms(new)}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memoria pico: {format_number_es(peak, 0)} MB")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
