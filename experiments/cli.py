"""The ``ifsim`` command (docs/design.md section 7).

Errors in the user's input (parameters, scenario files, output paths, databases) are
printed as one line on stderr naming the problem, with exit 2 and no traceback; every
command checks its inputs before it starts work. Any other error ends in one line naming
what failed (exit 1); ``--debug`` adds the traceback. Ctrl-C (SIGINT), SIGTERM and SIGHUP
stop a command cleanly with exit 128 + the signal number (130, 143, 129; see
experiments/interrupts.py). A run is recorded as ``running`` when it starts and marked
``done`` only once its time series, events and summary are stored; a run that fails or
is interrupted is marked ``failed`` with the reason, and the message says that its
result was not stored.
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
from ifsim.experiments.interrupts import Interrupted, as_interrupted, stop_signals_raise
from ifsim.results.errors import StoreError

# mesa, pandas, matplotlib and SQLAlchemy are imported only by the commands that need
# them, so `ifsim --help`, `list`, `params` and input errors answer at once.

DEFAULT_OUT = Path("ifsim-output")


class OneLineParser(argparse.ArgumentParser):
    """Argument errors as one line naming the problem, like every other ifsim error."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, one_line(f"ifsim: error: {self.prog}: {message} (see {self.prog} --help)")
                  + "\n")


#: Largest id a run or experiment can have (the stores' ids are signed 64-bit integers).
MAX_ID = 2**63 - 1
#: Longest error line printed for an unexpected error (its message is cut after this).
MAX_ERROR_CHARS = 500


