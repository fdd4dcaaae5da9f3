"""Browsing the run store from the command line: ``ifsim runs``, ``show`` and ``export``,
and the text summary ``ifsim sweep`` prints of what its design computed.

The handlers read the store (``results.store``, ``results.exports``) and only format;
every formatting function is a pure function of plain data, so the tests check the text
without a database.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ifsim.ecosystem.errors import IfsimError

#: Longest list of overrides (or design factors) a row of ``ifsim runs`` shows.
RUNS_SETTINGS_WIDTH = 60
#: Runs ``ifsim runs`` lists unless told otherwise (``--limit 0`` lists all).
DEFAULT_RUNS_LIMIT = 50
#: Events ``ifsim show`` lists unless told otherwise.
DEFAULT_SHOW_EVENTS = 10
_DETAIL_WIDTH = 70
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


# -- shared ----------------------------------------------------------------------------
@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Analysis and export problems as IfsimError, which the CLI prints as one line."""
    from ifsim.results.analysis import AnalysisError
    from ifsim.results.exports import ExportError

    try:
        yield
    except (AnalysisError, ExportError) as exc:
        raise IfsimError(str(exc)) from exc


def _open_store(args: argparse.Namespace, *, read_only: bool = True):
    """The store named by ``--db``/``--out``, which must exist; read-only unless told.

    Browsing never creates, upgrades or changes a store; a URL that holds none is refused.
    """
    from ifsim.experiments.commands import _store_url
    from ifsim.results import RunStore

    url = _store_url(args, must_exist=True)
    if not read_only:
        RunStore(url, read_only=True).close()  # an ifsim store, before anything is added
    return RunStore(url, read_only=read_only)


def number(value: Any, digits: int = 4) -> str:
    """A number in at most ``digits`` significant digits; None/NaN as ``n/a``."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}g}"


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]],
               right: Sequence[str] = (), header: bool = True) -> list[str]:
    """Rows as lines of columns padded to a common width (two spaces between columns).

    Columns named in ``right`` are right-aligned (numbers); the last column is not
    padded, so lines carry no trailing blanks. ``header=False`` leaves out the line of
    ``headers`` (they still name the columns for ``right``).
    """
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = []
        for i, (cell, width) in enumerate(zip(row, widths, strict=True)):
            last = i == len(headers) - 1
            if headers[i] in right:
                parts.append(cell.rjust(width))
            else:
                parts.append(cell if last else cell.ljust(width))
        lines.append("  ".join(parts).rstrip())
    return lines if header else lines[1:]


def short_settings(settings: Mapping[str, Any] | None, width: int = RUNS_SETTINGS_WIDTH) -> str:
    """``name=value`` pairs (floats in 4 significant digits), cut after ``width``
    characters with ``+N more``; ``-`` for none."""
    from ifsim.experiments.commands import _shortened

    if not settings:
        return "-"
    texts = [f"{name}={_short_value(value)}" for name, value in settings.items()]
    return _shortened(texts, width)


def _short_value(value: Any) -> str:
    if isinstance(value, float):
        return number(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _moment(value: Any) -> str:
    """A UTC time as ``YYYY-MM-DD HH:MM:SS``; ``-`` if unknown."""
    if value is None:
        return "-"
    try:
        import pandas as pd

        if pd.isna(value):
            return "-"
    except (TypeError, ValueError):
        pass
    return value.strftime(_TIME_FORMAT)


def _iso(value: Any) -> str | None:
    import pandas as pd

    if value is None or pd.isna(value):
        return None
    return pd.Timestamp(value).isoformat()


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, NaN/NA as None."""
    import numpy as np
    import pandas as pd

    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# -- ifsim runs ------------------------------------------------------------------------
