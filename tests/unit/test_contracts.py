"""Contracts per business model on hand-built worlds (issue 11): loan claims leave only
through the transfer market, as far as buyers bring money; fund-pool products mature and
roll over or pay out; a borrower living on rolling loans defaults when its only lender
closes; borrowers stop paying a failed platform; distress can end."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import PLATFORM_TYPE_SHARES

from ifsim.agents.borrower import Borrower
from ifsim.ecosystem import claims, markets, metrics
from ifsim.ecosystem.contracts import FailureCause, PlatformType
from ifsim.ecosystem.loans import LoanStatus, instalment_cents
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params


def world(kind: PlatformType, n_investors: int = 3, n_platforms: int = 1,
          borrower: dict | None = None, **platform) -> EcosystemModel:
    """Platforms of one type, investors with 500,000 yuan each, no fees, no incidents,
    no entry, conservation checked."""
    params = Params.from_dict({
        "world": {"n_investors": n_investors, "n_borrowers": 2, "n_platforms": n_platforms,
                  "n_payment_firms": 1, "n_banks": 1, "check_conservation": True},
        "investor": {"wealth_median_cents": 50_000_000, "wealth_sigma": 0.0,
                     "initial_mmf_share": 0.0, "auto_invest_share": 0.0},
        "borrower": {"apply_prob_weekly": 0.0, **(borrower or {})},
        "payment_firm": {"fee_rate": 0.0},
        "platform": {"type_shares": PLATFORM_TYPE_SHARES[int(kind)], "custody_share": 1.0,
                     "incident_prob_weekly": 0.0, "origination_fee": 0.0, **platform},
        "guarantor": {"fee": 0.0},
        "entry": {"rate_weekly": 0.0},
    })
    return EcosystemModel(params, seed=0)


def bid(m: EcosystemModel, investor: int, amount: int, platform: int = 0) -> None:
    markets.execute_investments(m, np.array([investor]), np.array([platform]),
                                np.array([amount]))


def lend(m: EcosystemModel, amount: int, borrower: int = 0, platform: int = 0,
         term_weeks: int = 52, bullet: int = 0, rate: float = 0.1) -> int:
    """Book one loan through the market's own booking (funded from bids); its row."""
    instalment = instalment_cents(np.array([amount]), np.array([rate]),
                                  np.array([term_weeks]), np.array([bullet]))
    markets._book_and_disburse(m, {
        "borrower": np.array([borrower]), "platform": np.array([platform]),
        "amount_cents": np.array([amount]), "instalment_cents": instalment,
        "rate_annual": np.array([rate]), "term_weeks": np.array([term_weeks]),
        "purpose": np.array([0], np.int8), "bullet": np.array([bullet], np.int8)})
    m.refresh_platform_books()
    return int(m.loans.n - 1)


def app_balance(m: EcosystemModel, investor: int) -> int:
    return int(m.payment_firms[0].client_balance_cents[m.investors.client_pos[investor]])


# -- loan claims and the transfer market ---------------------------------------------
def test_an_intermediarys_investor_exits_only_as_far_as_buyers_bring_money() -> None:
    m = world(PlatformType.INTERMEDIARY, transfer_discount_max=0.0)   # trades at par
    hold, ledger, p = m.holdings, m.ledger, m.platforms[0]
    bid(m, 0, 1_000_000)
    lend(m, 1_000_000)                        # the whole bid is lent: 1,000,000 claims
    assert hold.units[0].sum() == 1_000_000 and p.pool_cash_cents() == 0
    m.steps = 1
    hold.request(hold.held & (np.arange(3)[:, None] == 0), hold.units, step=1)
    m.steps = 2
    hold.request(hold.held & (np.arange(3)[:, None] == 1), hold.units, step=2)  # nothing
    claims.clear_transfer_market(m)           # no buyer: nothing moves
    assert hold.units[0].sum() == 1_000_000
    assert metrics.transfer_queue_cents(m) == p.transfer_queue_cents == 1_000_000

    deposit_1 = ledger.balance(int(m.investors.account[1]))
    bid(m, 1, 300_000)                        # a buyer brings 300,000
    claims.clear_transfer_market(m)
    assert hold.units[0].sum() == 700_000 and hold.units[1].sum() == 300_000
    assert app_balance(m, 0) == 300_000       # the seller is paid what buyers brought
    assert ledger.balance(int(m.investors.account[1])) == deposit_1 - 300_000
    assert p.transfer_queue_cents == 700_000  # the queue, shown
    assert hold.bid_cents.sum() == 0 and p.pool_cash_cents() == 0
    assert p.alive and p.failure_cause is None   # a queue is no failure of the platform

    bid(m, 2, 1_000_000)                      # more money than the queue: the rest waits
    claims.clear_transfer_market(m)
    assert hold.units[0].sum() == 0 and hold.units[2].sum() == 700_000
    assert hold.bid_cents[2].sum() == 300_000 and p.transfer_queue_cents == 0
    assert app_balance(m, 0) == 1_000_000
    m.check_accounts()


