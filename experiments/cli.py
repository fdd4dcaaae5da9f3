"""The ``ifsim`` command (docs/design.md section 7).

Errors in the user's input (parameters, scenario files, output paths, databases) are
printed as one line on stderr naming the problem, with a non-zero exit and no traceback.
A run is recorded as ``running`` when it starts and marked ``done`` only once its time
series, events and summary are stored; a run that fails or is interrupted is marked
``failed`` with the reason.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from pathlib import Path
from typing import Any

from ifsim.ecosystem.errors import IfsimError, ParameterError
from ifsim.ecosystem.scenario import list_scenarios, load_scenario
from ifsim.results.errors import StoreError

# mesa, pandas, matplotlib and SQLAlchemy are imported only by the commands that need
# them, so `ifsim --help`, `list`, `params` and input errors answer at once.

DEFAULT_OUT = Path("ifsim-output")


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line naming the problem, like every other ifsim error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"ifsim: error: {self.prog}: {message} (see {self.prog} --help)\n")


class InterruptedRunError(Exception):
    """The run was stopped by SIGTERM."""


def _raise_interrupted(signum: int, _frame: Any) -> None:
    raise InterruptedRunError(f"interrupted by signal {signal.Signals(signum).name}")


def version_line() -> str:
    """'ifsim 0.1.0 (commit abc1234)': the version and the commit the code came from."""
    from ifsim import __version__
    from ifsim.experiments.provenance import git_commit

    commit = git_commit()
    if not commit:
        return f"ifsim {__version__}"
    short = commit.removesuffix("-dirty")[:12] + ("-dirty" if commit.endswith("-dirty") else "")
    return f"ifsim {__version__} (commit {short})"


class VersionAction(argparse.Action):
    """``--version``: print :func:`version_line` (asks git only when used) and exit."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and the commit, and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        print(version_line())
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per verb."""
    parser = OneLineParser(
        prog="ifsim", description="Agent-based simulation of an internet-finance ecosystem.")
    parser.add_argument("--version", action=VersionAction)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=OneLineParser)

    run = sub.add_parser("run", help="run one scenario and store it",
                         description="Run one scenario, store it in the database and "
                                     "draw its main time series.")
    run.add_argument("scenario", nargs="?", default="baseline",
                     help="scenario name (see `ifsim list`) or path to a .toml file "
                          "(default: baseline)")
    run.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    run.add_argument("--steps", type=int, default=None,
                     help="weeks to simulate (default: the scenario's world.steps)")
    run.add_argument("--set", dest="overrides", action="append", default=[],
                     metavar="KEY=VALUE", help="override a parameter, e.g. "
                     "--set borrower.apply_prob_weekly=0.05 (repeatable)")
    run.add_argument("--out", type=Path, default=DEFAULT_OUT,
                     help="output directory (default: ./ifsim-output)")
    run.add_argument("--db", default=None,
                     help="database URL (default: sqlite in the output directory)")
    run.add_argument("--snapshots", action="store_true",
                     help="also write every agent's end state as Parquet files under "
                          "OUT/snapshots/run-ID (referenced from the run record)")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object on stdout")

    params = sub.add_parser("params", help="list every parameter with value, default, "
                            "unit, meaning",
                            description="List every parameter: the value the scenario "
                            "(with any --set) gives and the package default; rows where "
                            "they differ are marked '*'.")
    params.add_argument("scenario", nargs="?", default=None,
                        help="show the values a scenario sets (default: the package "
                             "defaults)")
    params.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="override a parameter")
    params.add_argument("--json", action="store_true", help="print a JSON list")

    sweep = sub.add_parser("sweep", help="run (or resume) an experiment spec",
                           description="Run every run of an experiment spec, or the ones "
                           "left when the same command was interrupted.")
    sweep.add_argument("spec", help="a shipped spec's name (see `ifsim list`) or the path "
                       "of a spec file (.toml)")
    sweep.add_argument("--workers", type=int, default=None,
                       help="worker processes (default: all cores)")
    sweep.add_argument("--executor", default="local",
                       choices=["local", "dask", "sequential"],
                       help="where runs execute (default: local process pool)")
    sweep.add_argument("--scheduler", default=None,
                       help="Dask scheduler address tcp://HOST:PORT (default with "
                            "--executor dask: a LocalCluster on this machine)")
    _add_store_options(sweep)
    sweep.add_argument("--snapshots", action="store_true",
                       help="write each run's per-agent end state as Parquet under "
                            "OUT/snapshots/ (referenced from the run records)")
    sweep.add_argument("--json", action="store_true", help="print one JSON object")

    experiment = sub.add_parser("experiment", help="run a canonical experiment",
                                description="Run (or resume) one of the canonical "
                                "experiments in experiments/catalog and print its results.")
    experiment.add_argument("name", help="experiment name (see `ifsim list`)")
    experiment.add_argument("--quick", action="store_true",
                            help="the small world and a shorter horizon (same seeds)")
    experiment.add_argument("--workers", type=int, default=None,
                            help="worker processes (default: all cores)")
    _add_store_options(experiment)
    experiment.add_argument("--json", action="store_true", help="print one JSON object")

    replay = sub.add_parser("replay", help="rerun a stored run and compare",
                            description="Rebuild a stored run from its record, rerun it "
                            "and compare: exit 0 if identical, 1 at the first difference.")
    replay.add_argument("run_id", type=int, help="id of a done run")
    _add_store_options(replay)
    replay.add_argument("--json", action="store_true", help="print one JSON object")

    report = sub.add_parser("report", help="figures and an HTML page for an experiment")
    report.add_argument("--experiment", default=None,
                        help="experiment name (default: the most recent)")
    _add_store_options(report)

    sub.add_parser("list", help="list the shipped scenarios and example specs")
    _add_browse_parsers(sub)
    return parser


def _add_browse_parsers(sub) -> None:
    """``ifsim runs``, ``show`` and ``export`` (handlers in experiments/browse.py)."""
    runs = sub.add_parser("runs", help="list stored runs, newest first",
                          description="List stored runs, newest first; filters combine.")
    runs.add_argument("--experiment", default=None, metavar="NAME",
                      help="only the runs of this experiment")
    runs.add_argument("--scenario", default=None, metavar="NAME",
                      help="only runs of this scenario")
    runs.add_argument("--status", default=None,
                      choices=["pending", "running", "done", "failed"],
                      help="only runs in this status")
    runs.add_argument("--seed", type=int, default=None, help="only runs with this seed")
    runs.add_argument("--limit", type=int, default=50, metavar="N",
                      help="list at most the N newest (default: 50; 0 lists all)")
    _add_store_options(runs)
    runs.add_argument("--json", action="store_true", help="print a JSON list")

    show = sub.add_parser("show", help="a stored run: settings, parameters, summary, events",
                          description="Show a stored run: its overrides and design factors, "
                          "the parameters that differ from the package defaults, seed, "
                          "version, commit, host, its summary and its events.")
    show.add_argument("run_id", type=int, help="id of a run (see `ifsim runs`)")
    show.add_argument("--events", type=int, default=10, metavar="N",
                      help="list the first N events (default: 10; counts by kind always)")
    _add_store_options(show)
    show.add_argument("--json", action="store_true", help="print one JSON object")

    export = sub.add_parser("export", help="write time series, events or outcomes as CSV "
                            "or Parquet",
                            description="Write stored results as a table: time series (one "
                            "row per run and week, with its date), events, or outcomes (one "
                            "row per run of an experiment: design factors and final "
                            "outcomes). Prints the path written.")
    export.add_argument("what", choices=["timeseries", "events", "outcomes"],
                        help="which table")
    which = export.add_mutually_exclusive_group()
    which.add_argument("--run", type=int, default=None, metavar="ID", help="one run")
    which.add_argument("--experiment", default=None, metavar="NAME",
                       help="every done run of an experiment (outcomes default: the most "
                            "recent experiment; time series and events: every done run)")
    export.add_argument("--format", default=None, choices=["csv", "parquet"],
                        help="file format (default: csv, or parquet for a --to *.parquet)")
    export.add_argument("--to", default=None, metavar="PATH",
                        help="file to write (default: OUT/exports/WHAT-WHICH.FORMAT); "
                             "'-' writes CSV to stdout")
    _add_store_options(export)


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", default=None,
                        help="database URL (default: sqlite in the output directory)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output directory (default: ./ifsim-output)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ifsim`` console script."""
    try:
        args = build_parser().parse_args(argv)
        code = _dispatch(args)
        sys.stdout.flush()  # a reader that has gone shows here, not at exit
        return code
    except BrokenPipeError:
        # The reader closed the pipe (`ifsim runs | head -1`): end quietly, as a
        # command killed by SIGPIPE would. Python flushes stdout again at exit, so
        # point it at /dev/null first.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
        return 128 + signal.SIGPIPE


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command's handler; the user's errors become one line on stderr, exit 2."""
    from ifsim.experiments.browse import cmd_export, cmd_runs, cmd_show
    from ifsim.experiments.commands import cmd_experiment, cmd_replay, cmd_report, cmd_sweep

    handlers = {"run": cmd_run, "params": cmd_params, "list": cmd_list, "sweep": cmd_sweep,
                "experiment": cmd_experiment, "replay": cmd_replay, "report": cmd_report,
                "runs": cmd_runs, "show": cmd_show, "export": cmd_export}
    try:
        return handlers[args.command](args)
    except (IfsimError, StoreError) as exc:
        print(f"ifsim: error: {exc}", file=sys.stderr)
        return 2


# -- ifsim run ---------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, store it, draw its figure, report where both are."""
    from ifsim.ecosystem.model import check_roles
    from ifsim.experiments.commands import applied_overrides
    from ifsim.experiments.runner import with_steps
    from ifsim.results import RunStore

    if args.seed < 0:
        raise ParameterError(f"--seed {args.seed}: must be a whole number >= 0")
    scenario, params = load_scenario(args.scenario, args.overrides)
    if args.steps is not None:
        params = with_steps(params, args.steps)
    check_roles(params)
    overrides = applied_overrides(args.overrides, params)
    db_url = args.db or RunStore.sqlite_url(args.out)
    # From here on a signal must not leave a run marked 'running': SIGTERM is turned
    # into an exception like Ctrl-C, and both are caught until the run is stored.
    previous = signal.signal(signal.SIGTERM, _raise_interrupted)
    try:
        with RunStore(db_url) as store:
            return _run_and_store(args, scenario, params, overrides, store)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run_and_store(args: argparse.Namespace, scenario: str, params,
                   overrides: dict[str, Any], store) -> int:
    """Record the run, simulate, draw, store; mark it failed on any error or signal."""
    from ifsim.experiments import provenance
    from ifsim.experiments.commands import TITLE_OVERRIDES_WIDTH, run_label
    from ifsim.experiments.progress import ProgressBar
    from ifsim.experiments.runner import run_one
    from ifsim.results.plots import save_figure, timeseries_figure

    run_id = store.start_run(
        scenario=scenario, params=params.to_dict(), seed=args.seed,
        steps=params.world.steps, ifsim_version=provenance.ifsim_version(),
        git_commit=provenance.git_commit(), host=provenance.host(), overrides=overrides)
    figure = Path(args.out).absolute() / "figures" / f"run-{run_id}.png"
    snapshot = Path(args.out).absolute() / "snapshots" / f"run-{run_id}" \
        if args.snapshots else None
    try:
        result = run_one(params, args.seed, ProgressBar(f"{scenario} seed {args.seed}",
                                                        "weeks"), snapshot_dir=snapshot)
        title = f"{run_label(scenario, overrides, TITLE_OVERRIDES_WIDTH)}, seed {args.seed}"
        save_figure(timeseries_figure(
            result.timeseries, title, start_date=params.world.start_date,
            events=result.events, population_scale=params.world.population_scale),
            figure)
        store.finish_run(run_id, timeseries=result.timeseries, events=result.events,
                         summary=result.summary, wall_seconds=result.wall_seconds)
        if result.snapshot_path:
            store.set_snapshot_path(run_id, result.snapshot_path)
    except (InterruptedRunError, KeyboardInterrupt) as exc:
        reason = str(exc) or "interrupted by SIGINT"
        store.fail_run(run_id, error=reason)
        print(f"ifsim: error: run {run_id} {reason}; marked failed in {store.url}",
              file=sys.stderr)
        return 130
    except Exception as exc:
        store.fail_run(run_id, error=traceback.format_exc())
        print(f"ifsim: error: run {run_id} failed: {type(exc).__name__}: {exc} "
              f"(traceback stored in {store.url})", file=sys.stderr)
        return 1
    _report_run(args, run_id, store.url, figure, result, overrides)
    return 0


