"""Speed and memory of a full run: the baseline and the ten-times-households variant.

Each case runs in its own child process so its peak memory (max RSS) is its own. In the
same run, a reference is measured: a plain Mesa model with the same number of household
agents whose per-agent ``step`` does nothing, stepped with ``shuffle_do`` as Mesa's
examples do. It shows what per-agent dispatch alone would cost, against which the full
vectorized model is compared.

    scripts/dev python benchmarks/bench_model.py            # both cases, 260 weeks
    scripts/dev python benchmarks/bench_model.py --steps 52 # quicker

Targets (issue 2): baseline <= 30 s and <= 1 GiB; large <= 300 s and <= 2 GiB.
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

CASES = {"baseline": (30.0, 1024.0), "large": (300.0, 2048.0)}  # seconds, MiB


def peak_rss_mib() -> float:
    """Peak resident memory of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def child_model(scenario: str, steps: int, seed: int) -> dict:
    """Build and run the model; report timings and peak memory."""
    from ifsim.ecosystem.model import EcosystemModel
    from ifsim.ecosystem.scenario import load_scenario

    _, params = load_scenario(scenario)
    started = time.perf_counter()
    model = EcosystemModel(params, seed=seed)
    built = time.perf_counter()
    model.run(steps)
    done = time.perf_counter()
    households = params.world.n_investors + params.world.n_borrowers
    return {"scenario": scenario, "steps": steps, "households": households,
            "build_seconds": built - started, "run_seconds": done - built,
            "wall_seconds": done - started, "peak_mib": peak_rss_mib(),
            "loans": int(model.loans.n_originated)}


def child_reference(scenario: str, steps: int, seed: int) -> dict:
    """Plain Mesa: the same number of household agents, a no-op step each, shuffle_do."""
    import mesa

    from ifsim.ecosystem.scenario import load_scenario

    class Household(mesa.Agent):
        def step(self) -> None:
            pass

    _, params = load_scenario(scenario)
    households = params.world.n_investors + params.world.n_borrowers
    started = time.perf_counter()
    model = mesa.Model(rng=seed)
    Household.create_agents(model, households)
    for _ in range(steps):
        model.agents.shuffle_do("step")
    return {"scenario": scenario, "steps": steps, "households": households,
            "wall_seconds": time.perf_counter() - started, "peak_mib": peak_rss_mib()}


def run_child(kind: str, scenario: str, steps: int, seed: int) -> dict:
    """Run one measurement in a fresh interpreter and parse its JSON line."""
    cmd = [sys.executable, __file__, "--child", kind, "--scenario", scenario,
           "--steps", str(steps), "--seed", str(seed)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=260)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--child", choices=["model", "reference"], help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        fn = child_model if args.child == "model" else child_reference
        print(json.dumps(fn(args.scenario, args.steps, args.seed)))
        return 0

    print(f"{'case':<10}{'households':>11}{'weeks':>7}{'wall s':>9}{'agent-steps/s':>15}"
          f"{'peak MiB':>10}{'ref wall s':>12}{'target':>16}  verdict")
    results, ok = [], True
    for case in args.cases:
        model = run_child("model", case, args.steps, args.seed)
        ref = run_child("reference", case, args.steps, args.seed)
        max_s, max_mib = CASES[case]
        # targets are for 260 weeks; scale the time target for shorter runs
        limit_s = max_s * args.steps / 260
        passed = model["wall_seconds"] <= limit_s and model["peak_mib"] <= max_mib
        ok &= passed
        rate = model["households"] * args.steps / model["wall_seconds"]
        print(f"{case:<10}{model['households']:>11,}{args.steps:>7}"
              f"{model['wall_seconds']:>9.1f}{rate:>15,.0f}{model['peak_mib']:>10.0f}"
              f"{ref['wall_seconds']:>12.1f}{f'<={limit_s:.0f}s,{max_mib:.0f}MiB':>16}  "
              f"{'ok' if passed else 'MISSED'}")
        results.append({"case": case, "model": model, "reference": ref, "passed": passed})
    print("ref: plain Mesa, same households, no-op step via shuffle_do (dispatch cost only)")
    out = Path(__file__).parent / "output"
    out.mkdir(exist_ok=True)
    (out / "bench_model.json").write_text(json.dumps(results, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
