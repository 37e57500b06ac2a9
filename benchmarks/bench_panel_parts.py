"""Where the staff panel's time goes on a loaded database, part by part, in one fresh process
(issue 11): the full read of the panel rows (``LiveResults.refresh``), the data-version check
that every rerun makes, and for three cuts the filtered rows (``cut``), the dashboard and the
method 2.0 tables, plus the peak memory.

Run on a database filled by ``bench_dashboard.py --conservar CARPETA``::

    python benchmarks/bench_panel_parts.py sqlite:///CARPETA/bench.sqlite3
    python benchmarks/bench_panel_parts.py \\
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D<esquema>"
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from scoring import compile_questionnaire  # noqa: E402
from scoring.aggregates import Filters, cut, dashboard  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.numbers import format_number_es  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.live_results import LiveResults, as_frame  # noqa: E402
from ui.staff_exports import method_board  # noqa: E402

CUTS = {
    "todas las empresas": Filters(),
    "tamaño micro": Filters(sizes=("micro",)),
    "región Arequipa": Filters(regions=("Arequipa",)),
}


def _s(seconds: float) -> str:
    return format_number_es(seconds, 2) + " s"


def main() -> int:
    parser = argparse.ArgumentParser(description="Partes de la primera vista del panel SNI.")
    parser.add_argument("url", help="URL de la base cargada")
    args = parser.parse_args()
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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memoria pico: {format_number_es(peak, 0)} MB")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
