"""Replay: rebuild a stored run from its record, rerun it, compare with what was stored.

Same parameters and seed must give the same results bit for bit on the same platform
(docs/design.md section 3). The comparison covers every stored metric at every step, then the
event log, then the summary, and reports the first difference found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ifsim.ecosystem.errors import IfsimError
from ifsim.experiments.models import get_model


class ReplayError(IfsimError):
    """A run cannot be replayed (unknown id, not done)."""


@dataclass
class ReplayOutcome:
    """``identical`` or the first difference."""

    run_id: int
    identical: bool
    difference: str = ""
    wall_seconds: float = 0.0


def replay(store, run_id: int) -> ReplayOutcome:
    """Rerun ``run_id`` from its stored parameters and seed and compare."""
    record = store.get_run(run_id)
    if record["status"] != "done":
        raise ReplayError(f"run {run_id} is '{record['status']}', not done: only stored "
                          f"results can be replayed")
    model_name = "ifsim"
    if record["experiment_id"] is not None:
        spec = store.get_experiment(int(record["experiment_id"]))["spec"]
        model_name = spec["experiment"].get("model", "ifsim")
    result = get_model(model_name).simulate(record["params"], record["seed"])
    difference = (_compare_timeseries(store.timeseries(run_id), result.timeseries)
                  or _compare_events(store.events(run_id), result.events)
                  or _compare_summary(record["summary"] or {}, result.summary))
    return ReplayOutcome(run_id, not difference, difference, result.wall_seconds)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


def _compare_timeseries(stored: pd.DataFrame, replayed: pd.DataFrame) -> str:
    if len(stored) != len(replayed):
        return f"steps: stored {len(stored)}, replayed {len(replayed)}"
    for column in stored.columns:
        if column not in replayed.columns:
            return f"metric {column}: stored but not produced by the replay"
        for step, a, b in zip(stored["step"], stored[column], replayed[column], strict=True):
            if not _same(_plain(a), _plain(b)):
                return f"metric {column} at step {step}: stored {a!r}, replayed {b!r}"
    return ""


def _compare_events(stored: pd.DataFrame, replayed: pd.DataFrame) -> str:
    if len(stored) != len(replayed):
        return f"events: stored {len(stored)}, replayed {len(replayed)}"
    for i, (a, b) in enumerate(zip(stored.itertuples(index=False),
                                   replayed.itertuples(index=False), strict=True)):
        for column, x, y in zip(stored.columns, a, b, strict=True):
            x, y = _plain(x), _plain(y)
            if not (_same(x, y) or (_missing(x) and _missing(y))):
                return f"event {i} {column} at step {a[0]}: stored {x!r}, replayed {y!r}"
    return ""


def _compare_summary(stored: dict[str, Any], replayed: dict[str, Any]) -> str:
    for key in sorted(set(stored) | set(replayed)):
        if not _same(stored.get(key), _plain(replayed.get(key))):
            return (f"summary {key}: stored {stored.get(key)!r}, "
                    f"replayed {replayed.get(key)!r}")
    return ""


def _plain(value: Any) -> Any:
    """numpy scalars to Python; pandas NA to None."""
    if value is pd.NA:
        return None
    return value.item() if hasattr(value, "item") else value


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""
