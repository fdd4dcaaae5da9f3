"""Running one simulation: build the model, step it, collect what it produced.

``run_one`` is a pure function of (parameters, seed): it touches no database, so worker
processes can call it and return compact results to the single writer (docs/design.md s.6).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ifsim.ecosystem import metrics
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params
from ifsim.ecosystem.snapshots import write_snapshot

ProgressFn = Callable[[int, int], None]


@dataclass
class RunResult:
    """What one run produced."""

    seed: int
    steps: int
    timeseries: pd.DataFrame
    events: pd.DataFrame
    summary: dict[str, Any]
    wall_seconds: float
    snapshot_path: str | None = None


def with_steps(params: Params, steps: int | None) -> Params:
    """Parameters with ``world.steps`` replaced (validated) when ``steps`` is given."""
    if steps is None:
        return params
    return replace(params, world=replace(params.world, steps=steps))


def run_one(params: Params, seed: int, progress: ProgressFn | None = None,
            snapshot_dir: str | Path | None = None) -> RunResult:
    """Run the model for ``params.world.steps`` weeks from ``seed``.

    Args:
        params: Validated parameters.
        seed: Seed for ``numpy.random.default_rng`` through ``mesa.Model(rng=seed)``.
        progress: Called as ``progress(step, total)`` after every step.
        snapshot_dir: If given, per-agent end states are written there as Parquet.
    """
    started = time.perf_counter()
    model = EcosystemModel(params, seed=seed)
    total = params.world.steps
    for step in range(1, total + 1):
        model.step()
        if progress is not None:
            progress(step, total)
    snapshot = None
    if snapshot_dir is not None:
        snapshot = str(write_snapshot(model, Path(snapshot_dir)))
    return RunResult(
        seed=seed, steps=total, timeseries=metrics.timeseries_frame(model),
        events=model.events.frame(), summary=metrics.summary(model),
        wall_seconds=time.perf_counter() - started, snapshot_path=snapshot)
