"""The staff panel's figures from statistics summed per group of firms (issue 11).

A filter of the panel is a period (all, a year, a quarter) and a set of profile cells (a cell
is one CIIU division, size, region and demo flag: sector groups, sizes, regions and «DEMO»
are unions of cells). For each period the cube keeps, per cell, what the published figures
need of each firm's latest assessment in that period: how many firms and assessments, how
many finite values and their bounded sum (``privacy.step_values``) per column, counts of the
small codes (level, legal floor, requirements, provisional), the first and latest scores of
firms assessed twice, and each firm's rank code (``privacy.rank_codes``) for the quantiles.
A filter change then sums a few thousand cells and counts rank codes, instead of going over
every assessment again; the figures are exactly those of ``scoring.aggregates.cut`` on the
rows (same mechanism inputs, so the same remembered releases: tests compare both).

A firm whose assessments of one period fall in two or more cells (it moved to another size,
region or division) is kept apart with its rows: which of its assessments is its latest in
a cut depends on the cells chosen, so its part is computed from its rows at each filter.

Periods are built on first use (a year or quarter when chosen, each quarter with only the
global score for the trend) and kept while the cube lives: one cube per data version.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from scoring import privacy
from scoring.aggregates import (
    LIMA,
    MIN_GROUP,
    Cut,
    Filters,
    Progress,
    _micros,
    _quarters,
    check_fixed,
    period_bounds,
    period_label,
    published_counts,
    relaxations,
    reserved_cut,
    sort_order,
)
from scoring.cut_tables import ArraysTable, Bounds, Column, Summed, Table, Values

META = (
    "assessment_id",
    "firm_id",
    "questionnaire_version",
    "questionnaire_hash",
    "submitted_at",
    "is_demo",
    "ciiu_division",
    "size_class",
    "region",
)
# What the cube keeps of each row in firm, time and id order (the scores stay in the frame).
PROFILE = ("firm_id", "submitted_at", "ciiu_division", "size_class", "region", "is_demo")
SCORE_PREFIXES = ("dim_", "idx_", "ruta_", "eje_")
SCORES = ("global", "global_sin_no_se", "global_maximo")
SMALL_CODES = 8  # level 1–5, floor and provisional 0/1, requirement codes 0–4
SMALL_PREFIXES = ("req_",)
QUESTION_PREFIX = "preg_"
SMALL = ("nivel", "piso_legal", "provisional")
UNIT_GRID = privacy.SCORE_CANDIDATES
LOG_GRID = privacy.LOG_GRID
PRACTICE_BOUNDS = (0.0, 4.0)
SCORE_BOUNDS = privacy.SCORE_BOUNDS
CHANGE_BOUNDS = (-100.0, 100.0)


def _is_score(name: str) -> bool:
    return name in SCORES or name.startswith(SCORE_PREFIXES)


def _bounds_of(name: str) -> Bounds | None:
    """The bounds a column's mean is published with (None: it has no published mean)."""
    if _is_score(name):
        return SCORE_BOUNDS
    if name.startswith("preg_"):
        return PRACTICE_BOUNDS
    return None


def _grid_of(name: str) -> tuple[float, ...] | None:
    """The quantile candidates of a column (None: no published quantile)."""
    if _is_score(name):
        return UNIT_GRID
    if name.startswith("ind_"):
        return LOG_GRID
    return None


def _is_small(name: str) -> bool:
    return name in SMALL or name.startswith(SMALL_PREFIXES)


def _codes_dtype(grid: Sequence[float]) -> type:
    return np.uint8 if 2 * len(grid) + 2 < 256 else np.uint16


SNAPSHOT_FORMAT = 1
_WINDOW_COUNTS = ("rows", "firms", "repeated", "big_cells", "small_cells")
_WINDOW_TABLES = ("finite", "steps", "dense", "codes", "small", "progress")


ROWS_WAIT_SECONDS = 120  # a cut of a saved cube waits this long at most for its rows
# What ``attach`` takes from the rows (the rest of a saved cube is its own).
ROW_ATTRIBUTES = ("_frame", "_order", "_firm", "_time", "_quarter", "_division", "_cell")


