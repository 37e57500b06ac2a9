"""Benchmark of the scoring engine: 100 000 simulated Completo assessments, measured in one run.

Run from the project root:  python benchmarks/bench_scoring.py [--n 100000]

Compares, in the same process and moment, the vectorised engine with (a) the plain
per-assessment Python loop of ``scoring.reference`` and (b) the bare numpy matrix product of the
same answers with the same weights, then times ``python -m scoring puntuar`` on the CSV end to end.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.answers import encode_frame  # noqa: E402
from scoring.catalog import (  # noqa: E402
    DEFAULT_ID,
    QUESTIONNAIRE_DIR,
    available_modules,
    with_modules,
)
from scoring.compiled import compile_questionnaire  # noqa: E402
from scoring.engine import indicator_scores, practice_scores, score_batch  # noqa: E402
from scoring.loader import load_questionnaire  # noqa: E402
from scoring.reference import loop_score_row  # noqa: E402
from scoring.simulate import simulate  # noqa: E402


def best_of(runs: int, func) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def _decode(compiled, row: dict) -> dict:
    """CSV text turned into typed answers, as a form or an API would hand them over."""
    decoded: dict[str, object] = {}
    kinds = {q.id: q.tipo for q in compiled.questions}
    for key, value in row.items():
        kind = kinds.get(key)
        if kind is None or value == "":
            continue
        if kind == "practica" and value.isdigit():
            decoded[key] = int(value)
        elif kind == "numero" and value != "no_se":
            decoded[key] = float(value)
        elif kind == "opcion_multiple":
            decoded[key] = frozenset(value.split("|")) - {""}
        else:
            decoded[key] = value
    return decoded


def main() -> None:
    parser = argparse.ArgumentParser(description="Mide el motor de puntuación.")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--bucle", type=int, default=5_000, help="evaluaciones para el bucle")
    parser.add_argument("--cuestionario", default=str(QUESTIONNAIRE_DIR / f"{DEFAULT_ID}.yaml"))
    parser.add_argument("--modulo", action="append", default=[], help="módulo sectorial")
    args = parser.parse_args()

    loaded = load_questionnaire(args.cuestionario)
    if args.modulo:
        loaded = with_modules(loaded, available_modules(), args.modulo)
    compiled = compile_questionnaire(loaded, "completo")
    frame = simulate(compiled, args.n, seed=7)
    print(
        f"Cuestionario {loaded.id} {loaded.version}"
        + "".join(f" + {m.id}" for m in loaded.model.modulos)
        + f" (completo): {len(compiled.practice)} "
        f"preguntas de práctica, {len(compiled.indicators)} indicadores; {args.n:,} evaluaciones."
    )

    encode_time = best_of(3, lambda: encode_frame(compiled, frame))
    encoded, problems, _ = encode_frame(compiled, frame)
    assert not problems, problems[:3]
    score_time = best_of(5, lambda: score_batch(compiled, encoded))
    practice_time = best_of(5, lambda: practice_scores(compiled, encoded))
    indicator_time = best_of(5, lambda: indicator_scores(compiled, encoded))
    engine_time = encode_time + score_time

    # The bare product of the same answers (levels, "not a level" as 0) with the same weights,
    # in the engine's own precision.
    levels = np.maximum(encoded.practice, 0)
    weights = compiled.weight_matrix.astype(levels.dtype)
    matmul_time = best_of(5, lambda: levels @ weights)
    levels64 = levels.astype(np.float64)
    weights64 = compiled.weight_matrix
    matmul64_time = best_of(5, lambda: levels64 @ weights64)

    # The same job done the plain way, one assessment at a time: from decoded answers (as the
    # engine, CSV parsing excluded) and from the CSV text (as encoding plus engine).
    sample = min(args.bucle, args.n)
    text_rows = frame.head(sample).astype(str).replace({"nan": ""}).to_dict(orient="records")
    decoded_rows = [_decode(compiled, row) for row in text_rows]
    start = time.perf_counter()
    for row in decoded_rows:
        loop_score_row(compiled, row)
    loop_time = (time.perf_counter() - start) / sample * args.n
    start = time.perf_counter()
    for row in text_rows:
        loop_score_row(compiled, row)
    loop_text_time = (time.perf_counter() - start) / sample * args.n

    with tempfile.TemporaryDirectory() as folder:
        csv_path = Path(folder) / "evaluaciones.csv"
        frame.to_csv(csv_path, index=False)
        command = [sys.executable, "-m", "scoring", "puntuar", args.cuestionario, str(csv_path)]
        command += [flag for ident in args.modulo for flag in ("--modulo", ident)]
        cli_times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            cli_times.append(time.perf_counter() - start)
    cli_time = statistics.median(cli_times)
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_cli = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    def ok(flag: bool) -> str:
        return "cumple" if flag else "NO cumple"

    print()
    print("| medida | valor | meta | resultado |")
    print("|---|---|---|---|")
    print(f"| motor: codificar respuestas | {encode_time * 1000:.0f} ms | | |")
    print(f"| motor: puntuar | {score_time * 1000:.0f} ms | | |")
    print(
        f"| motor completo (sin leer el CSV) | {engine_time * 1000:.0f} ms | < 1 000 ms "
        f"| {ok(engine_time < 1)} |"
    )
    print(
        f"| bucle Python por evaluación, respuestas ya decodificadas (medido en {sample:,}, "
        f"proyectado a {args.n:,}) | {loop_time:.1f} s | | |"
    )
    print(f"| bucle Python por evaluación, desde el texto del CSV | {loop_text_time:.1f} s | | |")
    print(
        f"| motor (puntuar) frente al bucle con respuestas decodificadas | "
        f"{loop_time / score_time:.0f}× más rápido | ≥ 50× | {ok(loop_time / score_time >= 50)} |"
    )
    print(
        f"| codificar + puntuar frente al bucle desde el texto | "
        f"{loop_text_time / engine_time:.0f}× más rápido | | |"
    )
    print(f"| producto de matrices desnudo, float64 | {matmul64_time * 1000:.1f} ms | | |")
    print(f"| producto de matrices desnudo, float32 | {matmul_time * 1000:.1f} ms | | |")
    print(f"| — de ello, madurez de prácticas | {practice_time * 1000:.1f} ms | | |")
    print(f"| — de ello, indicadores y desempeño | {indicator_time * 1000:.1f} ms | | |")
    print(
        f"| madurez de prácticas frente al producto float64 | "
        f"{practice_time / matmul64_time:.1f}× | ≤ 5× | {ok(practice_time / matmul64_time <= 5)} |"
    )
    print(f"| puntuar todo frente al producto float64 | {score_time / matmul64_time:.1f}× | | |")
    print(
        f"| madurez de prácticas frente al producto float32 "
        f"| {practice_time / matmul_time:.1f}× | | |"
    )
    print(
        f"| `python -m scoring puntuar` de punta a punta (mediana de 3) | {cli_time:.2f} s "
        f"| < 5 s | {ok(cli_time < 5)} |"
    )
    print(f"| memoria máxima: este proceso | {peak_self:.0f} MiB | | |")
    print(f"| memoria máxima: `puntuar` | {peak_cli:.0f} MiB | | |")


if __name__ == "__main__":
    main()
