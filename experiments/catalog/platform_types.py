"""The ``platform-types`` experiment: what becomes of each platform business model.

Reports, by platform type and arm: the failure rate, the share of failures in which the
owners absconded (each with a 95% Wilson interval), the investor loss rate (what
investors put in minus what they got back and the recoverable value of what they still
hold, over what they put in) and the median weeks to failure; and the share of all
failures with absconding over the whole experiment (observed in China: 19.37%, Gu, Gui
and Huang 2021). It then measures the empirical determinants of domain.md s.6, from
outcomes only, each as a difference with its 95% interval, and says plainly whether the
interval excludes zero in the expected direction:

- custody: platforms without bank custody abscond more, and fail more (Tian, Guo and Jin
  2019; Gu, Gui and Huang 2021). Absconding is the owners' decision in the model (what
  they can take against what staying is worth), so custody acts only through what it
  puts out of their reach;
- yields: higher advertised yields go with more failure (compared within each type, the
  half above the type's median against the half below, pooled over types);
- guarantees: in calm times guaranteed platforms fail less often than information
  intermediaries, but once their guarantor has failed the losses of those that fail are
  not smaller (Ba, Hou and Zhang 2018).

Proportions use Wilson intervals; differences of proportions are judged on a bootstrap
over seeds (whole runs resampled, since platforms of one run share its shocks), with
Newcombe's interval beside it; loss rates use a percentile bootstrap; every resample is
seeded from the experiment's seed (``ifsim.results.stats.resampling_seed``).

:func:`report_sections` turns the same results into the tables of ``ifsim report``: the
table by type for every arm, the share of failures with absconding, and the determinants
with their intervals and verdicts (rates in percent, small samples flagged).

The design is 2 x 2 (factors sorted by name): ``guarantor.shock_step`` 0 or 104 (every
guarantor fails in week 104, an outside shock, so that "when the guarantor fails" is
observed in every seed rather than only where stress happens to break one) crossed with
``macro.default_correlation`` 0.12 (the baseline's calm credit cycle) or 0.35 (stressed).
The custody, yield and calm-failure measures use the calm arm without the shock.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from ifsim.results.stats import (
    SMALL_SAMPLE_N,
    bootstrap_difference_interval,
    bootstrap_mean_interval,
    is_small_sample,
    newcombe_difference,
    resampling_seed,
    wilson_interval,
)

ARMS = ("calm", "stressed", "calm_guarantors_fail", "stressed_guarantors_fail")
MIN_FAILURES = 20  # failed platforms needed in each group to compare loss sizes

if TYPE_CHECKING:  # the report (and matplotlib) is loaded only when a report is written
    from ifsim.results.report import ReportSection, ReportTable


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
            "type": kind, "platforms": len(group), "failures": len(failed),
            "failure_rate": _round(group["failed"].mean()),
            "failure_rate_ci": _wilson(int(group["failed"].sum()), len(group)),
            "absconded_share": _round(failed["absconded"].mean()) if len(failed) else 0.0,
            "absconded_share_ci": _wilson(int(failed["absconded"].sum()), len(failed)),
            "investor_loss_rate": _round(group["net_loss_cents"].sum() / inflow)
            if inflow else 0.0,
            "median_weeks_to_failure": _round(failed["failed_step"].median())
            if len(failed) else None,
        })
    return out


def absconded_share(frame: pd.DataFrame) -> dict[str, Any]:
    """Share of failures in which the owners absconded, with its Wilson interval."""
    failed = frame[frame["failed"]]
    k, n = int(failed["absconded"].sum()), len(failed)
    return {"share": _round(k / n) if n else None, "ci": _wilson(k, n), "failures": n,
            "absconded": k, "observed_china": 0.1937}


def _proportion_gap(frame: pd.DataFrame, outcome: str, group: pd.Series,
                    seed: int) -> dict[str, Any]:
    """Rate of ``outcome`` where ``group`` is True minus where it is False.

    Two 95% intervals: Newcombe's, which treats platforms as independent, and a
    bootstrap over seeds (whole runs resampled), which respects that platforms of one
    run share its credit cycle and news; the verdict uses the seed bootstrap."""
    a, b = frame.loc[group, outcome], frame.loc[~group, outcome]
    diff, low, high = newcombe_difference(int(a.sum()), len(a), int(b.sum()), len(b))
    c_low, c_high = _seed_bootstrap(frame, outcome, group, seed)
    return {"rate_in_group": _round(a.mean()) if len(a) else None,
            "rate_in_group_ci": _wilson(int(a.sum()), len(a)),
            "rate_outside": _round(b.mean()) if len(b) else None,
            "rate_outside_ci": _wilson(int(b.sum()), len(b)),
            "difference": _round(diff), "ci_low": _round(c_low), "ci_high": _round(c_high),
            "newcombe_ci": [_round(low), _round(high)],
            "n_group": len(a), "n_outside": len(b),
            "holds": bool(c_low > 0), "small_sample": is_small_sample(min(len(a), len(b)))}


def _seed_bootstrap(frame: pd.DataFrame, outcome: str, group: pd.Series, seed: int,
                    n_boot: int = 2000) -> tuple[float, float]:
    """95% percentile interval of the rate difference, resampling whole seeds."""
    parts = pd.DataFrame({"seed": frame["seed"], "k": frame[outcome].astype(int),
                          "g": group.astype(bool)})
    table = parts.groupby(["seed", "g"])["k"].agg(["sum", "count"]).unstack("g",
                                                                            fill_value=0)
    if table.shape[0] < 2 or table.shape[1] < 4:
        return float("nan"), float("nan")
    k_in, n_in = table[("sum", True)].to_numpy(), table[("count", True)].to_numpy()
    k_out, n_out = table[("sum", False)].to_numpy(), table[("count", False)].to_numpy()
    rng = np.random.default_rng(resampling_seed(seed))
    draw = rng.integers(0, len(k_in), size=(n_boot, len(k_in)))
    with np.errstate(invalid="ignore", divide="ignore"):
        diffs = k_in[draw].sum(1) / n_in[draw].sum(1) - k_out[draw].sum(1) / n_out[draw].sum(1)
    diffs = diffs[np.isfinite(diffs)]
    if diffs.size == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(low), float(high)


def _custody(frame: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Without custody minus with custody: absconding rate and failure rate per platform."""
    without = ~frame["custody"].astype(bool)
    return {"absconding": _proportion_gap(frame, "absconded", without, seed),
            "failure": _proportion_gap(frame, "failed", without, seed + 1),
            "reads": "rates without custody minus rates with custody"}


