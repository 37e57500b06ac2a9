"""Persisted column blocks of the panel rows (issue 11, ``storage.panel_blocks``): the full read
of the counted firms' rows row by row (``live_results.read_rows``) against the read through
blocks (``panel_blocks.read_counted``), each in a fresh process, plus the compaction time and
the space the blocks take, raw and with zlib. The ids of the counted firms
(``counted_firm_ids``, needed by both) are timed apart.

Run on a database filled by ``bench_fill.fill_fast`` (for example ``bench_dashboard.py
--conservar CARPETA``)::

    python benchmarks/bench_blocks.py sqlite:///CARPETA/bench.sqlite3
    python benchmarks/bench_blocks.py \\
        "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3D<esquema>"

It deletes and writes the blocks of the newest stored version (``panel_bloques``).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from scoring.numbers import format_number_es  # noqa: E402
from storage import panel_blocks  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.live_results import counted_firm_ids, read_rows, vector_names  # noqa: E402
from storage.models import PanelBlock  # noqa: E402
from storage.results_table import stored_versions  # noqa: E402


def _key(session: Session) -> tuple[str, str, str]:
    newest = stored_versions(session)[0]
    return newest.questionnaire_id, newest.depth, newest.hash


def _read(url: str, blocks: bool) -> dict:
    """One full read in this process (what ``LiveResults._full`` does first)."""
    engine = make_engine(url)
    with Session(engine) as session:
        key = _key(session)
        columns = vector_names(session, key[2], key[1])
        begin = time.perf_counter()
        firms = counted_firm_ids(session)
        counted = time.perf_counter() - begin
        begin = time.perf_counter()
        if blocks:
            read = panel_blocks.read_counted(session, *key, columns, firms, compact_rows=None)
        else:
            read = read_rows(session, *key, columns, firms=firms)
        seconds = time.perf_counter() - begin
    engine.dispose()
    return {"s": seconds, "firms_s": counted, "rows": len(read.rows), "scanned": read.scanned}


def _size(url: str) -> int:
    """Bytes the blocks take: the table and its TOAST (PostgreSQL), its pages (SQLite)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":  # without the dead rows of earlier blocks
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM FULL panel_bloques"
            )
            value = connection.exec_driver_sql(
                "SELECT pg_total_relation_size('panel_bloques')"
            ).scalar_one()
        else:
            value = connection.exec_driver_sql(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%panel_bloques%'"
            ).scalar_one()
    engine.dispose()
    return int(value or 0)


def _compact(url: str, block_rows: int, compression: str) -> dict:
    engine = make_engine(url)
    with Session(engine) as session:
        key = _key(session)
        session.execute(delete(PanelBlock))
        session.commit()
        begin = time.perf_counter()
        done = panel_blocks.compact(session, *key, block_rows=block_rows, compression=compression)
        seconds = time.perf_counter() - begin
    engine.dispose()
    return {"s": seconds, "blocks": done.blocks, "rows": done.rows, "bytes": _size(url)}


def _child(args: list[str]) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def _s(seconds: float) -> str:
    return format_number_es(seconds, 2) + " s"


def main() -> int:
    parser = argparse.ArgumentParser(description="Bloques del panel: lectura y compactación.")
    parser.add_argument("url", help="URL de la base cargada")
    parser.add_argument(
        "--filas", type=int, default=panel_blocks.BLOCK_ROWS, help="Filas por bloque."
    )
    parser.add_argument("--repeticiones", type=int, default=3, help="Lecturas de cada tipo.")
    parser.add_argument(
        "--parte", choices=["filas", "bloques", "compactar"], help=argparse.SUPPRESS
    )
    parser.add_argument("--compresion", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.parte == "compactar":
        print(json.dumps(_compact(args.url, args.filas, args.compresion)))
        return 0
    if args.parte:
        print(json.dumps(_read(args.url, args.parte == "bloques")))
        return 0
    backend = make_url(args.url).get_backend_name()
    print(f"Base: {backend}, {args.filas} filas por bloque, carga {os.getloadavg()[0]:.1f}")
    for compression in ("", "zlib"):
        name = compression or "sin comprimir"
        done = _child(
            [
                args.url,
                "--parte",
                "compactar",
                "--filas",
                str(args.filas),
                "--compresion",
                compression,
            ]
        )
        print(
            f"compactar ({name}): {_s(done['s'])}, {done['blocks']} bloques, "
            f"{format_number_es(done['rows'], 0)} filas, "
            f"{format_number_es(done['bytes'] / 1e6, 0)} MB"
        )
        for _ in range(args.repeticiones):
            rows = _child([args.url, "--parte", "filas"])
            blocks = _child([args.url, "--parte", "bloques"])
            print(
                f"  lectura fila por fila {_s(rows['s'])}, con bloques {_s(blocks['s'])} "
                f"(más las empresas que cuentan: {_s(rows['firms_s'])} y "
                f"{_s(blocks['firms_s'])}) "
                f"({format_number_es(blocks['rows'], 0)} de "
                f"{format_number_es(blocks['scanned'], 0)} filas; carga "
                f"{os.getloadavg()[0]:.1f})"
            )
            assert (rows["rows"], rows["scanned"]) == (blocks["rows"], blocks["scanned"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
