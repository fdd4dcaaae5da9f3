"""Entry of platforms when incumbents earn more than they spend, entry rules, and
orderly voluntary exit (ecosystem/entry.py)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_params

from ifsim.ecosystem import entry, metrics
from ifsim.ecosystem.contracts import FailureCause, PlatformType
from ifsim.ecosystem.model import EcosystemModel


def model(**entry_rules) -> EcosystemModel:
    rules = {"rate_weekly": 2.0, "max_per_week": 5, "signal_min_age_weeks": 0, **entry_rules}
    m = EcosystemModel(small_params(entry=rules), seed=5)
    m.run(2)
    return m


def set_results(m: EcosystemModel, revenue: float, cost: float) -> None:
    for platform in m.platforms:
        platform.revenue_cents_weekly, platform.cost_cents_weekly = revenue, cost


def test_the_entry_rate_follows_incumbents_margin_and_stops_when_it_is_gone() -> None:
    m = model(margin_cap=3.0)
    set_results(m, revenue=150_000, cost=100_000)
    assert entry.profit_margin(m) == pytest.approx(0.5)
    assert entry.expected_entrants(m) == pytest.approx(2.0 * 0.5)
    set_results(m, revenue=1_000_000, cost=100_000)
    assert entry.expected_entrants(m) == pytest.approx(2.0 * 3.0)     # capped
    set_results(m, revenue=90_000, cost=100_000)
    assert entry.expected_entrants(m) == 0.0                          # losing: none


def test_entrants_join_every_per_platform_array_and_investors_meet_them() -> None:
    m = model()
    set_results(m, revenue=400_000, cost=100_000)
    before = len(m.platforms)
    entrants = entry.enter(m)
    assert entrants and len(m.platforms) == before + len(entrants)
    n = len(m.platforms)
    assert len(m.pool_accounts) == len(m.own_accounts) == len(m.escrow_accounts) == n
    assert len(m.fee_income_cents) == len(m.unfunded_cents) == n
    assert len(m.holdings.closed_loss_cents) == n
    assert all(len(f.fees_due_cents) == n for f in m.payment_firms)
    assert m.investors.perceived_loss_annual.size == n
    assert all(p.entered_step == m.steps for p in entrants)
    assert m.events.count("platform_entry") == len(entrants)
    m.run(5)                                   # and they take part in the market
    m.check_accounts()


def test_a_minimum_capital_turns_entrants_away() -> None:
    m = model(min_capital_cents=10**11)        # far above any drawn capital
    set_results(m, revenue=400_000, cost=100_000)
    before = len(m.platforms)
    assert entry.enter(m) == [] and len(m.platforms) == before
    assert m.step_stats["entrants_turned_away"] > 0


def test_registration_admits_only_custodied_information_intermediaries() -> None:
    m = model(registration_required=True, rate_weekly=20.0)
    set_results(m, revenue=400_000, cost=100_000)
    entrants = entry.enter(m)
    assert entrants
    assert all(p.kind == PlatformType.INTERMEDIARY and p.has_custody for p in entrants)


def test_a_platform_losing_money_with_little_runway_winds_down_in_good_order() -> None:
    m = model(exit_runway_weeks=13, exit_min_age_weeks=0, rate_weekly=0.0)
    platform = m.platforms[0]
    platform.revenue_cents_weekly, platform.cost_cents_weekly = 0.0, 100_000.0
    capital = platform.capital_cents()
    assert entry.should_leave(platform) == (capital < 13 * 100_000)
    m.ledger.transfer(platform.own_account, m.accounts["world.operating_costs"],
                      max(capital - 1_000_000, 0), "test: losses so far")
    assert entry.should_leave(platform)
    entry.leave_if_unprofitable(platform)
    assert not platform.alive and platform.failure_cause == FailureCause.WOUND_DOWN
    assert not platform.disorderly
    assert m.events.count("platform_exit") == 1 and m.events.count("platform_failure") == 0
    summary = metrics.summary(m)
    assert summary["platform_exits_voluntary"] == 1 and summary["platform_failures"] == 0
    m.check_accounts()


def test_young_platforms_and_profitable_ones_stay() -> None:
    m = model(exit_runway_weeks=13, exit_min_age_weeks=52, rate_weekly=0.0)
    platform = m.platforms[0]
    platform.revenue_cents_weekly, platform.cost_cents_weekly = 0.0, 10**9
    assert not entry.should_leave(platform)              # too young to give up
    m2 = model(exit_runway_weeks=13, exit_min_age_weeks=0, rate_weekly=0.0)
    p2 = m2.platforms[0]
    p2.revenue_cents_weekly, p2.cost_cents_weekly = 200_000.0, 100_000.0
    assert not entry.should_leave(p2)                    # earning money


def test_entry_off_means_the_count_only_falls() -> None:
    m = EcosystemModel(small_params(entry={"rate_weekly": 0.0}), seed=2)
    m.run(30)
    frame = metrics.timeseries_frame(m)
    assert (np.diff(frame["platforms_alive"]) <= 0).all()
    assert frame["entries_this_step"].sum() == 0
