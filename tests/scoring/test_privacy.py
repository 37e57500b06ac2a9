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


# --- Fast quantile: scores computed with numpy, noise from OpenDP (issue 11) -----------------


def _awkward_values(rng: np.random.Generator, candidates: tuple[float, ...]) -> np.ndarray:
    """Ties, values equal to candidates, values between them and at both ends."""
    n = int(rng.integers(1, 400))
    grid = np.asarray(candidates)
    mixed = np.concatenate(
        [
            rng.choice(grid, size=n),
            rng.uniform(grid[0], grid[-1], size=n).round(int(rng.integers(0, 3))),
            np.full(int(rng.integers(0, 5)), grid[0]),
            np.full(int(rng.integers(0, 5)), grid[-1]),
        ]
    )
    return rng.permutation(mixed)[: int(rng.integers(1, 2 * n + 1))]


@pytest.mark.parametrize("candidates", [privacy.SCORE_CANDIDATES, privacy.LOG_GRID])
@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.75, 0.1])
def test_fast_quantile_scores_are_opendps(candidates, alpha) -> None:
    mechanism = privacy._quantile_mechanism(candidates, alpha, 0.5)
    rng = np.random.default_rng(11)
    for _ in range(30):
        values = _awkward_values(rng, candidates)
        ours = mechanism.scores(values)
        theirs = np.asarray(mechanism.score([float(v) for v in values]))
        assert np.array_equal(ours, theirs)


@pytest.mark.parametrize("alpha", [0.25, 0.5, 0.75])
def test_fast_quantile_spends_the_same_epsilon(alpha) -> None:
    for candidates in (privacy.SCORE_CANDIDATES, privacy.LOG_GRID):
        mechanism = privacy._quantile_mechanism(candidates, alpha, 0.4)
        reference = privacy._quantile_measurement(candidates, alpha, 0.4)
        fast = mechanism.score >> mechanism.select
        assert fast.map(1) == pytest.approx(reference.map(1))
        assert fast.map(1) == pytest.approx(0.4)
        assert str(fast.output_measure) == str(reference.output_measure)


def _chi_square(a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> tuple[float, int]:
    """Two-sample chi-square statistic over bins (those with few draws merged) and its df."""
    first, _ = np.histogram(a, edges)
    second, _ = np.histogram(b, edges)
    merged_a, merged_b, acc_a, acc_b = [], [], 0, 0
    for x, y in zip(first, second, strict=True):
        acc_a, acc_b = acc_a + x, acc_b + y
        if acc_a + acc_b >= 20:
            merged_a.append(acc_a)
            merged_b.append(acc_b)
            acc_a = acc_b = 0
    merged_a[-1] += acc_a
    merged_b[-1] += acc_b
    x, y = np.asarray(merged_a, float), np.asarray(merged_b, float)
    total = x + y
    expected_x = total * x.sum() / total.sum()
    expected_y = total * y.sum() / total.sum()
    stat = float(((x - expected_x) ** 2 / expected_x + (y - expected_y) ** 2 / expected_y).sum())
    return stat, len(x) - 1


def test_fast_quantile_draws_like_the_reference() -> None:
    """Same data, 2 000 releases each way: the two samples come from one distribution (a
    chi-square far beyond chance fails; a scale off by the denominator of α is caught)."""
    values = np.array([12.0, 20.0, 31.0, 35.0, 47.0, 52.5, 58.0, 64.0, 70.0, 88.0])
    candidates, alpha, epsilon = privacy.SCORE_CANDIDATES, 0.5, 0.5
    reference = privacy._quantile_measurement(candidates, alpha, epsilon)
    mechanism = privacy._quantile_mechanism(candidates, alpha, epsilon)
    scores = mechanism.scores(values)
    draws = 2000
    slow = np.array([reference(values.tolist()) for _ in range(draws)])
    fast = np.array([mechanism.pick(scores) for _ in range(draws)])
    stat, df = _chi_square(slow, fast, np.arange(0.0, 102.0))
    assert stat < df + 8 * np.sqrt(2 * df), (stat, df)  # far beyond chance: p < 10⁻⁵
    assert 20.0 < np.median(fast) < 80.0


def test_quantile_release_depends_on_the_values_not_their_order() -> None:
    values = np.random.default_rng(2).uniform(0, 100, 500)
    first = privacy.noisy_quantile(values, 0.5, 0.3, "orden")
    assert privacy.noisy_quantile(values[::-1], 0.5, 0.3, "orden") == first
    assert privacy.noisy_quantiles(values, (0.25, 0.5), 0.3, "orden")[1] == first


def test_pooled_laplace_noise_is_the_mechanisms() -> None:
    """Counts and sums take their noise from batches drawn by OpenDP's own mechanism (on a
    vector of zeros): the releases follow the scalar mechanism's distribution, and each draw
    is used once (a reused draw would make every release equal and fail the comparison)."""
    epsilon = 0.3
    scalar = privacy._count_measurement(epsilon)
    draws = 2000
    reference = np.array([scalar(40) for _ in range(draws)])
    pooled = np.array([privacy._release_count(40, epsilon) for _ in range(draws)])
    stat, df = _chi_square(reference, pooled, np.arange(0.0, 81.0))
    assert stat < df + 8 * np.sqrt(2 * df), (stat, df)
    assert len(set(pooled.tolist())) > 10


def test_a_remembered_release_draws_no_new_noise() -> None:
    privacy.noisy_count(12, 0.5, "una")
    left = len(privacy._noise[("laplace", 1 / 0.5)])
    for _ in range(5):
        privacy.noisy_count(12, 0.5, "una")  # remembered: same figure, no draw
    assert len(privacy._noise[("laplace", 1 / 0.5)]) == left
    privacy.noisy_count(13, 0.5, "una")  # new data: one fresh draw
    assert len(privacy._noise[("laplace", 1 / 0.5)]) == left - 1


def test_rank_codes_of_float32_scores_are_those_of_their_float64_values() -> None:
    """The cube codes float32 scores without widening them; the codes must not change."""
    rng = np.random.default_rng(3)
    values = np.concatenate(
        [rng.uniform(-5, 105, 5000), np.arange(-2, 103), rng.integers(0, 101, 500) + 0.5]
    ).astype(np.float32)
    for grid in (privacy.SCORE_CANDIDATES, privacy.LOG_GRID):
        narrow = privacy.rank_codes(values, grid)
        wide = privacy.rank_codes(values.astype(np.float64), grid)
        assert np.array_equal(narrow, wide)
        histogram = np.bincount(wide, minlength=2 * len(grid) + 2)
        less, greater = privacy.ranks(histogram, len(values))
        clipped = np.clip(values.astype(np.float64), grid[0], grid[-1])
        assert np.array_equal(less, [(clipped < c).sum() for c in grid])
        assert np.array_equal(greater, [(clipped > c).sum() for c in grid])
