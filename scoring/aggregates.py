"""Aggregates of many firms' results for SNI staff, with small-group suppression (pure pandas).

Input: one row per submitted assessment (``storage.results_table.load_results_frame``): firm_id,
submitted_at, profile columns and score columns named as in ``scoring.engine.batch_frame``
(``global``, ``nivel``, ``dim_*``, ``ruta_*``, ``eje_*``, ``preg_*`` levels, ``ind_*`` values).
Cross-sections use each firm's latest assessment in the filtered period, so a firm counts once.

Every published cell carries ``empresas`` (distinct firms behind it). A cell from fewer than
``MIN_GROUP`` firms is reserved: its values become NaN and ``reservado`` is True. In a partition
(levels, sectors) the reserved cells together must also hold ``MIN_GROUP`` firms or none, so a
reserved cell cannot be recovered by subtracting the published ones from the total.

Published figures are differentially private (``scoring.privacy``, OpenDP): counts, means,
medians and quartiles carry calibrated noise, added after the k ≥ 5 check on the true counts,
so the difference of two cuts (two quarters against their year, two sector groups against
both) does not reveal one firm. Periods and sectors are fixed partitions: calendar quarters and
years (``period_options``), predefined groups of CIIU divisions (``SECTOR_GROUPS``) or one
division, never arbitrary date ranges or sets of divisions (``check_fixed``). ``exact=True``
(tests only) skips the noise.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import privacy
from scoring.cut_tables import Bounds, Column, FrameTable, Table, Values, as_table
from scoring.privacy import LOG_GRID

MIN_GROUP = 5
RESERVED_NOTE = "Menos de 5 empresas: dato reservado"
LIMA = "America/Lima"
LIMA_OFFSET_US = -5 * 3600 * 1_000_000
LEVELS = (1, 2, 3, 4, 5)


# Predefined sector groups over the CIIU divisions 10–33 (a fixed partition).
SECTOR_GROUPS: dict[str, tuple[int, ...]] = {
    "alimentos": (10, 11, 12),
    "textil": (13, 14, 15),
    "madera_papel": (16, 17, 18),
    "quimicos_plasticos": (19, 20, 21, 22),
    "minerales_no_metalicos": (23,),
    "metales": (24, 25),
    "maquinaria_equipo": (26, 27, 28, 29, 30),
    "otras": (31, 32, 33),
}
SECTOR_GROUP_NAMES = {
    "alimentos": "Alimentos y bebidas (CIIU 10–12)",
    "textil": "Textil, confecciones y cuero (CIIU 13–15)",
    "madera_papel": "Madera, papel e imprenta (CIIU 16–18)",
    "quimicos_plasticos": "Químicos, farmacéuticos y plásticos (CIIU 19–22)",
    "minerales_no_metalicos": "Minerales no metálicos (CIIU 23)",
    "metales": "Metales y productos metálicos (CIIU 24–25)",
    "maquinaria_equipo": "Maquinaria, equipos y vehículos (CIIU 26–30)",
    "otras": "Muebles y otras manufacturas (CIIU 31–33)",
}


def quarter_bounds(year: int, quarter: int) -> tuple[dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def period_bounds(label: str) -> tuple[dt.date | None, dt.date | None]:
    """``""`` (all), ``"2025"`` (a year) or ``"2025-T3"`` (a quarter) → first and last day."""
    if not label:
        return None, None
    year, _, quarter = label.partition("-T")
    if quarter:
        return quarter_bounds(int(year), int(quarter))
    return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)


def period_options(years: Sequence[int]) -> list[str]:
    """Every year and quarter of ``years``, newest first: the only periods staff can choose."""
    options: list[str] = []
    for year in sorted(set(years), reverse=True):
        options.append(str(year))
        options.extend(f"{year}-T{q}" for q in (4, 3, 2, 1))
    return options


def _fixed_sector(ciiu: Sequence[int]) -> bool:
    """One predefined sector group, or one CIIU division of the partition (10–33)."""
    divisions = tuple(sorted(int(d) for d in ciiu))
    if divisions in SECTOR_GROUPS.values():
        return True
    return len(divisions) == 1 and any(divisions[0] in g for g in SECTOR_GROUPS.values())


def sector_group_of(ciiu: Sequence[int]) -> str | None:
    """The key of the predefined group whose divisions are exactly ``ciiu`` (None otherwise)."""
    divisions = tuple(sorted(int(d) for d in ciiu))
    return next((k for k, g in SECTOR_GROUPS.items() if g == divisions), None)


def period_label(filters: Filters) -> str:
    """``""`` (all time), ``"2025"`` or ``"2025-T3"`` for fixed filters (``check_fixed``)."""
    if (filters.start, filters.end) == (None, None):
        return ""
    year = (filters.start or filters.end).year
    for label in period_options([year]):
        if period_bounds(label) == (filters.start, filters.end):
            return label
    raise ValueError("el periodo debe ser un año o un trimestre")


def check_fixed(filters: Filters) -> None:
    """Raise ValueError unless the filters use fixed partitions: the whole time or one year or
    quarter, all sectors or one predefined group or one CIIU division, all or one size, all
    or one region. ``dashboard`` (and the method 2.0 tables) call it on every request, so a
    crafted filter cannot reach the aggregates."""
    if (filters.start, filters.end) != (None, None):
        year = (filters.start or filters.end).year
        allowed = {period_bounds(p) for p in period_options([year])}
        if (filters.start, filters.end) not in allowed:
            raise ValueError("el periodo debe ser un año o un trimestre")
    if filters.ciiu and not _fixed_sector(filters.ciiu):
        raise ValueError("el sector debe ser un grupo predefinido o una división CIIU")
    if len(filters.sizes) > 1 or len(filters.regions) > 1:
        raise ValueError("elija un solo tamaño y una sola región (o todos)")


@dataclass(frozen=True)
class Filters:
    """Staff filters; an empty tuple means "all". Dates are Lima calendar days, inclusive.

    The panel only builds fixed partitions (``check_fixed``): a year or quarter, one sector
    group (its divisions in ``ciiu``), one size, one region."""

    versions: tuple[str, ...] = ()
    start: dt.date | None = None
    end: dt.date | None = None
    ciiu: tuple[int, ...] = ()
    sizes: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    include_demo: bool = True


def apply_filters(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    mask = filter_mask(frame, filters)
    return frame[mask] if not mask.all() else frame


def filter_mask(frame: pd.DataFrame, filters: Filters) -> np.ndarray:
    """The rows ``apply_filters`` keeps, as a boolean mask (no copy of the rows)."""
    mask = np.ones(len(frame), dtype=bool)
    for column, wanted in (
        ("questionnaire_version", filters.versions),
        ("ciiu_division", filters.ciiu),
        ("size_class", filters.sizes),
        ("region", filters.regions),
    ):
        if wanted:
            mask &= _isin(frame[column], wanted)
    if filters.start is not None:
        mask &= (frame["submitted_at"] >= pd.Timestamp(filters.start, tz=LIMA)).to_numpy()
    if filters.end is not None:
        end = pd.Timestamp(filters.end, tz=LIMA) + pd.Timedelta(days=1)
        mask &= (frame["submitted_at"] < end).to_numpy()
    if not filters.include_demo:
        mask &= ~frame["is_demo"].to_numpy(dtype=bool)
    return mask


def _isin(column: pd.Series, wanted: Sequence) -> np.ndarray:
    """``column.isin(wanted)`` as a numpy mask; on a categorical, by its integer codes."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        categories = column.cat.categories
        codes = [categories.get_loc(w) for w in wanted if w in categories]
        return np.isin(column.cat.codes.to_numpy(), np.asarray(codes, dtype=np.int64))
    return column.isin(list(wanted)).to_numpy()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame ordered by firm, submission time and assessment id (no copy when it is, as
    ``load_results_frame`` gives it): two assessments of one firm at the same time are
    ordered by id, so "latest" means the same row everywhere."""
    order = sort_order(frame)
    return frame if order is None else frame.iloc[order]


def sort_order(frame: pd.DataFrame) -> np.ndarray | None:
    """The positions of ``_sorted``'s order, None when the frame is already in it."""
    firms = frame["firm_id"].to_numpy()
    times = _micros(frame["submitted_at"])
    ids = (
        frame["assessment_id"].to_numpy()
        if "assessment_id" in frame
        else np.arange(len(frame))  # no ids: the frame's own order breaks ties
    )
    same = firms[1:] == firms[:-1]
    later = (times[1:] > times[:-1]) | ((times[1:] == times[:-1]) & (ids[1:] >= ids[:-1]))
    if ((firms[1:] > firms[:-1]) | (same & later)).all():
        return None
    return np.lexsort((ids, times, firms))


