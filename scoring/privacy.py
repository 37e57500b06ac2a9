"""Differentially private releases of peer and aggregate figures (OpenDP), issue 12.

Every figure that summarises several firms (a count, a mean, a median or quartile) is released
through an OpenDP measurement: counts and bounded sums get Laplace noise, quantiles come from
OpenDP's exponential-mechanism quantile over a fixed grid of candidates. Neighbouring data sets
differ by one firm added or removed (``symmetric_distance``), so the noise hides any one firm,
including in the difference of two published cuts.

The privacy parameters (ε) live in ``configuracion/privacidad.toml`` and can be overridden by
``BRUJULA_DP_<SECCION>_<CLAVE>`` environment variables.

Noise is drawn once per (statistic, data): a release is remembered under the statistic's
name, its parameters and the exact input of its mechanism (the true count, the true clamped sum,
the quantile's score of every candidate), so reloading a page or asking the same question again
returns the same figure and cannot average the noise away. That input is all the mechanism sees
of the data (the release is a function of it), so two data sets that share it share one release
and their difference reveals nothing; any other change draws fresh noise. The memory is per
server process and bounded (oldest releases are forgotten first).

Each mechanism's input is computed here with numpy (a pass or a sort over the values, no
Python object per firm) and handed to the OpenDP measurement that adds the noise, with the
same sensitivity and ε as OpenDP's own end-to-end measurement (checked when it is built and
in ``tests/scoring/test_privacy.py``).

Small-group suppression (k ≥ 5) is applied by the callers on the true count, before any noise.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import tomllib
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import opendp.prelude as dp

dp.enable_features("contrib")

CONFIG_PATH = Path(__file__).resolve().parent.parent / "configuracion" / "privacidad.toml"
ENV_PREFIX = "BRUJULA_DP_"
# Scores are bounded to [0, 100]; sums are taken over integers in tenths of a point.
SCORE_BOUNDS = (0.0, 100.0)
SUM_STEPS = 1000
SCORE_CANDIDATES = tuple(float(i) for i in range(101))
CACHE_SIZE = 100_000


@dataclass(frozen=True)
class PrivacyConfig:
    """The ε of each kind of published figure (see ``configuracion/privacidad.toml``)."""

    pares_epsilon_por_puntaje: float = 1.0
    pares_epsilon_por_indicador: float = 1.0
    panel_epsilon_por_cifra: float = 1.0
    panel_fraccion_conteo: float = 0.3
    panel_epsilon_por_cuantil: float = 0.5

    @property
    def peer_quantile_epsilon(self) -> float:
        """ε of each of the median, first and third quartile on the results page."""
        return self.pares_epsilon_por_puntaje / 3

    @property
    def panel_count_epsilon(self) -> float:
        return self.panel_epsilon_por_cifra * self.panel_fraccion_conteo

    @property
    def panel_sum_epsilon(self) -> float:
        return self.panel_epsilon_por_cifra * (1 - self.panel_fraccion_conteo)


def load_config(
    path: Path | None = None, environ: dict[str, str] | os._Environ[str] | None = None
) -> PrivacyConfig:
    """The configuration file, then environment overrides; every ε must be positive."""
    path = path or CONFIG_PATH
    environ = os.environ if environ is None else environ
    data = tomllib.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    values: dict[str, float] = {}
    for field in fields(PrivacyConfig):
        section, key = field.name.split("_", 1)
        value = (data.get(section) or {}).get(key, field.default)
        env = environ.get(f"{ENV_PREFIX}{field.name.upper()}")
        if env:
            value = float(env.replace(",", "."))
        value = float(value)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"privacidad: «{section}.{key}» debe ser un número positivo")
        values[field.name] = value
    if values["panel_fraccion_conteo"] >= 1:
        raise ValueError("privacidad: «panel.fraccion_conteo» debe estar entre 0 y 1")
    return PrivacyConfig(**values)


_config: PrivacyConfig | None = None


def config() -> PrivacyConfig:
    """The configuration of this process (read once)."""
    global _config
    if _config is None:
        _config = load_config()
    return _config


def reset(new_config: PrivacyConfig | None = None) -> None:
    """Forget every remembered release (fresh noise) and reload or set the configuration."""
    global _config
    with _lock:
        _released.clear()
        _noise.clear()
    _config = new_config


_released: OrderedDict[tuple, float] = OrderedDict()
_lock = threading.Lock()


def _remembered(key: tuple, draw: Callable[[], float]) -> float:
    with _lock:
        if key in _released:
            _released.move_to_end(key)
            return _released[key]
    value = float(draw())
    with _lock:
        value = _released.setdefault(key, value)
        while len(_released) > CACHE_SIZE:
            _released.popitem(last=False)
    return value


def _finite(values: Iterable[float]) -> np.ndarray:
    """The finite values as float64 (no copy when they already are and none is missing)."""
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    finite = np.isfinite(array)
    return array if finite.all() else array[finite]


# --- OpenDP measurements (built once per parameter set) ------------------------------------

_measurements: dict[tuple, dp.Measurement] = {}


# Counts and bounded sums are released with OpenDP's discrete Laplace mechanism applied to the
# exact tally, computed here: a count moves by 1 and a sum of values clamped to 0..SUM_STEPS by
# SUM_STEPS when one firm is added or removed, so the mechanism is the one that
# make_count / make_sum >> then_laplace build (same scale, same privacy map: tested in
# tests/scoring/test_privacy.py), without handing OpenDP one Python object per firm, which cost
# about 50 ms per release at 100 000 firms.


def _count_measurement(epsilon: float) -> dp.Measurement:
    key = ("count", epsilon)
    if key not in _measurements:
        _measurements[key] = dp.m.make_laplace(
            dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=1.0 / epsilon
        )
    return _measurements[key]


def _sum_measurement(epsilon: float) -> dp.Measurement:
    key = ("sum", epsilon)
    if key not in _measurements:
        _measurements[key] = dp.m.make_laplace(
            dp.atom_domain(T=int), dp.absolute_distance(T=int), scale=SUM_STEPS / epsilon
        )
    return _measurements[key]


# The discrete Laplace mechanism adds noise that does not depend on its input: M(x) = x + Z.
# Drawing Z in batches (OpenDP's same mechanism, on a vector of zeros, one call per
# ``NOISE_BATCH`` releases) and adding each draw to one true tally gives releases with exactly
# the distribution of M(x), each with its own independent draw, used once. One OpenDP call
# per release cost about 1 ms of conversions, more than the statistic itself.
NOISE_BATCH = 256
_noise: dict[tuple, list[int]] = {}


def _vector_laplace(scale: float) -> dp.Measurement:
    key = ("laplace-vector", scale)
    if key not in _measurements:
        _measurements[key] = dp.m.make_laplace(
            dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int), scale=scale
        )
    return _measurements[key]


def _laplace_noise(scale: float) -> int:
    """One fresh draw of OpenDP's discrete Laplace noise at ``scale`` (never reused)."""
    with _lock:
        pool = _noise.setdefault(("laplace", scale), [])
        if not pool:
            pool.extend(int(z) for z in _vector_laplace(scale)([0] * NOISE_BATCH))
        return pool.pop()


