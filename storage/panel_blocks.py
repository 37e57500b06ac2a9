"""Persisted column blocks of the panel rows (issue 11): a fresh process reads a million panel
rows as a few large blobs instead of a million rows through the database driver.

A block (``models.PanelBlock``, table ``panel_bloques``) holds every panel row, of all firms,
of one questionnaire version and depth with ``first_id <= assessment_id <= last_id``, decoded
as ``live_results.read_rows`` decodes it (the version's full column list, ``vector_names``),
stored column by column as numpy bytes, each column exactly in its fewest bytes (``_encode``:
one or two bytes per row and a dictionary, or float32). Consent is applied after reading, as
``read_rows`` does with ``firms=``. Blocks partition the ids from 1 to the end of the last
one; rows above it (new submissions) and in ranges without a block are read row by row with
``read_rows``.

A block present is never stale: triggers (migration 0010) delete it as soon as a row in its
range is inserted, updated or deleted (a firm deleted in cascade, a draft with an old id
submitted late) or a vector layout of its version changes, whatever code writes. ``compact``
writes each block in the transaction that read its rows, with the writers held off meanwhile
(SQLite's write lock, taken first; a SHARE lock on ``panel_resultados`` in PostgreSQL), so no
change slips in between the read and the write.

Who compacts: ``read_counted`` starts ``compact`` in a background thread (its own session)
when it had to read at least ``BLOCK_ROWS`` rows row by row, so the next fresh process (or
replica) finds them in blocks; operators and benchmarks run ``python -m storage
compactar-panel``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import threading
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from storage.live_results import (
    CATEGORIES,
    Read,
    Rows,
    empty_rows,
    read_rows,
    reserve_for,
    vector_names,
)
from storage.models import Assessment, PanelBlock, PanelRow

log = logging.getLogger(__name__)

BLOCK_ROWS = 50_000
# Rows of a version are compacted only below the oldest draft of that version touched in this
# long: its panel row, once submitted, takes the draft's (older) id and would delete the block
# holding that id. An older abandoned draft submitted later costs one block, rebuilt later.
DRAFT_HORIZON = dt.timedelta(days=30)
# "" or "zlib" (level 1): zlib halves the bytes again but reads slower (bench_blocks.py).
COMPRESSION = ""
# Meta arrays in ``read_rows`` order: (meta key, block column, stored dtype).
META = (
    ("assessment_id", "assessment_ids", np.dtype(np.int64)),
    ("firm_id", "firm_ids", np.dtype(np.int64)),
    ("submitted_at", "submitted_at", np.dtype(np.int64)),  # microseconds since 1970, UTC
    ("is_demo", "is_demo", np.dtype(np.bool_)),
    ("ciiu_division", "ciiu_division", np.dtype(np.int16)),
    ("vector_format", "vector_format", np.dtype(np.int16)),
    ("size_class", "size_class", np.dtype(np.int16)),
    ("region", "region", np.dtype(np.int16)),
)

Key = tuple[str, str, str]  # questionnaire id, depth, content hash


def _pack(values: np.ndarray, compression: str) -> bytes:
    raw = np.ascontiguousarray(values).tobytes()
    return zlib.compress(raw, 1) if compression == "zlib" else raw


def _unpack(blob: bytes, dtype: np.dtype, compression: str) -> np.ndarray:
    raw = zlib.decompress(blob) if compression == "zlib" else blob
    return np.frombuffer(raw, dtype=dtype)


def _of(key: Key) -> list[Any]:
    questionnaire_id, depth, questionnaire_hash = key
    return [
        PanelBlock.questionnaire_id == questionnaire_id,
        PanelBlock.depth == depth,
        PanelBlock.questionnaire_hash == questionnaire_hash,
    ]


def _rows_of(key: Key) -> list[Any]:
    questionnaire_id, depth, questionnaire_hash = key
    return [
        PanelRow.questionnaire_id == questionnaire_id,
        PanelRow.depth == depth,
        PanelRow.questionnaire_hash == questionnaire_hash,
    ]


@dataclass
class _Block:
    """A stored block without its matrix (read separately, one block at a time)."""

    id: int
    first_id: int
    last_id: int
    rows: int
    columns: list[str]
    dtypes: list[str]
    categories: dict[str, list[Any]]
    compression: str
    meta: dict[str, np.ndarray]


def _fetch(session: Session, sql: str, params: dict[str, Any]) -> list[tuple]:
    """Rows of ``sql`` (``:name`` parameters) straight from the driver. PostgreSQL sends them
    in binary: bytea as text is hex, twice the bytes to send and decode (2,5–3 s instead of
    0,6–0,9 s for 150 MB of blocks)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return list(connection.exec_driver_sql(sql, params))  # sqlite3 takes :name itself
    driver = connection.connection.driver_connection
    with driver.cursor(binary=True) as cursor:  # the session's connection and transaction
        cursor.execute(re.sub(r":(\w+)", r"%(\1)s", sql), params)
        return cursor.fetchall()


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


