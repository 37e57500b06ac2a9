"""Panel rows held in memory by a server process and kept current by appending (issue 11).

A ``LiveResults`` holds the counted firms' panel rows of one questionnaire version and depth
as compact arrays (a float32 matrix of the wanted vector columns, int16 codes for the profile).
A full read stores them sorted by firm, submission time and assessment id; later rows are
appended after them, into room the matrix keeps for them, with the order kept as positions
(``Rows.order``): a new submission never copies the matrix, and the snapshot shown meanwhile
keeps its rows (the prefix it holds is never written again). ``refresh`` reads the data version from
the database (``storage.results_table.data_version``, never a TTL, so replicas agree) and:

- reads only the rows with an id above the last one seen when rows were only added (the
  count and the sum of ids it kept track of say so), and merges them in;
- drops the rows of firms that stopped counting and reads the rows of firms that started
  (consent given or withdrawn, a firm verified) when the consent part of the version changed;
- reads everything again only when rows disappeared (a firm deleted).

Rows are read ``CHUNK_ROWS`` at a time (keyset on the id) straight into preallocated arrays,
so a million rows never sit in memory as Python tuples.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BigInteger, cast, func, or_, select, true
from sqlalchemy.orm import Session

from storage.models import Firm, PanelRow
from storage.results_table import (
    QUESTION_PREFIX,
    STATE_CODES,
    _raw,
    data_version,
    layouts,
)

CHUNK_ROWS = 20_000
FIRMS_PER_QUERY = 5000  # PostgreSQL takes at most 65 535 parameters
CATEGORIES = ("size_class", "region")
# Read per row; the questionnaire id, version and hash are the same for every row of a read.
ROW_COLUMNS = (
    "assessment_id",
    "firm_id",
    "submitted_at",
    "is_demo",
    "ciiu_division",
    "size_class",
    "region",
    "vector_format",
)
MERGE_ONE_BY_ONE = 2000  # up to this many new rows are placed by binary search, not a full sort


def counted_firm_ids(session: Session, demo: bool = True) -> np.ndarray:
    """Sorted ids of the firms whose results count.

    ``demo=True`` (staff panel, as ``results_table.load_results_frame``): consent to statistics
    and verified, or a demo firm (the panel filters demo rows itself). ``demo=False`` (peers on
    the results page, as ``storage.peers.peer_scores``): consent to statistics, verified by SNI
    staff and not a demo firm."""
    query = select(Firm.id).where(Firm.consent_statistics.is_(true()))
    if demo:
        query = query.where(or_(Firm.verified_at.is_not(None), Firm.is_demo.is_(True)))
    else:
        query = query.where(Firm.verified_at.is_not(None), Firm.is_demo.is_(False))
    # Straight from the driver's cursor (the query has only constants): 800 000 ids in
    # 0,8 s on SQLite, against 2 s through the ORM and 1,4 s through Core rows.
    connection = session.connection()
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        found = cursor.fetchall()
    finally:
        cursor.close()
    return np.sort(np.fromiter((row[0] for row in found), dtype=np.int64, count=len(found)))


def vector_names(
    session: Session, questionnaire_hash: str, depth: str, prefixes: Sequence[str] | None = None
) -> list[str]:
    """Vector column names of one version (the union of its formats, newest format first);
    only those starting with one of ``prefixes`` when given."""
    found = layouts(session, [questionnaire_hash], depth)
    names: dict[str, None] = {}
    for key in sorted(found, key=lambda k: -k[1]):
        names.update(dict.fromkeys(found[key]))
    if prefixes is not None:
        return [n for n in names if n.startswith(tuple(prefixes))]
    return list(names)


@dataclass
class Reserve:
    """A column-major matrix with room after its rows. ``used`` rows belong to the newest
    ``Rows`` made on it; only that one may append (older ones are prefixes of it, shown by
    other sessions meanwhile). Untouched room costs address space, not memory: the pages of
    a large ``np.empty`` become resident when first written."""

    matrix: np.ndarray
    used: int


ROOM = 8  # a full read or copy leaves room for 1/ROOM more rows (at least MIN_ROOM)
MIN_ROOM = 1024


def _room(rows: int) -> int:
    return rows + max(MIN_ROOM, rows // ROOM)


def reserve_for(rows: int, width: int) -> Reserve:
    """An unfilled column-major matrix of ``rows`` rows (``used``) and room after them."""
    return Reserve(_column_major(_room(rows), width), rows)


@dataclass
class Rows:
    """Panel rows in memory: ``meta`` arrays (``ROW_COLUMNS``; ``submitted_at`` datetime64[us]
    UTC; ``size_class`` and ``region`` int16 codes into ``categories``) and a float32
    ``matrix`` of ``columns``, row i of each the same assessment.

    ``order`` lists the positions sorted by firm, submission time and assessment id when the
    rows are not stored in that order (rows appended by ``merge``); None when they are.
    ``reserve``, when set, is the matrix ``matrix`` is the start of (room to append)."""

    columns: list[str]
    matrix: np.ndarray
    meta: dict[str, np.ndarray]
    categories: dict[str, list[str]] = field(default_factory=lambda: {c: [] for c in CATEGORIES})
    order: np.ndarray | None = None
    reserve: Reserve | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.matrix)

    def sorted_positions(self) -> np.ndarray:
        """Positions in firm, submission time and assessment id order."""
        return self.order if self.order is not None else np.arange(len(self))

    def take(self, positions: np.ndarray) -> Rows:
        """The rows at ``positions``, stored in that order (copied, with room to append)."""
        meta = {name: values[positions] for name, values in self.meta.items()}
        reserve = _take_rows(self.matrix, positions)
        return Rows(
            self.columns, reserve.matrix[: reserve.used], meta, self.categories, None, reserve
        )

    def without_firms(self, gone: np.ndarray) -> Rows:
        """These rows but those of the firms ``gone`` (sorted), in the same order."""
        keep = ~np.isin(self.meta["firm_id"], gone)
        kept = self.take(np.flatnonzero(keep))
        if self.order is not None:
            renumbered = np.cumsum(keep) - 1
            kept.order = renumbered[self.order[keep[self.order]]]
        return kept

    def sorted_in_place(self, positions: np.ndarray) -> Rows:
        """These rows put in ``positions`` order, column by column in their own arrays: only
        one column is ever copied at a time (``take`` would hold a second 470 MB matrix at a
        million rows). Only for rows nobody else holds yet (a fresh read)."""
        for j in range(self.matrix.shape[1]):
            self.matrix[:, j] = self.matrix[:, j][positions]
        self.meta = {name: values[positions] for name, values in self.meta.items()}
        self.order = None
        return self

    def sort_order(self) -> np.ndarray:
        """Positions sorted by firm, submission time and assessment id (computed)."""
        meta = self.meta
        return np.lexsort(
            (meta["assessment_id"], meta["submitted_at"].view("int64"), meta["firm_id"])
        )

    def recoded(self, categories: dict[str, list[str]]) -> Rows:
        """The same rows with codes into ``categories`` (extended with new values, in place)."""
        meta = dict(self.meta)
        for name in CATEGORIES:
            target = categories[name]
            index = {value: i for i, value in enumerate(target)}
            mapping = np.empty(len(self.categories[name]), dtype=np.int16)
            for code, value in enumerate(self.categories[name]):
                if value not in index:
                    index[value] = len(target)
                    target.append(value)
                mapping[code] = index[value]
            meta[name] = mapping[meta[name]] if len(mapping) else meta[name]
        return Rows(self.columns, self.matrix, meta, categories, self.order, self.reserve)


def _column_major(rows: int, width: int) -> np.ndarray:
    """An empty float32 matrix stored column by column (Fortran order): the staff frame's
    columns are then contiguous arrays (``as_frame`` shares it), ten times faster to scan
    than every 127th float of a row-major matrix."""
    return np.empty((rows, width), dtype=np.float32, order="F")


def _take_rows(matrix: np.ndarray, positions: np.ndarray) -> Reserve:
    """``matrix[positions]``, column-major, with room after the rows."""
    reserve = reserve_for(len(positions), matrix.shape[1])
    for j in range(matrix.shape[1]):
        reserve.matrix[: len(positions), j] = matrix[:, j][positions]
    return reserve


def _appended(base: Rows, new: np.ndarray) -> tuple[np.ndarray, Reserve]:
    """``base``'s matrix with the rows ``new`` after it: written into ``base``'s room when
    ``base`` is the newest rows of its reserve and the room suffices (nothing copied; the
    rows ``base`` holds are not touched), else into a new reserve (one copy)."""
    n, k = len(base), len(new)
    reserve = base.reserve
    if reserve is None or reserve.used != n or n + k > len(reserve.matrix):
        reserve = reserve_for(n + k, base.matrix.shape[1])
        reserve.matrix[:n] = base.matrix
    reserve.matrix[n : n + k] = new
    reserve.used = n + k
    return reserve.matrix[: n + k], reserve


def empty_rows(columns: list[str]) -> Rows:
    meta = {
        "assessment_id": np.empty(0, np.int64),
        "firm_id": np.empty(0, np.int64),
        "submitted_at": np.empty(0, "datetime64[us]"),
        "is_demo": np.empty(0, bool),
        "ciiu_division": np.empty(0, np.int16),
        "size_class": np.empty(0, np.int16),
        "region": np.empty(0, np.int16),
        "vector_format": np.empty(0, np.int16),
    }
    return Rows(columns, _column_major(0, len(columns)), meta)


class _Growing:
    """Arrays filled chunk by chunk, preallocated (a list of chunks to concatenate would
    double the peak memory at a million rows)."""

    def __init__(self, width: int, capacity: int) -> None:
        self.size = 0
        self.matrix = _column_major(max(capacity, 1), width)
        self.meta: dict[str, np.ndarray] = {}

    def _grow(self, needed: int) -> None:
        capacity = max(needed, int(len(self.matrix) * 1.5))
        matrix = _column_major(capacity, self.matrix.shape[1])
        matrix[: self.size] = self.matrix[: self.size]
        self.matrix = matrix
        for name, values in self.meta.items():
            grown = np.empty(capacity, dtype=values.dtype)
            grown[: self.size] = values[: self.size]
            self.meta[name] = grown

    def add(self, matrix: np.ndarray, meta: Mapping[str, np.ndarray]) -> None:
        count = len(matrix)
        if self.size + count > len(self.matrix):
            self._grow(self.size + count)
        self.matrix[self.size : self.size + count] = matrix
        for name, values in meta.items():
            if name not in self.meta:
                self.meta[name] = np.empty(len(self.matrix), dtype=values.dtype)
            self.meta[name][self.size : self.size + count] = values
        self.size += count


def _times(values: Sequence[Any]) -> np.ndarray:
    """Microseconds since 1970 (PostgreSQL, ``_epoch_us``), naive UTC text (SQLite) or UTC
    datetimes as datetime64[us]."""
    if len(values) and isinstance(values[0], int):
        return np.asarray(values, dtype=np.int64).view("datetime64[us]")
    if len(values) and isinstance(values[0], str):
        return np.array(values, dtype="datetime64[us]")
    return np.array(
        [v.astimezone(dt.UTC).replace(tzinfo=None) for v in values], dtype="datetime64[us]"
    )


def _matrix(
    blobs: Sequence[bytes],
    formats: np.ndarray,
    found: Mapping[tuple[str, int], list[str]],
    questionnaire_hash: str,
    columns: list[str],
) -> np.ndarray:
    """The requested vector columns of one chunk (NaN where a format lacks one); question codes
    become the level the engine counts, as in ``results_table.load_results_frame``."""
    out = np.full((len(blobs), len(columns)), np.nan, dtype=np.float32)
    for vector_format in np.unique(formats):
        layout = found.get((questionnaire_hash, int(vector_format)))
        if layout is None:  # no layout recorded: profile columns only
            continue
        rows = np.flatnonzero(formats == vector_format)
        raw = b"".join(blobs[i] for i in rows)
        if len(raw) != 4 * len(layout) * len(rows):
            raise ValueError("a stored vector does not match its layout")
        matrix = np.frombuffer(raw, dtype=np.float32).reshape(len(rows), len(layout))
        position = {name: i for i, name in enumerate(layout)}
        targets = [j for j, name in enumerate(columns) if name in position]
        if len(rows) == len(blobs):
            out[:, targets] = matrix[:, [position[columns[j]] for j in targets]]
        else:
            out[np.ix_(rows, targets)] = matrix[:, [position[columns[j]] for j in targets]]
    questions = np.array([c.startswith(QUESTION_PREFIX) for c in columns], dtype=bool)
    if questions.any():
        codes = out[:, questions]
        counted = codes >= STATE_CODES["sin_respuesta"]
        out[:, questions] = np.where(counted, np.maximum(codes, 0), np.nan)
    return out


@dataclass(frozen=True)
class Read:
    """What ``read_rows`` kept, and the count and sum of the ids it scanned (all firms)."""

    rows: Rows
    scanned: int
    id_sum: int
    last_id: int


def read_rows(
    session: Session,
    questionnaire_id: str,
    depth: str,
    questionnaire_hash: str,
    columns: list[str],
    *,
    after_id: int = 0,
    upto_id: int | None = None,
    firms: np.ndarray | None = None,
    only_firms: Sequence[int] | None = None,
    expected: int = 0,
    chunk: int = CHUNK_ROWS,
) -> Read:
    """Panel rows with ``after_id < assessment_id <= upto_id``, in id order, ``chunk`` rows at
    a time (keyset on the id), decoded into preallocated arrays.

    ``firms`` (sorted, ``counted_firm_ids``) keeps only those firms' rows, applied in numpy
    chunk by chunk (a join would make SQLite look up every firm row by row); ``only_firms``
    reads just those firms' rows. ``expected`` sizes the arrays (a row count)."""
    table = PanelRow.__table__
    found = layouts(session, [questionnaire_hash], depth)
    out = _Growing(len(columns), _room(expected) if expected else min(chunk, 1024))
    categories: dict[str, dict[str, int]] = {name: {} for name in CATEGORIES}
    scanned = id_sum = 0
    last_id = after_id
    targets: list[list[int] | None] = [None]
    if only_firms is not None:
        wanted = sorted({int(f) for f in only_firms})
        targets = [wanted[i : i + FIRMS_PER_QUERY] for i in range(0, len(wanted), FIRMS_PER_QUERY)]
    connection = session.connection()
    selected = {name: _raw(table.c[name]) for name in ROW_COLUMNS}
    if connection.dialect.name == "postgresql":  # integers, not a datetime object per row
        epoch = func.extract("epoch", table.c.submitted_at) * 1_000_000
        selected["submitted_at"] = cast(func.round(epoch), BigInteger).label("submitted_at")
    for target in targets:
        last = after_id
        while True:
            query = (
                select(*(selected[name] for name in ROW_COLUMNS), _raw(table.c.vector))
                .where(
                    PanelRow.questionnaire_id == questionnaire_id,
                    PanelRow.depth == depth,
                    PanelRow.questionnaire_hash == questionnaire_hash,
                    PanelRow.assessment_id > last,
                )
                .order_by(PanelRow.assessment_id)
                .limit(chunk)
            )
            if upto_id is not None:
                query = query.where(PanelRow.assessment_id <= upto_id)
            if target is not None:
                query = query.where(PanelRow.firm_id.in_(target))
            batch = connection.execute(query).all()
            if not batch:
                break
            values = list(zip(*batch, strict=True))
            del batch
            ids = np.asarray(values[0], dtype=np.int64)
            last = int(ids[-1])
            last_id = max(last_id, last)
            scanned += len(ids)
            id_sum += int(ids.sum())
            firm_ids = np.asarray(values[1], dtype=np.int64)
            keep = np.isin(firm_ids, firms) if firms is not None else np.ones(len(ids), bool)
            if keep.any():
                rows = np.flatnonzero(keep)
                formats = np.asarray(values[7], dtype=np.int16)[rows]
                meta = {
                    "assessment_id": ids[rows],
                    "firm_id": firm_ids[rows],
                    "submitted_at": _times([values[2][i] for i in rows]),
                    "is_demo": np.asarray(values[3], dtype=bool)[rows],
                    "ciiu_division": np.asarray(values[4], dtype=np.int16)[rows],
                    "vector_format": formats,
                }
                for name, index in zip(CATEGORIES, (5, 6), strict=True):
                    codes = categories[name]
                    picked = np.asarray(values[index], dtype=object)[rows]
                    local, uniques = pd.factorize(picked, use_na_sentinel=False)
                    mapping = [codes.setdefault(value, len(codes)) for value in uniques]
                    meta[name] = np.asarray(mapping, dtype=np.int16)[local]
                blobs = [values[8][i] for i in rows]
                out.add(_matrix(blobs, formats, found, questionnaire_hash, columns), meta)
            if len(ids) < chunk:
                break
    names = {name: list(codes) for name, codes in categories.items()}
    if not out.size:
        empty = empty_rows(columns)
        return Read(Rows(columns, empty.matrix, empty.meta, names), scanned, id_sum, last_id)
    meta = {name: values[: out.size] for name, values in out.meta.items()}
    reserve = Reserve(out.matrix, out.size)  # the room left after reading is kept
    rows = Rows(columns, reserve.matrix[: out.size], meta, names, None, reserve)
    return Read(rows, scanned, id_sum, last_id)