def _release_count(true: int, epsilon: float) -> int:
    """``_count_measurement(epsilon)(true)``: the true count plus a pooled draw."""
    return true + _laplace_noise(1.0 / epsilon)


def _release_sum(true: int, epsilon: float) -> int:
    """``_sum_measurement(epsilon)(true)``: the true clamped sum plus a pooled draw."""
    return true + _laplace_noise(SUM_STEPS / epsilon)


def count_sensitivity() -> int:
    """How much one firm moves a count (the d_in of ``_count_measurement``)."""
    return 1


def sum_sensitivity() -> int:
    """How much one firm moves a clamped sum (the d_in of ``_sum_measurement``)."""
    return SUM_STEPS


def _quantile_measurement(
    candidates: tuple[float, ...], alpha: float, epsilon: float
) -> dp.Measurement:
    """OpenDP's end-to-end private quantile (the list of values in, a candidate out): the
    reference the fast path below is checked against, and the source of its noise scale."""
    key = ("quantile", candidates, alpha, epsilon)
    if key not in _measurements:
        domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))

        def build(scale: float) -> dp.Measurement:
            return dp.m.make_private_quantile(
                domain,
                dp.symmetric_distance(),
                dp.max_divergence(),
                candidates=list(candidates),
                alpha=alpha,
                scale=scale,
            )

        # ε is inversely proportional to the scale: calibrate from the ε at scale 1.
        _measurements[key] = build(_quantile_scale(candidates, alpha, epsilon))
    return _measurements[key]


