"""Small, pure interval estimators that respect what they estimate, and sample-size flags.

Everything here is a function of its arguments (numpy and scipy only): the same input and
the same seed give the same interval, seed 0 included.

- :func:`wilson_interval`: the score interval of a binomial proportion (Wilson 1927,
  JASA 22:209-212), which stays in [0, 1] and keeps its coverage near 0 and 1 where the
  Wald interval p ± z·sqrt(p(1-p)/n) collapses to a point or leaves [0, 1].
- :func:`newcombe_difference`: the difference of two independent proportions by
  Newcombe's hybrid score method (Newcombe 1998, Stat. Med. 17:873-890, method 10),
  built from the two Wilson intervals.
- :func:`bootstrap_mean_interval` and :func:`bootstrap_difference_interval`: percentile
  bootstrap intervals (Efron & Tibshirani 1993, "An Introduction to the Bootstrap",
  ch. 13) of a mean and of a difference of two means, resampling with
  ``numpy.random.default_rng(seed)``.
- :func:`resampling_seed`: the one place a nonzero resampling seed is derived from an
  experiment's root seed (SALib's Sobol analysis ignores a seed of 0).
- :data:`SMALL_SAMPLE_N` and :func:`is_small_sample`, with the design-specific thresholds
  :data:`SOBOL_MIN_BASE_SAMPLES` and :data:`MORRIS_MIN_TRAJECTORIES`: when a report must
  say that an interval or an index rests on too little data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

#: Below this many independent values an interval is flagged as resting on a small sample:
#: the Student-t and bootstrap intervals' coverage is then sensitive to skew and outliers
#: (Efron & Tibshirani 1993, ch. 13 on small-sample percentile intervals).
SMALL_SAMPLE_N = 10
#: Sobol base samples N below this are flagged: the Saltelli/Jansen estimators then often
#: fall outside [0, 1] and SALib's bootstrap half-widths are themselves unreliable
#: (Saltelli et al. 2010, doi:10.1016/j.cpc.2009.09.018, use N in the hundreds to thousands).
SOBOL_MIN_BASE_SAMPLES = 64
#: Morris designs with fewer trajectories r than this are flagged (Saltelli et al. 2008,
#: "Global Sensitivity Analysis: The Primer", s. 3.3, suggest r between 10 and 20).
MORRIS_MIN_TRAJECTORIES = 10

#: (low, high) limits of a quantity; None where it is unbounded.
Bounds = tuple[float | None, float | None]
UNBOUNDED: Bounds = (None, None)

_CHUNK = 1 << 22  # resampled values drawn at a time, to keep memory flat for long inputs


def is_small_sample(n: int) -> bool:
    """Whether ``n`` independent values are fewer than :data:`SMALL_SAMPLE_N`."""
    return int(n) < SMALL_SAMPLE_N


def resampling_seed(seed: int) -> int:
    """A nonzero seed for an analysis's resampling, derived from an experiment's root seed.

    SALib 1.6's ``SALib.analyze.sobol.analyze`` seeds its bootstrap only ``if seed:``; a
    seed of 0 falls through to the unseeded global ``np.random.randint``, so the same data
    gave different intervals on every call. This maps every root seed (0 included) to an
    integer in [1, 2**32] through ``SeedSequence(seed).generate_state(1)[0] + 1`` (O'Neill's
    seed-sequence hashing, as numpy uses for its generators), so every bootstrap of an
    experiment is fixed by the seed stored with it.

    Raises:
        ValueError: If ``seed`` is negative (numpy's SeedSequence takes non-negative ints).
    """
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(np.random.SeedSequence(int(seed)).generate_state(1)[0]) + 1


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``successes / n``.

    The interval solves |p̂ - p| = z·sqrt(p(1-p)/n) for p (Wilson 1927, JASA 22:209-212):
    centre (p̂ + z²/2n) / (1 + z²/n), half-width z/(1 + z²/n) · sqrt(p̂(1-p̂)/n + z²/4n²),
    with z the two-sided standard-normal quantile. It lies in [0, 1] and has nonzero
    width at 0 and n successes (0/20 gives [0, 0.1611] at 95%; Newcombe 1998).

    Returns:
        ``(low, high)``; ``(nan, nan)`` when ``n == 0`` (no trials, no estimate).

    Raises:
        ValueError: If ``n < 0``, ``successes`` is not in [0, n], or ``confidence`` is not
            in (0, 1).
    """
    z = _z(confidence)
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return math.nan, math.nan
    p = successes / n
    denominator = 1.0 + z * z / n
    centre = (p + z * z / (2.0 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def newcombe_difference(s1: int, n1: int, s2: int, n2: int,
                        confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference p1 - p2 of two independent proportions with Newcombe's hybrid score interval.

    With (l_i, u_i) the Wilson intervals of p_i, the interval is
    [d - sqrt((p1 - l1)² + (u2 - p2)²), d + sqrt((u1 - p1)² + (p2 - l2)²)], d = p1 - p2
    (Newcombe 1998, Stat. Med. 17:873-890, method 10). It stays in [-1, 1]; 56/70 - 48/80
    gives 0.2 [0.0524, 0.3339] at 95%.

    Returns:
        ``(p1 - p2, low, high)``; all NaN if either group has no trials.

    Raises:
        ValueError: As :func:`wilson_interval`, for either group.
    """
    l1, u1 = wilson_interval(s1, n1, confidence)
    l2, u2 = wilson_interval(s2, n2, confidence)
    if n1 == 0 or n2 == 0:
        return math.nan, math.nan, math.nan
    p1, p2 = s1 / n1, s2 / n2
    d = p1 - p2
    low = d - math.hypot(p1 - l1, u2 - p2)
    high = d + math.hypot(u1 - p1, p2 - l2)
    return d, max(-1.0, low), min(1.0, high)


def bootstrap_mean_interval(values: Sequence[float] | np.ndarray, seed: int, n_boot: int = 2000,
                            confidence: float = 0.95,
                            bounds: Bounds = UNBOUNDED) -> tuple[float, float, float]:
    """Mean of ``values`` with its percentile bootstrap interval, clipped to ``bounds``.

    Draws ``n_boot`` resamples of the values with replacement from
    ``numpy.random.default_rng(seed)`` and takes the (1 - confidence)/2 and
    (1 + confidence)/2 quantiles of their means (Efron & Tibshirani 1993, "An Introduction
    to the Bootstrap", ch. 13). The same values and seed give the same interval; seed 0 is
    a seed like any other. NaN values are left out. Mean and limits are clipped to
    ``bounds`` (e.g. ``(0, 1)`` for rates, ``(0, None)`` for losses); the percentile
    interval of bounded values already lies within their range, so clipping only guards
    against rounding.

    Returns:
        ``(mean, low, high)``; the interval is NaN with fewer than two values (a single
        value says nothing about spread), and all three are NaN with none.

    Raises:
        ValueError: If ``n_boot < 1``, ``confidence`` is not in (0, 1) or the seed is
            negative.
    """
    _z(confidence)
    data = _finite(values)
    rng = _rng(seed, n_boot)
    if data.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(data.mean())
    if data.size < 2:
        return _clip3(mean, math.nan, math.nan, bounds)
    low, high = _percentiles(_boot_means(data, rng, n_boot), confidence)
    return _clip3(mean, low, high, bounds)


def bootstrap_difference_interval(a: Sequence[float] | np.ndarray,
                                  b: Sequence[float] | np.ndarray, seed: int,
                                  n_boot: int = 2000,
                                  confidence: float = 0.95) -> tuple[float, float, float]:
    """Difference of means ``mean(a) - mean(b)`` with its percentile bootstrap interval.

    Each group is resampled on its own (the groups are independent samples), ``a`` first
    and then ``b`` from one ``numpy.random.default_rng(seed)``; the interval is the
    percentile interval of the ``n_boot`` differences of resampled means (Efron &
    Tibshirani 1993, ch. 13 and s. 16.2). NaN values are left out.

    Returns:
        ``(difference, low, high)``; the interval is NaN if either group has fewer than
        two values, and all three are NaN if either is empty.

    Raises:
        ValueError: If ``n_boot < 1``, ``confidence`` is not in (0, 1) or the seed is
            negative.
    """
    _z(confidence)
    first, second = _finite(a), _finite(b)
    rng = _rng(seed, n_boot)
    if first.size == 0 or second.size == 0:
        return math.nan, math.nan, math.nan
    difference = float(first.mean() - second.mean())
    if first.size < 2 or second.size < 2:
        return difference, math.nan, math.nan
    diffs = _boot_means(first, rng, n_boot) - _boot_means(second, rng, n_boot)
    low, high = _percentiles(diffs, confidence)
    return difference, low, high


def clip_to_bounds(values: np.ndarray | float, bounds: Bounds) -> np.ndarray:
    """``values`` as floats with those outside ``bounds`` moved onto them (NaN stays NaN).

    Clipping an interval to the range its quantity cannot leave keeps every point of the
    range the interval covered, so coverage is never lowered; it only drops impossible
    values such as a negative loss or 11.5 platforms in a 10-platform world.
    """
    low, high = bounds
    out = np.asarray(values, dtype="float64")
    if low is not None:
        out = np.where(out < low, float(low), out)
    if high is not None:
        out = np.where(out > high, float(high), out)
    return out


# --- helpers --------------------------------------------------------------------------------


def _z(confidence: float) -> float:
    from scipy import stats  # on use: importing scipy costs about a second

    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def _finite(values: Sequence[float] | np.ndarray) -> np.ndarray:
    data = np.asarray(values, dtype="float64").ravel()
    return data[~np.isnan(data)]


def _rng(seed: int, n_boot: int) -> np.random.Generator:
    if n_boot < 1:
        raise ValueError(f"n_boot must be at least 1, got {n_boot!r}")
    if int(seed) < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return np.random.default_rng(int(seed))


def _boot_means(data: np.ndarray, rng: np.random.Generator, n_boot: int) -> np.ndarray:
    """Means of ``n_boot`` resamples with replacement, drawn a chunk of rows at a time."""
    rows = max(1, _CHUNK // data.size)
    parts = [data[rng.integers(0, data.size, size=(min(rows, n_boot - start), data.size))]
             .mean(axis=1) for start in range(0, n_boot, rows)]
    return np.concatenate(parts)


def _percentiles(draws: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(draws, [tail, 1.0 - tail])
    return float(low), float(high)


def _clip3(mean: float, low: float, high: float, bounds: Bounds) -> tuple[float, float, float]:
    clipped = clip_to_bounds(np.array([mean, low, high]), bounds)
    return float(clipped[0]), float(clipped[1]), float(clipped[2])
