"""Experiment spec files (TOML): what to vary, how to sample it, what to measure.

The shape is binding (issue 3, docs/design.md section 6)::

    [experiment]
    name = "demo"            # unique within a database
    scenario = "baseline"    # or a path to a scenario file (relative to the spec file)
    steps = 52
    replications = 3
    seed = 1                 # root seed; run seeds come from SeedSequence(seed).spawn(...)
    model = "ifsim"          # optional: "ifsim" (default) or a validation model ("ishigami")
    [design]
    kind = "factorial"       # factorial | lhs | sobol | morris
    samples = 16             # base sample size for lhs, sobol, morris
    levels = 4               # optional, morris grid levels
    [factors]
    "some.param" = [10, 20]                      # levels (factorial)
    "other.param" = { low = 0.0, high = 0.5 }    # a range (sampled designs)
    [outcomes]
    names = ["platforms_alive", "investor_losses_cents"]

Every error names the file, the key and what is allowed, and is raised before any run.

Sizes are bounded (docs/design.md section 4, "Bounds"), so that a typo fails at once with
one line rather than after minutes as a ``MemoryError``: ``replications`` at most
``MAX_REPLICATIONS``, ``samples`` at most ``MAX_SAMPLES``, Morris ``levels`` at most
``MAX_LEVELS``, ``steps`` at most ``world.steps``' bound, ``seed`` below 2^63 (it is
stored as a 64-bit integer), and the whole design (design points x replications) at most
``MAX_RUNS`` runs: the planner builds every run's full parameters in memory and the store
writes a row per run. Factor values must be finite numbers. Worker counts are bounded in
``experiments/executors.py`` (``check_workers``).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ifsim.ecosystem.errors import IfsimError
from ifsim.ecosystem.params import MAX_STEPS

DESIGNS = ("factorial", "lhs", "sobol", "morris")
SAMPLED = ("lhs", "sobol", "morris")
MAX_REPLICATIONS = 10_000
MAX_SAMPLES = 100_000
MAX_LEVELS = 100
MAX_RUNS = 100_000      # design points x replications
MAX_SEED = 2**63 - 1
ALLOWED_KEYS = {
    "experiment": {"name", "scenario", "steps", "replications", "seed", "model",
                   "description"},
    "design": {"kind", "samples", "levels"},
    "outcomes": {"names"},
}


class SpecError(IfsimError):
    """A spec file is missing, malformed, or asks for something not allowed."""


@dataclass(frozen=True)
class Factor:
    """One varied parameter: discrete levels (factorial) or a range (sampled designs)."""

    name: str
    levels: tuple[float, ...] | None = None
    low: float | None = None
    high: float | None = None

    def to_dict(self) -> Any:
        """The factor as it appears in a spec."""
        if self.levels is not None:
            return list(self.levels)
        return {"low": self.low, "high": self.high}


@dataclass(frozen=True)
class ExperimentSpec:
    """A validated experiment spec."""

    name: str
    scenario: str
    steps: int
    replications: int
    seed: int
    model: str
    kind: str
    samples: int | None
    levels: int
    factors: tuple[Factor, ...]
    outcomes: tuple[str, ...]
    description: str = ""

    def design_points(self) -> int:
        """Number of design points, without building the design (SALib's sizes:
        N for lhs, N (D + 2) for Sobol without second order, N (D + 1) for Morris)."""
        return design_points(self.kind, self.samples, self.factors)

    def runs_total(self) -> int:
        """Runs the experiment asks for: design points x replications."""
        return self.design_points() * self.replications

    def to_dict(self) -> dict[str, Any]:
        """Normalized spec: what is stored, hashed and compared on resume."""
        design: dict[str, Any] = {"kind": self.kind}
        if self.kind in SAMPLED:
            design["samples"] = self.samples
        if self.kind == "morris":
            design["levels"] = self.levels
        if self.kind == "sobol":
            design["second_order"] = False
        return {
            "experiment": {"name": self.name, "scenario": self.scenario, "steps": self.steps,
                           "replications": self.replications, "seed": self.seed,
                           "model": self.model, "description": self.description},
            "design": design,
            "factors": {f.name: f.to_dict() for f in self.factors},
            "outcomes": {"names": list(self.outcomes)},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], where: str = "spec") -> ExperimentSpec:
        """Validate a parsed spec (from a file or from the store)."""
        return _Reader(data, where).spec()


def load_spec(path: str | Path) -> ExperimentSpec:
    """Read and validate a spec file; a relative scenario path is taken from its folder."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SpecError(f"malformed spec file {path}: {exc}") from None
    except OSError as exc:
        raise SpecError(f"cannot read spec file {path}: {exc.strerror}") from None
    scenario = data.get("experiment", {}).get("scenario")
    if isinstance(scenario, str) and scenario.endswith(".toml"):
        resolved = (path.parent / scenario)
        if resolved.exists():
            data["experiment"]["scenario"] = str(resolved.resolve())
    return ExperimentSpec.from_dict(data, str(path))