def run_records(frame) -> list[dict[str, Any]]:
    """The rows of :meth:`RunStore.find_runs` as JSON-ready dicts (times in ISO 8601)."""
    records = []
    for row in frame.to_dict(orient="records"):
        record = {key: _plain(row[key]) for key in (
            "id", "experiment", "scenario", "seed", "status", "steps", "wall_seconds",
            "sample_index", "replication", "overrides", "factors", "error")}
        record["started_at"] = _iso(row["started_at"])
        record["ended_at"] = _iso(row["ended_at"])
        records.append(record)
    return records


RUNS_HEADERS = ("id", "experiment", "scenario", "seed", "status", "steps",
                "started (UTC)", "finished (UTC)", "wall s", "overrides")


def runs_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """The aligned text table of ``ifsim runs``, from :func:`run_records`.

    A run of an experiment shows its design factors in the ``overrides`` column (they
    are what was set on its scenario).
    """
    rows = []
    for r in records:
        wall = r.get("wall_seconds")
        started, ended = _parse_time(r.get("started_at")), _parse_time(r.get("ended_at"))
        rows.append([r["id"], r.get("experiment") or "-", r["scenario"], r["seed"],
                     r["status"], r["steps"], _moment(started), _moment(ended),
                     "-" if wall is None else f"{wall:.1f}",
                     short_settings(r.get("overrides") or r.get("factors"))])
    return text_table(RUNS_HEADERS, rows, right=("id", "seed", "steps", "wall s"))


def _parse_time(text: str | None):
    from datetime import datetime

    return None if text is None else datetime.fromisoformat(text)


def _filters_text(args: argparse.Namespace) -> str:
    given = [f"--{name} {getattr(args, name)}" for name in
             ("experiment", "scenario", "status", "seed")
             if getattr(args, name) is not None]
    return " ".join(given)


def cmd_runs(args: argparse.Namespace) -> int:
    """List stored runs, newest first, as a table or JSON (``--stale``: see
    :func:`cmd_stale_runs`)."""
    stale, older_than = getattr(args, "stale", False), getattr(args, "older_than", None)
    if not stale and (older_than is not None or getattr(args, "reconcile", False)):
        given = "--older-than" if older_than is not None else "--reconcile"
        raise IfsimError(f"{given} goes with --stale (ifsim runs --stale {given} ...)")
    if stale:
        return cmd_stale_runs(args)
    if args.limit is not None and args.limit < 0:
        raise IfsimError(f"--limit {args.limit}: must be 0 (all) or more")
    if args.seed is not None and args.seed < 0:
        raise IfsimError(f"--seed {args.seed}: must be a whole number >= 0")
    limit = None if args.limit == 0 else args.limit
    filters = {"experiment": args.experiment, "scenario": args.scenario,
               "status": args.status, "seed": args.seed}
    with _open_store(args) as store:
        if args.experiment is not None:
            _require_experiment(store, args.experiment)
        frame = store.find_runs(**filters, limit=limit)
        total = store.count_runs(**filters) if limit is not None else len(frame)
        url = store.url
    records = run_records(frame)
    if args.json:
        print(json.dumps(records, sort_keys=True))
        return 0
    if not records:
        which = f" matching {_filters_text(args)}" if _filters_text(args) else ""
        print(f"no runs{which} in {url}")
        return 0
    for line in runs_lines(records):
        print(line)
    if total > len(records):
        print(f"({len(records)} newest of {total} runs shown; --limit 0 lists all)")
    return 0


