"""The cube's figures are those of the rows: same true inputs, so the same releases."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading

import numpy as np
import pandas as pd
import pytest

from scoring import panel_cube, privacy
from scoring.aggregates import (
    SECTOR_GROUPS,
    Filters,
    cut,
    dashboard,
    period_bounds,
    period_options,
)
from scoring.panel_cube import PanelCube
from ui.staff_exports import method_board

REGIONS = ["Lima", "Arequipa", "Piura", "Cusco"]
SIZES = ["micro", "pequena", "mediana", "grande"]


def random_frame(seed: int, firms: int = 400) -> pd.DataFrame:
    """Assessments of ``firms`` firms over 2024–2025: some firms assessed two or three times,
    some moving to another region, size or division between assessments, missing values,
    demo firms, scores on whole numbers (ties with the quantile candidates) and not."""
    rng = np.random.default_rng(seed)
    rows = []
    for firm in range(1, firms + 1):
        division = int(rng.choice([10, 11, 13, 14, 25]))
        size = str(rng.choice(SIZES[:3], p=[0.6, 0.3, 0.1]))
        region = str(rng.choice(REGIONS, p=[0.55, 0.25, 0.15, 0.05]))
        demo = bool(rng.random() < 0.08)
        for _ in range(int(rng.choice([1, 2, 3], p=[0.6, 0.3, 0.1]))):
            if rng.random() < 0.15:  # the firm moved or grew
                region = str(rng.choice(REGIONS))
            if rng.random() < 0.1:
                size = str(rng.choice(SIZES))
            if rng.random() < 0.05:
                division = int(rng.choice([10, 11, 13, 14, 25]))
            day = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(
                minutes=int(rng.integers(0, 730 * 24 * 60))
            )
            score = float(rng.choice([rng.uniform(0, 100), round(rng.uniform(0, 100))]))
            rows.append(
                {
                    "firm_id": firm,
                    "submitted_at": day,
                    "ciiu_division": division,
                    "size_class": size,
                    "region": region,
                    "is_demo": demo,
                    "global": score,
                    "nivel": float(rng.integers(1, 6)),
                    "global_sin_no_se": min(score + 5, 100.0),
                    "global_maximo": np.nan if rng.random() < 0.1 else score,
                    "piso_legal": float(rng.integers(0, 2)),
                    "provisional": np.nan if rng.random() < 0.2 else float(rng.integers(0, 2)),
                    "dim_economica": rng.uniform(0, 100) if rng.random() < 0.9 else np.nan,
                    "dim_social": rng.uniform(0, 100),
                    "idx_circular": rng.uniform(0, 100),
                    "ruta_R1": rng.uniform(0, 100),
                    "eje_agua": float(rng.integers(0, 101)),
                    "preg_p1": float(rng.integers(0, 5)) if rng.random() < 0.9 else np.nan,
                    "preg_p2": float(rng.integers(0, 5)),
                    "ind_agua": rng.lognormal(2, 2) if rng.random() < 0.7 else np.nan,
                    "ind_merma": float(rng.choice([0.0, 1.5, 3.0, rng.uniform(0, 10)])),
                    "req_iga": float(rng.integers(0, 5)) if rng.random() < 0.9 else np.nan,
                    "no_se": float(rng.integers(0, 5)),
                }
            )
    data = pd.DataFrame(rows).sort_values(["firm_id", "submitted_at"], kind="stable")
    data.insert(0, "assessment_id", rng.permutation(len(data)) + 1)  # ids not in time order
    data.insert(2, "questionnaire_version", "2.0.0")
    for name in ("size_class", "region"):
        data[name] = pd.Categorical(data[name])
    scores = [c for c in data.columns if c not in ("firm_id", "assessment_id")]
    for name in scores:
        if data[name].dtype == np.float64:
            data[name] = data[name].astype(np.float32)
    data["ciiu_division"] = data["ciiu_division"].astype(np.int16)
    return data.sample(frac=1.0, random_state=seed).reset_index(drop=True)  # any row order


def all_filters() -> list[Filters]:
    periods = ["", *period_options([2024, 2025])[:6], "2023"]  # 2023: no assessment
    found = []
    for period in periods:
        start, end = period_bounds(period)
        for ciiu in [(), SECTOR_GROUPS["textil"], (10,), (25,)]:
            found.append(Filters(start=start, end=end, ciiu=ciiu))
        for region in REGIONS:
            found.append(Filters(start=start, end=end, regions=(region,)))
        found.append(Filters(start=start, end=end, sizes=("pequena",), regions=("Lima",)))
        found.append(Filters(start=start, end=end, sizes=("grande",), include_demo=False))
        found.append(Filters(start=start, end=end, ciiu=(13,), sizes=("micro",)))
    return found


def same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    left, right = left.reset_index(drop=True), right.reset_index(drop=True)
    pd.testing.assert_frame_equal(left, right, check_dtype=False)


@pytest.mark.parametrize(("seed", "big_cell"), [(1, 64), (2, 3)])
def test_cube_gives_the_rows_figures(seed: int, big_cell: int, monkeypatch) -> None:
    """Every filter's figures, with the quantile histograms of a cell summed (``big_cell``
    firms or more) or counted from its firms' codes."""
    monkeypatch.setattr(panel_cube, "BIG_CELL", big_cell)
    privacy.reset()
    data = random_frame(seed)
    cube = PanelCube(data)
    compared = reserved = 0
    for filters in all_filters():
        rows = cut(data, filters)
        summed = cube.cut(filters)
        assert dataclasses.astuple(summed.counts) == dataclasses.astuple(rows.counts), filters
        expected = dashboard(data, filters, prepared=rows)
        found = dashboard(None, filters, prepared=summed)
        for name in ("levels", "scores", "heatmap", "trend", "weakest", "indicators", "progress"):
            same(getattr(found, name), getattr(expected, name))
        expected_method = method_board(data, filters, prepared=rows)
        found_method = method_board(None, filters, prepared=summed)
        for name in ("piso", "requisitos", "provisional", "indices", "banda"):
            same(getattr(found_method, name), getattr(expected_method, name))
        compared += 1
        reserved += rows.counts.reservado
    assert reserved < compared / 2  # most cuts publish figures, so the figures were compared