def _yield(frame: pd.DataFrame, seed: int) -> dict[str, Any]:
    """Failure of the half above each type's median advertised yield minus the half below."""
    high = pd.Series(False, index=frame.index)
    per_type = {}
    for kind, group in frame.groupby("type"):
        if group["advertised_yield_annual"].nunique() < 2:
            continue
        above = group["advertised_yield_annual"] > group["advertised_yield_annual"].median()
        high[group.index] = above
        per_type[kind] = _proportion_gap(group, "failed", above, seed)
    pooled = _proportion_gap(frame, "failed", high, seed + 1)
    return {"pooled_within_types": pooled, "by_type": per_type, "holds": pooled["holds"]}


def _guarantee(calm: pd.DataFrame, shocked: pd.DataFrame, shock_step: int,
               seed: int) -> dict[str, Any]:
    """Calm-time failure frequency, and the loss size once the guarantor has failed.

    The loss size compares, in the arms where every guarantor fails at ``shock_step``,
    the investor loss rate (net loss over inflows) of guaranteed platforms that failed
    after their guarantor did with that of information intermediaries that failed in
    the same weeks (at or after the shock), so both are measured over the same stretch
    of the credit cycle.
    """
    pair = calm[calm["type"].isin(["guaranteed", "intermediary"])]
    calm_gap = _proportion_gap(pair, "failed", pair["type"].eq("intermediary"), seed + 3)
    failed = shocked[shocked["failed"] & (shocked["failed_step"] >= shock_step)]
    loss = failed["net_loss_cents"] / failed["investor_inflow_cents"].clip(lower=1)
    hit = (failed["type"].eq("guaranteed") & failed["guarantor_failed_step"].notna()
           & (failed["guarantor_failed_step"] <= failed["failed_step"]))
    inter = failed["type"].eq("intermediary")
    boot = resampling_seed(seed)
    g_loss, i_loss = _mean_interval(loss[hit], boot), _mean_interval(loss[inter], boot + 1)
    difference = _difference(loss[hit], loss[inter], boot + 2)
    enough = min(g_loss["n"], i_loss["n"]) >= MIN_FAILURES
    # "not smaller": the interval of (guaranteed - intermediary) reaches zero or above
    size_holds = enough and difference["ci_high"] is not None and difference["ci_high"] >= 0
    return {
        "calm_failure_intermediary_minus_guaranteed": calm_gap,
        "guarantors_fail_at_week": shock_step,
        "loss_rate_failed_guaranteed_after_guarantor_failure": g_loss,
        "loss_rate_failed_intermediary_same_weeks": i_loss,
        "loss_rate_difference_guaranteed_minus_intermediary": difference,
        "calm_part_holds": calm_gap["holds"],
        "loss_size_part_holds": bool(size_holds),
        "holds": bool(calm_gap["holds"] and size_holds),
    }


