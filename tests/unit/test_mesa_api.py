"""The Mesa-shaped API: models built from scenarios by name, and role subclasses whose
per-agent ``step()`` runs every week (design.md s.5)."""

from __future__ import annotations

from pathlib import Path

from conftest import SteppingInvestor

from ifsim.ecosystem.model import EcosystemModel


def test_from_scenario_takes_keyword_overrides_and_the_cli_default_seed() -> None:
    model = EcosystemModel.from_scenario("small", borrower__pd_annual_mean=0.15,
                                         platform__type_shares=[1, 0, 0, 0, 0],
                                         world__check_conservation=True)
    assert model.seed == 1 == EcosystemModel().seed
    assert model.params.borrower.pd_annual_mean == 0.15
    assert model.params.platform.type_shares == (1.0, 0.0, 0.0, 0.0, 0.0)
    assert model.params.world.n_investors == 1000          # the rest is the scenario's
    model.run(2)


def test_a_role_subclass_step_is_called_once_per_agent_per_week(tmp_path: Path) -> None:
    scenario = tmp_path / "stepping.toml"
    scenario.write_text('[world]\nn_investors = 40\nn_borrowers = 20\nn_platforms = 3\n'
                        '[roles]\ninvestor = "conftest:SteppingInvestor"\n')
    SteppingInvestor.calls = 0
    model = EcosystemModel.from_scenario(str(scenario), seed=5)
    model.run(3)
    assert SteppingInvestor.calls == 40 * 3
    assert model.roles["investor"] is SteppingInvestor


def test_shipped_roles_define_no_per_agent_step() -> None:
    model = EcosystemModel.from_scenario("small")
    assert model._custom_step_roles == []
