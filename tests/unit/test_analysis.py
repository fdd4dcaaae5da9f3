"""Tests of results.analysis on synthetic experiments stored through the RunStore API.

Outcomes are known functions of the factors, so every number can be checked by hand or
against an analytic answer: for y = 4·x1 + x2 with x uniform on [0, 1]², Var(y) = 17/12,
so S1 = ST = 16/17 for x1 and 1/17 for x2, and the Morris mu* are exactly 4 and 1 (the
elementary effects of a linear model are its coefficients times the range).
"""

from __future__ import annotations

import itertools
import json
import math
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from scipy import stats

from ifsim.results import RunStore, StoreError
from ifsim.results.analysis import (
    AnalysisError,
    events_frame,
    headline,
    mean_ci,
    morris_indices,
    natural_bounds,
    outcome_bounds,
    outcomes_frame,
    run_counts,
    salib_problem,
    sobol_indices,
    timeseries_long,
)
from ifsim.results.stats import wilson_interval

Outcome = Callable[[dict[str, Any], int], dict[str, Any]]

A = "borrower.apply_prob_weekly"
B = "macro.default_correlation"
UNIT_SQUARE = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
UNIT_RANGES = {"x1": {"low": 0.0, "high": 1.0}, "x2": {"low": 0.0, "high": 1.0}}


def make_spec(name: str, design: dict[str, Any], factors: dict[str, Any],
              outcomes: list[str], replications: int = 1, steps: int = 3) -> dict[str, Any]:
    return {
        "experiment": {"name": name, "scenario": "baseline", "steps": steps,
                       "replications": replications, "seed": 1, "model": "ifsim"},
        "design": design,
        "factors": factors,
        "outcomes": {"names": outcomes},
    }


def store_experiment(store: RunStore, spec: dict[str, Any], points: list[dict[str, Any]],
                     outcome: Outcome, *, leave: int = 0, fail: int = 0,
                     events: bool = False,
                     params: dict[str, Any] | None = None) -> dict[tuple[int, int], dict[str, Any]]:
    """Record, plan and finish an experiment's runs; return the final outcomes stored.

    Each run's time series has ``steps`` rows; the outcomes take their value at the last
    step and other values before it. The last ``fail`` runs (in design order) are failed
    and the ``leave`` runs before them are left pending, one of them marked running.
    """
    name, steps = spec["experiment"]["name"], spec["experiment"]["steps"]
    reps = spec["experiment"]["replications"]
    eid = store.record_experiment(name, spec)
    planned = [{"sample_index": i, "replication": r, "scenario": "baseline",
                "params": params or {},
                "factors": point, "seed": 1000 * i + r, "steps": steps}
               for i, point in enumerate(points) for r in range(reps)]
    store.plan_runs(eid, planned, "0.1.0", "test-host")
    runs = list(store.experiment_runs(eid).itertuples())
    finished = len(runs) - leave - fail
    stored = {}
    for k, run in enumerate(runs):
        run_id = int(run.id)
        if k >= finished + leave:
            store.fail_run(run_id, error="boom")
            continue
        if k >= finished:
            if k == finished:
                store.mark_running(run_id, host="h", ifsim_version="0.1.0", git_commit=None)
            continue
        final = outcome(points[run.sample_index], run.replication)
        data: dict[str, Any] = {"step": np.arange(steps, dtype="int64")}
        for metric, value in final.items():
            earlier = np.full(steps, -7, dtype=type(value))
            earlier[-1] = value
            data[metric] = earlier
        log = pd.DataFrame()
        if events:
            log = pd.DataFrame({"step": [1], "kind": ["failure"], "agent": [f"p{run_id}"],
                                "cause": ["run"], "amount_cents": [100 * run_id],
                                "detail": ["<b>"]})
        store.finish_run(run_id, timeseries=pd.DataFrame(data), events=log, summary=final,
                         wall_seconds=0.01)
        stored[(run.sample_index, run.replication)] = final
    return stored


def linear(point: dict[str, Any], _replication: int) -> dict[str, Any]:
    return {"y": 4.0 * point["x1"] + point["x2"]}


