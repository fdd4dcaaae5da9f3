"""A PostgreSQL restart in the middle of a sweep does not stop it (issue 10, item 4).

Needs CI's throwaway server: IFSIM_TEST_PG_URL names it and IFSIM_TEST_PG_CTL is its
``pg_ctl`` command (see .ci/postgres.sh), to which the test appends ``restart`` and
``stop``/``start``. The sweep meets both kinds of fault: pooled connections the restart
has closed (found by the ping before use) and a server refusing connections for a few
seconds while it is down (retried with backoff). It must finish with every design point
stored exactly once, with the same results as the same sweep on SQLite.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from ifsim.results import RunStore
from ifsim.results.schema import metadata

PG_URL = os.environ.get("IFSIM_TEST_PG_URL")
PG_CTL = os.environ.get("IFSIM_TEST_PG_CTL")

pytestmark = pytest.mark.skipif(not (PG_URL and PG_CTL),
                                reason="needs IFSIM_TEST_PG_URL and IFSIM_TEST_PG_CTL "
                                       "(.ci/postgres.sh)")

TINY_SCENARIO = """
[scenario]
description = "tiny world for the restart test"
[world]
n_investors = 150
n_borrowers = 80
n_platforms = 4
"""

SPEC = """
[experiment]
name = "restart"
scenario = "tiny.toml"
steps = 40
replications = 1
seed = 7
[design]
kind = "lhs"
samples = 40
[factors]
"borrower.apply_prob_weekly" = { low = 0.02, high = 0.06 }
"macro.default_correlation" = { low = 0.0, high = 0.3 }
[outcomes]
names = ["platforms_alive", "investor_losses_cents", "arrears_rate"]
"""


def pg_ctl(*args: str) -> None:
    subprocess.run([*shlex.split(PG_CTL or ""), *args], cwd="/", check=True, timeout=120,
                   capture_output=True)


def sweep(cwd: Path, db: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ifsim.experiments.cli", "sweep",
                             "restart.toml", "--workers", "2", "--db", db, "--json"],
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def done_runs(engine: sa.Engine) -> int:
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(
                "SELECT count(*) FROM runs WHERE status = 'done'")).scalar() or 0)
    except sa.exc.SQLAlchemyError:
        return 0


def wait_for(engine: sa.Engine, done: int, child: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while done_runs(engine) < done:
        assert child.poll() is None, "the sweep ended before the restart"
        assert time.monotonic() < deadline, f"fewer than {done} runs done in 300 s"
        time.sleep(0.1)


def stored(url: str) -> pd.DataFrame:
    """Per design point: status, attempts, rows of time series and events, summary."""
    with RunStore(url, read_only=True) as store:
        runs = store.experiment_runs(store.get_experiment("restart")["id"])
        with store.reading("count rows") as conn:
            series = dict(conn.execute(sa.text(
                "SELECT run_id, count(*) FROM timeseries GROUP BY run_id")).all())
            events = dict(conn.execute(sa.text(
                "SELECT run_id, count(*) FROM events GROUP BY run_id")).all())
    runs["series_rows"] = [series.get(run_id, 0) for run_id in runs["id"]]
    runs["event_rows"] = [events.get(run_id, 0) for run_id in runs["id"]]
    return runs.set_index(["sample_index", "replication"]).sort_index()[
        ["status", "series_rows", "event_rows", "summary_json", "seed"]]


def test_a_sweep_survives_postgresql_restarts(tmp_path: Path) -> None:
    (tmp_path / "tiny.toml").write_text(TINY_SCENARIO)
    (tmp_path / "restart.toml").write_text(SPEC)
    engine = sa.create_engine(PG_URL, poolclass=NullPool,
                              connect_args={"connect_timeout": 2})
    metadata.drop_all(engine)

    child = sweep(tmp_path, PG_URL)
    try:
        wait_for(engine, 3, child)
        pg_ctl("restart", "-w", "-m", "fast")  # every pooled connection is now dead
        wait_for(engine, 12, child)
        pg_ctl("stop", "-w", "-m", "fast")  # refused for a while: writes must wait
        time.sleep(4)
        assert child.poll() is None, "the sweep stopped while the server was down"
        pg_ctl("start", "-w")
        out, err = child.communicate(timeout=600)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
        if subprocess.run([*shlex.split(PG_CTL or ""), "status"], cwd="/",
                          capture_output=True).returncode != 0:
            pg_ctl("start", "-w")
        engine.dispose()

    assert child.returncode == 0, err
    assert "retrying" in err  # the faults were met, and survived
    assert '"runs_done": 40' in out and '"runs_failed": 0' in out

    reference = tmp_path / "reference.sqlite"
    check = subprocess.run([sys.executable, "-m", "ifsim.experiments.cli", "sweep",
                            "restart.toml", "--workers", "2", "--db",
                            f"sqlite:///{reference}"],
                           cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert check.returncode == 0, check.stderr
    on_postgres, on_sqlite = stored(PG_URL), stored(f"sqlite:///{reference}")
    assert len(on_postgres) == 40 and (on_postgres["status"] == "done").all()
    assert (on_postgres["series_rows"] > 0).all()
    # exactly once: no run's rows doubled by a retried write, and the same results
    pd.testing.assert_frame_equal(on_postgres, on_sqlite)