class RowsMissing(RuntimeError):
    """A saved cube was asked for a period it does not hold, and its rows never came."""


BIG_CELL = 64  # firms from which a cell keeps its quantile histograms summed
BUILD_THREADS = 2


@dataclass
class Moving:
    """Rows of the firms that fall in two or more cells in a window, in firm and time order:
    ``firm``, ``cell``, ``ciiu_division`` and the window's columns."""

    arrays: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.arrays["firm_id"])

    def select(self, selected: np.ndarray) -> Moving:
        kept = selected[self.arrays["_cell"]]
        return Moving({name: values[kept] for name, values in self.arrays.items()})

    def _edges(self) -> tuple[np.ndarray, np.ndarray]:
        firm = self.arrays["firm_id"]
        first = np.ones(len(firm), dtype=bool)
        first[1:] = firm[1:] != firm[:-1]
        last = np.ones(len(firm), dtype=bool)
        last[:-1] = first[1:]
        return first, last

    def firms(self) -> int:
        return int(self._edges()[0].sum())

    def repeated(self) -> int:
        first, last = self._edges()
        return int((first & ~last).sum())  # a firm whose first row is not its last

    def latest(self, names: list[str]) -> ArraysTable:
        last = self._edges()[1]
        return ArraysTable({name: v[last] for name, v in self.arrays.items()}, names)

    def progress(self, columns: Sequence[str]) -> dict[str, Progress]:
        """As ``aggregates.progress_columns`` on these rows."""
        first, last = self._edges()
        twice = first & ~last  # first rows of firms with two or more
        ends = np.flatnonzero(last)
        closing = ends[np.searchsorted(ends, np.flatnonzero(twice))]
        found = {}
        for name in columns:
            values = self.arrays[name]
            before = values[twice].astype(np.float64)
            after = values[closing].astype(np.float64)
            change = after - before
            ok = np.isfinite(change)
            found[name] = Progress(
                Values(before[ok]),
                Values(after[ok]),
                Values(change[ok]),
                Values((change[ok] > 0).astype(float) * 100.0),
            )
        return found


@dataclass
class Window:
    """One period's statistics per cell (``columns``: the columns kept; counts always).

    Quantile histograms: summed per cell for cells of ``BIG_CELL`` firms or more
    (``dense``, one row per big cell), the firms' rank codes for the others (``codes``,
    with their cells in ``small_cells``)."""

    columns: list[str]
    rows: np.ndarray  # assessments per cell (firms that stay in one cell)
    firms: np.ndarray
    repeated: np.ndarray
    big_cells: np.ndarray
    small_cells: np.ndarray
    moving: Moving
    finite: dict[str, np.ndarray] = field(default_factory=dict)  # per cell
    steps: dict[str, np.ndarray] = field(default_factory=dict)  # per cell
    dense: dict[str, np.ndarray] = field(default_factory=dict)  # big cell × bin
    codes: dict[str, np.ndarray] = field(default_factory=dict)  # per firm of a small cell
    small: dict[str, np.ndarray] = field(default_factory=dict)  # per cell × code
    progress: dict[str, np.ndarray] = field(default_factory=dict)  # per cell × 5


class Selection:
    """Selected cells of a window, with the masks the histograms need (made once)."""

    def __init__(self, window: Window, cells: np.ndarray) -> None:
        self.window = window
        self.cells = cells
        self._big: np.ndarray | None = None
        self._small: np.ndarray | None = None

    @property
    def big(self) -> np.ndarray:
        if self._big is None:
            self._big = self.cells[self.window.big_cells]
        return self._big

    @property
    def small(self) -> np.ndarray:
        if self._small is None:
            self._small = self.cells[self.window.small_cells]
        return self._small