def merge(base: Rows, new: Rows) -> Rows:
    """``base`` with the rows ``new`` stored after its own (``_appended``: no copy of
    ``base``'s matrix while its reserve has room) and placed in firm, time and id order by
    ``order``."""
    if not len(new):
        return base
    new = new.recoded(base.categories)
    new = new.take(new.sort_order())
    if not len(base):
        return new
    matrix, reserve = _appended(base, new.matrix)
    meta = {k: np.concatenate([base.meta[k], new.meta[k]]) for k in base.meta}
    combined = Rows(base.columns, matrix, meta, base.categories, None, reserve)
    if len(new) > MERGE_ONE_BY_ONE:
        combined.order = combined.sort_order()
        return combined
    before = base.sorted_positions()
    firms = base.meta["firm_id"][before]
    times = base.meta["submitted_at"].view("int64")[before]
    ids = base.meta["assessment_id"][before]
    positions = np.empty(len(new), dtype=np.int64)
    for i in range(len(new)):
        firm = new.meta["firm_id"][i]
        key = (int(new.meta["submitted_at"][i].view("int64")), int(new.meta["assessment_id"][i]))
        lo = int(np.searchsorted(firms, firm, "left"))
        hi = int(np.searchsorted(firms, firm, "right"))
        while lo < hi and (int(times[lo]), int(ids[lo])) < key:
            lo += 1
        positions[i] = lo
    combined.order = np.insert(before, positions, len(base) + np.arange(len(new)))
    return combined


