"""Property tests: across random worlds, money is conserved to the cent at every step,
no internal account is ever negative, and every missed instalment belongs to a borrower
in recorded default or to a failed platform its borrower stopped paying (docs/design.md
section 8)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params

WORLDS = st.fixed_dictionaries({
    "world": st.fixed_dictionaries({
        "n_investors": st.integers(5, 250), "n_borrowers": st.integers(3, 120),
        "n_platforms": st.integers(1, 8), "n_payment_firms": st.integers(1, 3),
        "n_banks": st.integers(1, 3),
    }),
    "macro": st.fixed_dictionaries({
        "default_correlation": st.floats(0.0, 0.6),
        "market_rate_vol_weekly": st.floats(0.0, 0.01),
    }),
    "borrower": st.fixed_dictionaries({
        "apply_prob_weekly": st.floats(0.0, 1.0),
        "pd_annual_mean": st.floats(0.01, 0.6),
        "max_debt_service_ratio": st.floats(0.1, 3.0),
        "cap_per_platform_cents": st.sampled_from([0, 5_000_000, 20_000_000]),
        "write_off_after_missed_weeks": st.integers(1, 8),
    }),
    "investor": st.fixed_dictionaries({
        "rebalance_prob_weekly": st.floats(0.0, 1.0),
        "max_platforms_held": st.integers(1, 4),
        "sweep_share": st.floats(0.0, 1.0),
        "loss_tolerance_mean_annual": st.floats(0.001, 0.5),
        "panic_per_failure_annual": st.floats(0.0, 0.5),
        "initial_mmf_share": st.floats(0.0, 1.0),
    }),
    "platform": st.fixed_dictionaries({
        "capital_median_cents": st.integers(0, 200_000_000),
        "custody_share": st.floats(0.0, 1.0),
        "rate_cap_annual": st.sampled_from([0.0, 0.24, 0.36]),
        "illiquid_weeks": st.integers(1, 6),
        "origination_fee": st.floats(0.0, 0.2),
    }),
    "payment_firm": st.fixed_dictionaries({
        "reserve_centralisation_ratio": st.floats(0.0, 1.0),
        "fee_rate": st.floats(0.0, 0.05),
    }),
    "fund": st.fixed_dictionaries({
        "t0_cap_cents_daily": st.sampled_from([0, 100_000, 1_000_000]),
        "target_cash_share": st.floats(0.0, 0.3),
        "stable_value": st.sampled_from([0, 1]),
        "gate_share_weekly": st.sampled_from([0.0, 0.05, 0.3]),
        "liquidity_fee": st.sampled_from([0.0, 0.02]),
        "deposit_term_weeks": st.integers(1, 26),
        "bond_term_weeks": st.integers(1, 52),
    }),
    # runs in every world: a bond-price shock that can be large, on a thin market
    "bond_market": st.fixed_dictionaries({
        "impact": st.floats(0.0, 5.0),
        "depth_cents": st.integers(10_000_000, 10**11),
        "recovery_weekly": st.floats(0.0, 1.0),
        "shock_step": st.integers(0, 12),
        "shock_size": st.floats(0.0, 0.5),
    }),
    # runs on platforms: herding on a network, a collapse, an incident, protection
    "social": st.fixed_dictionaries({
        "network": st.integers(0, 2),
        "herding_weight": st.floats(0.0, 1.0),
        "attention_weekly": st.floats(0.01, 1.0),
    }),
    "regulator": st.fixed_dictionaries({
        "disclosure_lag_weeks": st.integers(0, 8),
        "disclose_arrears": st.integers(0, 1),
    }),
    "trigger": st.fixed_dictionaries({
        "platform_failure_step": st.integers(0, 20),
        "platform_failure_type": st.integers(0, 4),
        "payment_incident_step": st.integers(0, 20),
        "payment_incident_loss_share": st.floats(0.0, 1.0),
    }),
    "protection": st.fixed_dictionaries({
        "cover_cents": st.sampled_from([0, 1_000_000, 100_000_000]),
        "levy_annual": st.floats(0.0, 0.1),
        "endowment_cents": st.sampled_from([0, 10_000_000, 10**9]),
    }),
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=WORLDS, seed=st.integers(0, 2**32 - 1))
def test_money_is_conserved_at_every_step(data: dict, seed: int) -> None:
    model = EcosystemModel(Params.from_dict(data), seed=seed)
    for _ in range(30):
        model.step()
        model.check_accounts()  # conservation, reserves = client balances, units
        loans = model.loans
        # a loan of a failed platform its borrower chose not to pay (逃废债) is the one
        # exception: the borrower keeps paying its other lenders
        missed = (loans.status == 0) & (loans.missed_weeks > 0) & (loans.strategic == 0)
        assert model.borrowers.distressed[loans.borrower[missed]].all(), \
            "an instalment was missed by a borrower not in recorded default"


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_platforms=st.integers(1, 5))
def test_failures_wind_down_without_losing_money(seed: int, n_platforms: int) -> None:
    """Platforms with no capital fail at once; their pools are paid out and conserved."""
    params = Params.from_dict({
        "world": {"n_investors": 60, "n_borrowers": 30, "n_platforms": n_platforms},
        "platform": {"capital_median_cents": 0, "origination_fee": 0.0,
                     "interest_fee_share": 0.0, "type_shares": [1.0, 0, 0, 0, 0],
                     "fraud_detection_prob": 1.0,
                     "incident_prob_weekly": 0.0},
        "investor": {"rebalance_prob_weekly": 1.0},
    })
    model = EcosystemModel(params, seed=seed)
    for _ in range(10):
        model.step()
        model.check_accounts()
    assert not model.platform_alive_mask().any()
    assert all(p.failure_cause == "insolvent" for p in model.platforms)


ENTRY = st.fixed_dictionaries({
    "entrants_weekly": st.floats(0.2, 3.0),
    "min_capital_cents": st.sampled_from([0, 50_000_000, 200_000_000]),
    "registration_required": st.booleans(),
    "exit_runway_weeks": st.integers(0, 520),
    "exit_min_age_weeks": st.integers(0, 10),
})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=WORLDS, entry_rules=ENTRY, seed=st.integers(0, 2**32 - 1))
def test_money_is_conserved_with_platforms_entering_and_leaving(
        data: dict, entry_rules: dict, seed: int) -> None:
    """Platforms enter every few weeks whatever incumbents earn (the mean number of
    entrants is forced, so that the accounts of entry are exercised in every world),
    and leave when they lose money; conservation, reserves and units hold every week."""
    from unittest import mock

    from ifsim.ecosystem import entry

    rules = dict(entry_rules)
    entrants = rules.pop("entrants_weekly")
    data = {**data, "entry": {"rate_weekly": 1.0, "max_per_week": 3, **rules}}
    model = EcosystemModel(Params.from_dict(data), seed=seed)
    start = len(model.platforms)
    with mock.patch.object(entry, "expected_entrants", lambda m: entrants):
        for _ in range(30):
            model.step()
            model.check_accounts()
            assert len(model.pool_accounts) == len(model.platforms) == \
                len(model.fee_income_cents) == len(model.holdings.closed_loss_cents)
    entered = model.events.count("platform_entry")
    assert len(model.platforms) == start + entered
