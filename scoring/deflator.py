"""Price index used to turn nominal soles into real soles (data in ``scoring/data``).

The table stores each year's average consumer-price change; the index is chained from the base
year (index 100), so ``real = nominal / index * 100``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import yaml

DATA_FILE = Path(__file__).with_name("data") / "deflactor.yaml"


@lru_cache(maxsize=1)
def deflator_table() -> dict:
    """The deflator file as read (source, status, base year, yearly changes)."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@lru_cache(maxsize=1)
def price_index() -> dict[int, float]:
    """Average price index by year, base year = 100."""
    table = deflator_table()
    changes = {int(year): float(pct) for year, pct in table["variacion_promedio_anual"].items()}
    base = int(table["anio_base"])
    index = {base: 100.0}
    for year in range(base + 1, max(changes) + 1):
        index[year] = index[year - 1] * (1 + changes[year] / 100)
    for year in range(base - 1, min(changes) - 1, -1):
        index[year] = index[year + 1] / (1 + changes[year + 1] / 100)
    return index


def index_of(years: np.ndarray) -> np.ndarray:
    """Price index of each year (NaN where the year is missing or outside the table)."""
    table = price_index()
    years = np.asarray(years, dtype=float)
    out = np.full(years.shape, np.nan)
    for year, value in table.items():
        out[years == year] = value
    return out
