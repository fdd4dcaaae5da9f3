"""The common-borrowers experiment's analysis on a reduced design run through the real
sweep machinery (experiments/catalog/common_borrowers.py): paired arms, the same loans
watched in both, intervals around each mean."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ifsim.experiments.catalog import catalog_spec, common_borrowers
from ifsim.experiments.sweep import run_sweep
from ifsim.results.store import RunStore


def test_closed_and_open_arms_watch_the_same_loans(tmp_path: Path) -> None:
    spec = replace(catalog_spec("common-borrowers", quick=True), name="cb-test",
                   replications=3, steps=116)   # 12 weeks after the closure
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        outcome = run_sweep(spec, store, executor="sequential")
        assert outcome.runs_done == 6 and outcome.runs_failed == 0
        results = common_borrowers.results(store, spec)
    assert results["same_loans_in_both_arms"]
    assert results["watched_loans_median"] > 0
    for arm in ("watched_default_rate_open", "watched_default_rate_closed",
                "difference_closed_minus_open"):
        part = results[arm]
        assert part["seeds"] == 3
        assert part["ci_low"] <= part["mean"] <= part["ci_high"]
    assert results["closure_raises_defaults"] == (
        results["difference_closed_minus_open"]["ci_low"] > 0)
