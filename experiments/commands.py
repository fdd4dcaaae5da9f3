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
    return RunStore.sqlite_url(args.out)


# -- ifsim sweep -------------------------------------------------------------------
def cmd_sweep(args: argparse.Namespace) -> int:
    """Run or resume an experiment; exit 1 if any run failed."""
    from ifsim.experiments.spec import load_spec
    from ifsim.experiments.sweep import run_sweep
    from ifsim.results import RunStore

    if args.workers is not None and args.workers < 1:
        raise IfsimError(f"--workers {args.workers}: must be at least 1")
    path = spec_path(args.spec)
    spec = load_spec(path)
    with RunStore(_store_url(args, must_exist=False)) as store:
        bar = ProgressBar(f"sweep {spec.name}", "runs")
        snapshots = Path(args.out).absolute() / "snapshots" if args.snapshots else None
        outcome = run_sweep(spec, store, executor=args.executor, workers=args.workers,
                            scheduler=args.scheduler, progress=bar, where=str(path),
                            snapshots=snapshots)
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
    for failure in outcome.failed:
        print(f"ifsim: run {failure['run_id']} failed: {failure['error']}", file=sys.stderr)


# -- ifsim experiment --------------------------------------------------------------
def cmd_experiment(args: argparse.Namespace) -> int:
    """Run a canonical experiment and print its results; exit 1 if any run failed."""
    from ifsim.experiments.catalog import analyse, catalog_spec
    from ifsim.experiments.sweep import run_sweep
    from ifsim.results import RunStore

    if args.workers is not None and args.workers < 1:
        raise IfsimError(f"--workers {args.workers}: must be at least 1")
    spec = catalog_spec(args.name, quick=args.quick)
    with RunStore(_store_url(args, must_exist=False)) as store:
        bar = ProgressBar(f"experiment {spec.name}", "runs")
        outcome = run_sweep(spec, store, workers=args.workers, progress=bar, where=args.name)
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

    with RunStore(_store_url(args, must_exist=True)) as store:
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

    with RunStore(_store_url(args, must_exist=True)) as store:
        name = args.experiment or _latest_experiment(store)
        page = write_report(store, name, Path(args.out) / "reports",
                            sections=report_sections(name, store))
    print(f"report: {page.absolute()}")
    return 0


def _latest_experiment(store) -> str:
    experiments = store.list_experiments()
    if experiments.empty:
        raise IfsimError(f"no experiments in {store.url} (run `ifsim sweep SPEC` first)")
    return str(experiments.sort_values("id")["name"].iloc[-1])
