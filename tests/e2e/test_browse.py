"""End-to-end tests of browsing the store from the command line: ``ifsim runs``,
``show``, ``export``, a sweep's text summary, and output into a closed pipe.

A real sweep is stored first, through the CLI as a user would run it: a 2-point
factorial (custody off and on) of 4 weeks in a tiny world whose calendar starts on
2015-03-02 (not the default), plus one lone ``ifsim run`` with an override. Then every
read command runs as a subprocess against that store, all at once in worker threads;
each test checks one command's output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from io import StringIO
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ifsim.ecosystem.params import Params
from ifsim.results import RunStore

CLI = [sys.executable, "-m", "ifsim.experiments.cli"]
TIMEOUT = 180
EXPERIMENT = "browse-tiny"
FACTOR = "platform.custody_share"
STEPS = 4
LONE_STEPS = 3
START = pd.Timestamp("2015-03-02")
TINY_SCENARIO = """\
[scenario]
description = "A tiny world whose calendar starts on 2015-03-02"

[world]
n_investors = 300
n_borrowers = 150
n_platforms = 6
start_date = "2015-03-02"
"""
SPEC = f"""\
[experiment]
name = "{EXPERIMENT}"
scenario = "tiny.toml"
steps = {STEPS}
replications = 1
seed = 2

[design]
kind = "factorial"

[factors]
"{FACTOR}" = [0.0, 1.0]

[outcomes]
names = ["platforms_alive", "arrears_rate"]
"""
PD = "borrower.pd_annual_mean"


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def ifsim(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ifsim ARGS`` in ``cwd`` and return its exit code and output."""
    return subprocess.run([*CLI, *args], cwd=cwd, env=cli_env(), capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)


