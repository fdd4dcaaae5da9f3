"""Each platform type on a hand-built small world: one platform, two investors."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import one_platform_world

from ifsim.ecosystem import claims, incidents, markets
from ifsim.ecosystem.contracts import FailureCause, LoanKind, PlatformType
from ifsim.ecosystem.loans import LoanStatus
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params


def world(kind: PlatformType, custody: float = 0.0, capital: int = 1_000_000,
          **platform) -> EcosystemModel:
    return one_platform_world(kind, custody, capital, **platform)


def invest(m: EcosystemModel, amount: int = 1_000_000) -> None:
    """Investor 0 puts ``amount`` on platform 0; on a platform funded from bids the bid is
    drawn at once, as a loan or campaign would (the money is then in the pool)."""
    markets.execute_investments(m, np.array([0]), np.array([0]), np.array([amount]))
    if m.platforms[0].kind.funded_by_bids:
        claims.draw_from_bids(m, np.array([amount]), "test: bid drawn")
    m.refresh_platform_books()


def test_fund_pool_promises_its_yield_and_tops_up_from_capital() -> None:
    m = world(PlatformType.FUND_POOL)
    p = m.platforms[0]
    invest(m)
    own = p.capital_cents()
    p.start_week()                                   # one week of promised yield accrues
    promised = int(np.floor(1_000_000 * (1 + p.advertised_yield_annual / 52)))
    assert p.unit_price_cents() == pytest.approx(promised / 1_000_000)
    p.keep_promise()                                 # idle cash earned nothing: top up
    assert p.capital_cents() == own - (promised - 1_000_000)
    assert p.pool_value_cents() == promised
    assert p.term_weeks(np.array([13])).tolist() == [26]   # lends twice as long
    assert p.lendable_cents() == promised - int(np.floor(promised * 0.05))
    m.check_accounts()


def test_fund_pool_that_cannot_keep_its_promise_fails_and_investors_fall_to_nav() -> None:
    m = world(PlatformType.FUND_POOL, capital=0, fraud_detection_prob=1.0)
    p = m.platforms[0]
    invest(m)
    p.start_week()
    p.keep_promise()
    assert not p.alive and p.failure_cause == FailureCause.INSOLVENT
    assert p.unit_price_cents() == pytest.approx(1.0)     # back to NAV: cash / units
    # the broken promise is not money lost: the pool still holds all that was put in
    assert p.net_loss_cents() == 0 and p.investor_writeoffs_cents == 0
    m.check_accounts()


@pytest.mark.parametrize("custody", [0.0, 1.0])
def test_ponzi_diverts_new_money_and_absconds_when_inflows_dry_up(custody: float) -> None:
    # owners who cannot be caught: their decision is to abscond, custody or not
    m = world(PlatformType.PONZI, custody=custody, ponzi_diversion_share=0.5,
              fraud_detection_prob=0.0, abscond_penalty_median_cents=0,
              product_terms_weeks=[4])       # the product matures at week 4
    p = m.platforms[0]
    own = p.capital_cents()
    invest(m)
    # half the new money went to the owners, booked as a fictitious loan
    assert p.capital_cents() == own + 500_000 and p.pool_cash_cents() == 500_000
    fake = np.flatnonzero(m.loans.kind == LoanKind.FICTITIOUS)
    assert fake.size == 1 and m.loans.outstanding_cents[fake[0]] == 500_000
    assert p.pool_value_cents() == 1_000_000 and p.arrears_cents == 0   # looks healthy
    m.steps = 10                                    # past maturity and the first weeks
    p.start_week()                                  # no new money this week
    m.holdings.request(m.holdings.held, m.holdings.units)
    markets.pay_withdrawals(m)
    assert not p.alive and p.failure_cause == FailureCause.ABSCONDED and p.disorderly
    assert m.loans.status[fake[0]] == LoanStatus.WRITTEN_OFF
    if custody:   # the owners can move only 10% of custodied cash: investors get 450,000
        assert m.ledger.balance(m.accounts["world.absconded"]) == own + 500_000 + 50_000
        assert m.payment_firms[0].client_balance_cents.sum() == 450_000
    else:         # the owners took it
        assert m.ledger.balance(m.accounts["world.absconded"]) == own + 500_000 + 500_000
        assert m.payment_firms[0].client_balance_cents.sum() == 0
    m.check_accounts()


def test_owners_abscond_far_more_often_without_custody() -> None:
    """Failing intermediaries with the same money: only the owners' sanction (drawn per
    owner) differs across seeds; without custody they can also take the pool's cash."""
    def absconded(custody: float) -> int:
        count = 0
        for seed in range(100):
            params = world(PlatformType.INTERMEDIARY, custody=custody, capital=200_000,
                           abscond_penalty_median_cents=2_000_000).params
            m = EcosystemModel(params, seed=seed)
            invest(m)
            m.platforms[0].fail(FailureCause.INSOLVENT)
            count += m.platforms[0].failure_cause == FailureCause.ABSCONDED
        return count
    assert absconded(0.0) > 3 * absconded(1.0)
    assert absconded(0.0) > 0