def rows_of(matrix: np.ndarray, names: list[str]) -> list[dict[str, float]]:
    return [dict(zip(names, map(float, row), strict=True)) for row in matrix]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    with RunStore(RunStore.sqlite_url(tmp_path / "out")) as opened:
        yield opened


@pytest.fixture(scope="module")
def sobol_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunStore]:
    """A Sobol experiment of y = 4·x1 + x2 with N = 256 (1,024 runs), built once.

    N = 256 rather than 512 halves the time to store it (about 4 ms a run) and still
    gives bootstrap intervals that contain the analytic indices and separate the factors.
    """
    with RunStore(RunStore.sqlite_url(tmp_path_factory.mktemp("sobol"))) as opened:
        x = sobol_sample.sample(UNIT_SQUARE, 256, calc_second_order=False, seed=11)
        spec = make_spec("additive", {"kind": "sobol", "samples": 256, "second_order": False},
                         UNIT_RANGES, ["y"], steps=2)
        store_experiment(opened, spec, rows_of(x, ["x1", "x2"]), linear)
        yield opened


# --- Factorial: frames and intervals -------------------------------------------------------

FACTORIAL_POINTS = [{A: a, B: b} for a, b in itertools.product([0.02, 0.04], [0.0, 0.5])]


def factorial_outcome(point: dict[str, Any], replication: int) -> dict[str, Any]:
    noise = np.random.default_rng([int(point[A] * 100), int(point[B] * 10), replication])
    return {
        "loss_rate": 3.0 * point[A] + point[B] + noise.normal(0.0, 0.01),
        "investor_losses_cents": int(1_000_000 * point[A] + 10_000 * replication),
    }


@pytest.fixture
def factorial(store: RunStore) -> dict[tuple[int, int], dict[str, Any]]:
    """2 factors x 2 levels x 3 replications; one run left pending and one failed."""
    spec = make_spec("fact", {"kind": "factorial"}, {A: [0.02, 0.04], B: [0.0, 0.5]},
                     ["loss_rate", "investor_losses_cents"], replications=3)
    return store_experiment(store, spec, FACTORIAL_POINTS, factorial_outcome, leave=1, fail=1,
                            events=True)


def test_outcomes_frame_has_the_last_step_of_every_done_run(
        store: RunStore, factorial: dict[tuple[int, int], dict[str, Any]]) -> None:
    frame = outcomes_frame(store, "fact")
    assert list(frame.columns) == ["run_id", "sample_index", "replication", "seed", A, B,
                                   "loss_rate", "investor_losses_cents"]
    assert len(frame) == 10 == len(factorial)
    for row in frame.itertuples(index=False):
        expected = factorial[(row.sample_index, row.replication)]
        point = FACTORIAL_POINTS[row.sample_index]
        assert (row[4], row[5]) == (point[A], point[B])
        assert row.loss_rate == expected["loss_rate"]
        assert row.investor_losses_cents == expected["investor_losses_cents"]
        assert row.seed == 1000 * row.sample_index + row.replication
    assert frame["investor_losses_cents"].dtype == "int64"
    assert (3, 1) not in factorial and (3, 2) not in factorial
    assert run_counts(store, "fact") == {"pending": 0, "running": 1, "done": 10, "failed": 1}


def test_mean_ci_by_factors_matches_a_hand_computation(
        store: RunStore, factorial: dict[tuple[int, int], dict[str, Any]]) -> None:
    table = mean_ci(outcomes_frame(store, "fact"), ["loss_rate"], by=[A, B])
    assert list(table.columns) == [A, B, "variable", "mean", "std", "n", "ci_low", "ci_high",
                                   "small_sample"]
    assert len(table) == 4 and table["small_sample"].all()  # 1 to 3 replications
    for row in table.itertuples(index=False):
        index = FACTORIAL_POINTS.index({A: row[0], B: row[1]})
        values = np.array([v["loss_rate"] for (i, _), v in factorial.items() if i == index])
        assert row.n == len(values)
        assert row.mean == pytest.approx(values.mean(), rel=1e-12)
        if len(values) == 1:
            assert math.isnan(row.std) and math.isnan(row.ci_low) and math.isnan(row.ci_high)
            continue
        half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
        assert row.ci_low == pytest.approx(values.mean() - half, rel=1e-12)
        assert row.ci_high == pytest.approx(values.mean() + half, rel=1e-12)


