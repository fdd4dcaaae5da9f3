"""The ``platform-types`` experiment: what becomes of each platform business model.

Reports, by platform type over every seed of the calm (baseline) arm: the failure rate,
the share of failures in which the owners absconded, the investor loss rate (what
investors put in minus what they got back and still hold, over what they put in) and the
median weeks to failure. It then checks the empirical determinants of domain.md s.6:

- custody: platforms without bank custody abscond more (Tian, Guo and Jin 2019; Gu,
  Gui and Huang 2021);
- yields: higher advertised yields go with more failure (compared within each type,
  since types differ in what they advertise);
- guarantees: in calm times guaranteed platforms fail less often than information
  intermediaries, but once their guarantor has failed the losses of those that fail are
  not smaller (Ba, Hou and Zhang 2018).

The design is 2 x 2 (factors sorted by name): ``guarantor.shock_step`` 0 or 104 (every
guarantor fails in week 104, an outside shock, so that "when the guarantor fails" is
observed in every seed rather than only where stress happens to break one) crossed with
``macro.default_correlation`` 0.12 (the baseline's calm credit cycle) or 0.35 (stressed).
The custody, yield and calm-failure measures use the calm arm without the shock.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from results.analysis import mean_ci

ARMS = ("calm", "stressed", "calm_guarantors_fail", "stressed_guarantors_fail")
MIN_FAILURES = 20  # failed platforms needed in each group to compare loss sizes


def platform_outcomes(store, spec) -> pd.DataFrame:
    """One row per platform per done run, with the run's arm and seed."""
    runs = store.experiment_runs(store.get_experiment(spec.name)["id"])
    rows = []
    for run in runs[runs["status"] == "done"].itertuples():
        factors = json.loads(run.factors_json)
        arm = {"default_correlation": factors["macro.default_correlation"],
               "guarantor_shock_step": int(factors["guarantor.shock_step"]),
               "seed": int(run.seed)}
        for outcome in json.loads(run.summary_json)["platforms"]:
            rows.append({**outcome, **arm})
    frame = pd.DataFrame(rows)
    frame["failed"] = frame["failed_step"].notna()
    frame["absconded"] = frame["cause"] == "absconded"
    return frame


