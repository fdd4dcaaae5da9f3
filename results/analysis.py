"""Analysis of a stored experiment: tidy frames, confidence intervals, sensitivity indices.

Every function here is a pure function of the run store and an experiment's name: it
reads what a sweep stored (the spec, one ``runs`` row per design point and replication,
their time series and events) and never the model. Only runs whose status is ``done``
count. An outcome's value for a run is its metric at the run's last stored step.

Sensitivity indices come from SALib (Herman & Usher 2017, doi:10.21105/joss.00097):
first-order and total Sobol' indices estimated from Saltelli's sample (Saltelli et al.
2010, doi:10.1016/j.cpc.2009.09.018), and Morris elementary effects with the mu* of
Campolongo, Cariboni & Saltelli (2007, doi:10.1016/j.envsoft.2006.10.004). Their inputs
are the per-sample means over replications, in sample order.

Every resampling is seeded from the experiment's stored root seed through
:func:`ifsim.results.stats.resampling_seed` (seed 0 included), so the same stored experiment
always gives the same intervals. Intervals of outcomes with natural bounds (rates and
shares in [0, 1], money >= 0, platforms alive between 0 and the world's count; see
:func:`natural_bounds`) are clipped to them, proportions (boolean columns) get Wilson
intervals, and every interval or index resting on a small sample says so in a
``small_sample`` column (thresholds in :mod:`ifsim.results.stats`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ifsim.results import schema
from ifsim.results.schema import RunStatus
from ifsim.results.stats import (
    MORRIS_MIN_TRAJECTORIES,
    SMALL_SAMPLE_N,
    SOBOL_MIN_BASE_SAMPLES,
    UNBOUNDED,
    Bounds,
    clip_to_bounds,
    resampling_seed,
    wilson_interval,
)
from ifsim.results.store import RunStore

#: Columns of :func:`outcomes_frame` before the factor and outcome columns.
RUN_KEYS = ("run_id", "sample_index", "replication", "seed")
#: Columns of :func:`mean_ci` after the grouping columns.
CI_COLUMNS = ("variable", "mean", "std", "n", "ci_low", "ci_high", "small_sample")
SOBOL_COLUMNS = ("outcome", "factor", "S1", "S1_conf", "ST", "ST_conf", "small_sample")
MORRIS_COLUMNS = ("outcome", "factor", "mu_star", "mu_star_conf", "sigma", "mu",
                  "small_sample")
#: Counts of agents in business, and the parameter (dotted name) that sets how many exist.
CAPACITIES = {"platforms_alive": "world.n_platforms",
              "guarantors_alive": "guarantor.n_guarantors"}
EVENT_FRAME_COLUMNS = ("run_id", "sample_index", "replication", *schema.EVENT_COLUMNS)

_DONE = RunStatus.DONE.value
_LONG_KEYS = ("run_id", "sample_index", "replication", "step")
_CONF_LEVEL = 0.95
_RESAMPLES = 100
_DEFAULT_MORRIS_LEVELS = 4
_SMALL = "small sample:"  # how notes about small samples begin


class AnalysisError(ValueError):
    """A stored experiment cannot be analysed as asked.

    The message names the experiment and what is wrong (the design, the runs not yet
    done, an outcome that was never stored), fit to show a user as it is.
    """


def salib_problem(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The SALib problem of a sampled design: its factors and their ranges.

    Factors are taken in sorted name order. The stored spec is canonical JSON with sorted
    keys, so sorting here gives the sweep runner (which samples from the spec it loaded)
    and the analysis (which reads it back) the same order whatever order the spec file
    listed the factors in; the order decides which Saltelli block varies which factor.

    Args:
        spec: A normalized experiment spec with a ``factors`` table of ranges
            ``{"low": ..., "high": ...}``.

    Returns:
        ``{"num_vars": D, "names": [...], "bounds": [[low, high], ...]}``.

    Raises:
        AnalysisError: If there are no factors, or a factor has levels instead of a range,
            or a range that is not low < high.
    """
    name = _experiment_name(spec)
    factors = spec.get("factors") or {}
    if not factors:
        raise AnalysisError(f"experiment {name!r} has no factors to sample")
    names = sorted(factors)
    bounds = []
    for factor in names:
        domain = factors[factor]
        if not isinstance(domain, Mapping) or "low" not in domain or "high" not in domain:
            raise AnalysisError(
                f"experiment {name!r}: factor {factor!r} needs a range {{low, high}} for a "
                f"sampled design, got {domain!r}")
        low, high = float(domain["low"]), float(domain["high"])
        if not low < high:
            raise AnalysisError(
                f"experiment {name!r}: factor {factor!r} has low {low} not below high {high}")
        bounds.append([low, high])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def outcomes_frame(store: RunStore, experiment: str) -> pd.DataFrame:
    """One row per done run: its place in the design, its factors and its outcomes.

    The outcome values are read in one query for the whole experiment (the last step of
    each run found with ``max(step)``), so a sweep of thousands of runs loads in seconds.

    Args:
        store: The run store.
        experiment: The experiment's name.

    Returns:
        Columns ``run_id``, ``sample_index``, ``replication``, ``seed`` (Python ints, as
        seeds exceed int64), one column per factor (the design's raw value) and one per
        spec outcome (NaN where a run did not report it at its last step), ordered by
        (sample_index, replication).

    Raises:
        StoreError: If there is no such experiment or the read fails.
        AnalysisError: If an outcome is not a stored metric although runs are done.
    """
    return _load(store, experiment).runs


