"""Issue 12: differential privacy of published figures (OpenDP), its configuration, the fixed
partitions of the staff panel, and the replay of the «two adjacent cuts» attack.

(b) Two adjacent cuts: staff publish the year and its quarters (fixed partitions, each of at
least five firms). One target firm is the only one assessed in the fourth quarter (that cell is
reserved), so n × mean of the year minus n × mean of the three published quarters would give
its score exactly. With the noisy figures the recovered value misses the target's score by more
than ``MARGIN`` points in at least 90 % of 200 fresh releases.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from scoring import privacy
from scoring.aggregates import (
    SECTOR_GROUPS,
    Filters,
    check_fixed,
    dashboard,
    period_bounds,
    period_options,
)

MARGIN = 2.0
RUNS = 200
TARGET = 63.0


@pytest.fixture(autouse=True)
def _fresh_releases():
    privacy.reset()
    yield
    privacy.reset()


def test_config_file_and_environment_override(tmp_path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("[pares]\nepsilon_por_puntaje = 0.6\n", encoding="utf-8")
    loaded = privacy.load_config(path, environ={"BRUJULA_DP_PANEL_EPSILON_POR_CIFRA": "2,5"})
    assert loaded.pares_epsilon_por_puntaje == 0.6
    assert loaded.peer_quantile_epsilon == pytest.approx(0.2)
    assert loaded.panel_epsilon_por_cifra == 2.5
    with pytest.raises(ValueError):
        privacy.load_config(path, environ={"BRUJULA_DP_PARES_EPSILON_POR_PUNTAJE": "0"})
    default = privacy.load_config()  # the file in the repository
    assert default.pares_epsilon_por_puntaje > 0


def test_measurements_spend_the_configured_epsilon() -> None:
    count = privacy._count_measurement(0.3)
    assert privacy.epsilon_of(count, privacy.count_sensitivity()) == pytest.approx(0.3)
    total = privacy._sum_measurement(0.7)
    assert privacy.epsilon_of(total, privacy.sum_sensitivity()) == pytest.approx(0.7)
    # The same mechanism OpenDP builds from the list of firms (count / clamped sum, then
    # Laplace): same noise scale, same ε for one firm added or removed.
    dp = privacy.dp
    vector = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    from_list = dp.t.make_count(vector, dp.symmetric_distance()) >> dp.m.then_laplace(scale=1 / 0.3)
    assert from_list.map(1) == pytest.approx(privacy.epsilon_of(count, 1))
    bounded = dp.vector_domain(dp.atom_domain(bounds=(0, privacy.SUM_STEPS)))
    sum_from_list = dp.t.make_sum(bounded, dp.symmetric_distance()) >> dp.m.then_laplace(
        scale=privacy.SUM_STEPS / 0.7
    )
    assert sum_from_list.map(1) == pytest.approx(
        privacy.epsilon_of(total, privacy.sum_sensitivity())
    )
    assert str(sum_from_list.output_measure) == str(total.output_measure)
    q = privacy._quantile_measurement(privacy.SCORE_CANDIDATES, 0.25, 0.4)
    assert privacy.epsilon_of(q) == pytest.approx(0.4)


def test_releases_are_stable_per_data_and_change_with_it() -> None:
    values = np.array([10.0, 20.0, 30.0, 40.0, 50.0, 60.0])
    first = privacy.noisy_mean(values, 1.0, 0.5, "x")
    assert all(privacy.noisy_mean(values, 1.0, 0.5, "x") == first for _ in range(10))
    means = {privacy.noisy_mean(np.append(values, v), 1.0, 0.5, "x")[0] for v in range(10)}
    assert len(means) > 1  # new data, new draw
    assert 0.0 <= first[0] <= 100.0


def test_fixed_partitions() -> None:
    assert period_bounds("2025-T4") == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert period_bounds("2024") == (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert period_options([2025])[:2] == ["2025", "2025-T4"]
    start, end = period_bounds("2025-T2")
    check_fixed(Filters(start=start, end=end, ciiu=SECTOR_GROUPS["metales"], sizes=("micro",)))
    with pytest.raises(ValueError):
        check_fixed(Filters(start=dt.date(2025, 1, 1), end=dt.date(2025, 3, 30)))
    with pytest.raises(ValueError):
        check_fixed(Filters(ciiu=(10, 11)))  # not a predefined group
    with pytest.raises(ValueError):
        check_fixed(Filters(regions=("Lima", "Piura")))
    divisions = sorted(d for group in SECTOR_GROUPS.values() for d in group)
    assert divisions == list(range(10, 34))  # a partition of CIIU 10–33


def _cuts_frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    firm = 0
    for _quarter, month in ((1, 2), (2, 5), (3, 8)):
        for _ in range(6):
            firm += 1
            when = pd.Timestamp(2025, month, 10, 15, tz="UTC")
            rows.append((firm, when, float(rng.integers(20, 90))))
    rows.append((999, pd.Timestamp(2025, 11, 10, 15, tz="UTC"), TARGET))
    data = pd.DataFrame(rows, columns=["firm_id", "submitted_at", "global"])
    data["assessment_id"] = range(1, len(data) + 1)
    for column, value in (
        ("questionnaire_version", "1.0"),
        ("ciiu_division", 10),
        ("size_class", "micro"),
        ("region", "Lima"),
        ("is_demo", False),
        ("nivel", 3.0),
    ):
        data[column] = value
    return data


def _recovered(data: pd.DataFrame, exact: bool) -> float:
    def cut(label: str):
        start, end = period_bounds(label)
        row = dashboard(data, Filters(start=start, end=end), exact=exact).scores
        row = row.set_index("columna").loc["global"]
        return row["empresas"], row["media"]

    n_year, mean_year = cut("2025")
    total = n_year * mean_year
    for label in ("2025-T1", "2025-T2", "2025-T3"):
        n, mean = cut(label)
        total -= n * mean
    q4 = dashboard(
        data, Filters(*(), **dict(zip(("start", "end"), period_bounds("2025-T4"), strict=False)))
    )
    assert q4.counts.reservado  # the target's own quarter is never published
    return float(total)


def test_two_adjacent_cuts_attack_misses_the_target() -> None:
    data = _cuts_frame()
    # Without noise the attack recovers the target exactly (what the staff export allowed).
    assert _recovered(data, exact=True) == pytest.approx(TARGET)
    errors = []
    for _ in range(RUNS):
        privacy.reset()
        errors.append(abs(_recovered(data, exact=False) - TARGET))
    share = float(np.mean(np.array(errors) > MARGIN))
    assert share >= 0.90, f"only {share:.0%} of releases off by more than {MARGIN} points"
