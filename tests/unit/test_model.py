"""The whole model: composition, determinism, conservation, failures, warnings."""

from __future__ import annotations

import pickle
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from conftest import small_params

from ifsim.ecosystem import metrics
from ifsim.ecosystem.errors import ParameterError
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params
from ifsim.ecosystem.scenario import list_scenarios, load_scenario

# Information intermediaries whose owners never abscond (they would surely be caught):
# failures keep their first cause.
HONEST_INTERMEDIARIES = {"type_shares": [1.0, 0, 0, 0, 0], "fraud_detection_prob": 1.0,
                         "incident_prob_weekly": 0.0}


def run(params: Params, seed: int, steps: int) -> EcosystemModel:
    model = EcosystemModel(params, seed=seed)
    model.run(steps)
    return model


def test_baseline_has_every_agent_type_in_the_required_numbers() -> None:
    _, params = load_scenario("baseline")
    model = EcosystemModel(params, seed=1)
    counts = {cls.__name__: len(agents) for cls, agents in model.agents_by_type.items()}
    assert counts["Investor"] >= 10_000 and counts["Borrower"] >= 5_000
    assert counts["Platform"] >= 50
    assert counts["PaymentFirm"] >= 2 and counts["MoneyMarketFund"] == counts["PaymentFirm"]
    assert counts["Bank"] >= 2 and counts["Regulator"] == 1
    assert params.world.steps == 260


def test_money_is_conserved_at_every_step_of_a_shortened_baseline() -> None:
    _, params = load_scenario("baseline", ["world.steps=52"])
    model = EcosystemModel(params, seed=11)
    for _ in range(params.world.steps):
        model.step()
        model.ledger.check_conservation()
        model.check_accounts()
    assert model.loans.n_originated > 1_000  # the check saw real lending, not an idle world


def test_same_seed_same_results_different_seed_different_results() -> None:
    params = small_params()
    a, b, c = run(params, 5, 40), run(params, 5, 40), run(params, 6, 40)
    pd.testing.assert_frame_equal(metrics.timeseries_frame(a), metrics.timeseries_frame(b))
    pd.testing.assert_frame_equal(a.events.frame(), b.events.frame())
    assert metrics.summary(a) == metrics.summary(b)
    assert not metrics.timeseries_frame(a).equals(metrics.timeseries_frame(c))


@pytest.mark.parametrize("scenario", sorted(list_scenarios()))
def test_every_scenario_runs(scenario: str) -> None:
    _, params = load_scenario(scenario, ["world.steps=6", "world.check_conservation=true"])
    model = run(params, 1, params.world.steps)
    frame = metrics.timeseries_frame(model)
    assert frame["step"].tolist() == list(range(1, 7))
    assert frame["new_lending_cents"].sum() > 0


def test_timeseries_has_the_documented_metrics_every_step() -> None:
    model = run(small_params(), 2, 12)
    frame = metrics.timeseries_frame(model)
    assert len(frame) == 12
    assert set(metrics.REPORTERS) <= set(frame.columns)
    assert frame.notna().all().all()
    wealth = frame[["investor_deposits_cents", "investor_mmf_cents", "investor_p2p_cents"]]
    assert (wealth >= 0).all().all()


def test_platforms_without_capital_fail_as_insolvent_and_are_logged() -> None:
    no_income = {"capital_median_cents": 0, "origination_fee": 0.0, "interest_fee_share": 0.0,
                 **HONEST_INTERMEDIARIES}
    model = run(small_params(platform=no_income), 1, 3)
    assert not model.platform_alive_mask().any()
    events = model.events.frame()
    failures = events[events["kind"] == "platform_failure"]
    assert len(failures) == len(model.platforms)
    assert set(failures["cause"]) == {"insolvent"}
    assert metrics.timeseries_frame(model)["failures_this_step"].sum() == len(model.platforms)


def test_a_run_on_fund_pools_that_lent_long_makes_them_fail_as_illiquid() -> None:
    """Fund pools sell 4-week products and lend for months: when every holder asks for
    its money back at maturity, the cash falls short and the queue outlasts
    ``illiquid_weeks`` (ecosystem/products.py)."""
    pools = {**HONEST_INTERMEDIARIES, "type_shares": [0, 0, 1.0, 0, 0],
             "product_terms_weeks": [4], "illiquid_weeks": 3}
    model = run(small_params(platform=pools), 4, 30)
    assert model.platform_alive_mask().any()
    model.investors.loss_tolerance_annual[:] = -1.0  # everyone now wants out
    model.run(10)
    causes = [p.failure_cause for p in model.platforms if not p.alive]
    assert "illiquid" in causes
    model.check_accounts()


def test_a_run_on_intermediaries_is_a_transfer_queue_not_a_failure() -> None:
    """Holders of loan claims who all want out can only sell them to incoming bids: the
    unsold queue shows the run, and no platform fails illiquid for it."""
    model = run(small_params(platform={"illiquid_weeks": 3, **HONEST_INTERMEDIARIES}), 4, 30)
    model.investors.loss_tolerance_annual[:] = -1.0
    model.run(10)
    assert "illiquid" not in [p.failure_cause for p in model.platforms]
    assert metrics.timeseries_frame(model)["transfer_queue_cents"].iloc[-1] > 0
    model.check_accounts()


