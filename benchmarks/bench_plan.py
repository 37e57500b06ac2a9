"""Benchmark of the action plan: does it depend on the firm? (method 2.0, issue «Método 2.0»).

Run from the project root:  python benchmarks/bench_plan.py [--n 300] [--semilla 7]

Simulates ``n`` Completo and ``n`` Exprés assessments of the base questionnaire and reports the
number of distinct top-five sets, the number of distinct headline actions and the largest
share of firms that get the same headline, over all firms and over the firms whose legal floor
is met (for the others the headline is a legal gap by design). Goal: at least 100 distinct
top-five sets and no headline for more than 15 % of firms.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scoring.answers import encode_frame  # noqa: E402
from scoring.catalog import default_questionnaire  # noqa: E402
from scoring.compiled import compile_questionnaire  # noqa: E402
from scoring.engine import score_batch  # noqa: E402
from scoring.numbers import format_number_es, format_percent_es  # noqa: E402
from scoring.plan import plan_columns  # noqa: E402
from scoring.simulate import simulate  # noqa: E402


def summary(plans: list[list[str]]) -> tuple[int, int, float, str]:
    tops = Counter(tuple(sorted(p)) for p in plans)
    heads = Counter(p[0] for p in plans)
    head, count = heads.most_common(1)[0]
    return len(tops), len(heads), 100.0 * count / len(plans), head


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--semilla", type=int, default=7)
    args = parser.parse_args()
    loaded = default_questionnaire()
    print(f"Cuestionario {loaded.id} {loaded.version} ({loaded.short_hash}), {args.n} empresas")
    print("profundidad | empresas | conjuntos de 5 distintos | titulares distintos | titular más")
    print("frecuente (% de empresas)")
    ok = True
    for depth in ("completo", "expres"):
        compiled = compile_questionnaire(loaded, depth)
        frame = simulate(compiled, args.n, seed=args.semilla)
        encoded, problems, _ = encode_frame(compiled, frame)
        assert not problems, problems[:3]
        batch = score_batch(compiled, encoded)
        plans = plan_columns(compiled, batch, encoded)
        groups = [("todas", plans)]
        met = [p for p, floor in zip(plans, batch.floor_met, strict=True) if floor]
        if len(met) < len(plans):
            groups.append(("piso legal cumplido", met))
        for label, group in groups:
            if not group:
                continue
            tops, heads, share, head = summary(group)
            print(
                f"{depth} ({label}) | {len(group)} | {tops} | {heads} | "
                f"{format_percent_es(share / 100, 1)} ({head})"
            )
        tops, _, share, _ = summary(plans)
        ok &= tops >= 100 and share <= 15.0
    print(
        f"Meta (≥ 100 conjuntos distintos; ningún titular > 15 % de las empresas): "
        f"{'cumplida' if ok else 'NO cumplida'}"
    )
    print(f"(semilla {args.semilla}; {format_number_es(args.n, 0)} empresas por profundidad)")


if __name__ == "__main__":
    main()
