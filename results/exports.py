"""Tables of stored results for use outside ifsim: time series, events and outcomes.

Each function reads the run store and returns a tidy frame ready for
:func:`write_table` (CSV or Parquet): time series and events carry a ``date`` column
besides the week number (``step``), from each run's own ``world.start_date``
(:mod:`ifsim.results.calendar`), so runs that start on different dates line up on the
calendar. Only runs whose status is ``done`` have stored results.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ifsim.results.calendar import start_date_of, week_dates
from ifsim.results.schema import RunStatus
from ifsim.results.store import RunStore

#: What ``ifsim export`` can write.
TABLES = ("timeseries", "events", "outcomes")
FORMATS = ("csv", "parquet")


class ExportError(ValueError):
    """What was asked for cannot be exported (no such runs, not done yet, ...).

    The message is one line naming the run or experiment and the problem.
    """


def done_run_ids(store: RunStore, run_id: int | None = None,
                 experiment: str | None = None) -> list[int]:
    """The ids, ascending, of the done runs selected: one run, an experiment's, or all.

    Raises:
        StoreError: If the run or experiment does not exist or the read fails.
        ExportError: If the run is not done, or nothing selected is done.
    """
    if run_id is not None:
        record = store.get_run(run_id)
        if record["status"] != RunStatus.DONE.value:
            raise ExportError(f"run {run_id} is {record['status']}; only done runs have "
                              f"stored results")
        return [int(run_id)]
    if experiment is not None:
        store.get_experiment(experiment)  # names a missing experiment
    runs = store.find_runs(experiment=experiment, status=RunStatus.DONE.value)
    if runs.empty:
        where = f"experiment '{experiment}'" if experiment is not None else store.url
        raise ExportError(f"no done runs in {where}; nothing to export")
    return sorted(int(i) for i in runs["id"])


def timeseries_table(store: RunStore, run_ids: Sequence[int],
                     experiment: str | None = None) -> pd.DataFrame:
    """One row per run and week: ``run_id``, ``step``, ``date`` and every metric.

    Args:
        store: The run store.
        run_ids: The runs to read (done runs; others have no rows).
        experiment: The experiment the runs belong to, if any: then each run's
            ``sample_index`` and ``replication`` come after ``run_id``.

    Returns:
        The frame of :meth:`RunStore.timeseries_of_runs` with ``date`` (datetime64, the
        run's ``world.start_date`` plus 7 days per step) after ``step``.
    """
    frame = store.timeseries_of_runs(run_ids)
    frame.insert(2, "date", _dates(store, frame))
    return frame if experiment is None else _with_design(store, frame, experiment)


def events_table(store: RunStore, run_ids: Sequence[int],
                 experiment: str | None = None) -> pd.DataFrame:
    """Every event of the runs: ``run_id``, ``step``, ``date``, ``kind``, ``agent``,
    ``cause``, ``amount_cents`` and ``detail`` (``sample_index`` and ``replication``
    after ``run_id`` if ``experiment`` is given), by run and in the order logged."""
    frame = store.events_of_runs(run_ids)
    frame.insert(2, "date", _dates(store, frame))
    return frame if experiment is None else _with_design(store, frame, experiment)


def outcomes_table(store: RunStore, experiment: str) -> pd.DataFrame:
    """One row per done run of an experiment: its place in the design, its factors and
    its outcomes at the last step (:func:`ifsim.results.analysis.outcomes_frame`), the
    seed as an unsigned 64-bit integer.

    Raises:
        StoreError: If there is no such experiment.
        ExportError: If none of its runs is done.
    """
    from ifsim.results.analysis import outcomes_frame

    frame = outcomes_frame(store, experiment)
    if frame.empty:
        raise ExportError(f"no done runs in experiment '{experiment}'; nothing to export")
    frame["seed"] = pd.Series([int(s) for s in frame["seed"]], dtype="uint64",
                              index=frame.index)
    return frame


def write_table(frame: pd.DataFrame, path: str | Path, fmt: str) -> Path:
    """Write ``frame`` as CSV or Parquet (no index), creating the folder; return the path.

    Columns of mixed Python types (e.g. a factor whose levels are numbers and strings)
    are written to Parquet as text, since a Parquet column has one type.

    Raises:
        ExportError: If ``fmt`` is unknown or the file cannot be written.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r} (known: {', '.join(FORMATS)})")
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            frame.to_csv(target, index=False)
        else:
            _parquet_ready(frame).to_parquet(target, index=False)
    except OSError as exc:
        raise ExportError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target


def _dates(store: RunStore, frame: pd.DataFrame) -> np.ndarray:
    """Each row's calendar date, from its run's start date and its step."""
    dates = np.full(len(frame), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    if frame.empty:
        return dates
    params = store.run_params(frame["run_id"].unique().tolist())
    steps = frame["step"].to_numpy(dtype="float64")
    for run_id, rows in frame.groupby("run_id", sort=False).indices.items():
        start = start_date_of(params.get(int(run_id)))
        dates[rows] = week_dates(start, steps[rows]).to_numpy(dtype="datetime64[ns]")
    return dates


def _with_design(store: RunStore, frame: pd.DataFrame, experiment: str) -> pd.DataFrame:
    runs = store.find_runs(experiment=experiment)
    places = runs.set_index("id")[["sample_index", "replication"]]
    for offset, column in enumerate(("sample_index", "replication"), start=1):
        values = frame["run_id"].map(places[column]).astype("Int64")
        frame.insert(offset, column, values)
    return frame


def _parquet_ready(frame: pd.DataFrame) -> pd.DataFrame:
    import pyarrow as pa

    out = frame.copy()
    for column in out.columns:
        if out[column].dtype != object:
            continue
        try:
            pa.array(out[column].tolist(), from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            out[column] = [None if v is None else str(v) for v in out[column]]
    return out
