"""The models an experiment can run: the ecosystem itself, and validation models.

A model here knows which factor names and outcomes it accepts, how to turn one design
point into the full parameters of a run, and how to simulate a run from those
parameters and a seed. ``ishigami`` is a tiny Mesa model that evaluates the Ishigami
function (Ishigami and Homma 1990), whose Sobol indices are known analytically; it lets
the sweep, store and sensitivity pipeline be checked end to end, as SALib checks its own
estimators against it.
"""

from __future__ import annotations

import copy
import functools
import math
from typing import Any

import mesa
import numpy as np
import pandas as pd

from ifsim.ecosystem.errors import ParameterError, ScenarioError
from ifsim.ecosystem.events import EVENT_COLUMNS
from ifsim.experiments.runner import RunResult, run_one
from ifsim.experiments.spec import ExperimentSpec, SpecError, check_integer_factor


@functools.lru_cache(maxsize=16)
def _scenario_dict(scenario: str) -> dict[str, Any]:
    """A scenario's parameters as a dict, read once per process."""
    from ifsim.ecosystem.scenario import load_scenario

    return load_scenario(scenario)[1].to_dict()


class IfsimModel:
    """The internet-finance ecosystem (``ecosystem.model.EcosystemModel``)."""

    name = "ifsim"

    def check(self, spec: ExperimentSpec, where: str) -> None:
        """Scenario loads, factors are numeric parameters in range, outcomes exist."""
        from ifsim.ecosystem import metrics
        from ifsim.ecosystem.params import describe

        self._base(spec, where)
        known = {row["name"]: row["default"] for row in describe()}
        for factor in spec.factors:
            key = f'{where}: [factors] "{factor.name}"'
            default = known.get(factor.name)
            if factor.name not in known:
                raise SpecError(f"{key}: unknown parameter (see `ifsim params`)")
            if isinstance(default, bool) or not isinstance(default, int | float):
                raise SpecError(f"{key}: only numeric parameters can be factors")
            if isinstance(default, int):
                check_integer_factor(factor, where)
            values = factor.levels or (factor.low, factor.high)
            for value in values:
                try:
                    self.params_for(spec, {factor.name: value})
                except ParameterError as exc:
                    raise SpecError(f"{key}: {value!r} is not allowed: {exc}") from None
        for name in spec.outcomes:
            if name not in metrics.REPORTERS:
                raise SpecError(f"{where}: [outcomes] names: '{name}' is not a model-level "
                                f"metric (allowed: {', '.join(metrics.REPORTERS)})")

    @staticmethod
    def _base(spec: ExperimentSpec, where: str):
        from ifsim.ecosystem.scenario import load_scenario

        try:
            return load_scenario(spec.scenario)[1]
        except (ScenarioError, ParameterError) as exc:
            raise SpecError(f"{where}: [experiment] scenario: {exc}") from None

    def params_for(self, spec: ExperimentSpec, factors: dict[str, float]) -> dict[str, Any]:
        """Full parameters of one design point (integer parameters are rounded)."""
        from ifsim.ecosystem.params import Params

        data = copy.deepcopy(_scenario_dict(spec.scenario))
        data["world"]["steps"] = spec.steps
        for name, value in factors.items():
            section, key = name.split(".")
            default = data[section][key]
            data[section][key] = round(float(value)) if isinstance(default, int) else value
        return Params.from_dict(data).to_dict()

    def simulate(self, params: dict[str, Any], seed: int,
                 snapshot_dir: str | None = None) -> RunResult:
        """Run the ecosystem from full parameters (with a Parquet snapshot if asked)."""
        from ifsim.ecosystem.params import Params

        return run_one(Params.from_dict(params), seed, snapshot_dir=snapshot_dir)


class IshigamiAgent(mesa.Agent):
    """Evaluates f(x) = sin x1 + a sin^2 x2 + b x3^4 sin x1 each step."""

    def __init__(self, model: mesa.Model, x: tuple[float, float, float]) -> None:
        super().__init__(model)
        self.x = x
        self.y = 0.0

    def step(self) -> None:
        x1, x2, x3 = self.x
        a, b = IshigamiModel.A, IshigamiModel.B
        self.y = math.sin(x1) + a * math.sin(x2) ** 2 + b * x3 ** 4 * math.sin(x1)


def ishigami_y(model: mesa.Model) -> float:
    """Reporter: the agent's latest evaluation."""
    return next(iter(model.agents)).y


class IshigamiWorld(mesa.Model):
    """One agent, one evaluation per step."""

    def __init__(self, x: tuple[float, float, float], seed: int) -> None:
        super().__init__(rng=seed)
        IshigamiAgent(self, x)
        self.datacollector = mesa.DataCollector(model_reporters={"y": ishigami_y})

    def step(self) -> None:
        self.agents.do("step")
        self.datacollector.collect(self)