def _mean_interval(values: pd.Series, seed: int) -> dict[str, Any]:
    """Mean loss rate with a seeded 95% bootstrap interval, bounded below by 0."""
    if values.empty:
        return {"mean": None, "n": 0, "ci_low": None, "ci_high": None}
    mean, low, high = bootstrap_mean_interval(values.to_numpy(float), seed,
                                              bounds=(0.0, None))
    return {"mean": _round(mean), "n": len(values), "ci_low": _round(low),
            "ci_high": _round(high), "small_sample": is_small_sample(len(values))}


def _difference(a: pd.Series, b: pd.Series, seed: int) -> dict[str, Any]:
    """Difference of means a - b with a seeded 95% bootstrap interval."""
    if len(a) < 2 or len(b) < 2:
        return {"mean": None, "ci_low": None, "ci_high": None}
    diff, low, high = bootstrap_difference_interval(a.to_numpy(float), b.to_numpy(float),
                                                    seed)
    return {"mean": _round(diff), "ci_low": _round(low), "ci_high": _round(high)}


def _wilson(successes: int, n: int) -> list[float | None]:
    if n == 0:
        return [None, None]
    low, high = wilson_interval(successes, n)
    return [_round(low), _round(high)]


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
            "absconded_share_all_types": absconded_share(frame),
            "absconded_share_by_arm": {name: absconded_share(arm)
                                       for name, arm in by_arm.items()},
            "determinants": {"custody": _custody(calm, spec.seed),
                             "yield": _yield(calm, spec.seed + 2),
                             "guarantee": _guarantee(calm, shocked, shock_step, spec.seed)},
            "seeds": int(calm["seed"].nunique())}


def _round(value) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return round(float(value), 4)


# --- the report's tables ------------------------------------------------------------------

#: How each arm is named in the report.
ARM_TITLES = {
    "calm": "calm credit cycle",
    "stressed": "stressed credit cycle",
    "calm_guarantors_fail": "calm credit cycle, every guarantor fails",
    "stressed_guarantors_fail": "stressed credit cycle, every guarantor fails",
}


class _Stored(NamedTuple):
    """What :func:`results` needs of a spec, read from the stored experiment."""

    name: str
    seed: int


