"""Fast generation of many submitted Completo assessments for the scale benchmarks (issue 11).

What it writes, for ``assessments`` rows (a million in a few minutes, not hours):

- firms (``empresas``) with the demo's sector and region weights, lognormal sales, 85 % sharing
  with SNI, 95 % counting in statistics, 95 % verified; one firm in five assessed twice;
- a pool of ``POOL`` distinct assessments simulated (``scoring.simulate``) and scored with the
  real engine; every stored assessment is one of them (drawn at random), under its own firm and
  date: scores, levels and vectors are real, the million rows are not a million distinct
  answer sets;
- ``evaluaciones``, ``resultados`` and ``panel_resultados`` rows as ``storage.bulk`` writes
  them; ``resultados.detail_json`` is the bulk load's summary except for ``details`` rows (the
  latest assessment of counted firms: consent to statistics, verified), which get the real
  ``ScoreResult.to_dict()`` of their pool assessment (about 80 KB each): 80 KB for each of a
  million rows would be 80 GB.

PostgreSQL is loaded with ``COPY``; SQLite with ``executemany`` with ``synchronous=OFF`` during
the load. The questionnaire is archived and the vector layout recorded as a real submission
does (``storage.bulk.insert_scored`` on the first rows).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Connection, text

from scoring import compile_questionnaire
from scoring.answers import encode_frame
from scoring.catalog import default_questionnaire
from scoring.engine import score_batch
from scoring.peru import ruc_check_digit, size_class
from scoring.result import build_result
from scoring.simulate import simulate
from storage.bulk import ScoredBatch, _summary, insert_scored, next_id, sync_sequence
from storage.db import make_engine, migrate
from storage.demo import REGION_WEIGHTS, SECTOR_WEIGHTS
from storage.models import Assessment, Firm, PanelRow, Result
from storage.results_table import VECTOR_FORMAT, batch_vectors

POOL = 50_000
DETAIL_POOL = 400
REASSESSED = 0.25
CHUNK = 50_000
SHARE_SNI = 0.85
STATISTICS = 0.95
VERIFIED = 0.95
FIRM_COLUMNS = (
    "id",
    "ruc",
    "razon_social",
    "ciiu_division",
    "region",
    "annual_sales",
    "sales_year",
    "size_class",
    "workers",
    "email",
    "consent_share_sni",
    "consent_statistics",
    "is_demo",
    "created_at",
    "verified_at",
)
ASSESSMENT_COLUMNS = (
    "id",
    "firm_id",
    "questionnaire_id",
    "questionnaire_version",
    "questionnaire_hash",
    "depth",
    "status",
    "created_at",
    "updated_at",
    "submitted_at",
    "is_demo",
)
RESULT_COLUMNS = (
    "assessment_id",
    "scored_at",
    "ciiu_division",
    "size_class",
    "region",
    "overall",
    "level",
    "weakest_dimension",
    "performance",
    "coverage",
    "dont_know_count",
    "scores_json",
    "detail_json",
)
PANEL_COLUMNS = (
    "assessment_id",
    "firm_id",
    "questionnaire_id",
    "questionnaire_version",
    "questionnaire_hash",
    "depth",
    "submitted_at",
    "is_demo",
    "ciiu_division",
    "size_class",
    "region",
    "vector_format",
    "vector",
)


def _weights(mapping: dict) -> tuple[list, np.ndarray]:
    keys = list(mapping)
    p = np.array([float(mapping[k]) for k in keys])
    return keys, p / p.sum()


class _Writer:
    """Rows into one table: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self, connection: Connection):
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"

    def write(self, table: Any, columns: tuple[str, ...], rows: list[tuple]) -> None:
        if not rows:
            return
        if self.postgres:
            raw = self.connection.connection.driver_connection
            names = ", ".join(f'"{c}"' for c in columns)
            cursor = raw.cursor()
            with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.close()
        else:
            statement = table.insert()
            self.connection.execute(statement, [dict(zip(columns, r, strict=True)) for r in rows])


def _json(value: Any, postgres: bool) -> Any:
    return json.dumps(value, ensure_ascii=False) if postgres else value


def _firms(rng: np.random.Generator, first_id: int, count: int) -> list[tuple]:
    sectors, sector_p = _weights(SECTOR_WEIGHTS)
    regions, region_p = _weights(REGION_WEIGHTS)
    sales = rng.lognormal(np.log(600_000), 1.3, size=count).round(2)
    sector = rng.choice(len(sectors), size=count, p=sector_p)
    region = rng.choice(len(regions), size=count, p=region_p)
    draws = rng.random((count, 3))
    created = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    verified = dt.datetime(2024, 1, 2, tzinfo=dt.UTC)
    rows = []
    for k in range(count):
        i = first_id + k
        first_ten = f"20{i:08d}"
        rows.append(
            (
                i,
                first_ten + str(ruc_check_digit(first_ten)),
                f"Empresa de prueba {i} S.A.C.",
                int(sectors[sector[k]]),
                str(regions[region[k]]),
                Decimal(str(sales[k])),
                2025,
                size_class(sales[k], 2025),
                int(rng.integers(2, 300)),
                f"prueba{i}@ejemplo.pe",
                bool(draws[k, 0] < SHARE_SNI),
                bool(draws[k, 1] < STATISTICS),
                False,
                created,
                verified if draws[k, 2] < VERIFIED else None,
            )
        )
    return rows


