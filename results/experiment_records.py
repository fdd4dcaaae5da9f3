"""Experiment and sweep records: the part of the run store that sweeps need.

A sweep first records its experiment (name, spec, spec hash) and plans every run of the
design as a ``pending`` row keyed by (sample_index, replication). Running a run marks it
``running``; storing it marks it ``done`` (``RunStore.finish_run``). Re-running the same
sweep finds the rows not yet ``done`` and runs only those: each design point is stored
exactly once, whatever was killed in between.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ifsim.results import schema
from ifsim.results.encoding import seed_text, to_json
from ifsim.results.errors import StoreError
from ifsim.results.schema import RunStatus, utc_now

#: Longest experiment or scenario name a store takes (the width of their columns; SQLite
#: would store any length, PostgreSQL refuses longer ones).
MAX_NAME_LENGTH = 200


def check_name(what: str, name: str) -> None:
    """Refuse an empty name or one longer than ``MAX_NAME_LENGTH`` (one line, every backend).

    Raises:
        StoreError: Naming ``what`` (``experiment``, ``scenario``) and the limit.
    """
    if not isinstance(name, str) or not name.strip():
        raise StoreError(f"{what} name {name!r} is empty; give it a name")
    if len(name) > MAX_NAME_LENGTH:
        raise StoreError(f"{what} name '{name[:40]}...' is {len(name)} characters long; "
                         f"the most a store takes is {MAX_NAME_LENGTH}")


def spec_hash(spec: dict[str, Any]) -> str:
    """SHA-256 of the spec's canonical JSON (sorted keys)."""
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()