def test_the_first_to_ask_is_the_first_sold_and_a_long_queue_sells_at_a_discount() -> None:
    m = world(PlatformType.INTERMEDIARY, transfer_discount_max=0.05)
    hold = m.holdings
    bid(m, 0, 600_000)
    bid(m, 1, 400_000)
    lend(m, 1_000_000)
    assert hold.units[0].sum() == 600_000 and hold.units[1].sum() == 400_000
    hold.request(hold.held & (np.arange(3)[:, None] == 1), hold.units, step=3)   # first
    hold.request(hold.held & (np.arange(3)[:, None] == 0), hold.units, step=5)   # later
    bid(m, 2, 100_000)
    claims.clear_transfer_market(m)
    # queue 1,000,000 against 100,000 of bids: discount 0.05 x 1/1.1, price 0.954545...
    price = 1.0 - 0.05 * 1_000_000 / 1_100_000
    sold = int(np.floor(100_000 / price))     # 104,761 units for the 100,000
    assert hold.units[1].sum() == 400_000 - sold and hold.units[0].sum() == 600_000
    assert hold.units[2].sum() == sold
    assert app_balance(m, 1) == int(np.floor(sold * price)) <= 100_000
    assert app_balance(m, 0) == 0             # the later seller waits its turn
    m.check_accounts()


def test_repayments_are_paid_out_at_once_and_no_cash_idles() -> None:
    m = world(PlatformType.INTERMEDIARY)
    bid(m, 0, 1_000_000)
    row = lend(m, 520_000, term_weeks=2, rate=0.52)
    m.ledger.transfer(m.accounts["world.income"], int(m.borrowers.account[0]), 600_000,
                      "income")
    for _ in range(2):
        rows = m.loans.active_rows()
        interest, due = m.loans.amounts_due(rows)
        markets.settle_repayments(m, rows, interest, due, np.ones(rows.size, bool))
    assert m.loans.status[row] == LoanStatus.REPAID
    collected = m.platforms[0].pool_cash_cents()                # net of the 10% cut
    assert collected > 520_000
    markets.pay_withdrawals(m)
    # paid out at once, but for the cents that flooring each payout to whole units leaves
    assert 0 <= m.platforms[0].pool_cash_cents() <= 2
    assert app_balance(m, 0) == collected - m.platforms[0].pool_cash_cents()
    m.check_accounts()


# -- fixed-term products ----------------------------------------------------------------
def test_a_fund_pool_product_matures_and_rolls_over_or_pays_out() -> None:
    m = world(PlatformType.FUND_POOL, product_terms_weeks=[4])
    hold, p = m.holdings, m.platforms[0]
    bid(m, 0, 1_000_000)                      # a product, paid into the pool at once
    bid(m, 1, 500_000)
    assert p.pool_cash_cents() == 1_500_000
    assert hold.maturity_step[0].max() == 4 and hold.maturity_step[1].max() == 4
    m.steps = 2
    hold.request(hold.held & (np.arange(3)[:, None] == 0), hold.units, step=2)
    markets.pay_withdrawals(m)                # asked back before maturity: it waits
    assert app_balance(m, 0) == 0 and hold.units[0].sum() == 1_000_000
    for _ in range(4):
        p.start_week()                        # four weeks of the promised yield
    m.steps = 4
    markets.pay_withdrawals(m)                # maturity: one pays out, one rolls over
    promised = int(np.floor(1_000_000 * p.promised_price_cents))
    assert promised > 1_000_000
    assert app_balance(m, 0) == promised and not hold.held[0].any()
    assert hold.units[1].sum() == 500_000 and hold.maturity_step[1].max() == 8
    assert m.step_stats["products_rolled"] == 1
    m.check_accounts()


