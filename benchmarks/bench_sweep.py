"""Sweep benchmarks: parallel speed-up and the parent's memory over many runs.

    scripts/dev python benchmarks/bench_sweep.py speedup   # 40 short runs, 1 then 2 workers
    scripts/dev python benchmarks/bench_sweep.py memory    # 200 then 2,000 short runs

``speedup`` times the same 40-run sweep (1,500 households, 104 weeks each) with one worker
(the baseline) and with two, each into a fresh database, three times alternating, and
prints the ratio of the best times (target: at least 1.7 on 2 cores).
``memory`` runs the sweep in a child process, which reports its own peak resident memory
(the parent of the sweep: workers are separate processes), for 200 runs (the baseline)
and for 2,000 runs (target: under 500 MiB); flat memory shows results are not kept.
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCENARIO = """
[scenario]
description = "benchmark world"
[world]
n_investors = {investors}
n_borrowers = {borrowers}
n_platforms = 5
"""
SPEC = """
[experiment]
name = "bench"
scenario = "world.toml"
steps = {steps}
replications = 1
seed = 1
[design]
kind = "lhs"
samples = {runs}
[factors]
"borrower.apply_prob_weekly" = {{ low = 0.02, high = 0.06 }}
"macro.default_correlation" = {{ low = 0.0, high = 0.3 }}
[outcomes]
names = ["platforms_alive", "investor_losses_cents"]
"""


def write_spec(folder: Path, runs: int, steps: int, investors: int, borrowers: int) -> Path:
    (folder / "world.toml").write_text(SCENARIO.format(investors=investors,
                                                       borrowers=borrowers))
    spec = folder / "spec.toml"
    spec.write_text(SPEC.format(runs=runs, steps=steps))
    return spec


def child(spec: Path, workers: int) -> None:
    """Run the sweep in this process (the parent role) and report time and peak memory."""
    from ifsim.experiments.spec import load_spec
    from ifsim.experiments.sweep import run_sweep
    from ifsim.results import RunStore

    with RunStore(RunStore.sqlite_url(spec.parent / "out")) as store:
        started = time.perf_counter()
        outcome = run_sweep(load_spec(spec), store, workers=workers)
        wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"runs_done": outcome.runs_done, "runs_failed": outcome.runs_failed,
                      "wall_seconds": wall, "parent_peak_mib": peak}))


def measure(runs: int, steps: int, workers: int, households: tuple[int, int]) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_spec(Path(tmp), runs, steps, *households)
        out = subprocess.run([sys.executable, __file__, "--child", str(spec),
                              "--workers", str(workers)], capture_output=True, text=True,
                             check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def speedup(repeats: int = 3) -> bool:
    """Best of ``repeats`` for each worker count, alternating (the machine is noisy)."""
    walls: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(repeats):
        for workers in (1, 2):
            row = measure(40, 104, workers, (1000, 500))
            assert row["runs_done"] == 40, row
            walls[workers].append(row["wall_seconds"])
    print(f"{'workers':>8}{'runs':>6}{'best wall s':>13}  all walls")
    for workers, values in walls.items():
        listed = ", ".join(f"{v:.1f}" for v in values)
        print(f"{workers:>8}{40:>6}{min(values):>13.1f}  {listed}")
    ratio = min(walls[1]) / min(walls[2])
    ok = ratio >= 1.7
    print(f"speed-up with 2 workers: {ratio:.2f}x (target >= 1.7): {'ok' if ok else 'MISSED'}")
    return ok


def memory() -> bool:
    small = measure(200, 4, 2, (100, 50))
    large = measure(2000, 4, 2, (100, 50))
    print(f"{'runs':>6}{'wall s':>9}{'parent peak MiB':>17}")
    for row in (small, large):
        print(f"{row['runs_done']:>6}{row['wall_seconds']:>9.1f}{row['parent_peak_mib']:>17.0f}")
    growth = large["parent_peak_mib"] - small["parent_peak_mib"]
    ok = large["parent_peak_mib"] < 500 and large["runs_done"] == 2000
    print(f"parent peak for 2,000 runs: {large['parent_peak_mib']:.0f} MiB (target < 500), "
          f"{growth:+.0f} MiB over 200 runs: {'ok' if ok else 'MISSED'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("which", nargs="?", choices=["speedup", "memory", "all"],
                        default="all")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.workers)
        return 0
    ok = True
    if args.which in ("speedup", "all"):
        ok &= speedup()
    if args.which in ("memory", "all"):
        ok &= memory()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
