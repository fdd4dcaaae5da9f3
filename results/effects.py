"""Main effects of the factors of a factorial experiment.

The main effect of a factor on an outcome is how the outcome's mean moves when the
factor goes from its first level to its last, averaged over the levels of every other
factor (Montgomery, "Design and Analysis of Experiments", ch. 5-6): with two levels it
is the classical effect, mean at the high level minus mean at the low level. The means
at each level are over the done runs at that level (every replication of every design
point); a level mean over fewer than :data:`ifsim.results.stats.SMALL_SAMPLE_N` runs is
flagged as resting on a small sample.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ifsim.results.stats import SMALL_SAMPLE_N
from ifsim.results.store import RunStore

_SMALL = "small sample:"  # how notes about small samples begin (as in results.analysis)


def main_effects(frame: pd.DataFrame, factors: Mapping[str, Sequence[Any]] | Sequence[str],
                 outcomes: Sequence[str]) -> list[dict[str, Any]]:
    """Each factor's level means and main effect on each outcome.

    Args:
        frame: One row per run with a column per factor and per outcome (e.g. from
            :func:`ifsim.results.analysis.outcomes_frame`).
        factors: The factors, either with their levels in design order (a factorial
            spec's ``factors`` table) or as names (levels then in sorted order).
        outcomes: The outcome columns.

    Returns:
        One record per outcome and factor (outcomes outer, factors in the order given):
        ``outcome``, ``factor``, ``levels`` (a list of ``{"level", "mean", "n"}``; levels
        with no run have mean NaN and n 0), ``effect`` (mean at the last level minus mean
        at the first), ``range`` (largest minus smallest level mean) and ``small_sample``
        (some level's mean rests on fewer than ``SMALL_SAMPLE_N`` runs). Missing outcome
        values are left out of the means and of n.
    """
    if isinstance(factors, Mapping):
        levels_of = {name: list(levels) if _is_list(levels) else None
                     for name, levels in factors.items()}
    else:
        levels_of = {name: None for name in factors}
    records = []
    for outcome in outcomes:
        values = pd.to_numeric(frame[outcome], errors="coerce").astype("float64")
        for factor, levels in levels_of.items():
            column = frame[factor]
            if levels is None:
                levels = sorted(column.dropna().unique().tolist(), key=_order_key)
            rows = []
            for level in levels:
                chosen = values[_equals(column, level)].dropna()
                rows.append({"level": level, "n": int(chosen.size),
                             "mean": float(chosen.mean()) if chosen.size else math.nan})
            means = np.array([row["mean"] for row in rows], dtype="float64")
            finite = means[np.isfinite(means)]
            records.append({
                "outcome": outcome, "factor": factor, "levels": rows,
                "effect": float(means[-1] - means[0]) if len(means) > 1 else math.nan,
                "range": float(finite.max() - finite.min()) if finite.size > 1 else math.nan,
                "small_sample": any(row["n"] < SMALL_SAMPLE_N for row in rows),
            })
    return records


def factorial_main_effects(store: RunStore, experiment: str) -> list[dict[str, Any]]:
    """:func:`main_effects` of a stored factorial experiment's done runs.

    Returns:
        The records of :func:`main_effects`, or an empty list if the experiment's design
        is not factorial or no run is done yet.

    Raises:
        StoreError: If there is no such experiment or the read fails.
    """
    from ifsim.results.analysis import outcomes_frame

    spec = store.get_experiment(experiment)["spec"]
    if str((spec.get("design") or {}).get("kind", "factorial")) != "factorial":
        return []
    frame = outcomes_frame(store, experiment)
    outcomes = [str(name) for name in (spec.get("outcomes") or {}).get("names") or []]
    if frame.empty or not outcomes:
        return []
    return main_effects(frame, spec.get("factors") or {}, outcomes)


def main_effect_notes(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """One ``small sample:`` line if some level mean rests on few runs, else nothing."""
    small = [row for row in records if row.get("small_sample")]
    if not small:
        return []
    counts = [level["n"] for row in small for level in row["levels"]]
    return [f"{_SMALL} main effects rest on fewer than {SMALL_SAMPLE_N} runs per level "
            f"(n = {min(counts)} to {max(counts)}); they are rough"]


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _equals(column: pd.Series, level: Any) -> pd.Series:
    """Rows whose factor value is ``level`` (numbers compared as numbers: 1 == 1.0)."""
    if isinstance(level, bool) or not isinstance(level, int | float):
        return (column == level).fillna(False).astype(bool)
    numbers = pd.to_numeric(column, errors="coerce")
    return (numbers == level).fillna(False).astype(bool)


def _order_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))