_KEY_SQL = "questionnaire_id = :questionnaire_id AND depth = :depth AND questionnaire_hash = :hash"


def _params(key: Key) -> dict[str, Any]:
    return {"questionnaire_id": key[0], "depth": key[1], "hash": key[2]}


def _usable(session: Session, key: Key, columns: list[str]) -> list[_Block]:
    """The blocks of ``key`` written for ``columns``, in id order, none overlapping another."""
    blobs = ", ".join(column for _, column, _ in META)
    sql = (
        "SELECT id, first_id, last_id, rows, columns, dtypes, categories, compression, "
        f"{blobs} FROM panel_bloques WHERE {_KEY_SQL} ORDER BY first_id, id"
    )
    blocks: list[_Block] = []
    end = 0
    for row in _fetch(session, sql, _params(key)):
        ident, first, last, count, stored, dtypes, categories, compression, *blobs = row
        stored = _json(stored)
        if stored != columns or first <= end:
            continue  # another layout (rebuilt by ``compact``), or overlapping a kept block
        meta = {
            name: _unpack(blob, dtype, compression)
            for (name, _, dtype), blob in zip(META, blobs, strict=True)
        }
        if any(len(values) != count for values in meta.values()):
            raise ValueError(f"panel block {ident} does not match its row count")
        dtypes = _json(dtypes)
        blocks.append(
            _Block(
                ident,
                first,
                last,
                count,
                stored,
                dtypes,
                _json(categories),
                compression,
                meta,
            )
        )
        end = last
    return blocks


def _block_columns(
    session: Session, block: _Block
) -> list[tuple[np.ndarray, np.ndarray | None]] | None:
    """The block's columns: (float32 values, None) or (uint8/uint16 codes, float32 dictionary);
    None when the block is gone (deleted since its meta was read)."""
    sql = "SELECT matrix FROM panel_bloques WHERE id = :id"
    found = _fetch(session, sql, {"id": block.id})
    if not found:
        return None
    raw = zlib.decompress(found[0][0]) if block.compression == "zlib" else found[0][0]
    columns: list[tuple[np.ndarray, np.ndarray | None]] = []
    offset = 0
    for spec in block.dtypes:
        kind, _, size = spec.partition("/")
        values = np.frombuffer(raw, dtype=CODECS[kind], count=block.rows, offset=offset)
        offset += values.nbytes
        dictionary = None
        if size:
            dictionary = np.frombuffer(raw, np.float32, count=int(size), offset=offset).copy()
            offset += dictionary.nbytes
        columns.append((values, dictionary))
    if offset != len(raw) or len(columns) != len(block.columns):
        raise ValueError(f"panel block {block.id} does not match its layout")
    return columns


