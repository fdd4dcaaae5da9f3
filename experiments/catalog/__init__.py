"""The canonical experiments (``ifsim experiment NAME``): spec files plus their analysis.

Each entry is a spec in this folder and a function that turns the stored runs into the
experiment's headline results. ``--quick`` runs the same design on the small world, a
shorter horizon and half the seeds, under its own experiment name, so quick and full
results never mix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ifsim.ecosystem.errors import IfsimError
from ifsim.experiments.catalog import (
    common_borrowers,
    diamond_dybvig,
    mmf_run,
    p2p_run,
    platform_types,
)
from ifsim.experiments.spec import ExperimentSpec, load_spec

CATALOG_DIR = Path(__file__).parent
ANALYSES: dict[str, Callable] = {"platform-types": platform_types.results,
                                 "common-borrowers": common_borrowers.results,
                                 "diamond-dybvig": diamond_dybvig.results,
                                 "mmf-run": mmf_run.results,
                                 "p2p-run": p2p_run.results}
#: Each canonical experiment's own report sections: ``f(store, stored_name)``.
REPORTS: dict[str, Callable] = {"platform-types": platform_types.report_sections,
                                "diamond-dybvig": diamond_dybvig.report_sections,
                                "mmf-run": mmf_run.report_sections,
                                "p2p-run": p2p_run.report_sections}
QUICK = {"scenario": "small", "steps": 156}
QUICK_SEED_SHARE = 0.5   # a quick look keeps half the replications (at least 2)


def list_experiments() -> dict[str, str]:
    """Canonical experiment names and descriptions."""
    return {name: load_spec(CATALOG_DIR / f"{name}.toml").description for name in ANALYSES}


def catalog_spec(name: str, quick: bool = False) -> ExperimentSpec:
    """The spec of a canonical experiment (its quick variant with ``quick``)."""
    if name not in ANALYSES:
        raise IfsimError(f"unknown experiment '{name}' (known: {', '.join(ANALYSES)})")
    spec = load_spec(CATALOG_DIR / f"{name}.toml")
    if quick:
        replications = max(2, round(spec.replications * QUICK_SEED_SHARE))
        # the baseline's quick look runs the small world for three years; an experiment
        # with its own scenario (or a validation model) keeps its world and horizon
        own = QUICK if spec.model == "ifsim" and spec.scenario == "baseline" else {}
        spec = replace(spec, name=f"{name}-quick", replications=replications, **own)
    return spec


def analyse(name: str, store, spec: ExperimentSpec) -> dict:
    """The experiment's headline results from the stored runs."""
    return ANALYSES[name](store, spec)


def report_sections(experiment: str, store) -> list:
    """The report sections of a stored canonical experiment (its quick variant too), as
    :class:`ifsim.results.report.ReportSection`; none for any other experiment."""
    make = REPORTS.get(experiment.removesuffix("-quick"))
    return make(store, experiment) if make else []
