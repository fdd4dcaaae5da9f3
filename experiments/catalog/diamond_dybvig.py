"""The ``diamond-dybvig`` experiment: bank runs as Diamond and Dybvig (1983) describe them.

Design (``diamond-dybvig.toml``, model ``ecosystem/diamond_dybvig.py``): the common
expectation of date-1 withdrawals is swept from 0.05 to 0.95, with no lever, with
suspension of convertibility and with a full guarantee, over seeded replications.

Reports
- ``threshold_analytic``: the closed-form withdrawal share at which waiting pays the
  early payout (``threshold_analytic`` in the model module), from the model's
  parameters;
- ``threshold_simulated``: the withdrawal share at which the payoffs stayers actually
  received cross the early payout, read from the runs without a lever. What stayers
  share, their payout times their number, falls in a straight line with the share paid
  early while the bank sells assets, so the crossing is interpolated between the two
  neighbouring realized shares that bracket it; its interval is a seeded bootstrap over
  replications. This checks the simulated contract (sequential service, cash first,
  sales at the liquidation value, pro-rata payoff, all in cents through the ledger)
  against the theory; it is not fed the formula;
- ``run_threshold_expected_share``: the expected share at which half the runs are runs
  (most patient depositors withdraw), interpolated between design levels;
- per lever and expected share, the run probability with its Wilson interval and the
  mean stayer payout;
- whether runs are absent at low expectations, present above the threshold, and absent
  under each lever.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ifsim.ecosystem.diamond_dybvig import LEVERS, DDParams, threshold_analytic
from ifsim.experiments.catalog.stored import stored_spec
from ifsim.results.analysis import outcomes_frame
from ifsim.results.stats import resampling_seed, wilson_interval

N_BOOT = 500


def results(store, spec) -> dict[str, Any]:
    """Headline results (what ``--json`` prints under ``results``)."""
    frame = outcomes_frame(store, spec.name)
    params = DDParams()
    analytic = threshold_analytic(params)
    plain = frame[frame["dd.lever"] == 0]
    simulated = payoff_crossing(plain, params.early_payout)
    low, high = _bootstrap_crossing(plain, params.early_payout, resampling_seed(spec.seed))
    cells = run_cells(frame)
    belief_threshold = _run_threshold(cells[cells["lever"] == 0])
    return {
        "threshold_analytic": _round(analytic),
        "threshold_simulated": _round(simulated),
        "threshold_simulated_ci": [_round(low), _round(high)],
        "threshold_gap": _round(abs(simulated - analytic)
                                if simulated is not None and analytic is not None else None),
        "run_threshold_expected_share": _round(belief_threshold),
        "no_run_at_low_expectations": _no_runs(cells, 0, below=analytic),
        "run_above_threshold": _all_runs(cells, 0, above=analytic),
        "no_run_with_suspension": _no_runs(cells, 1),
        "no_run_with_full_guarantee": _no_runs(cells, 2),
        "cells": cells.to_dict(orient="records"),
        "parameters": params.to_dict(),
    }


def payoff_crossing(runs: pd.DataFrame, early_payout: float) -> float | None:
    """Withdrawal share at which stayers' realized payout equals ``early_payout``.

    Uses runs in which the bank paid every early withdrawal it was asked for: then what
    stayers share, ``stayer_payout * (1 - f)`` per yuan of all deposits, is linear in the
    share ``f`` paid early, and so is its gap to ``early_payout * (1 - f)``; the root is
    interpolated between the two nearest realized shares on either side. None when the
    runs do not bracket it."""
    ok = runs[(runs["bank_failed"] == 0) & runs["stayer_payout"].notna()]
    if ok.empty:
        return None
    f = ok["paid_early_share"].to_numpy(float)
    gap = ok["stayer_payout"].to_numpy(float) * (1 - f) - early_payout * (1 - f)
    by_share = pd.Series(gap).groupby(f).mean()
    above, below = by_share[by_share >= 0], by_share[by_share < 0]
    if above.empty or below.empty:
        return None
    f0, f1 = float(above.index.max()), float(below.index.min())
    if f1 <= f0:
        return None
    g0, g1 = float(above.loc[f0]), float(below.loc[f1])
    return f0 + (f1 - f0) * g0 / (g0 - g1)


def _bootstrap_crossing(runs: pd.DataFrame, early_payout: float,
                        seed: int) -> tuple[float | None, float | None]:
    """Percentile interval of ``payoff_crossing`` over replications resampled with
    replacement (seeded)."""
    reps = runs["replication"].unique()
    if reps.size < 2:
        return None, None
    rng = np.random.default_rng(seed)
    groups = {r: g for r, g in runs.groupby("replication")}
    draws = []
    for _ in range(N_BOOT):
        pick = rng.choice(reps, size=reps.size, replace=True)
        value = payoff_crossing(pd.concat([groups[r] for r in pick]), early_payout)
        if value is not None:
            draws.append(value)
    if not draws:
        return None, None
    return float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def run_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Per lever and expected share: runs, seeds, run probability and Wilson interval,
    mean stayer payout per yuan."""
    rows = []
    for (lever, share), group in frame.groupby(["dd.lever", "dd.expected_share"]):
        n, runs = len(group), int(group["run"].sum())
        low, high = wilson_interval(runs, n)
        rows.append({"lever": int(lever), "lever_name": LEVERS[int(lever)],
                     "expected_share": float(share), "seeds": n,
                     "run_probability": runs / n, "ci_low": round(low, 4),
                     "ci_high": round(high, 4),
                     "stayer_payout_mean": _round(group["stayer_payout"].mean()),
                     "withdrawal_share_mean": _round(group["withdrawal_share"].mean())})
    return pd.DataFrame(rows)