def fill_fast(url: str, assessments: int, details: int, seed: int = 7, log=print) -> None:
    """Migrate ``url`` and load ``assessments`` submitted Completo assessments (see module)."""
    start = time.perf_counter()
    migrate(url)
    engine = make_engine(url)
    rng = np.random.default_rng(seed)
    compiled = compile_questionnaire(default_questionnaire(), "completo")
    loaded = compiled.loaded
    pool_size = min(POOL, assessments)
    encoded, _, _ = encode_frame(
        compiled, simulate(compiled, pool_size, seed=seed), strict_rows=False
    )
    scores = score_batch(compiled, encoded)
    vectors = batch_vectors(compiled, scores, encoded.practice, encoded.requirements)
    dims = [d.id for d in compiled.dimensions]
    summaries = [_summary(compiled, scores, i, dims) for i in range(pool_size)]
    real = [
        build_result(compiled, scores, encoded, i).to_dict()
        for i in range(min(DETAIL_POOL, pool_size))
    ]
    log(f"  {pool_size} evaluaciones simuladas y puntuadas ({time.perf_counter() - start:.0f} s)")

    n_firms = int(round(assessments / (1 + REASSESSED)))
    with engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("PRAGMA synchronous=OFF")
        postgres = connection.dialect.name == "postgresql"
        writer = _Writer(connection)
        first_firm = next_id(connection, Firm.id)
        firm_rows: list[tuple] = []
        for first in range(0, n_firms, CHUNK):
            rows = _firms(rng, first_firm + first, min(CHUNK, n_firms - first))
            writer.write(Firm.__table__, FIRM_COLUMNS, rows)
            firm_rows += [
                (r[0], r[3], r[4], r[7], r[10] and r[11] and r[14] is not None) for r in rows
            ]
        sync_sequence(connection, Firm.__table__.c.id)
        log(f"  {n_firms} empresas ({time.perf_counter() - start:.0f} s)")
        ids = np.array([r[0] for r in firm_rows])
        profile = {r[0]: r[1:4] for r in firm_rows}
        counted = {r[0] for r in firm_rows if r[4]}
        # The real path once: archives the questionnaire and records the vector layout.
        one, _, _ = encode_frame(compiled, simulate(compiled, 1, seed=seed + 1), strict_rows=False)
        first_batch = ScoredBatch(
            compiled,
            score_batch(compiled, one),
            one.practice,
            [int(ids[0])],
            [dt.datetime(2024, 1, 1, tzinfo=dt.UTC)],
            requirements=one.requirements,
        )
        insert_scored(connection, first_batch)
        owners = np.concatenate(
            [ids, rng.choice(ids, size=assessments - 1 - n_firms, replace=False)]
        )
        # Ids grow with time, as real submissions do; a firm's second assessment comes later.
        days = np.sort(rng.uniform(0, 730, size=len(owners)))[::-1]
        now = dt.datetime.now(dt.UTC)
        picks = rng.integers(0, pool_size, size=len(owners))
        first_id = next_id(connection, Assessment.id)
        # Real details: the latest assessment of counted firms, first come first served.
        last_of = {int(f): k for k, f in enumerate(owners)}
        chosen = [k for f, k in last_of.items() if f in counted][:details]
        real_rows = set(chosen)
        for lo in range(0, len(owners), CHUNK):
            hi = min(lo + CHUNK, len(owners))
            a_rows, r_rows, p_rows = [], [], []
            for k in range(lo, hi):
                firm = int(owners[k])
                ciiu, region, size = profile[firm]
                when = now - dt.timedelta(days=float(days[k]))
                ident = first_id + k
                pick = int(picks[k])
                if k in real_rows:
                    pick = pick % len(real)
                summary = summaries[pick]
                detail = real[pick] if k in real_rows else summary["detail_json"]
                a_rows.append(
                    (
                        ident,
                        firm,
                        loaded.id,
                        loaded.version,
                        loaded.content_hash,
                        compiled.depth,
                        "enviada",
                        when,
                        when,
                        when,
                        False,
                    )
                )
                r_rows.append(
                    (
                        ident,
                        when,
                        ciiu,
                        size,
                        region,
                        summary["overall"],
                        summary["level"],
                        summary["weakest_dimension"],
                        summary["performance"],
                        summary["coverage"],
                        summary["dont_know_count"],
                        _json(summary["scores_json"], postgres),
                        _json(detail, postgres),
                    )
                )
                p_rows.append(
                    (
                        ident,
                        firm,
                        loaded.id,
                        loaded.version,
                        loaded.content_hash,
                        compiled.depth,
                        when,
                        False,
                        ciiu,
                        size,
                        region,
                        VECTOR_FORMAT,
                        vectors[pick].tobytes(),
                    )
                )
            writer.write(Assessment.__table__, ASSESSMENT_COLUMNS, a_rows)
            writer.write(Result.__table__, RESULT_COLUMNS, r_rows)
            writer.write(PanelRow.__table__, PANEL_COLUMNS, p_rows)
            log(f"  {hi + 1} evaluaciones ({time.perf_counter() - start:.0f} s)")
        sync_sequence(connection, Assessment.__table__.c.id)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    engine.dispose()
    log(
        f"  {assessments} evaluaciones, {n_firms} empresas y {len(real_rows)} detalles reales "
        f"cargados en {time.perf_counter() - start:.0f} s"
    )