class CellColumn:
    """A ``Column`` summed over the selected cells of a window."""

    def __init__(self, selection: Selection, name: str) -> None:
        self.selection, self.name = selection, name

    def count(self) -> int:
        finite = self.selection.window.finite.get(self.name)
        return int(finite[self.selection.cells].sum()) if finite is not None else 0

    def steps(self, bounds: Bounds) -> int:
        if _bounds_of(self.name) != tuple(bounds):
            raise KeyError(f"{self.name}: no bounded sum within {bounds}")
        return int(self.selection.window.steps[self.name][self.selection.cells].sum())

    def histogram(self, candidates: Sequence[float]) -> np.ndarray:
        grid = _grid_of(self.name)
        if grid is None or tuple(float(c) for c in candidates) != grid:
            raise KeyError(f"{self.name}: no rank codes for these candidates")
        bins = 2 * len(grid) + 2
        window = self.selection.window
        total = window.dense[self.name][self.selection.big].sum(axis=0, dtype=np.int64)
        codes = window.codes[self.name][self.selection.small]
        total += np.bincount(codes, minlength=bins + 1)
        return total[:bins]

    def values(self) -> np.ndarray:
        raise NotImplementedError("exact figures come from the rows (aggregates.cut)")


class CellProgress:
    """One of the four ``Progress`` columns summed over the selected cells."""

    def __init__(self, totals: np.ndarray, part: int, bounds: Bounds) -> None:
        self.totals, self.part, self.bounds = totals, part, bounds

    def count(self) -> int:
        return int(self.totals[0])

    def steps(self, bounds: Bounds) -> int:
        if tuple(bounds) != self.bounds:
            raise KeyError(f"no bounded sum within {bounds}")
        return int(self.totals[1 + self.part])

    def histogram(self, candidates: Sequence[float]) -> np.ndarray:
        raise KeyError("progress has no quantiles")

    def values(self) -> np.ndarray:
        raise NotImplementedError("exact figures come from the rows (aggregates.cut)")


class CubeTable:
    """A ``Table``: the firms of the selected cells (their latest in the window), plus the
    firms that moved between cells (``moving``: their latest selected row)."""

    def __init__(self, selection: Selection, moving: ArraysTable, divisions: np.ndarray):
        self.selection = selection
        self.moving = moving
        self.names = moving.names
        self._divisions = divisions

    def column(self, name: str) -> Column:
        return Summed([CellColumn(self.selection, name), self.moving.column(name)])

    def count_in(self, name: str, wanted: Sequence[float]) -> int:
        table = self.selection.window.small.get(name)
        total = self.moving.count_in(name, wanted)
        if table is None:
            return total
        codes = [int(w) for w in wanted]
        if any(c != w or not 0 <= c < SMALL_CODES for c, w in zip(codes, wanted, strict=True)):
            raise KeyError(f"{name}: only codes 0–{SMALL_CODES - 1} are counted")
        return total + int(table[self.selection.cells][:, codes].sum())

    def split(self, by: str) -> dict[object, Table]:
        if by != "ciiu_division":
            raise KeyError(f"the cube groups firms by CIIU division only, not by {by}")
        window = self.selection.window
        present = self.selection.cells & (window.firms > 0)
        moving = self.moving.split(by)
        keys = sorted(set(self._divisions[present].tolist()) | {int(k) for k in moving})
        empty = ArraysTable({n: v[:0] for n, v in self.moving.arrays.items()}, self.names)
        found: dict[object, Table] = {}
        for key in keys:
            cells = Selection(window, present & (self._divisions == key))
            found[np.int16(key)] = CubeTable(
                cells, moving.get(np.int16(key), empty), self._divisions
            )
        return found


@dataclass(frozen=True)
class Present:
    """Divisions, sizes, regions and years (Lima) with assessments, and whether every
    assessment is a demo firm's."""

    divisions: set[int]
    sizes: set[str]
    regions: set[str]
    years: list[int]
    only_demo: bool