def _run_threshold(cells: pd.DataFrame) -> float | None:
    """Expected share at which the run probability first reaches one half."""
    cells = cells.sort_values("expected_share")
    share, prob = cells["expected_share"].to_numpy(), cells["run_probability"].to_numpy()
    hit = np.flatnonzero(prob >= 0.5)
    if hit.size == 0 or hit[0] == 0:
        return None
    i = hit[0]
    return float(share[i - 1] + (share[i] - share[i - 1]) * (0.5 - prob[i - 1])
                 / (prob[i] - prob[i - 1]))


def _no_runs(cells: pd.DataFrame, lever: int, below: float | None = None) -> bool | None:
    """Whether no run happened under ``lever`` (at expected shares below ``below``,
    keeping a 0.1 margin for the depositors' noise)."""
    mine = cells[cells["lever"] == lever]
    if below is not None:
        mine = mine[mine["expected_share"] < below - 0.1]
    return bool((mine["run_probability"] == 0).all()) if len(mine) else None


def _all_runs(cells: pd.DataFrame, lever: int, above: float | None) -> bool | None:
    """Whether every run was a run under ``lever`` at expected shares above ``above``
    (with a 0.1 margin)."""
    if above is None:
        return None
    mine = cells[(cells["lever"] == lever) & (cells["expected_share"] > above + 0.1)]
    return bool((mine["run_probability"] == 1).all()) if len(mine) else None


def _round(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)




def report_sections(store, experiment: str) -> list:
    """The experiment's own section of ``ifsim report``: the thresholds (analytic,
    simulated with its bootstrap interval, from beliefs) and the run probability by
    lever and expected share with Wilson intervals."""
    from ifsim.results.report import ReportSection, ReportTable

    runs, stored = stored_spec(store, experiment)
    title = "Diamond-Dybvig: run threshold and levers"
    if not (runs["status"] == "done").any():
        return [ReportSection(title, notes=("No run is done yet: nothing to tabulate.",))]
    found = results(store, stored)
    low, high = found["threshold_simulated_ci"]
    thresholds = pd.DataFrame([
        {"threshold": "analytic (closed form)", "withdrawal share": found["threshold_analytic"],
         "ci_low": None, "ci_high": None},
        {"threshold": "simulated (stayers' realized payoffs)",
         "withdrawal share": found["threshold_simulated"], "ci_low": low, "ci_high": high},
        {"threshold": "expected share at which half the runs are runs",
         "withdrawal share": found["run_threshold_expected_share"], "ci_low": None,
         "ci_high": None}])
    cells = pd.DataFrame(found["cells"])
    table = cells.pivot(index="expected_share", columns="lever_name",
                        values="run_probability").reset_index()
    shown = cells.assign(text=[f"{p:.2f} [{lo:.2f}, {hi:.2f}]" for p, lo, hi in
                               zip(cells["run_probability"], cells["ci_low"],
                                   cells["ci_high"], strict=True)]
                         ).pivot(index="expected_share", columns="lever_name",
                                 values="text").reset_index()
    intro = ("One bank, 1,000 depositors, a quarter impatient; early payout 1.1, asset "
             "return 1.5, liquidation value 0.7, a quarter kept in cash. Patient "
             "depositors withdraw when, at the share of withdrawals they expect, waiting "
             f"would pay less than the early payout. {int(cells['seeds'].iloc[0])} seeds "
             "per cell; intervals are 95% (Wilson for run probabilities, a bootstrap over "
             "seeds for the simulated threshold).")
    return [ReportSection(title, intro, (
        ReportTable(f"{experiment}-thresholds", thresholds,
                    caption="Withdrawal share at which waiting pays the early payout"),
        ReportTable(f"{experiment}-run-probability", table, shown,
                    caption="Share of runs that were runs, by expected withdrawals and "
                            "lever"),))]