class _Reader:
    """Checks one section and key at a time, naming them in every error."""

    def __init__(self, data: dict[str, Any], where: str) -> None:
        self.data = data
        self.where = where

    def fail(self, key: str, problem: str) -> SpecError:
        return SpecError(f"{self.where}: {key}: {problem}")

    def table(self, name: str, required: bool = True) -> dict[str, Any]:
        table = self.data.get(name)
        if table is None and not required:
            return {}
        if not isinstance(table, dict):
            raise self.fail(f"[{name}]", "missing table" if table is None else "must be a table")
        extra = set(table) - ALLOWED_KEYS.get(name, set(table))
        if extra:
            raise self.fail(f"[{name}] {sorted(extra)[0]}",
                            f"unknown key (allowed: {', '.join(sorted(ALLOWED_KEYS[name]))})")
        return table

    def integer(self, table: dict, section: str, key: str, minimum: int,
                default: int | None = None, maximum: int | None = None) -> int:
        value = table.get(key, default)
        if value is None:
            raise self.fail(f"[{section}] {key}", "missing (a whole number is required)")
        allowed = f"a whole number >= {minimum}" + (
            f" and <= {maximum:,}" if maximum is not None else "")
        if (isinstance(value, bool) or not isinstance(value, int) or value < minimum
                or (maximum is not None and value > maximum)):
            shown = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) \
                else repr(value)
            raise self.fail(f"[{section}] {key}", f"{shown} is not allowed ({allowed})")
        return value

    def text(self, table: dict, section: str, key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str) or not value:
            raise self.fail(f"[{section}] {key}", "missing or empty (a string is required)")
        return value

    def spec(self) -> ExperimentSpec:
        unknown = set(self.data) - {"experiment", "design", "factors", "outcomes"}
        if unknown:
            raise self.fail(f"[{sorted(unknown)[0]}]", "unknown table (allowed: experiment, "
                            "design, factors, outcomes)")
        exp, design = self.table("experiment"), self.table("design")
        kind = self.text(design, "design", "kind")
        if kind not in DESIGNS:
            raise self.fail("[design] kind", f"'{kind}' is not a design "
                            f"(allowed: {', '.join(DESIGNS)})")
        samples = (self.integer(design, "design", "samples", 1, maximum=MAX_SAMPLES)
                   if kind in SAMPLED else None)
        replications = self.integer(exp, "experiment", "replications", 1, 1,
                                    maximum=MAX_REPLICATIONS)
        outcomes = self.table("outcomes").get("names")
        if (not isinstance(outcomes, list) or not outcomes
                or not all(isinstance(o, str) and o for o in outcomes)):
            raise self.fail("[outcomes] names", "must be a non-empty list of metric names")
        factors = self.factors(kind)
        points = design_points(kind, samples, factors)
        if points * replications > MAX_RUNS:
            sizes = (f"[design] samples = {samples:,}" if kind in SAMPLED
                     else "the factors' levels")
            raise self.fail("[experiment] replications",
                            f"{replications:,} x {points:,} design points ({sizes}, "
                            f"{len(factors)} factor(s), {kind}) = {points * replications:,} "
                            f"runs, more than the {MAX_RUNS:,} allowed; lower replications "
                            f"or the design's size")
        return ExperimentSpec(
            name=self.text(exp, "experiment", "name"),
            scenario=self.text(exp, "experiment", "scenario", "baseline"),
            steps=self.integer(exp, "experiment", "steps", 1, maximum=MAX_STEPS),
            replications=replications,
            seed=self.integer(exp, "experiment", "seed", 0, 0, maximum=MAX_SEED),
            model=self.text(exp, "experiment", "model", "ifsim"),
            description=str(exp.get("description", "")),
            kind=kind, samples=samples,
            levels=self.integer(design, "design", "levels", 2, 4, maximum=MAX_LEVELS),
            factors=factors, outcomes=tuple(outcomes))

    def factors(self, kind: str) -> tuple[Factor, ...]:
        table = self.data.get("factors")
        if not isinstance(table, dict) or not table:
            raise self.fail("[factors]", "missing or empty (name at least one parameter)")
        # Sorted by name: the stored spec is canonical JSON with sorted keys, and the
        # order decides which block of a Saltelli or Morris design varies which factor.
        return tuple(self.factor(name, table[name], kind) for name in sorted(table))

    def factor(self, name: str, value: Any, kind: str) -> Factor:
        key = f'[factors] "{name}"'
        if kind == "factorial":
            if (not isinstance(value, list) or not value
                    or not all(_is_number(v) for v in value)):
                raise self.fail(key, "a factorial design needs a non-empty list of levels, "
                                "e.g. [10, 20]")
            bad = [v for v in value if not math.isfinite(v)]
            if bad:
                raise self.fail(key, f"level {bad[0]!r} is not allowed (finite numbers only)")
            if len(value) > MAX_RUNS:
                raise self.fail(key, f"{len(value):,} levels, more than the {MAX_RUNS:,} "
                                "runs a design may have")
            return Factor(name, levels=tuple(value))
        if not isinstance(value, dict) or set(value) != {"low", "high"}:
            raise self.fail(key, f"a {kind} design needs a range "
                            "{ low = ..., high = ... }")
        low, high = value["low"], value["high"]
        if (not (_is_number(low) and _is_number(high)) or not low < high
                or not (math.isfinite(low) and math.isfinite(high))):
            raise self.fail(key, f"bad range low={low!r}, high={high!r} (finite numbers "
                            "with low < high)")
        return Factor(name, low=float(low), high=float(high))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def design_points(kind: str, samples: int | None, factors: tuple[Factor, ...]) -> int:
    """Design points of a design of ``kind`` (see :meth:`ExperimentSpec.design_points`)."""
    if kind == "factorial":
        return math.prod(len(f.levels or ()) for f in factors)
    n = samples or 0
    return {"lhs": n, "sobol": n * (len(factors) + 2), "morris": n * (len(factors) + 1)}[kind]


def check_integer_factor(factor: Factor, where: str = "spec") -> None:
    """Refuse values an integer parameter cannot take: factorial levels must be whole
    numbers (a sampled range's draws are rounded to whole numbers; its ends must be
    finite, which every factor's are once the spec is read).

    For the model adapter (``experiments/models.py``) to call on factors that name an
    integer parameter.
    """
    values = factor.levels if factor.levels is not None else (factor.low, factor.high)
    for value in values:
        if value is None or not math.isfinite(value) or (
                factor.levels is not None and value != int(value)):
            raise SpecError(f'{where}: [factors] "{factor.name}": {value!r} is not allowed '
                            "(an integer parameter takes finite whole numbers)")