def into_closed_pipe(cwd: Path, *args: str) -> tuple[int, str]:
    """Run ``ifsim ARGS`` with its stdout a pipe whose reader has already gone.

    The read end is closed before the interpreter has even started, so the command's
    first write to stdout meets a closed pipe, as ``ifsim ... | head -1`` does once
    ``head`` has exited.
    """
    proc = subprocess.Popen([*CLI, *args], cwd=cwd, env=cli_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    try:
        stderr = proc.stderr.read()
        proc.wait(timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr


def one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ifsim: error:"), proc.stderr
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


class Stored:
    """The stored sweep and run, and the read commands run against them."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.db = cwd / "out" / "ifsim.sqlite"
        (cwd / "tiny.toml").write_text(TINY_SCENARIO)
        (cwd / "spec.toml").write_text(SPEC)
        self.sweep = ifsim(cwd, "sweep", "spec.toml", "--out", "out",
                           "--executor", "sequential")
        assert self.sweep.returncode == 0, self.sweep.stdout + self.sweep.stderr
        lone = ifsim(cwd, "run", "tiny.toml", "--steps", str(LONE_STEPS), "--seed", "5",
                     "--set", f"{PD}=0.15", "--out", "out", "--json")
        assert lone.returncode == 0, lone.stderr
        self.lone = json.loads(lone.stdout)
        with RunStore(f"sqlite:///{self.db}") as store:
            runs = store.find_runs(experiment=EXPERIMENT)
            self.sweep_ids = sorted(int(i) for i in runs["id"])
            self.events = {i: len(store.events(i)) for i in [*self.sweep_ids,
                                                             self.lone["run_id"]]}
        self._pool = ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2))
        self._jobs: dict[str, Future[Any]] = {}

    def submit(self, key: str, job: Callable[[], Any]) -> None:
        self._jobs[key] = self._pool.submit(job)

    def command(self, key: str, *args: str) -> None:
        self.submit(key, lambda: ifsim(self.cwd, *args))

    def result(self, key: str) -> Any:
        return self._jobs[key].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stored]:
    s = Stored(tmp_path_factory.mktemp("browse"))
    lone = str(s.lone["run_id"])
    out = ("--out", "out")
    s.command("runs-text", "runs", *out)
    s.command("runs-json", "runs", *out, "--json")
    s.command("runs-experiment", "runs", *out, "--experiment", EXPERIMENT, "--json")
    s.command("runs-seed", "runs", *out, "--seed", "5", "--json")
    s.command("runs-none", "runs", *out, "--experiment", EXPERIMENT, "--seed", "5")
    s.command("runs-failed", "runs", *out, "--status", "failed", "--json")
    s.command("runs-limit", "runs", *out, "--limit", "1")
    s.command("runs-unknown", "runs", *out, "--experiment", "no-such-experiment")
    s.command("runs-no-db", "runs", "--out", "empty")
    s.command("show-text", "show", lone, *out)
    s.command("show-json", "show", lone, *out, "--json", "--events", "1")
    s.command("show-sweep-run", "show", str(s.sweep_ids[1]), *out)
    s.command("show-unknown", "show", "999", *out)
    s.command("export-ts-csv", "export", "timeseries", "--experiment", EXPERIMENT, *out)
    s.command("export-ts-parquet", "export", "timeseries", "--run", lone, *out,
              "--format", "parquet")
    s.command("export-events", "export", "events", "--experiment", EXPERIMENT, *out,
              "--to", "mine/events.csv")
    s.command("export-outcomes", "export", "outcomes", "--experiment", EXPERIMENT, *out,
              "--to", "outcomes.parquet")
    s.command("export-stdout", "export", "timeseries", "--run", lone, *out, "--to", "-")
    s.command("export-unknown-run", "export", "events", "--run", "999", *out)
    s.command("export-outcomes-of-run", "export", "outcomes", "--run", lone, *out)
    s.command("sweep-unknown-name", "sweep", "no-such-spec", *out)
    s.submit("pipe-runs", lambda: into_closed_pipe(s.cwd, "runs", *out))
    s.submit("pipe-params", lambda: into_closed_pipe(s.cwd, "params"))
    s.submit("pipe-export", lambda: into_closed_pipe(
        s.cwd, "export", "timeseries", "--run", lone, *out, "--to", "-"))
    s.submit("pipe-head", lambda: subprocess.run(
        ["bash", "-c", f"{' '.join(CLI)} runs --out out | head -1"], cwd=s.cwd,
        env=cli_env(), capture_output=True, text=True, timeout=TIMEOUT, check=False))
    yield s
    s.close()


def runs_of(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list)
    return rows


# -- the sweep's own summary ---------------------------------------------------------------
def test_sweep_text_shows_main_effects_and_flags_the_small_sample(stored: Stored) -> None:
    text = stored.sweep.stdout
    assert f"experiment {EXPERIMENT}: 2/2 runs done, 0 failed" in text
    assert "main effects" in text
    effect_rows = [line for line in text.splitlines() if line.strip().startswith(FACTOR)]
    assert len(effect_rows) == 2, text  # one per outcome
    assert all("0: " in row and "1: " in row and "(n=1)" in row for row in effect_rows)
    assert "warning: small sample" in text


def test_sweep_refuses_an_unknown_spec_name_listing_the_shipped_ones(stored: Stored) -> None:
    one_line_error(stored.result("sweep-unknown-name"), "no-such-spec", "sobol-demo",
                   "factorial-demo")


# -- ifsim runs ----------------------------------------------------------------------------
def test_runs_lists_every_run_newest_first(stored: Stored) -> None:
    proc = stored.result("runs-text")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    header = lines[0].split()
    assert header[:6] == ["id", "experiment", "scenario", "seed", "status", "steps"]
    assert "overrides" in header
    ids = [int(line.split()[0]) for line in lines[1:]]
    assert ids == sorted([*stored.sweep_ids, stored.lone["run_id"]], reverse=True)
    status_at = lines[0].index("status")
    assert all(line[status_at:].startswith("done") for line in lines[1:]), proc.stdout
    assert lines[1].endswith(f"  {PD}=0.15"), lines[1]
    assert f"{FACTOR}=1" in lines[2] and f"{FACTOR}=0" in lines[3]


def test_runs_json_and_filters(stored: Stored) -> None:
    every = runs_of(stored.result("runs-json"))
    assert [r["id"] for r in every] == sorted((r["id"] for r in every), reverse=True)
    lone = next(r for r in every if r["id"] == stored.lone["run_id"])
    assert lone["experiment"] is None and lone["seed"] == 5 and lone["status"] == "done"
    assert lone["overrides"] == {PD: 0.15} and lone["steps"] == LONE_STEPS
    assert lone["wall_seconds"] > 0 and lone["started_at"] <= lone["ended_at"]

    sweep = runs_of(stored.result("runs-experiment"))
    assert sorted(r["id"] for r in sweep) == stored.sweep_ids
    assert {r["experiment"] for r in sweep} == {EXPERIMENT}
    assert sorted(r["factors"][FACTOR] for r in sweep) == [0.0, 1.0]

    assert [r["id"] for r in runs_of(stored.result("runs-seed"))] == [stored.lone["run_id"]]
    assert runs_of(stored.result("runs-failed")) == []


def test_runs_says_so_when_none_match(stored: Stored) -> None:
    proc = stored.result("runs-none")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1, proc.stdout
    assert proc.stdout.startswith(f"no runs matching --experiment {EXPERIMENT} --seed 5 in ")


def test_runs_limit_says_how_many_more(stored: Stored) -> None:
    proc = stored.result("runs-limit")
    lines = proc.stdout.splitlines()
    assert len(lines) == 3, proc.stdout
    assert int(lines[1].split()[0]) == stored.lone["run_id"]
    assert lines[2] == "(1 newest of 3 runs shown; --limit 0 lists all)"


def test_runs_errors_are_one_line(stored: Stored) -> None:
    one_line_error(stored.result("runs-unknown"), "no-such-experiment", EXPERIMENT)
    one_line_error(stored.result("runs-no-db"), "no database")


# -- ifsim show ----------------------------------------------------------------------------
def test_show_text(stored: Stored) -> None:
    proc = stored.result("show-text")
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    default_pd = Params().borrower.pd_annual_mean
    assert text.startswith(f"run {stored.lone['run_id']}: done\n")
    assert f"{PD}=0.15" in text.splitlines()[1]  # the scenario line names the override
    assert f"  {PD}" in text and f"(default {default_pd:g})" in text
    assert "world.n_investors" in text and "(default" in text
    assert "world.n_banks" not in text  # unchanged parameters are left out
    for field in ("seed        5", "version     ", "commit      ", "host        "):
        assert f"\n  {field}" in text, field
    total = stored.events[stored.lone["run_id"]]
    assert f"events: {total}" in text


def test_show_json(stored: Stored) -> None:
    proc = stored.result("show-json")
    assert proc.returncode == 0, proc.stderr
    detail = json.loads(proc.stdout)
    assert detail["id"] == stored.lone["run_id"] and detail["seed"] == 5
    changed = detail["changed_parameters"]
    assert changed[PD] == {"value": 0.15, "default": Params().borrower.pd_annual_mean}
    assert changed["world.start_date"]["value"] == "2015-03-02"
    assert "world.n_banks" not in changed
    assert detail["overrides"] == {PD: 0.15}
    assert detail["summary"] == stored.lone["summary"]
    events = detail["events"]
    assert events["total"] == stored.events[stored.lone["run_id"]]
    assert sum(events["by_kind"].values()) == events["total"]
    assert len(events["first"]) == min(1, events["total"])
    for key in ("ifsim_version", "git_commit", "host"):
        assert key in detail


def test_show_of_a_sweep_run_names_its_place_in_the_design(stored: Stored) -> None:
    proc = stored.result("show-sweep-run")
    assert proc.returncode == 0, proc.stderr
    assert f"experiment  {EXPERIMENT} (sample 1, replication 0)" in proc.stdout
    assert "design factors:" in proc.stdout and f"  {FACTOR}  1" in proc.stdout


def test_show_unknown_run_is_one_line(stored: Stored) -> None:
    one_line_error(stored.result("show-unknown"), "999")


# -- ifsim export --------------------------------------------------------------------------
def written(proc: subprocess.CompletedProcess[str], cwd: Path) -> Path:
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout
    path = cwd / lines[0]
    assert path.is_file(), path
    return path


def expected_dates(steps: pd.Series) -> list[pd.Timestamp]:
    return [START + pd.Timedelta(days=7 * int(step)) for step in steps]


def test_export_experiment_timeseries_to_csv(stored: Stored) -> None:
    path = written(stored.result("export-ts-csv"), stored.cwd)
    assert path == stored.cwd / "out" / "exports" / f"timeseries-{EXPERIMENT}.csv"
    frame = pd.read_csv(path, parse_dates=["date"])
    assert list(frame.columns[:5]) == ["run_id", "sample_index", "replication", "step", "date"]
    assert {"platforms_alive", "arrears_rate"} <= set(frame.columns)
    assert len(frame) == 2 * STEPS
    assert sorted(frame["run_id"].unique()) == stored.sweep_ids
    assert list(frame["step"]) == [*range(1, STEPS + 1)] * 2
    assert list(frame["date"]) == expected_dates(frame["step"])
    with RunStore(f"sqlite:///{stored.db}") as store:
        first = store.timeseries(stored.sweep_ids[0])
    mine = frame[frame["run_id"] == stored.sweep_ids[0]].reset_index(drop=True)
    assert list(mine["platforms_alive"]) == list(first["platforms_alive"])


def test_export_run_timeseries_to_parquet(stored: Stored) -> None:
    path = written(stored.result("export-ts-parquet"), stored.cwd)
    assert path.name == f"timeseries-run-{stored.lone['run_id']}.parquet"
    frame = pd.read_parquet(path)
    assert len(frame) == LONE_STEPS
    assert list(frame.columns[:3]) == ["run_id", "step", "date"]
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert list(frame["date"]) == expected_dates(frame["step"])


def test_export_events_to_a_chosen_path(stored: Stored) -> None:
    path = written(stored.result("export-events"), stored.cwd)
    assert path == stored.cwd / "mine" / "events.csv"
    frame = pd.read_csv(path, parse_dates=["date"])
    assert list(frame.columns[:5]) == ["run_id", "sample_index", "replication", "step", "date"]
    assert len(frame) == sum(stored.events[i] for i in stored.sweep_ids)
    if len(frame):
        assert list(frame["date"]) == expected_dates(frame["step"])


def test_export_outcomes_to_parquet(stored: Stored) -> None:
    path = written(stored.result("export-outcomes"), stored.cwd)
    frame = pd.read_parquet(path)
    assert len(frame) == 2
    assert list(frame.columns) == ["run_id", "sample_index", "replication", "seed", FACTOR,
                                   "platforms_alive", "arrears_rate"]
    assert list(frame[FACTOR]) == [0.0, 1.0]
    with RunStore(f"sqlite:///{stored.db}") as store:
        for row in frame.itertuples():
            series = store.timeseries(int(row.run_id))
            assert row.platforms_alive == series["platforms_alive"].iloc[-1]


def test_export_to_stdout_is_csv(stored: Stored) -> None:
    proc = stored.result("export-stdout")
    assert proc.returncode == 0, proc.stderr
    frame = pd.read_csv(StringIO(proc.stdout), parse_dates=["date"])
    assert len(frame) == LONE_STEPS
    assert list(frame["date"]) == expected_dates(frame["step"])


def test_export_errors_are_one_line(stored: Stored) -> None:
    one_line_error(stored.result("export-unknown-run"), "999")
    one_line_error(stored.result("export-outcomes-of-run"), "--experiment")


# -- a closed pipe -------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["pipe-runs", "pipe-params", "pipe-export"])
def test_a_closed_pipe_ends_quietly(stored: Stored, key: str) -> None:
    code, stderr = stored.result(key)
    assert stderr == "", stderr
    assert code == 141, f"exit {code}"


def test_runs_into_head(stored: Stored) -> None:
    proc = stored.result("pipe-head")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    assert proc.stdout.split()[:2] == ["id", "experiment"]