def _quantile_scale(candidates: tuple[float, ...], alpha: float, epsilon: float) -> float:
    """The ``scale`` of ``make_private_quantile`` that spends ``epsilon`` per firm."""
    domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
    unit = dp.m.make_private_quantile(
        domain,
        dp.symmetric_distance(),
        dp.max_divergence(),
        candidates=list(candidates),
        alpha=alpha,
        scale=1.0,
    )
    return float(unit.map(1)) / epsilon


def rank_codes(values: np.ndarray, candidates: Sequence[float] | np.ndarray) -> np.ndarray:
    """Each finite value's place among sorted ``candidates``, as one small integer:
    2 × #(candidates < x) + (x is a candidate), after clamping x to the candidates' range.

    A histogram of these codes (``ranks``) gives every candidate's #(x < c) and #(x > c), so
    quantile scores can be summed over groups of firms (``scoring.panel_cube``) and still be
    exactly OpenDP's. On the grid 0, 1, …, k − 1, #(candidates < x) is ⌈x⌉ (computed in the
    values' own float32 when they are: clamping to whole numbers and ⌈x⌉ are exact there)."""
    cands = np.asarray(candidates, dtype=float)
    values = np.asarray(values)
    if values.dtype != np.float32:
        values = values.astype(float)
    if np.array_equal(cands, np.arange(len(cands))):
        data = np.clip(values, cands[0], cands[-1])
        position = np.ceil(data)
        equal = position == data
        position = position.astype(np.int64)
    else:
        data = np.clip(values.astype(float), cands[0], cands[-1])
        position = np.searchsorted(cands, data, side="left")
        equal = cands[np.minimum(position, len(cands) - 1)] == data
    return 2 * position + equal