def _order_keys(frame: pd.DataFrame) -> list[str]:
    """The columns ``_sorted`` orders by that ``frame`` has."""
    return [c for c in ("firm_id", "submitted_at", "assessment_id") if c in frame]


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


def score_columns(frame: pd.DataFrame | Table, prefix: str) -> list[str]:
    names = frame.columns if isinstance(frame, pd.DataFrame) else frame.names
    return [c for c in names if c.startswith(prefix)]


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
    """``table`` with ``reservado`` and NaN in ``values`` and ``empresas`` where reserved
    (built once from its arrays: setting cells of a frame one mask at a time is slow)."""
    reserved = np.asarray(reserved, dtype=bool)
    data = {column: table[column].to_numpy() for column in table.columns}
    for column in [*values, "empresas"]:
        kept = data[column].astype(float, copy=True)
        kept[reserved] = np.nan
        data[column] = kept
    data["reservado"] = reserved
    return pd.DataFrame(data, index=table.index)


# --- Differentially private figures (``exact`` only in tests) -----------------------------


def _noisy_count(values: np.ndarray | int, name: str, exact: bool) -> float:
    if exact:
        return float(values if isinstance(values, (int, np.integer)) else len(values))
    eps = privacy.config().panel_count_epsilon
    return float(privacy.noisy_count(values, eps, f"panel/{name}"))