def test_crowdfunding_is_all_or_nothing() -> None:
    m = world(PlatformType.CROWDFUNDING, crowdfunding_campaign_weeks=2,
              crowdfunding_reward_share=0.0)
    p = m.platforms[0]
    invest(m, 300_000)
    apps = {"borrower": np.array([0, 1]), "platform": np.array([0, 0]),
            "amount_cents": np.array([200_000, 250_000]), "term_weeks": np.array([10, 10]),
            "purpose": np.array([1, 1], np.int8), "rate_annual": np.array([0.2, 0.2]),
            "instalment_cents": np.array([21_000, 26_000]), "est_pd": np.array([0.1, 0.1]),
            "kind": np.array([0, 0], np.int8)}
    m.campaigns.launch(apps, np.array([0, 1]))
    m.steps = 1
    funded = m.campaigns.raise_and_close()   # first reaches 200,000; second gets 100,000
    assert funded["borrower"].tolist() == [0]
    assert m.ledger.balance(p.escrow_account) == 100_000
    markets._book_and_disburse(m, funded)   # the project gets the money
    assert p.pool_cash_cents() == 0
    m.steps = 3                              # past the deadline: the second is refunded
    assert m.campaigns.raise_and_close() is None
    assert m.ledger.balance(p.escrow_account) == 0
    assert p.pool_cash_cents() == 100_000
    m.check_accounts()


def test_reward_pledges_are_delivered_in_goods_or_lost_with_the_project() -> None:
    m = world(PlatformType.CROWDFUNDING)
    p = m.platforms[0]
    invest(m, 300_000)
    markets._book_and_disburse(m, {
        "borrower": np.array([0, 1]), "platform": np.array([0, 0]),
        "amount_cents": np.array([100_000, 100_000]), "term_weeks": np.array([4, 4]),
        "purpose": np.array([1, 1], np.int8), "rate_annual": np.array([0.0, 0.0]),
        "instalment_cents": np.array([0, 0]), "kind": np.array([2, 2], np.int8)})
    m.refresh_platform_books()
    m.borrowers.distressed[1] = True
    m.steps = 4
    cash, units = p.pool_cash_cents(), p.units_total
    m.campaigns.deliver_rewards()
    assert p.pool_cash_cents() == cash                    # goods are not money
    assert p.units_total < units                          # project 0 delivered goods
    assert p.investor_writeoffs_cents == 100_000           # project 1 failed
    m.check_accounts()


def test_incident_risk_falls_with_security_spending() -> None:
    params = Params()
    assert incidents.incident_probability(params, 0.3) < \
        incidents.incident_probability(params, 0.0) / 10


def test_an_incident_steals_takes_the_service_down_and_hurts_reputation() -> None:
    m = world(PlatformType.INTERMEDIARY, incident_loss_share=0.1,
              incident_downtime_weeks=2)
    p = m.platforms[0]
    invest(m)
    m.investors.perceived_loss_annual = np.zeros(1)
    own = p.capital_cents()
    assert incidents.hit(m, p) == 100_000
    assert p.capital_cents() == own - 100_000 and p.pool_cash_cents() == 1_000_000
    assert not p.in_service() and p.alive
    assert m.investors.perceived_loss_annual[0] > 0
    m.check_accounts()


def test_an_incident_the_platform_cannot_make_good_is_a_hacked_failure() -> None:
    m = world(PlatformType.INTERMEDIARY, capital=50_000, incident_loss_share=0.1,
              fraud_detection_prob=1.0)
    p = m.platforms[0]
    invest(m)
    incidents.hit(m, p)
    assert not p.alive and p.failure_cause == FailureCause.HACKED
    assert p.investor_writeoffs_cents == 50_000     # 100,000 stolen, 50,000 made good
    m.check_accounts()
