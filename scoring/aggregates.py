"""Aggregates of many firms' results for SNI staff, with small-group suppression (pure pandas).

Input: one row per submitted assessment (``storage.results_table.load_results_frame``): firm_id,
submitted_at, profile columns and score columns named as in ``scoring.engine.batch_frame``
(``global``, ``nivel``, ``dim_*``, ``ruta_*``, ``eje_*``, ``preg_*`` levels, ``ind_*`` values).
Cross-sections use each firm's latest assessment in the filtered period, so a firm counts once.

Every published cell carries ``empresas`` (distinct firms behind it). A cell from fewer than
``MIN_GROUP`` firms is reserved: its values become NaN and ``reservado`` is True. In a partition
(levels, sectors) the reserved cells together must also hold ``MIN_GROUP`` firms or none, so a
reserved cell cannot be recovered by subtracting the published ones from the total.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

MIN_GROUP = 5
RESERVED_NOTE = "Menos de 5 empresas: dato reservado"
LIMA = "America/Lima"
LIMA_OFFSET_US = -5 * 3600 * 1_000_000
LEVELS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Filters:
    """Staff filters; an empty tuple means "all". Dates are Lima calendar days, inclusive."""

    versions: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    ciiu: tuple[int, ...] = ()
    sizes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    include_demo: bool = True


def apply_filters(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    mask = np.ones(len(frame), dtype=bool)
    for column, wanted in (
        ("questionnaire_version", filters.versions),
        ("ciiu_division", filters.ciiu),
        ("size_class", filters.sizes),
        ("region", filters.regions),
    ):
        if wanted:
            mask &= frame[column].isin(list(wanted)).to_numpy()
    if filters.start is not None:
        mask &= (frame["submitted_at"] >= pd.Timestamp(filters.start, tz=LIMA)).to_numpy()
    if filters.end is not None:
        end = pd.Timestamp(filters.end, tz=LIMA) + pd.Timedelta(days=1)
        mask &= (frame["submitted_at"] < end).to_numpy()
    if not filters.include_demo:
        mask &= ~frame["is_demo"].to_numpy(dtype=bool)
    return frame[mask] if not mask.all() else frame


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame ordered by firm and submission time (a no-op for load_results_frame output)."""
    firms = frame["firm_id"].to_numpy()
    times = _micros(frame["submitted_at"])
    ordered = (firms[1:] > firms[:-1]) | ((firms[1:] == firms[:-1]) & (times[1:] >= times[:-1]))
    if ordered.all():
        return frame
    return frame.iloc[np.lexsort((times, firms))]


