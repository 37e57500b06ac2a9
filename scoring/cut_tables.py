"""What the panel's figures read from a cut: columns of values and tables of firms.

A published figure needs little of the data: a mean needs the number of finite values and
their bounded sum (``privacy.step_values``), a quantile the histogram of their rank codes
(``privacy.rank_codes``), a share the number of firms in a state. ``Column`` and ``Table`` ask
for exactly that, so the same figures can come from rows in memory (``Values``,
``FrameTable``: the reference, and the only source of the exact figures used in tests) or
from statistics summed over groups of firms (``scoring.panel_cube``), and both feed the same
private releases with the same inputs (``scoring.aggregates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from scoring import privacy

Bounds = tuple[float, float]


class Column(Protocol):
    """One score column over the firms of a cut (each firm's one value, NaN when missing)."""

    def count(self) -> int:
        """Number of finite values."""
        ...

    def steps(self, bounds: Bounds) -> int:
        """Sum of the finite values' ``privacy.step_values`` within ``bounds``."""
        ...

    def histogram(self, candidates: Sequence[float]) -> np.ndarray:
        """Histogram (length 2k + 2) of the finite values' ``privacy.rank_codes``."""
        ...

    def values(self) -> np.ndarray:
        """The finite values themselves (exact figures; rows in memory only)."""
        ...


class Table(Protocol):
    """The firms of a cut, one row each (their latest assessment in the cut)."""

    names: list[str]

    def column(self, name: str) -> Column: ...

    def count_in(self, name: str, wanted: Sequence[float]) -> int:
        """Firms whose ``name`` equals one of ``wanted``."""
        ...

    def split(self, by: str) -> dict[object, Table]:
        """The firms grouped by a profile column (``ciiu_division``), keys sorted."""
        ...


def finite(values: np.ndarray | pd.Series) -> np.ndarray:
    """The finite values, in their own dtype (float32 scores stay float32; a copy only when
    some are missing)."""
    values = np.asarray(values)
    if values.dtype.kind not in "fc":
        values = values.astype(np.float64)
    kept = np.isfinite(values)
    return values if kept.all() else values[kept]


class Values:
    """A ``Column`` over values in memory."""

    def __init__(self, values: np.ndarray | pd.Series) -> None:
        self._values = finite(values)

    def count(self) -> int:
        return len(self._values)

    def steps(self, bounds: Bounds) -> int:
        return int(privacy.step_values(self._values, bounds).sum(dtype=np.float64))

    def histogram(self, candidates: Sequence[float]) -> np.ndarray:
        codes = privacy.rank_codes(self._values, candidates)
        return np.bincount(codes, minlength=2 * len(candidates) + 2)

    def values(self) -> np.ndarray:
        return self._values


class Summed:
    """A ``Column`` made of the values of several parts (disjoint sets of firms)."""

    def __init__(self, parts: Sequence[Column]) -> None:
        self._parts = list(parts)

    def count(self) -> int:
        return sum(part.count() for part in self._parts)

    def steps(self, bounds: Bounds) -> int:
        return sum(part.steps(bounds) for part in self._parts if part.count())

    def histogram(self, candidates: Sequence[float]) -> np.ndarray:
        total = np.zeros(2 * len(candidates) + 2, dtype=np.int64)
        for part in self._parts:
            if part.count():
                total += part.histogram(candidates)
        return total

    def values(self) -> np.ndarray:
        return np.concatenate([part.values() for part in self._parts])


class FrameTable:
    """A ``Table`` over a frame with one row per firm (``aggregates.latest_per_firm``)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self.names = list(frame.columns)

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> Column:
        return Values(self.frame[name].to_numpy())

    def count_in(self, name: str, wanted: Sequence[float]) -> int:
        return int(np.isin(finite(self.frame[name].to_numpy()), wanted).sum())

    def split(self, by: str) -> dict[object, Table]:
        keys = self.frame[by]
        keys = keys.astype(str) if keys.dtype.name == "category" else keys
        # Sorted once by group: each group is a slice, not a mask over every row per group.
        order = np.argsort(keys.to_numpy(), kind="stable")
        ordered = keys.to_numpy()[order]
        groups, starts = np.unique(ordered, return_index=True)
        stops = np.append(starts[1:], len(ordered))[: len(starts)]
        frame = self.frame.iloc[order]
        return {
            key: FrameTable(frame.iloc[a:b])
            for key, a, b in zip(groups, starts, stops, strict=True)
        }


def as_table(latest: pd.DataFrame | Table) -> Table:
    return FrameTable(latest) if isinstance(latest, pd.DataFrame) else latest


class ArraysTable:
    """A ``Table`` over columns held as numpy arrays (one value per firm)."""

    def __init__(self, arrays: dict[str, np.ndarray], names: list[str]) -> None:
        self.arrays = arrays
        self.names = names

    def column(self, name: str) -> Column:
        return Values(self.arrays[name])

    def count_in(self, name: str, wanted: Sequence[float]) -> int:
        return int(np.isin(finite(self.arrays[name]), wanted).sum())

    def split(self, by: str) -> dict[object, Table]:
        keys = self.arrays[by]
        return {
            key: ArraysTable({n: v[keys == key] for n, v in self.arrays.items()}, self.names)
            for key in np.unique(keys)
        }