def test_mean_ci_over_all_rows_single_values_and_bad_level() -> None:
    frame = pd.DataFrame({"g": ["a", "a", "a", "b"], "v": [1.0, 2.0, 6.0, 5.0],
                          "w": [1, 1, np.nan, 2]})
    overall = mean_ci(frame, "v", level=0.9)
    half = stats.t.ppf(0.95, 3) * frame["v"].std() / 2.0
    assert overall.loc[0, "ci_high"] == pytest.approx(3.5 + half)
    assert overall.loc[0, "n"] == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        grouped = mean_ci(frame, ["v", "w"], by="g")
    single = grouped[(grouped["g"] == "b") & (grouped["variable"] == "v")].iloc[0]
    assert single["mean"] == 5.0 and single["n"] == 1 and math.isnan(single["ci_low"])
    missing = grouped[(grouped["g"] == "a") & (grouped["variable"] == "w")].iloc[0]
    assert missing["n"] == 2 and missing["ci_low"] == missing["ci_high"] == 1.0
    with pytest.raises(ValueError, match="confidence level"):
        mean_ci(frame, "v", level=95)
    with pytest.raises(ValueError, match="nope"):
        mean_ci(frame, "nope")


def test_mean_ci_clips_to_bounds_and_uses_wilson_for_proportions() -> None:
    frame = pd.DataFrame({"alive": [9, 10, 8], "loss": [0.0, 0.0, 300.0],
                          "failed": [True, False, False], "free": [0.0, 0.0, 300.0]})
    table = mean_ci(frame, ["alive", "loss", "failed", "free"],
                    bounds={"alive": (0, 10), "loss": (0, None)}).set_index("variable")
    half = stats.t.ppf(0.975, 2) / math.sqrt(3)  # s = 1 for alive
    assert table.loc["alive", "ci_low"] == pytest.approx(9 - half)  # 6.52, not clipped
    assert table.loc["alive", "ci_high"] == 10.0  # 11.48 platforms in a 10-platform world
    assert table.loc["loss", "ci_low"] == 0.0 and table.loc["free", "ci_low"] < 0.0
    assert table.loc["loss", "ci_high"] == table.loc["free", "ci_high"]
    low, high = wilson_interval(1, 3)
    assert (table.loc["failed", "ci_low"], table.loc["failed", "ci_high"]) == (low, high)
    assert table["small_sample"].all()
    one_tuple = mean_ci(frame, ["alive", "loss"], bounds=(0, 10))
    assert one_tuple["ci_high"].max() == 10.0 and one_tuple["ci_low"].min() >= 0.0
    many = mean_ci(pd.DataFrame({"v": np.arange(12.0)}), "v")
    assert not many.loc[0, "small_sample"]


def test_natural_bounds_rule() -> None:
    assert natural_bounds("arrears_rate") == (0.0, 1.0)
    assert natural_bounds("distressed_borrower_share") == (0.0, 1.0)
    assert natural_bounds("fund_net_outflow_share") == (None, None)  # signed net flow
    assert natural_bounds("investor_losses_cents") == (0.0, None)
    assert natural_bounds("platforms_alive", 10) == (0.0, 10.0)
    assert natural_bounds("platforms_alive") == (0.0, None)
    assert natural_bounds("fund_yield_annual") == natural_bounds("y") == (None, None)


def test_headline_intervals_stay_within_the_outcomes_bounds(store: RunStore) -> None:
    finals = {0: (9, 0, 0.99), 1: (10, 0, 1.0), 2: (8, 300, 0.97)}

    def outcome(point: dict[str, Any], replication: int) -> dict[str, Any]:
        alive, losses, rate = finals[replication]
        return {"platforms_alive": alive, "investor_losses_cents": losses,
                "arrears_rate": rate}

    spec = make_spec("bounded", {"kind": "factorial"}, {B: [0.1]},
                     ["platforms_alive", "investor_losses_cents", "arrears_rate"],
                     replications=3)
    store_experiment(store, spec, [{B: 0.1}], outcome,
                     params={"world": {"n_platforms": 10}, "macro": {}})
    assert outcome_bounds(store, "bounded") == {
        "platforms_alive": (0.0, 10.0), "investor_losses_cents": (0.0, None),
        "arrears_rate": (0.0, 1.0)}
    result = headline(store, "bounded")
    alive = result["outcomes"]["platforms_alive"]
    assert (alive["mean"], alive["ci_high"], alive["small_sample"]) == (9.0, 10.0, True)
    assert 6.5 < alive["ci_low"] < 6.6
    assert result["outcomes"]["investor_losses_cents"]["ci_low"] == 0.0
    assert result["outcomes"]["arrears_rate"]["ci_high"] == 1.0
    assert result["small_sample"] is True
    assert any(note.startswith("small sample: 3 of 3 intervals over all done runs rest on "
                               "fewer than 10 runs (n = 3 to 3)") for note in result["notes"])
    assert result["design_points"][0]["outcomes"]["platforms_alive"]["ci_high"] == 10.0


