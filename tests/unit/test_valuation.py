"""Claims valued at what they can pay, losses measured from money, absconding decided by
the owners (issue 8 items 1-3), on hand-built worlds with one platform."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import one_platform_world

from ifsim.ecosystem import claims, markets
from ifsim.ecosystem.contracts import FailureCause, LoanKind, PlatformType
from ifsim.ecosystem.loans import LoanStatus
from ifsim.ecosystem.metrics import investor_p2p_cents, investor_promised_cents
from ifsim.ecosystem.model import EcosystemModel


def world(kind: PlatformType, custody: float = 0.0, capital: int = 1_000_000,
          **platform) -> EcosystemModel:
    return one_platform_world(kind, custody, capital, abscond_penalty_sigma=0.0, **platform)


def invest(m: EcosystemModel, investor: int, amount: int) -> None:
    """Put ``amount`` of the investor's money on platform 0. On a platform funded from
    bids the bid is drawn at once, as when a loan takes it (the money then sits in the
    pool on its way to the borrower, which is what these tests need to value)."""
    markets.execute_investments(m, np.array([investor]), np.array([0]), np.array([amount]))
    if m.platforms[0].kind.funded_by_bids:
        claims.draw_from_bids(m, np.array([amount]), "test: bid drawn for a loan")
    m.refresh_platform_books()


def add_loan(m: EcosystemModel, borrower: int, principal: int, instalment: int = 0,
             rate: float = 0.0, term_weeks: int = 52, **extra) -> None:
    """Book one active loan of platform 0 directly in the loan book."""
    m.loans.add(borrower=np.array([borrower]), platform=np.array([0]),
                principal_cents=np.array([principal]), outstanding_cents=np.array([principal]),
                instalment_cents=np.array([instalment]), rate_annual=np.array([rate]),
                term_weeks=np.array([term_weeks]), purpose=np.array([0]), status=0,
                originated_step=0, **extra)


def pair(m: EcosystemModel, investor: int) -> dict[str, int]:
    values = m.holdings.slot_values_cents(m.unit_values_cents())
    pairs = m.holdings.pairs(values)
    row = np.flatnonzero((pairs["investor"] == investor) & (pairs["platform"] == 0))
    assert row.size == 1
    return {k: int(v[row[0]]) for k, v in pairs.items()}


def test_hand_built_ponzi_absconds_and_investors_lose_what_they_put_in_less_what_they_got():
    """Two investors put 1,000,000 and 600,000 cents into a Ponzi scheme without custody,
    the first takes about 300,000 back at the promised price, new money stops and the
    second asks for everything; the owners
    compare what they can take with what staying is worth and abscond. Nothing is left
    for investors, so each loses exactly what it put in minus what it got back."""
    m = world(PlatformType.PONZI, ponzi_diversion_share=0.5, abscond_penalty_median_cents=0,
              fraud_detection_prob=0.0,              # owners who are never caught
              product_terms_weeks=[4])               # 4-week products: due at week 4
    p = m.platforms[0]
    invest(m, 0, 1_000_000)
    invest(m, 1, 600_000)
    assert p.capital_cents() == 1_000_000 + 500_000 + 300_000     # diverted half
    assert p.fictitious_cents == 800_000 and p.pool_cash_cents() == 800_000
    m.steps = 10
    p.start_week()                                    # a week of promised yield accrues
    units_back = int(300_000 / p.unit_price_cents())
    m.holdings.request(np.array([[True, False, False], [False, False, False]]),
                       np.array([[units_back, 0, 0], [0, 0, 0]]))
    markets.pay_withdrawals(m)                        # paid at the promised price
    got_back_0 = int(m.payment_firms[0].client_balance_cents[m.investors.client_pos[0]])
    assert p.alive and 300_000 - 2 <= got_back_0 <= 300_000
    for _ in range(4):                                # new money stops
        p.start_week()
    m.steps = 14                                      # the second product rolled to week 14
    m.holdings.request(np.array([[False, False, False], [True, False, False]]),
                       m.holdings.units)
    markets.pay_withdrawals(m)                        # the request outruns the inflow
    assert not p.alive and p.failure_cause == FailureCause.ABSCONDED
    failure = next(r for r in m.events.rows if r[1] == "platform_failure")
    assert "owners could take" in failure[5]          # their decision, with its numbers
    fake = m.loans.kind == LoanKind.FICTITIOUS     # one fictitious loan per investment
    assert (m.loans.status[fake] == LoanStatus.WRITTEN_OFF).all() and fake.sum() == 2
    for _ in range(2):                                # the empty pool winds down
        markets.pay_withdrawals(m)
    first, second = pair(m, 0), pair(m, 1)
    assert first["paid_in_cents"] == 1_000_000 and first["got_back_cents"] == got_back_0
    assert first["loss_cents"] == 1_000_000 - got_back_0
    assert second == {**second, "paid_in_cents": 600_000, "got_back_cents": 0,
                      "loss_cents": 600_000}
    assert m.investor_losses_by_platform()[0] == 1_600_000 - got_back_0
    m.check_accounts()


def test_promised_value_is_not_wealth_and_the_promise_is_its_own_series() -> None:
    m = world(PlatformType.PONZI, ponzi_diversion_share=0.5)
    p = m.platforms[0]
    invest(m, 0, 1_000_000)
    p.start_week()
    assert investor_promised_cents(m) == p.promised_cents() > 1_000_000
    # half went to the owners as a fictitious loan: only the cash is worth anything
    assert investor_p2p_cents(m) == 500_000
    assert p.unit_price_cents() == pytest.approx(p.promised_price_cents)   # it still deals
    assert p.net_loss_cents() == 500_000                                    # at its promise


def test_custody_takes_the_investors_cash_out_of_the_owners_reach() -> None:
    """Same platform, same money: without custody the owners could take the pool's cash
    and find absconding worth more than staying; with custody they can move only the
    share they can send out as payments for fictitious loans (10%), and stay."""
    decisions = {}
    for custody in (0.0, 1.0):
        m = world(PlatformType.INTERMEDIARY, custody=custody, capital=100_000,
                  abscond_penalty_median_cents=1_000_000, custody_reach_share=0.1)
        invest(m, 0, 5_000_000)
        p = m.platforms[0]
        decisions[custody] = (p.owners_can_take_cents(), p.owners_abscond(failing=True))
    # 0.67 * 5,100,000 - 0.33 * 1,000,000 = 3,087,000 > 100,000 staying
    assert decisions[0.0] == (100_000 + 5_000_000, True)
    # 0.67 * 600,000 - 0.33 * 1,000,000 = 72,000 < 100,000 staying
    assert decisions[1.0] == (100_000 + 500_000, False)


def test_caught_owners_leave_investor_money_and_give_up_their_own() -> None:
    m = world(PlatformType.INTERMEDIARY, capital=100_000, fraud_detection_prob=1.0)
    p = m.platforms[0]
    invest(m, 0, 5_000_000)
    p.fail(FailureCause.ABSCONDED, "test")
    assert p.owners_caught and p.capital_cents() == 0
    assert m.ledger.balance(m.accounts["world.absconded"]) == 0
    assert p.pool_cash_cents() == 5_100_000                 # their 100,000 goes to investors
    assert p.investor_recoveries_cents == 100_000 and p.investor_writeoffs_cents == 0
    assert m.events.count("fraud_investigation") == 1
    m.check_accounts()


def test_a_franchise_worth_keeping_stops_the_owners_from_absconding() -> None:
    m = world(PlatformType.INTERMEDIARY, capital=100_000, abscond_penalty_median_cents=0)
    invest(m, 0, 5_000_000)
    p = m.platforms[0]
    assert p.owners_abscond(failing=False)            # nothing to lose by running
    p.owner_cashflow_cents_weekly = 200_000.0         # 52 weeks of this beat the take
    assert not p.owners_abscond(failing=False)
    assert p.owners_abscond(failing=True)             # a failing platform has no franchise


def test_failed_fund_pool_investors_keep_the_pool_and_lose_no_money_they_put_in() -> None:
    """The broken promise is not a loss of money: the pool still holds all 1,000,000."""
    m = world(PlatformType.FUND_POOL, capital=0, fraud_detection_prob=1.0)
    p = m.platforms[0]
    invest(m, 0, 1_000_000)
    p.start_week()
    p.keep_promise()
    assert not p.alive and p.failure_cause == FailureCause.INSOLVENT
    assert p.net_loss_cents() == 0 and p.investor_writeoffs_cents == 0
    assert investor_p2p_cents(m) == 1_000_000 and investor_promised_cents(m) == 0
    m.check_accounts()


def test_reward_goods_extinguish_the_backers_claim_without_cash() -> None:
    m = world(PlatformType.CROWDFUNDING, crowdfunding_reward_share=1.0)
    p = m.platforms[0]
    invest(m, 0, 1_000_000)
    add_loan(m, 1, 400_000, term_weeks=1, kind=LoanKind.REWARD)
    m.ledger.transfer(p.pool_account, m.accounts["world.spending"], 400_000, "to project")
    m.refresh_platform_books()
    cash_before, units_before = p.pool_cash_cents(), p.units_total
    m.steps = 5
    m.campaigns.deliver_rewards()
    assert p.pool_cash_cents() == cash_before                 # goods are not money
    assert units_before - p.units_total == pytest.approx(400_000, abs=1)
    holding = pair(m, 0)
    assert holding["got_back_cents"] == pytest.approx(400_000, abs=1)
    assert holding["loss_cents"] == 0


def test_guarantee_coverage_is_the_guarantors_capital_against_its_claims() -> None:
    m = world(PlatformType.GUARANTEED, capital=1_000_000)
    g = m.guarantors[0]
    add_loan(m, 0, 10_000_000, rate=0.1, guarantor=np.array([0]))
    perceived = np.array([0.2])                     # 2,000,000 of claims a year
    capital = g.capital_cents()
    assert m.guarantee_coverage(perceived)[0] == pytest.approx(min(capital / 2_000_000, 1))
    m.ledger.transfer(g.own_account, m.accounts["world.outside_losses"], capital, "test")
    assert m.guarantee_coverage(perceived)[0] == 0.0           # no capital, no cover
    assert m.guarantee_coverage(np.array([0.0]))[0] == 0.0     # even with no claims seen


def test_loans_in_arrears_are_valued_at_the_recovery_rate_of_closed_claims() -> None:
    m = world(PlatformType.INTERMEDIARY)
    p = m.platforms[0]
    invest(m, 0, 1_000_000)
    add_loan(m, 0, 400_000, instalment=10_000, rate=0.1)
    m.ledger.transfer(p.pool_account, m.accounts["world.spending"], 400_000, "lent")
    m.loans.cols["missed_weeks"][0] = 2
    m.refresh_platform_books()
    assert p.recoverable_value_cents() == 600_000              # nothing recovered yet
    m.recoveries.closed_claimed_cents, m.recoveries.closed_collected_cents = 1_000, 250
    assert p.recoverable_value_cents() == 600_000 + 100_000    # 25% of 400,000