def report_sections(store, experiment: str) -> list[ReportSection]:
    """The experiment's own section of ``ifsim report``: its tables from the store.

    One table by platform type for each arm (failure rate and share of failures with
    absconding with their Wilson intervals, investor loss rate, median weeks to failure),
    the share of failures with absconding (all arms and each, against China's 19.37%),
    the determinants (each difference with its seed-bootstrap interval, Newcombe's beside
    it, and whether it holds) and the yield gap within each type. Rates and differences
    are in percent (points); proportions resting on fewer than ``SMALL_SAMPLE_N``
    platforms or failures are flagged.

    Args:
        store: The run store.
        experiment: The stored experiment's name (``platform-types`` or its ``-quick``
            variant); its stored spec gives the root seed of the bootstraps, so the
            report shows the numbers ``ifsim experiment`` printed.
    """
    from ifsim.results.report import ReportSection

    record = store.get_experiment(experiment)
    runs = store.experiment_runs(record["id"])
    title = "Platform types: failure, absconding and losses by business model"
    if not (runs["status"] == "done").any():
        return [ReportSection(title, notes=("No run is done yet: nothing to tabulate.",))]
    spec = _Stored(experiment, int(record["spec"]["experiment"]["seed"]))
    found = results(store, spec)
    shock = int(pd.Series([json.loads(f).get("guarantor.shock_step", 0)
                           for f in runs["factors_json"]]).max())
    tables = [_by_type_table(experiment, arm, found["by_type" if arm == "calm"
                                                    else f"by_type_{arm}"], shock)
              for arm in ARMS]
    tables += [_absconding_table(experiment, found),
               _determinants_table(experiment, found["determinants"]),
               _yield_by_type_table(experiment, found["determinants"]["yield"])]
    intro = (f"{found['seeds']} seeds in each of four arms: the baseline's calm credit "
             "cycle or a stressed one, each with or without every guarantor failing in "
             f"week {shock} (an outside shock). Rates are per platform, over all runs of "
             "an arm; intervals are 95% (Wilson for proportions; a bootstrap over seeds "
             "for differences, with Newcombe's interval beside it). Determinants use the "
             "calm arm, except the loss size after guarantors fail.")
    return [ReportSection(title, intro, tuple(tables))]


def _pct(value: float | None) -> float:
    return float("nan") if value is None else round(100.0 * value, 2)


def _pct_text(value: float | None, ci: list | None = None) -> str:
    if value is None:
        return "–"
    text = f"{100.0 * value:.1f}"
    if ci and ci[0] is not None and ci[1] is not None:
        text += f" [{100.0 * ci[0]:.1f}, {100.0 * ci[1]:.1f}]"
    return text


def _ci(values: list | None) -> tuple[float, float]:
    low, high = values or (None, None)
    return _pct(low), _pct(high)


def _by_type_table(experiment: str, arm: str, rows: list[dict[str, Any]],
                   shock: int) -> ReportTable:
    from ifsim.results.report import ReportTable

    data, shown, small = [], [], []
    for row in rows:
        f_low, f_high = _ci(row["failure_rate_ci"])
        a_low, a_high = _ci(row["absconded_share_ci"])
        flag = row["failures"] < SMALL_SAMPLE_N
        if flag:
            small.append(row["type"])
        data.append({"type": row["type"], "platforms": row["platforms"],
                     "failures": row["failures"],
                     "failure rate (%)": _pct(row["failure_rate"]),
                     "failure rate ci_low (%)": f_low, "failure rate ci_high (%)": f_high,
                     "absconded share of failures (%)": _pct(row["absconded_share"])
                     if row["failures"] else float("nan"),
                     "absconded share ci_low (%)": a_low, "absconded share ci_high (%)": a_high,
                     "investor loss rate (%)": _pct(row["investor_loss_rate"]),
                     "median weeks to failure": row["median_weeks_to_failure"],
                     "small sample": flag})
        shown.append({"type": row["type"], "platforms": f"{row['platforms']:,}",
                      "failures": f"{row['failures']:,}",
                      "failure rate (%) [95% CI]": _pct_text(row["failure_rate"],
                                                             row["failure_rate_ci"]),
                      "absconded, % of failures [95% CI]": _pct_text(
                          row["absconded_share"] if row["failures"] else None,
                          row["absconded_share_ci"]),
                      "investor loss rate (%)": _pct_text(row["investor_loss_rate"]),
                      "median weeks to failure": "–" if row["median_weeks_to_failure"] is None
                      else f"{row['median_weeks_to_failure']:g}",
                      "small sample": "yes" if flag else ""})
    title = ARM_TITLES[arm] + (f" in week {shock}" if arm.endswith("guarantors_fail") else "")
    notes = ((f"Small sample: fewer than {SMALL_SAMPLE_N} failures among "
              f"{', '.join(small)}; their absconding shares are rough.",) if small else ())
    return ReportTable(f"{experiment}-by-type-{arm}", pd.DataFrame(data), pd.DataFrame(shown),
                       f"By platform type: {title}", notes)


