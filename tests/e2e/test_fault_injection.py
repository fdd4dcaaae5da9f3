"""Fault injection: one sweep killed again and again at random moments.

A sweep of a tiny world runs as a real ``ifsim sweep`` process in its own session. At a
moment drawn from a seeded generator, the test SIGKILLs either the sweep's parent or one
of its pool workers (and then, later in the same cycle, the parent), at least
``KILLS_MIN`` times in all, resuming the sweep after every kill. A SIGKILL cannot be
caught, so this is the worst stop there is. After every parent kill, no process of the
sweep's session (pool workers, multiprocessing's resource tracker) may be alive 10 s
later. When a sweep finishes between kills, the next cycle starts a new experiment in the
same database. At the end every experiment is resumed to completion and each must hold
every design point exactly once, each with its full time series.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from test_sweeps import _kill_group, _pool_workers, runs_of, timeseries_rows, write_spec

KILLS_MIN = 20
SEED = 20261201
STEPS, SAMPLES = 40, 30
ORPHAN_GRACE_SECONDS = 10.0


def _session_processes(session_id: int) -> list[int]:
    """Live processes of a session (field 6 of /proc/PID/stat), zombies left out."""
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, session = fields[0], int(fields[3])
        if session == session_id and state != "Z":
            pids.append(int(stat.parent.name))
    return pids


def _assert_session_ends(session_id: int) -> float:
    """Wait until nothing of the session is alive; return how long that took."""
    started = time.monotonic()
    while time.monotonic() - started < ORPHAN_GRACE_SECONDS:
        if not _session_processes(session_id):
            return time.monotonic() - started
        time.sleep(0.2)
    left = _session_processes(session_id)
    raise AssertionError(f"processes of the killed sweep still alive after "
                         f"{ORPHAN_GRACE_SECONDS} s: {left}")


def _start(cwd: Path, spec: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "ifsim.experiments.cli", "sweep", str(spec), "--workers", "2"]
    return subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def _kill_worker(proc: subprocess.Popen) -> bool:
    workers = _pool_workers(proc.pid)
    if not workers:
        return False
    os.kill(workers[0], signal.SIGKILL)
    return True


def test_random_sigkills_of_parent_and_workers_lose_nothing_and_leave_nothing(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    specs = [write_spec(tmp_path, "lhs", name="faults-0", steps=STEPS, samples=SAMPLES)]
    kills = {"parent": 0, "worker": 0}
    orphan_waits = []
    while kills["parent"] + kills["worker"] < KILLS_MIN:
        proc = _start(tmp_path, specs[-1])
        try:
            time.sleep(float(rng.uniform(1.0, 6.0)))
            if rng.random() < 0.4 and _kill_worker(proc):
                kills["worker"] += 1
                time.sleep(float(rng.uniform(0.5, 3.0)))
            if proc.poll() is not None:     # finished between kills: a new experiment
                assert proc.returncode == 0
                specs.append(write_spec(tmp_path, "lhs", name=f"faults-{len(specs)}",
                                        steps=STEPS, samples=SAMPLES))
                continue
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
            kills["parent"] += 1
            orphan_waits.append(_assert_session_ends(proc.pid))
        finally:
            _kill_group(proc)
    assert kills["parent"] >= KILLS_MIN // 2

    db = tmp_path / "ifsim-output" / "ifsim.sqlite"
    for spec in specs:
        done = subprocess.run([sys.executable, "-m", "ifsim.experiments.cli", "sweep", str(spec),
                               "--workers", "2"], cwd=tmp_path, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        runs = runs_of(db, spec.stem)
        assert len(runs) == SAMPLES and set(runs["status"]) == {"done"}
        assert not runs.duplicated(["sample_index", "replication"]).any()
    rows = timeseries_rows(db)
    assert set(rows["n"]) == {STEPS} and rows["run_id"].is_unique
    assert len(rows) == SAMPLES * len(specs)
    print(f"fault injection: {kills['parent']} parent and {kills['worker']} worker SIGKILLs "
          f"over {len(specs)} experiment(s); orphans gone after at most "
          f"{max(orphan_waits):.1f} s")
