"""Benchmark of sector modules: time to load and validate every module, merge it with the base
questionnaire and compile both depths (issue «Módulos sectoriales»).

Run from the project root:  python benchmarks/bench_modules.py
The engine's ratios with a module merged in: python benchmarks/bench_scoring.py --modulo textil
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.catalog import MODULE_DIR, default_questionnaire  # noqa: E402
from scoring.compiled import compile_questionnaire  # noqa: E402
from scoring.loader import parse_questionnaire  # noqa: E402
from scoring.modules import load_module, merge  # noqa: E402


def timed(func, runs: int = 5) -> tuple[float, object]:
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    core_time, core = timed(default_questionnaire)
    print(f"Cuestionario base {core.id} {core.version}: cargar y validar {core_time * 1000:.0f} ms")
    print()
    print(
        "| módulo | cargar y validar | unir y validar | compilar (Exprés + Completo) | "
        "releer el texto archivado | preguntas de práctica (Completo) |"
    )
    print("|---|---|---|---|---|---|")
    totals = [0.0, 0.0, 0.0]
    for path in sorted(MODULE_DIR.glob("*.yaml")):
        load_time, module = timed(lambda p=path: load_module(p))
        merge_time, merged = timed(lambda m=module: merge(core, [m]))
        compile_time, compiled = timed(
            lambda q=merged: [compile_questionnaire(q, d) for d in ("expres", "completo")]
        )
        reload_time, _ = timed(lambda q=merged: parse_questionnaire(q.source, "archivo"))
        totals = [totals[0] + load_time, totals[1] + merge_time, totals[2] + compile_time]
        print(
            f"| {module.id} | {load_time * 1000:.0f} ms | {merge_time * 1000:.0f} ms | "
            f"{compile_time * 1000:.0f} ms | {reload_time * 1000:.0f} ms | "
            f"{len(compiled[1].practice)} |"
        )
    print(
        f"| **todos** | {totals[0] * 1000:.0f} ms | {totals[1] * 1000:.0f} ms | "
        f"{totals[2] * 1000:.0f} ms | | |"
    )
    base_compile, _ = timed(
        lambda: [compile_questionnaire(core, d) for d in ("expres", "completo")]
    )
    print()
    print(f"Compilar el cuestionario base solo (Exprés + Completo): {base_compile * 1000:.0f} ms")


if __name__ == "__main__":
    main()