def by_type(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The table by platform type."""
    out = []
    for kind, group in frame.groupby("type"):
        failed = group[group["failed"]]
        inflow = group["investor_inflow_cents"].sum()
        out.append({
            "type": kind, "platforms": len(group),
            "failure_rate": _round(group["failed"].mean()),
            "absconded_share": _round(failed["absconded"].mean()) if len(failed) else 0.0,
            "investor_loss_rate": _round(group["net_loss_cents"].sum() / inflow)
            if inflow else 0.0,
            "median_weeks_to_failure": _round(failed["failed_step"].median())
            if len(failed) else None,
        })
    return out


def _custody(frame: pd.DataFrame) -> dict[str, Any]:
    rate = frame.groupby("custody")["absconded"].mean()
    with_c, without = float(rate.get(True, np.nan)), float(rate.get(False, np.nan))
    return {"absconded_rate_with_custody": _round(with_c),
            "absconded_rate_without_custody": _round(without),
            "holds": bool(without > with_c)}


def _yield(frame: pd.DataFrame) -> dict[str, Any]:
    per_type = {}
    for kind, group in frame.groupby("type"):
        if group["advertised_yield_annual"].nunique() < 2:
            continue
        high = group["advertised_yield_annual"] > group["advertised_yield_annual"].median()
        per_type[kind] = {"failure_rate_high_yield": _round(group[high]["failed"].mean()),
                          "failure_rate_low_yield": _round(group[~high]["failed"].mean())}
    gaps = [v["failure_rate_high_yield"] - v["failure_rate_low_yield"]
            for v in per_type.values()]
    return {"by_type": per_type, "mean_gap_high_minus_low": _round(float(np.mean(gaps))),
            "holds": bool(np.mean(gaps) > 0)}


def _guarantee(calm: pd.DataFrame, shocked: pd.DataFrame,
               shock_step: int) -> dict[str, Any]:
    """Calm-time failure frequency, and the loss size once the guarantor has failed.

    The loss size compares, in the arms where every guarantor fails at ``shock_step``,
    the investor loss rate (net loss over inflows) of guaranteed platforms that failed
    after their guarantor did with that of information intermediaries that failed in
    the same weeks (at or after the shock), so both are measured over the same stretch
    of the credit cycle.
    """
    rates = calm.groupby("type")["failed"].mean()
    failed = shocked[shocked["failed"] & (shocked["failed_step"] >= shock_step)]
    loss = failed["net_loss_cents"] / failed["investor_inflow_cents"].clip(lower=1)
    hit = (failed["type"].eq("guaranteed") & failed["guarantor_failed_step"].notna()
           & (failed["guarantor_failed_step"] <= failed["failed_step"]))
    inter = failed["type"].eq("intermediary")
    g_loss, i_loss = _mean_ci(loss[hit]), _mean_ci(loss[inter])
    difference = _difference_ci(loss[hit], loss[inter])
    calm_holds = rates.get("guaranteed", 1) < rates.get("intermediary", 0)
    # "not smaller": the guarantee leaves no significant cushion once the guarantor is
    # gone, i.e. the 95% interval of (guaranteed - intermediary) reaches zero or above;
    # with too few failures in either group the question is left unanswered (False)
    enough = min(g_loss["n"], i_loss["n"]) >= MIN_FAILURES
    size_holds = enough and difference["ci_high"] >= 0
    return {
        "calm_failure_rate_guaranteed": _round(rates.get("guaranteed", np.nan)),
        "calm_failure_rate_intermediary": _round(rates.get("intermediary", np.nan)),
        "guarantors_fail_at_week": shock_step,
        "loss_rate_failed_guaranteed_after_guarantor_failure": g_loss,
        "loss_rate_failed_intermediary_same_weeks": i_loss,
        "loss_rate_difference_guaranteed_minus_intermediary": difference,
        "calm_part_holds": bool(calm_holds),
        "loss_size_part_holds": bool(size_holds),
        "holds": bool(calm_holds and size_holds),
    }


def _mean_ci(values: pd.Series) -> dict[str, Any]:
    """Mean, count and 95% Student-t interval of per-platform loss rates."""
    if values.empty:
        return {"mean": None, "n": 0, "ci_low": None, "ci_high": None}
    row = mean_ci(pd.DataFrame({"loss_rate": values.to_numpy(float)}), "loss_rate").iloc[0]
    return {"mean": _round(row["mean"]), "n": int(row["n"]),
            "ci_low": _round(row["ci_low"]), "ci_high": _round(row["ci_high"])}


def _difference_ci(a: pd.Series, b: pd.Series) -> dict[str, Any]:
    """Difference of means a - b with its 95% Welch interval (unequal variances)."""
    if len(a) < 2 or len(b) < 2:
        return {"mean": None, "ci_low": None, "ci_high": None}
    from scipy import stats  # on use: importing scipy costs about a second

    test = stats.ttest_ind(a.to_numpy(float), b.to_numpy(float), equal_var=False)
    ci = test.confidence_interval(0.95)
    return {"mean": _round(a.mean() - b.mean()), "ci_low": _round(ci.low),
            "ci_high": _round(ci.high)}


def arms(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The four arms: calm or stressed credit cycle, with or without guarantors failing."""
    calm_level = frame["default_correlation"].min()
    world = np.where(frame["default_correlation"] == calm_level, "calm", "stressed")
    shock = np.where(frame["guarantor_shock_step"] > 0, "_guarantors_fail", "")
    names = pd.Series(world, index=frame.index).str.cat(pd.Series(shock, index=frame.index))
    return {name: frame[names == name] for name in ARMS}


def results(store, spec) -> dict[str, Any]:
    """Headline results of the experiment (what ``--json`` prints under ``results``)."""
    frame = platform_outcomes(store, spec)
    by_arm = arms(frame)
    calm = by_arm["calm"]
    shocked = pd.concat([by_arm["calm_guarantors_fail"], by_arm["stressed_guarantors_fail"]])
    shock_step = int(frame["guarantor_shock_step"].max())
    return {"by_type": by_type(calm),
            **{f"by_type_{name}": by_type(arm) for name, arm in by_arm.items()
               if name != "calm"},
            "determinants": {"custody": _custody(calm), "yield": _yield(calm),
                             "guarantee": _guarantee(calm, shocked, shock_step)},
            "seeds": int(calm["seed"].nunique())}


def _round(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)