def timeseries_long(store: RunStore, experiment: str,
                    metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Every done run's time series as a long frame, one row per run, step and metric.

    Args:
        store: The run store.
        experiment: The experiment's name.
        metrics: Metrics to read; the spec's outcomes by default.

    Returns:
        Columns ``run_id``, ``sample_index``, ``replication``, ``step``, ``metric`` and
        ``value`` (float), ordered by metric, run and step; steps at which a run did not
        report a metric are left out.

    Raises:
        StoreError: If there is no such experiment or the read fails.
        AnalysisError: If a metric is not stored although runs are done.
    """
    record = store.get_experiment(experiment)
    names = list(dict.fromkeys(_outcome_names(record["spec"]) if metrics is None else metrics))
    runs = schema.runs
    with store.reading(f"read the time series of experiment {experiment}") as conn:
        if _done_count(conn, record["id"]) == 0:
            return _empty_long()
        _check_metrics(conn, experiment, names)
        view = _timeseries_view(names)
        query = (sa.select(runs.c.id, runs.c.sample_index, runs.c.replication, view.c.step,
                           *(view.c[name] for name in names))
                 .select_from(view.join(runs, runs.c.id == view.c.run_id))
                 .where(runs.c.experiment_id == record["id"], runs.c.status == _DONE)
                 .order_by(runs.c.id, view.c.step))
        rows = conn.execute(query).all()
    if not rows or not names:
        return _empty_long()
    columns = list(zip(*rows, strict=True))
    keys = {key: _int_series(column).array
            for key, column in zip(_LONG_KEYS, columns, strict=False)}
    parts = []
    for name, column in zip(names, columns[len(_LONG_KEYS):], strict=True):
        values = np.asarray(column, dtype="float64")  # None (not reported) becomes NaN
        kept = ~np.isnan(values)
        parts.append(pd.DataFrame({**{key: array[kept] for key, array in keys.items()},
                                   "metric": name, "value": values[kept]}))
    return pd.concat(parts, ignore_index=True)


def events_frame(store: RunStore, experiment: str) -> pd.DataFrame:
    """The event logs of every done run, in the order they were logged.

    Returns:
        Columns ``run_id``, ``sample_index``, ``replication``, ``step``, ``kind``,
        ``agent``, ``cause``, ``amount_cents`` (nullable Int64) and ``detail``.

    Raises:
        StoreError: If there is no such experiment or the read fails.
    """
    record = store.get_experiment(experiment)
    runs, events = schema.runs, schema.events
    query = (sa.select(events.c.run_id, runs.c.sample_index, runs.c.replication,
                       *(events.c[name] for name in schema.EVENT_COLUMNS))
             .select_from(events.join(runs, runs.c.id == events.c.run_id))
             .where(runs.c.experiment_id == record["id"], runs.c.status == _DONE)
             .order_by(events.c.run_id, events.c.id))
    with store.reading(f"read the events of experiment {experiment}") as conn:
        rows = conn.execute(query).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(EVENT_FRAME_COLUMNS)
    data = dict(zip(EVENT_FRAME_COLUMNS, columns, strict=True))
    frame = pd.DataFrame({name: list(values) for name, values in data.items()})
    for name in ("run_id", "sample_index", "replication", "step"):
        frame[name] = _int_series(list(data[name]))
    frame["amount_cents"] = pd.Series(list(data["amount_cents"]), dtype="Int64")
    for name in ("kind", "agent", "cause", "detail"):
        frame[name] = frame[name].astype(object)
    return frame


def mean_ci(frame: pd.DataFrame, value_columns: str | Sequence[str],
            by: str | Sequence[str] | None = None, level: float = 0.95,
            bounds: Bounds | Mapping[str, Bounds] | None = None) -> pd.DataFrame:
    """Mean, standard deviation and confidence interval of each value column.

    The interval is Student's t, mean ± t(1 - (1 - level)/2, n - 1) · s / √n with s the
    sample standard deviation (ddof 1), the usual interval for the mean of independent
    replications, clipped to the column's ``bounds`` (clipping only drops values the
    quantity cannot take, e.g. a negative loss). A boolean column is a proportion and gets
    the Wilson score interval instead (Wilson 1927; :func:`ifsim.results.stats.wilson_interval`),
    which stays in [0, 1]. Missing values are left out of n. A group of one value has a
    NaN standard deviation and interval (Wilson's interval is defined from one trial on).

    Args:
        frame: Tidy data, e.g. from :func:`outcomes_frame`.
        value_columns: The column or columns to summarize.
        by: Column or columns to group by (e.g. the factor columns, ``sample_index`` or
            ``step``); all rows form one group if None.
        level: Confidence level, in (0, 1).
        bounds: ``(low, high)`` limits (None for no limit) for every value column, or a
            mapping from column name to its limits (columns not named are unbounded);
            :func:`outcome_bounds` gives an experiment's.

    Returns:
        Columns: the ``by`` columns, then ``variable`` (the value column's name), ``mean``,
        ``std``, ``n``, ``ci_low``, ``ci_high`` and ``small_sample`` (n below
        :data:`ifsim.results.stats.SMALL_SAMPLE_N`); one row per value column and group.

    Raises:
        ValueError: If ``level`` is not in (0, 1) or a column is missing.
    """
    values = [value_columns] if isinstance(value_columns, str) else list(value_columns)
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    if not 0.0 < level < 1.0:
        raise ValueError(f"confidence level must be in (0, 1), got {level!r}")
    missing = [c for c in [*values, *keys] if c not in frame.columns]
    if missing:
        raise ValueError(f"columns {missing} are not in the frame (it has {list(frame.columns)})")
    parts = [_summary(frame, column, keys) for column in values]
    if not parts:
        return pd.DataFrame(columns=[*keys, *CI_COLUMNS])
    table = pd.concat(parts, ignore_index=True).rename(columns={"count": "n"})
    table["n"] = table["n"].astype("int64")
    half = _half_width(table["std"].to_numpy(dtype="float64"), table["n"].to_numpy(), level)
    table["ci_low"] = table["mean"] - half
    table["ci_high"] = table["mean"] + half
    for column in values:
        rows = (table["variable"] == column).to_numpy()
        if pd.api.types.is_bool_dtype(frame[column]):
            _wilson_rows(table, rows, level)
        else:
            limits = _bounds_of(bounds, column)
            for side in ("ci_low", "ci_high"):
                table.loc[rows, side] = clip_to_bounds(table.loc[rows, side].to_numpy(), limits)
    table["small_sample"] = table["n"] < SMALL_SAMPLE_N
    return table[[*keys, *CI_COLUMNS]]


def natural_bounds(name: str, capacity: float | None = None) -> Bounds:
    """The range an outcome cannot leave, read from its name (the one rule used everywhere).

    - a name with a ``net`` part (``fund_net_outflow_share``) is a signed net flow:
      unbounded;
    - ``*_rate`` and ``*_share``: a share of something, in [0, 1];
    - ``*_cents``: money stocks and gross flows (losses, deposits, lending): >= 0;
    - ``*_alive``: agents in business, in [0, capacity] (``capacity`` is the world's count
      of such agents, see :data:`CAPACITIES`; >= 0 when it is not known);
    - anything else (yields, factors, validation outputs): unbounded.

    Returns:
        ``(low, high)``, None where unbounded.
    """
    parts = str(name).split("_")
    if "net" in parts:
        return UNBOUNDED
    if parts[-1] in ("rate", "share"):
        return (0.0, 1.0)
    if parts[-1] == "cents":
        return (0.0, None)
    if parts[-1] == "alive":
        return (0.0, None if capacity is None else float(capacity))
    return UNBOUNDED


def outcome_bounds(store: RunStore, experiment: str) -> dict[str, Bounds]:
    """Each spec outcome's :func:`natural_bounds`, with the world's agent counts as caps.

    The count of platforms (or guarantors) comes from the parameters stored with the
    experiment's first planned run, or the top of its factor range if it is a factor.

    Raises:
        StoreError: If there is no such experiment or the read fails.
    """
    record = store.get_experiment(experiment)
    with store.reading(f"read the parameters of experiment {experiment}") as conn:
        return _outcome_bounds(conn, record["id"], record["spec"])


def sobol_indices(store: RunStore, experiment: str, seed: int | None = None) -> pd.DataFrame:
    """First-order and total Sobol' indices of each outcome for each factor.

    Args:
        store: The run store.
        experiment: The name of an experiment with a ``sobol`` design, all runs done.
        seed: Root of SALib's bootstrap of the confidence intervals; the experiment's
            stored root seed if None. It goes through
            :func:`ifsim.results.stats.resampling_seed`, so every seed (0 too) fixes the
            intervals: the same stored experiment always gives the same ones.

    Returns:
        Columns ``outcome``, ``factor``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (the
        ``_conf`` columns are 95% bootstrap half-widths) and ``small_sample`` (the base
        sample N is below :data:`ifsim.results.stats.SOBOL_MIN_BASE_SAMPLES`, so estimates may
        even fall outside [0, 1]); NaN indices for an outcome that is the same in every
        run, whose variance there is nothing to apportion. Estimates are SALib's, not
        clipped: an index outside [0, 1] is a visible sign of too small a sample.

    Raises:
        AnalysisError: If the design is not sobol, runs are missing, the stored factor
            values do not follow Saltelli's layout, or an outcome is missing for a sample.
    """
    data = _load(store, experiment)
    return _sobol(data, data.seed if seed is None else seed)


def morris_indices(store: RunStore, experiment: str, seed: int | None = None) -> pd.DataFrame:
    """Morris elementary-effect statistics of each outcome for each factor.

    Elementary effects are per unit of the factor's range scaled to [0, 1], so mu* of
    different factors compare directly; they are in the outcome's stored unit.

    Args:
        store: The run store.
        experiment: The name of an experiment with a ``morris`` design, all runs done.
        seed: Root of SALib's bootstrap of the mu* confidence intervals; the experiment's
            stored root seed if None (through :func:`ifsim.results.stats.resampling_seed`).

    Returns:
        Columns ``outcome``, ``factor``, ``mu_star``, ``mu_star_conf`` (95% bootstrap
        half-width), ``sigma``, ``mu`` and ``small_sample`` (fewer trajectories than
        :data:`ifsim.results.stats.MORRIS_MIN_TRAJECTORIES`).

    Raises:
        AnalysisError: If the design is not morris, runs are missing, or an outcome or a
            factor value is missing for a sample.
    """
    data = _load(store, experiment)
    return _morris(data, data.seed if seed is None else seed)


def run_counts(store: RunStore, experiment: str) -> dict[str, int]:
    """How many of the experiment's runs are in each status (every status listed)."""
    record = store.get_experiment(experiment)
    with store.reading(f"count the runs of experiment {experiment}") as conn:
        return _status_counts(conn, record["id"])


def headline(store: RunStore, experiment: str) -> dict[str, Any]:
    """The experiment's headline numbers, ready for ``json.dumps``.

    Returns:
        ``design`` (its kind), ``runs_done``, ``outcomes`` (per outcome over all done
        runs: ``mean``, ``ci_low``, ``ci_high`` at 95% within the outcome's
        :func:`outcome_bounds`, ``std``, ``n`` and ``small_sample``), for factorial
        designs ``design_points`` (the same per design point, with its factor values),
        and for sobol or morris designs ``sobol`` or ``morris``: the index records of
        :func:`sobol_indices` or :func:`morris_indices`, bootstrapped from the
        experiment's root seed. ``small_sample`` is true if any of these rests on a small
        sample, and ``notes`` then says which, in words; indices that cannot be computed
        yet (runs not done) are also replaced by a line in ``notes``. Values are plain
        ints, floats, bools and strings; NaN becomes None.

    Raises:
        StoreError: If there is no such experiment or the read fails.
        AnalysisError: If an outcome is not a stored metric although runs are done.
    """
    data = _load(store, experiment)
    kind = data.design_kind
    result: dict[str, Any] = {"design": kind, "runs_done": len(data.runs)}
    overall = mean_ci(data.runs, data.outcomes, bounds=data.bounds)
    result["outcomes"] = {row.variable: _ci_record(row) for row in overall.itertuples()}
    notes = _interval_notes(overall, "over all done runs")
    if kind == "factorial" and data.outcomes:
        points = mean_ci(data.runs, data.outcomes, by="sample_index", bounds=data.bounds)
        result["design_points"] = _design_points(data, points)
        notes += _interval_notes(points, "per design point")
    if kind in ("sobol", "morris"):
        try:
            table = (_sobol(data, data.seed) if kind == "sobol"
                     else _morris(data, data.seed))
        except AnalysisError as exc:
            notes.append(str(exc))
        else:
            result[kind] = table.to_dict(orient="records")
            notes += sensitivity_notes(data.design_kind, data.design, table)
    result["small_sample"] = any(note.startswith(_SMALL) for note in notes)
    if notes:
        result["notes"] = notes
    return _json_ready(result)


def sensitivity_notes(kind: str, design: Mapping[str, Any], table: pd.DataFrame) -> list[str]:
    """Warnings, in words, for sensitivity indices computed from a small design.

    Args:
        kind: ``sobol`` or ``morris``.
        design: The spec's ``design`` table (its ``samples``: Sobol's base sample N or the
            number of Morris trajectories).
        table: The indices, from :func:`sobol_indices` or :func:`morris_indices`.

    Returns:
        One line starting ``small sample:`` if the indices are flagged, else nothing.
    """
    if table.empty or not bool(table["small_sample"].any()):
        return []
    samples = design.get("samples")
    if kind == "morris":
        return [f"{_SMALL} {samples} Morris trajectories (fewer than "
                f"{MORRIS_MIN_TRAJECTORIES}): mu* and its interval are rough screening "
                f"numbers"]
    outside = sum(int(((table[c] < 0.0) | (table[c] > 1.0)).sum()) for c in ("S1", "ST"))
    where = (f"; {outside} of {2 * len(table)} estimates fall outside [0, 1], which true "
             f"indices cannot" if outside else "")
    return [f"{_SMALL} Sobol base sample N = {samples} (below {SOBOL_MIN_BASE_SAMPLES}): "
            f"the indices and their bootstrap intervals are unreliable{where}"]


def _interval_notes(table: pd.DataFrame, where: str) -> list[str]:
    """One ``small sample:`` line if some interval of ``table`` rests on few values."""
    small = table[table["small_sample"] & (table["n"] > 0)]
    if small.empty:
        return []
    return [f"{_SMALL} {len(small)} of {len(table)} intervals {where} rest on fewer than "
            f"{SMALL_SAMPLE_N} runs (n = {int(small['n'].min())} to "
            f"{int(small['n'].max())}); they are rough"]


# --- Loading ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Experiment:
    """What the analyses need of one experiment, read in one go."""

    name: str
    spec: dict[str, Any]
    factors: list[str]
    outcomes: list[str]
    runs: pd.DataFrame
    counts: dict[str, int]
    bounds: dict[str, Bounds]

    @property
    def design_kind(self) -> str:
        return str((self.spec.get("design") or {}).get("kind", "factorial"))

    @property
    def design(self) -> dict[str, Any]:
        return dict(self.spec.get("design") or {})

    @property
    def replications(self) -> int:
        return int((self.spec.get("experiment") or {}).get("replications", 1))

    @property
    def seed(self) -> int:
        """The experiment's root seed (0 if the spec names none, as the spec loader does)."""
        return int((self.spec.get("experiment") or {}).get("seed") or 0)


def _load(store: RunStore, experiment: str) -> _Experiment:
    record = store.get_experiment(experiment)
    spec = record["spec"]
    factors = list(spec.get("factors") or {})
    outcomes = _outcome_names(spec)
    clash = sorted(set(factors) & {*RUN_KEYS, *outcomes})
    if clash:
        raise AnalysisError(
            f"experiment {experiment!r}: factor names {clash} clash with run or outcome columns")
    with store.reading(f"read the runs of experiment {experiment}") as conn:
        counts = _status_counts(conn, record["id"])
        bounds = _outcome_bounds(conn, record["id"], spec)
        if counts[_DONE]:
            _check_metrics(conn, experiment, outcomes)
            rows = conn.execute(_last_step_query(record["id"], outcomes)).all()
        else:
            rows = []
    return _Experiment(experiment, spec, factors, outcomes,
                       _runs_frame(rows, factors, outcomes), counts, bounds)


def _last_step_query(experiment_id: int, outcomes: list[str]) -> sa.Select:
    runs = schema.runs
    columns = [runs.c.id, runs.c.sample_index, runs.c.replication, runs.c.seed,
               runs.c.factors_json]
    mine = sa.and_(runs.c.experiment_id == experiment_id, runs.c.status == _DONE)
    if not outcomes:
        return sa.select(*columns).where(mine).order_by(
            runs.c.sample_index, runs.c.replication, runs.c.id)
    view = _timeseries_view(outcomes)
    last = (sa.select(view.c.run_id, sa.func.max(view.c.step).label("last_step"))
            .select_from(view.join(runs, runs.c.id == view.c.run_id))
            .where(mine).group_by(view.c.run_id).subquery("last"))
    joined = (runs.outerjoin(last, last.c.run_id == runs.c.id)
              .outerjoin(view, sa.and_(view.c.run_id == last.c.run_id,
                                       view.c.step == last.c.last_step)))
    return (sa.select(*columns, *(view.c[name] for name in outcomes)).select_from(joined)
            .where(mine).order_by(runs.c.sample_index, runs.c.replication, runs.c.id))


def _runs_frame(rows: Sequence[Sequence[Any]], factors: list[str],
                outcomes: list[str]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [()] * (5 + len(outcomes))
    run_id, sample_index, replication, seed, factors_json = columns[:5]
    frame = pd.DataFrame({
        "run_id": _int_series(list(run_id)),
        "sample_index": _int_series(list(sample_index)),
        "replication": _int_series(list(replication)),
        "seed": pd.Series([int(s) for s in seed], dtype=object),
    })
    decoded = [json.loads(text) if text else {} for text in factors_json]
    for factor in factors:
        frame[factor] = pd.Series([values.get(factor) for values in decoded],
                                  dtype=None if decoded else "float64")
    for name, values in zip(outcomes, columns[5:], strict=True):
        series = pd.Series(list(values), dtype=None if values else "float64")
        frame[name] = series.astype("float64") if series.dtype == object else series
    return frame


def _timeseries_view(metrics: Sequence[str]) -> sa.TableClause:
    """``timeseries`` with just the given metric columns (the table grows them at run time)."""
    return sa.table(schema.timeseries.name, sa.column("run_id"), sa.column("step"),
                    *(sa.column(name) for name in dict.fromkeys(metrics)))


def _check_metrics(conn: Connection, experiment: str, metrics: Sequence[str]) -> None:
    present = {c["name"] for c in sa.inspect(conn).get_columns(schema.timeseries.name)}
    present -= set(schema.TIMESERIES_KEYS)
    unknown = [name for name in metrics if name not in present]
    if unknown:
        raise AnalysisError(
            f"experiment {experiment!r}: {', '.join(map(repr, unknown))} not among the stored "
            f"metrics ({', '.join(sorted(present)) or 'none'})")


def _status_counts(conn: Connection, experiment_id: int) -> dict[str, int]:
    runs = schema.runs
    query = (sa.select(runs.c.status, sa.func.count(runs.c.id))
             .where(runs.c.experiment_id == experiment_id).group_by(runs.c.status))
    counts = {status.value: 0 for status in RunStatus}
    counts.update({status: int(n) for status, n in conn.execute(query).all()})
    return counts


def _done_count(conn: Connection, experiment_id: int) -> int:
    return _status_counts(conn, experiment_id)[_DONE]


# --- Sensitivity --------------------------------------------------------------------------


def _sobol(data: _Experiment, seed: int) -> pd.DataFrame:
    from SALib.analyze import sobol

    _require_design(data, "sobol", "Sobol indices")
    problem = salib_problem(data.spec)
    dims, samples = problem["num_vars"], _samples(data)
    points = samples * (dims + 2)
    _require_complete(data, points, f"Sobol analysis ({samples} x ({dims} + 2) samples)")
    problem = _saltelli_order(data, problem, samples)
    means = _sample_means(data, points)
    records = []
    for outcome in data.outcomes:
        y = _outcome_vector(data, means, outcome)
        if np.ptp(y) == 0.0:
            nan = np.full(dims, np.nan)
            indices = {"S1": nan, "S1_conf": nan, "ST": nan, "ST_conf": nan}
        else:
            indices = sobol.analyze(problem, y, calc_second_order=False, conf_level=_CONF_LEVEL,
                                    num_resamples=_RESAMPLES, seed=resampling_seed(seed))
        for i, factor in enumerate(problem["names"]):
            records.append({"outcome": outcome, "factor": factor,
                            **{key: float(indices[key][i]) for key in SOBOL_COLUMNS[2:-1]},
                            "small_sample": samples < SOBOL_MIN_BASE_SAMPLES})
    return _ordered(records, data, SOBOL_COLUMNS)


def _morris(data: _Experiment, seed: int) -> pd.DataFrame:
    from SALib.analyze import morris

    _require_design(data, "morris", "Morris indices")
    problem = salib_problem(data.spec)
    dims, samples = problem["num_vars"], _samples(data)
    levels = int(data.design.get("levels", _DEFAULT_MORRIS_LEVELS))
    points = samples * (dims + 1)
    _require_complete(data, points, f"Morris analysis ({samples} x ({dims} + 1) samples)")
    x = _factor_matrix(data, problem["names"], points)
    means = _sample_means(data, points)
    records = []
    for outcome in data.outcomes:
        y = _outcome_vector(data, means, outcome)
        indices = morris.analyze(problem, x, y, num_resamples=_RESAMPLES,
                                 conf_level=_CONF_LEVEL, num_levels=levels,
                                 seed=resampling_seed(seed))
        for i, factor in enumerate(problem["names"]):
            records.append({"outcome": outcome, "factor": factor, **{
                key: float(np.ma.filled(np.ma.asarray(indices[key], dtype="float64"),
                                        np.nan)[i])
                for key in MORRIS_COLUMNS[2:-1]},
                "small_sample": samples < MORRIS_MIN_TRAJECTORIES})
    return _ordered(records, data, MORRIS_COLUMNS)


def _require_design(data: _Experiment, kind: str, what: str) -> None:
    if data.design_kind != kind:
        raise AnalysisError(
            f"experiment {data.name!r} has a {data.design_kind} design; {what} need a "
            f"{kind} design")
    if not data.outcomes:
        raise AnalysisError(f"experiment {data.name!r} names no outcomes to analyse")


def _samples(data: _Experiment) -> int:
    samples = data.design.get("samples")
    if not isinstance(samples, int) or samples < 1:
        raise AnalysisError(
            f"experiment {data.name!r}: design.samples must be a positive integer, "
            f"got {samples!r}")
    return samples


def _require_complete(data: _Experiment, points: int, what: str) -> None:
    """Every sample point must have all its replications done."""
    expected = points * data.replications
    indices = data.runs["sample_index"].fillna(-1).astype("int64")
    stray = int(((indices < 0) | (indices >= points)).sum())
    if stray:
        raise AnalysisError(
            f"experiment {data.name!r}: {stray} done runs have sample indices outside "
            f"0..{points - 1}, so the stored runs do not match the spec's design")
    covered = indices.nunique()
    done = len(data.runs)
    if done < expected or covered < points:
        failed = data.counts[RunStatus.FAILED.value]
        extra = f", {failed} failed" if failed else ""
        raise AnalysisError(
            f"experiment {data.name!r}: {what} needs all {expected} runs done "
            f"({points} sample points x {data.replications} replications); {done} of "
            f"{expected} are done{extra}; run the sweep again to complete it")


def _sample_means(data: _Experiment, points: int) -> pd.DataFrame:
    """Per-sample means of the outcomes over replications, indexed 0..points-1."""
    means = data.runs.groupby("sample_index")[data.outcomes].mean()
    return means.reindex(range(points))


def _outcome_vector(data: _Experiment, means: pd.DataFrame, outcome: str) -> np.ndarray:
    y = means[outcome].to_numpy(dtype="float64", na_value=np.nan)
    missing = int((~np.isfinite(y)).sum())
    if missing:
        raise AnalysisError(
            f"experiment {data.name!r}: outcome {outcome!r} is missing or not finite at "
            f"{missing} of {len(y)} sample points, so no sensitivity index can be computed")
    return y


def _factor_matrix(data: _Experiment, names: list[str], points: int) -> np.ndarray:
    """The design's sample matrix, one row per sample index, rebuilt from factors_json."""
    first = data.runs.drop_duplicates("sample_index").set_index("sample_index")
    table = first.reindex(range(points))[names]
    x = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    if not np.isfinite(x).all():
        bad = [name for name, ok in zip(names, np.isfinite(x).all(axis=0), strict=True)
               if not ok]
        raise AnalysisError(
            f"experiment {data.name!r}: stored factor values of {bad} are missing or not "
            f"numbers")
    return x


def _saltelli_order(data: _Experiment, problem: dict[str, Any], samples: int) -> dict[str, Any]:
    """The problem with its factors in the order the stored sample actually varies them.

    In Saltelli's sample (without second order) each block of D + 2 rows is A, then
    AB_1..AB_D (A with column j taken from B), then B. Which factor each AB row changes
    is read from the stored values, so an analysis can never attribute one factor's
    effect to another even if the sample was drawn with its factors in another order.
    """
    names = problem["names"]
    dims = len(names)
    x = _factor_matrix(data, names, samples * (dims + 2)).reshape(samples, dims + 2, dims)
    changed = (x[:, 1:dims + 1, :] != x[:, :1, :]).sum(axis=0)  # (AB row j, column)
    varied = changed.argmax(axis=1)
    others = changed.copy()
    others[np.arange(dims), varied] = 0
    if sorted(varied.tolist()) != list(range(dims)) or others.any():
        raise AnalysisError(
            f"experiment {data.name!r}: the stored factor values do not follow Saltelli's "
            f"layout (SALib.sample.sobol.sample with calc_second_order=False), so Sobol "
            f"indices cannot be computed from them")
    order = varied.tolist()
    return {"num_vars": dims, "names": [names[j] for j in order],
            "bounds": [problem["bounds"][j] for j in order]}


def _ordered(records: list[dict[str, Any]], data: _Experiment,
             columns: Sequence[str]) -> pd.DataFrame:
    table = pd.DataFrame.from_records(records, columns=list(columns))
    rank = {name: i for i, name in enumerate(data.factors)}
    table["_rank"] = table["factor"].map(rank)
    table["_outcome"] = table["outcome"].map({n: i for i, n in enumerate(data.outcomes)})
    table = table.sort_values(["_outcome", "_rank"], kind="stable")
    return table.drop(columns=["_rank", "_outcome"]).reset_index(drop=True)


# --- Helpers ------------------------------------------------------------------------------


def _experiment_name(spec: Mapping[str, Any]) -> str:
    return str((spec.get("experiment") or {}).get("name", "?"))


def _outcome_names(spec: Mapping[str, Any]) -> list[str]:
    names = (spec.get("outcomes") or {}).get("names") or []
    return [str(name) for name in names]


def _summary(frame: pd.DataFrame, column: str, keys: list[str]) -> pd.DataFrame:
    """Mean, std, count and sum of one column, per group of ``keys`` (or overall)."""
    series = frame[column]
    numbers = pd.Series(pd.to_numeric(series, errors="coerce").to_numpy(
        dtype="float64", na_value=np.nan), index=frame.index)
    stats = ["mean", "std", "count", "sum"]
    if keys:
        grouped = numbers.groupby([frame[k] for k in keys], dropna=False, sort=True)
        part = grouped.agg(stats).reset_index()
    else:
        part = pd.DataFrame({name: [getattr(numbers, name)()] for name in stats})
    part = part.rename(columns={"sum": "successes"})
    part.insert(len(keys), "variable", column)
    return part


def _wilson_rows(table: pd.DataFrame, rows: np.ndarray, level: float) -> None:
    """Wilson intervals (in place) for the rows of a proportion (a boolean column)."""
    for index in np.flatnonzero(rows):
        n = int(table.at[index, "n"])
        successes = round(float(table.at[index, "successes"]))
        low, high = wilson_interval(successes, n, level) if n else (np.nan, np.nan)
        table.at[index, "ci_low"], table.at[index, "ci_high"] = low, high


def _bounds_of(bounds: Bounds | Mapping[str, Bounds] | None, column: str) -> Bounds:
    if bounds is None:
        return UNBOUNDED
    if isinstance(bounds, Mapping):
        return tuple(bounds.get(column, UNBOUNDED))  # type: ignore[return-value]
    return bounds


def _outcome_bounds(conn: Connection, experiment_id: int,
                    spec: Mapping[str, Any]) -> dict[str, Bounds]:
    names = _outcome_names(spec)
    params: dict[str, Any] = {}
    if any(name in CAPACITIES for name in names):
        runs = schema.runs
        text = conn.execute(sa.select(runs.c.params_json)
                            .where(runs.c.experiment_id == experiment_id)
                            .order_by(runs.c.id).limit(1)).scalar()
        params = json.loads(text) if text else {}
    return {name: natural_bounds(name, _capacity(name, spec, params)) for name in names}


def _capacity(name: str, spec: Mapping[str, Any], params: Mapping[str, Any]) -> float | None:
    """The most agents an ``*_alive`` outcome can count: its parameter, or top of its factor."""
    dotted = CAPACITIES.get(name)
    if dotted is None:
        return None
    section, key = dotted.split(".", 1)
    candidates = [(params.get(section) or {}).get(key)]
    domain = (spec.get("factors") or {}).get(dotted)
    if isinstance(domain, Mapping):
        candidates.append(domain.get("high"))
    elif isinstance(domain, Sequence) and not isinstance(domain, str):
        candidates.extend(domain)
    numbers = [float(v) for v in candidates
               if isinstance(v, int | float) and not isinstance(v, bool)]
    return max(numbers) if numbers else None


def _half_width(std: np.ndarray, n: np.ndarray, level: float) -> np.ndarray:
    from scipy import stats  # on use: it costs ~1 s, and the sweep runner imports this module

    enough = n >= 2
    quantile = stats.t.ppf(0.5 + level / 2.0, np.where(enough, n - 1, 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        half = quantile * std / np.sqrt(np.where(enough, n, 1))
    return np.where(enough, half, np.nan)


def _ci_record(row: Any) -> dict[str, Any]:
    return {"mean": row.mean, "ci_low": row.ci_low, "ci_high": row.ci_high,
            "std": row.std, "n": int(row.n), "small_sample": bool(row.small_sample)}


def _design_points(data: _Experiment, table: pd.DataFrame) -> list[dict[str, Any]]:
    first = data.runs.drop_duplicates("sample_index").set_index("sample_index")
    points = []
    for index, group in table.groupby("sample_index", sort=True):
        factors = {name: first.at[index, name] for name in data.factors}
        outcomes = {row.variable: _ci_record(row) for row in group.itertuples()}
        points.append({"sample_index": index, "factors": factors, "outcomes": outcomes})
    return points


def _json_ready(value: Any) -> Any:
    """Plain ints, floats, strings, lists and dicts; NaN and infinities become None."""
    if isinstance(value, Mapping):
        return {str(key): _json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bool, int, str)):
        return value
    return str(value)


def _int_series(values: Sequence[Any] | np.ndarray) -> pd.Series:
    """Integers as int64, or as nullable Int64 if some are missing (None)."""
    try:
        return pd.Series(np.asarray(values, dtype="int64"))
    except TypeError:
        return pd.Series(list(values), dtype="Int64")


def _empty_long() -> pd.DataFrame:
    frame = pd.DataFrame({name: pd.Series(dtype="int64") for name in _LONG_KEYS})
    frame["metric"] = pd.Series(dtype=object)
    frame["value"] = pd.Series(dtype="float64")
    return frame


def year_end_stats(store: RunStore, experiment: str,
                   metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Each metric at the end of each calendar year, over the experiment's done runs:
    the value in a run's last week that starts in that year (dates from each run's own
    ``world.start_date``), then the median over runs with the 5th and 95th percentiles
    (a distribution, not only a centre). A year counts for a run if the run reaches a
    week starting between 25 and 31 December of it.

    Returns:
        Columns ``metric``, ``year``, ``date`` (median date of the weeks used), ``runs``,
        ``median``, ``p05``, ``p95``, ``mean``; empty if no run spans a year end.
    """
    from ifsim.results.calendar import start_date_of, week_dates

    long = timeseries_long(store, experiment, metrics)
    if long.empty:
        return pd.DataFrame(columns=["metric", "year", "date", "runs", "median", "p05",
                                     "p95", "mean"])
    params = store.run_params(long["run_id"].unique().tolist())
    dates = pd.Series(pd.NaT, index=long.index, dtype="datetime64[ns]")
    for run_id, rows in long.groupby("run_id").groups.items():
        start = start_date_of(params.get(int(run_id)))
        dates.loc[rows] = week_dates(start, long.loc[rows, "step"]).to_numpy()
    long = long.assign(date=dates, year=dates.dt.year)
    last = long.groupby(["metric", "run_id", "year"])["date"].transform("max")
    ends = long[(long["date"] == last) & (long["date"].dt.month == 12)
                & (long["date"].dt.day >= 25)]
    stats = ends.groupby(["metric", "year"]).agg(
        date=("date", "median"), runs=("value", "size"), median=("value", "median"),
        p05=("value", lambda v: float(np.quantile(v, 0.05))),
        p95=("value", lambda v: float(np.quantile(v, 0.95))), mean=("value", "mean"))
    return stats.reset_index()