CODECS = {"f4": np.dtype(np.float32), "u1": np.dtype(np.uint8), "u2": np.dtype(np.uint16)}


def _encode(column: np.ndarray) -> tuple[str, bytes]:
    """A float32 column in the fewest bytes, exactly (bit for bit, -0.0 and NaN included):
    with at most 256 distinct values (question levels, codes, counts, theme scores) one byte
    per row plus a float32 dictionary; with fewer distinct values than half the rows two
    bytes per row plus the dictionary; else float32. Spec: "f4", "u1/<entries>" or
    "u2/<entries>"."""
    column = np.ascontiguousarray(column, dtype=np.float32)
    bits, codes = np.unique(column.view(np.uint32), return_inverse=True)
    rows, entries = len(column), len(bits)
    if entries <= 256:
        kind = "u1"
    elif entries <= 65536 and 2 * rows + 4 * entries < 4 * rows:
        kind = "u2"
    else:
        return "f4", column.tobytes()
    return f"{kind}/{entries}", codes.astype(CODECS[kind]).tobytes() + bits.tobytes()


def _kept(firm_ids: np.ndarray, firms: np.ndarray | None) -> np.ndarray | None:
    """Positions of the rows of ``firms`` (sorted), None for all rows."""
    if firms is None:
        return None
    if not len(firms):
        return np.empty(0, np.int64)
    at = np.minimum(np.searchsorted(firms, firm_ids), len(firms) - 1)
    keep = firms[at] == firm_ids
    return None if keep.all() else np.flatnonzero(keep)


class _Categories:
    """Category values of every part mapped to one code space (int32)."""

    def __init__(self) -> None:
        self.values: dict[str, list[Any]] = {name: [] for name in CATEGORIES}
        self._index: dict[str, dict[Any, int]] = {name: {} for name in CATEGORIES}

    def mapping(self, name: str, values: Sequence[Any]) -> np.ndarray:
        index, known = self._index[name], self.values[name]
        out = np.empty(len(values), dtype=np.int32)
        for i, value in enumerate(values):
            if value not in index:
                index[value] = len(known)
                known.append(value)
            out[i] = index[value]
        return out


def read_counted(
    session: Session,
    questionnaire_id: str,
    depth: str,
    questionnaire_hash: str,
    columns: list[str],
    firms: np.ndarray | None = None,
    expected: int = 0,
    compact_rows: int | None = BLOCK_ROWS,
) -> Read:
    """What ``live_results.read_rows(session, questionnaire_id, depth, questionnaire_hash,
    columns, firms=firms, expected=expected)`` returns (same rows in id order, meta dtypes,
    category lists and codes, ``scanned``, ``id_sum`` and ``last_id`` over all firms' rows),
    with the id ranges that have a block read from it.

    When at least ``compact_rows`` rows had to be read row by row (None: never), compaction
    starts in a background thread (``compact_in_background``)."""
    key = (questionnaire_id, depth, questionnaire_hash)
    if firms is not None and len(firms) > 1 and not np.all(firms[1:] >= firms[:-1]):
        firms = np.sort(firms)
    found: tuple[Read, int] | None = None
    for _ in range(VANISHED_RETRIES):
        try:
            found = _read_blocks(session, key, columns, firms, expected)
            break
        except _Vanished:
            log.info("a panel block of %s vanished while read: reading again", key)
    if found is None:
        read = read_rows(session, *key, columns, firms=firms, expected=expected)
        found = read, read.scanned
    read, uncovered = found
    _compact_if(session, key, uncovered, compact_rows)
    return read


class _Vanished(Exception):
    """A block was deleted (a write in its range) between reading its meta and its matrix."""


VANISHED_RETRIES = 3