def _absconding_table(experiment: str, found: dict[str, Any]) -> ReportTable:
    from ifsim.results.report import ReportTable

    rows = [("all arms", found["absconded_share_all_types"])]
    rows += [(ARM_TITLES[arm], found["absconded_share_by_arm"][arm]) for arm in ARMS]
    data, shown = [], []
    for name, share in rows:
        low, high = _ci(share["ci"])
        data.append({"arm": name, "failures": share["failures"],
                     "absconded": share["absconded"], "share (%)": _pct(share["share"]),
                     "ci_low (%)": low, "ci_high (%)": high,
                     "observed in China (%)": _pct(share["observed_china"]),
                     "small sample": share["failures"] < SMALL_SAMPLE_N})
        shown.append({"arm": name, "failures": f"{share['failures']:,}",
                      "absconded": f"{share['absconded']:,}",
                      "share (%) [95% CI]": _pct_text(share["share"], share["ci"]),
                      "observed in China (%)": _pct_text(share["observed_china"]),
                      "small sample": "yes" if share["failures"] < SMALL_SAMPLE_N else ""})
    return ReportTable(f"{experiment}-absconding", pd.DataFrame(data), pd.DataFrame(shown),
                       "Share of failures in which the owners absconded")


def _gap_row(claim: str, measure: str, gap: dict[str, Any]) -> dict[str, Any]:
    """A determinant measured as a difference of proportions (``_proportion_gap``)."""
    return {"determinant": claim, "measure": measure,
            "in group (%)": _pct(gap["rate_in_group"]),
            "outside (%)": _pct(gap["rate_outside"]),
            "difference (points)": _pct(gap["difference"]),
            "ci_low (points)": _pct(gap["ci_low"]), "ci_high (points)": _pct(gap["ci_high"]),
            "newcombe_low (points)": _pct(gap["newcombe_ci"][0]),
            "newcombe_high (points)": _pct(gap["newcombe_ci"][1]),
            "n in group": gap["n_group"], "n outside": gap["n_outside"],
            "holds": bool(gap["holds"]), "small sample": bool(gap["small_sample"])}


