"""Sweeps in-process: planning, storing once, resuming, failures, lost workers."""

from __future__ import annotations

import math
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import ifsim.experiments.sweep as sweep_mod
from ifsim.experiments import design
from ifsim.experiments.models import IshigamiModel, get_model
from ifsim.experiments.spec import ExperimentSpec
from ifsim.experiments.sweep import MAX_ATTEMPTS, run_sweep
from ifsim.results import RunStore, StoreError


def ishigami_spec(kind: str = "factorial", **extra) -> ExperimentSpec:
    factors = ({"ishigami.x1": [0.0, 1.0], "ishigami.x2": [0.5, 2.0]} if kind == "factorial"
               else {"ishigami.x1": {"low": -3.0, "high": 3.0},
                     "ishigami.x2": {"low": -3.0, "high": 3.0}})
    data = {"experiment": {"name": extra.pop("name", "ish"), "model": "ishigami",
                           "steps": 2, "replications": 2, "seed": 5},
            "design": {"kind": kind, "samples": 4},
            "factors": factors, "outcomes": {"names": ["y"]}}
    return ExperimentSpec.from_dict(data)


def f(x1: float, x2: float, x3: float = 0.0) -> float:
    return math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3 ** 4 * math.sin(x1)


@pytest.fixture
def store(tmp_path: Path):
    with RunStore(RunStore.sqlite_url(tmp_path)) as opened:
        yield opened


@pytest.mark.parametrize(("kind", "points"), [("factorial", 4), ("lhs", 4), ("sobol", 16),
                                              ("morris", 12)])
def test_plan_sizes_and_common_random_numbers(kind: str, points: int) -> None:
    spec = ishigami_spec(kind)
    runs = design.plan(spec, get_model("ishigami"))
    assert len(runs) == points * 2  # N(D+2) for sobol, N(D+1) for morris, 2 replications
    seeds = {(r["sample_index"], r["replication"]): r["seed"] for r in runs}
    assert seeds[(0, 0)] == seeds[(1, 0)] != seeds[(0, 1)]
    children = np.random.SeedSequence(5).spawn(2)
    assert seeds[(0, 1)] == int(children[1].generate_state(1, dtype=np.uint64)[0])


def test_sweep_stores_every_run_once_with_correct_values(store: RunStore) -> None:
    outcome = run_sweep(ishigami_spec(), store, executor="sequential")
    assert (outcome.runs_total, outcome.runs_done, outcome.runs_failed) == (8, 8, 0)
    runs = store.experiment_runs(outcome.experiment_id)
    for row in runs.itertuples():
        factors = store.get_run(int(row.id))["params"]["ishigami"]
        ts = store.timeseries(int(row.id))
        assert ts["step"].tolist() == [1, 2]
        assert ts["y"].iloc[-1] == pytest.approx(f(factors["x1"], factors["x2"]))


def test_resume_runs_only_what_is_left_and_never_twice(store: RunStore) -> None:
    spec = ishigami_spec()
    first = run_sweep(spec, store, executor="sequential")
    runs = store.experiment_runs(first.experiment_id)
    # what a killed parent leaves: one run marked running, one still pending
    store.mark_running(int(runs.id[2]), host="h", ifsim_version="x", git_commit=None)
    with store.engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE runs SET status='pending' WHERE id={int(runs.id[5])}")
    again = run_sweep(spec, store, executor="sequential")
    assert again.runs_done == 8
    after = store.experiment_runs(first.experiment_id)
    assert len(after) == 8 and set(after.status) == {"done"}
    assert after.set_index("id").loc[[int(runs.id[2]), int(runs.id[5])], "attempts"].tolist() \
        == [3, 2]
    for run_id in after.id:
        assert len(store.timeseries(int(run_id))) == 2
    with store.engine.connect() as conn:
        n_rows = conn.exec_driver_sql("SELECT count(*) FROM timeseries").scalar()
    assert n_rows == 16