def _read_blocks(
    session: Session,
    key: Key,
    columns: list[str],
    firms: np.ndarray | None,
    expected: int,
) -> tuple[Read, int]:
    """``read_counted``'s read, and how many rows it read row by row."""
    questionnaire_id, depth, questionnaire_hash = key
    full = vector_names(session, questionnaire_hash, depth)
    blocks = _usable(session, key, full)

    def rows_between(after: int, upto: int | None, size: int = 0) -> Read:
        return read_rows(
            session,
            questionnaire_id,
            depth,
            questionnaire_hash,
            columns,
            after_id=after,
            upto_id=upto,
            firms=firms,
            expected=size,
        )

    if not blocks:
        read = rows_between(0, None, expected)
        return read, read.scanned
    parts: list[Read | tuple[_Block, np.ndarray | None]] = []
    end = 0
    for block in blocks:
        if block.first_id > end + 1:
            parts.append(rows_between(end, block.first_id - 1))
        parts.append((block, _kept(block.meta["firm_id"], firms)))
        end = block.last_id
    parts.append(rows_between(end, None))

    total = scanned = id_sum = last_id = uncovered = 0
    for part in parts:
        if isinstance(part, Read):
            total += len(part.rows)
            uncovered += part.scanned
            scanned += part.scanned
            id_sum += part.id_sum
            if part.scanned:
                last_id = max(last_id, part.last_id)
        else:
            block, kept = part
            ids = block.meta["assessment_id"]
            total += block.rows if kept is None else len(kept)
            scanned += block.rows
            id_sum += int(ids.sum())
            if block.rows:
                last_id = max(last_id, int(ids[-1]))
    if not total:
        empty = empty_rows(columns)
        names = {name: [] for name in CATEGORIES}
        read = Read(Rows(columns, empty.matrix, empty.meta, names), scanned, id_sum, last_id)
        return read, uncovered

    reserve = reserve_for(total, len(columns))  # with room to append new submissions
    matrix = reserve.matrix[:total]
    meta = {name: np.empty(total, dtype=dtype) for name, _, dtype in META}
    category_codes = {name: np.empty(total, dtype=np.int32) for name in CATEGORIES}
    categories = _Categories()
    source = {name: i for i, name in enumerate(full)}
    picks = [source.get(name) for name in columns]
    start = 0
    for part in parts:
        if isinstance(part, Read):
            rows = part.rows
            count = len(rows)
            if not count:
                continue
            stop = start + count
            matrix[start:stop] = rows.matrix
            for name, _, _ in META:
                if name not in CATEGORIES:
                    meta[name][start:stop] = rows.meta[name].view(meta[name].dtype)
            for name in CATEGORIES:
                mapping = categories.mapping(name, rows.categories[name])
                category_codes[name][start:stop] = mapping[rows.meta[name]]
            start = stop
            continue
        block, kept = part
        count = block.rows if kept is None else len(kept)
        if not count:
            continue
        stop = start + count
        stored = _block_columns(session, block)
        if stored is None:
            raise _Vanished
        for j, i in enumerate(picks):
            target = matrix[start:stop, j]
            if i is None:
                target[:] = np.nan
                continue
            # mode="clip": indices are valid by construction, and with the default "raise"
            # numpy buffers ``out`` (three to four times slower).
            values, dictionary = stored[i]
            if dictionary is not None:
                picked = values if kept is None else np.take(values, kept, mode="clip")
                np.take(dictionary, picked, out=target, mode="clip")
            elif kept is None:
                target[:] = values
            else:
                np.take(values, kept, out=target, mode="clip")
        del stored
        for name, _, _ in META:
            values = block.meta[name] if kept is None else block.meta[name][kept]
            if name in CATEGORIES:
                mapping = categories.mapping(name, block.categories[name])
                category_codes[name][start:stop] = mapping[values] if len(mapping) else values
            else:
                meta[name][start:stop] = values
        start = stop
    # Category lists in order of first appearance among the kept rows, as ``read_rows`` builds.
    names: dict[str, list[Any]] = {}
    for name in CATEGORIES:
        local, uniques = pd.factorize(category_codes.pop(name))
        meta[name] = local.astype(np.int16)
        names[name] = [categories.values[name][u] for u in uniques]
    meta["submitted_at"] = meta["submitted_at"].view("datetime64[us]")
    rows = Rows(columns, matrix, meta, names, None, reserve)
    return Read(rows, scanned, id_sum, last_id), uncovered


