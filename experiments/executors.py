"""Executors a sweep can run on: all are ``concurrent.futures.Executor``.

- ``local`` (default): a process pool on this machine, one worker per core.
- ``sequential``: in this process, one run after another (debugging, tiny sweeps).
- ``dask``: a Dask distributed cluster through ``Client.get_executor()``; with no
  ``--scheduler`` address, a LocalCluster of worker processes on this machine.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from ifsim.ecosystem.errors import IfsimError

KINDS = ("local", "sequential", "dask")

#: Most worker processes (or, on a Dask cluster, runs in flight per pair) a sweep takes:
#: each local worker holds a Python with the model imported (about 175 MiB), and far more
#: workers than cores only adds memory and start-up time.
MAX_WORKERS = 512

#: Seconds a stopped pool's workers get to end after SIGTERM before they are killed.
STOP_GRACE_SECONDS = 3.0

# tcp://HOST:PORT (also tls, ws, wss, ucx, or no scheme); HOST a name, IPv4 or [IPv6].
_SCHEDULER = re.compile(r"^(?:(?:tcp|tls|ws|wss|ucx)://)?"
                        r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)"
                        r":(\d{1,5})$")


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


def check_workers(workers: int | None, option: str = "--workers") -> None:
    """Refuse a worker count below 1 or above ``MAX_WORKERS`` (None: all cores)."""
    if workers is not None and not 1 <= workers <= MAX_WORKERS:
        raise ExecutorError(f"{option} {workers}: must be between 1 and {MAX_WORKERS}")


def check_scheduler(scheduler: str | None, kind: str) -> None:
    """Refuse a scheduler address that cannot be one, or one the executor would ignore."""
    if scheduler is None:
        return
    if kind != "dask":
        raise ExecutorError(f"--scheduler is only used with --executor dask (got --executor "
                            f"{kind}): add --executor dask or drop --scheduler")
    match = _SCHEDULER.match(scheduler)
    if not match or not 1 <= int(match.group(1)) <= 65535:
        raise ExecutorError(f"--scheduler {scheduler!r}: not a Dask scheduler address "
                            f"(expected tcp://HOST:PORT, PORT 1 to 65535)")


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


def init_worker(parent_pid: int) -> None:
    """Worker side: leave stop signals to the parent, and exit if the parent dies.

    Ctrl-C reaches every process of the terminal's foreground group and a closing
    terminal hangs them all up: the workers ignore SIGINT and SIGHUP, so that the parent
    alone decides (it stops the pool and returns the runs in flight to the queue) and no
    worker prints a traceback. SIGTERM keeps its default: it is how the parent ends them.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    watch_parent(parent_pid)


@contextlib.contextmanager
def _stop_signals_ignored():
    """SIGINT and SIGHUP ignored inside the block (one arriving then is lost), so that
    processes started in it ignore them too; the handlers are restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, signal.SIG_IGN) for s in (signal.SIGINT, signal.SIGHUP)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:
                signal.signal(signum, handler)


def stop_pool(pool: ProcessPoolExecutor, grace: float = STOP_GRACE_SECONDS) -> None:
    """End a process pool now: cancel what has not started, end the workers.

    ``shutdown(wait=True)`` (what leaving ``with ProcessPoolExecutor`` does) would wait
    for every run in flight, minutes perhaps; here the workers get SIGTERM, and SIGKILL
    after ``grace`` seconds. Their runs are lost (the sweep runs them again).
    """
    # ProcessPoolExecutor keeps its processes in a private dict; without it the workers
    # could only be found through /proc.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError):  # already gone, or closed
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)
        except (OSError, ValueError, AssertionError):
            pass


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
        with _stop_signals_ignored():
            # The workers and the resource tracker start with SIGINT and SIGHUP ignored
            # (a disposition exec keeps; Python then installs no Ctrl-C handler), so a
            # Ctrl-C or a hang-up of the whole terminal reaches only this process, which
            # ends them itself; started lazily they would be spawned at any later submit.
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                       initializer=init_worker, initargs=(os.getpid(),))
            pool._launch_processes()  # all workers now, not one per submit
        try:
            yield pool
            pool.shutdown(wait=True)  # a signal may land here too
        except BaseException:  # a signal, a database error: end the workers at once
            stop_pool(pool)
            raise
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
    except (OSError, ValueError, TypeError) as exc:
        raise ExecutorError(f"--scheduler {scheduler}: cannot reach the Dask scheduler "
                            f"({exc})") from None
    with client:
        yield client
