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
  intermediaries, but once their guarantor has failed (stressed arm) the losses of those
  that fail are not smaller (Ba, Hou and Zhang 2018).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

CALM, STRESSED = 0, 1  # sample_index of the two arms (factor levels in spec order)


def platform_outcomes(store, spec) -> pd.DataFrame:
    """One row per platform per done run, with the run's arm and seed."""
    runs = store.experiment_runs(store.get_experiment(spec.name)["id"])
    rows = []
    for run in runs[runs["status"] == "done"].itertuples():
        for outcome in json.loads(run.summary_json)["platforms"]:
            rows.append({**outcome, "arm": int(run.sample_index), "seed": int(run.seed)})
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


def determinants(calm: pd.DataFrame, stressed: pd.DataFrame) -> dict[str, Any]:
    """The three empirical regularities, measured."""
    return {"custody": _custody(calm), "yield": _yield(calm),
            "guarantee": _guarantee(calm, stressed)}


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


def _guarantee(calm: pd.DataFrame, stressed: pd.DataFrame) -> dict[str, Any]:
    rates = calm.groupby("type")["failed"].mean()
    failed = stressed[stressed["failed"]]
    loss = failed["net_loss_cents"] / failed["investor_inflow_cents"].clip(lower=1)
    hit = failed["type"].eq("guaranteed") & failed["guarantor_failed"]
    inter = failed["type"].eq("intermediary")
    g_loss = float(loss[hit].mean()) if hit.any() else None
    i_loss = float(loss[inter].mean()) if inter.any() else None
    return {
        "calm_failure_rate_guaranteed": _round(rates.get("guaranteed", np.nan)),
        "calm_failure_rate_intermediary": _round(rates.get("intermediary", np.nan)),
        "stressed_loss_rate_failed_guaranteed_after_guarantor_failure": _round(g_loss),
        "stressed_loss_rate_failed_intermediary": _round(i_loss),
        "failed_guaranteed_with_failed_guarantor": int(hit.sum()),
        "holds": bool(rates.get("guaranteed", 1) < rates.get("intermediary", 0)
                      and g_loss is not None and i_loss is not None and g_loss >= i_loss),
    }


def results(store, spec) -> dict[str, Any]:
    """Headline results of the experiment (what ``--json`` prints under ``results``)."""
    frame = platform_outcomes(store, spec)
    calm, stressed = frame[frame["arm"] == CALM], frame[frame["arm"] == STRESSED]
    return {"by_type": by_type(calm), "by_type_stressed": by_type(stressed),
            "determinants": determinants(calm, stressed),
            "seeds": int(calm["seed"].nunique())}


def _round(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)