def _noisy_mean(
    values: np.ndarray | Column, name: str, exact: bool, bounds: Bounds = (0.0, 100.0)
) -> tuple[float, float]:
    """(mean, firms) of the finite values; NaN mean for none."""
    column = values if not isinstance(values, (np.ndarray, pd.Series)) else Values(values)
    number = column.count()
    if not number:
        return np.nan, 0.0
    if exact:
        return float(column.values().mean(dtype=np.float64)), float(number)
    cfg = privacy.config()
    mean, count = privacy.noisy_mean_of(
        number,
        column.steps(bounds),
        cfg.panel_sum_epsilon,
        cfg.panel_count_epsilon,
        f"panel/{name}",
        bounds,
    )
    return mean, float(count)


def _noisy_quantile(
    values: np.ndarray | Column,
    alpha: float,
    name: str,
    exact: bool,
    candidates: Sequence[float] = privacy.SCORE_CANDIDATES,
) -> float:
    return _noisy_quantiles(values, (alpha,), name, exact, candidates)[0]


def _noisy_quantiles(
    values: np.ndarray | Column,
    alphas: Sequence[float],
    name: str,
    exact: bool,
    candidates: Sequence[float] = privacy.SCORE_CANDIDATES,
    clip: Bounds | None = None,
) -> list[float]:
    """Several quantiles of the same values (counted once; each spends the quantile ε).
    ``clip``: the exact quantiles are those of the values clamped to it (the private ones
    always clamp to the candidates' range)."""
    column = values if not isinstance(values, (np.ndarray, pd.Series)) else Values(values)
    number = column.count()
    if not number:
        return [np.nan for _ in alphas]
    if exact:
        data = column.values().astype(np.float64)
        data = np.clip(data, *clip) if clip is not None else data
        return [float(np.quantile(data, alpha)) for alpha in alphas]
    eps = privacy.config().panel_epsilon_por_cuantil
    histogram = column.histogram(candidates)
    return privacy.noisy_quantiles_of(histogram, number, alphas, eps, f"panel/{name}", candidates)


