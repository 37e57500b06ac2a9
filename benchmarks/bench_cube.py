"""The staff panel's figures at a million assessments: the cube against the rows (issue 11).

In one process, without a database: ``--evaluaciones`` submitted Completo assessments of the
2.0.0 questionnaire held as the staff frame (``storage.live_results.as_frame``), each one of a
pool of 50 000 simulated assessments scored by the real engine, with its own firm (sector and
region weights of the demo data, sizes from lognormal sales), date over two years, one firm in
four assessed twice and 2 % of those moving to another region between assessments. Then, for
each filter, the time from the filters to the dashboard and the method 2.0 tables, with the
cube (``scoring.panel_cube.PanelCube``, as the staff pages use it) and with the rows
(``scoring.aggregates.cut``, the reference), and the peak memory::

    python benchmarks/bench_cube.py --evaluaciones 1000000
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import psutil  # noqa: E402

from scoring import compile_questionnaire  # noqa: E402
from scoring.aggregates import SECTOR_GROUPS, Filters, cut, dashboard, period_bounds  # noqa: E402
from scoring.answers import encode_frame  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.engine import score_batch  # noqa: E402
from scoring.numbers import format_number_es  # noqa: E402
from scoring.panel_cube import PanelCube  # noqa: E402
from scoring.peru import size_class  # noqa: E402
from scoring.simulate import simulate  # noqa: E402
from storage.demo import REGION_WEIGHTS, SECTOR_WEIGHTS  # noqa: E402
from storage.live_results import Rows, as_frame  # noqa: E402
from storage.results_table import QUESTION_PREFIX, STATE_CODES, batch_vectors, vector_columns  # noqa: E402
from ui.staff_exports import method_board  # noqa: E402

POOL = 50_000


def _filters() -> dict[str, Filters]:
    year = period_bounds("2026")
    quarter = period_bounds("2026-T2")
    return {
        "todas las empresas": Filters(),
        "tamaño micro": Filters(sizes=("micro",)),
        "región Arequipa": Filters(regions=("Arequipa",)),
        "año 2026": Filters(start=year[0], end=year[1]),
        "2.º trimestre 2026": Filters(start=quarter[0], end=quarter[1]),
        "textil": Filters(ciiu=SECTOR_GROUPS["textil"]),
        "Lima, pequeña, 2026": Filters(
            start=year[0], end=year[1], sizes=("pequena",), regions=("Lima",)
        ),
        "CIIU 10, sin DEMO": Filters(ciiu=(10,), include_demo=False),
    }


def _weights(mapping: dict) -> tuple[list, np.ndarray]:
    keys = list(mapping)
    weights = np.asarray([mapping[k] for k in keys], dtype=float)
    return keys, weights / weights.sum()


def build_frame(assessments: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    pool = min(POOL, assessments)
    encoded, _, _ = encode_frame(compiled, simulate(compiled, pool, seed=seed), strict_rows=False)
    scores = score_batch(compiled, encoded)
    vectors = batch_vectors(compiled, scores, encoded.practice, encoded.requirements)
    columns = vector_columns(compiled)
    questions = np.array([c.startswith(QUESTION_PREFIX) for c in columns])
    codes = vectors[:, questions]
    vectors[:, questions] = np.where(
        codes >= STATE_CODES["sin_respuesta"], np.maximum(codes, 0), np.nan
    )
    firms = int(round(assessments / 1.25))
    owners = np.concatenate([np.arange(firms), rng.choice(firms, assessments - firms, False)])
    sectors, sector_p = _weights(SECTOR_WEIGHTS)
    regions, region_p = _weights(REGION_WEIGHTS)
    division = np.asarray(sectors, dtype=np.int16)[rng.choice(len(sectors), firms, p=sector_p)]
    region = rng.choice(len(regions), firms, p=region_p).astype(np.int16)
    sales = rng.lognormal(np.log(600_000), 1.3, size=firms)
    sizes = sorted({size_class(s, 2025) for s in sales[:5000]})
    size = np.asarray([sizes.index(size_class(s, 2025)) for s in sales], dtype=np.int16)
    when = np.datetime64("2025-01-01T00:00:00", "us") + (
        rng.uniform(0, 730 * 86_400e6, assessments).astype("int64")
    ).astype("timedelta64[us]")
    row_region = region[owners]
    second = np.zeros(assessments, bool)
    second[firms:] = True
    moving = second & (rng.random(assessments) < 0.02)
    row_region[moving] = rng.choice(len(regions), int(moving.sum())).astype(np.int16)
    order = np.lexsort((when, owners))
    matrix = np.asfortranarray(vectors[rng.integers(0, pool, assessments)[order]])
    meta = {
        "assessment_id": np.arange(1, assessments + 1, dtype=np.int64),
        "firm_id": owners[order].astype(np.int64) + 1,
        "submitted_at": when[order],
        "is_demo": np.zeros(assessments, bool),
        "ciiu_division": division[owners][order],
        "size_class": size[owners][order],
        "region": row_region[order],
        "vector_format": np.full(assessments, 2, np.int16),
    }
    categories = {"size_class": sizes, "region": [str(r) for r in regions]}
    rows = Rows(columns, matrix, meta, categories)
    return as_frame(rows, compiled.loaded.version, compiled.loaded.content_hash)


def _s(seconds: float) -> str:
    return format_number_es(seconds, 2) + " s"


def _mb() -> str:
    return format_number_es(psutil.Process().memory_info().rss / 2**20, 0) + " MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluaciones", type=int, default=1_000_000)
    parser.add_argument("--sin-filas", action="store_true", help="no medir la referencia")
    args = parser.parse_args()
    start = time.perf_counter()
    frame = build_frame(args.evaluaciones)
    gc.collect()
    print(
        f"{len(frame)} evaluaciones, {frame['firm_id'].nunique()} empresas, "
        f"{len(frame.columns)} columnas ({_s(time.perf_counter() - start)}); memoria {_mb()}"
    )
    begin = time.perf_counter()
    cube = PanelCube(frame)
    print(f"cubo: preparar {_s(time.perf_counter() - begin)}; memoria {_mb()}")
    print("| corte | cubo (1.ª vez) | cubo (otra vez, sin lo recordado) | filas | filas / cubo |")
    print("|---|---|---|---|---|")
    for label, filters in _filters().items():
        times = []
        for _ in range(2):
            begin = time.perf_counter()
            prepared = cube.cut(filters)
            dashboard(None, filters, prepared=prepared)
            method_board(None, filters, prepared=prepared)
            times.append(time.perf_counter() - begin)
        rows = np.nan
        if not args.sin_filas and label in (
            "todas las empresas",
            "tamaño micro",
            "región Arequipa",
        ):
            begin = time.perf_counter()
            prepared = cut(frame, filters)
            dashboard(frame, filters, prepared=prepared)
            method_board(frame, filters, prepared=prepared)
            rows = time.perf_counter() - begin
            del prepared
        ratio = "" if np.isnan(rows) else format_number_es(rows / times[1], 1) + "×"
        shown = "" if np.isnan(rows) else _s(rows)
        print(f"| {label} | {_s(times[0])} | {_s(times[1])} | {shown} | {ratio} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memoria al final {_mb()}, pico {format_number_es(peak, 0)} MB")


if __name__ == "__main__":
    main()