def test_a_platform_count_factor_raises_the_cap(store: RunStore) -> None:
    spec = make_spec("sized", {"kind": "factorial"}, {"world.n_platforms": [10, 12]},
                     ["platforms_alive"])
    store_experiment(store, spec, [{"world.n_platforms": 10}, {"world.n_platforms": 12}],
                     lambda p, r: {"platforms_alive": int(p["world.n_platforms"])},
                     params={"world": {"n_platforms": 10}})
    assert outcome_bounds(store, "sized") == {"platforms_alive": (0.0, 12.0)}


def test_timeseries_long_and_events_frame(
        store: RunStore, factorial: dict[tuple[int, int], dict[str, Any]]) -> None:
    long = timeseries_long(store, "fact")
    assert list(long.columns) == ["run_id", "sample_index", "replication", "step", "metric",
                                  "value"]
    assert len(long) == 10 * 3 * 2
    last = long[(long["step"] == 2) & (long["metric"] == "loss_rate")]
    for row in last.itertuples(index=False):
        assert row.value == factorial[(row.sample_index, row.replication)]["loss_rate"]
    assert set(long.loc[long["step"] < 2, "value"]) == {-7.0}
    only = timeseries_long(store, "fact", metrics=["investor_losses_cents"])
    assert set(only["metric"]) == {"investor_losses_cents"} and len(only) == 30
    with pytest.raises(AnalysisError, match="'nope' not among the stored metrics"):
        timeseries_long(store, "fact", metrics=["nope"])

    events = events_frame(store, "fact")
    assert list(events.columns) == ["run_id", "sample_index", "replication", "step", "kind",
                                    "agent", "cause", "amount_cents", "detail"]
    assert len(events) == 10
    assert events["amount_cents"].dtype == "Int64"
    assert (events["amount_cents"] == 100 * events["run_id"]).all()
    assert set(events["detail"]) == {"<b>"}


def test_headline_is_json_ready_with_design_points(
        store: RunStore, factorial: dict[tuple[int, int], dict[str, Any]]) -> None:
    result = headline(store, "fact")
    json.dumps(result, allow_nan=False)
    assert result["design"] == "factorial" and result["runs_done"] == 10
    losses = result["outcomes"]["investor_losses_cents"]
    values = [v["investor_losses_cents"] for v in factorial.values()]
    assert losses["mean"] == pytest.approx(np.mean(values)) and losses["n"] == 10
    assert losses["ci_low"] < losses["mean"] < losses["ci_high"]
    points = result["design_points"]
    assert [p["sample_index"] for p in points] == [0, 1, 2, 3]
    assert points[3]["factors"] == FACTORIAL_POINTS[3]
    assert points[3]["outcomes"]["loss_rate"]["ci_low"] is None  # one run: no interval
    assert "sobol" not in result and "morris" not in result


def test_an_experiment_without_done_runs_gives_empty_frames(store: RunStore) -> None:
    spec = make_spec("empty", {"kind": "factorial"}, {A: [0.02]}, ["never_stored"])
    store_experiment(store, spec, [{A: 0.02}], linear, leave=1)
    frame = outcomes_frame(store, "empty")
    assert frame.empty and list(frame.columns) == ["run_id", "sample_index", "replication",
                                                   "seed", A, "never_stored"]
    assert timeseries_long(store, "empty").empty and events_frame(store, "empty").empty
    result = headline(store, "empty")
    assert result["outcomes"]["never_stored"] == {"mean": None, "ci_low": None,
                                                  "ci_high": None, "std": None, "n": 0,
                                                  "small_sample": True}
    assert "notes" not in result and result["small_sample"] is False  # nothing to flag
    json.dumps(result, allow_nan=False)


