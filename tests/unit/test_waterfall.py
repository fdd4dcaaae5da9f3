"""The default waterfall of source 003 on a worked example, and its properties.

Borrowers in these worlds earn exactly 100,000 cents a week (30,000 when distressed) and
keep a buffer of 3 weeks of it; collectors take half of a pursued borrower's income.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ifsim.agents.borrower import Borrower
from ifsim.ecosystem import markets, shocks, waterfall
from ifsim.ecosystem.contracts import FailureCause
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params

INCOME, REDUCED, COLLECTED = 100_000, 30_000, 15_000  # cents a week


def guaranteed_world(guarantor_cents: int = 300_000, coverage: float = 0.0,
                     risk_pool_share: float = 0.1, n_borrowers: int = 1,
                     recovery_weeks: int = 26) -> EcosystemModel:
    params = Params.from_dict({
        "world": {"n_investors": 2, "n_borrowers": n_borrowers, "n_platforms": 1,
                  "n_payment_firms": 1, "n_banks": 1, "check_conservation": True},
        "borrower": {"income_median_cents_weekly": INCOME, "income_sigma": 0.0,
                     "distressed_income_share": 0.3, "cash_buffer_weeks": 3.0},
        "investor": {"wealth_median_cents": 50_000_000, "wealth_sigma": 0.0},
        "platform": {"type_shares": [0, 1.0, 0, 0, 0], "capital_median_cents": 1_000_000,
                     "capital_sigma": 0.0, "risk_pool_capital_share": risk_pool_share,
                     "insurance_coverage": coverage, "incident_prob_weekly": 0.0,
                     "fraud_detection_prob": 0.0},     # absconding owners get away
        "guarantor": {"n_guarantors": 1, "capital_median_cents": guarantor_cents,
                      "capital_sigma": 0.0, "fee": 0.0, "collection_income_share": 0.5,
                      "recovery_weeks": recovery_weeks},
    })
    return EcosystemModel(params, seed=0)


def lend(m: EcosystemModel, principal: int, borrower: int = 0, invest: bool = True,
         empty_card: bool = True) -> int:
    """Investor 0 bids 2,000,000 (it waits in its deposit, ecosystem/claims.py); one
    guaranteed loan at the best grade (2% margin) draws on it;
    the borrower falls into distress and misses one instalment."""
    if invest:
        markets.execute_investments(m, np.array([0]), np.array([0]), np.array([2_000_000]))
    markets._book_and_disburse(m, {
        "borrower": np.array([borrower]), "platform": np.array([0]),
        "amount_cents": np.array([principal]), "instalment_cents": np.array([principal // 10]),
        "rate_annual": np.array([0.2]), "term_weeks": np.array([10]),
        "purpose": np.array([0], np.int8), "est_pd": np.array([0.0])})
    m.refresh_platform_books()
    if empty_card:  # the proceeds are all spent: the linked card is empty, the debit fails
        account = int(m.borrowers.account[borrower])
        m.ledger.transfer(account, m.accounts["world.spending"], m.ledger.balance(account),
                          "spent")
    m.borrowers.distressed[borrower] = True
    row = int(m.loans.active_rows()[-1])
    m.loans.cols["missed_weeks"][row] = 1  # one missed instalment
    return row


def week_of_collection(m: EcosystemModel) -> None:
    """The borrower-side phases of a week: income, collections, spending."""
    Borrower.earn_income(m)
    m.recoveries.collect()
    Borrower.spend_remaining_cash(m)


def test_worked_example_guarantor_exhausted_then_risk_pool_then_investors() -> None:
    m = guaranteed_world()
    platform, guarantor = m.platforms[0], m.guarantors[0]
    assert m.ledger.balance(platform.risk_pool_account) == 100_000  # 10% of 1m capital
    row = lend(m, 1_000_000)
    # the guarantor posted a 2% margin into the risk pool: 300,000 -> 280,000
    assert guarantor.capital_cents() == 280_000
    assert m.ledger.balance(platform.risk_pool_account) == 120_000
    assert m.loans.guarantor[row] == 0
    assert platform.pool_cash_cents() == 0                       # 1m drawn from the bid, lent
    assert m.holdings.bid_cents[0].sum() == 1_000_000            # the rest still waits

    paid = waterfall.settle(m, row)
    assert paid == {"forced_debit": 0, "guarantor": 280_000, "risk_pool": 120_000,
                    "insurance": 0, "investor_loss": 600_000}
    assert not guarantor.alive                                  # exhausted: it fails
    assert m.ledger.balance(platform.risk_pool_account) == 0
    m.refresh_platform_books()
    assert platform.pool_value_cents() == 400_000               # investors lost 600,000
    assert platform.investor_writeoffs_cents == 600_000
    events = m.events.frame()
    steps = events[events["kind"] == "waterfall"][["cause", "amount_cents"]].values.tolist()
    assert steps == [["guarantor", 280_000], ["risk_pool", 120_000],
                     ["investor_loss", 600_000]]
    assert (events["kind"] == "guarantor_failure").sum() == 1

    # Recovery out of the borrower's reduced income: 30,000 a week, of which collectors
    # take half, 15,000, for 26 weeks: 390,000 of the 1,000,000 claim (a 39% recovery).
    # Shared pro rata to what each paid (28% / 12% / 60%): 4,200 + 1,800 + 9,000 a week,
    # so guarantor 109,200, risk pool 46,800, investors 234,000; 610,000 lapses.
    account = int(m.borrowers.account[0])
    assert m.recoveries.outstanding_cents() == 1_000_000
    for week in range(26):
        week_of_collection(m)
        assert m.ledger.balance(account) == min((week + 1) * 15_000, 90_000)  # 3-week buffer
    assert guarantor.capital_cents() == 109_200
    assert m.ledger.balance(platform.risk_pool_account) == 46_800
    assert platform.investor_recoveries_cents == 234_000
    assert platform.investor_writeoffs_cents == 600_000
    assert m.ledger.flows_cents["recovery from borrower"] == 26 * 15_000 == 390_000
    assert m.recoveries.outstanding_cents() == 0 and not len(m.recoveries)  # lapsed
    events = m.events.frame()
    recovery = events[events["kind"] == "recovery"][["cause", "amount_cents"]]
    assert recovery.values.tolist() == [["collected", 390_000], ["lapsed", 610_000]]
    m.check_accounts()


def test_forced_debit_pays_from_the_borrowers_buffer() -> None:
    """Source 003 step 1: the platform debits the linked card, where the borrower keeps
    its precautionary buffer (3 weeks of its 100,000 a week); the proceeds above it were
    spent."""
    m = guaranteed_world()
    account = int(m.borrowers.account[0])
    row = lend(m, 1_000_000, empty_card=False)
    m.borrowers.distressed[0] = False        # spent while still healthy
    proceeds = m.ledger.balance(account)
    Borrower.spend_remaining_cash(m)
    assert m.ledger.balance(account) == 300_000
    assert m.ledger.flows_cents["borrower spending"] == proceeds - 300_000
    m.borrowers.distressed[0] = True
    paid = waterfall.settle(m, row)
    # the card pays 300,000; the guarantor its 280,000 and fails; the pool 120,000
    assert paid == {"forced_debit": 300_000, "guarantor": 280_000, "risk_pool": 120_000,
                    "insurance": 0, "investor_loss": 300_000}
    assert m.ledger.balance(account) == 0
    events = m.events.frame()
    debit = events[(events["kind"] == "waterfall") & (events["cause"] == "forced_debit")]
    assert debit["amount_cents"].tolist() == [300_000]
    assert m.recoveries.outstanding_cents() == 700_000  # the rest is claimed
    m.check_accounts()


def test_a_distressed_borrower_runs_its_buffer_down_to_its_reduced_income() -> None:
    m = guaranteed_world()
    account = int(m.borrowers.account[0])
    for _ in range(5):  # healthy: 100,000 a week, keeps 300,000
        Borrower.earn_income(m)
        Borrower.spend_remaining_cash(m)
    assert m.ledger.balance(account) == 300_000
    m.borrowers.distressed[0] = True
    Borrower.earn_income(m)                  # 30,000
    Borrower.spend_remaining_cash(m)         # keeps 3 weeks of 30,000
    assert m.ledger.balance(account) == 90_000
    assert m.ledger.flows_cents["borrower income"] == 5 * INCOME + REDUCED
    m.check_accounts()


def test_claims_are_collected_from_a_distressed_borrowers_reduced_income() -> None:
    """Two defaulted loans of one borrower, no guarantor and no risk pool: investors own
    both claims (1,000,000 and 500,000). Collectors take half of the 30,000 the borrower
    now earns, 15,000 a week, shared 2:1 over the claims, debited from its account."""
    m = guaranteed_world(guarantor_cents=0, risk_pool_share=0.0)
    platform, account = m.platforms[0], int(m.borrowers.account[0])
    first = lend(m, 1_000_000)
    # the first loan is already in arrears and nothing has been recovered yet, so the
    # platform's claims would be worth nothing and it could sell no new ones: let the
    # market think arrears recover in full while the second loan is booked
    m.recoveries.closed_claimed_cents, m.recoveries.closed_collected_cents = 1, 1
    rows = [first, lend(m, 500_000, invest=False)]
    m.recoveries.closed_claimed_cents, m.recoveries.closed_collected_cents = 0, 0
    for row in rows:
        assert waterfall.settle(m, row)["investor_loss"] == m.loans.principal_cents[row]
    assert m.recoveries.outstanding_cents() == 1_500_000
    pool = platform.pool_cash_cents()

    Borrower.earn_income(m)
    assert m.ledger.balance(account) == REDUCED
    m.recoveries.collect()
    assert m.ledger.balance(account) == REDUCED - COLLECTED          # debited 15,000
    assert m.recoveries.cols["left"].tolist() == [1_000_000 - 10_000, 500_000 - 5_000]
    assert platform.pool_cash_cents() == pool + COLLECTED
    assert platform.investor_recoveries_cents == COLLECTED

    # never more than the card holds: with 4,000 in it, 4,000 is taken (2,666 + 1,333
    # rounded down pro rata: 3,999, and the cent stays with the borrower)
    m.ledger.transfer(account, m.accounts["world.spending"], REDUCED - COLLECTED - 4_000,
                      "spent")
    m.recoveries.collect()
    assert m.ledger.balance(account) == 1
    assert m.recoveries.outstanding_cents() == 1_500_000 - COLLECTED - 3_999
    assert m.ledger.flows_cents["recovery from borrower"] == COLLECTED + 3_999
    m.check_accounts()


def test_nothing_is_collected_after_recovery_weeks_and_then_the_borrower_leaves() -> None:
    m = guaranteed_world(guarantor_cents=0, risk_pool_share=0.0, recovery_weeks=4)
    account = int(m.borrowers.account[0])
    waterfall.settle(m, lend(m, 1_000_000))
    for _ in range(3):
        week_of_collection(m)
        Borrower.replace_departed(m)
        assert m.borrowers.distressed[0]      # loan written off but still pursued: stays
    week_of_collection(m)                     # the fourth and last week of collection
    assert m.ledger.flows_cents["recovery from borrower"] == 4 * COLLECTED
    assert not len(m.recoveries)              # lapsed after 4 weeks
    events = m.events.frame()
    lapsed = events[(events["kind"] == "recovery") & (events["cause"] == "lapsed")]
    assert lapsed["amount_cents"].tolist() == [1_000_000 - 4 * COLLECTED]
    Borrower.earn_income(m)
    m.recoveries.collect()
    assert m.ledger.flows_cents["recovery from borrower"] == 4 * COLLECTED
    assert m.ledger.balance(account) == 4 * (REDUCED - COLLECTED) + REDUCED  # 90,000
    Borrower.replace_departed(m)             # claims closed: it leaves with its cash
    assert not m.borrowers.distressed[0] and m.ledger.balance(account) == 0
    assert m.ledger.flows_cents["departing borrower's cash"] == 90_000
    m.check_accounts()


def test_forced_debit_comes_first_and_insurance_covers_part_of_the_rest() -> None:
    m = guaranteed_world(guarantor_cents=0, coverage=0.5, risk_pool_share=0.0)
    row = lend(m, 1_000_000)
    m.ledger.transfer(m.accounts["world.income"], int(m.borrowers.account[0]), 100_000, "pay")
    paid = waterfall.settle(m, row)
    # debit 100,000; no guarantor margin could be posted (no capital), empty risk pool;
    # insurance pays half of the 900,000 left; investors lose the other half
    assert paid == {"forced_debit": 100_000, "guarantor": 0, "risk_pool": 0,
                    "insurance": 450_000, "investor_loss": 450_000}
    m.check_accounts()


@settings(max_examples=40, deadline=None)
@given(principal=st.integers(1_000, 1_500_000), cash=st.integers(0, 2_000_000),
       guarantor=st.integers(0, 2_000_000), pool_share=st.floats(0, 1),
       coverage=st.floats(0, 1))
def test_waterfall_pays_in_order_never_more_than_owed_never_creates_money(
        principal: int, cash: int, guarantor: int, pool_share: float, coverage: float) -> None:
    m = guaranteed_world(guarantor_cents=guarantor, coverage=coverage,
                         risk_pool_share=pool_share)
    row = lend(m, principal)
    m.ledger.transfer(m.accounts["world.income"], int(m.borrowers.account[0]), cash, "pay")
    pool_before = m.ledger.balance(m.platforms[0].risk_pool_account)
    # a guarantor too poor to post the margin never guaranteed the loan
    g_before = m.guarantors[0].capital_cents() if m.loans.guarantor[row] >= 0 else 0
    paid = waterfall.settle(m, row)
    assert sum(paid.values()) == principal and min(paid.values()) >= 0
    remaining = principal
    for step, cap in (("forced_debit", cash), ("guarantor", g_before),
                      ("risk_pool", pool_before)):
        assert paid[step] == min(remaining, cap)  # each step pays all it can, in order
        remaining -= paid[step]
    assert paid["insurance"] == int(np.floor(remaining * coverage))
    m.check_accounts()  # conservation to the cent


# -- the margin is a security deposit for one loan (source 003, 风险保证金) ---------------
def repay_in_full(m: EcosystemModel, row: int) -> None:
    """The borrower pays every instalment until the loan is repaid."""
    m.borrowers.distressed[0] = False
    m.loans.cols["missed_weeks"][row] = 0
    while m.loans.status[row] == 0:
        rows = np.array([row])
        interest, due = m.loans.amounts_due(rows)
        m.ledger.transfer(m.accounts["world.income"], int(m.borrowers.account[0]),
                          int(due[0]), "wage")
        markets.settle_repayments(m, rows, interest, due, np.array([True]))


def test_margin_comes_back_to_the_guarantor_when_the_loan_is_repaid() -> None:
    m = guaranteed_world()
    platform, guarantor = m.platforms[0], m.guarantors[0]
    row = lend(m, 1_000_000)
    assert m.loans.margin_cents[row] == 20_000
    assert m.ledger.balance(platform.risk_pool_account) == 120_000
    repay_in_full(m, row)
    assert guarantor.capital_cents() == 300_000                     # deposit back
    assert m.ledger.balance(platform.risk_pool_account) == 100_000  # capital share only
    assert m.loans.margin_cents[row] == 0
    m.check_accounts()


def test_margin_comes_back_when_the_guarantor_buys_the_loan_back() -> None:
    m = guaranteed_world(guarantor_cents=2_000_000)
    platform, guarantor = m.platforms[0], m.guarantors[0]
    row = lend(m, 1_000_000)
    paid = waterfall.settle(m, row)
    assert paid["guarantor"] == 1_000_000 and paid["investor_loss"] == 0
    assert guarantor.alive
    # 2,000,000 - 20,000 margin - 1,000,000 claim + 20,000 margin returned
    assert guarantor.capital_cents() == 1_000_000
    assert m.ledger.balance(platform.risk_pool_account) == 100_000
    m.check_accounts()


def test_margins_of_a_failed_guarantor_stay_in_the_pool_even_if_the_loan_is_repaid() -> None:
    m = guaranteed_world()
    platform, guarantor = m.platforms[0], m.guarantors[0]
    row = lend(m, 1_000_000)
    guarantor.fail("test")
    repay_in_full(m, row)
    assert m.ledger.balance(platform.risk_pool_account) == 120_000
    assert guarantor.capital_cents() == 280_000
    m.check_accounts()


def test_owners_who_abscond_without_custody_take_the_risk_pool() -> None:
    m = guaranteed_world()
    platform = m.platforms[0]
    platform.custody_bank = -1  # investor money held by the platform itself
    lend(m, 1_000_000)
    assert m.ledger.balance(platform.risk_pool_account) == 120_000
    platform.fail(FailureCause.ABSCONDED, "test")
    assert m.ledger.balance(platform.risk_pool_account) == 0
    assert platform.pool_cash_cents() == 0
    m.check_accounts()


def test_a_failed_guarantor_loses_its_capital_and_the_pool_pays_instead() -> None:
    m = guaranteed_world()
    guarantor = m.guarantors[0]
    row = lend(m, 1_000_000)
    assert shocks.fail_guarantors(m, 1.0) == [0]
    assert not guarantor.alive and guarantor.capital_cents() == 0
    assert m.ledger.balance(m.accounts["world.outside_losses"]) == 280_000
    events = m.events.frame()
    failure = events[events["kind"] == "guarantor_failure"]
    assert failure["cause"].str.startswith("outside shock").tolist() == [True]
    paid = waterfall.settle(m, row)
    # the guarantee is void; the pool (capital share and the forfeited margin) pays
    assert paid == {"forced_debit": 0, "guarantor": 0, "risk_pool": 120_000,
                    "insurance": 0, "investor_loss": 880_000}
    m.check_accounts()