class IshigamiModel:
    """Validation model: the Ishigami function, x_i uniform on [-pi, pi]."""

    name = "ishigami"
    A, B = 7.0, 0.1
    FACTORS = ("ishigami.x1", "ishigami.x2", "ishigami.x3")

    def check(self, spec: ExperimentSpec, where: str) -> None:
        for factor in spec.factors:
            if factor.name not in self.FACTORS:
                raise SpecError(f'{where}: [factors] "{factor.name}": unknown parameter of '
                                f"the ishigami model (allowed: {', '.join(self.FACTORS)})")
        if list(spec.outcomes) != ["y"]:
            raise SpecError(f"{where}: [outcomes] names: the ishigami model reports ['y']")

    def params_for(self, spec: ExperimentSpec, factors: dict[str, float]) -> dict[str, Any]:
        values = {name: 0.0 for name in self.FACTORS} | dict(factors)
        return {"ishigami": {k.split(".")[1]: float(v) for k, v in values.items()},
                "world": {"steps": spec.steps}}

    def simulate(self, params: dict[str, Any], seed: int,
                 snapshot_dir: str | None = None) -> RunResult:
        """Evaluate the function (no agent snapshot: one agent, nothing to keep)."""
        x = tuple(params["ishigami"][k] for k in ("x1", "x2", "x3"))
        world = IshigamiWorld(x, seed)
        steps = params["world"]["steps"]
        for _ in range(steps):
            world.step()
        frame = world.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "step", np.arange(1, steps + 1))
        return RunResult(seed=seed, steps=steps, timeseries=frame,
                         events=pd.DataFrame(columns=EVENT_COLUMNS),
                         summary={"y": float(frame["y"].iloc[-1])}, wall_seconds=0.0)


class DiamondDybvigAdapter:
    """Validation model: the Diamond-Dybvig bank (``ecosystem/diamond_dybvig.py``), three
    dates whatever the spec's steps; factors are its ``dd.*`` parameters."""

    name = "diamond-dybvig"

    def check(self, spec: ExperimentSpec, where: str) -> None:
        from ifsim.ecosystem.diamond_dybvig import REPORTERS, DDParams

        known = {f"dd.{k}" for k in DDParams().to_dict()}
        for factor in spec.factors:
            if factor.name not in known:
                raise SpecError(f'{where}: [factors] "{factor.name}": unknown parameter of '
                                f"the diamond-dybvig model (allowed: {', '.join(sorted(known))})")
            for value in factor.levels or (factor.low, factor.high):
                try:
                    self.params_for(spec, {factor.name: value})
                except ParameterError as exc:
                    raise SpecError(f'{where}: [factors] "{factor.name}": {exc}') from None
        unknown = [name for name in spec.outcomes if name not in REPORTERS]
        if unknown:
            raise SpecError(f"{where}: [outcomes] names: '{unknown[0]}' is not reported by "
                            f"the diamond-dybvig model (allowed: {', '.join(REPORTERS)})")

    def params_for(self, spec: ExperimentSpec, factors: dict[str, float]) -> dict[str, Any]:
        from ifsim.ecosystem.diamond_dybvig import DDParams

        values = {name.split(".", 1)[1]: value for name, value in factors.items()}
        return {"dd": DDParams.from_dict(values).to_dict(), "world": {"steps": 2}}

    def simulate(self, params: dict[str, Any], seed: int,
                 snapshot_dir: str | None = None) -> RunResult:
        """Run the three dates (no agent snapshot: the outcomes are the run's state)."""
        import time

        from ifsim.ecosystem.diamond_dybvig import REPORTERS, DDParams, DiamondDybvigModel

        started = time.perf_counter()
        model = DiamondDybvigModel(DDParams.from_dict(params["dd"]), seed)
        model.step()
        model.step()
        frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        frame.insert(0, "step", np.arange(1, len(frame) + 1))
        summary = {name: float(frame[name].iloc[-1]) for name in REPORTERS}
        return RunResult(seed=seed, steps=2, timeseries=frame,
                         events=pd.DataFrame(columns=EVENT_COLUMNS), summary=summary,
                         wall_seconds=time.perf_counter() - started)


MODELS = {m.name: m for m in (IfsimModel(), IshigamiModel(), DiamondDybvigAdapter())}


def get_model(name: str, where: str = "spec"):
    """The model registered under ``name``."""
    if name not in MODELS:
        raise SpecError(f"{where}: [experiment] model: unknown model '{name}' "
                        f"(allowed: {', '.join(MODELS)})")
    return MODELS[name]
