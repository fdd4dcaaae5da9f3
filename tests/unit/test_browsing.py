"""Unit tests of browsing the store (experiments/browse.py, results/exports.py,
results/effects.py and the reads they use in results/store.py).

Stores are small SQLite files in a temporary folder, filled through the RunStore API, so
every count, date and effect can be checked by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from SALib.sample import sobol as sobol_sample

from ifsim.ecosystem.params import Params
from ifsim.experiments import browse
from ifsim.experiments.commands import SPEC_DIR, spec_path
from ifsim.experiments.spec import SpecError
from ifsim.results import RunStore, StoreError
from ifsim.results.effects import main_effect_notes, main_effects
from ifsim.results.exports import (
    ExportError,
    done_run_ids,
    events_table,
    outcomes_table,
    timeseries_table,
    write_table,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    with RunStore(RunStore.sqlite_url(tmp_path / "out")) as opened:
        yield opened


def lone_run(store: RunStore, *, seed: int, scenario: str = "baseline", steps: int = 3,
             params: dict[str, Any] | None = None, events: int = 0,
             overrides: dict[str, Any] | None = None, done: bool = True) -> int:
    """Store an `ifsim run`-like run whose metric ``m`` is 10·step + seed."""
    run_id = store.start_run(scenario=scenario, params=params or {}, seed=seed, steps=steps,
                             ifsim_version="0.1.0", git_commit="abc", host="h",
                             overrides=overrides or {})
    if not done:
        store.fail_run(run_id, error="Traceback ...\nValueError: boom")
        return run_id
    series = pd.DataFrame({"step": np.arange(1, steps + 1),
                           "m": 10 * np.arange(1, steps + 1) + seed})
    log = pd.DataFrame({"step": [1 + i % steps for i in range(events)],
                        "kind": ["failure" if i % 3 == 0 else "warning" for i in range(events)],
                        "agent": [f"p{i}" for i in range(events)], "cause": ["c"] * events,
                        "amount_cents": [100 * i for i in range(events)],
                        "detail": ["d"] * events})
    store.finish_run(run_id, timeseries=series, events=log, summary={"m": seed},
                     wall_seconds=1.5)
    return run_id


def experiment(store: RunStore, name: str, design: dict[str, Any], factors: dict[str, Any],
               points: list[dict[str, Any]], outcome, replications: int = 1,
               steps: int = 2, start_date: str | None = None) -> list[int]:
    """Record, plan and finish an experiment whose outcome ``y`` is ``outcome(point, r)``."""
    spec = {"experiment": {"name": name, "scenario": "baseline", "steps": steps,
                           "replications": replications, "seed": 1, "model": "ifsim"},
            "design": design, "factors": factors, "outcomes": {"names": ["y"]}}
    eid = store.record_experiment(name, spec)
    params = {"world": {"start_date": start_date}} if start_date else {}
    planned = [{"sample_index": i, "replication": r, "scenario": "baseline",
                "params": params, "factors": point, "seed": 100 * i + r, "steps": steps}
               for i, point in enumerate(points) for r in range(replications)]
    store.plan_runs(eid, planned, "0.1.0", "h")
    ids = []
    for run in store.experiment_runs(eid).itertuples():
        y = float(outcome(points[run.sample_index], run.replication))
        store.finish_run(int(run.id), timeseries=pd.DataFrame(
            {"step": np.arange(1, steps + 1), "y": [-1.0] * (steps - 1) + [y]}),
            events=pd.DataFrame({"step": [1], "kind": ["k"], "agent": ["a"], "cause": ["c"]}),
            summary={"y": y}, wall_seconds=0.1)
        ids.append(int(run.id))
    return ids


# -- store reads ---------------------------------------------------------------------------
def test_find_runs_filters_combine_newest_first(store: RunStore) -> None:
    a = lone_run(store, seed=1, scenario="baseline")
    b = lone_run(store, seed=2, scenario="small", overrides={"world.steps": 3})
    c = lone_run(store, seed=1, scenario="small", done=False)
    exp = experiment(store, "fx", {"kind": "factorial"}, {"f": [0, 1]},
                     [{"f": 0}, {"f": 1}], lambda p, r: p["f"])
    assert list(store.find_runs()["id"]) == [*reversed(exp), c, b, a]
    assert list(store.find_runs(scenario="small")["id"]) == [c, b]
    assert list(store.find_runs(seed=1)["id"]) == [c, a]
    assert list(store.find_runs(seed=1, scenario="small", status="failed")["id"]) == [c]
    assert store.find_runs(seed=2, status="failed").empty
    assert list(store.find_runs(experiment="fx")["id"]) == list(reversed(exp))
    assert store.find_runs(experiment="nope").empty
    assert list(store.find_runs(limit=2)["id"]) == list(reversed(exp))
    assert store.count_runs() == 5 and store.count_runs(scenario="small") == 2
    frame = store.find_runs()
    lone = frame.set_index("id")
    assert lone.at[b, "overrides"] == {"world.steps": 3}
    assert lone.at[exp[1], "factors"] == {"f": 1}
    assert lone.at[exp[1], "experiment"] == "fx" and pd.isna(lone.at[a, "experiment"])
    assert lone.at[c, "status"] == "failed" and "boom" in lone.at[c, "error"]
    assert str(frame["started_at"].dt.tz) == "UTC"
    with pytest.raises(StoreError, match="unknown run status"):
        store.find_runs(status="finished")


def test_event_counts_and_first_events(store: RunStore) -> None:
    run_id = lone_run(store, seed=1, events=7)
    assert store.event_counts(run_id) == {"warning": 4, "failure": 3}
    assert list(store.event_counts(run_id)) == ["warning", "failure"]  # most frequent first
    first = store.events(run_id, limit=2)
    assert list(first["agent"]) == ["p0", "p1"]
    assert len(store.events(run_id)) == 7
    assert store.event_counts(lone_run(store, seed=2)) == {}


def test_timeseries_and_events_of_several_runs(store: RunStore) -> None:
    a = lone_run(store, seed=1, steps=2, events=2)
    b = lone_run(store, seed=2, steps=3, events=1)
    frame = store.timeseries_of_runs([b, a])
    assert list(frame.columns) == ["run_id", "step", "m"]
    assert list(frame["run_id"]) == [a, a, b, b, b]
    assert list(frame["m"]) == [11, 21, 12, 22, 32]
    events = store.events_of_runs([a, b])
    assert list(events["run_id"]) == [a, a, b]
    assert store.timeseries_of_runs([]).empty


# -- exports -------------------------------------------------------------------------------
def test_timeseries_export_has_dates_from_each_runs_start(store: RunStore) -> None:
    a = lone_run(store, seed=1, steps=2, params={"world": {"start_date": "2015-03-02"}})
    b = lone_run(store, seed=2, steps=2)  # no start date stored: the default
    frame = timeseries_table(store, [a, b])
    assert list(frame.columns[:3]) == ["run_id", "step", "date"]
    dates = [d.date() for d in frame["date"]]
    assert dates == [dt.date(2015, 3, 9), dt.date(2015, 3, 16),
                     dt.date(2013, 1, 14), dt.date(2013, 1, 21)]
    events = events_table(store, [a, b])
    assert events.empty and "date" in events.columns


def test_experiment_export_and_outcomes(store: RunStore, tmp_path: Path) -> None:
    ids = experiment(store, "fx", {"kind": "factorial"}, {"f": [0.0, 1.0]},
                     [{"f": 0.0}, {"f": 1.0}], lambda p, r: 2 * p["f"] + r, replications=2,
                     start_date="2014-01-06")
    assert done_run_ids(store, experiment="fx") == ids
    frame = timeseries_table(store, ids, "fx")
    assert list(frame.columns[:5]) == ["run_id", "sample_index", "replication", "step", "date"]
    assert len(frame) == 4 * 2
    assert frame["date"].iloc[0] == pd.Timestamp("2014-01-13")
    outcomes = outcomes_table(store, "fx")
    assert list(outcomes["y"]) == [0.0, 1.0, 2.0, 3.0]
    assert outcomes["seed"].dtype == "uint64"
    for fmt in ("csv", "parquet"):
        path = write_table(outcomes, tmp_path / "x" / f"o.{fmt}", fmt)
        back = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
        assert list(back.columns) == list(outcomes.columns)
        assert list(back["y"]) == [0.0, 1.0, 2.0, 3.0]


def test_export_refuses_what_has_no_results(store: RunStore) -> None:
    failed = lone_run(store, seed=1, done=False)
    with pytest.raises(ExportError, match=f"run {failed} is failed"):
        done_run_ids(store, run_id=failed)
    with pytest.raises(ExportError, match="no done runs"):
        done_run_ids(store)
    with pytest.raises(StoreError, match="no run with id 99"):
        done_run_ids(store, run_id=99)
    with pytest.raises(StoreError, match="no experiment named 'nope'"):
        done_run_ids(store, experiment="nope")


def test_parquet_writes_mixed_columns_as_text(tmp_path: Path) -> None:
    frame = pd.DataFrame({"level": pd.Series([1, "high"], dtype=object), "y": [1.0, 2.0]})
    back = pd.read_parquet(write_table(frame, tmp_path / "m.parquet", "parquet"))
    assert list(back["level"]) == ["1", "high"]


def test_export_names() -> None:
    assert browse.export_name("timeseries", "csv", 3, None) == "timeseries-run-3.csv"
    assert browse.export_name("outcomes", "parquet", None, "my exp/1") == \
        "outcomes-my-exp-1.parquet"
    assert browse.export_name("events", "csv", None, None) == "events-all-runs.csv"


# -- main effects --------------------------------------------------------------------------
def test_main_effects_by_hand() -> None:
    frame = pd.DataFrame({"a": [0, 0, 1, 1], "b": ["lo", "hi", "lo", "hi"],
                          "y": [1.0, 3.0, 5.0, np.nan]})
    records = main_effects(frame, {"a": [0, 1], "b": ["lo", "hi"]}, ["y"])
    a, b = records
    assert [level["mean"] for level in a["levels"]] == [2.0, 5.0]
    assert [level["n"] for level in a["levels"]] == [2, 1]
    assert a["effect"] == 3.0 and a["range"] == 3.0
    assert b["effect"] == 3.0 - 3.0  # hi (3) minus lo (mean of 1 and 5)
    assert a["small_sample"]
    notes = main_effect_notes(records)
    assert len(notes) == 1 and notes[0].startswith("small sample:") and "n = 1 to 2" in notes[0]
    big = pd.DataFrame({"a": [0] * 10 + [1] * 10, "y": [1.0] * 10 + [2.0] * 10})
    (record,) = main_effects(big, ["a"], ["y"])
    assert record["effect"] == 1.0 and not record["small_sample"]
    assert main_effect_notes([record]) == []


# -- formatting ----------------------------------------------------------------------------
def test_text_table_aligns_columns() -> None:
    lines = browse.text_table(["id", "name", "n"], [[1, "a", 10], [12, "bbb", 5]],
                              right=("id", "n"))
    assert lines == ["id  name   n", " 1  a     10", "12  bbb    5"]
    assert browse.text_table(["a", "b"], [["x", "y"]], header=False) == ["x  y"]
    assert all(line == line.rstrip() for line in lines)


def test_short_settings() -> None:
    assert browse.short_settings(None) == "-"
    assert browse.short_settings({"a.b": 0.123456789, "c.d": "x"}) == "a.b=0.1235, c.d=x"
    many = {f"s.p{i}": i for i in range(20)}
    text = browse.short_settings(many, width=30)
    assert len(text) <= 30 + len(", +99 more") and text.endswith("more")


def test_runs_lines_newest_first_with_settings(store: RunStore) -> None:
    lone_run(store, seed=7, overrides={"borrower.pd_annual_mean": 0.15})
    lone_run(store, seed=8, done=False)
    lines = browse.runs_lines(browse.run_records(store.find_runs()))
    assert lines[0].split()[:3] == ["id", "experiment", "scenario"]
    assert lines[1].split()[:5] == ["2", "-", "baseline", "8", "failed"]
    assert lines[2].split()[:5] == ["1", "-", "baseline", "7", "done"]
    assert lines[2].endswith("borrower.pd_annual_mean=0.15")
    assert lines[1].endswith("-")
    status_at = lines[0].index("status")
    assert lines[1][status_at:].startswith("failed") and lines[2][status_at:].startswith("done")
    json.dumps(browse.run_records(store.find_runs()))  # JSON-ready


def test_changed_parameters() -> None:
    params = Params().to_dict()
    assert browse.changed_parameters(params) == {}
    default = params["borrower"]["pd_annual_mean"]
    params["borrower"]["pd_annual_mean"] = default + 0.01
    params["ishigami"] = {"x1": 1.0}
    changed = browse.changed_parameters(params)
    assert changed == {"borrower.pd_annual_mean": {"value": default + 0.01, "default": default},
                       "ishigami.x1": {"value": 1.0}}


def test_show_text_of_a_done_and_a_failed_run(store: RunStore) -> None:
    params = Params().to_dict()
    default = params["world"]["n_investors"]
    params["world"]["n_investors"] = 300
    done = lone_run(store, seed=7, params=params, events=4,
                    overrides={"world.n_investors": 300})
    detail = browse.run_detail(store, done, events=2)
    json.dumps(detail)
    assert detail["events"]["total"] == 4 and len(detail["events"]["first"]) == 2
    assert detail["changed_parameters"] == {"world.n_investors": {"value": 300,
                                                                  "default": default}}
    text = "\n".join(browse.show_lines(detail))
    assert text.startswith(f"run {done}: done")
    assert f"world.n_investors  300  (default {default})" in text
    for word in ("seed        7", "commit      abc", "host        h", "version     0.1.0",
                 "events: 4 (failure 2, warning 2)", "first 2:"):
        assert word in text, word
    failed = lone_run(store, seed=8, done=False)
    text = "\n".join(browse.show_lines(browse.run_detail(store, failed)))
    assert "summary: none (the run is not done)" in text
    assert "error:\n  Traceback ...\n  ValueError: boom" in text
    with pytest.raises(StoreError, match="no run with id 99"):
        browse.run_detail(store, 99)


# -- the sweep summary ---------------------------------------------------------------------
def linear(point: dict[str, Any], _replication: int) -> float:
    return 4.0 * point["x1"] + point["x2"]


def test_small_sobol_sweep_prints_its_indices_and_a_warning(store: RunStore) -> None:
    problem = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    x = sobol_sample.sample(problem, 8, calc_second_order=False, seed=3)
    points = [{"x1": float(a), "x2": float(b)} for a, b in x]
    experiment(store, "small-sobol", {"kind": "sobol", "samples": 8},
               {"x1": {"low": 0.0, "high": 1.0}, "x2": {"low": 0.0, "high": 1.0}},
               points, linear)
    results = browse.sweep_results(store, "small-sobol")
    assert results["small_sample"] and len(results["sobol"]) == 2
    lines = browse.sweep_summary_lines(results)
    text = "\n".join(lines)
    assert "Sobol indices" in text
    rows = [line.split() for line in lines if line.strip().startswith(("x1 ", "x2 "))]
    assert [row[0] for row in rows] == ["x1", "x2"]
    s1 = {r["factor"]: r["S1"] for r in results["sobol"]}
    assert rows[0][1] == browse.number(s1["x1"], 3) and rows[0][2] == "±"
    warnings = [line for line in lines if line.startswith("  warning:")]
    assert len(warnings) == 1, text
    assert "small sample" in warnings[0] and "unreliable" in warnings[0]
    assert "N = 8" in warnings[0]


def test_sobol_estimates_outside_the_unit_interval_are_marked() -> None:
    results = {"design": "sobol", "outcomes": {}, "sobol": [
        {"outcome": "y", "factor": "a", "S1": -0.05, "S1_conf": 0.3, "ST": 1.07,
         "ST_conf": 0.4, "small_sample": True},
        {"outcome": "y", "factor": "b", "S1": 0.5, "S1_conf": 0.1, "ST": 0.6,
         "ST_conf": None, "small_sample": True}],
        "notes": ["small sample: Sobol base sample N = 16 (below 64): unreliable"]}
    lines = browse.sweep_summary_lines(results)
    (a,) = [line for line in lines if line.strip().startswith("a ")]
    (b,) = [line for line in lines if line.strip().startswith("b ")]
    assert a.count("!") == 2 and "!" not in b and "0.6 ± n/a" in b
    assert any("outside [0, 1]" in line for line in lines)
    assert lines[-1].startswith("  warning: small sample")


def test_morris_and_factorial_summaries() -> None:
    morris = {"design": "morris", "outcomes": {"y": {"mean": 2.0, "ci_low": 1.0,
                                                     "ci_high": None, "n": 3}},
              "morris": [{"outcome": "y", "factor": "a", "mu_star": 4.0,
                          "mu_star_conf": 0.5, "sigma": 0.25, "mu": 4.0}]}
    lines = browse.sweep_summary_lines(morris)
    assert lines[0] == "  y: mean 2 (95% CI 1 .. n/a, n=3)"
    assert any("mu*" in line for line in lines)
    (row,) = [line.split() for line in lines if line.strip().startswith("a ")]
    assert row == ["a", "4", "±", "0.5", "0.25"]
    factorial = {"design": "factorial", "outcomes": {}, "main_effects": main_effects(
        pd.DataFrame({"a": [0, 1], "y": [1.0, 3.5]}), {"a": [0, 1]}, ["y"]),
        "notes": ["on with it"]}
    lines = browse.sweep_summary_lines(factorial)
    assert any("main effects" in line for line in lines)
    (row,) = [line for line in lines if line.strip().startswith("a ")]
    assert "0: 1 (n=1)" in row and "1: 3.5 (n=1)" in row and row.endswith("+2.5")
    assert lines[-1] == "  note: on with it"


def test_factorial_sweep_results_carry_main_effects(store: RunStore) -> None:
    experiment(store, "fx", {"kind": "factorial"}, {"f": [0.0, 1.0]},
               [{"f": 0.0}, {"f": 1.0}], lambda p, r: 2 * p["f"] + r, replications=2)
    results = browse.sweep_results(store, "fx")
    (record,) = results["main_effects"]
    assert record["effect"] == 2.0 and record["small_sample"]
    assert any("main effects rest on fewer" in note for note in results["notes"])
    assert results["small_sample"] is True
    json.dumps(results, allow_nan=False)


# -- spec names ----------------------------------------------------------------------------
def test_spec_path_takes_shipped_names_and_paths(tmp_path: Path) -> None:
    assert spec_path("sobol-demo") == SPEC_DIR / "sobol-demo.toml"
    assert spec_path("mine.toml") == Path("mine.toml")  # a path, checked when loaded
    own = tmp_path / "own"
    own.write_text("")
    assert spec_path(str(own)) == own
    with pytest.raises(SpecError) as error:
        spec_path("no-such-spec")
    message = str(error.value)
    assert "no-such-spec" in message and "sobol-demo" in message and "\n" not in message


def test_number_formatting() -> None:
    assert browse.number(None) == "n/a" and browse.number(math.nan) == "n/a"
    assert browse.number(3) == "3" and browse.number(0.123456) == "0.1235"
    assert browse.number(True) == "True"