class PanelCube:
    """The panel's statistics of one frame (one questionnaire version and depth, one data
    version: read-only, shared by every staff session of the process)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.names = list(frame.columns)
        versions = frame["questionnaire_version"].unique() if len(frame) else []
        if len(versions) > 1:  # a cell holds one version: aggregates never mix versions
            raise ValueError("the cube takes the results of one questionnaire version")
        self._version = str(versions[0]) if len(versions) else None
        self._windows: dict[tuple[str, bool], Window] = {}
        self._lock = threading.Lock()
        self._rows_ready = threading.Event()
        self._rows_failed = False
        self._set_rows(frame)
        self._rows_ready.set()

    def _set_rows(self, frame: pd.DataFrame) -> None:
        # The rows stay where they are (their score columns are the server's largest arrays):
        # the profile is kept in firm, time and id order, and ``_order`` says where each of
        # those rows is in ``frame`` (None: the frame is in that order).
        self.assessments = len(frame)
        self._frame = frame
        self._order = sort_order(frame)
        ordered = frame[list(PROFILE)]
        if self._order is not None:
            ordered = ordered.iloc[self._order]
        self._firm = ordered["firm_id"].to_numpy()
        self._time = _micros(ordered["submitted_at"])
        self._quarter = _quarters(ordered["submitted_at"])
        self._quarters_present = np.unique(self._quarter)  # once: every cut walks them
        self._division = ordered["ciiu_division"].to_numpy()
        profile = pd.DataFrame(
            {
                "ciiu_division": self._division,
                "size_class": _codes(ordered["size_class"]),
                "region": _codes(ordered["region"]),
                "is_demo": ordered["is_demo"].to_numpy(dtype=bool),
            }
        )
        cells, self._cell = _factorize(profile)
        self._cells = cells
        self._divisions = cells["ciiu_division"].to_numpy()
        self._sizes = _categories(frame["size_class"])
        self._regions = _categories(frame["region"])

    # --- a saved cube (``storage.panel_snapshots``) ---------------------------------------

    def snapshot(self) -> tuple[dict, bytes]:
        """What a fresh process needs to show the first view (``FIRST_VIEW``: the whole period
        and the quarters of the trend, when built) without the rows: (JSON-ready description,
        numpy arrays as ``.npz`` bytes, no pickles)."""
        arrays: dict[str, np.ndarray] = {
            "cells." + name: self._cells[name].to_numpy() for name in self._cells.columns
        }
        arrays["quarters"] = self._quarters_present
        windows = []
        with self._lock:  # page threads may add a window meanwhile
            built = list(self._windows.items())
        first_view = [(key, w) for key, w in built if key[0] == "" or not key[1]]
        for number, ((label, full), window) in enumerate(sorted(first_view)):
            windows.append({"label": label, "full": full, "columns": window.columns})
            prefix = f"{number}|"
            for name in ("rows", "firms", "repeated", "big_cells", "small_cells"):
                arrays[prefix + name] = getattr(window, name)
            for name, values in window.moving.arrays.items():
                arrays[f"{prefix}moving|{name}"] = values
            for part in _WINDOW_TABLES:
                for name, values in getattr(window, part).items():
                    arrays[f"{prefix}{part}|{name}"] = values
        meta = {
            "format": SNAPSHOT_FORMAT,
            "names": self.names,
            "version": self._version,
            "assessments": self.assessments,
            "sizes": self._sizes,
            "regions": self._regions,
            "cells": list(self._cells.columns),
            "windows": windows,
        }
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return meta, buffer.getvalue()

    @classmethod
    def from_snapshot(cls, meta: dict, data: bytes) -> PanelCube:
        """A cube that shows the periods of ``snapshot`` at once; any other period waits for
        ``attach`` (the rows of the same data version). Raises ValueError on another format."""
        if meta.get("format") != SNAPSHOT_FORMAT:
            raise ValueError("saved panel cube of another format")
        cube = cls.__new__(cls)
        with np.load(io.BytesIO(data), allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
        cube.names = list(meta["names"])
        cube._version = meta["version"]
        cube.assessments = int(meta["assessments"])
        cube._sizes = list(meta["sizes"])
        cube._regions = list(meta["regions"])
        cube._cells = pd.DataFrame({name: arrays["cells." + name] for name in meta["cells"]})
        cube._divisions = cube._cells["ciiu_division"].to_numpy()
        cube._quarters_present = arrays["quarters"]
        cube._windows = {}
        for number, described in enumerate(meta["windows"]):
            prefix = f"{number}|"
            parts: dict[str, dict[str, np.ndarray]] = {p: {} for p in ("moving", *_WINDOW_TABLES)}
            for name, values in arrays.items():
                if name.startswith(prefix) and name.count("|") == 2:
                    _, part, column = name.split("|")
                    parts[part][column] = values
            window = Window(
                columns=list(described["columns"]),
                moving=Moving(parts.pop("moving")),
                **{n: arrays[prefix + n] for n in _WINDOW_COUNTS},
                **parts,
            )
            cube._windows[(described["label"], bool(described["full"]))] = window
        cube._lock = threading.Lock()
        cube._rows_ready = threading.Event()
        cube._rows_failed = False
        cube._frame = None
        cube._order = None
        return cube

    def attach(self, frame: pd.DataFrame) -> bool:
        """Give a cube made ``from_snapshot`` its rows, so that it can build other periods.
        False when they are not the rows it was saved from (other columns, cells or number of
        assessments): the cube then stays without rows and cuts of other periods fail."""
        if self._rows_ready.is_set():
            return not self._rows_failed
        try:
            rows = PanelCube(frame)
        except Exception:
            self.abandon()
            raise
        same = (
            rows.names == self.names
            and rows.assessments == self.assessments
            and rows._sizes == self._sizes
            and rows._regions == self._regions
            and rows._cells.equals(self._cells)
        )
        if same:
            for name in ROW_ATTRIBUTES:
                setattr(self, name, getattr(rows, name))
        self._rows_failed = not same
        self._rows_ready.set()  # waiting cuts go on (or fail, when the rows did not match)
        return same

    @property
    def has_rows(self) -> bool:
        """Whether the cube can build any period (made from rows, or attached to them)."""
        return self._rows_ready.is_set() and not self._rows_failed

    def abandon(self) -> None:
        """The rows will not come (reading them failed): cuts that wait for them fail."""
        self._rows_failed = True
        self._rows_ready.set()

    def present(self) -> Present:
        """What the data holds, for the filter choices (from the cells: no pass over rows)."""
        cells = self._cells
        sizes = cells["size_class"].to_numpy()
        regions = cells["region"].to_numpy()
        years = np.unique(self._quarters_present // 4)
        return Present(
            divisions={int(d) for d in np.unique(self._divisions)},
            sizes={self._sizes[c] for c in np.unique(sizes) if c >= 0},
            regions={self._regions[c] for c in np.unique(regions) if c >= 0},
            years=[int(y) for y in years],
            only_demo=bool(len(cells)) and bool(cells["is_demo"].to_numpy().all()),
        )

    FIRST_VIEW = "first"
    LATER = "later"

    def prepare(self, which: str, stop=None) -> None:
        """Build ahead the periods staff see first (the whole period and each quarter of the
        trend: ``FIRST_VIEW``) or may choose next (each year: ``LATER``; ``stop()`` true ends
        it, for a cube that a newer one replaced)."""
        if which == self.FIRST_VIEW:
            self._window("", True)
            for q in self._quarters_present:
                year, quarter = divmod(int(q), 4)
                self._window(f"{year}-T{quarter + 1}", False)
        else:
            for year in np.unique(self._quarters_present // 4):
                if stop is not None and stop():
                    return
                self._window(str(int(year)), True)

    # --- filters to window and cells ---------------------------------------------------

    def _selected(self, filters: Filters) -> np.ndarray:
        cells = self._cells
        keep = np.ones(len(cells), dtype=bool)
        if filters.versions and self._version not in filters.versions:
            keep[:] = False
        if filters.ciiu:
            keep &= np.isin(self._divisions, list(filters.ciiu))
        for column, wanted, categories in (
            ("size_class", filters.sizes, self._sizes),
            ("region", filters.regions, self._regions),
        ):
            if wanted:
                codes = [categories.index(w) for w in wanted if w in categories]
                keep &= np.isin(cells[column].to_numpy(), codes)
        if not filters.include_demo:
            keep &= ~cells["is_demo"].to_numpy()
        return keep

    def _window(self, label: str, full: bool) -> Window:
        key = (label, full)
        found = self._windows.get(key)
        if found is not None:
            return found
        if not self._rows_ready.wait(ROWS_WAIT_SECONDS):  # a saved cube: others need the rows
            raise RowsMissing("the rows of this saved cube did not come in time")
        if self._rows_failed:
            raise RowsMissing("the rows of this saved cube could not be attached")
        with self._lock:
            if key not in self._windows:
                columns = [n for n in self.names if n not in META] if full else ["global"]
                columns = [c for c in columns if c in self.names]
                self._windows[key] = self._build(label, columns)
            return self._windows[key]

    def _counts_window(self, label: str) -> Window:
        """A window for counting firms: the full one when built, else the light one."""
        return self._windows.get((label, True)) or self._window(label, False)

    # --- building a window --------------------------------------------------------------

    def _positions(self, label: str) -> np.ndarray:
        if not label:
            return np.arange(len(self._frame))
        start, end = period_bounds(label)
        low = pd.Timestamp(start, tz=LIMA).value // 1000
        high = (pd.Timestamp(end, tz=LIMA) + pd.Timedelta(days=1)).value // 1000
        return np.flatnonzero((self._time >= low) & (self._time < high))

    def _stored(self, positions: np.ndarray) -> np.ndarray:
        """Rows of ``_frame`` of ``positions`` in firm, time and id order."""
        return positions if self._order is None else self._order[positions]

    def _build(self, label: str, columns: list[str]) -> Window:
        rows = self._positions(label)
        firm = self._firm[rows]
        cell = self._cell[rows]
        n_cells = len(self._cells)
        starts = np.ones(len(rows), dtype=bool)
        starts[1:] = (firm[1:] != firm[:-1]) | (cell[1:] != cell[:-1])
        first = np.flatnonzero(starts)
        last = np.append(first[1:], len(rows)) - 1
        length = last - first + 1
        run_firm = firm[first]
        moves = np.zeros(len(first), dtype=bool)  # a firm with two or more runs (cells)
        same = run_firm[1:] == run_firm[:-1]
        moves[1:] |= same
        moves[:-1] |= same
        stays = np.flatnonzero(~moves)
        unit_cells = cell[first[stays]]
        unit_length = length[stays]
        # Where those rows are in the frame (in firm order: the gathers below read forward
        # when the frame is sorted, and rows appended since are few).
        first_rows = self._stored(rows[first[stays]])
        last_rows = self._stored(rows[last[stays]])
        firms = np.bincount(unit_cells, minlength=n_cells)
        big = firms >= BIG_CELL
        big_index = np.cumsum(big) - 1
        in_big = big[unit_cells]
        moving_rows = rows[np.repeat(moves, length)]
        moving = {
            "firm_id": self._firm[moving_rows],
            "_cell": self._cell[moving_rows],
            "ciiu_division": self._division[moving_rows],
        }
        moving_stored = self._stored(moving_rows)
        for name in columns:
            moving[name] = self._frame[name].to_numpy()[moving_stored]
        window = Window(
            columns=columns,
            rows=np.bincount(unit_cells, weights=unit_length, minlength=n_cells).astype(np.int64),
            firms=firms,
            repeated=np.bincount(unit_cells[unit_length >= 2], minlength=n_cells),
            big_cells=np.flatnonzero(big),
            small_cells=unit_cells[~in_big],
            moving=Moving(moving),
        )
        twice = unit_length >= 2
        big_rows = big_index[unit_cells[in_big]]
        n_big = int(big.sum())

        def add(name: str) -> None:
            values = self._frame[name].to_numpy()
            latest = values[last_rows]
            small = name.startswith(QUESTION_PREFIX) or _is_small(name)
            if small:
                found = _small_table(name, latest, unit_cells, n_cells)
                if found is not None:
                    with lock:  # the dicts are shared by the threads
                        window.small[name], window.finite[name] = found[:2]
                        if found[2] is not None:
                            window.steps[name] = found[2]
                    return
            finite = np.isfinite(latest)
            cells = unit_cells[finite]
            finite_by_cell = np.bincount(cells, minlength=n_cells)
            bounds = _bounds_of(name)
            steps = None
            if bounds is not None:
                steps = _sum_by(cells, privacy.step_values(latest[finite], bounds), n_cells)
            grid = _grid_of(name)
            if grid is not None:
                bins = 2 * len(grid) + 3  # the last bin: no value
                codes = np.full(len(latest), bins - 1, dtype=_codes_dtype(grid))
                codes[finite] = privacy.rank_codes(latest[finite], grid)
                dense = np.bincount(big_rows * bins + codes[in_big], minlength=n_big * bins)
                # In the fewest bytes the largest count needs (summed as int64 in the cuts).
                smallest = np.min_scalar_type(int(dense.max()) if len(dense) else 0)
                window.dense[name] = dense.reshape(n_big, bins).astype(smallest)
                window.codes[name] = codes[~in_big]
            if _is_small(name):  # not all small whole numbers: count the codes there are
                code = np.where(
                    (latest >= 0) & (latest < SMALL_CODES) & (latest == np.round(latest)),
                    latest,
                    SMALL_CODES,
                )[finite].astype(np.int64)
                width = SMALL_CODES + 1
                table = np.bincount(cells * width + code, minlength=n_cells * width)
                window.small[name] = table.reshape(n_cells, width)[:, :SMALL_CODES]
            progress = None
            if name == "global" or name.startswith(("dim_", "ruta_")):
                progress = _progress_by_cell(
                    values[first_rows[twice]], values[last_rows[twice]], unit_cells[twice], n_cells
                )
            with lock:  # the dicts are shared by the threads
                window.finite[name] = finite_by_cell
                if steps is not None:
                    window.steps[name] = steps
                if progress is not None:
                    window.progress[name] = progress

        lock = threading.Lock()
        # numpy lets go of the GIL in these loops: two threads use two cores.
        with ThreadPoolExecutor(max_workers=BUILD_THREADS) as pool:
            list(pool.map(add, columns))
        return window

    # --- cuts ---------------------------------------------------------------------------

    def firms(self, filters: Filters) -> int:
        """True number of distinct firms with an assessment in the cut (no noise)."""
        window = self._counts_window(period_label(filters))
        selected = self._selected(filters)
        return int(window.firms[selected].sum()) + window.moving.select(selected).firms()

    def cut(self, filters: Filters, exact: bool = False) -> Cut:
        """``aggregates.cut(frame, filters)`` from the cube (the same figures)."""
        if exact:
            raise ValueError("exact figures come from the rows (aggregates.cut)")
        check_fixed(filters)
        label = period_label(filters)
        window = self._window(label, True)
        selected = self._selected(filters)
        moving = window.moving.select(selected)
        firms = int(window.firms[selected].sum()) + moving.firms()
        tally = published_counts(
            int(window.rows[selected].sum()) + len(moving),
            firms,
            int(window.repeated[selected].sum()) + moving.repeated(),
        )
        if not tally.reservado and any(
            0 < self.firms(broader) - firms < MIN_GROUP for broader in relaxations(filters)
        ):
            tally.por_diferencia = True
        if tally.reservado:
            return reserved_cut(tally, self.names)
        latest = CubeTable(Selection(window, selected), moving.latest(self.names), self._divisions)
        return Cut(
            tally,
            self.names,
            latest,
            lambda column: self._quarter_tables(label, selected, column),
            lambda columns: self._progress(window, moving, selected, columns),
        )

    def _quarter_tables(self, label: str, selected: np.ndarray, column: str):
        if column != "global":
            raise KeyError("the cube keeps the quarterly trend of the global score only")
        low, high = _quarter_range(label)
        found = []
        for q in self._quarters_present:
            if not low <= q <= high:
                continue
            year, quarter = divmod(int(q), 4)
            window = self._window(f"{year}-T{quarter + 1}", False)
            moving = window.moving.select(selected)
            if not int(window.rows[selected].sum()) + len(moving):
                continue
            table = CubeTable(
                Selection(window, selected), moving.latest(self.names), self._divisions
            )
            found.append((int(q), table))
        return found

    def _progress(
        self, window: Window, moving: Moving, selected: np.ndarray, columns: Sequence[str]
    ) -> dict[str, Progress]:
        rows = moving.progress(columns)
        found = {}
        for name in columns:
            totals = window.progress[name][selected].sum(axis=0)
            parts = (
                CellProgress(totals, 0, SCORE_BOUNDS),
                CellProgress(totals, 1, SCORE_BOUNDS),
                CellProgress(totals, 2, CHANGE_BOUNDS),
                CellProgress(totals, 3, SCORE_BOUNDS),
            )
            mine = rows[name]
            found[name] = Progress(
                *(
                    Summed([cell, row])
                    for cell, row in zip(
                        parts, (mine.first, mine.last, mine.change, mine.improved), strict=True
                    )
                )
            )
        return found


def _quarter_range(label: str) -> tuple[int, int]:
    """The quarter numbers (year × 4 + quarter − 1) a period covers."""
    if not label:
        return -(2**62), 2**62
    year, _, quarter = label.partition("-T")
    if quarter:
        number = int(year) * 4 + int(quarter) - 1
        return number, number
    return int(year) * 4, int(year) * 4 + 3


def _codes(column: pd.Series) -> np.ndarray:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.int32)
    values, _ = pd.factorize(column, use_na_sentinel=True)
    return values.astype(np.int32)


def _categories(column: pd.Series) -> list[str]:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return [str(c) for c in column.cat.categories]
    _, uniques = pd.factorize(column, use_na_sentinel=True)
    return [str(u) for u in uniques]


def _factorize(profile: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The distinct profile cells and each row's cell (one integer key per row: a million
    rows in a few tens of milliseconds)."""
    key = profile["ciiu_division"].to_numpy().astype(np.int64)
    for name, width in (("size_class", 1 << 10), ("region", 1 << 12), ("is_demo", 2)):
        key = key * width + (profile[name].to_numpy().astype(np.int64) + (name != "is_demo"))
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    cells = profile.iloc[first].reset_index(drop=True)
    return cells, inverse.astype(np.int32).reshape(-1)