def test_a_different_input_draws_different_figures() -> None:
    """The comparison above can fail: one firm's score changed gives the cube other inputs,
    so other releases."""
    privacy.reset()
    data = random_frame(3)
    changed = data.copy()
    changed.loc[changed["firm_id"] == 7, "global"] = 99.5
    filters = Filters()
    expected = dashboard(data, filters, prepared=cut(data, filters))
    found = dashboard(None, filters, prepared=PanelCube(changed).cut(filters))
    assert not found.scores.equals(expected.scores)


def test_firms_that_move_count_once_with_their_latest_in_the_cut() -> None:
    """A firm assessed in Lima, then in Piura: in a Lima cut its Lima assessment is its
    latest; in the whole cut, its Piura one; it is one firm, reassessed, in the whole cut."""
    privacy.reset()
    base = random_frame(4, firms=60)
    extra = base.iloc[:2].copy()
    extra["firm_id"] = 10_000
    extra["assessment_id"] = [90_001, 90_002]
    extra["submitted_at"] = pd.to_datetime(["2025-02-01", "2025-05-01"], utc=True)
    extra["region"] = pd.Categorical(["Lima", "Piura"], categories=base["region"].cat.categories)
    extra["global"] = np.array([10.0, 90.0], dtype=np.float32)
    data = pd.concat([base, extra], ignore_index=True)
    cube = PanelCube(data)
    for filters in (Filters(), Filters(regions=("Lima",)), Filters(regions=("Piura",))):
        rows, summed = cut(data, filters), cube.cut(filters)
        assert summed.counts.reales == rows.counts.reales
        same(
            dashboard(None, filters, prepared=summed).scores,
            dashboard(data, filters, prepared=rows).scores,
        )


def test_exact_figures_are_refused() -> None:
    with pytest.raises(ValueError):
        PanelCube(random_frame(5, firms=20)).cut(Filters(), exact=True)


def test_only_fixed_partitions() -> None:
    cube = PanelCube(random_frame(6, firms=20))
    with pytest.raises(ValueError):
        cube.cut(Filters(start=dt.date(2025, 1, 5), end=dt.date(2025, 2, 1)))
    with pytest.raises(ValueError):
        cube.cut(Filters(ciiu=(10, 13)))


def test_filter_choices_come_from_the_cells() -> None:
    data = random_frame(7, firms=80)
    found = PanelCube(data).present()
    assert found.divisions == set(data["ciiu_division"].astype(int))
    assert found.sizes == set(data["size_class"].astype(str))
    assert found.regions == set(data["region"].astype(str))
    assert found.years == [2024, 2025]
    assert not found.only_demo
    assert PanelCube(data[data["is_demo"]]).present().only_demo