def test_an_outcome_never_stored_is_named(store: RunStore) -> None:
    spec = make_spec("typo", {"kind": "factorial"}, {"x1": [0.5], "x2": [0.5]},
                     ["y", "platfroms_alive"])
    store_experiment(store, spec, [{"x1": 0.5, "x2": 0.5}], linear)
    with pytest.raises(AnalysisError, match=r"'typo'.*'platfroms_alive' not among .*\(y\)"):
        outcomes_frame(store, "typo")
    with pytest.raises(StoreError, match="no experiment named 'other'"):
        outcomes_frame(store, "other")


# --- Sensitivity --------------------------------------------------------------------------


def test_salib_problem_sorts_factors_and_checks_ranges() -> None:
    spec = make_spec("p", {"kind": "sobol", "samples": 8},
                     {"z.b": {"low": 1, "high": 2}, "a.c": {"low": 0.0, "high": 0.5}}, ["y"])
    assert salib_problem(spec) == {"num_vars": 2, "names": ["a.c", "z.b"],
                                   "bounds": [[0.0, 0.5], [1.0, 2.0]]}
    spec["factors"]["z.b"] = [1, 2]
    with pytest.raises(AnalysisError, match=r"'p': factor 'z.b' needs a range"):
        salib_problem(spec)
    spec["factors"]["z.b"] = {"low": 2, "high": 2}
    with pytest.raises(AnalysisError, match=r"low 2\.0 not below high 2\.0"):
        salib_problem(spec)


def test_sobol_indices_match_the_additive_model(sobol_store: RunStore) -> None:
    table = sobol_indices(sobol_store, "additive", seed=5)
    assert list(table.columns) == ["outcome", "factor", "S1", "S1_conf", "ST", "ST_conf",
                                   "small_sample"]
    assert not table["small_sample"].any()  # N = 256
    assert list(table["factor"]) == ["x1", "x2"]
    for row, share in zip(table.itertuples(), (16 / 17, 1 / 17), strict=True):
        assert abs(row.S1 - share) <= row.S1_conf
        assert abs(row.ST - share) <= row.ST_conf
        assert 0.0 < row.S1_conf < 0.2 and 0.0 < row.ST_conf < 0.2
    x1, x2 = table.itertuples()
    assert x1.S1 - x1.S1_conf > x2.S1 + x2.S1_conf
    assert x1.ST - x1.ST_conf > x2.ST + x2.ST_conf


def test_sobol_intervals_are_seeded_from_the_experiments_seed(sobol_store: RunStore) -> None:
    # SALib seeds its bootstrap only for a truthy seed; seed 0 used to change every call
    default = sobol_indices(sobol_store, "additive")
    assert default.equals(sobol_indices(sobol_store, "additive"))
    assert default.equals(sobol_indices(sobol_store, "additive", seed=1))  # spec seed is 1
    zero = sobol_indices(sobol_store, "additive", seed=0)
    assert zero.equals(sobol_indices(sobol_store, "additive", seed=0))
    assert not zero["S1_conf"].equals(default["S1_conf"])
    assert (zero["S1"] == default["S1"]).all()  # only the bootstrap depends on the seed
    records = headline(sobol_store, "additive")["sobol"]
    assert records == default.to_dict(orient="records")


def test_headline_of_a_sobol_experiment(sobol_store: RunStore) -> None:
    result = headline(sobol_store, "additive")
    json.dumps(result, allow_nan=False)
    assert [r["factor"] for r in result["sobol"]] == ["x1", "x2"]
    assert result["sobol"][0]["S1"] == pytest.approx(16 / 17, abs=0.05)
    assert result["outcomes"]["y"]["mean"] == pytest.approx(2.5, abs=0.01)
    assert "notes" not in result and "design_points" not in result
    assert result["small_sample"] is False