def run_id_arg(text: str) -> int:
    """argparse type of a run id: a whole number from 1 to MAX_ID."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a run id (a whole number "
                                         f"from 1)") from None
    if not 1 <= value <= MAX_ID:
        raise argparse.ArgumentTypeError(f"{text}: a run id is a whole number from 1 to "
                                         f"2**63 - 1")
    return value


def nonempty_arg(text: str) -> str:
    """argparse type of a name, URL or file: anything but empty (or blank)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def out_arg(text: str) -> Path:
    """argparse type of --out: a folder, never '' (which would mean the current one)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must name a folder (an empty path would write "
                                         "into the current directory; give --out . for "
                                         "that)")
    return Path(text)


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
    parser.add_argument("--debug", action="store_true",
                        help="on an error, also print the Python traceback")
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
    run.add_argument("--out", type=out_arg, default=DEFAULT_OUT,
                     help="output directory (default: ./ifsim-output)")
    run.add_argument("--db", type=nonempty_arg, default=None,
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
                            help="the small world, a shorter horizon and half the seeds "
                                 "(the first half of the same seeds)")
    experiment.add_argument("--workers", type=int, default=None,
                            help="worker processes (default: all cores)")
    _add_store_options(experiment)
    experiment.add_argument("--json", action="store_true", help="print one JSON object")

    replay = sub.add_parser("replay", help="rerun a stored run and compare",
                            description="Rebuild a stored run from its record, rerun it "
                            "and compare: exit 0 if identical, 1 at the first difference.")
    replay.add_argument("run_id", type=run_id_arg, help="id of a done run")
    _add_store_options(replay)
    replay.add_argument("--json", action="store_true", help="print one JSON object")

    report = sub.add_parser("report", help="figures and an HTML page for an experiment")
    report.add_argument("--experiment", type=nonempty_arg, default=None,
                        help="experiment name (default: the most recent)")
    _add_store_options(report)

    sub.add_parser("list", help="list the shipped scenarios and example specs")
    _add_browse_parsers(sub)
    for command in sub.choices.values():  # `ifsim sweep --debug ...` works too
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="on an error, also print the Python traceback")
    return parser


def _add_browse_parsers(sub) -> None:
    """``ifsim runs``, ``show`` and ``export`` (handlers in experiments/browse.py)."""
    runs = sub.add_parser("runs", help="list stored runs, newest first",
                          description="List stored runs, newest first; filters combine.")
    runs.add_argument("--experiment", type=nonempty_arg, default=None, metavar="NAME",
                      help="only the runs of this experiment")
    runs.add_argument("--scenario", type=nonempty_arg, default=None, metavar="NAME",
                      help="only runs of this scenario")
    runs.add_argument("--status", default=None,
                      choices=["pending", "running", "done", "failed"],
                      help="only runs in this status")
    runs.add_argument("--seed", type=int, default=None, help="only runs with this seed")
    runs.add_argument("--limit", type=int, default=50, metavar="N",
                      help="list at most the N newest (default: 50; 0 lists all)")
    runs.add_argument("--stale", action="store_true",
                      help="list runs left 'running' by a process that has ended (on this "
                           "host: its pid no longer runs)")
    runs.add_argument("--older-than", type=float, default=None, metavar="HOURS",
                      help="with --stale: also count runs of other hosts (or with no "
                           "recorded process) running longer than HOURS")
    runs.add_argument("--reconcile", action="store_true",
                      help="with --stale: mark them failed with the reason, so that "
                           "resuming their sweep reruns them")
    _add_store_options(runs)
    runs.add_argument("--json", action="store_true", help="print a JSON list")

    show = sub.add_parser("show", help="a stored run: settings, parameters, summary, events",
                          description="Show a stored run: its overrides and design factors, "
                          "the parameters that differ from the package defaults, seed, "
                          "version, commit, host, its summary and its events.")
    show.add_argument("run_id", type=run_id_arg, help="id of a run (see `ifsim runs`)")
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
    which.add_argument("--run", type=run_id_arg, default=None, metavar="ID",
                       help="one run")
    which.add_argument("--experiment", type=nonempty_arg, default=None, metavar="NAME",
                       help="every done run of an experiment (outcomes default: the most "
                            "recent experiment; time series and events: every done run)")
    export.add_argument("--format", default=None, choices=["csv", "parquet"],
                        help="file format (default: csv, or parquet for a --to *.parquet)")
    export.add_argument("--to", type=nonempty_arg, default=None, metavar="PATH",
                        help="file to write (default: OUT/exports/WHAT-WHICH.FORMAT); "
                             "'-' writes CSV to stdout")
    _add_store_options(export)


def _add_store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=nonempty_arg, default=None,
                        help="database URL (default: sqlite in the output directory)")
    parser.add_argument("--out", type=out_arg, default=DEFAULT_OUT,
                        help="output directory (default: ./ifsim-output)")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``ifsim`` console script; returns the exit code.

    0 success; 1 a run or a comparison failed, or an unexpected error; 2 the user's
    input (arguments, files, database) is wrong; 128 + N stopped by signal N (130
    Ctrl-C, 143 SIGTERM, 129 SIGHUP). Every error is one line on stderr, starting
    ``ifsim: error:``; with ``--debug`` the traceback comes first.
    """
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or one line about the arguments
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    debug = bool(getattr(args, "debug", False))
    try:
        with stop_signals_raise():
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
    except (IfsimError, StoreError) as exc:  # the user's input: named in the message
        _error(str(exc), debug)
        return 2
    except (Interrupted, KeyboardInterrupt) as exc:
        stop = as_interrupted(exc)
        _error(f"{args.command} {stop}", debug)
        return stop.exit_code
    except Exception as exc:  # a bug, or the machine: one line, the traceback on --debug
        _error(f"{args.command}: {_what_failed(exc)}"
               + ("" if debug else " (run with --debug for the traceback)"), debug)
        return 1


def _what_failed(exc: BaseException) -> str:
    """``OSError: [Errno 28] No space left on device: 'x'`` as one short line."""
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return f"{exc.strerror}{where} ({type(exc).__name__})"
    return f"unexpected {type(exc).__name__}: {exc}"


def one_line(text: str) -> str:
    """``text`` as one printable line: runs of whitespace (newlines, and the line breaks
    Unicode adds, such as U+0085 in a user's parameter name) become one space, and other
    control characters are shown escaped, so a name never breaks or garbles the line."""
    text = " ".join(text.split())
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _error(message: str, debug: bool = False) -> None:
    """Print ``ifsim: error: MESSAGE`` as one line on stderr (the traceback first on
    --debug); a closed or hung-up stderr is ignored."""
    line = one_line(message)
    if len(line) > MAX_ERROR_CHARS:
        line = line[:MAX_ERROR_CHARS - 3] + "..."
    try:
        if debug:
            traceback.print_exc()
        print(f"ifsim: error: {line}", file=sys.stderr)
    except OSError:
        pass


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command's handler."""
    from ifsim.experiments.browse import cmd_export, cmd_runs, cmd_show
    from ifsim.experiments.commands import cmd_experiment, cmd_replay, cmd_report, cmd_sweep

    handlers = {"run": cmd_run, "params": cmd_params, "list": cmd_list, "sweep": cmd_sweep,
                "experiment": cmd_experiment, "replay": cmd_replay, "report": cmd_report,
                "runs": cmd_runs, "show": cmd_show, "export": cmd_export}
    return handlers[args.command](args)