def test_a_product_asked_back_that_the_pool_cannot_pay_is_a_queue() -> None:
    m = world(PlatformType.FUND_POOL, product_terms_weeks=[4], illiquid_weeks=2,
              illiquid_queue_share=0.1, fund_pool_term_multiplier=3.0)
    hold, p = m.holdings, m.platforms[0]
    bid(m, 0, 1_000_000)
    m.ledger.transfer(p.pool_account, m.accounts["world.spending"], 900_000, "lent long")
    m.loans.add(borrower=np.array([0]), platform=np.array([0]),
                principal_cents=np.array([900_000]), outstanding_cents=np.array([900_000]),
                instalment_cents=np.array([0]), rate_annual=np.array([0.0]),
                term_weeks=np.array([52]), purpose=np.array([0]), status=0,
                originated_step=0)
    m.refresh_platform_books()
    hold.request(hold.held, hold.units, step=0)
    m.steps = 4
    markets.pay_withdrawals(m)                # 100,000 of cash for a 1,000,000 product
    assert app_balance(m, 0) == pytest.approx(100_000, abs=2)
    assert p.alive and p.run_weeks == 1
    m.steps = 5
    markets.pay_withdrawals(m)
    assert not p.alive and p.failure_cause == FailureCause.ILLIQUID
    assert metrics.maturity_gap_weeks(m) == 0.0    # failed: no longer measured


# -- borrowers who roll over, stop paying, recover --------------------------------------
ROLLER = {"rollover_share": 1.0, "rollover_lead_weeks": 2, "cure_prob_weekly": 0.0,
          "max_debt_service_ratio": 1e-4}     # no new lender passes the income test


def rollover_world() -> tuple[EcosystemModel, int]:
    m = world(PlatformType.INTERMEDIARY, n_platforms=2, borrower=ROLLER, pd_cutoff_low=0.99,
              pd_cutoff_high=0.99)
    for investor, platform in ((0, 0), (1, 1), (2, 1)):   # one loan takes at most half
        bid(m, investor, 48_000_000, platform)             # of the money on offer
    # 先息后本: weekly interest, the 15,000,000 principal (about 33 weeks of the
    # borrower's income) at the end of week 4
    row = lend(m, 15_000_000, term_weeks=4, bullet=1, platform=0)
    account = int(m.borrowers.account[0])
    m.ledger.transfer(account, m.accounts["world.spending"], m.ledger.balance(account),
                      "spent")                # the principal is gone: only a new loan repays
    return m, row


def a_week(m: EcosystemModel) -> None:
    """The borrower phases of one week, in the model's order."""
    m.steps += 1
    m.borrowers_earn_and_repay()
    markets.originate_loans(m, Borrower.ask_for_loans(m))


def test_a_rollover_borrower_repays_its_loan_with_a_new_one_from_its_lender() -> None:
    m, row = rollover_world()
    for _ in range(3):
        a_week(m)
    assert m.loans.status[row] == LoanStatus.REPAID
    rolled = np.flatnonzero(m.loans.rollover == 1)
    assert rolled.size == 1 and m.loans.platform[rolled[0]] == 0    # its own lender
    assert m.loans.status[rolled[0]] == LoanStatus.ACTIVE and m.loans.bullet[rolled[0]]
    assert not m.borrowers.distressed[0]
    m.check_accounts()


def test_a_rollover_borrower_defaults_when_its_only_lender_closes() -> None:
    m, row = rollover_world()
    elsewhere = lend(m, 200_000, platform=1, term_weeks=52)   # it owes platform 1 too
    m.platforms[0].fail(FailureCause.ORDERED, "test: closed by the regulator")
    m.loans.cols["strategic"][row] = 0        # this borrower meant to keep paying
    for _ in range(5):
        a_week(m)
    # platform 1 had money and would screen it, but as a new lender it applies the
    # income test the borrower cannot pass: nobody refinances, the principal is missed
    assert not (m.loans.rollover == 1).any()
    assert m.borrowers.distressed[0]
    assert m.loans.missed_weeks[row] >= 1 and m.loans.status[row] == LoanStatus.ACTIVE
    # and its loan on the platform that stayed open goes unpaid with it: a common
    # borrower carries the closure to another platform
    assert m.loans.missed_weeks[elsewhere] >= 1 and m.platforms[1].arrears_cents > 0
    m.check_accounts()


