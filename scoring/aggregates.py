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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoring import privacy
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


def _finite(values: np.ndarray | pd.Series) -> np.ndarray:
    """The finite values, in their own dtype (float32 scores stay float32; a copy only when
    some are missing)."""
    values = np.asarray(values)
    if values.dtype.kind not in "fc":
        values = values.astype(np.float64)
    finite = np.isfinite(values)
    return values if finite.all() else values[finite]


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


# --- Differentially private figures (``exact`` only in tests) -----------------------------


def _noisy_count(values: np.ndarray | int, name: str, exact: bool) -> float:
    if exact:
        return float(values if isinstance(values, (int, np.integer)) else len(values))
    eps = privacy.config().panel_count_epsilon
    return float(privacy.noisy_count(values, eps, f"panel/{name}"))


def _noisy_mean(
    values: np.ndarray, name: str, exact: bool, bounds: tuple[float, float] = (0.0, 100.0)
) -> tuple[float, float]:
    """(mean, firms) of the finite values; NaN mean for none."""
    values = _finite(values)
    if not len(values):
        return np.nan, 0.0
    if exact:
        return float(values.mean(dtype=np.float64)), float(len(values))
    cfg = privacy.config()
    mean, count = privacy.noisy_mean(
        values, cfg.panel_sum_epsilon, cfg.panel_count_epsilon, f"panel/{name}", bounds
    )
    return mean, float(count)


def _noisy_quantile(
    values: np.ndarray,
    alpha: float,
    name: str,
    exact: bool,
    candidates: Sequence[float] = privacy.SCORE_CANDIDATES,
) -> float:
    return _noisy_quantiles(values, (alpha,), name, exact, candidates)[0]


def _noisy_quantiles(
    values: np.ndarray,
    alphas: Sequence[float],
    name: str,
    exact: bool,
    candidates: Sequence[float] = privacy.SCORE_CANDIDATES,
) -> list[float]:
    """Several quantiles of the same values (counted once; each spends the quantile ε)."""
    values = _finite(values)
    if not len(values):
        return [np.nan for _ in alphas]
    if exact:
        return [float(np.quantile(values.astype(np.float64), alpha)) for alpha in alphas]
    eps = privacy.config().panel_epsilon_por_cuantil
    return privacy.noisy_quantiles(values, alphas, eps, f"panel/{name}", candidates)


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


def counts(filtered: pd.DataFrame, exact: bool = False) -> Counts:
    per_firm = filtered["firm_id"].value_counts()
    firms = int(len(per_firm))
    if exact:
        return Counts(len(filtered), firms, int((per_firm >= 2).sum()))
    return Counts(
        int(_noisy_count(len(filtered), "evaluaciones", False)),
        int(_noisy_count(firms, "empresas", False)),
        int(_noisy_count(int((per_firm >= 2).sum()), "reevaluadas", False)),
        reales=firms,
    )


def level_distribution(latest: pd.DataFrame, exact: bool = False) -> pd.DataFrame:
    """Firms per maturity level (1–5) and their share; small cells reserved (on true counts),
    the published counts noisy (one firm is in one level: parallel composition)."""
    found = latest["nivel"].to_numpy()
    number = np.array([(found == level).sum() for level in LEVELS])
    noisy = np.array(
        [
            _noisy_count(int(n), f"nivel/{level}", exact)
            for n, level in zip(number, LEVELS, strict=False)
        ]
    )
    total = noisy.sum()
    table = pd.DataFrame(
        {
            "nivel": LEVELS,
            "empresas": noisy.astype(float),
            "porcentaje": 100.0 * noisy / total if total else np.zeros(len(LEVELS)),
        }
    )
    return _reserve(table, protect_partition(number), ["porcentaje"])


def score_summary(
    latest: pd.DataFrame,
    columns: Sequence[str],
    medians: bool = True,
    exact: bool = False,
    bounds: tuple[float, float] = (0.0, 100.0),
) -> pd.DataFrame:
    """Mean and median of each score column over the firms that have it."""
    rows = []
    true_counts = []
    for column in columns:
        values = _finite(latest[column].to_numpy())
        number = len(values)
        true_counts.append(number)
        if number < MIN_GROUP:
            rows.append((np.nan, np.nan, float(number)))
            continue
        mean, firms = _noisy_mean(values, f"media/{column}", exact, bounds)
        median = (
            _noisy_quantile(np.clip(values, *bounds), 0.5, f"mediana/{column}", exact)
            if medians and bounds == (0.0, 100.0)
            else (float(np.nanmedian(values)) if medians and exact else np.nan)
        )
        rows.append((mean, median, firms))
    table = pd.DataFrame(
        {
            "columna": list(columns),
            "media": [r[0] for r in rows],
            "mediana": [r[1] for r in rows],
            "empresas": [r[2] for r in rows],
        }
    )
    return _reserve(table, np.asarray(true_counts) < MIN_GROUP, ["media", "mediana"])


