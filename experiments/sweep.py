"""Running an experiment: plan its runs, execute them on any Executor, store each once.

The parent process is the only writer. It records the experiment and plans every run as
a ``pending`` row, then keeps a bounded number of runs in flight on the executor; each
worker returns a compact result (time series, events, summary) that the parent stores
and drops, so memory stays flat however many runs a sweep has. Re-running the same sweep
resumes: rows already ``done`` are skipped, rows left ``pending``/``running``/``failed``
by a killed or failed sweep are run again, and ``finish_run`` replaces any partial rows,
so every design point is stored exactly once. A run that raises is stored ``failed``
with its traceback and the sweep goes on; a worker process that dies takes its runs
back to the queue (up to ``MAX_ATTEMPTS`` times, then they are marked failed).

A sweep stopped by a signal (:class:`~ifsim.experiments.interrupts.Interrupted`) or by
an error of its own (the database gone) ends its workers at once and returns its runs in
flight to ``pending``, so that no run is left ``running``; the signal comes out as
:class:`SweepInterrupted`, which says how far the sweep got.
"""

from __future__ import annotations

import json
import time
import traceback
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ifsim.experiments import design, provenance
from ifsim.experiments.executors import default_workers, open_executor
from ifsim.experiments.interrupts import Interrupted
from ifsim.experiments.models import get_model
from ifsim.experiments.spec import ExperimentSpec
from ifsim.results.schema import RunStatus

MAX_ATTEMPTS = 3


@dataclass
class SweepOutcome:
    """What a sweep did."""

    experiment: str
    experiment_id: int
    runs_total: int
    runs_done: int
    runs_failed: int
    failed: list[dict[str, Any]] = field(default_factory=list)
    wall_seconds: float = 0.0


class SweepInterrupted(Interrupted):
    """A stop signal ended the sweep; its workers are gone and its records straight.

    Attributes:
        runs_done, runs_total: Where the sweep stood (None if it had not planned yet).
        left_running: Runs of this session still ``running`` in the store because
            returning them to ``pending`` failed (``release_error`` says why); 0 normally.
    """

    def __init__(self, signum: int, runs_done: int | None = None,
                 runs_total: int | None = None, left_running: int = 0,
                 release_error: str = "") -> None:
        super().__init__(signum)
        self.runs_done, self.runs_total = runs_done, runs_total
        self.left_running, self.release_error = left_running, release_error


class WorkerLostError(Exception):
    """The process running a task died (killed, out of memory)."""


def execute_run(task: dict[str, Any]) -> dict[str, Any]:
    """Worker side: simulate one run; never raises (errors come back as text)."""
    started = time.perf_counter()
    try:
        result = get_model(task["model"]).simulate(task["params"], task["seed"],
                                                   snapshot_dir=task.get("snapshot_dir"))
    except Exception:
        return {"run_id": task["run_id"], "error": traceback.format_exc()}
    return {"run_id": task["run_id"], "timeseries": result.timeseries,
            "events": result.events, "summary": result.summary,
            "snapshot_path": result.snapshot_path,
            "wall_seconds": time.perf_counter() - started}


def prepare(spec: ExperimentSpec, store, where: str = "spec") -> int:
    """Check the spec against its model, record the experiment, plan its runs."""
    model = check(spec, where)
    experiment_id = store.record_experiment(spec.name, spec.to_dict())
    store.plan_runs(experiment_id, design.plan(spec, model), provenance.ifsim_version(),
                    provenance.host())
    return experiment_id


def check(spec: ExperimentSpec, where: str = "spec"):
    """Check the spec against its model before anything is stored; return the model.

    Factors, outcomes and the scenario (through the model's own check), and for the
    ecosystem every ``[roles]`` class of the scenario, which must load or no run could
    start.

    Raises:
        SpecError: Naming ``where`` and what is wrong.
    """
    model = get_model(spec.model, where)
    model.check(spec, where)
    if spec.model == "ifsim":
        _check_roles(spec, where)
    return model


