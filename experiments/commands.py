"""The experiment commands of ``ifsim`` (sweep, replay, report; docs/design.md section 7),
and the labels and parameter rows that ``ifsim run`` and ``ifsim params`` print.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ifsim.ecosystem.errors import IfsimError
from ifsim.ecosystem.params import Params, describe
from ifsim.ecosystem.scenario import parse_override
from ifsim.experiments.progress import ProgressBar

SPEC_DIR = Path(__file__).parent / "specs"

#: Longest list of overrides a figure title shows before it says "+N more".
TITLE_OVERRIDES_WIDTH = 100


# -- labels: what ran --------------------------------------------------------------
def applied_overrides(texts: list[str], params: Params) -> dict[str, Any]:
    """The ``--set`` overrides as ``{"section.name": value}``, sorted by name.

    Each value is the one in ``params`` (validated and converted, so ``1`` given for a
    fraction shows as ``1.0``); a name given twice appears once, with the value that ran.
    The texts must already have been applied (``load_scenario`` checked them).
    """
    values = params.to_dict()
    names = set()
    for text in texts:
        section, name, _ = parse_override(text)
        names.add((section, name))
    return {f"{section}.{name}": values[section][name] for section, name in sorted(names)}


def setting_text(name: str, value: Any) -> str:
    """``name=value`` as it could be given to ``--set`` (JSON values, bare strings)."""
    shown = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return f"{name}={shown}"


def run_label(scenario: str, overrides: Mapping[str, Any] | None,
              width: int | None = None) -> str:
    """The scenario, and its overrides if any: ``baseline (+1 override: a.b=0.15)``.

    Args:
        scenario: The scenario's name.
        overrides: ``{"section.name": value}``; None or empty gives the bare name.
        width: If given, the list of settings is cut after this many characters and
            ends with ``+N more`` (a single over-long setting is cut with "...").
    """
    if not overrides:
        return scenario
    count = len(overrides)
    noun = "override" if count == 1 else "overrides"
    settings = [setting_text(name, value) for name, value in overrides.items()]
    return f"{scenario} (+{count} {noun}: {_shortened(settings, width)})"


def _shortened(settings: list[str], width: int | None) -> str:
    """Join settings with ", ", keeping at most ``width`` characters of them."""
    if width is None or len(", ".join(settings)) <= width:
        return ", ".join(settings)
    kept: list[str] = []
    for setting in settings:
        if len(", ".join([*kept, setting])) > width:
            break
        kept.append(setting)
    if not kept:
        kept = [settings[0][: max(width - 3, 1)] + "..."]
    left = len(settings) - len(kept)
    return ", ".join(kept) + (f", +{left} more" if left else "")


# -- ifsim params ------------------------------------------------------------------
def parameter_rows(params: Params | None = None) -> list[dict[str, Any]]:
    """Every parameter: ``name``, ``default`` (the package's), ``value``, ``unit``,
    ``description``, ``range`` (allowed values) and ``source`` (where the default comes
    from), in section order.

    ``value`` is what ``params`` (a scenario with any ``--set``) gives; without
    ``params`` it equals ``default``.
    """
    defaults = describe(Params())
    values = describe(params) if params is not None else defaults
    return [{"name": d["name"], "default": d["default"], "value": v["default"],
             "unit": d["unit"], "description": d["description"], "range": d["range"],
             "source": d["source"]}
            for d, v in zip(defaults, values, strict=True)]


def list_specs() -> dict[str, str]:
    """Example spec files shipped with ifsim, with their descriptions."""
    out = {}
    for path in sorted(SPEC_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            out[str(path)] = tomllib.load(fh).get("experiment", {}).get("description", "")
    return out


def spec_path(name_or_path: str | Path) -> Path:
    """A shipped spec's file from its name (``sobol-demo``), or the path given.

    Anything ending in ``.toml`` or naming an existing file is taken as a path (a
    missing file is then reported by the spec loader).

    Raises:
        SpecError: If it is neither a path nor the name of a shipped spec; the message
            lists the shipped names.
    """
    from ifsim.experiments.spec import SpecError

    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return candidate
    shipped = SPEC_DIR / f"{name_or_path}.toml"
    if shipped.is_file():
        return shipped
    known = ", ".join(path.stem for path in sorted(SPEC_DIR.glob("*.toml")))
    raise SpecError(f"unknown experiment spec '{name_or_path}' (shipped: {known}; or give "
                    f"a path to a .toml file)")


def _store_url(args: argparse.Namespace, must_exist: bool) -> str:
    """--db, or the SQLite file in --out (which must exist for read-only commands)."""
    from ifsim.results import RunStore

    if args.db:
        return args.db
    path = Path(args.out) / "ifsim.sqlite"
    if must_exist and not path.is_file():
        raise IfsimError(f"no database at {path} (run `ifsim run` or `ifsim sweep` first, "
                         f"or give --db/--out)")
    if must_exist:  # read-only commands: the folder need not be writable
        return RunStore.file_url(path)
    return RunStore.sqlite_url(args.out)


# -- ifsim sweep -------------------------------------------------------------------
def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume an experiment; exit 1 if any run failed."""
    from ifsim.experiments.executors import check_scheduler, check_workers
    from ifsim.experiments.spec import load_spec
    from ifsim.experiments.sweep import SweepInterrupted, check, run_sweep
    from ifsim.results import RunStore

    check_workers(args.workers)
    check_scheduler(args.scheduler, args.executor)
    path = spec_path(args.spec)
    spec = load_spec(path)
    check(spec, str(path))  # before the store is opened: a bad spec creates nothing
    with RunStore(_store_url(args, must_exist=False)) as store:
        bar = ProgressBar(f"sweep {spec.name}", "runs")
        snapshots = Path(args.out).absolute() / "snapshots" if args.snapshots else None
        try:
            outcome = run_sweep(spec, store, executor=args.executor, workers=args.workers,
                                scheduler=args.scheduler, progress=bar, where=str(path),
                                snapshots=snapshots)
        except SweepInterrupted as stop:
            return _say_interrupted(stop, bar, _resume_command(args, "sweep", args.spec))
        from ifsim.experiments.browse import sweep_results
        from ifsim.results.analysis import AnalysisError

        try:
            results = sweep_results(store, spec.name)
        except AnalysisError as exc:
            raise IfsimError(str(exc)) from exc
        _report_sweep(args, store.url, outcome, results)
    return 1 if outcome.runs_failed else 0


def _report_sweep(args: argparse.Namespace, db: str, outcome, results: dict) -> None:
    if args.json:
        print(json.dumps({
            "experiment": outcome.experiment, "runs_total": outcome.runs_total,
            "runs_done": outcome.runs_done, "runs_failed": outcome.runs_failed,
            "failed_runs": outcome.failed, "db": db,
            "wall_seconds": round(outcome.wall_seconds, 3), "results": results,
        }, sort_keys=True, default=str))
    else:
        from ifsim.experiments.browse import sweep_summary_lines

        print(f"experiment {outcome.experiment}: {outcome.runs_done}/{outcome.runs_total} "
              f"runs done, {outcome.runs_failed} failed, in {outcome.wall_seconds:.1f} s")
        for line in sweep_summary_lines(results):
            print(line)
        print(f"database: {db}")
    _list_failures(outcome)


#: Failed runs a sweep lists on stderr; the rest are counted (``ifsim runs`` lists all).
FAILURES_LISTED = 20


def _list_failures(outcome) -> None:
    """One line per failed run with the last line of its error, at most FAILURES_LISTED."""
    for failure in outcome.failed[:FAILURES_LISTED]:
        error = failure["error"] or "no error recorded"
        print(f"ifsim: run {failure['run_id']} failed: {error}", file=sys.stderr)
    more = len(outcome.failed) - FAILURES_LISTED
    if more > 0:
        print(f"ifsim: and {more} more failed runs (ifsim runs --experiment "
              f"{outcome.experiment} --status failed)", file=sys.stderr)


def _say_interrupted(stop, bar: ProgressBar, resume: str) -> int:
    """The one line a stopped sweep prints: where it stood and how to resume."""
    where = ""
    if stop.runs_total is not None:
        where = f"; {stop.runs_done} of {stop.runs_total} runs done"
    if stop.left_running:
        left = (f", {stop.left_running} left 'running' (cannot return them to pending: "
                f"{stop.release_error}; `ifsim runs --stale` finds them)")
    else:
        left = ", none left running" if stop.runs_total is not None else ""
    try:
        if bar.enabled:
            sys.stderr.write("\n")  # end the progress line
        print(f"ifsim: {stop}{where}{left}; resume with: {resume}", file=sys.stderr)
    except OSError:  # a hung-up terminal
        pass
    return stop.exit_code


def _resume_command(args: argparse.Namespace, verb: str, target: str) -> str:
    """The command that resumes this sweep (the one given; a --db password masked)."""
    import shlex

    from ifsim.experiments.cli import DEFAULT_OUT

    words = ["ifsim", verb, target]
    if getattr(args, "quick", False):
        words.append("--quick")
    if args.workers is not None:
        words += ["--workers", str(args.workers)]
    if getattr(args, "executor", "local") != "local":
        words += ["--executor", args.executor]
    if getattr(args, "scheduler", None):
        words += ["--scheduler", args.scheduler]
    if args.db:
        words += ["--db", _masked_url(args.db)]
    if Path(args.out) != DEFAULT_OUT:
        words += ["--out", str(args.out)]
    if getattr(args, "snapshots", False):
        words.append("--snapshots")
    if args.json:
        words.append("--json")
    return shlex.join(words)


def _masked_url(url: str) -> str:
    """A database URL with its password shown as ***."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy reads: the store refused it already
        return url


# -- ifsim experiment --------------------------------------------------------------
def cmd_experiment(args: argparse.Namespace) -> int:
    """Run a canonical experiment and print its results; exit 1 if any run failed."""
    from ifsim.experiments.catalog import analyse, catalog_spec
    from ifsim.experiments.executors import check_workers
    from ifsim.experiments.sweep import SweepInterrupted, check, run_sweep
    from ifsim.results import RunStore

    check_workers(args.workers)
    spec = catalog_spec(args.name, quick=args.quick)
    check(spec, args.name)
    with RunStore(_store_url(args, must_exist=False)) as store:
        bar = ProgressBar(f"experiment {spec.name}", "runs")
        try:
            outcome = run_sweep(spec, store, workers=args.workers, progress=bar,
                                where=args.name)
        except SweepInterrupted as stop:
            return _say_interrupted(stop, bar, _resume_command(args, "experiment",
                                                               args.name))
        results = analyse(args.name, store, spec)
        if args.json:
            _report_sweep(args, store.url, outcome, results)
        else:
            _print_experiment(outcome, results, store.url)
    return 1 if outcome.runs_failed else 0


def _print_experiment(outcome, results: dict, db: str) -> None:
    print(f"experiment {outcome.experiment}: {outcome.runs_done}/{outcome.runs_total} runs "
          f"done, {outcome.runs_failed} failed, in {outcome.wall_seconds:.1f} s")
    rows = results.get("by_type", [])
    if rows:
        columns = [c for c in rows[0] if c != "type"]
        print(f"  {'type':<14}" + "".join(f"{c:>26}" for c in columns))
        for row in rows:
            print(f"  {row['type']:<14}" + "".join(f"{row[c]!s:>26}" for c in columns))
    share = results.get("absconded_share_all_types")
    if share:
        print(f"  failures with absconding, all arms: {share['share']} (95% CI "
              f"{share['ci'][0]} .. {share['ci'][1]}, {share['absconded']} of "
              f"{share['failures']}; observed in China {share['observed_china']})")
    for name, check in results.get("determinants", {}).items():
        for part, gap in _determinant_parts(name, check):
            verdict = "holds" if gap.get("holds") else "does NOT hold"
            print(f"  determinant {part}: {verdict}: difference {gap.get('difference')} "
                  f"(95% CI {gap.get('ci_low')} .. {gap.get('ci_high')})")
    print(f"database: {db}")


def _determinant_parts(name: str, check: dict) -> list[tuple[str, dict]]:
    """The differences a determinant is judged on, each with its interval."""
    parts = [(f"{name} ({key})", value) for key, value in check.items()
             if isinstance(value, dict) and "difference" in value]
    if name == "guarantee":
        loss = check["loss_rate_difference_guaranteed_minus_intermediary"]
        parts.append(("guarantee (loss size after the guarantor fails, not smaller)",
                      {"holds": check["loss_size_part_holds"], "difference": loss["mean"],
                       "ci_low": loss["ci_low"], "ci_high": loss["ci_high"]}))
    return parts


# -- ifsim replay ------------------------------------------------------------------
def cmd_replay(args: argparse.Namespace) -> int:
    """Rerun a stored run; 0 if identical, 1 with the first difference."""
    from ifsim.experiments.replay import replay
    from ifsim.results import RunStore

    with RunStore(_store_url(args, must_exist=True), read_only=True) as store:
        outcome = replay(store, args.run_id)
    if args.json:
        print(json.dumps({"run_id": outcome.run_id, "identical": outcome.identical,
                          "difference": outcome.difference}))
    elif outcome.identical:
        print(f"run {outcome.run_id}: identical")
    else:
        print(f"run {outcome.run_id}: differs: {outcome.difference}")
    return 0 if outcome.identical else 1


# -- ifsim report ------------------------------------------------------------------
def cmd_report(args: argparse.Namespace) -> int:
    """Write figures and an HTML page for an experiment."""
    from ifsim.experiments.catalog import report_sections
    from ifsim.results import RunStore
    from ifsim.results.report import write_report

    with RunStore(_store_url(args, must_exist=True), read_only=True) as store:
        name = args.experiment or _latest_experiment(store)
        page = _write_whole(lambda folder: write_report(
            store, name, folder, sections=report_sections(name, store)),
            Path(args.out) / "reports")
    print(f"report: {page.absolute()}")
    return 0


def _write_whole(write, reports: Path) -> Path:
    """``write(folder)`` (which makes ``folder/NAME/index.html``), all or nothing.

    The report is written into a hidden folder beside its place and moved there only
    when complete (replacing an older one), so a full disk or a read-only folder leaves
    no half-written report behind, only one line naming the problem.
    """
    import shutil
    import tempfile

    where = reports.absolute()
    try:
        reports.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".partial-", dir=reports))
    except OSError as exc:
        raise IfsimError(f"cannot write the report under {where}: "
                         f"{exc.strerror or exc}") from None
    try:
        page = write(staging)
        final, previous = reports / page.parent.name, staging / ".previous"
        if final.exists():
            final.rename(previous)
        try:
            page.parent.rename(final)
        except OSError:
            if previous.exists():
                previous.rename(final)
            raise
        return final / page.name
    except OSError as exc:
        raise IfsimError(f"cannot write the report under {where}: "
                         f"{exc.strerror or exc}; no report was written") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _latest_experiment(store) -> str:
    experiments = store.list_experiments()
    if experiments.empty:
        raise IfsimError(f"no experiments in {store.url} (run `ifsim sweep SPEC` first)")
    return str(experiments.sort_values("id")["name"].iloc[-1])