def test_borrowers_stop_paying_a_failed_platform_and_keep_paying_the_others() -> None:
    m = world(PlatformType.INTERMEDIARY, n_platforms=2,
              borrower={"strategic_default_share": 1.0, "cure_prob_weekly": 0.0})
    bid(m, 0, 2_000_000, 0)
    bid(m, 1, 2_000_000, 1)
    failing = lend(m, 500_000, platform=0)
    other = lend(m, 500_000, platform=1)
    m.ledger.transfer(m.accounts["world.income"], int(m.borrowers.account[0]), 1_000_000,
                      "income")
    m.platforms[0].fail(FailureCause.ORDERED, "test")
    assert m.loans.strategic[failing] == 1 and m.loans.strategic[other] == 0
    assert m.events.count("strategic_default") == 1
    rows = m.loans.active_rows()
    _, due = m.loans.amounts_due(rows)
    paid = Borrower.pay_instalments(m, rows, due)
    assert paid[rows == other].all() and not paid[rows == failing].any()
    assert not m.borrowers.distressed[0]
    m.check_accounts()


def test_distress_ends_with_the_cure_probability() -> None:
    m = world(PlatformType.INTERMEDIARY, borrower={"cure_prob_weekly": 1.0,
                                                   "pd_annual_mean": 0.0001})
    m.borrowers.distressed[:] = True
    Borrower.fall_into_distress(m)
    assert not m.borrowers.distressed.any()
    m2 = world(PlatformType.INTERMEDIARY, borrower={"cure_prob_weekly": 0.0,
                                                    "pd_annual_mean": 0.0001})
    m2.borrowers.distressed[:] = True
    Borrower.fall_into_distress(m2)
    assert m2.borrowers.distressed.all()     # absorbing without cures


