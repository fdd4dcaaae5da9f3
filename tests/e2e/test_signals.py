"""Stopping a sweep: real ``ifsim sweep`` processes killed by SIGKILL, SIGTERM, SIGHUP and
Ctrl-C. No worker or resource-tracker process outlives the sweep by 10 s, a pipeline
``ifsim sweep ... | cat`` returns, a catchable signal prints one line saying how to resume
and leaves no run ``running``, and the resumed sweep stores every run exactly once."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

TINY_SCENARIO = """
[scenario]
description = "tiny world for signal tests"
[world]
n_investors = 150
n_borrowers = 80
n_platforms = 4
"""

RUNS, STEPS = 16, 30
SPEC = f"""
[experiment]
name = "stopped"
scenario = "tiny.toml"
steps = {STEPS}
replications = 1
seed = 11
[design]
kind = "lhs"
samples = {RUNS}
[factors]
"borrower.apply_prob_weekly" = {{ low = 0.02, high = 0.06 }}
"macro.default_correlation" = {{ low = 0.0, high = 0.3 }}
[outcomes]
names = ["platforms_alive", "arrears_rate"]
"""

#: Seconds within which every process of a stopped sweep must be gone.
GONE_WITHIN = 10.0


def write_spec(folder: Path) -> Path:
    (folder / "tiny.toml").write_text(TINY_SCENARIO)
    path = folder / "stopped.toml"
    path.write_text(SPEC)
    return path


def sweep_argv(spec: Path) -> list[str]:
    return [sys.executable, "-m", "ifsim.experiments.cli", "sweep", spec.name,
            "--workers", "2"]


def statuses(db: Path) -> dict[str, int]:
    """Run counts by status, read without writing to the store."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True,
                                                timeout=30)) as conn:
            return dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status"))
    except sqlite3.Error:  # not created yet
        return {}


def wait_for(predicate, timeout: float = 180.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (pool workers, the resource tracker)."""
    out = subprocess.run(["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True,
                         text=True).stdout
    return [int(p) for p in out.split()]


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent that does not reap it counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def sweep_processes(parent: int) -> list[int]:
    """The sweep's workers and resource tracker, once both workers have started."""
    found: list[int] = []

    def started() -> bool:
        found[:] = children(parent)
        lines = [command_line(p) for p in found]
        return (sum("spawn_main" in c for c in lines) == 2
                and any("resource_tracker" in c for c in lines))

    wait_for(started, 60, "the workers and the resource tracker")
    return list(found)


def assert_gone(pids: list[int]) -> None:
    deadline = time.monotonic() + GONE_WITHIN
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    left = {p: command_line(p) for p in pids if alive(p)}
    for pid in left:  # do not leave them behind for the rest of the suite
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    assert not left, f"still alive {GONE_WITHIN} s after the sweep was stopped: {left}"


def resume_and_check(folder: Path, spec: Path, db: Path) -> None:
    """A resumed sweep finishes, and every design point is stored exactly once."""
    rerun = subprocess.run(sweep_argv(spec), cwd=folder, capture_output=True, text=True,
                           timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    with contextlib.closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT sample_index, replication, status FROM runs").fetchall()
        steps = dict(conn.execute("SELECT run_id, count(*) FROM timeseries GROUP BY run_id"))
    assert len(rows) == RUNS and {status for *_, status in rows} == {"done"}
    assert len({(s, r) for s, r, _ in rows}) == RUNS  # no design point twice
    assert len(steps) == RUNS and set(steps.values()) == {STEPS}


@pytest.mark.parametrize(("signum", "code"), [
    (signal.SIGKILL, -signal.SIGKILL), (signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGKILL", "SIGTERM", "SIGHUP"])
def test_a_stopped_sweep_leaves_no_process_and_its_pipeline_returns(
        tmp_path: Path, signum: int, code: int) -> None:
    spec = write_spec(tmp_path)
    db = tmp_path / "ifsim-output" / "ifsim.sqlite"
    err = tmp_path / "stderr.txt"
    # the shell pipeline a user writes; the sweep's stderr goes to a file to be read
    line = " ".join(sweep_argv(spec)) + f" 2> {err} | cat"
    shell = subprocess.Popen(["sh", "-c", line], cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for(lambda: any("sweep" in command_line(p) for p in children(shell.pid)),
                 30, "the sweep to start")
        parent = next(p for p in children(shell.pid) if "sweep" in command_line(p))
        processes = sweep_processes(parent)
        wait_for(lambda: statuses(db).get("done", 0) >= 1, what="a first run done")
        os.kill(parent, signum)
        shell.communicate(timeout=GONE_WITHIN)  # `| cat` returns: no one holds the pipe
        assert_gone([parent, *processes])
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(shell.pid, signal.SIGKILL)
    left = statuses(db)
    assert left.get("done", 0) < RUNS, "the sweep finished before it was stopped"
    message = err.read_text()
    if signum == signal.SIGKILL:
        # nothing can be said (multiprocessing's resource tracker may still report the
        # semaphores it cleans up after the dead parent)
        assert "ifsim" not in message and "Traceback" not in message, message
    else:
        name = signal.Signals(signum).name
        assert message.count("\n") == 1, message
        assert message.startswith(f"ifsim: interrupted by {name}; ")
        assert message.rstrip().endswith(f"none left running; resume with: ifsim sweep "
                                         f"{spec.name} --workers 2")
        assert "running" not in left, left
    resume_and_check(tmp_path, spec, db)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGHUP, 129)],
                         ids=["Ctrl-C", "terminal-closed"])
def test_ctrl_c_or_a_hang_up_to_the_whole_process_group_prints_one_line(
        tmp_path: Path, signum: int, code: int) -> None:
    """A terminal sends Ctrl-C and its hang-up to every process of the foreground group:
    the workers and the tracker leave it to the sweep, which ends them and says how to
    resume; no traceback from any of them."""
    spec = write_spec(tmp_path)
    db = tmp_path / "ifsim-output" / "ifsim.sqlite"
    sweep = subprocess.Popen(sweep_argv(spec), cwd=tmp_path, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        processes = sweep_processes(sweep.pid)
        wait_for(lambda: statuses(db).get("done", 0) >= 1, what="a first run done")
        os.killpg(sweep.pid, signum)
        _, stderr = sweep.communicate(timeout=GONE_WITHIN)
        assert_gone(processes)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(sweep.pid, signal.SIGKILL)
    assert sweep.returncode == code
    name = signal.Signals(signum).name
    assert stderr.count("\n") == 1 and "Traceback" not in stderr, stderr
    assert stderr.startswith(f"ifsim: interrupted by {name}; ")
    assert f"resume with: ifsim sweep {spec.name} --workers 2" in stderr
    left = statuses(db)
    assert "running" not in left and left.get("done", 0) < RUNS, left
    resume_and_check(tmp_path, spec, db)