def _report_run(args: argparse.Namespace, run_id: int, db_url: str, figure: Path,
                result, overrides: dict[str, Any]) -> None:
    """Print where the run went and its headline numbers (or one JSON object)."""
    from ifsim.experiments.commands import run_label

    if args.json:
        print(json.dumps({
            "run_id": run_id, "scenario": args.scenario, "overrides": overrides,
            "seed": args.seed, "steps": result.steps, "db": db_url, "figure": str(figure),
            "snapshot": result.snapshot_path,
            "wall_seconds": round(result.wall_seconds, 3), "summary": result.summary,
        }, sort_keys=True))
        return
    s = result.summary
    print(f"run {run_id}: {run_label(args.scenario, overrides)}, seed {args.seed}, "
          f"{result.steps} weeks in {result.wall_seconds:.1f} s")
    print(f"  platforms alive {s['platforms_alive']}, failures {s['platform_failures']} "
          f"{s['failures_by_cause']}")
    print(f"  lending {s['total_new_lending_cents'] / 100:,.0f} yuan, investor losses "
          f"{s['investor_losses_cents'] / 100:,.0f} yuan, fund yield "
          f"{100 * s['fund_yield_annual']:.2f}%")
    print(f"database: {db_url}")
    print(f"figure:   {figure}")