def _small_table(name: str, latest: np.ndarray, cells: np.ndarray, n_cells: int):
    """Columns of small whole numbers (practice levels 0–4, requirement codes, level, floor,
    provisional): one histogram per cell gives the counts per code, the finite count and the
    bounded sum (a level is its own number of steps). None when a value is not such a
    number."""
    finite = np.isfinite(latest)
    known = latest[finite]
    if not ((known >= 0) & (known < SMALL_CODES) & (known == np.round(known))).all():
        return None
    width = SMALL_CODES + 1  # the last code: no value
    code = np.full(len(latest), SMALL_CODES, dtype=np.int64)
    code[finite] = known.astype(np.int64)
    table = np.bincount(cells * width + code, minlength=n_cells * width).reshape(n_cells, width)
    counts = table[:, :SMALL_CODES]
    steps = None
    bounds = _bounds_of(name)
    if bounds is not None:
        per_code = privacy.step_values(np.arange(SMALL_CODES, dtype=float), bounds)
        steps = counts @ per_code.astype(np.int64)
    return counts, counts.sum(axis=1), steps


def _sum_by(cells: np.ndarray, values: np.ndarray, n_cells: int) -> np.ndarray:
    """Exact sums of whole numbers per cell (int64)."""
    return np.bincount(cells, weights=values, minlength=n_cells).astype(np.int64)


def _progress_by_cell(first: np.ndarray, last: np.ndarray, cells: np.ndarray, n_cells: int):
    """Per cell: firms with both scores, and the sums of the first, latest, change and
    improved steps (as ``aggregates.progress_columns`` then ``privacy.step_values``)."""
    before = first.astype(np.float64)
    after = last.astype(np.float64)
    change = after - before
    ok = np.isfinite(change)
    cells = cells[ok]
    before, after, change = before[ok], after[ok], change[ok]
    improved = (change > 0).astype(float) * 100.0
    table = np.zeros((n_cells, 5), dtype=np.int64)
    table[:, 0] = np.bincount(cells, minlength=n_cells)
    table[:, 1] = _sum_by(cells, privacy.step_values(before, SCORE_BOUNDS), n_cells)
    table[:, 2] = _sum_by(cells, privacy.step_values(after, SCORE_BOUNDS), n_cells)
    table[:, 3] = _sum_by(cells, privacy.step_values(change, CHANGE_BOUNDS), n_cells)
    table[:, 4] = _sum_by(cells, privacy.step_values(improved, SCORE_BOUNDS), n_cells)
    return table