def _determinants_table(experiment: str, det: dict[str, Any]) -> ReportTable:
    from ifsim.results.report import ReportTable

    custody, guarantee = det["custody"], det["guarantee"]
    rows = [
        _gap_row("custody against absconding", "absconding rate, without custody minus with",
                 custody["absconding"]),
        _gap_row("custody against failure", "failure rate, without custody minus with",
                 custody["failure"]),
        _gap_row("yields against failure", "failure rate, higher-yield half of each type "
                 "minus lower half", det["yield"]["pooled_within_types"]),
        _gap_row("guarantees in calm times", "failure rate, intermediaries minus guaranteed",
                 guarantee["calm_failure_intermediary_minus_guaranteed"]),
    ]
    g = guarantee["loss_rate_failed_guaranteed_after_guarantor_failure"]
    i = guarantee["loss_rate_failed_intermediary_same_weeks"]
    d = guarantee["loss_rate_difference_guaranteed_minus_intermediary"]
    rows.append({"determinant": "losses not smaller after the guarantor fails",
                 "measure": "investor loss rate of failed platforms from week "
                 f"{guarantee['guarantors_fail_at_week']}, guaranteed minus intermediaries",
                 "in group (%)": _pct(g["mean"]), "outside (%)": _pct(i["mean"]),
                 "difference (points)": _pct(d["mean"]),
                 "ci_low (points)": _pct(d["ci_low"]), "ci_high (points)": _pct(d["ci_high"]),
                 "newcombe_low (points)": float("nan"), "newcombe_high (points)": float("nan"),
                 "n in group": g["n"], "n outside": i["n"],
                 "holds": bool(guarantee["loss_size_part_holds"]),
                 "small sample": min(g["n"], i["n"]) < MIN_FAILURES})
    data = pd.DataFrame(rows)
    shown = pd.DataFrame([{
        "determinant": r["determinant"], "measure": r["measure"],
        "in group (%)": _num_text(r["in group (%)"]), "outside (%)": _num_text(r["outside (%)"]),
        "difference (points) [95% CI]": _num_text(r["difference (points)"])
        + _interval_text(r["ci_low (points)"], r["ci_high (points)"]),
        "Newcombe 95% CI": _interval_text(r["newcombe_low (points)"],
                                          r["newcombe_high (points)"]).strip() or "–",
        "n": f"{r['n in group']:,} / {r['n outside']:,}",
        "holds": "yes" if r["holds"] else "no",
        "small sample": "yes" if r["small sample"] else ""} for r in rows])
    notes = ("A determinant holds when the seed-bootstrap interval of its difference lies "
             "above zero; the loss-size claim (\"not smaller\") holds when the interval "
             f"reaches zero or above and each group has at least {MIN_FAILURES} failed "
             "platforms. n is platforms (failed platforms for the loss size) in the group "
             "and outside it.",)
    if data["small sample"].any():
        notes += ("Small sample: rows marked rest on too few platforms or failures; treat "
                  "their verdicts as rough.",)
    return ReportTable(f"{experiment}-determinants", data, shown,
                       "Determinants of failure (domain.md s.6)", notes)


def _yield_by_type_table(experiment: str, yields: dict[str, Any]) -> ReportTable:
    from ifsim.results.report import ReportTable

    rows = [_gap_row(f"yields against failure: {kind}", "failure rate, higher-yield half "
                     "minus lower half", gap) for kind, gap in yields["by_type"].items()]
    columns = ["determinant", "measure", "in group (%)", "outside (%)", "difference (points)",
               "ci_low (points)", "ci_high (points)", "newcombe_low (points)",
               "newcombe_high (points)", "n in group", "n outside", "holds", "small sample"]
    data = pd.DataFrame(rows, columns=columns).rename(columns={"determinant": "type"})
    data["type"] = list(yields["by_type"])
    shown = pd.DataFrame([{
        "type": kind, "higher-yield half (%)": _num_text(r["in group (%)"]),
        "lower half (%)": _num_text(r["outside (%)"]),
        "difference (points) [95% CI]": _num_text(r["difference (points)"])
        + _interval_text(r["ci_low (points)"], r["ci_high (points)"]),
        "holds": "yes" if r["holds"] else "no",
        "small sample": "yes" if r["small sample"] else ""}
        for kind, r in zip(yields["by_type"], rows, strict=True)],
        columns=["type", "higher-yield half (%)", "lower half (%)",
                 "difference (points) [95% CI]", "holds", "small sample"])
    return ReportTable(f"{experiment}-yield-by-type", data.drop(columns="measure"), shown,
                       "Advertised yields against failure, within each type (calm arm)")


def _num_text(value: float) -> str:
    return "–" if value is None or np.isnan(value) else f"{value:.2f}"


def _interval_text(low: float, high: float) -> str:
    if low is None or high is None or np.isnan(low) or np.isnan(high):
        return ""
    return f" [{low:.2f}, {high:.2f}]"
