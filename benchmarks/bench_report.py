"""Time to build the PDF report of a Completo assessment (target: under 0,5 s once warm).

Run from the project root: ``python benchmarks/bench_report.py``. Each run uses different
answers, so neither typst's nor vl-convert's caches see the same document twice.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reports.pdf import build_pdf  # noqa: E402
from reports.sample import sample_report  # noqa: E402
from scoring.numbers import format_number_es  # noqa: E402

RUNS = 20
TARGET_S = 0.5


def main() -> None:
    cases = [sample_report("completo", seed=seed) for seed in range(RUNS + 1)]
    start = time.perf_counter()
    pages = len(re.findall(rb"/Type\s*/Page\b", build_pdf(*cases[0])))
    first = time.perf_counter() - start
    times = []
    size = 0
    for case in cases[1:]:
        start = time.perf_counter()
        pdf = build_pdf(*case)
        times.append(time.perf_counter() - start)
        size = len(pdf)
    median, best = statistics.median(times), min(times)
    print(f"Informe PDF (cuestionario completo), {RUNS} repeticiones tras un calentamiento")
    print(f"  primera construcción (en frío): {format_number_es(first, 3)} s")
    print(f"  mediana: {format_number_es(median, 3)} s · mínimo: {format_number_es(best, 3)} s")
    print(f"  tamaño del PDF: {format_number_es(size / 1024, 0)} KiB, {pages} páginas")
    ratio = median / TARGET_S
    verdict = "cumple" if ratio < 1 else "NO cumple"
    print(
        f"  mediana / objetivo de {format_number_es(TARGET_S, 1)} s = "
        f"{format_number_es(ratio, 2)} ({verdict} el objetivo)"
    )


if __name__ == "__main__":
    main()
