"""The ``mmf-run`` experiment: when does a bond-market swing become a run on the
payment-linked money-market fund, and what do the T+0 cap and the fund's cash do to it?

Design (``mmf-run.toml``): the ``fund_run`` scenario (one payment firm and its fund in
the small world; the bond price falls in week 26), with the T+0 cap, the size of the
fall and the fund's cash share at three levels each, ten seeds per cell.

A run here is a week after the trigger in which holders ask back at least
``RUN_SHARE`` of the fund's holdings (ordinary weeks see a few percent). Reports, per
cell: the run probability with its Wilson interval, the peak withdrawal share (median),
what the run cost the holders who stayed (``run_stayer_loss_rate``: cuts to the
holdings of those who held at the trigger and never redeemed, over what they held) with
a seeded bootstrap interval over seeds, and what it cost those who left (mean
``run_leaver_loss_rate``: liquidity fees and redemptions the fund could not pay, over
what they redeemed); and, pooled over
the other two factors, the run probability at each level of the cap and of the cash
share, so the direction of each can be read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ifsim.experiments.catalog.stored import stored_spec
from ifsim.results.analysis import outcomes_frame
from ifsim.results.stats import bootstrap_mean_interval, resampling_seed, wilson_interval

RUN_SHARE = 0.25
CAP, SHOCK, CASH = "fund.t0_cap_cents_daily", "bond_market.shock_size", "fund.target_cash_share"


def results(store, spec) -> dict[str, Any]:
    """Headline results (what ``--json`` prints under ``results``)."""
    frame = outcomes_frame(store, spec.name)
    frame["run"] = frame["run_peak_withdrawal_share"] >= RUN_SHARE
    seed = resampling_seed(spec.seed)
    return {
        "run_definition": f"peak weekly redemptions >= {RUN_SHARE} of holdings after the "
                          "trigger",
        "cells": cells(frame, seed),
        "by_cap": pooled(frame, CAP),
        "by_cash_share": pooled(frame, CASH),
        "by_shock": pooled(frame, SHOCK),
        "runs": int(frame["run"].sum()),
        "seeds_per_cell": int(frame.groupby([CAP, SHOCK, CASH]).size().min())
        if len(frame) else 0,
    }


def cells(frame: pd.DataFrame, seed: int) -> list[dict[str, Any]]:
    """One object per cell: the three factor values, run probability and stayer loss
    rate, each with its interval."""
    out = []
    for i, ((cap, shock, cash), group) in enumerate(frame.groupby([CAP, SHOCK, CASH])):
        n, runs = len(group), int(group["run"].sum())
        low, high = wilson_interval(runs, n)
        loss, loss_low, loss_high = bootstrap_mean_interval(
            group["run_stayer_loss_rate"].to_numpy(float), seed + i, bounds=(0, None))
        out.append({"t0_cap_cents_daily": int(cap), "shock_size": float(shock),
                    "cash_share": float(cash), "seeds": n,
                    "run_probability": runs / n, "run_probability_ci": [_r(low), _r(high)],
                    "stayer_loss_rate": _r(loss),
                    "stayer_loss_rate_ci": [_r(loss_low), _r(loss_high)],
                    "leaver_loss_rate": _r(group["run_leaver_loss_rate"].mean()),
                    "peak_withdrawal_share_median": _r(group["run_peak_withdrawal_share"]
                                                       .median()),
                    "weeks_to_peak_median": _r(group["run_weeks_to_peak"].median())})
    return out


def pooled(frame: pd.DataFrame, factor: str) -> list[dict[str, Any]]:
    """Run probability at each level of ``factor``, over all levels of the others."""
    out = []
    for level, group in frame.groupby(factor):
        n, runs = len(group), int(group["run"].sum())
        low, high = wilson_interval(runs, n)
        out.append({"level": float(level), "runs": runs, "n": n,
                    "run_probability": _r(runs / n), "ci": [_r(low), _r(high)]})
    return out




def report_sections(store, experiment: str) -> list:
    """The experiment's own section of ``ifsim report``: the table of cells."""
    from ifsim.results.report import ReportSection, ReportTable

    runs, stored = stored_spec(store, experiment)
    title = "Money-market fund runs: T+0 cap, shock and cash share"
    if not (runs["status"] == "done").any():
        return [ReportSection(title, notes=("No run is done yet: nothing to tabulate.",))]
    found = results(store, stored)
    data = pd.DataFrame(found["cells"])
    shown = pd.DataFrame({
        "T+0 cap (yuan/day)": [f"{c // 100:,}" if c else "none"
                               for c in data["t0_cap_cents_daily"]],
        "shock": [f"{s:.0%}" for s in data["shock_size"]],
        "cash share": [f"{c:.0%}" for c in data["cash_share"]],
        "seeds": data["seeds"],
        "run probability [95% CI]": [f"{p:.2f} [{lo:.2f}, {hi:.2f}]" for p, (lo, hi) in
                                     zip(data["run_probability"],
                                         data["run_probability_ci"], strict=True)],
        "stayer loss (%) [95% CI]": [f"{100 * v:.2f} [{100 * lo:.2f}, {100 * hi:.2f}]"
                                     for v, (lo, hi) in zip(data["stayer_loss_rate"],
                                                            data["stayer_loss_rate_ci"],
                                                            strict=True)]})
    flat = data.drop(columns=["run_probability_ci", "stayer_loss_rate_ci"])
    intro = (f"A run: {found['run_definition']}. Intervals are 95%: Wilson for run "
             "probabilities, a seeded bootstrap over seeds for the stayers' loss rate.")
    return [ReportSection(title, intro, (ReportTable(f"{experiment}-cells", flat, shown,
                                                     "Run probability and stayers' "
                                                     "losses by cell"),))]


def _r(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)
