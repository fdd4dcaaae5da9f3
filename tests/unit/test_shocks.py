"""The scheduled guarantor-failure shock (``guarantor.shock_step``)."""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem import shocks
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.scenario import load_scenario


def test_the_most_exposed_guarantors_fail_first() -> None:
    _, params = load_scenario("small", ["world.check_conservation=true"])
    m = EcosystemModel(params, seed=3)
    for _ in range(20):
        m.step()
    exposure = shocks.guaranteed_outstanding_cents(m)
    assert (exposure > 0).sum() >= 2
    hit = shocks.fail_guarantors(m, 0.5)
    assert len(hit) == int(np.ceil(0.5 * len(m.guarantors)))
    spared = [g for g in range(len(m.guarantors)) if g not in hit]
    assert min(exposure[hit]) >= max(exposure[spared])
    assert [g.alive for g in m.guarantors] == [g in spared for g in range(len(m.guarantors))]


def test_the_shock_strikes_in_its_week_and_not_before() -> None:
    _, params = load_scenario("small", ["guarantor.shock_step=3",
                                        "world.check_conservation=true"])
    m = EcosystemModel(params, seed=1)
    m.step()
    m.step()
    assert all(g.alive for g in m.guarantors)
    m.step()
    assert not any(g.alive for g in m.guarantors)
    m.step()  # no new guarantees once every guarantor is gone
    new = m.loans.originated_step == m.steps
    assert new.any() and (m.loans.guarantor[new] == -1).all()
