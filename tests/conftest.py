"""Shared fixtures: small worlds that run in milliseconds."""

from __future__ import annotations

import pytest

from ecosystem.model import EcosystemModel
from ecosystem.params import Params


def small_params(**sections: dict) -> Params:
    """A small world (300 investors, 150 borrowers, 6 platforms) with overrides."""
    data = {"world": {"n_investors": 300, "n_borrowers": 150, "n_platforms": 6,
                      "check_conservation": True}}
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    return Params.from_dict(data)


@pytest.fixture
def small_model() -> EcosystemModel:
    """A freshly built small world, seed 3."""
    return EcosystemModel(small_params(), seed=3)


class CountingRegulator(__import__("agents.regulator", fromlist=["Regulator"]).Regulator):
    """A researcher's subclass, plugged in through [roles] (counts supervision calls)."""

    def __init__(self, model: EcosystemModel) -> None:
        super().__init__(model)
        self.calls = 0

    def supervise(self) -> None:
        self.calls += 1
        super().supervise()