def ranks(histogram: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """#(x < c) and #(x > c) for each of the k candidates from a histogram of ``rank_codes``
    (length 2k + 2) of ``n`` values."""
    k = (len(histogram) - 2) // 2
    histogram = np.asarray(histogram, dtype=np.int64)
    at_most = np.cumsum(histogram[0::2] + histogram[1::2])[:k]  # #(x <= c)
    less = at_most - histogram[1::2][:k]
    return less, n - at_most


@dataclass(frozen=True)
class QuantileMechanism:
    """OpenDP's private quantile split in two: the score of each candidate, computed here with
    numpy (``scores``), and OpenDP's noisy selection of the best score (``select``).

    ``make_private_quantile`` is ``make_quantile_score_candidates`` (score of candidate c:
    |(1 − α)·#(x < c) − α·#(x > c)| times the denominator of α, an integer) followed by
    report-noisy-min at ``scale`` × that denominator. ``score`` is OpenDP's score
    transformation itself (kept for its stability map and for the tests); ``select`` is the
    OpenDP measurement that draws the noise. Handing OpenDP the 101 scores instead of the
    whole vector avoids converting each firm's value to a C object (a second per 100 000
    firms); the privacy map of ``score >> select`` equals the reference's (checked here)."""

    candidates: np.ndarray
    alpha_num: int
    alpha_den: int
    score: dp.Transformation
    select: dp.Measurement

    def scores(
        self,
        values: np.ndarray | None,
        counts: tuple[np.ndarray, np.ndarray] | None = None,
        n: int | None = None,
    ) -> np.ndarray:
        """Each candidate's score on ``values`` (finite, within the candidates' range, any
        order), as OpenDP computes it; ``counts`` (from ``counts(values)``) when known, and
        then ``values`` may be None with ``n`` the number of values."""
        n = len(values) if n is None else n
        if n * self.alpha_den >= 2**62:
            raise ValueError("demasiados valores para el cuantil")
        less, greater = self.counts(values) if counts is None else counts
        return np.abs((self.alpha_den - self.alpha_num) * less - self.alpha_num * greater)

    def counts(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """#(x < c) and #(x > c) for each candidate c."""
        k = len(self.candidates)
        histogram = np.bincount(rank_codes(values, self.candidates), minlength=2 * k + 2)
        return ranks(histogram, len(values))

    def pick(self, scores: np.ndarray) -> float:
        """The candidate OpenDP's noisy selection picks for ``scores`` (fresh noise)."""
        return float(self.candidates[self.select([int(s) for s in scores])])


def _quantile_mechanism(
    candidates: tuple[float, ...], alpha: float, epsilon: float
) -> QuantileMechanism:
    key = ("quantile-fast", candidates, alpha, epsilon)
    if key not in _measurements:
        domain = dp.vector_domain(dp.atom_domain(T=float, nan=False))
        score = dp.t.make_quantile_score_candidates(
            domain, dp.symmetric_distance(), list(candidates), alpha
        )
        # α as OpenDP's fraction num / den: one value at the top candidate scores num on the
        # first candidate (one value above it), one at the bottom scores den − num on the last.
        alpha_num = int(score([candidates[-1]])[0])
        alpha_den = alpha_num + int(score([candidates[0]])[-1])
        select = dp.m.make_noisy_max(
            score.output_domain,
            score.output_metric,
            dp.max_divergence(),
            scale=_quantile_scale(candidates, alpha, epsilon) * alpha_den,
            negate=True,
        )
        reference = _quantile_measurement(candidates, alpha, epsilon)
        if not math.isclose((score >> select).map(1), reference.map(1), rel_tol=1e-9):
            raise RuntimeError("the fast quantile does not spend the reference's ε")
        _measurements[key] = QuantileMechanism(
            np.asarray(candidates, dtype=float), alpha_num, alpha_den, score, select
        )
    return _measurements[key]


def epsilon_of(measurement: dp.Measurement, d_in: int = 1) -> float:
    """The ε a measurement spends for one firm added or removed (for tests and the docs):
    ``d_in`` is how far one firm moves its input (1 firm in a list; 1 in a count;
    ``SUM_STEPS`` in a clamped sum)."""
    return float(measurement.map(d_in))


# --- Releases ------------------------------------------------------------------------------


def noisy_count(values: Iterable[float] | int, epsilon: float, name: str) -> int:
    """Number of firms (or of finite values) with Laplace noise, never below zero.

    ``values`` may be the values themselves or, for a plain tally, the true count."""
    true = int(values) if isinstance(values, (int, np.integer)) else len(_finite(values))
    key = (name, "count", epsilon, true)
    count = _remembered(key, lambda: _release_count(true, epsilon))
    return max(int(round(count)), 0)


def step_values(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Each finite value's part of a bounded sum: clamped to ``bounds`` and measured in
    ``SUM_STEPS`` steps of the range (whole numbers as float64), as ``noisy_mean`` sums them."""
    lower, upper = bounds
    data = np.asarray(values, dtype=float)
    return np.rint((np.clip(data, lower, upper) - lower) / (upper - lower) * SUM_STEPS)


def noisy_mean(
    values: Iterable[float],
    epsilon_sum: float,
    epsilon_count: float,
    name: str,
    bounds: tuple[float, float] = SCORE_BOUNDS,
) -> tuple[float, int]:
    """(mean, count): noisy bounded sum over noisy count, the mean clamped to ``bounds``.
    Values are clamped to ``bounds`` first, so one firm moves the sum by at most the width."""
    data = _finite(values)
    true = int(step_values(data, bounds).sum(dtype=np.float64))  # integers below 2⁵³: exact
    return noisy_mean_of(len(data), true, epsilon_sum, epsilon_count, name, bounds)


def noisy_mean_of(
    count: int,
    steps: int,
    epsilon_sum: float,
    epsilon_count: float,
    name: str,
    bounds: tuple[float, float] = SCORE_BOUNDS,
) -> tuple[float, int]:
    """``noisy_mean`` from its mechanisms' inputs: the number of finite values and the sum of
    their ``step_values`` (what ``noisy_mean`` computes from the values themselves)."""
    lower, upper = bounds
    noisy = noisy_count(int(count), epsilon_count, f"{name}/n")
    key = (name, "sum", epsilon_sum, bounds, int(steps))
    total = _remembered(key, lambda: _release_sum(int(steps), epsilon_sum))
    mean = lower + (total / SUM_STEPS) * (upper - lower) / max(noisy, 1)
    return float(min(max(mean, lower), upper)), noisy


def log_grid() -> tuple[float, ...]:
    """Candidates for quantiles of values with no fixed range (indicators): 0 and ± a
    1-1.5-2-3-5-7 series from 0.001 to 10⁹, fixed in advance (never taken from the data)."""
    steps = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
    positive = [round(s * 10.0**e, 6) for e in range(-3, 10) for s in steps]
    return tuple(sorted({0.0, *positive, *(-v for v in positive)}))


LOG_GRID = log_grid()


def noisy_quantile(
    values: Iterable[float],
    alpha: float,
    epsilon: float,
    name: str,
    candidates: Sequence[float] = SCORE_CANDIDATES,
) -> float:
    """The ``alpha`` quantile chosen by OpenDP's exponential mechanism among ``candidates``
    (values outside the candidates' range count as the nearest end)."""
    return noisy_quantiles(values, (alpha,), epsilon, name, candidates)[0]


def noisy_quantiles(
    values: Iterable[float],
    alphas: Sequence[float],
    epsilon: float,
    name: str,
    candidates: Sequence[float] = SCORE_CANDIDATES,
) -> list[float]:
    """``noisy_quantile`` for each of ``alphas`` (each spends ``epsilon``), counting the
    values once."""
    cands = tuple(float(c) for c in candidates)
    data = _finite(values)
    histogram = np.bincount(rank_codes(data, cands), minlength=2 * len(cands) + 2)
    return noisy_quantiles_of(histogram, len(data), alphas, epsilon, name, cands)


def noisy_quantiles_of(
    histogram: np.ndarray,
    n: int,
    alphas: Sequence[float],
    epsilon: float,
    name: str,
    candidates: Sequence[float] = SCORE_CANDIDATES,
) -> list[float]:
    """``noisy_quantiles`` from the histogram of the values' ``rank_codes`` (``n`` values):
    the same scores, so the same remembered releases."""
    cands = tuple(float(c) for c in candidates)
    if len(cands) == 1:
        return [cands[0] for _ in alphas]
    counts = ranks(histogram, n)
    found = []
    for alpha in alphas:
        mechanism = _quantile_mechanism(cands, alpha, epsilon)
        scores = mechanism.scores(None, counts, n)
        # A digest of the candidates and scores keeps each remembered key small.
        digest = hashlib.sha256(repr(cands).encode())
        digest.update(scores.astype(np.int64).tobytes())
        key = (name, "quantile", alpha, epsilon, digest.hexdigest())
        found.append(_remembered(key, lambda m=mechanism, s=scores: m.pick(s)))
    return found


def noisy_share(hits: int, total: int, epsilon: float, name: str) -> float:
    """100 × hits / total with both counts noisy (half of ε each), clamped to 0–100."""
    noisy_hits = noisy_count(int(hits), epsilon / 2, f"{name}/hits")
    noisy_total = noisy_count(int(total), epsilon / 2, f"{name}/total")
    return float(min(max(100.0 * noisy_hits / max(noisy_total, 1), 0.0), 100.0))