def cmd_stale_runs(args: argparse.Namespace) -> int:
    """``ifsim runs --stale [--older-than HOURS] [--reconcile]``: runs left ``running`` by
    a process that has ended (see :meth:`RunStore.stale_runs`); ``--reconcile`` marks
    them failed with the reason, so that resuming their sweep reruns them.

    The other filters (``--experiment``, ``--scenario``, ``--seed``) narrow the list;
    ``--status`` and ``--limit`` do not apply.
    """
    from datetime import timedelta

    hours = getattr(args, "older_than", None)
    if hours is not None and not (math.isfinite(hours) and 0 < hours <= 1e6):
        raise IfsimError(f"--older-than {hours}: must be a number of hours above 0 "
                         f"(at most 1000000)")
    if args.status not in (None, "running"):
        raise IfsimError(f"--stale lists runs left running; --status {args.status} does "
                         f"not go with it")
    if args.seed is not None and args.seed < 0:
        raise IfsimError(f"--seed {args.seed}: must be a whole number >= 0")
    older_than = None if hours is None else timedelta(hours=hours)
    reconcile = bool(getattr(args, "reconcile", False))
    filters = {"experiment": args.experiment, "scenario": args.scenario, "seed": args.seed}
    with _open_store(args, read_only=not reconcile) as store:
        if args.experiment is not None:
            _require_experiment(store, args.experiment)
        found = {run["id"]: run for run in store.stale_runs(older_than=older_than)}
        frame = store.find_runs(**filters, status="running")
        frame = frame[frame["id"].isin(list(found))]
        chosen = [found[int(run_id)] for run_id in sorted(frame["id"])]
        marked = store.fail_stale_runs(chosen) if reconcile and chosen else []
        url = store.url
    records = run_records(frame)
    for record in records:
        record["stale_reason"] = found[record["id"]]["reason"]
        record["pid"] = found[record["id"]]["pid"]
        if reconcile:
            record["reconciled"] = record["id"] in marked
    if args.json:
        print(json.dumps(records, sort_keys=True))
        return 0
    if not records:
        which = f" matching {_filters_text(args)}" if _filters_text(args) else ""
        print(f"no stale runs{which} in {url}")
        if older_than is None:
            print("(runs on other hosts count as stale only with --older-than HOURS)")
        return 0
    for line in runs_lines(records):
        print(line)
    for record in records:
        print(f"run {record['id']}: {record['stale_reason']}")
    if reconcile:
        print(f"marked {len(marked)} stale run{'s' if len(marked) != 1 else ''} failed in "
              f"{url}; running their sweep again (same spec and --db) reruns them")
        left = len(records) - len(marked)
        if left:
            print(f"({left} finished or restarted meanwhile and were left alone)")
    else:
        print("(--reconcile marks them failed, so that resuming their sweep reruns them)")
    return 0


def _require_experiment(store, name: str) -> None:
    names = [str(n) for n in store.list_experiments()["name"].drop_duplicates()]
    if name not in names:
        known = ", ".join(names) if names else "none stored"
        raise IfsimError(f"no experiment named '{name}' in {store.url} (known: {known})")


