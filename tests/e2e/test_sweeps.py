"""``ifsim sweep``, ``report`` and ``replay`` as a user runs them: real processes, real
kills, a real Dask scheduler with worker processes on loopback."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from ifsim.ecosystem.scenario import list_scenarios
from ifsim.results import RunStore

TINY_SCENARIO = """
[scenario]
description = "tiny world for sweep tests"
[world]
n_investors = 150
n_borrowers = 80
n_platforms = 4
"""

SPEC = """
[experiment]
name = "{name}"
scenario = "tiny.toml"
steps = {steps}
replications = {reps}
seed = 7
[design]
kind = "{kind}"
samples = {samples}
[factors]
{factors}
[outcomes]
names = ["platforms_alive", "investor_losses_cents", "arrears_rate"]
"""
LEVELS = '"borrower.apply_prob_weekly" = [0.02, 0.06]\n"platform.custody_share" = [0.0, 1.0]'
RANGES = ('"borrower.apply_prob_weekly" = { low = 0.02, high = 0.06 }\n'
          '"macro.default_correlation" = { low = 0.0, high = 0.3 }')


def ifsim(cwd: Path, *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ifsim.experiments.cli", *args], cwd=cwd,
                          capture_output=True, text=True, check=check, timeout=600)


def write_spec(cwd: Path, kind: str, *, name: str | None = None, steps: int = 6,
               reps: int = 1, samples: int = 4, factors: str | None = None) -> Path:
    (cwd / "tiny.toml").write_text(TINY_SCENARIO)
    factors = factors or (LEVELS if kind == "factorial" else RANGES)
    path = cwd / f"{name or kind}.toml"
    path.write_text(SPEC.format(name=name or kind, steps=steps, reps=reps, kind=kind,
                                samples=samples, factors=factors))
    return path


def runs_of(db: Path, name: str) -> pd.DataFrame:
    with RunStore(f"sqlite:///{db}") as store:
        return store.experiment_runs(store.get_experiment(name)["id"])


def timeseries_rows(db: Path) -> pd.DataFrame:
    with RunStore(f"sqlite:///{db}") as store, store.engine.connect() as conn:
        return pd.read_sql("SELECT run_id, count(*) AS n FROM timeseries GROUP BY run_id",
                           conn)


@pytest.mark.parametrize(("kind", "expected_runs"), [
    ("factorial", 4), ("lhs", 4), ("sobol", 4 * (2 + 2)), ("morris", 4 * (2 + 1))])
def test_each_design_runs_through_sweep_and_report(tmp_path: Path, kind: str,
                                                   expected_runs: int) -> None:
    spec = write_spec(tmp_path, kind)
    done = ifsim(tmp_path, "sweep", str(spec), "--workers", "2", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert (out["experiment"], out["runs_total"], out["runs_done"], out["runs_failed"]) == \
        (kind, expected_runs, expected_runs, 0)
    assert set(out["results"]["outcomes"]) == {"platforms_alive", "investor_losses_cents",
                                               "arrears_rate"}
    if kind in ("sobol", "morris"):
        assert out["results"][kind], "sensitivity indices missing from the headline"
    report = ifsim(tmp_path, "report", "--experiment", kind)
    assert report.returncode == 0, report.stderr
    page = Path(report.stdout.split("report:", 1)[1].strip())
    assert page.is_file() and "<html" in page.read_text().lower()
    pngs = list(page.parent.glob("*.png"))
    assert pngs and all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)


def test_rerunning_a_finished_sweep_does_nothing_and_a_changed_spec_is_refused(
        tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "factorial", name="same")
    ifsim(tmp_path, "sweep", str(spec), "--workers", "2", check=True)
    again = ifsim(tmp_path, "sweep", str(spec), "--json", check=True)
    assert json.loads(again.stdout)["runs_done"] == 4
    assert len(timeseries_rows(tmp_path / "ifsim-output" / "ifsim.sqlite")) == 4
    write_spec(tmp_path, "factorial", name="same", steps=7)
    changed = ifsim(tmp_path, "sweep", str(spec))
    assert changed.returncode == 2
    assert "already exists" in changed.stderr and "different spec" in changed.stderr
    assert changed.stderr.count("\n") == 1


def test_spec_errors_stop_before_any_run(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "lhs", factors='"borrower.no_such" = { low = 0, high = 1 }')
    bad = ifsim(tmp_path, "sweep", str(spec))
    assert bad.returncode == 2
    assert str(spec) in bad.stderr and '"borrower.no_such"' in bad.stderr
    db = tmp_path / "ifsim-output" / "ifsim.sqlite"
    assert not db.exists() or RunStore(f"sqlite:///{db}").list_runs().empty


def _wait_for(predicate, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError("timed out waiting")


def _done_count(db: Path, name: str) -> int:
    try:
        return int((runs_of(db, name)["status"] == "done").sum())
    except Exception:
        return 0


def test_sigkill_of_the_parent_then_rerun_stores_every_run_exactly_once(
        tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "lhs", name="killed", steps=30, samples=40)
    db = tmp_path / "ifsim-output" / "ifsim.sqlite"
    cmd = [sys.executable, "-m", "ifsim.experiments.cli", "sweep", str(spec), "--workers", "2"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        _wait_for(lambda: _done_count(db, "killed") >= 3)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _kill_group(proc)
    left = runs_of(db, "killed")
    assert (left["status"] != "done").any(), "the sweep finished before it was killed"
    rerun = ifsim(tmp_path, "sweep", str(spec), "--workers", "2", "--json")
    assert rerun.returncode == 0, rerun.stderr
    final = runs_of(db, "killed")
    assert len(final) == 40 and set(final["status"]) == {"done"}
    assert not final.duplicated(["sample_index", "replication"]).any()
    rows = timeseries_rows(db)
    assert sorted(rows["run_id"]) == sorted(final["id"]) and set(rows["n"]) == {30}


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _pool_workers(parent: int) -> list[int]:
    """Children of the sweep that are process-pool workers (spawned by multiprocessing)."""
    try:
        children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        return [int(c) for c in children
                if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def test_a_killed_worker_loses_no_run(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "lhs", name="worker", steps=40, samples=12)
    db = tmp_path / "ifsim-output" / "ifsim.sqlite"
    cmd = [sys.executable, "-m", "ifsim.experiments.cli", "sweep", str(spec), "--workers", "2",
           "--json"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait_for(lambda: _done_count(db, "worker") >= 1 and _pool_workers(proc.pid))
        os.kill(_pool_workers(proc.pid)[0], signal.SIGKILL)
        stdout, _ = proc.communicate(timeout=300)
    finally:
        _kill_group(proc)
    final = runs_of(db, "worker")
    assert len(final) == 12
    assert set(final["status"]) <= {"done", "failed"}  # nothing pending or running: no loss
    for row in final[final["status"] == "failed"].itertuples():
        assert "worker process died" in row.error
    assert (final["attempts"] > 1).any(), "no run was retried after the worker died"
    out = json.loads(stdout)
    assert out["runs_done"] + out["runs_failed"] == 12


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_dask_scheduler_and_workers_give_the_same_results_as_local(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, "lhs", name="dask", steps=8, samples=6, reps=2)
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    scheduler = subprocess.Popen([*dask, "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0"], cwd=tmp_path,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                "--nworkers", "2", "--nthreads", "1", "--no-dashboard"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        on_dask = ifsim(tmp_path, "sweep", str(spec), "--executor", "dask", "--scheduler",
                        address, "--db", f"sqlite:///{tmp_path / 'dask.sqlite'}", "--json")
        assert on_dask.returncode == 0, on_dask.stderr
        local = ifsim(tmp_path, "sweep", str(spec), "--workers", "2", "--db",
                      f"sqlite:///{tmp_path / 'local.sqlite'}", "--json")
        assert local.returncode == 0, local.stderr
    finally:
        for proc in (workers, scheduler):
            proc.terminate()
            proc.wait(timeout=30)
    assert json.loads(on_dask.stdout)["runs_done"] == 12
    frames = []
    for name in ("dask", "local"):
        with RunStore(f"sqlite:///{tmp_path / (name + '.sqlite')}") as store:
            runs = store.experiment_runs(store.get_experiment("dask")["id"])
            frames.append({(r.sample_index, r.replication): store.timeseries(int(r.id))
                           for r in runs.itertuples()})
    assert frames[0].keys() == frames[1].keys() and len(frames[0]) == 12
    for key, series in frames[0].items():
        pd.testing.assert_frame_equal(series, frames[1][key])


@pytest.mark.parametrize("scenario", sorted(list_scenarios()))
def test_replay_is_identical_for_every_canonical_scenario(tmp_path: Path,
                                                          scenario: str) -> None:
    run = ifsim(tmp_path, "run", scenario, "--steps", "4", "--seed", "3", "--json", check=True)
    run_id = json.loads(run.stdout)["run_id"]
    replay = ifsim(tmp_path, "replay", str(run_id))
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert replay.stdout.strip() == f"run {run_id}: identical"


def test_replay_reports_the_first_difference(tmp_path: Path) -> None:
    run = ifsim(tmp_path, "run", "small", "--steps", "5", "--json", check=True)
    run_id = json.loads(run.stdout)["run_id"]
    db = tmp_path / "ifsim-output" / "ifsim.sqlite"
    with RunStore(f"sqlite:///{db}") as store, store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE timeseries SET new_loans = new_loans + 1 "
                             f"WHERE run_id = {run_id} AND step = 4")
    replay = ifsim(tmp_path, "replay", str(run_id))
    assert replay.returncode == 1
    assert "metric new_loans at step 4" in replay.stdout