@dataclass
class Counts:
    evaluaciones: int
    empresas: int
    reevaluadas: int
    # Set when this cut differs from a broader one (one filter relaxed) by 1–4 firms: comparing
    # the two would reveal those few firms' figures, so the cut is reserved as a whole.
    por_diferencia: bool = False
    # The true number of firms (for the k ≥ 5 rule); ``empresas`` is the published, noisy one.
    reales: int | None = None

    @property
    def reservado(self) -> bool:
        true = self.empresas if self.reales is None else self.reales
        return true < MIN_GROUP or self.por_diferencia


def published_counts(rows: int, firms: int, repeated: int, exact: bool = False) -> Counts:
    """The counts of a cut from its true number of assessments, firms and firms with two or
    more assessments."""
    if exact:
        return Counts(rows, firms, repeated)
    return Counts(
        int(_noisy_count(rows, "evaluaciones", False)),
        int(_noisy_count(firms, "empresas", False)),
        int(_noisy_count(repeated, "reevaluadas", False)),
        reales=firms,
    )


def counts(filtered: pd.DataFrame, exact: bool = False) -> Counts:
    per_firm = filtered["firm_id"].value_counts()
    return published_counts(len(filtered), len(per_firm), int((per_firm >= 2).sum()), exact)


def level_distribution(latest: pd.DataFrame | Table, exact: bool = False) -> pd.DataFrame:
    """Firms per maturity level (1–5) and their share; small cells reserved (on true counts),
    the published counts noisy (one firm is in one level: parallel composition)."""
    table = as_table(latest)
    number = np.array([table.count_in("nivel", (float(level),)) for level in LEVELS])
    noisy = np.array(
        [
            _noisy_count(int(n), f"nivel/{level}", exact)
            for n, level in zip(number, LEVELS, strict=False)
        ]
    )
    total = noisy.sum()
    result = pd.DataFrame(
        {
            "nivel": LEVELS,
            "empresas": noisy.astype(float),
            "porcentaje": 100.0 * noisy / total if total else np.zeros(len(LEVELS)),
        }
    )
    return _reserve(result, protect_partition(number), ["porcentaje"])


def score_summary(
    latest: pd.DataFrame | Table,
    columns: Sequence[str],
    medians: bool = True,
    exact: bool = False,
    bounds: Bounds = (0.0, 100.0),
) -> pd.DataFrame:
    """Mean and median of each score column over the firms that have it."""
    table = as_table(latest)
    rows = []
    true_counts = []
    for name in columns:
        column = table.column(name)
        number = column.count()
        true_counts.append(number)
        if number < MIN_GROUP:
            rows.append((np.nan, np.nan, float(number)))
            continue
        mean, firms = _noisy_mean(column, f"media/{name}", exact, bounds)
        median = np.nan
        if medians and bounds == (0.0, 100.0):
            median = _noisy_quantiles(column, (0.5,), f"mediana/{name}", exact, clip=bounds)[0]
        elif medians and exact:
            median = float(np.median(column.values().astype(np.float64)))
        rows.append((mean, median, firms))
    result = pd.DataFrame(
        {
            "columna": list(columns),
            "media": [r[0] for r in rows],
            "mediana": [r[1] for r in rows],
            "empresas": [r[2] for r in rows],
        }
    )
    return _reserve(result, np.asarray(true_counts) < MIN_GROUP, ["media", "mediana"])