def _check_roles(spec: ExperimentSpec, where: str) -> None:
    """Every ``[roles]`` class of the spec's scenario loads (or no run could start)."""
    from ifsim.ecosystem.errors import ParameterError
    from ifsim.ecosystem.model import check_roles
    from ifsim.ecosystem.scenario import load_scenario
    from ifsim.experiments.spec import SpecError

    try:
        check_roles(load_scenario(spec.scenario)[1])
    except ParameterError as exc:
        raise SpecError(f"{where}: [experiment] scenario {spec.scenario}: {exc}") from None


def run_sweep(spec: ExperimentSpec, store, *, executor: str = "local",
              workers: int | None = None, scheduler: str | None = None,
              progress=None, where: str = "spec",
              snapshots: Path | None = None) -> SweepOutcome:
    """Plan (or resume) the experiment and run every run not yet done.

    With ``snapshots`` (a folder), each run also writes its per-agent end state there as
    Parquet files, referenced from its run record.
    """
    started = time.perf_counter()
    workers = workers or default_workers()
    queue: deque | None = None
    state: _State | None = None
    experiment_id: int | None = None
    try:
        while queue is None or queue:
            # leaving the block by an exception ends the workers at once (stop_pool)
            with open_executor(executor, workers, scheduler) as pool:
                if queue is None:
                    # workers start and import the model while the parent plans
                    for _ in range(workers):
                        pool.submit(warm_up)
                    experiment_id = prepare(spec, store, where)
                    queue, state = _pending(spec, store, experiment_id, progress,
                                            snapshots)
                _drain(pool, queue, state, in_flight=2 * workers)
    except Interrupted as exc:
        raise _interrupted(exc, store, experiment_id, state) from None
    except BaseException:
        if state is not None:
            state.release()
        raise
    final = store.experiment_runs(experiment_id)
    failed = final[final["status"] == RunStatus.FAILED.value]
    return SweepOutcome(
        experiment=spec.name, experiment_id=experiment_id, runs_total=len(final),
        runs_done=int((final["status"] == RunStatus.DONE.value).sum()),
        runs_failed=len(failed),
        failed=[{"run_id": int(r.id), "error": _last_line(r.error)}
                for r in failed.itertuples()],
        wall_seconds=time.perf_counter() - started)


def _interrupted(exc: Interrupted, store, experiment_id: int | None,
                 state: _State | None) -> SweepInterrupted:
    """Return the runs in flight to pending and say where the sweep stood."""
    left, why = state.release() if state is not None else (0, "")
    done = total = None
    if experiment_id is not None:
        try:
            runs = store.experiment_runs(experiment_id)
            done, total = int((runs["status"] == RunStatus.DONE.value).sum()), len(runs)
        except Exception:  # the counts are a courtesy; the database may be what failed
            pass
    return SweepInterrupted(exc.signum, done, total, left, why)


def warm_up() -> None:
    """Worker side: import what runs need, so the first run does not pay for it."""
    import ifsim.ecosystem.model  # noqa: F401


def _pending(spec: ExperimentSpec, store, experiment_id: int, progress,
             snapshots: Path | None):
    """The queue of runs not yet done, and the session's bookkeeping."""
    runs = store.experiment_runs(experiment_id)
    todo = runs[runs["status"] != RunStatus.DONE.value]
    queue = deque(_task(spec, row, snapshots) for row in todo.itertuples())
    done = int((runs["status"] == RunStatus.DONE.value).sum())
    return queue, _State(store, len(runs), done, progress)


def _task(spec: ExperimentSpec, row, snapshots: Path | None) -> dict[str, Any]:
    task = {"run_id": int(row.id), "model": spec.model, "params": json.loads(row.params_json),
            "seed": int(row.seed)}
    if snapshots is not None:  # workers write the Parquet files; the parent records them
        task["snapshot_dir"] = str(snapshots / f"run-{int(row.id)}")
    return task