def test_failed_platforms_pay_out_their_pools_over_time() -> None:
    model = run(small_params(), 4, 30)
    victim = max(model.platforms, key=lambda p: p.book_cents)
    victim.fail("ordered to exit", "test")
    failed_at, units_before, book_before = model.steps, victim.units_total, victim.book_cents
    assert units_before > 0 and book_before > 0
    model.run(40)
    loans = model.loans
    assert not ((loans.platform == victim.idx) & (loans.originated_step > failed_at)).any()
    assert victim.book_cents < book_before          # collected or written off
    assert victim.units_total < units_before        # investors paid out pro rata
    holders = int((model.holdings.platform == victim.idx).sum())
    # only rounding dust stays: each holder's payout is floored to whole units, then cents
    assert victim.pool_cash_cents() <= holders * (victim.nav_cents() + 1)
    model.check_accounts()


def test_regulator_warns_when_a_threshold_is_crossed() -> None:
    model = run(small_params(regulator={"concentration_warning": 0.0}), 1, 3)
    warnings = model.events.frame().query("kind == 'warning'")
    assert "platform_hhi" in set(warnings["cause"])
    assert warnings["cause"].value_counts()["platform_hhi"] == 1  # once per crossing


def test_household_agents_are_views_of_the_population_arrays() -> None:
    model = run(small_params(), 3, 8)
    investors = list(model.agents_by_type[model.roles["investor"]])
    total = sum(a.deposit_cents + a.fund_cents + a.platform_cents for a in investors)
    frame = metrics.timeseries_frame(model).iloc[-1]
    expected = (frame["investor_deposits_cents"] + frame["investor_mmf_cents"]
                + frame["investor_p2p_cents"])
    assert total == pytest.approx(expected, abs=len(investors))
    borrower = next(iter(model.agents_by_type[model.roles["borrower"]]))
    assert 0 < borrower.pd_annual < 1 and borrower.cash_cents >= 0


def test_rate_cap_is_respected_by_every_loan() -> None:
    model = run(small_params(platform={"rate_cap_annual": 0.2}), 2, 20)
    assert model.loans.n_originated > 0
    assert np.all(model.loans.rate_annual <= 0.2)


def test_borrowing_caps_hold_per_platform_and_in_total() -> None:
    params = small_params(borrower={"cap_per_platform_cents": 6_000_000,
                                    "cap_total_cents": 9_000_000, "apply_prob_weekly": 1.0})
    model = run(params, 2, 20)
    loans, active = model.loans, model.loans.real_active()
    owed = pd.DataFrame({"b": loans.borrower[active], "p": loans.platform[active],
                         "o": loans.outstanding_cents[active]})
    assert len(owed) > 0
    assert owed.groupby(["b", "p"])["o"].sum().max() <= 6_000_000
    assert owed.groupby("b")["o"].sum().max() <= 9_000_000


def test_unknown_agent_class_is_a_clear_error() -> None:
    params = small_params(roles={"platform": "ifsim.agents.platform:NoSuchPlatform"})
    with pytest.raises(ParameterError, match="cannot load agent class"):
        EcosystemModel(params, seed=1)


def test_a_subclass_can_be_plugged_in_for_a_role() -> None:
    params = small_params(roles={"regulator": "conftest:CountingRegulator"})
    model = run(params, 1, 4)
    assert model.regulator.calls == 4


def test_model_pickles_for_worker_processes() -> None:
    model = run(small_params(), 1, 3)
    clone = pickle.loads(pickle.dumps(model))
    clone.step()
    model.step()
    assert metrics.summary(clone) == metrics.summary(model)


def test_steps_override_is_validated() -> None:
    with pytest.raises(ParameterError, match=r"world\.steps"):
        replace(Params().world, steps=0)


def test_a_role_class_of_another_role_is_refused_by_name() -> None:
    params = small_params(roles={"borrower": "ifsim.agents.investor:Investor"})
    with pytest.raises(ParameterError, match=r"roles.borrower = .*not a borrower class"):
        EcosystemModel(params, seed=1)


def test_screening_all_platforms_at_once_is_the_per_platform_rule() -> None:
    """``markets._screen_all_at_once`` (the fast path) against ``Platform.screen`` one
    platform at a time, with screening noise off so both see the same estimates."""
    from ifsim.ecosystem import markets

    params = small_params(platform={"screening_noise_low": 0.0,
                                    "screening_noise_high": 0.0})
    model = run(params, seed=5, steps=20)
    assert model.shipped_screening
    n = model.borrowers.n
    apps = {"borrower": np.arange(n), "platform": np.arange(n) % len(model.platforms)}
    fast = markets._screen_all_at_once(model, apps)
    model.shipped_screening = False
    slow = markets._screen_by_platform(model, apps)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, b)
    assert fast[0].any() and not fast[0].all()


def test_a_platform_class_with_its_own_pricing_is_screened_one_by_one() -> None:
    model = run(small_params(roles={"platform": "conftest:FlatRatePlatform"}), 6, 30)
    assert not model.shipped_screening
    rates = model.loans.rate_annual[:model.loans.n][model.loans.kind[:model.loans.n] == 0]
    assert rates.size and np.allclose(rates, 0.123)
