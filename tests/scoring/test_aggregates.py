"""Staff aggregates: hand-computed values, small-group suppression and its property."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring.aggregates import (
    MIN_GROUP,
    Filters,
    apply_filters,
    dashboard,
    heatmap,
    indicator_distribution,
    latest_per_firm,
    level_distribution,
    protect_partition,
    quarterly_trend,
    reassessment_progress,
    score_summary,
    weakest_practices,
)

BASE = pd.Timestamp("2025-02-10 15:00", tz="UTC")


def frame(rows: list[dict]) -> pd.DataFrame:
    """Result rows with defaults; ``assessment_id`` follows the row order."""
    defaults = {
        "questionnaire_version": "1.0",
        "submitted_at": BASE,
        "ciiu_division": 10,
        "size_class": "micro",
        "region": "Arequipa",
        "is_demo": False,
        "global": 50.0,
        "nivel": 3.0,
        "dim_economica": 50.0,
        "ruta_R1": 50.0,
        "preg_p1": 2.0,
        "preg_p2": 2.0,
        "ind_x": 1.0,
    }
    data = pd.DataFrame([{**defaults, **row} for row in rows])
    data.insert(0, "assessment_id", range(1, len(data) + 1))
    data["submitted_at"] = pd.to_datetime(data["submitted_at"], utc=True)
    return data


def firms(n: int, first: int = 1, **values: object) -> list[dict]:
    return [{"firm_id": first + i, **values} for i in range(n)]


# --- suppression rule ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ([3, 10], [True, True]),  # 3 = total − 10: the big cell must go too
        ([0, 6, 7], [False, False, False]),
        ([2, 3, 10], [True, True, False]),  # reserved cells hold 5 firms together
        ([1, 6, 7], [True, True, False]),
        ([2, 2], [True, True]),  # the whole group is below 5
        ([0, 0], [False, False]),
    ],
)
def test_protect_partition(counts: list[int], expected: list[bool]) -> None:
    assert protect_partition(counts).tolist() == expected


# --- hand-computed values --------------------------------------------------------------------


def test_level_distribution_reserves_small_cells_and_their_complement() -> None:
    rows = firms(5, 1, nivel=1.0) + firms(5, 6, nivel=2.0) + firms(1, 11, nivel=3.0)
    table = level_distribution(latest_per_firm(frame(rows)), exact=True).set_index("nivel")
    assert table.loc[3, "reservado"] and np.isnan(table.loc[3, "empresas"])
    # Level 1 (5 firms) goes too, or 11 − 5 − 5 would reveal the lone level-3 firm.
    assert table.loc[1, "reservado"]
    assert table.loc[2, "empresas"] == 5
    assert table.loc[2, "porcentaje"] == pytest.approx(100 * 5 / 11)
    assert table.loc[4, "empresas"] == 0 and not table.loc[4, "reservado"]


def test_latest_per_firm_and_score_summary() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]
    rows = [{"firm_id": i + 1, "global": v} for i, v in enumerate(values)]
    rows.append({"firm_id": 1, "global": 70.0, "submitted_at": BASE + pd.Timedelta(days=30)})
    latest = latest_per_firm(frame(rows))
    assert len(latest) == 6
    summary = score_summary(latest, ["global"], exact=True).iloc[0]
    # Firm 1 counts with its later 70: (70 + 20 + 30 + 40 + 50 + 60) / 6 = 45; median 45.
    assert summary["media"] == pytest.approx(45.0)
    assert summary["mediana"] == pytest.approx(45.0)
    assert summary["empresas"] == 6 and not summary["reservado"]


def test_score_summary_reserves_columns_with_few_firms() -> None:
    rows = [{"firm_id": i + 1, "dim_economica": np.nan if i < 3 else 40.0} for i in range(7)]
    table = score_summary(frame(rows), ["global", "dim_economica"], exact=True).set_index("columna")
    assert not table.loc["global", "reservado"]
    assert table.loc["dim_economica", "reservado"]
    assert np.isnan(table.loc["dim_economica", "media"])


def test_heatmap_by_sector() -> None:
    rows = (
        [{"firm_id": i + 1, "ciiu_division": 10, "global": 10.0 * (i + 1)} for i in range(6)]
        + firms(5, 7, ciiu_division=14, **{"global": 80.0})
        + firms(2, 12, ciiu_division=22)
        + firms(3, 14, ciiu_division=31)
    )
    cells = heatmap(frame(rows), ["global"], exact=True).set_index("ciiu_division")
    assert cells.loc[10, "media"] == pytest.approx(35.0)  # (10 + … + 60) / 6
    assert cells.loc[14, "media"] == pytest.approx(80.0)
    assert cells.loc[22, "reservado"] and cells.loc[31, "reservado"]  # 2 + 3 = 5 together
    assert not cells.loc[10, "reservado"] and not cells.loc[14, "reservado"]


def test_quarters_use_lima_time() -> None:
    late_march = pd.Timestamp("2025-04-01 03:00", tz="UTC")  # 31 March, 22:00 in Lima
    april = pd.Timestamp("2025-04-01 06:00", tz="UTC")
    rows = firms(5, 1, submitted_at=late_march, **{"global": 40.0}) + firms(
        5, 6, submitted_at=april, **{"global": 60.0}
    )
    rows.append({"firm_id": 11, "submitted_at": april})  # 6 firms in T2
    trend = quarterly_trend(frame(rows), exact=True).set_index("etiqueta")
    assert trend.loc["T1 2025", "media"] == pytest.approx(40.0)
    assert trend.loc["T2 2025", "empresas"] == 6
    assert trend.loc["T2 2025", "media"] == pytest.approx((5 * 60.0 + 50.0) / 6)
    assert trend.loc["T2 2025", "inicio"] == dt.date(2025, 4, 1)


def test_trend_counts_a_firm_once_per_quarter() -> None:
    rows = firms(5, 1, **{"global": 10.0}) + [
        {"firm_id": 1, "submitted_at": BASE + pd.Timedelta(days=5), "global": 60.0}
    ]
    trend = quarterly_trend(frame(rows), exact=True).iloc[0]
    assert trend["empresas"] == 5
    assert trend["media"] == pytest.approx((60.0 + 4 * 10.0) / 5)


def test_weakest_practices() -> None:
    rows = [{"firm_id": i + 1, "preg_p1": float(i % 2), "preg_p2": 3.0} for i in range(6)]
    rows[0]["preg_p2"] = np.nan  # "No aplica": not counted
    rows.append({"firm_id": 7, "preg_p1": 4.0, "preg_p2": 3.0, "preg_p3": 0.0})
    table = weakest_practices(frame(rows), exact=True)
    assert list(table["pregunta"]) == ["p1", "p2"]  # p3 has 1 firm: reserved, left out
    assert table.iloc[0]["nivel_medio"] == pytest.approx((0 + 1 + 0 + 1 + 0 + 1 + 4) / 7)
    assert table.iloc[1]["empresas"] == 6
    assert table.iloc[0]["puntaje_medio"] == pytest.approx(25 * 7 / 7)


def test_indicator_quartiles() -> None:
    rows = [{"firm_id": i + 1, "ind_x": float(i + 1)} for i in range(6)]
    row = indicator_distribution(frame(rows), exact=True).iloc[0]
    assert (row["q1"], row["mediana"], row["q3"]) == pytest.approx((2.25, 3.5, 4.75))


def test_reassessment_progress() -> None:
    before = [10.0, 20.0, 30.0, 40.0, 50.0]
    after = [15.0, 20.0, 35.0, 50.0, 45.0]
    later = BASE + pd.Timedelta(days=365)
    rows = [{"firm_id": i + 1, "global": v} for i, v in enumerate(before)]
    rows += [{"firm_id": i + 1, "global": v, "submitted_at": later} for i, v in enumerate(after)]
    rows += firms(3, 10)  # assessed once: not part of the progress
    row = reassessment_progress(frame(rows), ["global"], exact=True).iloc[0]
    assert row["empresas"] == 5
    assert row["primera"] == pytest.approx(30.0)
    assert row["ultima"] == pytest.approx(33.0)
    assert row["cambio"] == pytest.approx(3.0)
    assert row["mejoraron"] == pytest.approx(60.0)
    four = reassessment_progress(frame(rows[:4] + rows[5:9]), ["global"], exact=True).iloc[0]
    assert four["reservado"] and np.isnan(four["cambio"])


def test_filters() -> None:
    rows = (
        firms(3, 1, ciiu_division=10)
        + firms(3, 4, ciiu_division=14, is_demo=True)
        + firms(2, 7, submitted_at=pd.Timestamp("2024-06-01", tz="UTC"))
    )
    data = frame(rows)
    assert len(apply_filters(data, Filters(ciiu=(14,)))) == 3
    assert len(apply_filters(data, Filters(include_demo=False))) == 5
    in_2025 = Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 10))
    assert len(apply_filters(data, in_2025)) == 6
    assert apply_filters(data, Filters(end=dt.date(2025, 2, 9)))["firm_id"].tolist() == [7, 8]


def test_dashboard_under_five_firms_publishes_nothing() -> None:
    board = dashboard(frame(firms(4)), Filters(), exact=True)
    assert board.counts.reservado
    for table in (board.levels, board.scores, board.heatmap, board.indicators):
        assert table["reservado"].any() or table["empresas"].fillna(0).eq(0).all()
        published = table[~table["reservado"]]
        assert published["empresas"].fillna(0).eq(0).all()
    assert board.weakest.empty


# --- property: no published cell rests on fewer than 5 firms ----------------------------------

SECTORS = (10, 14, 22)
SIZES = ("micro", "pequena")


@st.composite
def result_frames(draw: st.DrawFn) -> pd.DataFrame:
    n_firms = draw(st.integers(0, 24))
    rows = []
    for firm in range(1, n_firms + 1):
        sector = draw(st.sampled_from(SECTORS))
        size = draw(st.sampled_from(SIZES))
        for _ in range(draw(st.integers(1, 3))):
            score = st.one_of(st.none(), st.floats(0, 100))
            rows.append(
                {
                    "firm_id": firm,
                    "ciiu_division": sector,
                    "size_class": size,
                    "submitted_at": BASE + pd.Timedelta(days=draw(st.integers(0, 500))),
                    "global": draw(st.floats(0, 100)),
                    "nivel": float(draw(st.integers(1, 5))),
                    "dim_economica": draw(score),
                    "ruta_R1": draw(score),
                    "preg_p1": draw(st.one_of(st.none(), st.integers(0, 4))),
                    "ind_x": draw(st.one_of(st.none(), st.floats(-10, 10))),
                }
            )
    if not rows:
        return frame([{"firm_id": 1}]).iloc[:0]
    return frame(rows).astype({"preg_p1": float, "ind_x": float, "dim_economica": float})


def _firms_behind(data: pd.DataFrame, column: str, **where: object) -> int:
    latest = latest_per_firm(data)
    for key, value in where.items():
        latest = latest[latest[key] == value]
    return int(latest[column].notna().sum())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=result_frames(), sectors=st.lists(st.sampled_from(SECTORS), max_size=1))
def test_no_published_cell_rests_on_fewer_than_five_firms(
    data: pd.DataFrame, sectors: list[int]
) -> None:
    chosen = Filters(ciiu=tuple(sectors))
    board = dashboard(data, chosen, exact=True)
    filtered = apply_filters(data, chosen)
    tables = {
        "scores": board.scores,
        "heatmap": board.heatmap,
        "trend": board.trend,
        "indicators": board.indicators,
        "progress": board.progress,
    }
    for name, table in tables.items():
        if table.empty:
            continue
        published = table[~table["reservado"]]
        assert (published["empresas"] >= MIN_GROUP).all(), name
        values = [c for c in ("media", "mediana", "q1", "cambio") if c in table]
        assert table.loc[table["reservado"], values].isna().all().all(), name
    assert (board.weakest["empresas"] >= MIN_GROUP).all()
    levels = board.levels[~board.levels["reservado"]]
    assert ((levels["empresas"] == 0) | (levels["empresas"] >= MIN_GROUP)).all()
    hidden = board.levels.loc[board.levels["reservado"], "empresas"]
    assert hidden.isna().all()
    # Unless nothing is published, the reserved level cells hold 5 firms together, or none.
    true_counts = latest_per_firm(filtered)["nivel"].value_counts()
    hidden_total = sum(
        true_counts.get(n, 0) for n in board.levels.loc[board.levels["reservado"], "nivel"]
    )
    nothing_published = levels["empresas"].fillna(0).eq(0).all()
    assert nothing_published or hidden_total == 0 or hidden_total >= MIN_GROUP
    # Published heatmap counts match an independent count of firms.
    for row in board.heatmap[~board.heatmap["reservado"]].itertuples():
        behind = _firms_behind(filtered, row.columna, ciiu_division=row.ciiu_division)
        assert behind == row.empresas >= MIN_GROUP


# --- differencing ------------------------------------------------------------------------------


def test_a_cut_that_differs_from_a_broader_one_by_few_firms_is_reserved():
    from scoring.aggregates import Filters, dashboard

    # Sector 10 has 6 firms; sector 11 has 1. "All sectors" (7) minus "sector 10" (6) would
    # reveal the single sector-11 firm, so the sector-10 cut is reserved as a whole.
    rows = firms(6, ciiu_division=10) + firms(1, first=50, ciiu_division=11, **{"global": 90.0})
    data = frame(rows)
    narrow = dashboard(data, Filters(ciiu=(10,)), exact=True)
    assert narrow.counts.por_diferencia and narrow.counts.reservado
    assert narrow.scores.empty or narrow.scores["media"].isna().all()
    broad = dashboard(data, Filters(), exact=True)
    assert not broad.counts.reservado  # the full group itself is published


def test_a_cut_that_differs_by_five_or_more_is_published():
    from scoring.aggregates import Filters, dashboard

    rows = firms(6, ciiu_division=10) + firms(5, first=50, ciiu_division=11)
    board = dashboard(frame(rows), Filters(ciiu=(10,)), exact=True)
    assert not board.counts.reservado
    assert board.counts.empresas == 6


# --- fixed partitions (issue 12) ---------------------------------------------------------------


def test_dashboard_accepts_only_fixed_partitions() -> None:
    from scoring.aggregates import (
        SECTOR_GROUPS,
        check_fixed,
        period_bounds,
        period_label,
        sector_group_of,
    )

    data = frame(firms(6, ciiu_division=10))
    start, end = period_bounds("2025-T1")
    for fixed in (
        Filters(),
        Filters(start=start, end=end),
        Filters(ciiu=SECTOR_GROUPS["alimentos"]),
        Filters(ciiu=(10,)),  # one CIIU division
        Filters(sizes=("micro",), regions=("Piura",)),
    ):
        check_fixed(fixed)
        dashboard(data, fixed, exact=True)
    assert period_label(Filters(start=start, end=end)) == "2025-T1"
    assert period_label(Filters()) == ""
    assert sector_group_of((12, 10, 11)) == "alimentos" and sector_group_of((10,)) is None
    for crafted in (
        Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 2, 10)),  # adjacent windows
        Filters(start=dt.date(2025, 1, 1)),  # open-ended range
        Filters(ciiu=(10, 11)),  # a set differing from a group by one division
        Filters(ciiu=(99,)),  # not a manufacturing division
        Filters(regions=("Lima", "Piura")),
    ):
        with pytest.raises(ValueError):
            dashboard(data, crafted, exact=True)