class _State:
    """Bookkeeping of one sweep session: counts, attempts, progress."""

    def __init__(self, store, total: int, done: int, progress) -> None:
        self.store, self.total, self.done, self.failed = store, total, done, 0
        self.progress = progress
        self.lost: dict[int, int] = {}
        # runs this session marked running and has not yet stored as done or failed
        self.in_flight: set[int] = set()
        self.meta = {"host": provenance.host(), "ifsim_version": provenance.ifsim_version(),
                     "git_commit": provenance.git_commit()}

    def started(self, tasks: list[dict[str, Any]]) -> None:
        ids = [t["run_id"] for t in tasks]
        self.in_flight.update(ids)  # before the write: a signal may land inside it
        self.store.mark_running(ids, **self.meta)

    def finished(self, result: dict[str, Any]) -> None:
        run_id = result["run_id"]
        if "error" in result:
            self.store.fail_run(run_id, error=result["error"])
            self.in_flight.discard(run_id)
            self.failed += 1
        else:
            self.store.finish_run(run_id, timeseries=result["timeseries"],
                                  events=result["events"], summary=result["summary"],
                                  wall_seconds=result["wall_seconds"])
            self.in_flight.discard(run_id)
            if result.get("snapshot_path"):
                self.store.set_snapshot_path(run_id, result["snapshot_path"])
            self.done += 1
        self.tick()

    def release(self) -> tuple[int, str]:
        """Runs in flight still ``running`` go back to ``pending`` (done ones stay done).

        Returns:
            How many runs are left ``running`` (0, or all of them if the write failed)
            and why.
        """
        if not self.in_flight:
            return 0, ""
        try:
            self.store.release_runs(sorted(self.in_flight))
        except Exception as exc:  # the database may be what stopped the sweep
            return len(self.in_flight), " ".join(str(exc).split())
        self.in_flight.clear()
        return 0, ""

    def worker_lost(self, task: dict[str, Any], queue: deque, exc: BaseException) -> None:
        """Send the task back to the queue, or fail it after MAX_ATTEMPTS losses."""
        run_id = task["run_id"]
        self.lost[run_id] = self.lost.get(run_id, 0) + 1
        if self.lost[run_id] < MAX_ATTEMPTS:
            queue.appendleft(task)
            return
        self.store.fail_run(run_id, error=f"worker process died {MAX_ATTEMPTS} times "
                                          f"running this run: {type(exc).__name__}: {exc}")
        self.in_flight.discard(run_id)
        self.failed += 1
        self.tick()

    def tick(self) -> None:
        if self.progress is not None:
            self.progress(self.done + self.failed, self.total, self.failed)


def _drain(pool, queue: deque, state: _State, in_flight: int) -> None:
    """Keep ``in_flight`` tasks running until the queue is empty or the pool breaks."""
    running: dict[Future, dict[str, Any]] = {}
    try:
        while queue or running:
            batch = [queue.popleft() for _ in range(min(len(queue), in_flight - len(running)))]
            state.started(batch)  # one transaction for the whole batch
            for i, task in enumerate(batch):
                try:
                    running[pool.submit(execute_run, task)] = task
                except BrokenProcessPool:  # a worker died since the last wait
                    queue.extendleft(reversed(batch[i:]))  # not lost: run them next
                    raise
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                task = running.pop(future)
                _collect(future, task, queue, state)
    except BrokenProcessPool as exc:
        # runs that finished before the pool broke keep their results; only the rest
        # are lost (``wait`` hands back finished futures as a set, in no fixed order)
        for future, task in running.items():
            if future.done() and not future.cancelled() and future.exception() is None:
                state.finished(future.result())
            else:
                state.worker_lost(task, queue, exc)


def _collect(future: Future, task: dict[str, Any], queue: deque, state: _State) -> None:
    exc = future.exception()
    if exc is None:
        state.finished(future.result())
    elif isinstance(exc, BrokenProcessPool):
        state.worker_lost(task, queue, exc)
        raise exc  # the pool is gone: every other task in flight goes back too
    elif type(exc).__name__ in ("KilledWorker", "CommClosedError"):
        state.worker_lost(task, queue, exc)  # Dask lost the worker; others carry on
    else:
        state.finished({"run_id": task["run_id"],
                        "error": "".join(traceback.format_exception(exc))})


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