@dataclass(frozen=True)
class Snapshot:
    """The rows of one data version (read-only: shared by every session of the process)."""

    version: tuple
    rows: Rows


class LiveResults:
    """The counted firms' panel rows of one questionnaire version and depth, for one process.

    ``columns`` are the vector columns to keep (all of the version's when None); ``demo`` as
    in ``counted_firm_ids``. Thread-safe: sessions share one instance and its snapshots."""

    def __init__(
        self,
        questionnaire_id: str,
        depth: str,
        questionnaire_hash: str,
        columns: Sequence[str] | None = None,
        prefixes: Sequence[str] | None = None,
        demo: bool = True,
    ) -> None:
        self.questionnaire_id = questionnaire_id
        self.depth = depth
        self.questionnaire_hash = questionnaire_hash
        self._columns = list(columns) if columns is not None else None
        self._prefixes = tuple(prefixes) if prefixes is not None else None
        self.demo = demo
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._firms = np.empty(0, np.int64)
        self._scanned = (0, 0, 0)  # rows seen (all firms): count, sum of ids, max id
        self.reads = {"completa": 0, "nuevas": 0, "consentimiento": 0}  # for tests and benchmarks

    def _read(self, session: Session, columns: list[str], **options: Any) -> Read:
        return read_rows(
            session,
            self.questionnaire_id,
            self.depth,
            self.questionnaire_hash,
            columns,
            **options,
        )

    def refresh(self, session: Session) -> Snapshot:
        """The snapshot of the database's current data version (read on every call)."""
        version = data_version(session, self.questionnaire_id, self.depth, self.questionnaire_hash)
        current = self._snapshot
        if current is not None and current.version == version:
            return current
        with self._lock:
            current = self._snapshot
            if current is not None and current.version == version:
                return current
            self._snapshot = self._update(session, current, version)
            return self._snapshot

    def _update(self, session: Session, current: Snapshot | None, version: tuple) -> Snapshot:
        count, max_id, id_sum = version[:3]
        seen_count, seen_sum, seen_max = self._scanned
        columns = self._columns
        if columns is None:
            columns = vector_names(session, self.questionnaire_hash, self.depth, self._prefixes)
        same_layout = current is not None and current.rows.columns == columns
        if current is not None and same_layout and version[3:] == current.version[3:]:
            firms = self._firms  # only submissions changed: the counted firms are the same
        else:
            firms = counted_firm_ids(session, self.demo)
        if not same_layout or count < seen_count or (count == seen_count and id_sum != seen_sum):
            return self._full(session, columns, firms, version)
        rows = current.rows
        if not np.array_equal(firms, self._firms):
            gone = np.setdiff1d(self._firms, firms, assume_unique=True)
            added = np.setdiff1d(firms, self._firms, assume_unique=True)
            if len(gone):
                rows = rows.without_firms(gone)
            if len(added):
                self.reads["consentimiento"] += 1
                joined = self._read(session, columns, only_firms=added, upto_id=seen_max)
                rows = merge(rows, joined.rows)
        if count != seen_count:
            self.reads["nuevas"] += 1
            new = self._read(session, columns, after_id=seen_max, firms=firms)
            if seen_count + new.scanned != count or seen_sum + new.id_sum != id_sum:
                return self._full(session, columns, firms, version)  # rows vanished meanwhile
            rows = merge(rows, new.rows)
            self._scanned = (count, id_sum, max(seen_max, new.last_id))
        # Only now, with every read done: a read that fails leaves the firms of the snapshot
        # still shown, so the next refresh makes the same change again.
        self._firms = firms
        return Snapshot(version, rows)

    def _full(self, session: Session, columns: list[str], firms: np.ndarray, version: tuple):
        self.reads["completa"] += 1
        self._snapshot = None  # let the old rows go before reading the new ones
        from storage.panel_blocks import read_counted  # local: panel_blocks imports this module

        # Covered id ranges come from the persisted column blocks (a few large reads).
        read = read_counted(
            session,
            self.questionnaire_id,
            self.depth,
            self.questionnaire_hash,
            columns,
            firms=firms,
            expected=int(version[0]),
        )
        self._firms = firms
        self._scanned = (read.scanned, read.id_sum, read.last_id)
        rows = read.rows
        order = rows.sort_order()
        if not np.array_equal(order, np.arange(len(order))):
            rows = rows.sorted_in_place(order)
        return Snapshot(version, rows)