# -- ifsim run ---------------------------------------------------------------------
def cmd_run(args: argparse.Namespace) -> int:
    """Run one scenario, store it, draw its figure, report where both are."""
    from ifsim.ecosystem.model import check_roles
    from ifsim.experiments.commands import applied_overrides
    from ifsim.experiments.runner import with_steps
    from ifsim.results import RunStore

    if not 0 <= args.seed < 2**64:
        raise ParameterError(f"--seed {args.seed}: must be a whole number from 0 to "
                             f"2**64 - 1")
    scenario, params = load_scenario(args.scenario, args.overrides)
    if args.steps is not None:
        params = with_steps(params, args.steps)
    check_roles(params)
    overrides = applied_overrides(args.overrides, params)
    _check_out_folder(args.out)     # before the run, not after minutes of it
    db_url = args.db or RunStore.sqlite_url(args.out)
    # From here on a signal must not leave a run marked 'running': main turns SIGINT,
    # SIGTERM and SIGHUP into Interrupted, which _run_and_store catches.
    with RunStore(db_url) as store:
        return _run_and_store(args, scenario, params, overrides, store)


def _check_out_folder(out) -> None:
    """The folder the run's figures go to could be made: the nearest part of it that
    exists is a folder this process may write in (else one line, nothing run and
    nothing created)."""
    figures = Path(out).absolute() / "figures"
    existing = next(p for p in (figures, *figures.parents) if p.exists())
    if not existing.is_dir():
        raise IfsimError(f"--out {out}: cannot make the folder {figures} for the run's "
                         f"figure: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise IfsimError(f"--out {out}: cannot make the folder {figures} for the run's "
                         f"figure: {existing} is not writable")


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
    except (Interrupted, KeyboardInterrupt) as exc:
        stop = as_interrupted(exc)
        if _stored(store, run_id):  # the signal came just after the commit
            _error(f"run {run_id} {stop} after its result was stored in {store.url}")
            return stop.exit_code
        _error(f"run {run_id} {stop}: result NOT stored; "
               f"{_mark_failed(store, run_id, str(stop))}")
        return stop.exit_code
    except StoreError as exc:  # locked past every retry, disk full, server gone
        _error(f"run {run_id}: result NOT stored: {exc}; "
               f"{_mark_failed(store, run_id, f'result not stored: {exc}')}")
        return 1
    except Exception as exc:
        _error(f"run {run_id} failed: {_what_failed(exc)}; result NOT stored; "
               f"{_mark_failed(store, run_id, traceback.format_exc())} (with the traceback)")
        return 1
    if result.snapshot_path:
        try:
            store.set_snapshot_path(run_id, result.snapshot_path)
        except StoreError as exc:  # the run itself is stored: say so and go on
            _error(f"run {run_id} is stored, but not where its snapshot is "
                   f"({result.snapshot_path}): {exc}")
    _report_run(args, run_id, store.url, figure, result, overrides)
    return 0


def _stored(store, run_id: int) -> bool:
    """Whether the run is ``done`` in the store (False if that cannot be read)."""
    try:
        return store.get_run(run_id)["status"] == "done"
    except Exception:
        return False


def _mark_failed(store, run_id: int, reason: str) -> str:
    """Mark the run failed; say where, or that it stays 'running' if that fails too."""
    try:
        store.fail_run(run_id, error=reason)
    except Exception as exc:  # the same fault again, most likely
        return (f"marking it failed failed too ({' '.join(str(exc).split())}): it stays "
                f"'running' in {store.url} (`ifsim runs --stale --reconcile` marks it "
                f"failed)")
    return f"marked failed in {store.url}"


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
    r = s["run_measures"]
    if r["trigger_step"] > 1:   # a scheduled trigger: measured against the week before
        print(f"  runs from week {r['trigger_step']}: fund peak weekly redemptions "
              f"{100 * r['fund_peak_withdrawal_share']:.1f}% (week "
              f"+{r['fund_weeks_to_peak']}), fund pools' and Ponzi schemes' peak asks "
              f"{100 * r['p2p_peak_withdrawal_share']:.1f}% (week +{r['p2p_weeks_to_peak']})")
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