def test_assessments_at_the_same_time_are_ordered_by_id_on_both_paths() -> None:
    """Two assessments of one firm at the same instant: the latest is the larger id, in the
    rows and in the cube, whatever the frame's order."""
    privacy.reset()
    base = random_frame(8, firms=60)
    twins = base.iloc[:2].copy()
    twins["firm_id"] = 20_000
    twins["assessment_id"] = [90_002, 90_001]  # the later id first in the frame
    twins["submitted_at"] = pd.to_datetime(["2025-03-01 12:00", "2025-03-01 12:00"], utc=True)
    twins["global"] = np.array([5.0, 95.0], dtype=np.float32)
    twins["nivel"] = np.array([1.0, 5.0], dtype=np.float32)
    data = pd.concat([base, twins], ignore_index=True)
    filters = Filters()
    rows, summed = cut(data, filters), PanelCube(data).cut(filters)
    expected = dashboard(data, filters, prepared=rows)
    found = dashboard(None, filters, prepared=summed)
    for name in ("levels", "scores", "trend", "progress"):
        same(getattr(found, name), getattr(expected, name))


def test_one_cube_never_mixes_questionnaire_versions() -> None:
    data = random_frame(9, firms=20)
    data["questionnaire_version"] = np.where(data.index % 2 == 0, "2.0.0", "2.1.0")
    with pytest.raises(ValueError):
        PanelCube(data)


def _figures(cube: PanelCube, filters: Filters) -> tuple:
    prepared = cube.cut(filters)
    board = dashboard(None, filters, prepared=prepared)
    method = method_board(None, filters, prepared=prepared)
    return board, method


def _same_figures(found: tuple, expected: tuple) -> None:
    for name in ("levels", "scores", "heatmap", "trend", "weakest", "indicators", "progress"):
        same(getattr(found[0], name), getattr(expected[0], name))
    for name in ("piso", "requisitos", "provisional", "indices", "banda"):
        same(getattr(found[1], name), getattr(expected[1], name))


@pytest.mark.parametrize("big_cell", [64, 3])
def test_a_saved_cube_gives_the_same_figures_before_and_after_its_rows(
    big_cell: int, monkeypatch
) -> None:
    """A cube saved after its first view, read back in a «fresh process»: the whole period
    and the quarters at once, without rows; a year once the rows are attached."""
    monkeypatch.setattr(panel_cube, "BIG_CELL", big_cell)
    privacy.reset()
    data = random_frame(5)
    built = PanelCube(data)
    built.prepare(PanelCube.FIRST_VIEW)
    meta, blob = built.snapshot()
    loaded = PanelCube.from_snapshot(json.loads(json.dumps(meta)), blob)
    assert loaded.assessments == len(data)
    assert loaded.present() == built.present()
    quarter = period_bounds("2025-T2")
    in_quarter = Filters(start=quarter[0], end=quarter[1])
    assert loaded.firms(in_quarter) == built.firms(in_quarter)  # the trend's quarters
    shown = [
        Filters(),
        Filters(regions=("Lima",)),
        Filters(ciiu=SECTOR_GROUPS["textil"], include_demo=False),
    ]
    for filters in shown:
        assert loaded.firms(filters) == built.firms(filters)
        _same_figures(_figures(loaded, filters), _figures(built, filters))
    assert not loaded.has_rows
    year = period_bounds("2024")
    in_year = Filters(start=year[0], end=year[1])
    waiting = threading.Thread(target=loaded.attach, args=(data,))
    waiting.start()  # a cut of another period waits for the rows
    for filters in (in_year, in_quarter, Filters(sizes=("micro",), start=year[0], end=year[1])):
        _same_figures(_figures(loaded, filters), _figures(built, filters))
    waiting.join()
    assert loaded.has_rows


def test_a_saved_cube_refuses_other_rows() -> None:
    """Rows of another data version (one more assessment) are not attached: the periods it
    holds still show, any other fails instead of mixing two versions."""
    data = random_frame(6)
    built = PanelCube(data)
    built.prepare(PanelCube.FIRST_VIEW)
    loaded = PanelCube.from_snapshot(*built.snapshot())
    assert not loaded.attach(data.iloc[:-1])
    loaded.cut(Filters())  # held by the snapshot
    year = period_bounds("2025")
    with pytest.raises(panel_cube.RowsMissing):
        loaded.cut(Filters(start=year[0], end=year[1]))
    again = PanelCube.from_snapshot(*built.snapshot())
    assert again.attach(data.sample(frac=1.0, random_state=1))  # any row order
    again.cut(Filters(start=year[0], end=year[1]))


def test_a_saved_cube_of_another_format_is_refused() -> None:
    built = PanelCube(random_frame(7, firms=40))
    meta, blob = built.snapshot()
    with pytest.raises(ValueError):
        PanelCube.from_snapshot({**meta, "format": 0}, blob)