class ExperimentRecords:
    """Mixed into RunStore: experiments, planned runs, and resuming."""

    def record_experiment(self, name: str, spec: dict[str, Any]) -> int:
        """Create the experiment, or return the id of the same one already stored.

        Raises:
            StoreError: an experiment of that name exists with a different spec, or the
                name is empty or longer than ``MAX_NAME_LENGTH`` (200) characters.
        """
        check_name("experiment", name)
        digest = spec_hash(spec)
        table = schema.experiments

        def work(conn) -> int:
            row = conn.execute(sa.select(table.c.id, table.c.spec_hash)
                               .where(table.c.name == name)).first()
            if row is not None:
                if row.spec_hash != digest:
                    raise StoreError(
                        f"experiment '{name}' already exists in {self._url} with a "
                        f"different spec; give the changed spec a new [experiment] name "
                        f"(or use another --db) so stored results keep their meaning")
                return int(row.id)
            result = conn.execute(table.insert().values(
                name=name, spec_json=json.dumps(spec, sort_keys=True), spec_hash=digest,
                created_at=utc_now()))
            return int(result.inserted_primary_key[0])

        # Safe to retry even after a fault in COMMIT: a second try finds the row stored.
        return self._write(f"record experiment {name}", work)

    def get_experiment(self, key: str | int) -> dict[str, Any]:
        """The experiment (by name, or by id) with its id, name, spec and creation time."""
        table = schema.experiments
        column = table.c.id if isinstance(key, int) else table.c.name
        row = self._read(f"read experiment {key}", lambda conn: conn.execute(
            sa.select(table).where(column == key)).mappings().first())
        if row is None:
            what = f"with id {key}" if isinstance(key, int) else f"named '{key}'"
            raise StoreError(f"no experiment {what} in {self._url}")
        record = dict(row)
        record["spec"] = json.loads(record.pop("spec_json"))
        return record

    def list_experiments(self) -> pd.DataFrame:
        """All experiments: id, name, created_at, and run counts by status."""
        e, r = schema.experiments, schema.runs
        query = (sa.select(e.c.id, e.c.name, e.c.created_at, r.c.status,
                           sa.func.count(r.c.id).label("n"))
                 .select_from(e.outerjoin(r, r.c.experiment_id == e.c.id))
                 .group_by(e.c.id, e.c.name, e.c.created_at, r.c.status).order_by(e.c.id))
        rows = self._read("list experiments", lambda conn: conn.execute(query).all())
        frame = pd.DataFrame(rows, columns=["id", "name", "created_at", "status", "n"])
        return frame

    def plan_runs(self, experiment_id: int, planned: list[dict[str, Any]],
                  ifsim_version: str, host: str) -> int:
        """Insert pending rows for design points not yet recorded; return how many.

        Each planned dict has ``sample_index``, ``replication``, ``scenario``, ``params``,
        ``factors``, ``seed`` and ``steps``.
        """
        for scenario in {p["scenario"] for p in planned}:
            check_name("scenario", scenario)
        runs = schema.runs

        def work(conn) -> int:
            have = {(r.sample_index, r.replication) for r in conn.execute(
                sa.select(runs.c.sample_index, runs.c.replication)
                .where(runs.c.experiment_id == experiment_id))}
            rows = [{
                "experiment_id": experiment_id, "sample_index": p["sample_index"],
                "replication": p["replication"], "scenario": p["scenario"],
                "params_json": to_json(p["params"]), "factors_json": to_json(p["factors"]),
                "seed": seed_text(p["seed"]), "steps": int(p["steps"]),
                "status": RunStatus.PENDING.value, "ifsim_version": ifsim_version,
                "host": host, "attempts": 0,
            } for p in planned if (p["sample_index"], p["replication"]) not in have]
            if rows:
                conn.execute(runs.insert(), rows)
            return len(rows)

        # Safe to retry even after a fault in COMMIT: a second try finds the rows stored
        # (and the unique design-point key could not take them twice).
        return self._write("plan runs", work)

    def experiment_runs(self, experiment_id: int) -> pd.DataFrame:
        """Every run of an experiment, ordered by (sample_index, replication)."""
        runs = schema.runs
        query = (sa.select(runs).where(runs.c.experiment_id == experiment_id)
                 .order_by(runs.c.sample_index, runs.c.replication))
        rows = self._read("list experiment runs", lambda conn: conn.execute(query).all())
        frame = pd.DataFrame(rows, columns=list(runs.c.keys()))
        frame["seed"] = pd.Series([int(s) for s in frame["seed"]], dtype=object)
        return frame

    def mark_running(self, run_ids: int | list[int], *, host: str, ifsim_version: str,
                     git_commit: str | None) -> None:
        """Workers are about to run these records: status running, one more attempt each.

        This process (host and pid) is recorded as the one running them, so that runs it
        leaves ``running`` when killed are found by ``stale_runs``.
        """
        ids = [run_ids] if isinstance(run_ids, int) else list(run_ids)
        if not ids:
            return
        runs = schema.runs

        def work(conn) -> None:
            conn.execute(sa.update(runs).where(runs.c.id.in_(ids)).values(
                status=RunStatus.RUNNING.value, started_at=utc_now(), ended_at=None,
                error=None, host=host, ifsim_version=ifsim_version, git_commit=git_commit,
                attempts=sa.func.coalesce(runs.c.attempts, 0) + 1))
            self._record_process(conn, ids)

        # A retry after a fault in COMMIT counts one attempt more than were made; the
        # runs themselves are unaffected.
        self._write("mark runs running", work)

    def set_snapshot_path(self, run_id: int, path: str) -> None:
        """Point the run record at its per-agent snapshot (a folder of Parquet files)."""
        runs = schema.runs
        self._write(f"record snapshot of run {run_id}", lambda conn: conn.execute(
            sa.update(runs).where(runs.c.id == run_id).values(snapshot_path=path)))

    def add_late_columns(self) -> None:
        """Give a store made by an older ifsim the ``runs`` columns added since."""

        def work(conn) -> None:
            present = {c["name"] for c in sa.inspect(conn).get_columns("runs")}
            for name in schema.LATE_RUN_COLUMNS:
                if name not in present:
                    column = schema.runs.c[name]
                    kind = column.type.compile(dialect=conn.dialect)
                    conn.execute(sa.text(f'ALTER TABLE runs ADD COLUMN "{name}" {kind}'))

        self._write("upgrade the runs table", work, tries=1)
