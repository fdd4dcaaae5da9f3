"""Executors a sweep can run on: all are ``concurrent.futures.Executor``.

- ``local`` (default): a process pool on this machine, one worker per core.
- ``sequential``: in this process, one run after another (debugging, tiny sweeps).
- ``dask``: a Dask distributed cluster through ``Client.get_executor()``; with no
  ``--scheduler`` address, a LocalCluster of worker processes on this machine.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from ifsim.ecosystem.errors import IfsimError

KINDS = ("local", "sequential", "dask")


class ExecutorError(IfsimError):
    """An executor cannot be started (bad kind, unreachable scheduler)."""


class SequentialExecutor(Executor):
    """Runs each task when it is submitted, in this process."""

    def submit(self, fn, /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # the runner turns this into a failed run; Ctrl-C stops
            future.set_exception(exc)
        return future


def default_workers() -> int:
    """All cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (
        os.cpu_count() or 1)


PARENT_CHECK_SECONDS = 1.0


def watch_parent(parent_pid: int) -> None:
    """Worker side: exit as soon as the sweep's parent process is gone.

    A parent killed by SIGKILL cannot tell its pool to stop, and a pool worker blocks on
    its task queue for ever: it would stay alive (and hold the parent's stdout, so
    ``ifsim sweep ... | tee log`` would never end). A daemon thread polls the parent
    pid; when the worker has been re-parented, it ends the worker at once. Runs it had
    in flight stay ``running`` in the store and are run again on resume.
    """
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)  # no cleanup: the parent that would receive results is gone

    threading.Thread(target=watch, name="ifsim-parent-watch", daemon=True).start()


@contextmanager
def open_executor(kind: str, workers: int | None = None, scheduler: str | None = None):
    """Yield a started executor of ``kind``; shut it down afterwards."""
    workers = workers or default_workers()
    if kind == "sequential":
        yield SequentialExecutor()
    elif kind == "local":
        # spawn, not fork: the parent holds threads (database, Arrow), and forking a
        # threaded process can deadlock the child; spawn costs one import per worker.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                 initializer=watch_parent, initargs=(os.getpid(),)) as pool:
            yield pool
    elif kind == "dask":
        with _dask_client(workers, scheduler) as client:
            yield client.get_executor()
    else:
        raise ExecutorError(f"--executor {kind!r}: unknown (allowed: {', '.join(KINDS)})")


@contextmanager
def _dask_client(workers: int, scheduler: str | None):
    from distributed import Client, LocalCluster

    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as exc:
        raise ExecutorError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                            f"({exc})") from None
    with client:
        yield client