# --- compaction --------------------------------------------------------------------------------


def _lock(session: Session, key: Key, first: int, last: int | None) -> None:
    """Hold the writers of panel rows off until commit, and drop the blocks of ``key`` that
    overlap [first, last] (replaced by the one about to be written)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("LOCK TABLE panel_resultados IN SHARE MODE")
    # On SQLite this first write takes the database's write lock for the whole transaction.
    overlapping = delete(PanelBlock).where(*_of(key), PanelBlock.last_id >= first)
    if last is not None:
        overlapping = overlapping.where(PanelBlock.first_id <= last)
    connection.execute(overlapping)


def _nth_id(session: Session, key: Key, after: int, upto: int, n: int) -> int | None:
    """The id of the ``n``-th row of ``key`` with ``after < id <= upto``, None if fewer."""
    query = (
        select(PanelRow.assessment_id)
        .where(*_rows_of(key), PanelRow.assessment_id > after, PanelRow.assessment_id <= upto)
        .order_by(PanelRow.assessment_id)
        .offset(n - 1)
        .limit(1)
    )
    return session.scalar(query)


def _cut(session: Session, key: Key, now: dt.datetime) -> int:
    """The highest id compaction may cover: the last row, and below the recent drafts."""
    questionnaire_id, depth, questionnaire_hash = key
    last = session.scalar(select(func.max(PanelRow.assessment_id)).where(*_rows_of(key))) or 0
    draft = session.scalar(
        select(func.min(Assessment.id)).where(
            Assessment.questionnaire_id == questionnaire_id,
            Assessment.depth == depth,
            Assessment.questionnaire_hash == questionnaire_hash,
            Assessment.status == "borrador",
            Assessment.updated_at >= now - DRAFT_HORIZON,
        )
    )
    return int(last) if draft is None else min(int(last), int(draft) - 1)


def _write(
    session: Session, key: Key, columns: list[str], first: int, last: int, compression: str
) -> int:
    """Store the rows of ``key`` with ``first <= id <= last`` as one block (the caller holds
    ``_lock``); returns the rows stored (no block when there are none)."""
    read = read_rows(session, *key, columns, after_id=first - 1, upto_id=last)
    rows = read.rows
    if not len(rows):
        return 0
    encoded = [_encode(rows.matrix[:, j]) for j in range(len(columns))]
    values: dict[str, Any] = {
        "questionnaire_id": key[0],
        "depth": key[1],
        "questionnaire_hash": key[2],
        "first_id": first,
        "last_id": last,
        "rows": len(rows),
        "columns": columns,
        "dtypes": [dtype for dtype, _ in encoded],
        "categories": rows.categories,
        "compression": compression,
        "matrix": _pack(np.frombuffer(b"".join(b for _, b in encoded), np.uint8), compression),
        "created_at": dt.datetime.now(dt.UTC),
    }
    for name, column, dtype in META:
        values[column] = _pack(rows.meta[name].view(dtype), compression)
    session.execute(insert(PanelBlock), values)
    return len(rows)


@dataclass(frozen=True)
class Compacted:
    blocks: int  # blocks written
    rows: int  # rows they hold
    dropped: int  # blocks deleted: written for another column layout, or overlapping another


def compact(
    session: Session,
    questionnaire_id: str,
    depth: str,
    questionnaire_hash: str,
    block_rows: int = BLOCK_ROWS,
    compression: str = COMPRESSION,
    now: dt.datetime | None = None,
) -> Compacted:
    """Write blocks for the rows of this version and depth that no block holds: every range
    between two blocks that has rows (``block_rows`` rows a block), and past the last block
    ``block_rows`` rows at a time while that many exist below the cut (``_cut``). Commits the
    session after each block (one short transaction each, writers waiting meanwhile).
    Idempotent; safe to run from several processes at once (the unique first id wins)."""
    key = (questionnaire_id, depth, questionnaire_hash)
    now = now or dt.datetime.now(dt.UTC)
    columns = vector_names(session, questionnaire_hash, depth)
    stale = [
        ident
        for ident, stored in session.execute(
            select(PanelBlock.id, PanelBlock.columns).where(*_of(key))
        )
        if stored != columns
    ]
    query = (
        select(PanelBlock.id, PanelBlock.first_id, PanelBlock.last_id)
        .where(*_of(key), PanelBlock.id.not_in(stale))
        .order_by(PanelBlock.first_id, PanelBlock.id)
    )
    gaps: list[tuple[int, int, bool]] = []  # (after, upto, bounded)
    end = 0
    for ident, first, last in session.execute(query).all():
        if first <= end:  # overlapping a block before it (readers skip it)
            stale.append(ident)
            continue
        if first > end + 1:
            gaps.append((end, first - 1, True))
        end = last
    if stale:
        session.execute(delete(PanelBlock).where(PanelBlock.id.in_(stale)))
    session.commit()
    limit = _cut(session, key, now)
    if limit > end:
        gaps.append((end, limit, False))
    written = stored = 0
    for after, upto, bounded in gaps:
        while after < upto:
            try:
                _lock(session, key, after + 1, upto if bounded else None)
                nth = _nth_id(session, key, after, upto, block_rows)
                if nth is None and not bounded:
                    session.rollback()
                    break
                last = upto if nth is None else nth
                count = _write(session, key, columns, after + 1, last, compression)
                session.commit()
            except IntegrityError:  # another process wrote this block first
                session.rollback()
                log.info("panel block %s from %d already written", key, after + 1)
                break
            written += 1 if count else 0
            stored += count
            after = last
    return Compacted(written, stored, len(stale))


_running: dict[Key, threading.Thread] = {}
_running_lock = threading.Lock()


def compact_in_background(
    engine: Engine, key: Key, block_rows: int = BLOCK_ROWS
) -> threading.Thread | None:
    """Run ``compact`` for ``key`` in a daemon thread with its own session (one per key and
    process at a time); None when one is already running. Errors are logged, never raised."""

    def work() -> None:
        try:
            with Session(engine) as session:
                done = compact(session, *key, block_rows=block_rows)
            log.info("panel %s compacted: %d blocks, %d rows", key, done.blocks, done.rows)
        except OperationalError as exc:  # busy or gone: the next full read tries again
            log.warning("panel %s not compacted: %s", key, exc)
        except Exception:
            log.exception("panel %s not compacted", key)
        finally:
            with _running_lock:
                _running.pop(key, None)

    with _running_lock:
        if key in _running:
            return None
        thread = threading.Thread(target=work, name="compactar-panel", daemon=True)
        _running[key] = thread
    thread.start()
    return thread


def wait_for_compaction(timeout: float | None = None) -> None:
    """Wait for the background compactions running now (tests, benchmarks)."""
    with _running_lock:
        threads = list(_running.values())
    for thread in threads:
        thread.join(timeout)


def _compact_if(session: Session, key: Key, uncovered: int, compact_rows: int | None) -> None:
    if compact_rows is not None and uncovered >= compact_rows:
        bind = session.get_bind()
        engine = bind if isinstance(bind, Engine) else bind.engine
        compact_in_background(engine, key, compact_rows)


def block_stats(session: Session) -> list[tuple[str, str, str, int, int]]:
    """(questionnaire id, depth, hash, blocks, rows) of every version with blocks."""
    query = (
        select(
            PanelBlock.questionnaire_id,
            PanelBlock.depth,
            PanelBlock.questionnaire_hash,
            func.count(),
            func.coalesce(func.sum(PanelBlock.rows), 0),
        )
        .group_by(PanelBlock.questionnaire_id, PanelBlock.depth, PanelBlock.questionnaire_hash)
        .order_by(PanelBlock.questionnaire_id, PanelBlock.depth, PanelBlock.questionnaire_hash)
    )
    return [(q, d, h, int(n), int(r)) for q, d, h, n, r in session.execute(query)]


# --- triggers (migration 0010 and ``metadata.create_all``) ---------------------------------------

BLOBS = (*(column for _, column, _ in META), "matrix")
SQLITE_TRIGGERS = (
    "panel_bloques_al_agregar",
    "panel_bloques_al_cambiar",
    "panel_bloques_al_borrar",
    "panel_bloques_por_formato",
    "panel_bloques_por_formato_cambio",
    "panel_bloques_por_formato_borrado",
)
POSTGRES_TRIGGERS = (
    ("panel_bloques_al_agregar", "panel_resultados"),
    ("panel_bloques_al_cambiar", "panel_resultados"),
    ("panel_bloques_al_borrar", "panel_resultados"),
    ("panel_bloques_al_vaciar", "panel_resultados"),
    ("panel_bloques_por_formato", "panel_formatos"),
)
POSTGRES_FUNCTIONS = ("panel_bloques_invalidar", "panel_bloques_invalidar_formato")


def _holding(row: str) -> str:
    """The blocks whose range holds panel row ``row`` (SQLite trigger)."""
    return (
        f"DELETE FROM panel_bloques WHERE questionnaire_id = {row}.questionnaire_id"
        f" AND depth = {row}.depth AND questionnaire_hash = {row}.questionnaire_hash"
        f" AND last_id >= {row}.assessment_id AND first_id <= {row}.assessment_id;"
    )


def _of_layout(row: str) -> str:
    """The blocks of the version of layout ``row``."""
    return (
        f"DELETE FROM panel_bloques WHERE questionnaire_hash = {row}.questionnaire_hash"
        f" AND depth = {row}.depth;"
    )


def _holding_any(rows: str) -> str:
    """The blocks whose range holds any row of transition table ``rows`` (PostgreSQL)."""
    return (
        f"DELETE FROM panel_bloques b WHERE EXISTS (SELECT 1 FROM {rows} r"
        " WHERE r.questionnaire_id = b.questionnaire_id AND r.depth = b.depth"
        " AND r.questionnaire_hash = b.questionnaire_hash"
        " AND r.assessment_id BETWEEN b.first_id AND b.last_id);"
    )


def trigger_ddl(dialect: str) -> list[str]:
    """Statements that create the triggers keeping ``panel_bloques`` exact: inserting,
    updating or deleting a panel row deletes the blocks whose range holds it (old and new
    values); any change of a vector layout deletes its version's blocks. PostgreSQL uses
    statement triggers with transition tables on ``panel_resultados`` (a ``COPY`` of 50 000
    rows runs one DELETE, not 50 000). Drop them first (``drop_ddl``) to replace them."""
    if dialect == "sqlite":
        on = "AFTER {event} ON {table} BEGIN {body} END"
        return [
            f"CREATE TRIGGER {name} " + on.format(event=event, table=table, body=body)
            for name, event, table, body in (
                (SQLITE_TRIGGERS[0], "INSERT", "panel_resultados", _holding("NEW")),
                (
                    SQLITE_TRIGGERS[1],
                    "UPDATE",
                    "panel_resultados",
                    _holding("OLD") + " " + _holding("NEW"),
                ),
                (SQLITE_TRIGGERS[2], "DELETE", "panel_resultados", _holding("OLD")),
                (SQLITE_TRIGGERS[3], "INSERT", "panel_formatos", _of_layout("NEW")),
                (
                    SQLITE_TRIGGERS[4],
                    "UPDATE",
                    "panel_formatos",
                    _of_layout("OLD") + " " + _of_layout("NEW"),
                ),
                (SQLITE_TRIGGERS[5], "DELETE", "panel_formatos", _of_layout("OLD")),
            )
        ]
    if dialect != "postgresql":
        raise NotImplementedError(f"no panel block triggers for {dialect}")
    rows_function = (
        "CREATE OR REPLACE FUNCTION panel_bloques_invalidar() RETURNS trigger"
        " LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_holding_any('filas_nuevas')} END IF;\n"
        f"  IF TG_OP IN ('DELETE', 'UPDATE') THEN {_holding_any('filas_viejas')} END IF;\n"
        "  IF TG_OP = 'TRUNCATE' THEN DELETE FROM panel_bloques; END IF;\n"
        "  RETURN NULL;\nEND $$"
    )
    layout_function = (
        "CREATE OR REPLACE FUNCTION panel_bloques_invalidar_formato() RETURNS trigger"
        " LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"  IF TG_OP IN ('INSERT', 'UPDATE') THEN {_of_layout('NEW')} END IF;\n"
        f"  IF TG_OP IN ('DELETE', 'UPDATE') THEN {_of_layout('OLD')} END IF;\n"
        "  RETURN NULL;\nEND $$"
    )
    statement = "FOR EACH STATEMENT EXECUTE FUNCTION panel_bloques_invalidar()"
    return [
        rows_function,
        layout_function,
        "CREATE TRIGGER panel_bloques_al_agregar AFTER INSERT ON panel_resultados"
        f" REFERENCING NEW TABLE AS filas_nuevas {statement}",
        "CREATE TRIGGER panel_bloques_al_cambiar AFTER UPDATE ON panel_resultados"
        f" REFERENCING OLD TABLE AS filas_viejas NEW TABLE AS filas_nuevas {statement}",
        "CREATE TRIGGER panel_bloques_al_borrar AFTER DELETE ON panel_resultados"
        f" REFERENCING OLD TABLE AS filas_viejas {statement}",
        f"CREATE TRIGGER panel_bloques_al_vaciar AFTER TRUNCATE ON panel_resultados {statement}",
        "CREATE TRIGGER panel_bloques_por_formato AFTER INSERT OR UPDATE OR DELETE"
        " ON panel_formatos FOR EACH ROW EXECUTE FUNCTION panel_bloques_invalidar_formato()",
    ]


def drop_ddl(dialect: str) -> list[str]:
    """Statements that remove the triggers (and PostgreSQL's functions)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS]
    statements = [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in POSTGRES_TRIGGERS]
    return statements + [f"DROP FUNCTION IF EXISTS {name}()" for name in POSTGRES_FUNCTIONS]


def tables_present(connection: Connection) -> bool:
    """Whether the tables the triggers touch exist (``create_all`` may build only some)."""
    inspector = inspect(connection)
    return all(
        inspector.has_table(name)
        for name in ("panel_resultados", "panel_formatos", "panel_bloques")
    )


def install(connection: Connection) -> None:
    """Create (or replace) the triggers. A later migration that rebuilds ``panel_resultados``
    or ``panel_formatos`` (a SQLite batch copy drops a table's triggers) must call it again.
    On PostgreSQL, the blobs are stored without TOAST compression (numpy bytes read whole:
    no pglz to undo on every read)."""
    dialect = connection.dialect.name
    for statement in (*drop_ddl(dialect), *trigger_ddl(dialect)):
        connection.exec_driver_sql(statement)
    if dialect == "postgresql":
        for name in BLOBS:
            connection.exec_driver_sql(
                f"ALTER TABLE panel_bloques ALTER COLUMN {name} SET STORAGE EXTERNAL"
            )


def uninstall(connection: Connection) -> None:
    for statement in drop_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
