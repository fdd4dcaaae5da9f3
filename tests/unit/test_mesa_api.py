"""The Mesa-shaped API: models built from scenarios by name, and role subclasses whose
per-agent ``step()`` runs every week (docs/design.md s.5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import DiaryInvestor, SteppingInvestor

from ifsim.ecosystem.errors import ParameterError
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


def test_institutions_are_collected_per_agent_every_week() -> None:
    model = EcosystemModel.from_scenario("small", seed=2)
    model.run(4)
    platforms = model.agent_frame("platform")
    weeks = platforms.index.get_level_values("Step").unique()
    assert len(weeks) == 4
    assert len(platforms) == 4 * len(model.platforms)
    last = platforms.xs(weeks.max(), level="Step").set_index("name")
    for platform in model.platforms:     # the last row is the agent's state now
        row = last.loc[platform.name]
        assert row["alive"] == platform.alive
        assert row["platform_type"] == platform.kind.value
        assert row["book_cents"] == platform.book_cents
        assert row["investor_value_cents"] == platform.recoverable_value_cents()
    funds = model.agent_frame("fund")
    assert set(funds["name"]) == {fund.name for fund in model.funds}
    assert (funds["assets_cents"] >= funds["cash_cents"]).all()


def test_agent_frame_names_the_roles_it_has() -> None:
    model = EcosystemModel.from_scenario("small")
    with pytest.raises(ParameterError, match=r"role 'investor'.*platform"):
        model.agent_frame("investor")


def test_docs_per_agent_example_reads_each_investors_own_deposit() -> None:
    model = EcosystemModel.from_scenario("small", seed=4, roles__investor="conftest:DiaryInvestor",
                                         world__check_conservation=True)
    model.run(3)
    investors = list(model.agents_by_type[DiaryInvestor])
    assert len(investors) == model.params.world.n_investors
    assert all(len(agent.diary) == 3 for agent in investors)
    assert all(agent.diary[-1] == agent.deposit_cents for agent in investors)


def test_docs_population_hook_example_changes_the_phase_for_everybody() -> None:
    """Given the same weeks of failures, the herding subclass's market-wide news term is
    exactly twice the shipped one's (the term is linear in the failures it counts)."""
    plain = EcosystemModel.from_scenario("small", seed=6, investor__panic_per_failure_annual=0.01)
    herd = EcosystemModel.from_scenario("small", seed=6, investor__panic_per_failure_annual=0.01,
                                        roles__investor="conftest:HerdingInvestor")
    failures = np.array([2, 0, 1])
    arrears = np.zeros(len(plain.platforms))
    for count in failures:
        plain.roles["investor"].update_beliefs(plain, arrears, int(count))
        herd.roles["investor"].update_beliefs(herd, arrears, int(count))
    assert plain.investors.news_annual > 0
    assert herd.investors.news_annual == pytest.approx(2 * plain.investors.news_annual)