def test_sobol_reads_which_factor_each_block_varies(store: RunStore) -> None:
    # A sample drawn with the factors in the other order still credits x1 with its effect.
    flipped = {**UNIT_SQUARE, "names": ["x2", "x1"]}
    x = sobol_sample.sample(flipped, 32, calc_second_order=False, seed=2)
    spec = make_spec("flipped", {"kind": "sobol", "samples": 32}, UNIT_RANGES, ["y", "c"])
    store_experiment(store, spec, rows_of(x, ["x2", "x1"]),
                     lambda p, r: {**linear(p, r), "c": 3})
    table = sobol_indices(store, "flipped").set_index(["outcome", "factor"])
    assert table.loc[("y", "x1"), "S1"] > 0.8 > 0.2 > table.loc[("y", "x2"), "S1"]
    # constant outcome: no variance to apportion
    assert table.loc["c", ["S1", "S1_conf", "ST", "ST_conf"]].isna().all().all()
    assert table["small_sample"].all()  # N = 32
    result = headline(store, "flipped")
    assert result["sobol"][2]["S1"] is None and result["sobol"][2]["small_sample"] is True
    assert result["small_sample"] is True
    assert any(note.startswith("small sample: Sobol base sample N = 32 (below 64)")
               for note in result["notes"])


def test_sobol_refuses_other_designs_and_incomplete_sweeps(
        store: RunStore, factorial: dict[tuple[int, int], dict[str, Any]]) -> None:
    with pytest.raises(AnalysisError, match="'fact' has a factorial design; Sobol"):
        sobol_indices(store, "fact")
    with pytest.raises(AnalysisError, match="'fact' has a factorial design; Morris"):
        morris_indices(store, "fact")
    x = sobol_sample.sample(UNIT_SQUARE, 4, calc_second_order=False, seed=1)
    spec = make_spec("partial", {"kind": "sobol", "samples": 4}, UNIT_RANGES, ["y"])
    store_experiment(store, spec, rows_of(x, ["x1", "x2"]), linear, leave=5, fail=1)
    message = r"'partial': Sobol .* needs all 16 runs done .*; 10 of 16 are done, 1 failed"
    with pytest.raises(AnalysisError, match=message):
        sobol_indices(store, "partial")
    result = headline(store, "partial")
    assert "sobol" not in result and "10 of 16 are done" in result["notes"][0]


def test_morris_ranks_the_stronger_factor_first(store: RunStore) -> None:
    x = morris_sample.sample(UNIT_SQUARE, 20, num_levels=4, seed=3)
    spec = make_spec("screen", {"kind": "morris", "samples": 20, "levels": 4}, UNIT_RANGES,
                     ["y"], replications=2)
    store_experiment(store, spec, rows_of(x, ["x1", "x2"]), linear)
    table = morris_indices(store, "screen").set_index("factor")
    assert list(table.columns) == ["outcome", "mu_star", "mu_star_conf", "sigma", "mu",
                                   "small_sample"]
    assert not table["small_sample"].any()  # 20 trajectories
    assert table.loc["x1", "mu_star"] > table.loc["x2", "mu_star"]
    assert table.loc["x1", "mu_star"] == pytest.approx(4.0)
    assert table.loc["x2", "mu_star"] == pytest.approx(1.0)
    assert table["sigma"].to_numpy() == pytest.approx([0.0, 0.0], abs=1e-9)
    result = headline(store, "screen")
    json.dumps(result, allow_nan=False)
    assert [r["factor"] for r in result["morris"]] == ["x1", "x2"]
    assert result["morris"] == morris_indices(store, "screen").to_dict(orient="records")
    assert morris_indices(store, "screen", seed=0).equals(morris_indices(store, "screen", seed=0))


def test_a_short_morris_design_is_flagged(store: RunStore) -> None:
    x = morris_sample.sample(UNIT_SQUARE, 4, num_levels=4, seed=3)
    spec = make_spec("short", {"kind": "morris", "samples": 4, "levels": 4}, UNIT_RANGES,
                     ["y"])
    store_experiment(store, spec, rows_of(x, ["x1", "x2"]), linear)
    assert morris_indices(store, "short")["small_sample"].all()
    result = headline(store, "short")
    assert result["small_sample"] is True and result["morris"][0]["small_sample"] is True
    assert "small sample: 4 Morris trajectories (fewer than 10)" in " ".join(result["notes"])
