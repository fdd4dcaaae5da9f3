"""The ``p2p-run`` experiment: does the collapse of one large fund pool set off a run on
the others, and does herding on the investors' network make it larger or faster?

Design (``p2p-run.toml``): the ``p2p_run`` scenario (56 weeks), the collapse off or in
week 40; how investors read failures (``investor.failure_news``: a fixed rise in
perceived risk per failure, or the loss rate the failures imply, derived from their
size and the loss a failure costs); herding weight 0 or 0.3; an investor-protection
fund off or covering 50,000 yuan per investor and platform; 20 seeds each. Every run
is measured from week 40 (``trigger.control_step``), so the run without the collapse
is the same seed's counterfactual: both share every draw until week 40.

Reports, per arm (reading of failures, herding, protection) and for the collapse and
its control, over the 13 weeks from week 40 (``trigger.watch_weeks``): the peak weekly
withdrawal rate (``p2p_run_peak_share``: the largest share of the other product
platforms' holdings at week 39 asked back in one week), the weeks from the trigger to
that peak, all asked back over those weeks (``p2p_run_asked_share``), each as a mean
with a seeded bootstrap interval over seeds, the median and the 10th and 90th
percentiles; the product platforms that failed since (contagion); and the collapse's
effect on the peak and on the asks, the paired difference with its control seed by
seed, with its bootstrap interval. A weeks-to-peak figure belongs to a run whose peak
is an ordinary week's asks as much as to a run: read it with the peak.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ifsim.experiments.catalog.stored import stored_spec
from ifsim.results.analysis import outcomes_frame
from ifsim.results.stats import bootstrap_mean_interval, resampling_seed

TRIGGER, HERDING = "trigger.platform_failure_step", "social.herding_weight"
COVER, NEWS = "protection.cover_cents", "investor.failure_news"
PEAK, WEEKS, FAILS = "p2p_run_peak_share", "p2p_run_weeks_to_peak", "p2p_run_failures"
ASKED = "p2p_run_asked_share"


def results(store, spec) -> dict[str, Any]:
    """Headline results (what ``--json`` prints under ``results``)."""
    frame = outcomes_frame(store, spec.name)
    for column, value in scenario_levels(spec).items():
        if column not in frame:
            frame[column] = value
    seed = resampling_seed(spec.seed)
    arms = []
    for i, ((news, herding, cover), group) in enumerate(
            frame.groupby([NEWS, HERDING, COVER])):
        arms.append(arm(group, int(news), float(herding), int(cover), seed + 10 * i))
    no_cover = frame[frame[COVER] == 0]
    return {"arms": arms,
            "herding_effect_on_triggered_peak": [
                {"failure_news": int(n), **difference(group, HERDING, seed + 99 + j)}
                for j, (n, group) in enumerate(no_cover.groupby(NEWS))],
            "protection_effect_on_triggered_peak": [
                {"failure_news": int(n), "herding_weight": float(h),
                 **difference(group, COVER, seed + 199 + j)}
                for j, ((n, h), group) in enumerate(frame.groupby([NEWS, HERDING]))],
            "seeds_per_cell": int(frame.groupby([TRIGGER, NEWS, HERDING, COVER]).size().min())
            if len(frame) else 0}


def scenario_levels(spec) -> dict[str, Any]:
    """The scenario's own value of each factor this analysis groups by (for a spec
    that does not sweep it)."""
    from ifsim.ecosystem.scenario import load_scenario

    _, params = load_scenario(spec.scenario)
    # failure news 0 when the column is missing: runs stored before the factor existed
    # read failures that way, whatever the scenario now says
    return {COVER: params.protection.cover_cents, NEWS: 0,
            HERDING: params.social.herding_weight}


def arm(group: pd.DataFrame, news: int, herding: float, cover: int,
        seed: int) -> dict[str, Any]:
    """One reading of failures, herding level and cover: the collapse and its control,
    and the paired effect."""
    on, off = group[group[TRIGGER] > 0], group[group[TRIGGER] == 0]
    out = {"failure_news": news, "herding_weight": herding, "cover_cents": cover,
           "seeds": len(on), "collapse": describe(on, seed),
           "control": describe(off, seed + 1)}
    for name, column in (("collapse_effect_on_peak", PEAK),
                         ("collapse_effect_on_asked_share", ASKED)):
        out[name] = paired_effect(on, off, column, seed + 2)
    return out


def paired_effect(on: pd.DataFrame, off: pd.DataFrame, column: str,
                  seed: int) -> dict[str, Any]:
    """Mean over seeds of (with the collapse - without it), seed by seed, with its
    bootstrap interval; ``holds`` when the interval lies above 0."""
    paired = on.set_index("replication")[column].sub(off.set_index("replication")[column])
    paired = paired.dropna().to_numpy(float)
    if not paired.size:
        return {"mean": None, "ci": [None, None], "n": 0, "holds": False}
    mean, low, high = bootstrap_mean_interval(paired, seed)
    return {"mean": _r(mean), "ci": [_r(low), _r(high)], "n": int(paired.size),
            "holds": bool(low > 0)}


def describe(group: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Peak withdrawal rate and weeks to peak with intervals; failures since."""
    out: dict[str, Any] = {"n": len(group)}
    for name, column in (("peak_withdrawal_rate", PEAK), ("weeks_to_peak", WEEKS),
                         ("asked_share", ASKED), ("failures_since", FAILS)):
        values = group[column].to_numpy(float)
        if not values.size:
            out[name] = None
            continue
        mean, low, high = bootstrap_mean_interval(values, seed, bounds=(0, None))
        out[name] = {"mean": _r(mean), "ci": [_r(low), _r(high)],
                     "median": _r(np.median(values)), "p10": _r(np.quantile(values, 0.1)),
                     "p90": _r(np.quantile(values, 0.9))}
    return out


