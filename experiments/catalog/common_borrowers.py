"""The ``common-borrowers`` experiment: does closing one large platform make its rollover
borrowers default on the other platforms they owe?

Design (``common-borrowers.toml``): the baseline with its rollover borrowers (a share of
borrowers repay each interest-only loan at maturity with a new one, ``agents/
borrower.py``); in week 104 the platform with the largest loan book is watched, and the
loans its rollover borrowers then owe on other platforms are followed for two years
(``ecosystem/closure.py``). Two arms share every seed: the platform is ordered out that
week, or stays open. Since the runs of a seed agree until the closure, the watched loans
are the same in both arms, and the difference of their default rates (the share written
off by the end) is the effect of the closure through common borrowers alone.

Reports each arm's mean default rate of the watched loans with a percentile bootstrap
interval over seeds, and the mean paired difference (closed minus open) with its
bootstrap interval, every resample seeded from the experiment's seed; says whether the
interval excludes zero.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from ifsim.results.analysis import outcomes_frame
from ifsim.results.stats import bootstrap_mean_interval, resampling_seed


def arms(store, spec) -> pd.DataFrame:
    """One row per done run: seed, whether the platform was closed, the outcomes."""
    frame = outcomes_frame(store, spec.name)
    runs = store.experiment_runs(store.get_experiment(spec.name)["id"])
    factors = {int(r.id): json.loads(r.factors_json) for r in runs.itertuples()}
    frame["closed"] = [int(factors[int(i)]["regulator.closure_orders_exit"])
                       for i in frame["run_id"]]
    return frame


def _interval(values: np.ndarray, seed: int) -> dict[str, Any]:
    mean, low, high = bootstrap_mean_interval(values, resampling_seed(seed),
                                              bounds=(None, None))
    return {"mean": _round(mean), "ci_low": _round(low), "ci_high": _round(high),
            "seeds": int(np.isfinite(values).sum())}


def results(store, spec) -> dict[str, Any]:
    """Headline results (what ``--json`` prints under ``results``)."""
    frame = arms(store, spec)
    by_arm = {closed: group.set_index("replication")["watched_default_rate"]
              for closed, group in frame.groupby("closed")}
    open_, closed = by_arm.get(0, pd.Series(dtype=float)), by_arm.get(1, pd.Series(dtype=float))
    paired = (closed - open_).dropna().to_numpy(float)
    difference = _interval(paired, spec.seed)
    low = difference["ci_low"]
    return {
        "watched_default_rate_open": _interval(open_.to_numpy(float), spec.seed + 1),
        "watched_default_rate_closed": _interval(closed.to_numpy(float), spec.seed + 2),
        "difference_closed_minus_open": difference,
        "closure_raises_defaults": bool(low is not None and low > 0),
        "watched_loans_median": _round(float(frame["watched_loans"].median())
                                       if len(frame) else None),
        "same_loans_in_both_arms": _same_loans(frame),
    }


def _same_loans(frame: pd.DataFrame) -> bool:
    """Whether each seed watched as many loans in both arms (the runs of a seed agree
    until the closure week, so they watch the same loans)."""
    counts = frame.pivot_table(index="replication", columns="closed",
                               values="watched_loans", aggfunc="first")
    return bool(counts.shape[1] == 2 and (counts[0] == counts[1]).all())


def _round(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)