def heatmap(
    latest: pd.DataFrame | Table, columns: Sequence[str], by: str = "ciiu_division", exact=False
):
    """Long table ``by`` × score column: mean and firms per cell, reserved column by column."""
    groups = as_table(latest).split(by)
    keys = np.asarray(list(groups))
    parts: dict[str, list] = {by: [], "columna": [], "media": [], "empresas": [], "reservado": []}
    for name in columns:
        cells = [table.column(name) for table in groups.values()]
        number = np.array([cell.count() for cell in cells], dtype=np.int64)
        shown = number > 0
        means = [
            _noisy_mean(cell, f"celda/{key}/{name}", exact)
            for key, cell, show in zip(groups, cells, shown, strict=True)
            if show
        ]
        reserved = protect_partition(number[shown])
        parts[by].append(keys[shown])
        parts["columna"].append(np.full(int(shown.sum()), name, dtype=object))
        parts["media"].append(np.where(reserved, np.nan, [m[0] for m in means]))
        parts["empresas"].append(np.where(reserved, np.nan, [m[1] for m in means]))
        parts["reservado"].append(reserved)
    if not columns:
        return pd.DataFrame(columns=[by, "columna", "media", "empresas", "reservado"])
    return pd.DataFrame({name: np.concatenate(found) for name, found in parts.items()})


def quarter_tables(filtered: pd.DataFrame, column: str = "global") -> list[tuple[int, Table]]:
    """Per quarter (Lima time) with assessments: each firm's latest of that quarter."""
    frame = _sorted(filtered[[*_order_keys(filtered), column]])
    firms = frame["firm_id"].to_numpy()
    quarter = _quarters(frame["submitted_at"])
    # Sorted by firm and time, so a firm's rows of one quarter are adjacent: keep the last.
    last = np.ones(len(frame), dtype=bool)
    last[:-1] = (firms[1:] != firms[:-1]) | (quarter[1:] != quarter[:-1])
    kept = frame[last]
    quarters = quarter[last]
    return [(int(q), FrameTable(kept[quarters == q])) for q in np.unique(quarters)]