def difference(frame: pd.DataFrame, factor: str, seed: int) -> dict[str, Any]:
    """Mean triggered peak at the factor's higher level less at its lower one
    (independent worlds: the factor also changes the weeks before the collapse), with
    its bootstrap interval."""
    from ifsim.results.stats import bootstrap_difference_interval

    triggered = frame[frame[TRIGGER] > 0]
    high = triggered[triggered[factor] > 0][PEAK].to_numpy(float)
    low = triggered[triggered[factor] == 0][PEAK].to_numpy(float)
    if not (high.size and low.size):
        return {"difference": None, "ci": [None, None]}
    diff, lo, hi = bootstrap_difference_interval(high, low, seed)
    return {"difference": _r(diff), "ci": [_r(lo), _r(hi)]}


def report_sections(store, experiment: str) -> list:
    """The experiment's own section of ``ifsim report``: one row per arm and case."""
    from ifsim.results.report import ReportSection, ReportTable

    runs, stored = stored_spec(store, experiment)
    title = "Runs on fund pools after a large one collapses"
    if not (runs["status"] == "done").any():
        return [ReportSection(title, notes=("No run is done yet: nothing to tabulate.",))]
    found = results(store, stored)
    rows = []
    for a in found["arms"]:
        for case in ("collapse", "control"):
            d = a[case]
            if not d.get("peak_withdrawal_rate"):
                continue
            peak, weeks = d["peak_withdrawal_rate"], d["weeks_to_peak"]
            rows.append({"failure_news": a["failure_news"],
                         "herding_weight": a["herding_weight"],
                         "cover_cents": a["cover_cents"], "case": case,
                         "seeds": d["n"], "peak_mean": peak["mean"],
                         "peak_ci_low": peak["ci"][0], "peak_ci_high": peak["ci"][1],
                         "peak_median": peak["median"], "weeks_mean": weeks["mean"],
                         "weeks_ci_low": weeks["ci"][0], "weeks_ci_high": weeks["ci"][1],
                         "weeks_median": weeks["median"],
                         "failures_mean": d["failures_since"]["mean"]})
    flat = pd.DataFrame(rows)
    shown = pd.DataFrame({
        "failures read as": ["loss rate" if n else "fixed news"
                             for n in flat["failure_news"]],
        "herding": flat["herding_weight"],
        "protection cover (yuan)": [f"{c // 100:,}" if c else "none"
                                    for c in flat["cover_cents"]],
        "case": flat["case"], "seeds": flat["seeds"],
        "peak weekly withdrawals (%) [95% CI]": [
            f"{100 * m:.1f} [{100 * lo:.1f}, {100 * hi:.1f}]" for m, lo, hi in
            zip(flat["peak_mean"], flat["peak_ci_low"], flat["peak_ci_high"], strict=True)],
        "weeks to peak [95% CI]": [
            f"{m:.1f} [{lo:.1f}, {hi:.1f}]" for m, lo, hi in
            zip(flat["weeks_mean"], flat["weeks_ci_low"], flat["weeks_ci_high"],
                strict=True)],
        "product platforms failed since": flat["failures_mean"]})
    intro = ("Peak: the largest share of the other product platforms' holdings asked "
             "back in one week from week 40; control: the same seeds without the "
             "collapse. Intervals: seeded bootstrap over seeds, 95%.")
    return [ReportSection(title, intro, (ReportTable(f"{experiment}-arms", flat, shown,
                                                     "Peak withdrawal rate and weeks to "
                                                     "peak by arm"),))]


def _r(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)
