"""Per-agent snapshots as Parquet files referenced from run records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd

from ifsim.results import RunStore

TINY = ["--set", "world.n_investors=120", "--set", "world.n_borrowers=60",
        "--set", "world.n_platforms=4"]


def ifsim(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ifsim.experiments.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=True)


def test_run_snapshot_matches_the_stored_time_series(tmp_path: Path) -> None:
    out = json.loads(ifsim(tmp_path, "run", "--steps", "6", "--snapshots", "--json",
                           *TINY).stdout)
    with RunStore(RunStore.sqlite_url(tmp_path / "ifsim-output")) as store:
        record = store.get_run(out["run_id"])
        last = store.timeseries(out["run_id"]).iloc[-1]
    folder = Path(record["snapshot_path"])
    assert folder == Path(out["snapshot"])
    investors = pd.read_parquet(folder / "investors.parquet")
    assert len(investors) == 120
    assert len(pd.read_parquet(folder / "borrowers.parquet")) == 60
    assert len(pd.read_parquet(folder / "platforms.parquet")) == 4
    assert investors["deposit_cents"].sum() == last["investor_deposits_cents"]
    assert investors["fund_cents"].sum() == last["investor_mmf_cents"]
    assert investors["p2p_cents"].sum() == last["investor_p2p_cents"]


def test_sweep_snapshots_every_run(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(
        "[world]\nn_investors = 80\nn_borrowers = 40\nn_platforms = 3\n")
    (tmp_path / "spec.toml").write_text(
        '[experiment]\nname = "snap"\nscenario = "tiny.toml"\nsteps = 4\nreplications = 2\n'
        '[design]\nkind = "factorial"\n[factors]\n"platform.custody_share" = [0.0, 1.0]\n'
        '[outcomes]\nnames = ["platforms_alive"]\n')
    ifsim(tmp_path, "sweep", "spec.toml", "--workers", "2", "--snapshots")
    with RunStore(RunStore.sqlite_url(tmp_path / "ifsim-output")) as store:
        runs = store.experiment_runs(store.get_experiment("snap")["id"])
    assert len(runs) == 4 and set(runs["status"]) == {"done"}
    for path in runs["snapshot_path"]:
        assert len(pd.read_parquet(Path(path) / "investors.parquet")) == 80
