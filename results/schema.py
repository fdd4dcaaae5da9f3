"""Tables of the run store (SQLAlchemy 2 Core), portable between SQLite and PostgreSQL.

The ``timeseries`` table is deliberately created with only its key columns: the set of
model-level metrics grows as the model does, so :class:`ifsim.results.store.RunStore` adds one
column per metric the first time a run reports it, rather than fixing the set here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)


class RunStatus(StrEnum):
    """Life cycle of a run record: a sweep resumes by skipping ``DONE`` runs."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def utc_now() -> datetime:
    """Return the current time as a timezone-aware UTC datetime."""
    return datetime.now(UTC)


# SQLite only auto-increments a column declared exactly "INTEGER PRIMARY KEY", so the
# 64-bit key (events can number in the billions on PostgreSQL) falls back to INTEGER there.
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), unique=True, nullable=False),
    Column("spec_json", Text),
    Column("spec_hash", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False, default=utc_now),
)

runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id"), nullable=True),
    Column("scenario", String(200), nullable=False),
    Column("params_json", Text, nullable=False),
    # Seeds span the full uint64 range, which no portable SQL integer type holds.
    Column("seed", String(32), nullable=False),
    Column("steps", Integer, nullable=False),
    Column("status", String(16), nullable=False, default=RunStatus.PENDING.value),
    Column("ifsim_version", String(64), nullable=False),
    Column("git_commit", String(64), nullable=True),
    Column("host", String(255), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=True),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Column("wall_seconds", Float, nullable=True),
    Column("error", Text, nullable=True),
    Column("summary_json", Text, nullable=True),
    Column("snapshot_path", String(1024), nullable=True),
    # Place of the run in its experiment's design, so analysis can rebuild the sample
    # matrix in order and a resumed sweep can find what is left (see experiment_records).
    Column("sample_index", Integer, nullable=True),
    Column("replication", Integer, nullable=True),
    Column("factors_json", Text, nullable=True),
    Column("attempts", Integer, nullable=True),
    # The `--set` overrides of an `ifsim run`, {"section.name": value} as run (canonical
    # JSON), so labels say what ran; NULL where none were recorded (sweeps, older runs).
    Column("overrides_json", Text, nullable=True),
    CheckConstraint(
        "status IN (" + ", ".join(f"'{s.value}'" for s in RunStatus) + ")",
        name="ck_runs_status",
    ),
    Index("ix_runs_experiment_status", "experiment_id", "status"),
    # one record per design point and replication: a resumed sweep cannot store twice
    UniqueConstraint("experiment_id", "sample_index", "replication",
                     name="uq_runs_design_point"),
)

#: Columns added to ``runs`` after the first release; opened stores gain them if missing.
LATE_RUN_COLUMNS = ("sample_index", "replication", "factors_json", "attempts",
                    "overrides_json")

timeseries = Table(
    "timeseries",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True),
    Column("step", Integer, primary_key=True, autoincrement=False),
)

events = Table(
    "events",
    metadata,
    Column("id", _BIG_ID, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("runs.id"), nullable=False),
    Column("step", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("agent", String(64), nullable=False),
    Column("cause", String(64), nullable=False),
    Column("amount_cents", BigInteger, nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_events_run_id", "run_id"),
)

# The process that last started each run (``start_run``, ``mark_running``), so that a run
# left ``running`` by a process that has since died can be told from one still computing
# (``RunStore.stale_runs``). A table of its own rather than ``runs`` columns: stores made
# before it stay readable by read-only commands, which add nothing to a store.
run_processes = Table(
    "run_processes",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id"), primary_key=True, autoincrement=False),
    Column("host", String(255), nullable=False),
    Column("pid", BigInteger, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

#: Tables a database must hold to be an ifsim store (``run_processes`` came later and
#: may be missing from an older store opened read-only).
STORE_TABLES = ("experiments", "runs", "timeseries", "events")

#: Columns of ``timeseries`` that are keys, not metrics.
TIMESERIES_KEYS = ("run_id", "step")

#: Columns an events DataFrame passed to the store may carry, in stored order.
EVENT_COLUMNS = ("step", "kind", "agent", "cause", "amount_cents", "detail")
