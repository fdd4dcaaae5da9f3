"""Tests of results.stats against published values and its own promises.

Wilson and Newcombe values are from Newcombe (1998), "Two-sided confidence intervals for
the single proportion" (Stat. Med. 17:857-872, Table I) and "Interval estimation for the
difference between independent proportions" (Stat. Med. 17:873-890, Table II, method 10).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from ifsim.results.stats import (
    SMALL_SAMPLE_N,
    bootstrap_difference_interval,
    bootstrap_mean_interval,
    clip_to_bounds,
    is_small_sample,
    newcombe_difference,
    resampling_seed,
    wilson_interval,
)


@pytest.mark.parametrize(("successes", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
    (1, 29, 0.0061, 0.1718)])
def test_wilson_matches_newcombe_table_one(successes: int, n: int, low: float,
                                           high: float) -> None:
    assert wilson_interval(successes, n) == pytest.approx((low, high), abs=5e-5)


@pytest.mark.parametrize("successes", [0, 5, 10])
def test_wilson_stays_in_the_unit_interval_and_is_never_a_point(successes: int) -> None:
    low, high = wilson_interval(successes, 10)
    assert 0.0 <= low < successes / 10 + 1e-12 and successes / 10 - 1e-12 < high <= 1.0
    assert high - low > 0.2
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    assert wilson_interval(5, 10) == pytest.approx((0.2366, 0.7634), abs=5e-5)


def test_wilson_edge_cases() -> None:
    assert all(math.isnan(v) for v in wilson_interval(0, 0))
    narrow, wide = wilson_interval(3, 10, 0.8), wilson_interval(3, 10, 0.99)
    assert wide[0] < narrow[0] and narrow[1] < wide[1]
    for bad in [(11, 10), (-1, 10), (0, -1)]:
        with pytest.raises(ValueError, match="successes"):
            wilson_interval(*bad)
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, 95)


@pytest.mark.parametrize(("s1", "n1", "s2", "n2", "low", "high"), [
    (56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062), (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775), (10, 10, 0, 20, 0.6791, 1.0)])
def test_newcombe_matches_newcombe_table_two(s1: int, n1: int, s2: int, n2: int, low: float,
                                             high: float) -> None:
    d, lo, hi = newcombe_difference(s1, n1, s2, n2)
    assert d == pytest.approx(s1 / n1 - s2 / n2)
    assert (lo, hi) == pytest.approx((low, high), abs=5e-5)
    assert -1.0 <= lo <= d <= hi <= 1.0


def test_newcombe_without_trials_is_nan() -> None:
    assert all(math.isnan(v) for v in newcombe_difference(1, 2, 0, 0))


def test_bootstrap_mean_is_reproducible_seed_zero_included() -> None:
    values = np.random.default_rng(3).exponential(2.0, size=40)
    first = bootstrap_mean_interval(values, seed=0)
    assert bootstrap_mean_interval(values, seed=0) == first
    assert bootstrap_mean_interval(list(values), seed=0) == first
    assert bootstrap_mean_interval(values, seed=1) != first
    mean, low, high = first
    assert mean == pytest.approx(values.mean()) and low < mean < high
    # the percentile interval of a mean of 40 draws is close to the normal-theory one
    half = 1.96 * values.std(ddof=1) / math.sqrt(len(values))
    assert high - low == pytest.approx(2 * half, rel=0.25)
    wider = bootstrap_mean_interval(values, seed=0, confidence=0.99)
    assert wider[1] < low and high < wider[2]


def test_bootstrap_mean_respects_bounds_and_small_inputs() -> None:
    losses = np.array([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 50.0, 0.0])
    mean, low, high = bootstrap_mean_interval(losses, seed=0, bounds=(0.0, None))
    assert low >= 0.0 and mean == 5.0 and high > mean
    shares = np.array([0.99, 1.0, 1.0, 0.98])
    _, low, high = bootstrap_mean_interval(shares, seed=0, bounds=(0.0, 1.0))
    assert 0.0 <= low <= high <= 1.0
    assert bootstrap_mean_interval([0.4, np.nan], seed=0)[0] == 0.4  # NaN left out
    single = bootstrap_mean_interval([3.0], seed=0)
    assert single[0] == 3.0 and math.isnan(single[1]) and math.isnan(single[2])
    assert all(math.isnan(v) for v in bootstrap_mean_interval([], seed=0))
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_mean_interval([1.0, 2.0], seed=0, n_boot=0)
    with pytest.raises(ValueError, match="seed"):
        bootstrap_mean_interval([1.0, 2.0], seed=-1)


def test_bootstrap_difference_is_reproducible_and_centred() -> None:
    rng = np.random.default_rng(5)
    a, b = rng.normal(1.0, 1.0, 30), rng.normal(0.0, 1.0, 50)
    first = bootstrap_difference_interval(a, b, seed=0)
    assert bootstrap_difference_interval(a, b, seed=0) == first
    assert bootstrap_difference_interval(a, b, seed=1) != first
    d, low, high = first
    assert d == pytest.approx(a.mean() - b.mean()) and low < d < high
    half = 1.96 * math.sqrt(a.var(ddof=1) / 30 + b.var(ddof=1) / 50)  # Welch, large n
    assert high - low == pytest.approx(2 * half, rel=0.25)
    few = bootstrap_difference_interval([1.0], [0.0, 1.0], seed=0)
    assert few[0] == 0.5 and math.isnan(few[1]) and math.isnan(few[2])
    assert all(math.isnan(v) for v in bootstrap_difference_interval([], [1.0], seed=0))


def test_resampling_seed_is_nonzero_and_fixed_by_the_root_seed() -> None:
    seeds = [resampling_seed(s) for s in (0, 1, 2, 2**64 - 1)]
    assert all(1 <= s <= 2**32 for s in seeds) and len(set(seeds)) == 4
    assert resampling_seed(0) == resampling_seed(0) == seeds[0]
    with pytest.raises(ValueError, match="seed"):
        resampling_seed(-1)


def test_small_sample_flag_and_clipping() -> None:
    assert is_small_sample(SMALL_SAMPLE_N - 1) and not is_small_sample(SMALL_SAMPLE_N)
    assert is_small_sample(0)
    clipped = clip_to_bounds(np.array([-1.0, 0.5, 11.5, np.nan]), (0.0, 10.0))
    assert clipped[:3].tolist() == [0.0, 0.5, 10.0] and math.isnan(clipped[3])
    assert clip_to_bounds(np.array([-1.0, 2.0]), (None, None)).tolist() == [-1.0, 2.0]
