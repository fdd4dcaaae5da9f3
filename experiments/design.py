"""Designs: from a spec to the list of runs it asks for.

Sample matrices come from SALib (Herman and Usher 2017): Latin hypercube
(``SALib.sample.latin``), Saltelli/Sobol sequences without second-order terms
(``SALib.sample.sobol``, N (D + 2) points) and Morris trajectories
(``SALib.sample.morris``, N (D + 1) points); a factorial design is the product of the
factors' levels. Every design point runs ``replications`` times. Replication r of every
design point uses the same seed, the r-th child of ``SeedSequence(seed)`` (common random
numbers: differences between design points are not blurred by different luck).

A design's size is bounded when the spec is read (``experiments/spec.py``: at most
``MAX_RUNS`` runs, ``MAX_SAMPLES`` samples, ``MAX_REPLICATIONS`` replications), from the
spec alone, before any matrix is drawn; :func:`plan` checks it again for a spec built by
hand.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from ifsim.experiments.spec import MAX_RUNS, ExperimentSpec, SpecError
from ifsim.results.analysis import salib_problem


def sample_matrix(spec: ExperimentSpec) -> np.ndarray:
    """Design points, one row per point, one column per factor (spec order)."""
    if spec.kind == "factorial":
        return np.array(list(itertools.product(*(f.levels for f in spec.factors))), float)
    problem = salib_problem(spec.to_dict())  # the analysis reads the same problem back
    if spec.kind == "lhs":
        from SALib.sample import latin
        return latin.sample(problem, spec.samples, seed=spec.seed)
    if spec.kind == "sobol":
        from SALib.sample import sobol
        return sobol.sample(problem, spec.samples, calc_second_order=False, scramble=True,
                            seed=spec.seed)
    from SALib.sample import morris
    return morris.sample(problem, spec.samples, num_levels=spec.levels, seed=spec.seed)


def replication_seeds(spec: ExperimentSpec) -> list[int]:
    """One 64-bit seed per replication, spawned from the root seed."""
    children = np.random.SeedSequence(spec.seed).spawn(spec.replications)
    return [int(c.generate_state(1, dtype=np.uint64)[0]) for c in children]


def plan(spec: ExperimentSpec, model) -> list[dict[str, Any]]:
    """Every run of the experiment, with its full parameters and seed."""
    if spec.runs_total() > MAX_RUNS:
        raise SpecError(f"{spec.name}: {spec.runs_total():,} runs (design points x "
                        f"replications), more than the {MAX_RUNS:,} allowed")
    matrix = sample_matrix(spec)
    seeds = replication_seeds(spec)
    names = [f.name for f in spec.factors]
    runs = []
    for index, row in enumerate(matrix):
        factors = {name: float(v) for name, v in zip(names, row, strict=True)}
        params = model.params_for(spec, factors)
        for rep, seed in enumerate(seeds):
            runs.append({"sample_index": index, "replication": rep, "scenario": spec.scenario,
                         "params": params, "factors": factors, "seed": seed,
                         "steps": spec.steps})
    return runs
