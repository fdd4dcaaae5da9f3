"""Hand-computable worlds: one platform, two investors, one borrower, one loan.

Every figure below is worked out by hand in the comments, and the code paths are the
model's own (markets, payment firm, platform, fund), not re-implementations.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from ecosystem import markets
from ecosystem.loans import LoanBook, LoanStatus, instalment_cents
from ecosystem.model import EcosystemModel
from ecosystem.params import Params


def tiny_world() -> EcosystemModel:
    params = Params.from_dict({
        "world": {"n_investors": 2, "n_borrowers": 1, "n_platforms": 1,
                  "n_payment_firms": 1, "n_banks": 1, "check_conservation": True},
        "investor": {"initial_mmf_share": 0.0, "mmf_user_share": 1.0, "sweep_share": 0.5,
                     "wealth_median_cents": 50_000_000, "wealth_sigma": 0.0},
        "payment_firm": {"fee_rate": 0.001},
        "platform": {"origination_fee": 0.03, "interest_fee_share": 0.1,
                     "type_shares": [1.0, 0, 0, 0, 0], "incident_prob_weekly": 0.0},
    })
    return EcosystemModel(params, seed=0)


def test_instalment_of_a_two_week_loan_at_one_percent_a_week() -> None:
    # 520,000 * 0.01 / (1 - 1.01^-2) = 263,906.47, rounded up so the loan is repaid
    assert instalment_cents(np.array([520_000]), np.array([0.52]), np.array([2]))[0] == 263_907
    # no interest: principal / term
    assert instalment_cents(np.array([1_000]), np.array([0.0]), np.array([4]))[0] == 250


def test_loan_book_amortizes_and_closes() -> None:
    book = LoanBook(capacity=1)
    book.add(borrower=np.array([0]), platform=np.array([0]), principal_cents=np.array([520_000]),
             outstanding_cents=np.array([520_000]), instalment_cents=np.array([263_907]),
             rate_annual=np.array([0.52]), term_weeks=np.array([2]), purpose=np.array([0]),
             status=LoanStatus.ACTIVE, originated_step=0)
    rows = book.active_rows()
    interest, due = book.amounts_due(rows)
    assert (interest[0], due[0]) == (5_200, 263_907)
    book.record_payments(rows, interest, due, np.array([True]))
    assert book.outstanding_cents[0] == 520_000 - (263_907 - 5_200)  # 261,293
    interest, due = book.amounts_due(rows)
    assert (interest[0], due[0]) == (2_612, 261_293 + 2_612)  # last week clears all
    book.record_payments(rows, interest, due, np.array([True]))
    assert book.status[0] == LoanStatus.REPAID and book.outstanding_cents[0] == 0


def test_missed_instalments_accumulate_and_write_off_takes_the_principal() -> None:
    book = LoanBook()
    book.add(borrower=np.array([0, 1]), platform=np.array([0, 0]),
             principal_cents=np.array([1_000, 2_000]), outstanding_cents=np.array([1_000, 2_000]),
             instalment_cents=np.array([100, 200]), rate_annual=np.array([0.0, 0.0]),
             term_weeks=np.array([10, 10]), purpose=np.array([0, 2]),
             status=LoanStatus.ACTIVE, originated_step=0)
    rows = book.active_rows()
    for _ in range(3):
        interest, due = book.amounts_due(rows)
        book.record_payments(rows, interest, due, np.array([True, False]))
    assert book.missed_weeks.tolist() == [0, 3]
    assert book.outstanding_cents.tolist() == [700, 2_000]
    assert book.write_off(np.array([1])).tolist() == [2_000]
    assert book.status.tolist() == [LoanStatus.ACTIVE, LoanStatus.WRITTEN_OFF]


def test_one_loan_from_investment_to_payout_and_sweep() -> None:
    m = tiny_world()
    platform, firm, fund = m.platforms[0], m.payment_firms[0], m.funds[0]
    ledger, inv, bor = m.ledger, m.investors, m.borrowers
    deposit0 = ledger.balance(int(inv.account[0]))
    own0 = platform.capital_cents()

    # 1. Investor 0 puts 1,000,000 cents in the pool: 1 unit = 1 cent at the start.
    markets.execute_investments(m, np.array([0]), np.array([0]), np.array([1_000_000]))
    assert ledger.balance(int(inv.account[0])) == deposit0 - 1_000_000
    assert platform.pool_cash_cents() == 1_000_000
    assert platform.units_total == 1_000_000 == m.holdings.units[0].sum()
    assert firm.fees_due_cents[0] == 1_000                      # 0.1% of 1,000,000

    # 2. A 2-week loan of 520,000 at 52% a year (1% a week); 3% fee = 15,600.
    markets._book_and_disburse(m, {
        "borrower": np.array([0]), "platform": np.array([0]),
        "amount_cents": np.array([520_000]), "instalment_cents": np.array([263_907]),
        "rate_annual": np.array([0.52]), "term_weeks": np.array([2]),
        "purpose": np.array([0], np.int8)})
    m.refresh_platform_books()
    assert ledger.balance(int(bor.account[0])) == 520_000 - 15_600
    assert platform.capital_cents() == own0 + 15_600
    assert platform.pool_cash_cents() == 480_000
    assert platform.pool_value_cents() == 1_000_000             # cash + loan

    ledger.transfer(m.accounts["world.income"], int(bor.account[0]), 100_000, "income")
    # 3. Two instalments: 263,907 (interest 5,200) and 263,905 (interest 2,612);
    #    the platform keeps 10% of interest: 520 and 261.
    for _ in range(2):
        rows = m.loans.active_rows()
        interest, due = m.loans.amounts_due(rows)
        markets.settle_repayments(m, rows, interest, due, np.array([True]))
    m.refresh_platform_books()
    assert m.loans.status[0] == LoanStatus.REPAID
    assert platform.pool_cash_cents() == 480_000 + 263_907 - 520 + 263_905 - 261  # 1,007,031
    assert platform.capital_cents() == own0 + 15_600 + 520 + 261
    assert firm.fees_due_cents[0] == 1_000 + 263 + 263

    # 4. The investor asks for everything back; the pool pays 1,007,031 into the app.
    m.holdings.request(m.holdings.held, m.holdings.units)
    markets.pay_withdrawals(m)
    assert platform.pool_cash_cents() == 0 and platform.units_total == 0
    assert not m.holdings.held[0].any()                         # slot freed
    pos = int(inv.client_pos[0])
    assert firm.client_balance_cents[pos] == 1_007_031
    assert firm.reserves_cents() == 1_007_031

    # 5. T+1: half is swept into the fund (503,515), the rest goes to the bank (503,516).
    firm.settle_client_balances()
    assert fund.holdings_cents[pos] == 503_515
    assert ledger.balance(int(inv.account[0])) == deposit0 - 1_000_000 + 503_516
    assert firm.reserves_cents() == 0

    # 6. The platform pays the payment firm its 1,526 cents of fees with its costs.
    firm_own = ledger.balance(firm.own_account)
    platform.pay_costs()
    assert ledger.balance(firm.own_account) == firm_own + 1_526
    m.check_accounts()


def test_bank_pays_deposit_rate_and_earns_lending_rate() -> None:
    m = tiny_world()
    bank, ledger = m.banks[0], m.ledger
    accounts = m.investors.account
    before = ledger.balances(accounts)
    held = sum(bank.liabilities_cents().values())
    own = ledger.balance(bank.own_account)
    bank.pay_interest()
    # 50,000,000 cents at 1.5% a year for a week: floor(50e6 * 0.015 / 52) = 14,423
    assert (ledger.balances(accounts) - before).tolist() == [14_423, 14_423]
    income = int(np.floor(held * 0.0435 / 52))
    assert ledger.balance(bank.own_account) == own + income - 2 * 14_423
    m.check_accounts()


def test_fund_redemption_breaks_deposits_then_fire_sells_and_stayers_bear_the_loss() -> None:
    m = tiny_world()
    fund, ledger = m.funds[0], m.ledger
    src = m.accounts["world.endowment"]
    ledger.transfer(src, fund.cash_account, 1_000, "setup")
    ledger.transfer(src, fund.deposit_account, 10_000, "setup")
    ledger.transfer(src, fund.cash_account, 100_000, "setup")
    ledger.transfer(fund.cash_account, m.accounts["world.bond_market"], 100_000, "setup")
    fund.bonds_face_cents = 100_000
    fund.subscribe(np.array([0, 1]), np.array([61_000, 50_000]))   # 111,000 = assets
    bank_own = ledger.balance(m.banks[0].own_account)

    paid = fund.redeem(np.array([0]), np.array([61_000]), m.investors.account[[0]])
    assert paid.tolist() == [61_000]
    # Deposits broken: 10,000 less a 0.5% penalty (50) to the bank -> cash 10,950.
    assert ledger.balance(m.banks[0].own_account) == bank_own + 50
    # Still 50,050 short: sell the least face F with floor(F (1 - 0.1 F / 100,000)) >=
    # 50,050, i.e. the smaller root of the quadratic: F = 52,843, proceeds 50,050.
    sold = 100_000 - fund.bonds_face_cents
    assert sold == 52_843
    assert fund.fire_sale_loss_cents == 52_843 - 50_050
    # The holder who stayed is owed 50,000 but assets are short by penalty + fire-sale loss.
    shortfall = 50 + fund.fire_sale_loss_cents
    assert fund.assets_cents() == 50_000 - shortfall
    m.macro.market_rate_annual = 0.0
    # Coupon at the 0.3% bond spread: floor(47,157 * 0.003 / 52) = 2 cents. The fee
    # (0.63% a year of 50,000 = 6 cents) is paid only out of cash, here those 2 cents.
    firm_own = ledger.balance(fund.firm.own_account)
    fund.earn_and_distribute()
    assert ledger.balance(fund.firm.own_account) - firm_own == 2
    assert fund.holdings_cents.tolist() == [0, 50_000 - shortfall + 2 - 2]
    assert fund.liabilities_cents() == fund.assets_cents()
    m.check_accounts()


@pytest.mark.parametrize("cap", [0, 20_000])
def test_t0_cap_limits_instant_redemptions(cap: int) -> None:
    params = tiny_world().params
    params = replace(params, fund=replace(params.fund, t0_cap_cents=cap))
    m = EcosystemModel(params, seed=0)
    fund = m.funds[0]
    m.ledger.transfer(m.accounts["world.endowment"], fund.cash_account, 100_000, "setup")
    fund.subscribe(np.array([0]), np.array([100_000]))
    paid = fund.redeem(np.array([0]), np.array([60_000]), m.investors.account[[0]])
    assert paid.tolist() == [60_000 if cap == 0 else 20_000]