# -- ifsim params / list -----------------------------------------------------------
def cmd_params(args: argparse.Namespace) -> int:
    """List every parameter with its value, package default, unit and meaning.

    In the text output a row whose value differs from the package default is marked
    with ``*`` and shows the default after the value.
    """
    from ifsim.experiments.commands import parameter_rows

    params = None
    if args.scenario or args.overrides:
        _, params = load_scenario(args.scenario or "baseline", args.overrides)
    rows = parameter_rows(params)
    if args.json:
        print(json.dumps(rows))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        differs = r["value"] != r["default"]
        value = json.dumps(r["value"])
        if differs:
            value += f" (default {json.dumps(r['default'])})"
        print(f"{r['name']:<{width}} {'*' if differs else ' '} {value:<28} "
              f"{r['unit']:<24} {r['description']}")
    return 0


def cmd_list(_args: argparse.Namespace) -> int:
    """List the shipped scenarios and example experiment specs."""
    from ifsim.experiments.commands import list_specs

    print("scenarios:")
    for name, description in list_scenarios().items():
        print(f"  {name:<14} {description}")
    from ifsim.experiments.catalog import list_experiments

    print("canonical experiments (ifsim experiment NAME [--quick]):")
    for name, description in list_experiments().items():
        print(f"  {name:<14} {description}")
    specs = list_specs()
    folder = Path(next(iter(specs))).parent if specs else None
    print(f"example experiment specs (ifsim sweep NAME; files in {folder}):")
    for path, description in specs.items():
        print(f"  {Path(path).stem:<14} {description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