def as_frame(rows: Rows, version: str = "", content_hash: str = "") -> pd.DataFrame:
    """The rows as the staff frame of ``results_table.load_results_frame`` (same columns;
    scores float32, profile categorical), sharing the score matrix (no copy): in the order
    the rows are stored (``rows.sorted_positions()`` gives that of ``load_results_frame``)."""
    meta = rows.meta
    n = len(rows)
    frame = pd.DataFrame(
        {
            "assessment_id": meta["assessment_id"],
            "firm_id": meta["firm_id"],
            "questionnaire_version": pd.Categorical.from_codes(np.zeros(n, np.int8), [version]),
            "questionnaire_hash": pd.Categorical.from_codes(np.zeros(n, np.int8), [content_hash]),
            "submitted_at": pd.DatetimeIndex(meta["submitted_at"]).tz_localize("UTC"),
            "is_demo": meta["is_demo"],
            "ciiu_division": meta["ciiu_division"],
            "size_class": _categorical(meta["size_class"], rows.categories["size_class"]),
            "region": _categorical(meta["region"], rows.categories["region"]),
        },
        copy=False,
    )
    scores = pd.DataFrame(rows.matrix, columns=rows.columns, copy=False)
    return pd.concat([frame, scores], axis=1)


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    if not categories:
        return pd.Categorical.from_codes(np.full(len(codes), -1, np.int8), [])
    return pd.Categorical.from_codes(codes, categories)