def test_a_run_that_raises_is_stored_failed_and_the_sweep_goes_on(
        store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    original = IshigamiModel.simulate

    def fragile(self, params, seed, **options):
        if params["ishigami"]["x1"] > 0.5:
            raise ZeroDivisionError("model blew up")
        return original(self, params, seed, **options)

    monkeypatch.setattr(IshigamiModel, "simulate", fragile)
    outcome = run_sweep(ishigami_spec(), store, executor="sequential")
    assert (outcome.runs_done, outcome.runs_failed) == (4, 4)
    assert all(f["error"] == "ZeroDivisionError: model blew up" for f in outcome.failed)
    failed = store.get_run(outcome.failed[0]["run_id"])
    assert failed["status"] == "failed" and "Traceback" in failed["error"]


def test_changing_the_spec_under_an_existing_name_is_refused(store: RunStore) -> None:
    run_sweep(ishigami_spec(), store, executor="sequential")
    changed = ishigami_spec()
    changed = ExperimentSpec.from_dict({**changed.to_dict(), "design": {"kind": "lhs",
                                                                       "samples": 4},
                                        "factors": {"ishigami.x1": {"low": 0, "high": 1}}})
    with pytest.raises(StoreError, match=r"already exists .* with a different spec"):
        run_sweep(changed, store, executor="sequential")


class FlakyPool(Executor):
    """Runs tasks in-process, but the 'process' dies for chosen runs (a lost worker)."""

    def __init__(self, doomed: dict[int, int]) -> None:
        self.doomed = doomed  # run_id -> how many more times its worker dies

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        task = args[0] if args else {"run_id": None}  # warm-up calls carry no task
        if self.doomed.get(task["run_id"], 0) > 0:
            self.doomed[task["run_id"]] -= 1
            future.set_exception(BrokenProcessPool("a worker died"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


@pytest.mark.parametrize("deaths", [1, MAX_ATTEMPTS])
def test_a_lost_worker_is_retried_or_failed_never_lost(
        store: RunStore, monkeypatch: pytest.MonkeyPatch, deaths: int) -> None:
    doomed = {3: deaths}
    pools = []

    @contextmanager
    def flaky_executor(kind, workers=None, scheduler=None):
        pools.append(1)
        yield FlakyPool(doomed)

    monkeypatch.setattr(sweep_mod, "open_executor", flaky_executor)
    outcome = run_sweep(ishigami_spec(), store, workers=1)
    runs = store.experiment_runs(outcome.experiment_id).set_index("id")
    assert set(runs.status) <= {"done", "failed"} and len(runs) == 8
    if deaths < MAX_ATTEMPTS:
        assert outcome.runs_done == 8 and runs.loc[3, "attempts"] == 1 + deaths
    else:
        assert outcome.runs_failed == 1 and runs.loc[3, "status"] == "failed"
        assert "worker process died" in runs.loc[3, "error"]
    assert len(pools) == 1 + deaths  # a new pool after every breakage


def test_runs_that_finished_before_the_pool_broke_keep_their_results(
        store: RunStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """``wait`` returns finished futures as a set; when the broken one comes first, the
    runs that completed alongside it must still count (they once got charged a lost
    worker and could fail after three unlucky batches)."""
    @contextmanager
    def flaky_executor(kind, workers=None, scheduler=None):
        yield FlakyPool({3: MAX_ATTEMPTS})

    def wait_broken_first(futures, return_when=None):
        done = sorted((f for f in futures if f.done()), key=lambda f: f.exception() is None)
        return done, set()

    monkeypatch.setattr(sweep_mod, "open_executor", flaky_executor)
    monkeypatch.setattr(sweep_mod, "wait", wait_broken_first)
    outcome = run_sweep(ishigami_spec(), store, workers=2)
    runs = store.experiment_runs(outcome.experiment_id).set_index("id")
    assert (outcome.runs_done, outcome.runs_failed) == (7, 1)
    assert runs.loc[3, "status"] == "failed"
    assert (runs.drop(index=3)["attempts"] == 1).all()