def heatmap(latest: pd.DataFrame, columns: Sequence[str], by: str = "ciiu_division", exact=False):
    """Long table ``by`` × score column: mean and firms per cell, reserved column by column."""
    keys = latest[by]
    keys = keys.astype(str) if keys.dtype.name == "category" else keys
    # Sorted once by group: each cell is a slice (a view), not a copy per group and column.
    order = np.argsort(keys.to_numpy(), kind="stable")
    ordered_keys = keys.to_numpy()[order]
    groups, starts = np.unique(ordered_keys, return_index=True)
    stops = np.append(starts[1:], len(ordered_keys))[: len(starts)]
    parts = []
    for column in columns:
        values = latest[column].to_numpy()[order]
        cells = [values[a:b] for a, b in zip(starts, stops, strict=True)]
        number = np.array([int(np.isfinite(c).sum()) for c in cells], dtype=np.int64)
        means = [
            _noisy_mean(cell, f"celda/{key}/{column}", exact)
            for key, cell in zip(groups, cells, strict=True)
        ]
        part = pd.DataFrame(
            {
                by: groups,
                "columna": column,
                "media": [c[0] for c in means],
                "empresas": [c[1] for c in means],
            }
        )
        part = part[number > 0]
        parts.append(_reserve(part, protect_partition(number[number > 0]), ["media"]))
    if not parts:
        return pd.DataFrame(columns=[by, "columna", "media", "empresas", "reservado"])
    return pd.concat(parts, ignore_index=True)


def quarterly_trend(filtered: pd.DataFrame, column: str = "global", exact=False) -> pd.DataFrame:
    """Per quarter (Lima time): firms assessed, mean and median of ``column`` (latest per firm)."""
    frame = _sorted(filtered)
    firms = frame["firm_id"].to_numpy()
    quarter = _quarters(frame["submitted_at"])
    # Sorted by firm and time, so a firm's rows of one quarter are adjacent: keep the last.
    last = np.ones(len(frame), dtype=bool)
    last[:-1] = (firms[1:] != firms[:-1]) | (quarter[1:] != quarter[:-1])
    values = frame[column].to_numpy(dtype=float)[last]
    quarters = quarter[last]
    rows = []
    for q in np.unique(quarters):
        cell = values[quarters == q]
        number = int(np.isfinite(cell).sum())
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


def weakest_practices(latest: pd.DataFrame, top: int | None = 10, exact=False) -> pd.DataFrame:
    """Practice questions with the lowest mean level (0–4) across firms; reserved ones last."""
    columns = score_columns(latest, "preg_")
    summary = score_summary(latest, columns, medians=False, exact=exact, bounds=(0.0, 4.0))
    summary["pregunta"] = [c.removeprefix("preg_") for c in summary["columna"]]
    summary = summary.rename(columns={"media": "nivel_medio", "mediana": "nivel_mediano"})
    summary["puntaje_medio"] = summary["nivel_medio"] * 25.0
    summary = summary.sort_values(["reservado", "nivel_medio", "pregunta"], kind="stable")
    published = summary[~summary["reservado"]]
    return (published.head(top) if top else published).reset_index(drop=True)


def indicator_distribution(latest: pd.DataFrame, exact: bool = False) -> pd.DataFrame:
    """First quartile, median and third quartile of each indicator's valid values (private
    quantiles over a fixed logarithmic grid: indicators have no common range)."""
    columns = score_columns(latest, "ind_")
    rows = []
    for column in columns:
        values = _finite(latest[column].to_numpy())
        number = len(values)
        if number < MIN_GROUP:
            rows.append((np.nan, np.nan, np.nan, float(number)))
            continue
        q1, median, q3 = sorted(
            _noisy_quantiles(values, (0.25, 0.5, 0.75), f"indicador/{column}", exact, LOG_GRID)
        )
        firms = _noisy_count(values, f"indicador/{column}/n", exact)
        rows.append((q1, median, q3, firms))
    table = pd.DataFrame(
        {
            "indicador": [c.removeprefix("ind_") for c in columns],
            "q1": [r[0] for r in rows],
            "mediana": [r[1] for r in rows],
            "q3": [r[2] for r in rows],
            "empresas": [r[3] for r in rows],
        }
    )
    reserved = np.array([np.isnan(r[1]) for r in rows], dtype=bool)
    return _reserve(table, reserved, ["q1", "mediana", "q3"])