def quarterly_trend(
    filtered: pd.DataFrame | Sequence[tuple[int, Table]], column: str = "global", exact=False
) -> pd.DataFrame:
    """Per quarter (Lima time): firms assessed, mean and median of ``column`` (latest per firm).
    ``filtered``: the cut's rows, or its ``quarter_tables``."""
    if isinstance(filtered, pd.DataFrame):
        filtered = quarter_tables(filtered, column)
    rows = []
    for q, table in filtered:
        cell = table.column(column)
        number = cell.count()
        if number < MIN_GROUP:
            rows.append((q, np.nan, np.nan, float(number), True))
            continue
        mean, firms_noisy = _noisy_mean(cell, f"tendencia/{q}/{column}", exact)
        median = _noisy_quantile(cell, 0.5, f"tendencia/{q}/{column}", exact)
        rows.append((q, mean, median, firms_noisy, False))
    table = pd.DataFrame(rows, columns=["q", "media", "mediana", "empresas", "reservado"])
    number = table["q"].to_numpy()
    reserved = table.pop("reservado").to_numpy(dtype=bool)
    table = table.drop(columns="q")
    table["etiqueta"] = [f"T{q % 4 + 1} {q // 4}" for q in number]
    table["inicio"] = [dt.date(int(q // 4), int(q % 4) * 3 + 1, 1) for q in number]
    return _reserve(table, reserved, ["media", "mediana"])


def weakest_practices(
    latest: pd.DataFrame | Table, top: int | None = 10, exact=False
) -> pd.DataFrame:
    """Practice questions with the lowest mean level (0–4) across firms; reserved ones last."""
    columns = score_columns(latest, "preg_")
    summary = score_summary(latest, columns, medians=False, exact=exact, bounds=(0.0, 4.0))
    summary["pregunta"] = [c.removeprefix("preg_") for c in summary["columna"]]
    summary = summary.rename(columns={"media": "nivel_medio", "mediana": "nivel_mediano"})
    summary["puntaje_medio"] = summary["nivel_medio"] * 25.0
    summary = summary.sort_values(["reservado", "nivel_medio", "pregunta"], kind="stable")
    published = summary[~summary["reservado"]]
    return (published.head(top) if top else published).reset_index(drop=True)


def indicator_distribution(latest: pd.DataFrame | Table, exact: bool = False) -> pd.DataFrame:
    """First quartile, median and third quartile of each indicator's valid values (private
    quantiles over a fixed logarithmic grid: indicators have no common range)."""
    table = as_table(latest)
    columns = score_columns(table, "ind_")
    rows = []
    for name in columns:
        column = table.column(name)
        number = column.count()
        if number < MIN_GROUP:
            rows.append((np.nan, np.nan, np.nan, float(number)))
            continue
        q1, median, q3 = sorted(
            _noisy_quantiles(column, (0.25, 0.5, 0.75), f"indicador/{name}", exact, LOG_GRID)
        )
        firms = _noisy_count(number, f"indicador/{name}/n", exact)
        rows.append((q1, median, q3, firms))
    result = pd.DataFrame(
        {
            "indicador": [c.removeprefix("ind_") for c in columns],
            "q1": [r[0] for r in rows],
            "mediana": [r[1] for r in rows],
            "q3": [r[2] for r in rows],
            "empresas": [r[3] for r in rows],
        }
    )
    reserved = np.array([np.isnan(r[1]) for r in rows], dtype=bool)
    return _reserve(result, reserved, ["q1", "mediana", "q3"])


@dataclass(frozen=True)
class Progress:
    """Firms with two or more assessments in a cut and this score in their first and latest:
    the first, the latest, the change and 100 for «improved» (0 otherwise), one per firm."""

    first: Column
    last: Column
    change: Column
    improved: Column


def progress_columns(filtered: pd.DataFrame, columns: Sequence[str]) -> dict[str, Progress]:
    """``Progress`` of each column from the cut's rows."""
    frame = _sorted(filtered[[*_order_keys(filtered), *columns]])
    repeated = frame["firm_id"].duplicated(keep=False).to_numpy()
    frame = frame[repeated]
    first = frame[~frame["firm_id"].duplicated(keep="first").to_numpy()].set_index("firm_id")
    last = frame[~frame["firm_id"].duplicated(keep="last").to_numpy()].set_index("firm_id")
    found = {}
    for column in columns:
        before = first[column].astype("float64")
        after = last[column].astype("float64")
        change = (after - before).dropna()
        found[column] = Progress(
            Values(before[change.index].to_numpy()),
            Values(after[change.index].to_numpy()),
            Values(change.to_numpy()),
            Values((change > 0).to_numpy(dtype=float) * 100.0),
        )
    return found


def reassessment_progress(
    filtered: pd.DataFrame | dict[str, Progress], columns: Sequence[str], exact: bool = False
) -> pd.DataFrame:
    """Firms with two or more assessments: mean of the first and latest score and the change.
    ``filtered``: the cut's rows, or its ``progress_columns``."""
    if isinstance(filtered, pd.DataFrame):
        filtered = progress_columns(filtered, columns)
    rows = []
    for column in columns:
        found = filtered[column]
        n = found.change.count()
        if n < MIN_GROUP:
            rows.append({"columna": column, "empresas": float(n)})
            continue
        name = f"progreso/{column}"
        rows.append(
            {
                "columna": column,
                "primera": _noisy_mean(found.first, f"{name}/1", exact)[0],
                "ultima": _noisy_mean(found.last, f"{name}/2", exact)[0],
                "cambio": _noisy_mean(found.change, f"{name}/d", exact, (-100.0, 100.0))[0],
                "mejoraron": _noisy_mean(found.improved, f"{name}/m", exact)[0],
                "empresas": _noisy_count(n, f"{name}/n", exact),
            }
        )
    table = pd.DataFrame(
        rows, columns=["columna", "primera", "ultima", "cambio", "mejoraron", "empresas"]
    )
    reserved = np.array([r.get("primera") is None for r in rows], dtype=bool)
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


def relaxations(filters: Filters) -> list[Filters]:
    """The broader cuts of ``filters``: each narrowing filter relaxed in turn."""
    found = []
    for name in ("versions", "ciiu", "sizes", "regions"):
        if getattr(filters, name):
            found.append(dataclasses.replace(filters, **{name: ()}))
    if filters.start is not None or filters.end is not None:
        found.append(dataclasses.replace(filters, start=None, end=None))
    return found


def differs_by_few(frame: pd.DataFrame, filters: Filters, firms: int) -> bool:
    """True when relaxing any one narrowing filter adds between 1 and MIN_GROUP − 1 firms.

    Two published cuts that differ by so few firms would let anyone subtract one from the
    other and recover those firms' figures (a differencing attack).
    """
    firm_ids = frame["firm_id"].to_numpy()
    for broader in relaxations(filters):
        extra = len(pd.unique(firm_ids[filter_mask(frame, broader)])) - firms
        if 0 < extra < MIN_GROUP:
            return True
    return False


@dataclass
class Cut:
    """One filtered cut, shared by the dashboard and the method 2.0 tables: its published
    counts and, unless it is reserved, each firm's latest assessment (``latest``), the
    latest per quarter (``quarters``) and the first and latest of repeated firms
    (``progress``). An empty table for a reserved cut."""

    counts: Counts
    names: list[str]
    latest: Table
    quarters: Callable[[str], list[tuple[int, Table]]]
    progress: Callable[[Sequence[str]], dict[str, Progress]]


def reserved_cut(tally: Counts, names: Sequence[str]) -> Cut:
    """A cut that shows nothing: no firm, no quarter, no repeated firm."""
    empty = FrameTable(pd.DataFrame({name: pd.Series(dtype=float) for name in names}))
    nobody = Progress(
        Values(np.empty(0)), Values(np.empty(0)), Values(np.empty(0)), Values(np.empty(0))
    )
    return Cut(
        tally, list(names), empty, lambda column: [], lambda columns: dict.fromkeys(columns, nobody)
    )


def cut(frame: pd.DataFrame, filters: Filters, exact: bool = False) -> Cut:
    """The cut of ``filters`` from the rows in memory (a ``scoring.panel_cube.PanelCube``
    gives the same cut from summed statistics: ``PanelCube.cut``)."""
    check_fixed(filters)  # server side: no free date range, no arbitrary set of sectors
    filtered = apply_filters(frame, filters)
    tally = counts(filtered, exact)
    true_firms = tally.empresas if tally.reales is None else tally.reales
    if not tally.reservado and differs_by_few(frame, filters, true_firms):
        tally.por_diferencia = True
    if tally.reservado:  # nothing of this cut may be shown
        return reserved_cut(tally, list(frame.columns))
    return Cut(
        tally,
        list(frame.columns),
        FrameTable(latest_per_firm(filtered)),
        lambda column: quarter_tables(filtered, column),
        lambda columns: progress_columns(filtered, columns),
    )


def dashboard(
    frame: pd.DataFrame | None,
    filters: Filters,
    top: int = 10,
    exact: bool = False,
    prepared: Cut | None = None,
) -> Dashboard:
    """The panel's figures for ``filters`` (``prepared``: the cut of these filters, from
    ``cut`` or ``PanelCube.cut``; then ``frame`` is not read)."""
    check_fixed(filters)
    part = prepared if prepared is not None else cut(frame, filters, exact)
    tally, latest, names = part.counts, part.latest, part.names
    dims = [c for c in names if c.startswith("dim_")]
    headline = ["global", *dims, *(c for c in names if c.startswith("ruta_"))]
    summary_columns = [*headline, *(c for c in names if c.startswith("eje_"))]
    return Dashboard(
        counts=tally,
        levels=level_distribution(latest, exact),
        scores=score_summary(latest, [c for c in summary_columns if c in names], exact=exact),
        heatmap=heatmap(latest, ["global", *dims] if "global" in names else dims, exact=exact),
        trend=quarterly_trend(part.quarters("global"), exact=exact)
        if "global" in names
        else pd.DataFrame(),
        weakest=weakest_practices(latest, top, exact),
        indicators=indicator_distribution(latest, exact),
        progress=reassessment_progress(
            part.progress([c for c in headline if c in names]),
            [c for c in headline if c in names],
            exact,
        ),
    )