def _micros(times: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 microseconds (no per-row Timestamp objects)."""
    return times.to_numpy(dtype="datetime64[us]", na_value=np.datetime64("NaT")).view("int64")


def _quarters(times: pd.Series) -> np.ndarray:
    """Quarter number (year × 4 + quarter − 1) in Lima time; Peru keeps UTC−5 all year."""
    local = (_micros(times) + LIMA_OFFSET_US).view("datetime64[us]")
    months = local.astype("datetime64[M]").astype(np.int64) + 1970 * 12
    return months // 3


def latest_per_firm(frame: pd.DataFrame) -> pd.DataFrame:
    """Each firm's most recent assessment."""
    frame = _sorted(frame)
    return frame[~frame["firm_id"].duplicated(keep="last").to_numpy()]


def score_columns(frame: pd.DataFrame, prefix: str) -> list[str]:
    return [c for c in frame.columns if c.startswith(prefix)]


def protect_partition(counts: Sequence[int] | np.ndarray) -> np.ndarray:
    """Reserved mask for cells that split one group: small cells, plus enough others."""
    counts = np.asarray(counts, dtype=np.int64)
    reserved = (counts > 0) & (counts < MIN_GROUP)
    if counts.sum() < MIN_GROUP:
        return counts > 0
    while 0 < counts[reserved].sum() < MIN_GROUP:
        candidates = np.flatnonzero(~reserved & (counts > 0))
        if not len(candidates):
            break
        reserved[candidates[np.argmin(counts[candidates])]] = True
    return reserved


def _reserve(table: pd.DataFrame, reserved: np.ndarray, values: Sequence[str]) -> pd.DataFrame:
    table = table.copy()
    table["reservado"] = reserved
    table.loc[reserved, [*values, "empresas"]] = np.nan
    return table


@dataclass
class Counts:
    evaluaciones: int
    empresas: int
    reevaluadas: int
    # Set when this cut differs from a broader one (one filter relaxed) by 1–4 firms: comparing
    # the two would reveal those few firms' figures, so the cut is reserved as a whole.
    por_diferencia: bool = False

    @property
    def reservado(self) -> bool:
        return self.empresas < MIN_GROUP or self.por_diferencia


def counts(filtered: pd.DataFrame) -> Counts:
    per_firm = filtered["firm_id"].value_counts()
    return Counts(len(filtered), int(len(per_firm)), int((per_firm >= 2).sum()))


def level_distribution(latest: pd.DataFrame) -> pd.DataFrame:
    """Firms per maturity level (1–5) and their share; small cells reserved."""
    found = latest["nivel"].to_numpy()
    number = np.array([(found == level).sum() for level in LEVELS])
    total = number.sum()
    table = pd.DataFrame(
        {
            "nivel": LEVELS,
            "empresas": number.astype(float),
            "porcentaje": 100.0 * number / total if total else np.zeros(len(LEVELS)),
        }
    )
    return _reserve(table, protect_partition(number), ["porcentaje"])


def score_summary(
    latest: pd.DataFrame, columns: Sequence[str], medians: bool = True
) -> pd.DataFrame:
    """Mean and median of each score column over the firms that have it."""
    data = latest[list(columns)].astype("float64")
    table = pd.DataFrame(
        {
            "columna": list(columns),
            "media": data.mean().to_numpy(),
            "mediana": data.median().to_numpy() if medians else np.nan,
            "empresas": data.notna().sum().to_numpy().astype(float),
        }
    )
    return _reserve(table, (table["empresas"] < MIN_GROUP).to_numpy(), ["media", "mediana"])


def heatmap(latest: pd.DataFrame, columns: Sequence[str], by: str = "ciiu_division"):
    """Long table ``by`` × score column: mean and firms per cell, reserved column by column."""
    data = latest[[by, *columns]].copy()
    data[by] = data[by].astype(str) if data[by].dtype.name == "category" else data[by]
    grouped = data.groupby(by, sort=True, observed=True)
    means = grouped.mean()
    sizes = grouped.count()
    parts = []
    for column in columns:
        number = sizes[column].to_numpy()
        part = pd.DataFrame(
            {
                by: sizes.index.to_numpy(),
                "columna": column,
                "media": means[column].to_numpy(dtype=float),
                "empresas": number.astype(float),
            }
        )
        part = part[number > 0]
        parts.append(_reserve(part, protect_partition(part["empresas"].to_numpy()), ["media"]))
    if not parts:
        return pd.DataFrame(columns=[by, "columna", "media", "empresas", "reservado"])
    return pd.concat(parts, ignore_index=True)


def quarterly_trend(filtered: pd.DataFrame, column: str = "global") -> pd.DataFrame:
    """Per quarter (Lima time): firms assessed, mean and median of ``column`` (latest per firm)."""
    frame = _sorted(filtered)
    firms = frame["firm_id"].to_numpy()
    quarter = _quarters(frame["submitted_at"])
    # Sorted by firm and time, so a firm's rows of one quarter are adjacent: keep the last.
    last = np.ones(len(frame), dtype=bool)
    last[:-1] = (firms[1:] != firms[:-1]) | (quarter[1:] != quarter[:-1])
    values = pd.Series(frame[column].to_numpy(dtype=float)[last])
    grouped = values.groupby(quarter[last], sort=True)
    table = pd.DataFrame(
        {
            "media": grouped.mean(),
            "mediana": grouped.median(),
            "empresas": grouped.count().astype(float),
        }
    )
    number = table.index.to_numpy()
    table = table.reset_index(drop=True)
    table["etiqueta"] = [f"T{q % 4 + 1} {q // 4}" for q in number]
    table["inicio"] = [dt.date(int(q // 4), int(q % 4) * 3 + 1, 1) for q in number]
    return _reserve(table, (table["empresas"] < MIN_GROUP).to_numpy(), ["media", "mediana"])


def weakest_practices(latest: pd.DataFrame, top: int | None = 10) -> pd.DataFrame:
    """Practice questions with the lowest mean level (0–4) across firms; reserved ones last."""
    columns = score_columns(latest, "preg_")
    summary = score_summary(latest, columns, medians=False)
    summary["pregunta"] = [c.removeprefix("preg_") for c in summary["columna"]]
    summary = summary.rename(columns={"media": "nivel_medio", "mediana": "nivel_mediano"})
    summary["puntaje_medio"] = summary["nivel_medio"] * 25.0
    summary = summary.sort_values(["reservado", "nivel_medio", "pregunta"], kind="stable")
    published = summary[~summary["reservado"]]
    return (published.head(top) if top else published).reset_index(drop=True)


def indicator_distribution(latest: pd.DataFrame) -> pd.DataFrame:
    """First quartile, median and third quartile of each indicator's valid values."""
    columns = score_columns(latest, "ind_")
    data = latest[columns].astype("float64")
    table = pd.DataFrame(
        {
            "indicador": [c.removeprefix("ind_") for c in columns],
            "q1": data.quantile(0.25).to_numpy() if columns else [],
            "mediana": data.median().to_numpy() if columns else [],
            "q3": data.quantile(0.75).to_numpy() if columns else [],
            "empresas": data.notna().sum().to_numpy().astype(float),
        }
    )
    reserved = (table["empresas"] < MIN_GROUP).to_numpy()
    return _reserve(table, reserved, ["q1", "mediana", "q3"])


def reassessment_progress(filtered: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Firms with two or more assessments: mean of the first and latest score and the change."""
    frame = _sorted(filtered)
    repeated = frame["firm_id"].duplicated(keep=False).to_numpy()
    frame = frame[repeated]
    first = frame[~frame["firm_id"].duplicated(keep="first").to_numpy()].set_index("firm_id")
    last = frame[~frame["firm_id"].duplicated(keep="last").to_numpy()].set_index("firm_id")
    rows = []
    for column in columns:
        before = first[column].astype("float64")
        after = last[column].astype("float64")
        change = (after - before).dropna()
        rows.append(
            {
                "columna": column,
                "primera": before[change.index].mean(),
                "ultima": after[change.index].mean(),
                "cambio": change.mean(),
                "mejoraron": 100.0 * (change > 0).mean() if len(change) else np.nan,
                "empresas": float(len(change)),
            }
        )
    table = pd.DataFrame(
        rows, columns=["columna", "primera", "ultima", "cambio", "mejoraron", "empresas"]
    )
    reserved = (table["empresas"] < MIN_GROUP).to_numpy()
    return _reserve(table, reserved, ["primera", "ultima", "cambio", "mejoraron"])


@dataclass
class Dashboard:
    """Everything the staff panel shows for one set of filters."""

    counts: Counts
    levels: pd.DataFrame
    scores: pd.DataFrame
    heatmap: pd.DataFrame
    trend: pd.DataFrame
    weakest: pd.DataFrame
    indicators: pd.DataFrame
    progress: pd.DataFrame


def differs_by_few(frame: pd.DataFrame, filters: Filters, firms: int) -> bool:
    """True when relaxing any one narrowing filter adds between 1 and MIN_GROUP − 1 firms.

    Two published cuts that differ by so few firms would let anyone subtract one from the
    other and recover those firms' figures (a differencing attack).
    """
    relaxations = []
    for name in ("versions", "ciiu", "sizes", "regions"):
        if getattr(filters, name):
            relaxations.append(dataclasses.replace(filters, **{name: ()}))
    if filters.start is not None or filters.end is not None:
        relaxations.append(dataclasses.replace(filters, start=None, end=None))
    for broader in relaxations:
        extra = apply_filters(frame, broader)["firm_id"].nunique() - firms
        if 0 < extra < MIN_GROUP:
            return True
    return False


def dashboard(frame: pd.DataFrame, filters: Filters, top: int = 10) -> Dashboard:
    filtered = apply_filters(frame, filters)
    tally = counts(filtered)
    if not tally.reservado and differs_by_few(frame, filters, tally.empresas):
        tally.por_diferencia = True
        filtered = filtered.iloc[0:0]  # nothing of this cut may be shown
    latest = latest_per_firm(filtered)
    dims = score_columns(frame, "dim_")
    headline = ["global", *dims, *score_columns(frame, "ruta_")]
    summary_columns = [*headline, *score_columns(frame, "eje_")]
    return Dashboard(
        counts=tally,
        levels=level_distribution(latest),
        scores=score_summary(latest, [c for c in summary_columns if c in frame]),
        heatmap=heatmap(latest, ["global", *dims] if "global" in frame else dims),
        trend=quarterly_trend(filtered) if "global" in frame else pd.DataFrame(),
        weakest=weakest_practices(latest, top),
        indicators=indicator_distribution(latest),
        progress=reassessment_progress(filtered, [c for c in headline if c in frame]),
    )