# -- ifsim show ------------------------------------------------------------------------
def changed_parameters(params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The run's parameters that differ from the package defaults, by dotted name.

    Returns:
        ``{"section.name": {"value": ..., "default": ...}}`` in the run's order; a
        parameter the package does not have (another model's, or one since removed) has
        no ``default``. Parameters the run did not record are left out.
    """
    from ifsim.ecosystem.params import Params

    defaults = json.loads(json.dumps(Params().to_dict()))
    changed = {}
    for section, values in params.items():
        if not isinstance(values, Mapping):
            continue
        known = defaults.get(section, {})
        for name, value in values.items():
            if name not in known:
                changed[f"{section}.{name}"] = {"value": value}
            elif known[name] != value:
                changed[f"{section}.{name}"] = {"value": value, "default": known[name]}
    return changed


def run_detail(store, run_id: int, events: int = DEFAULT_SHOW_EVENTS) -> dict[str, Any]:
    """Everything ``ifsim show`` prints about a run, JSON-ready.

    Returns:
        The run record's columns (``params`` replaced by ``changed_parameters``, see
        :func:`changed_parameters`), ``experiment`` (its name or None), ``factors``
        and ``events``: ``total``, ``by_kind`` (counts, most frequent first) and
        ``first`` (the first ``events`` events as records).

    Raises:
        StoreError: If there is no such run.
    """
    record = store.get_run(run_id)
    experiment = None
    if record.get("experiment_id") is not None:
        experiment = store.get_experiment(int(record["experiment_id"]))["name"]
    factors = json.loads(record["factors_json"]) if record.get("factors_json") else None
    counts = store.event_counts(run_id)
    first = store.events(run_id, limit=events) if events else None
    return _plain({
        "id": record["id"], "status": record["status"], "experiment": experiment,
        "sample_index": record.get("sample_index"),
        "replication": record.get("replication"), "scenario": record["scenario"],
        "seed": record["seed"], "steps": record["steps"],
        "started_at": _iso(record["started_at"]), "ended_at": _iso(record["ended_at"]),
        "wall_seconds": record.get("wall_seconds"), "attempts": record.get("attempts"),
        "ifsim_version": record["ifsim_version"], "git_commit": record["git_commit"],
        "host": record["host"], "snapshot_path": record.get("snapshot_path"),
        "overrides": record["overrides"], "factors": factors,
        "changed_parameters": changed_parameters(record["params"]),
        "summary": record["summary"], "error": record.get("error"),
        "events": {"total": sum(counts.values()), "by_kind": counts,
                   "first": [] if first is None else first.to_dict(orient="records")},
    })


def show_lines(detail: Mapping[str, Any]) -> list[str]:
    """The text of ``ifsim show``, from :func:`run_detail`."""
    from ifsim.experiments.commands import run_label

    lines = [f"run {detail['id']}: {detail['status']}"]
    fields = [("scenario", run_label(detail["scenario"], detail.get("overrides")))]
    if detail.get("experiment"):
        fields.append(("experiment", f"{detail['experiment']} (sample "
                       f"{detail.get('sample_index')}, replication "
                       f"{detail.get('replication')})"))
    wall = detail.get("wall_seconds")
    fields += [("seed", detail["seed"]), ("steps", detail["steps"]),
               ("started", _moment(_parse_time(detail.get("started_at"))) + " UTC"),
               ("finished", _moment(_parse_time(detail.get("ended_at"))) + " UTC"),
               ("wall time", "-" if wall is None else f"{wall:.1f} s"),
               ("version", detail.get("ifsim_version") or "-"),
               ("commit", detail.get("git_commit") or "unknown"),
               ("host", detail.get("host") or "-")]
    if detail.get("snapshot_path"):
        fields.append(("snapshot", detail["snapshot_path"]))
    lines += [f"  {name:<12}{value}" for name, value in fields]
    lines += _settings_block("overrides", detail.get("overrides"))
    lines += _settings_block("design factors", detail.get("factors"))
    changed = detail.get("changed_parameters") or {}
    lines.append(f"parameters differing from the package defaults ({len(changed)}):")
    if changed:
        rows = [[f"  {name}", _json_text(v["value"]),
                 f"(default {_json_text(v['default'])})" if "default" in v
                 else "(not a package parameter)"] for name, v in changed.items()]
        lines += text_table(["", "", ""], rows, header=False)
    summary = detail.get("summary")
    if summary:
        lines.append("summary:")
        width = max(len(str(k)) for k in summary)
        lines += [f"  {key:<{width}}  {_summary_text(value)}" for key, value in summary.items()]
    elif detail["status"] != "done":
        lines.append("summary: none (the run is not done)")
    lines += _events_block(detail.get("events") or {})
    if detail.get("error"):
        lines.append("error:")
        lines += [f"  {line}" for line in str(detail["error"]).rstrip().splitlines()]
    return lines


def _settings_block(title: str, settings: Mapping[str, Any] | None) -> list[str]:
    if not settings:
        return []
    width = max(len(name) for name in settings)
    return [f"{title}:", *(f"  {name:<{width}}  {_json_text(value)}"
                           for name, value in settings.items())]


def _events_block(events: Mapping[str, Any]) -> list[str]:
    total = int(events.get("total") or 0)
    counts = events.get("by_kind") or {}
    kinds = ", ".join(f"{kind} {n}" for kind, n in counts.items())
    lines = [f"events: {total}" + (f" ({kinds})" if kinds else "")]
    first = events.get("first") or []
    if first:
        lines.append(f"first {len(first)}:" if len(first) < total else "all:")
        rows = [[e["step"], e["kind"], e["agent"], e["cause"],
                 "-" if e.get("amount_cents") is None else e["amount_cents"],
                 _cut(e.get("detail") or "", _DETAIL_WIDTH)] for e in first]
        table = text_table(["step", "kind", "agent", "cause", "amount_cents", "detail"], rows,
                           right=("step", "amount_cents"))
        lines += [f"  {line}" for line in table]
    return lines


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def _summary_text(value: Any) -> str:
    """A summary value, or for a long list or table how many entries it has."""
    text = _json_text(value)
    if len(text) <= _DETAIL_WIDTH or not isinstance(value, list | dict):
        return text
    noun = "entries" if isinstance(value, dict) else "items"
    return f"({len(value)} {noun}; see --json)"


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return number(value, 6)
    return json.dumps(value, separators=(", ", ": "), sort_keys=True)


def cmd_show(args: argparse.Namespace) -> int:
    """Print one run's record: settings, parameters off their defaults, summary, events."""
    if args.events < 0:
        raise IfsimError(f"--events {args.events}: must be 0 or more")
    with _open_store(args) as store:
        detail = run_detail(store, args.run_id, events=args.events)
    if args.json:
        print(json.dumps(detail, sort_keys=True, default=str))
        return 0
    for line in show_lines(detail):
        print(line)
    return 0


# -- ifsim export ----------------------------------------------------------------------
def export_name(what: str, fmt: str, run_id: int | None, experiment: str | None) -> str:
    """The default file name of an export: ``timeseries-run-3.csv``,
    ``outcomes-sobol-demo.parquet``, ``events-all-runs.csv``."""
    if run_id is not None:
        which = f"run-{run_id}"
    elif experiment is not None:
        which = re.sub(r"[^A-Za-z0-9._-]+", "-", experiment).strip("-.") or "experiment"
    else:
        which = "all-runs"
    return f"{what}-{which}.{fmt}"


def cmd_export(args: argparse.Namespace) -> int:
    """Write a run's or an experiment's time series, events or outcomes as CSV or Parquet."""
    from ifsim.results import exports

    fmt = args.format or ("parquet" if args.to and str(args.to).endswith(".parquet")
                          else "csv")
    if args.to == "-" and fmt != "csv":
        raise IfsimError("--to -: only CSV can be written to stdout (drop --format parquet)")
    with _open_store(args) as store, _one_line_errors():
        experiment = args.experiment
        if args.what == "outcomes":
            if args.run is not None:
                raise IfsimError("export outcomes: outcomes are per experiment; give "
                                 "--experiment NAME (or export timeseries --run ID)")
            if experiment is None:
                from ifsim.experiments.commands import _latest_experiment

                experiment = _latest_experiment(store)
            frame = exports.outcomes_table(store, experiment)
        else:
            run_ids = exports.done_run_ids(store, run_id=args.run, experiment=experiment)
            table = (exports.timeseries_table if args.what == "timeseries"
                     else exports.events_table)
            frame = table(store, run_ids, experiment)
        if args.to == "-":
            frame.to_csv(sys.stdout, index=False)
            return 0
        path = Path(args.to) if args.to else (
            Path(args.out) / "exports" / export_name(args.what, fmt, args.run, experiment))
        written = exports.write_table(frame, path, fmt)
    print(written.absolute())
    return 0


# -- what ifsim sweep prints -----------------------------------------------------------
def sweep_results(store, experiment: str) -> dict[str, Any]:
    """The headline numbers of :func:`ifsim.results.analysis.headline`, and for a
    factorial design ``main_effects`` (:func:`ifsim.results.effects.factorial_main_effects`)
    with a ``small sample:`` note when they rest on few runs. JSON-ready."""
    from ifsim.results.analysis import headline
    from ifsim.results.effects import factorial_main_effects, main_effect_notes

    results = headline(store, experiment)
    if results.get("design") == "factorial" and results.get("runs_done"):
        effects = factorial_main_effects(store, experiment)
        if effects:
            results["main_effects"] = _plain(effects)
            notes = main_effect_notes(effects)
            if notes:
                results["notes"] = [*results.get("notes", []), *notes]
                results["small_sample"] = True
    return results


def sweep_summary_lines(results: Mapping[str, Any]) -> list[str]:
    """What a sweep's design computed, in words: each outcome's mean with its interval,
    then Sobol S1/ST (sobol), Morris mu*/sigma (morris) or main effects (factorial) per
    outcome, then the notes, small-sample ones as warnings."""
    lines = []
    for name, row in (results.get("outcomes") or {}).items():
        lines.append(f"  {name}: mean {number(row.get('mean'), 6)} (95% CI "
                     f"{number(row.get('ci_low'), 6)} .. {number(row.get('ci_high'), 6)}, "
                     f"n={row.get('n')})")
    design = results.get("design")
    if design == "sobol" and results.get("sobol"):
        lines += _sobol_lines(results["sobol"])
    elif design == "morris" and results.get("morris"):
        lines += _morris_lines(results["morris"])
    elif design == "factorial" and results.get("main_effects"):
        lines += _effect_lines(results["main_effects"])
    for note in results.get("notes", []):
        kind = "warning" if str(note).startswith("small sample") else "note"
        lines.append(f"  {kind}: {note}")
    return lines


def _by_outcome(records: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        groups.setdefault(str(record["outcome"]), []).append(record)
    return groups


def _index_text(value: Any, conf: Any) -> str:
    text = f"{number(value, 3)} ± {number(conf, 3)}"
    if isinstance(value, int | float) and math.isfinite(value) and not 0.0 <= value <= 1.0:
        text += " !"
    return text


def _sobol_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["  Sobol indices: first-order S1 and total ST, ± 95% bootstrap half-width"]
    outside = False
    for outcome, group in _by_outcome(records).items():
        lines.append(f"    {outcome}:")
        rows = [[r["factor"], _index_text(r.get("S1"), r.get("S1_conf")),
                 _index_text(r.get("ST"), r.get("ST_conf"))] for r in group]
        outside = outside or any(row[1].endswith("!") or row[2].endswith("!") for row in rows)
        lines += [f"      {line}" for line in text_table(["factor", "S1", "ST"], rows)]
    if outside:
        lines.append("    ! outside [0, 1], which a true index cannot be")
    return lines


def _morris_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["  Morris screening: mu* (mean absolute elementary effect over the factor's "
             "range, ± 95% bootstrap half-width) and sigma, in the outcome's unit"]
    for outcome, group in _by_outcome(records).items():
        lines.append(f"    {outcome}:")
        rows = [[r["factor"], f"{number(r.get('mu_star'))} ± {number(r.get('mu_star_conf'))}",
                 number(r.get("sigma"))] for r in group]
        lines += [f"      {line}" for line in text_table(["factor", "mu*", "sigma"], rows)]
    return lines


def _effect_lines(records: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = ["  main effects: mean at each level (n runs); effect = last level minus first"]
    for outcome, group in _by_outcome(records).items():
        lines.append(f"    {outcome}:")
        rows = []
        for r in group:
            levels = "   ".join(f"{_short_value(level['level'])}: {number(level['mean'])} "
                                f"(n={level['n']})" for level in r["levels"])
            effect = r.get("effect")
            sign = "+" if isinstance(effect, int | float) and effect > 0 else ""
            rows.append([r["factor"], levels, f"{sign}{number(effect)}"])
        lines += [f"      {line}" for line in text_table(["factor", "levels", "effect"], rows)]
    return lines
