"""Bulk loading of already scored assessments with SQLAlchemy Core (benchmarks and imports).

Rows go in with ``executemany`` in chunks on SQLite and with ``COPY`` on PostgreSQL, never one
ORM object at a time. On PostgreSQL ``executemany`` runs one statement per row, and each one
would fire the statement triggers that keep the data version (``storage.version_counters``):
a ``COPY`` fires them once. Answers are not stored (the staff panel never reads them);
``detail_json`` keeps only the scores summary, so a firm page opened on such a row shows no
detail. For real submissions use
``storage.assessments.submit`` followed by ``storage.results_table.store_result_vector``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import JSON, Column, Connection, Table, func, select, text

from scoring import schema
from scoring.compiled import CompiledQuestionnaire
from scoring.engine import BatchScores
from scoring.result import RESULT_SCHEMA_VERSION
from storage.models import Assessment, Firm, PanelLayout, PanelRow, Result
from storage.questionnaires import archive
from storage.results_table import VECTOR_FORMAT, batch_vectors, vector_columns

CHUNK = 5000


@dataclass(frozen=True)
class ScoredBatch:
    """Assessment ``i`` belongs to ``firm_ids[i]`` and was submitted at ``submitted_at[i]``."""

    compiled: CompiledQuestionnaire
    scores: BatchScores
    codes: np.ndarray  # Encoded.practice
    firm_ids: Sequence[int]
    submitted_at: Sequence[dt.datetime]
    is_demo: bool = False
    requirements: np.ndarray | None = None  # Encoded.requirements (legal floor), if known


def next_id(connection: Connection, column: Any) -> int:
    return int(connection.execute(select(func.coalesce(func.max(column), 0))).scalar_one()) + 1


def sync_sequence(connection: Connection, column: Column | Any) -> None:
    """After inserting explicit ids, move PostgreSQL's sequence of ``column`` past the largest
    one, or the next ordinary insert (a registration) would collide with a bulk-loaded row.
    SQLite needs nothing: its next rowid is always max(id) + 1."""
    if connection.dialect.name != "postgresql":
        return
    table = column.table.name
    connection.execute(
        text(
            "SELECT setval(pg_get_serial_sequence(:table, :column), "
            f'(SELECT coalesce(max("{column.name}"), 0) + 1 FROM "{table}"), false)'
        ),
        {"table": table, "column": column.name},
    )


def write_rows(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (same keys in each; aware UTC datetimes): one ``COPY`` on PostgreSQL,
    ``executemany`` elsewhere. Columns left out get their Python-side defaults, as with an
    ordinary insert."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), CHUNK):
            connection.execute(table.insert(), list(rows[start : start + CHUNK]))
        return
    names = list(rows[0])
    defaults = [
        (column.name, column.default)
        for column in table.columns
        if column.name not in rows[0] and column.default is not None
    ]
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    encode = [n in json_columns for n in names]
    listed = ", ".join(f'"{n}"' for n in [*names, *(n for n, _ in defaults)])
    cursor = connection.connection.driver_connection.cursor()  # this transaction's connection
    try:
        with cursor.copy(f'COPY "{table.name}" ({listed}) FROM STDIN') as copy:
            for row in rows:
                values = [
                    json.dumps(row[n], ensure_ascii=False) if j else row[n]
                    for n, j in zip(names, encode, strict=True)
                ]
                for _, default in defaults:
                    values.append(default.arg(None) if default.is_callable else default.arg)
                copy.write_row(values)
    finally:
        cursor.close()


def insert_firms(connection: Connection, firms: Sequence[dict[str, Any]]) -> list[int]:
    """Insert firm rows (``storage.models.Firm`` columns, no id); returns their new ids."""
    first = next_id(connection, Firm.id)
    ids = list(range(first, first + len(firms)))
    rows = [{**firm, "id": ident} for firm, ident in zip(firms, ids, strict=True)]
    write_rows(connection, Firm.__table__, rows)
    sync_sequence(connection, Firm.__table__.c.id)
    return ids


def _none(value: float) -> float | None:
    return None if np.isnan(value) else float(value)


def insert_scored(connection: Connection, batch: ScoredBatch) -> list[int]:
    """Insert submitted assessments with their results and panel rows; returns assessment ids."""
    compiled, scores = batch.compiled, batch.scores
    loaded = compiled.loaded
    archive(connection, loaded)  # so these assessments' reports can be rebuilt later
    wanted = sorted(set(batch.firm_ids))
    profiles = {}
    for start in range(0, len(wanted), CHUNK):  # PostgreSQL takes at most 65 535 parameters
        query = select(Firm.id, Firm.ciiu_division, Firm.size_class, Firm.region).where(
            Firm.id.in_(wanted[start : start + CHUNK])
        )
        profiles.update({row.id: row for row in connection.execute(query)})
    columns = vector_columns(compiled)
    layout_key = {"questionnaire_hash": loaded.content_hash, "depth": compiled.depth}
    if not connection.execute(
        select(PanelLayout.columns).filter_by(**layout_key, vector_format=VECTOR_FORMAT)
    ).first():
        connection.execute(
            PanelLayout.__table__.insert(),
            [{**layout_key, "vector_format": VECTOR_FORMAT, "columns": columns}],
        )
    vectors = batch_vectors(compiled, scores, batch.codes, batch.requirements)
    dims = [d.id for d in compiled.dimensions]
    first = next_id(connection, Assessment.id)
    ids = list(range(first, first + len(vectors)))
    for start in range(0, len(ids), CHUNK):
        stop = min(start + CHUNK, len(ids))
        assessments, results, panel = [], [], []
        for i in range(start, stop):
            firm = profiles[batch.firm_ids[i]]
            when = batch.submitted_at[i]
            profile = {
                "ciiu_division": firm.ciiu_division,
                "size_class": firm.size_class,
                "region": firm.region,
            }
            assessments.append(
                {
                    "id": ids[i],
                    "firm_id": firm.id,
                    "questionnaire_id": loaded.id,
                    "questionnaire_version": loaded.version,
                    "questionnaire_hash": loaded.content_hash,
                    "depth": compiled.depth,
                    "status": "enviada",
                    "created_at": when,
                    "updated_at": when,
                    "submitted_at": when,
                    "is_demo": batch.is_demo,
                }
            )
            results.append(
                {
                    "assessment_id": ids[i],
                    "scored_at": when,
                    **profile,
                    **_summary(compiled, scores, i, dims),
                }
            )
            panel.append(
                {
                    "assessment_id": ids[i],
                    "firm_id": firm.id,
                    "questionnaire_id": loaded.id,
                    "questionnaire_version": loaded.version,
                    "questionnaire_hash": loaded.content_hash,
                    "depth": compiled.depth,
                    "submitted_at": when,
                    "is_demo": batch.is_demo,
                    **profile,
                    "vector_format": VECTOR_FORMAT,
                    "vector": vectors[i].tobytes(),
                }
            )
        write_rows(connection, Assessment.__table__, assessments)
        write_rows(connection, Result.__table__, results)
        write_rows(connection, PanelRow.__table__, panel)
    sync_sequence(connection, Assessment.__table__.c.id)
    return ids


def _summary(
    compiled: CompiledQuestionnaire, scores: BatchScores, i: int, dims: list[str]
) -> dict[str, Any]:
    """The result columns of row ``i`` (as ``storage.assessments.result_summary``)."""
    dimension = {d: _none(scores.dimensions[i, k]) for k, d in enumerate(dims)}
    route = {r: _none(scores.routes[i, k]) for k, r in enumerate(schema.ROUTES)}
    weakest = int(scores.weakest[i])
    level = int(scores.level[i])
    return {
        "overall": _none(scores.overall[i]),
        "level": level or None,
        "weakest_dimension": dims[weakest] if weakest >= 0 else None,
        "performance": _none(scores.performance[i]),
        "coverage": float(scores.coverage[i]),
        "dont_know_count": int(scores.counts["no_se"][i]),
        "scores_json": {
            "dimensiones": dimension,
            "ejes": {t.id: _none(scores.themes[i, k]) for k, t in enumerate(compiled.themes)},
            "rutas": route,
            "indices": {x.id: _none(scores.indices[i, k]) for k, x in enumerate(compiled.indices)},
            "metodo": compiled.method,
        },
        "detail_json": {"esquema": RESULT_SCHEMA_VERSION, "carga_masiva": True},
    }
