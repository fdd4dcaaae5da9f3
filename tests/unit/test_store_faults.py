"""Faults of the run store: transient database faults retried with backoff, read-only
opening that creates and changes nothing, refused URLs and names, and runs left
``running`` by a process that has ended (``ifsim runs --stale [--reconcile]``).

The SQLite lock is a real one, held by a second connection; PostgreSQL restarts are in
tests/e2e/test_postgres_restart.py.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import empty_store_url
from sqlalchemy.exc import OperationalError

from ifsim.experiments import cli
from ifsim.results import RunStore, StoreError, schema
from ifsim.results import store as store_module
from ifsim.results.schema import utc_now

PG_URL = os.environ.get("IFSIM_TEST_PG_URL")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
RUN_INFO = {"scenario": "baseline", "steps": 3, "ifsim_version": "0.1.0",
            "git_commit": None, "host": "test-host"}


def series(steps: int = 3) -> pd.DataFrame:
    return pd.DataFrame({"step": np.arange(steps, dtype="int64"),
                         "platforms_alive": np.arange(steps, dtype="int64")})


def log_of(n: int) -> pd.DataFrame:
    return pd.DataFrame({"step": [1] * n, "kind": ["failure"] * n,
                         "agent": [f"p{i}" for i in range(n)], "cause": ["run"] * n})


def counts(store: RunStore, run_id: int) -> tuple[int, int]:
    return len(store.timeseries(run_id)), len(store.events(run_id))


@pytest.fixture
def url(tmp_path: Path) -> str:
    return RunStore.sqlite_url(tmp_path / "out")


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The backoff's waits, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(store_module, "_sleep", waits.append)
    return waits


@pytest.fixture(params=BACKENDS)
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_store_url(request.param, tmp_path)


class HeldLock:
    """The SQLite write lock, taken by another connection (as another process would)."""

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


def db_path(url: str) -> str:
    return sa.make_url(url).database


# -- transient faults are retried ------------------------------------------------------
def test_a_write_waits_out_a_lock_held_past_the_busy_timeout(
        url: str, caplog: pytest.LogCaptureFixture) -> None:
    with RunStore(url, busy_timeout=0.1, retry_delay=0.1) as store:
        run_id = store.start_run(params={}, seed=1, **RUN_INFO)
        lock = HeldLock(db_path(url))
        threading.Timer(1.0, lock.release).start()
        started = time.monotonic()
        with caplog.at_level(logging.WARNING, logger="ifsim.results.store"):
            store.finish_run(run_id, timeseries=series(), events=log_of(2), summary={"a": 1},
                             wall_seconds=1.0)
        waited = time.monotonic() - started
        assert store.get_run(run_id)["status"] == "done"
        assert counts(store, run_id) == (3, 2)
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries and "database is locked" in retries[0] and f"finish run {run_id}" in retries[0]
    assert 0.8 < waited < 5.0


def test_without_retries_the_same_lock_fails(url: str) -> None:
    """The test above can fail: with one try the write gives up at the busy timeout."""
    with RunStore(url, busy_timeout=0.1, tries=1) as store:
        run_id = store.start_run(params={}, seed=1, **RUN_INFO)
        lock = HeldLock(db_path(url))
        try:
            with pytest.raises(StoreError, match="database is locked"):
                store.fail_run(run_id, error="x")
        finally:
            lock.release()


def test_a_lasting_fault_is_one_line_after_the_last_try(url: str, no_sleep: list[float]) -> None:
    with RunStore(url, busy_timeout=0.05, tries=4, retry_delay=0.5) as store:
        run_id = store.start_run(params={}, seed=1, **RUN_INFO)
        lock = HeldLock(db_path(url))
        started = time.monotonic()
        try:
            with pytest.raises(StoreError) as error:
                store.fail_run(run_id, error="x")
        finally:
            lock.release()
        assert time.monotonic() - started < 3.0
        assert store.get_run(run_id)["status"] == "running"
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"cannot fail run {run_id} in {url}: database is locked")
    assert "gave up after 4 tries" in message
    assert no_sleep == [0.5, 1.0, 2.0]  # exponential backoff between the 4 tries


def test_the_backoff_is_capped(url: str, no_sleep: list[float]) -> None:
    with RunStore(url, busy_timeout=0.01, tries=8, retry_delay=1.0) as store:
        lock = HeldLock(db_path(url))
        try:
            with pytest.raises(StoreError, match="gave up after 8 tries"):
                store.start_run(params={}, seed=1, **RUN_INFO)
        finally:
            lock.release()
    assert no_sleep == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]


def test_reads_are_retried_too(url: str, no_sleep: list[float],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    with RunStore(url) as store:
        run_id = store.start_run(params={}, seed=1, **RUN_INFO)
        real = store.engine.connect
        faults = iter([OperationalError("SELECT 1", {}, Exception("server closed the "
                                                                   "connection unexpectedly"))])

        def flaky() -> Any:
            fault = next(faults, None)
            if fault is not None:
                raise fault
            return real()

        monkeypatch.setattr(store._engine, "connect", flaky)
        assert store.get_run(run_id)["id"] == run_id
        with store.reading("count") as conn:  # the analysis functions' connection
            assert conn.execute(sa.text("SELECT 1")).scalar() == 1
    assert no_sleep == [store_module.RETRY_FIRST_DELAY]


def test_a_permanent_error_is_not_retried(url: str, no_sleep: list[float]) -> None:
    with RunStore(url) as store, pytest.raises(StoreError, match="no run with id 99"):
        store.fail_run(99, error="x")
    assert no_sleep == []


@pytest.mark.parametrize(("text", "sqlstate", "transient"), [
    ("database is locked", None, True),
    ("connection failed: connection to server at \"127.0.0.1\", port 5 failed: Connection "
     "refused", None, True),
    ("terminating connection due to administrator command", "57P01", True),
    ("the database system is starting up", "57P03", True),
    ("connection timeout expired", None, True),
    ("deadlock detected", "40P01", True),
    ("password authentication failed for user \"x\"", "28P01", False),
    ("no such table: runs", None, False),
    ("database or disk is full", None, False),
])
def test_which_faults_are_transient(text: str, sqlstate: str | None, transient: bool) -> None:
    class DriverError(Exception):
        pass

    orig = DriverError(text)
    orig.sqlstate = sqlstate  # type: ignore[attr-defined]
    assert store_module._transient(OperationalError("SELECT 1", {}, orig)) is transient


def fail_once_after_commit(monkeypatch: pytest.MonkeyPatch, store: RunStore) -> list[int]:
    """The next COMMIT succeeds but reports a lost connection (the answer never came)."""
    dialect = store.engine.dialect
    real = dialect.do_commit
    faults = [1]

    def commit_then_fault(dbapi_connection: Any) -> None:
        real(dbapi_connection)
        if faults:
            faults.pop()
            raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(dialect, "do_commit", commit_then_fault)
    return faults


def test_finish_run_retried_after_a_fault_in_commit_stores_once(
        url: str, no_sleep: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    with RunStore(url) as store:
        run_id = store.start_run(params={}, seed=1, **RUN_INFO)
        faults = fail_once_after_commit(monkeypatch, store)
        store.finish_run(run_id, timeseries=series(4), events=log_of(3), summary={},
                         wall_seconds=1.0)
        assert faults == [] and len(no_sleep) == 1
        assert counts(store, run_id) == (4, 3)
        assert store.get_run(run_id)["status"] == "done"


def test_start_run_is_not_retried_after_a_fault_in_commit(
        url: str, no_sleep: list[float], monkeypatch: pytest.MonkeyPatch) -> None:
    """A second INSERT could record the run twice: one line saying it may be stored."""
    with RunStore(url) as store:
        fail_once_after_commit(monkeypatch, store)
        with pytest.raises(StoreError, match="may have been stored"):
            store.start_run(params={}, seed=1, **RUN_INFO)
        assert len(store.list_runs()) == 1
    assert no_sleep == []


def test_pooled_connections_are_pinged_and_postgres_connects_time_out(url: str) -> None:
    with RunStore(url) as store:
        assert store.engine.pool._pre_ping
    assert store_module.PG_CONNECT_TIMEOUT <= 10


def test_an_unresponsive_postgres_server_is_one_line_within_seconds() -> None:
    """A server that takes the connection and never answers (hung, or a firewall that
    swallows packets) was reported after about 131 s."""
    pytest.importorskip("psycopg")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # the kernel completes handshakes; nobody ever answers
    port = listener.getsockname()[1]
    started = time.monotonic()
    try:
        with pytest.raises(StoreError) as error:
            RunStore(f"postgresql+psycopg://u:secret@127.0.0.1:{port}/db")
    finally:
        listener.close()
    took = time.monotonic() - started
    message = str(error.value)
    assert "\n" not in message and "secret" not in message
    assert message.startswith(f"cannot open database postgresql+psycopg://u:***@127.0.0.1:{port}")
    assert "timeout" in message
    assert took < store_module.PG_CONNECT_TIMEOUT + 5


# -- URLs and names the store refuses --------------------------------------------------
@pytest.mark.parametrize("memory", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_database_is_refused(memory: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(StoreError, match="in-memory SQLite database keeps nothing"):
        RunStore(memory)
    os.chdir(tmp_path)
    for command in (["run", "--steps", "1"], ["sweep", "factorial-demo"],
                    ["experiment", "platform-types", "--quick"]):
        assert cli.main([*command, "--db", memory]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "in-memory SQLite" in err, command
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("query", ["?mode=ro", "?mode=memory&uri=true", "?timeout=1"])
def test_a_query_on_an_sqlite_url_is_refused_not_ignored(query: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"query \?.* is not supported on SQLite URLs"):
        RunStore(f"sqlite:///{tmp_path}/x.sqlite{query}")
    assert list(tmp_path.iterdir()) == []


def test_experiment_and_scenario_names_are_bounded(any_url: str) -> None:
    with RunStore(any_url) as store:
        assert store.record_experiment("n" * 200, {"a": 1}) > 0
        for name in ("n" * 201, "x" * 100_000, ""):
            with pytest.raises(StoreError) as error:
                store.record_experiment(name, {"a": 1})
            assert "\n" not in str(error.value)
        with pytest.raises(StoreError, match="is 201 characters long; the most a store "
                                             "takes is 200"):
            store.record_experiment("e" * 201, {"a": 1})
        with pytest.raises(StoreError, match="scenario name"):
            store.start_run(params={}, seed=1, **{**RUN_INFO, "scenario": "s" * 201})
        assert store.list_experiments()["name"].tolist() == ["n" * 200]


# -- read-only opening -----------------------------------------------------------------
def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


READ_COMMANDS = [["runs"], ["runs", "--stale"], ["show", "1"], ["replay", "1"], ["report"],
                 ["export", "timeseries", "--to", "-"]]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c))
def test_read_commands_on_a_missing_file_create_nothing(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.chdir(tmp_path)
    assert cli.main([*command, "--db", "sqlite:///does-not-exist.sqlite"]) == 2
    err = capsys.readouterr().err
    assert err == (f"ifsim: error: no ifsim store at {tmp_path}/does-not-exist.sqlite: "
                   f"the file does not exist\n")
    assert list(tmp_path.iterdir()) == []


def test_read_only_open_of_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"no ifsim store at .*: the file does not exist"):
        RunStore(RunStore.file_url(tmp_path / "missing.sqlite"), read_only=True)
    with pytest.raises(StoreError, match="the file is a folder"):
        RunStore(RunStore.file_url(tmp_path), read_only=True)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("journal", ["delete", "wal"])
@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c))
def test_read_commands_leave_another_programs_sqlite_file_untouched(
        command: list[str], journal: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode={journal}")
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('mine')")
    conn.commit()
    conn.close()
    before = snapshot(tmp_path)
    time.sleep(0.01)
    assert cli.main([*command, "--db", f"sqlite:///{path}", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err == (f"ifsim: error: sqlite:///{path} does not hold an ifsim store (it has no "
                   f"table experiments, runs, timeseries, events); nothing was changed\n")
    if journal == "wal":  # a WAL file read in a writable folder gets its -wal and -shm
        after = {k: v for k, v in snapshot(tmp_path).items() if not k.endswith(("-wal", "-shm"))}
    else:
        after = snapshot(tmp_path)
    assert after == before
    reopened = sqlite3.connect(path)
    assert reopened.execute("PRAGMA journal_mode").fetchone()[0] == journal
    reopened.close()


def test_read_only_open_of_a_database_without_a_store_adds_nothing(any_url: str,
                                                                  tmp_path: Path) -> None:
    if any_url.startswith("sqlite"):
        path = tmp_path / "empty.sqlite"
        sqlite3.connect(path).close()  # an empty SQLite database (a 0-byte file)
        any_url = RunStore.file_url(path)
    with pytest.raises(StoreError, match=r"does not hold an ifsim store .*nothing was changed"):
        RunStore(any_url, read_only=True)
    engine = sa.create_engine(any_url)
    assert sa.inspect(engine).get_table_names() == []
    engine.dispose()


def test_a_read_only_store_is_read_only_at_the_database_too(any_url: str) -> None:
    RunStore(any_url).close()
    with (RunStore(any_url, read_only=True) as ro,
          pytest.raises(StoreError, match=r"read-only|readonly"),
          ro.reading("try a write") as conn):
        conn.execute(sa.text("CREATE TABLE intruder (a INTEGER)"))
    engine = sa.create_engine(any_url)
    assert "intruder" not in sa.inspect(engine).get_table_names()
    engine.dispose()


def test_a_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n")
    with pytest.raises(StoreError, match="file is not a database"):
        RunStore(RunStore.file_url(path), read_only=True)
    assert path.read_text() == "not a database\n"


def test_a_read_only_store_reads_and_refuses_writes(url: str) -> None:
    with RunStore(url) as store:
        run_id = store.start_run(params={"a": 1}, seed=5, **RUN_INFO)
        store.finish_run(run_id, timeseries=series(), events=log_of(1), summary={"x": 1},
                         wall_seconds=0.5)
    with RunStore(url, read_only=True) as ro:
        assert ro.get_run(run_id)["summary"] == {"x": 1}
        assert counts(ro, run_id) == (3, 1)
        with pytest.raises(StoreError, match="opened read-only"):
            ro.fail_run(run_id, error="x")
        with pytest.raises(StoreError, match="opened read-only"):
            ro.record_experiment("e", {})


def test_a_store_from_before_run_processes_opens_read_only_unchanged(url: str) -> None:
    with RunStore(url) as store:
        run_id = store.start_run(params={}, seed=1, **RUN_INFO)
    path = Path(db_path(url))
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE run_processes")
    conn.commit()
    conn.close()
    with RunStore(url, read_only=True) as ro:
        assert ro.get_run(run_id)["status"] == "running"
        assert ro.stale_runs() == []  # no recorded process: judged by age only
        assert [r["id"] for r in ro.stale_runs(older_than=timedelta(0))] == [run_id]
    tables = sqlite3.connect(path).execute(
        "SELECT name FROM sqlite_master WHERE type='table'").fetchall()
    assert ("run_processes",) not in tables
    with RunStore(url) as store:  # a writer adds it
        assert store.stale_runs() == []


def store_experiment(store: RunStore, name: str = "fact") -> None:
    """A small factorial experiment, every run done (enough for ifsim report)."""
    rate = "borrower.apply_prob_weekly"
    spec = {"experiment": {"name": name, "scenario": "baseline", "steps": 4,
                           "replications": 2, "seed": 1, "model": "ifsim"},
            "design": {"kind": "factorial"}, "factors": {rate: [0.02, 0.04]},
            "outcomes": {"names": ["platforms_alive"]}}
    eid = store.record_experiment(name, spec)
    store.plan_runs(eid, [{"sample_index": i, "replication": r, "scenario": "baseline",
                           "params": {}, "factors": {rate: level}, "seed": 10 * i + r,
                           "steps": 4}
                          for i, level in enumerate([0.02, 0.04]) for r in range(2)],
                    "0.1.0", "test-host")
    for run in store.experiment_runs(eid).itertuples():
        alive = 5 + run.sample_index + run.replication
        frame = pd.DataFrame({"step": np.arange(4, dtype="int64"),
                              "platforms_alive": np.full(4, alive)})
        store.finish_run(int(run.id), timeseries=frame, events=pd.DataFrame(), summary={},
                         wall_seconds=0.01)


def as_unprivileged(monkeypatch: pytest.MonkeyPatch) -> None:
    """Root may write anywhere: make the store see permissions as another user would."""
    if os.geteuid() != 0:
        return

    def access(path: Any, mode: int) -> bool:
        bits = os.stat(path).st_mode
        needed = [(os.R_OK, stat.S_IRUSR), (os.W_OK, stat.S_IWUSR), (os.X_OK, stat.S_IXUSR)]
        return all(bits & flag for want, flag in needed if mode & want)

    monkeypatch.setattr(store_module.os, "access", access)


def test_report_works_on_a_read_only_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with RunStore(RunStore.sqlite_url(tmp_path / "original")) as store:
        store_experiment(store)
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "ifsim.sqlite").write_bytes((tmp_path / "original" / "ifsim.sqlite").read_bytes())
    (copy / "ifsim.sqlite").chmod(0o444)
    copy.chmod(0o555)
    as_unprivileged(monkeypatch)
    before = snapshot(copy)
    try:
        out = tmp_path / "out"
        code = cli.main(["report", "--db", RunStore.file_url(copy / "ifsim.sqlite"),
                         "--out", str(out)])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        assert (out / "reports").is_dir() and "report: " in captured.out
        assert cli.main(["runs", "--out", str(copy)]) == 0  # the default URL of --out too
        assert "fact" in capsys.readouterr().out
        assert snapshot(copy) == before  # no -wal, no -shm, the file untouched
    finally:
        copy.chmod(0o755)


# -- runs left running by a process that has ended -------------------------------------
def ended_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def set_process(url: str, run_id: int, **values: Any) -> None:
    table = schema.run_processes
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.run_id == run_id).values(**values))
    engine.dispose()


def test_runs_of_a_dead_process_on_this_host_are_stale(url: str) -> None:
    with RunStore(url) as store:
        mine = store.start_run(params={}, seed=1, **RUN_INFO)
        dead = store.start_run(params={}, seed=2, **RUN_INFO)
        elsewhere = store.start_run(params={}, seed=3, **RUN_INFO)
        finished = store.start_run(params={}, seed=4, **RUN_INFO)
        store.fail_run(finished, error="x")
        pid = ended_pid()
        set_process(url, dead, pid=pid)
        set_process(url, finished, pid=pid)
        set_process(url, elsewhere, host="node-7", pid=4242,
                    recorded_at=utc_now() - timedelta(hours=3))
        stale = store.stale_runs()
        assert [(r["id"], r["pid"]) for r in stale] == [(dead, pid)]
        assert stale[0]["reason"] == (f"process {pid} on {socket.gethostname()} ended "
                                      f"without finishing the run")
        assert [r["id"] for r in store.stale_runs(older_than=timedelta(hours=4))] == [dead]
        aged = store.stale_runs(older_than=timedelta(hours=2))
        assert [r["id"] for r in aged] == [dead, elsewhere]
        assert aged[1]["reason"].startswith("process 4242 on node-7 ended without finishing "
                                            "the run (presumed: running for 3.0 h, longer "
                                            "than 2 h)")
        assert store.fail_stale_runs(aged) == [dead, elsewhere]
        assert store.get_run(dead)["status"] == "failed"
        assert store.get_run(dead)["error"] == stale[0]["reason"]
        assert store.get_run(mine)["status"] == "running"
        assert store.stale_runs(older_than=timedelta(0)) == []


def test_a_reused_pid_does_not_keep_a_run_alive() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert store_module._process_alive(child.pid, utc_now())
        # recorded an hour before this process started: the pid has been given again
        assert not store_module._process_alive(child.pid, utc_now() - timedelta(hours=1))
    finally:
        child.kill()
        child.wait()
    assert not store_module._process_alive(child.pid, utc_now())


def test_reconcile_leaves_a_run_restarted_meanwhile_alone(url: str) -> None:
    with RunStore(url) as store:
        eid = store.record_experiment("e", {"a": 1})
        store.plan_runs(eid, [{"sample_index": 0, "replication": 0, "scenario": "baseline",
                               "params": {}, "factors": {}, "seed": 1, "steps": 3}],
                        "0.1.0", "h")
        run_id = int(store.experiment_runs(eid)["id"].iloc[0])
        store.mark_running(run_id, host="h", ifsim_version="0.1.0", git_commit=None)
        set_process(url, run_id, pid=ended_pid())
        stale = store.stale_runs()
        assert [r["id"] for r in stale] == [run_id]
        store.mark_running(run_id, host="h", ifsim_version="0.1.0", git_commit=None)
        assert store.fail_stale_runs(stale) == []
        assert store.get_run(run_id)["status"] == "running"
        assert store.stale_runs() == []  # this process runs it now


@pytest.fixture
def killed_run(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """An `ifsim run` killed with SIGKILL while it computes: its run stays `running`."""
    out = tmp_path / "out"
    ifsim = Path(sys.executable).with_name("ifsim")
    child = subprocess.Popen([str(ifsim), "run", "small", "--steps", "2600", "--out",
                              str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "ifsim.sqlite").exists():
                try:
                    with RunStore(RunStore.file_url(out / "ifsim.sqlite"),
                                  read_only=True) as s:
                        if len(s.list_runs("running")):
                            break
                except StoreError:    # the file exists before its tables do (a loaded
                    pass              # machine can catch it in between): look again
            time.sleep(0.2)
        else:
            pytest.fail("the run never started")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    yield out, child.pid


def test_runs_stale_lists_and_reconciles_a_killed_run(
        killed_run: tuple[Path, int], capsys: pytest.CaptureFixture[str]) -> None:
    out, pid = killed_run
    reason = f"process {pid} on {socket.gethostname()} ended without finishing the run"
    assert cli.main(["runs", "--out", str(out)]) == 0
    assert "running" in capsys.readouterr().out
    before = snapshot(out)

    assert cli.main(["runs", "--stale", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"run 1: {reason}" in text and "--reconcile marks them failed" in text
    assert {k: v for k, v in snapshot(out).items() if k.endswith(".sqlite")} == \
        {k: v for k, v in before.items() if k.endswith(".sqlite")}

    assert cli.main(["runs", "--stale", "--reconcile", "--json", "--out", str(out)]) == 0
    [record] = __import__("json").loads(capsys.readouterr().out)
    assert record["id"] == 1 and record["reconciled"] and record["pid"] == pid
    assert record["stale_reason"] == reason
    with RunStore(RunStore.file_url(out / "ifsim.sqlite"), read_only=True) as store:
        run = store.get_run(1)
    assert run["status"] == "failed" and run["error"] == reason

    assert cli.main(["runs", "--stale", "--out", str(out)]) == 0
    assert capsys.readouterr().out.startswith("no stale runs in ")


@pytest.mark.parametrize(("argv", "message"), [
    (["runs", "--reconcile"], "--reconcile goes with --stale"),
    (["runs", "--older-than", "2"], "--older-than goes with --stale"),
    (["runs", "--stale", "--older-than", "-1"], "--older-than -1.0: must be a number of hours"),
    (["runs", "--stale", "--older-than", "nan"], "--older-than nan: must be"),
    (["runs", "--stale", "--status", "done"], "--status done does not go with it"),
])
def test_stale_options_are_checked(argv: list[str], message: str, url: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    RunStore(url).close()
    assert cli.main([*argv, "--db", url]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
