"""Tests of the run store on SQLite, and on PostgreSQL when IFSIM_TEST_PG_URL names one.

The PostgreSQL database named by IFSIM_TEST_PG_URL is wiped (its ifsim tables dropped)
before every test.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import empty_store_url

from ifsim.results import RunStore, StoreError

PG_URL = os.environ.get("IFSIM_TEST_PG_URL")
# The PostgreSQL backend exists only when a server is named, so no run reports it skipped.
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]

RUN_INFO = {
    "scenario": "baseline",
    "steps": 3,
    "ifsim_version": "0.1.0",
    "git_commit": "abc123",
    "host": "test-host",
}


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_store_url(request.param, tmp_path)


@pytest.fixture
def store(store_url: str) -> Iterator[RunStore]:
    with RunStore(store_url) as opened:
        yield opened


def start(store: RunStore, seed: int = 7, **params: object) -> int:
    return store.start_run(params={"n_platforms": 3, **params}, seed=seed, **RUN_INFO)


def make_timeseries(steps: int = 3, **extra: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "step": np.arange(steps, dtype="int64"),
            "platforms_alive": np.array([3, 2, 2, 1][:steps], dtype="int64"),
            "outstanding_lending_cents": np.array([10**15, 5, 0, 1][:steps], dtype="int64"),
            "arrears_rate": np.array([0.0, 0.125, 0.5, 1.0][:steps], dtype="float64"),
        }
    )
    return frame.assign(**extra)


def make_events() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": np.array([1, 2], dtype="int64"),
            "kind": ["default", "failure"],
            "agent": ["borrower_4", "platform_1"],
            "cause": ["income_shock", "run"],
            "amount_cents": [12_345.0, np.nan],
            "detail": [None, "investors withdrew"],
        }
    )


def finish(store: RunStore, run_id: int, ts: pd.DataFrame | None = None, **kw: object) -> None:
    arguments = {
        "timeseries": make_timeseries() if ts is None else ts,
        "events": make_events(),
        "summary": {"platforms_alive": np.int64(1), "loss_rate": np.float64(np.nan)},
        "wall_seconds": 0.25,
        **kw,
    }
    store.finish_run(run_id, **arguments)


def timeseries_columns(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return {column["name"] for column in sa.inspect(engine).get_columns("timeseries")}
    finally:
        engine.dispose()


def test_round_trip(store: RunStore) -> None:
    run_id = start(store, rate=np.float64(0.5), flag=np.bool_(True))
    finish(store, run_id)

    run = store.get_run(run_id)
    assert run["status"] == "done"
    assert run["params"] == {"n_platforms": 3, "rate": 0.5, "flag": True}
    assert run["summary"] == {"platforms_alive": 1, "loss_rate": None}
    assert run["seed"] == 7
    assert run["wall_seconds"] == 0.25
    assert run["ended_at"] >= run["started_at"]
    assert run["started_at"].utcoffset().total_seconds() == 0

    pd.testing.assert_frame_equal(store.timeseries(run_id), make_timeseries())
    expected_events = make_events().assign(amount_cents=pd.array([12_345, None], dtype="Int64"))
    pd.testing.assert_frame_equal(store.events(run_id), expected_events)


def test_params_are_canonical_json(store: RunStore) -> None:
    run_id = store.start_run(params={"b": 1, "a": {"z": 2, "y": 3}}, seed=1, **RUN_INFO)
    listed = store.list_runs()
    assert listed.loc[0, "params_json"] == '{"a":{"y":3,"z":2},"b":1}'
    assert listed.loc[0, "id"] == run_id


def test_finishing_twice_does_not_duplicate_rows(store: RunStore) -> None:
    run_id = start(store)
    finish(store, run_id)
    finish(store, run_id)
    assert len(store.timeseries(run_id)) == 3
    assert len(store.events(run_id)) == 2


def test_new_metric_column_is_added_only_where_reported(store: RunStore) -> None:
    first, second = start(store), start(store)
    finish(store, first)
    finish(store, second, make_timeseries(fund_yield_annual=[0.03, 0.02, 0.01]))

    assert "fund_yield_annual" not in store.timeseries(first).columns
    assert store.timeseries(second)["fund_yield_annual"].tolist() == [0.03, 0.02, 0.01]


def test_integer_metric_with_gaps_reads_back_as_nullable_int(store: RunStore) -> None:
    run_id = start(store)
    finish(store, run_id, make_timeseries(failures_this_step=pd.array([0, None, 2], "Int64")))
    column = store.timeseries(run_id)["failures_this_step"]
    assert str(column.dtype) == "Int64"
    assert column.isna().tolist() == [False, True, False]


def test_bad_column_name_writes_nothing(store: RunStore) -> None:
    run_id = start(store)
    with pytest.raises(StoreError, match="Bad-Name"):
        finish(store, run_id, make_timeseries(**{"Bad-Name": [1, 2, 3]}))

    assert store.get_run(run_id)["status"] == "running"
    assert store.timeseries(run_id).empty
    assert store.events(run_id).empty


def test_failure_inside_the_transaction_rolls_everything_back(
    store: RunStore, store_url: str
) -> None:
    run_id = start(store)
    finish(store, run_id)
    broken_events = make_events().assign(kind=[None, "failure"])  # kind is NOT NULL

    with pytest.raises(StoreError, match=f"finish run {run_id}"):
        finish(store, run_id, make_timeseries(new_metric=[1, 2, 3]), events=broken_events)

    assert "new_metric" not in timeseries_columns(store_url)
    pd.testing.assert_frame_equal(store.timeseries(run_id), make_timeseries())
    assert len(store.events(run_id)) == 2
    assert store.get_run(run_id)["status"] == "done"


def test_fractional_values_in_an_integer_column_are_refused(store: RunStore) -> None:
    first, second = start(store), start(store)
    finish(store, first)
    with pytest.raises(StoreError, match="platforms_alive"):
        finish(store, second, make_timeseries(platforms_alive=[1.5, 1.0, 0.0]))


def test_fail_run(store: RunStore) -> None:
    run_id = start(store)
    store.fail_run(run_id, error="ValueError: negative balance")
    run = store.get_run(run_id)
    assert run["status"] == "failed"
    assert run["error"] == "ValueError: negative balance"
    assert run["ended_at"] is not None
    assert store.list_runs("failed")["id"].tolist() == [run_id]
    assert store.list_runs("done").empty


def test_largest_seed_round_trips(store: RunStore) -> None:
    run_id = start(store, seed=2**64 - 1)
    assert store.get_run(run_id)["seed"] == 2**64 - 1
    assert store.list_runs()["seed"].tolist() == [2**64 - 1]


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5])
def test_seed_out_of_range_is_refused(store: RunStore, seed: object) -> None:
    with pytest.raises(StoreError, match="seed"):
        start(store, seed=seed)


def test_missing_run_is_named(store: RunStore) -> None:
    with pytest.raises(StoreError, match="no run with id 999"):
        store.get_run(999)
    with pytest.raises(StoreError, match="no run with id 999"):
        store.fail_run(999, error="x")


def test_unknown_status_is_refused(store: RunStore) -> None:
    with pytest.raises(StoreError, match="'finished'"):
        store.list_runs("finished")


def test_sqlite_uses_write_ahead_logging(tmp_path: Path) -> None:
    with RunStore(RunStore.sqlite_url(tmp_path)):
        pass
    connection = sqlite3.connect(tmp_path / "ifsim.sqlite")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_sqlite_url_is_absolute_and_creates_parents(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = RunStore.sqlite_url("a/b")
    assert url == f"sqlite:///{tmp_path.resolve()}/a/b/ifsim.sqlite"
    assert (tmp_path / "a" / "b").is_dir()


def test_output_directory_under_a_file_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(StoreError, match="not-a-directory/out"):
        RunStore.sqlite_url(blocker / "out")
    with pytest.raises(StoreError, match="not-a-directory"):
        RunStore(f"sqlite:///{blocker}/ifsim.sqlite")


def test_error_messages_hide_the_password() -> None:
    # Port 1 refuses at once; without a PostgreSQL driver the error is the missing module.
    with pytest.raises(StoreError, match="cannot open database") as caught:
        RunStore("postgresql://ifsim:s3cret@127.0.0.1:1/ifsim")
    assert "s3cret" not in str(caught.value)
    assert "***" in str(caught.value)


def test_overrides_round_trip(store: RunStore) -> None:
    overrides = {"world.n_investors": np.int64(300), "borrower.pd_annual_mean": 0.15}
    with_overrides = store.start_run(params={}, seed=1, overrides=overrides, **RUN_INFO)
    without = store.start_run(params={}, seed=1, overrides={}, **RUN_INFO)
    unrecorded = start(store)

    assert store.get_run(with_overrides)["overrides"] == {
        "borrower.pd_annual_mean": 0.15, "world.n_investors": 300}
    assert store.get_run(without)["overrides"] == {}
    assert store.get_run(unrecorded)["overrides"] is None
    assert "overrides_json" not in store.get_run(unrecorded)
    listed = store.list_runs()["overrides_json"]
    assert listed[:2].tolist() == [
        '{"borrower.pd_annual_mean":0.15,"world.n_investors":300}', "{}"]
    assert pd.isna(listed[2])


def test_older_sqlite_store_gains_the_overrides_column(tmp_path: Path) -> None:
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        old_run = start(store)
        finish(store, old_run)
    connection = sqlite3.connect(tmp_path / "ifsim.sqlite")
    try:  # the runs table as an ifsim from before overrides were recorded made it
        connection.execute("ALTER TABLE runs DROP COLUMN overrides_json")
        connection.commit()
    finally:
        connection.close()

    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        assert store.get_run(old_run)["overrides"] is None
        new_run = store.start_run(params={}, seed=2, overrides={"a.b": 1}, **RUN_INFO)
        assert store.get_run(new_run)["overrides"] == {"a.b": 1}
        assert store.get_run(old_run)["status"] == "done"