def reassessment_progress(
    filtered: pd.DataFrame, columns: Sequence[str], exact: bool = False
) -> pd.DataFrame:
    """Firms with two or more assessments: mean of the first and latest score and the change."""
    frame = _sorted(filtered[["firm_id", "submitted_at", *columns]])
    repeated = frame["firm_id"].duplicated(keep=False).to_numpy()
    frame = frame[repeated]
    first = frame[~frame["firm_id"].duplicated(keep="first").to_numpy()].set_index("firm_id")
    last = frame[~frame["firm_id"].duplicated(keep="last").to_numpy()].set_index("firm_id")
    rows = []
    for column in columns:
        before = first[column].astype("float64")
        after = last[column].astype("float64")
        change = (after - before).dropna()
        n = len(change)
        if n < MIN_GROUP:
            rows.append({"columna": column, "empresas": float(n)})
            continue
        name = f"progreso/{column}"
        improved = (change > 0).to_numpy(dtype=float) * 100.0
        rows.append(
            {
                "columna": column,
                "primera": _noisy_mean(before[change.index].to_numpy(), f"{name}/1", exact)[0],
                "ultima": _noisy_mean(after[change.index].to_numpy(), f"{name}/2", exact)[0],
                "cambio": _noisy_mean(change.to_numpy(), f"{name}/d", exact, (-100.0, 100.0))[0],
                "mejoraron": _noisy_mean(improved, f"{name}/m", exact)[0],
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
    firm_ids = frame["firm_id"].to_numpy()
    for broader in relaxations:
        extra = len(pd.unique(firm_ids[filter_mask(frame, broader)])) - firms
        if 0 < extra < MIN_GROUP:
            return True
    return False


@dataclass
class Cut:
    """One filtered cut, shared by the dashboard and the method 2.0 tables: its published
    counts and, unless it is reserved, its rows and each firm's latest assessment."""

    counts: Counts
    filtered: pd.DataFrame
    latest: pd.DataFrame


def cut(frame: pd.DataFrame, filters: Filters, exact: bool = False) -> Cut:
    check_fixed(filters)  # server side: no free date range, no arbitrary set of sectors
    filtered = apply_filters(frame, filters)
    tally = counts(filtered, exact)
    true_firms = tally.empresas if tally.reales is None else tally.reales
    if not tally.reservado and differs_by_few(frame, filters, true_firms):
        tally.por_diferencia = True
    if tally.reservado:
        filtered = filtered.iloc[0:0]  # nothing of this cut may be shown
    return Cut(tally, filtered, latest_per_firm(filtered))


def dashboard(
    frame: pd.DataFrame,
    filters: Filters,
    top: int = 10,
    exact: bool = False,
    prepared: Cut | None = None,
) -> Dashboard:
    """The panel's figures for ``filters`` (``prepared``: the ``cut`` of these filters)."""
    check_fixed(filters)
    part = prepared if prepared is not None else cut(frame, filters, exact)
    tally, filtered, latest = part.counts, part.filtered, part.latest
    dims = score_columns(frame, "dim_")
    headline = ["global", *dims, *score_columns(frame, "ruta_")]
    summary_columns = [*headline, *score_columns(frame, "eje_")]
    return Dashboard(
        counts=tally,
        levels=level_distribution(latest, exact),
        scores=score_summary(latest, [c for c in summary_columns if c in frame], exact=exact),
        heatmap=heatmap(latest, ["global", *dims] if "global" in frame else dims, exact=exact),
        trend=quarterly_trend(filtered, exact=exact) if "global" in frame else pd.DataFrame(),
        weakest=weakest_practices(latest, top, exact),
        indicators=indicator_distribution(latest, exact),
        progress=reassessment_progress(filtered, [c for c in headline if c in frame], exact),
    )