def test_logit_shares_leave_closed_options_out_even_without_sensitivity() -> None:
    """Found by the fuzz tests: investor.choice_sensitivity = 0 made 0 x -inf = NaN."""
    from ifsim.agents.investor import logit_shares

    utils = np.array([[0.02, -np.inf, 0.05], [0.02, 0.03, 0.05]])
    flat = logit_shares(utils, 0.0)
    np.testing.assert_allclose(flat, [[0.5, 0.0, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    sharp = logit_shares(utils, 60.0)
    assert np.isfinite(sharp).all() and sharp[0, 1] == 0.0
    np.testing.assert_allclose(sharp.sum(axis=1), 1.0)
    assert sharp[1, 2] > sharp[1, 1] > sharp[1, 0]


# -- found by review: each once wrong ----------------------------------------------------
def test_new_bidders_buy_at_the_value_before_their_money_and_do_not_dilute() -> None:
    m = world(PlatformType.INTERMEDIARY)
    bid(m, 0, 1_000_000)
    lend(m, 1_000_000, rate=0.52, term_weeks=52)
    # the book earns a week of interest: each claim is now worth more than 1 cent
    m.loans.cols["outstanding_cents"][0] += 10_000
    m.refresh_platform_books()
    value_before = m.unit_values_cents()[0]
    assert value_before == pytest.approx(1.01)
    bid(m, 1, 505_000)
    lend(m, 505_000, borrower=1)
    assert m.holdings.units[1].sum() == int(505_000 / 1.01)     # 500,000 claims
    assert m.unit_values_cents()[0] == pytest.approx(1.01, abs=1e-6)   # nobody diluted
    m.check_accounts()


def test_a_rollover_borrower_asks_its_own_lender_first() -> None:
    m, row = rollover_world()
    apps = {"borrower": np.array([0]), "amount_cents": np.array([15_000_000]),
            "term_weeks": np.array([4]), "purpose": np.array([0], np.int8),
            "refinances": np.array([row])}
    firsts = {int(markets.choose_lenders(m, apps)[0][0]) for _ in range(20)}
    assert firsts == {0}


def application(borrower: int, amount: int, platform: int = 0, refinances: int = -1,
                rate: float = 0.1, term_weeks: int = 52, bullet: int = 1) -> dict:
    """One priced loan application, as ``markets._approved`` sees it."""
    return {"borrower": np.array([borrower]), "platform": np.array([platform]),
            "amount_cents": np.array([amount]), "rate_annual": np.array([rate]),
            "term_weeks": np.array([term_weeks]), "purpose": np.array([0], np.int8),
            "refinances": np.array([refinances]),
            "instalment_cents": instalment_cents(np.array([amount]), np.array([rate]),
                                                 np.array([term_weeks]),
                                                 np.array([bullet]))}


@pytest.mark.parametrize("amortizing", [True, False])
def test_affordability_counts_an_interest_only_loan_as_if_it_amortized(amortizing) -> None:
    """A 52-week interest-only loan of 20 weeks' income costs 0.04 of income a week in
    interest and about 0.40 amortized: under a 0.3 limit it passes only when the test
    counts the interest alone (lax underwriting)."""
    m = world(PlatformType.INTERMEDIARY,
              borrower={"max_debt_service_ratio": 0.3, "cap_per_platform_cents": 0,
                        "cap_total_cents": 0, "bullet_tested_amortizing": amortizing})
    amount = 20 * int(m.borrowers.income_cents_weekly[0])
    ok = markets._within_limits(m, application(0, amount))
    assert bool(ok[0]) is (not amortizing)


def test_a_platform_funds_its_borrowers_rollover_before_new_loans() -> None:
    """Money for one loan, two asking: the rollover of a loan it made is funded, the new
    loan listed before it is not (an unrolled loan would default on its own book)."""
    m = world(PlatformType.INTERMEDIARY, max_loan_share_of_cash=1.0)
    bid(m, 0, 40_000_000)
    old = lend(m, 10_000_000, borrower=1, bullet=1)      # 30,000,000 left in bids
    new, roll = application(0, 20_000_000), application(1, 20_000_000, refinances=old)
    apps = {k: np.concatenate([new[k], roll[k]]) for k in new}
    funded = markets._fundable(m, apps, np.array([True, True]))
    assert funded.tolist() == [False, True]


def test_bids_on_a_platform_that_leaves_are_void_and_free_the_slot() -> None:
    m = world(PlatformType.INTERMEDIARY, n_platforms=2)
    bid(m, 0, 300_000, platform=0)
    assert m.holdings.held[0].any()
    m.platforms[0].fail(FailureCause.ORDERED, "test")
    assert m.holdings.bid_cents.sum() == 0 and not m.holdings.held[0].any()
    m.check_accounts()


def test_a_loan_that_refinances_a_watched_loan_stays_watched() -> None:
    m, row = rollover_world()
    m.loans.cols["watched"][row] = 1
    for _ in range(3):
        a_week(m)
    rolled = np.flatnonzero(m.loans.rollover == 1)
    assert m.loans.status[row] == LoanStatus.REPAID
    assert rolled.size == 1 and m.loans.watched[rolled[0]] == 1


def test_a_borrower_who_quit_a_failed_platform_does_not_refinance_that_loan() -> None:
    m, row = rollover_world()
    m.loans.cols["strategic"][row] = 1
    m.loans.cols["weeks_paid"][row] = 3                 # one week before maturity
    assert Borrower.loans_to_roll_over(m).size == 0


def test_common_borrower_same_world_open_or_closed() -> None:
    """The same hand-built world twice: a rollover borrower owes its lender (platform 0)
    a maturing interest-only loan and platform 1 an ordinary one. With its lender open
    it rolls over and keeps paying platform 1; with its lender closed, nobody else
    refinances it, and platform 1's loan goes unpaid: 0 of 1 against 1 of 1 loans
    elsewhere in default."""
    in_default = {}
    for closed in (False, True):
        m, row = rollover_world()
        elsewhere = lend(m, 200_000, platform=1, term_weeks=52)
        if closed:
            m.platforms[0].fail(FailureCause.ORDERED, "test: closed by the regulator")
            m.loans.cols["strategic"][row] = 0
        for _ in range(5):
            a_week(m)
        in_default[closed] = int(m.loans.missed_weeks[elsewhere] > 0)
        m.check_accounts()
    assert in_default == {False: 0, True: 1}
