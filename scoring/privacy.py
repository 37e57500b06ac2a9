"""Differentially private releases of peer and aggregate figures (OpenDP), issue 12.

Every figure that summarises several firms (a count, a mean, a median or quartile) is released
through an OpenDP measurement: counts and bounded sums get Laplace noise, quantiles come from
OpenDP's exponential-mechanism quantile over a fixed grid of candidates. Neighbouring data sets
differ by one firm added or removed (``symmetric_distance``), so the noise hides any one firm,
including in the difference of two published cuts.

The privacy parameters (ε) live in ``configuracion/privacidad.toml`` and can be overridden by
``BRUJULA_DP_<SECCION>_<CLAVE>`` environment variables.

Noise is drawn once per (statistic, data): a release is remembered under a digest of the
statistic's name, its parameters and the exact values it summarises, so reloading a page or
asking the same question again returns the same figure and cannot average the noise away. The
figure changes only when the underlying data change (a firm submits, withdraws consent, is
verified). The memory is per server process and bounded (oldest releases are forgotten first).

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
    _config = new_config


_released: OrderedDict[str, float] = OrderedDict()
_lock = threading.Lock()


def _digest(name: str, params: tuple, values: np.ndarray) -> str:
    digest = hashlib.sha256(repr((name, params)).encode())
    digest.update(np.ascontiguousarray(values).tobytes())
    return digest.hexdigest()


def _remembered(key: str, draw: Callable[[], float]) -> float:
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


def _clean(values: Iterable[float]) -> np.ndarray:
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    return np.sort(array[np.isfinite(array)])


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


def count_sensitivity() -> int:
    """How much one firm moves a count (the d_in of ``_count_measurement``)."""
    return 1


def sum_sensitivity() -> int:
    """How much one firm moves a clamped sum (the d_in of ``_sum_measurement``)."""
    return SUM_STEPS


def _quantile_measurement(
    candidates: tuple[float, ...], alpha: float, epsilon: float
) -> dp.Measurement:
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
        _measurements[key] = build(build(1.0).map(1) / epsilon)
    return _measurements[key]


def epsilon_of(measurement: dp.Measurement, d_in: int = 1) -> float:
    """The ε a measurement spends for one firm added or removed (for tests and the docs):
    ``d_in`` is how far one firm moves its input (1 firm in a list; 1 in a count;
    ``SUM_STEPS`` in a clamped sum)."""
    return float(measurement.map(d_in))


# --- Releases ------------------------------------------------------------------------------


def noisy_count(values: Iterable[float] | int, epsilon: float, name: str) -> int:
    """Number of firms (or of values) with Laplace noise, never below zero.

    ``values`` may be the values themselves or, for a plain tally, the true count."""
    data = np.zeros(int(values)) if isinstance(values, (int, np.integer)) else _clean(values)
    key = _digest(name, ("count", epsilon), data)
    count = _remembered(key, lambda: _count_measurement(epsilon)(int(len(data))))
    return max(int(round(count)), 0)


def noisy_mean(
    values: Iterable[float],
    epsilon_sum: float,
    epsilon_count: float,
    name: str,
    bounds: tuple[float, float] = SCORE_BOUNDS,
) -> tuple[float, int]:
    """(mean, count): noisy bounded sum over noisy count, the mean clamped to ``bounds``.

    Values are clamped to ``bounds`` first, so one firm moves the sum by at most the width."""
    data = _clean(values)
    lower, upper = bounds
    count = noisy_count(data, epsilon_count, f"{name}/n")
    steps = np.rint((np.clip(data, lower, upper) - lower) / (upper - lower) * SUM_STEPS)
    steps = steps.astype(np.int64)
    key = _digest(name, ("sum", epsilon_sum, bounds), steps)
    total = _remembered(key, lambda: _sum_measurement(epsilon_sum)(int(steps.sum())))
    mean = lower + (total / SUM_STEPS) * (upper - lower) / max(count, 1)
    return float(min(max(mean, lower), upper)), count


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
    """The ``alpha`` quantile chosen by OpenDP's exponential mechanism among ``candidates``."""
    cands = tuple(float(c) for c in candidates)
    data = np.clip(_clean(values), cands[0], cands[-1])
    key = _digest(name, ("quantile", alpha, epsilon, cands), data)
    return _remembered(key, lambda: _quantile_measurement(cands, alpha, epsilon)(data.tolist()))


def noisy_share(hits: int, total: int, epsilon: float, name: str) -> float:
    """100 × hits / total with both counts noisy (half of ε each), clamped to 0–100."""
    noisy_hits = noisy_count(int(hits), epsilon / 2, f"{name}/hits")
    noisy_total = noisy_count(int(total), epsilon / 2, f"{name}/total")
    return float(min(max(100.0 * noisy_hits / max(noisy_total, 1), 0.0), 100.0))
