"""The default waterfall of source 003 on a worked example, and its properties."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.borrower import Borrower
from ecosystem import markets, shocks, waterfall
from ecosystem.contracts import FailureCause
from ecosystem.model import EcosystemModel
from ecosystem.params import Params


def guaranteed_world(guarantor_cents: int = 300_000, coverage: float = 0.0,
                     risk_pool_share: float = 0.1) -> EcosystemModel:
    params = Params.from_dict({
        "world": {"n_investors": 2, "n_borrowers": 1, "n_platforms": 1,
                  "n_payment_firms": 1, "n_banks": 1, "check_conservation": True},
        "investor": {"wealth_median_cents": 50_000_000, "wealth_sigma": 0.0},
        "platform": {"type_shares": [0, 1.0, 0, 0, 0], "capital_median_cents": 1_000_000,
                     "capital_sigma": 0.0, "risk_pool_capital_share": risk_pool_share,
                     "insurance_coverage": coverage, "incident_prob_weekly": 0.0},
        "guarantor": {"n_guarantors": 1, "capital_median_cents": guarantor_cents,
                      "capital_sigma": 0.0, "fee": 0.0},
    })
    return EcosystemModel(params, seed=0)


def lend(m: EcosystemModel, principal: int) -> int:
    """Investor 0 funds the pool; one guaranteed loan at the best grade (2% margin)."""
    markets.execute_investments(m, np.array([0]), np.array([0]), np.array([2_000_000]))
    markets._book_and_disburse(m, {
        "borrower": np.array([0]), "platform": np.array([0]),
        "amount_cents": np.array([principal]), "instalment_cents": np.array([principal // 10]),
        "rate_annual": np.array([0.2]), "term_weeks": np.array([10]),
        "purpose": np.array([0], np.int8), "est_pd": np.array([0.0])})
    m.refresh_platform_books()
    Borrower.spend_remaining_cash(m)        # the linked cards are empty: the debit fails
    m.borrowers.distressed[0] = True
    row = int(m.loans.active_rows()[0])
    m.loans.cols["missed_weeks"][row] = 1  # one missed instalment
    return row


def test_worked_example_guarantor_exhausted_then_risk_pool_then_investors() -> None:
    m = guaranteed_world()
    platform, guarantor = m.platforms[0], m.guarantors[0]
    assert m.ledger.balance(platform.risk_pool_account) == 100_000  # 10% of 1m capital
    row = lend(m, 1_000_000)
    # the guarantor posted a 2% margin into the risk pool: 300,000 -> 280,000
    assert guarantor.capital_cents() == 280_000
    assert m.ledger.balance(platform.risk_pool_account) == 120_000
    assert m.loans.guarantor[row] == 0
    assert platform.pool_cash_cents() == 1_000_000               # 2m in, 1m lent

    paid = waterfall.settle(m, row)
    assert paid == {"forced_debit": 0, "guarantor": 280_000, "risk_pool": 120_000,
                    "insurance": 0, "investor_loss": 600_000}
    assert not guarantor.alive                                  # exhausted: it fails
    assert m.ledger.balance(platform.risk_pool_account) == 0
    m.refresh_platform_books()
    assert platform.pool_value_cents() == 1_400_000             # investors lost 600,000
    assert platform.investor_loss_cents == 600_000
    events = m.events.frame()
    steps = events[events["kind"] == "waterfall"][["cause", "amount_cents"]].values.tolist()
    assert steps == [["guarantor", 280_000], ["risk_pool", 120_000],
                     ["investor_loss", 600_000]]
    assert (events["kind"] == "guarantor_failure").sum() == 1

    # Recovery: 30% of the 1,000,000 the borrower did not pay, over 26 weeks, shared
    # pro rata to what each paid: guarantor 84,000, risk pool 36,000, investors 180,000.
    for _ in range(27):
        m.recoveries.collect()
    assert guarantor.capital_cents() == 84_000
    assert m.ledger.balance(platform.risk_pool_account) == 36_000
    assert platform.investor_loss_cents == 600_000 - 180_000
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
