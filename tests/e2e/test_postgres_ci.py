"""CI must test the run store on PostgreSQL, not only on SQLite.

``.ci/run`` starts a throwaway PostgreSQL server and names it in IFSIM_TEST_PG_URL, which
adds the ``[postgresql]`` cases to tests/unit/test_store.py. Without the variable those
cases simply do not exist, so a CI that silently lost its server would still pass; with
CI=true this test fails instead. Elsewhere it makes the same round trip on SQLite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from ifsim.results import RunStore


def test_ci_round_trips_a_run_through_postgresql(tmp_path: Path) -> None:
    in_ci = os.environ.get("CI") == "true"
    if in_ci:
        url = os.environ.get("IFSIM_TEST_PG_URL")
        assert url, "CI=true but IFSIM_TEST_PG_URL is not set: .ci/run must start PostgreSQL"
    else:
        url = RunStore.sqlite_url(tmp_path)
    timeseries = pd.DataFrame({"step": [0, 1], "platforms_alive": [2, 1]}, dtype="int64")
    events = pd.DataFrame(
        {"step": [1], "kind": ["failure"], "agent": ["platform_0"], "cause": ["run"]}
    )

    with RunStore(url) as store:
        assert store.engine.dialect.name == ("postgresql" if in_ci else "sqlite")
        run_id = store.start_run(scenario="baseline", params={"n_platforms": 2}, seed=11,
                                 steps=2, ifsim_version="test", git_commit=None, host="ci")
        store.finish_run(run_id, timeseries=timeseries, events=events,
                         summary={"platforms_alive": 1}, wall_seconds=0.5)
        run = store.get_run(run_id)
        stored = store.timeseries(run_id)

    assert run["status"] == "done"
    assert run["seed"] == 11
    assert run["summary"] == {"platforms_alive": 1}
    pd.testing.assert_frame_equal(stored, timeseries)
