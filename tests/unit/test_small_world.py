"""Hand-computable worlds: one platform, two investors, one borrower, one loan.

Every figure below is worked out by hand in the comments, and the code paths are the
model's own (markets, payment firm, platform, fund), not re-implementations.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ifsim.agents.mmf import split_t0
from ifsim.ecosystem import markets
from ifsim.ecosystem.loans import LoanBook, LoanStatus, instalment_cents
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params


def tiny_world() -> EcosystemModel:
    params = Params.from_dict({
        "world": {"n_investors": 2, "n_borrowers": 1, "n_platforms": 1,
                  "n_payment_firms": 1, "n_banks": 1, "check_conservation": True},
        "investor": {"initial_mmf_share": 0.0, "mmf_user_share": 1.0, "sweep_share": 0.5,
                     "wealth_median_cents": 50_000_000, "wealth_sigma": 0.0,
                     "auto_invest_share": 0.0},
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


def test_one_loan_from_bid_to_payout() -> None:
    """Information intermediary (ecosystem/claims.py): money waits in the investor's
    deposit as a bid until a loan takes it, and repayments go straight back to it."""
    m = tiny_world()
    platform, firm, fund = m.platforms[0], m.payment_firms[0], m.funds[0]
    ledger, inv, bor, hold = m.ledger, m.investors, m.borrowers, m.holdings
    deposit0 = ledger.balance(int(inv.account[0]))
    own0 = platform.capital_cents()

    # 1. Investor 0 bids 1,000,000 cents: nothing moves, no pool, no fee.
    markets.execute_investments(m, np.array([0]), np.array([0]), np.array([1_000_000]))
    assert ledger.balance(int(inv.account[0])) == deposit0
    assert hold.bid_cents[0].sum() == 1_000_000 and hold.units[0].sum() == 0
    assert platform.pool_cash_cents() == 0 and firm.fees_due_cents[0] == 0

    # 2. A 2-week loan of 520,000 at 52% a year (1% a week) takes 520,000 of the bid, for
    #    520,000 units at 1 cent; 0.1% payment fee = 520; 3% fee = 15,600 to the platform.
    markets._book_and_disburse(m, {
        "borrower": np.array([0]), "platform": np.array([0]),
        "amount_cents": np.array([520_000]), "instalment_cents": np.array([263_907]),
        "rate_annual": np.array([0.52]), "term_weeks": np.array([2]),
        "purpose": np.array([0], np.int8)})
    m.refresh_platform_books()
    assert ledger.balance(int(inv.account[0])) == deposit0 - 520_000
    assert hold.bid_cents[0].sum() == 480_000 and platform.units_total == 520_000
    assert ledger.balance(int(bor.account[0])) == 520_000 - 15_600
    assert platform.capital_cents() == own0 + 15_600
    assert platform.pool_cash_cents() == 0                      # nothing idles
    assert firm.fees_due_cents[0] == 520

    ledger.transfer(m.accounts["world.income"], int(bor.account[0]), 100_000, "income")
    # 3. Two instalments: 263,907 (interest 5,200) and 263,905 (interest 2,612);
    #    the platform keeps 10% of interest: 520 and 261.
    for _ in range(2):
        rows = m.loans.active_rows()
        interest, due = m.loans.amounts_due(rows)
        markets.settle_repayments(m, rows, interest, due, np.array([True]))
    m.refresh_platform_books()
    assert m.loans.status[0] == LoanStatus.REPAID
    assert platform.pool_cash_cents() == 263_907 - 520 + 263_905 - 261  # 527,031
    assert platform.capital_cents() == own0 + 15_600 + 520 + 261
    assert firm.fees_due_cents[0] == 520 + 263 + 263

    # 4. Collections are paid out to the holder the same week, unasked: 527,031 into
    #    the app, owed to its bank card; the slot stays open for the rest of the bid.
    markets.pay_withdrawals(m)
    assert platform.pool_cash_cents() == 0 and platform.units_total == 0
    assert hold.held[0].any() and hold.bid_cents[0].sum() == 480_000
    pos = int(inv.client_pos[0])
    assert firm.client_balance_cents[pos] == 527_031

    # 5. T+1: all of it goes to the bank (nothing swept into the fund).
    firm.settle_client_balances()
    assert fund.holdings_cents[pos] == 0
    assert ledger.balance(int(inv.account[0])) == deposit0 - 520_000 + 527_031
    assert firm.reserves_cents() == 0

    # 6. The platform pays the payment firm its 1,046 cents of fees with its costs.
    firm_own = ledger.balance(firm.own_account)
    platform.pay_costs()
    assert ledger.balance(firm.own_account) == firm_own + 1_046
    m.check_accounts()


def test_bank_pays_deposit_rate_and_earns_lending_rate() -> None:
    m = tiny_world()
    bank, ledger = m.banks[0], m.ledger
    accounts = m.investors.account
    before = ledger.balances(accounts)
    own = ledger.balance(bank.own_account)
    bank.pay_interest()
    # 50,000,000 cents at 1.5% a year for a week: floor(50e6 * 0.015 / 52) = 14,423
    assert (ledger.balances(accounts) - before).tolist() == [14_423, 14_423]
    # lent on at 4.35%: floor(100e6 * 0.0435 / 52) = 83,653
    assert ledger.balance(bank.own_account) == own + 83_653 - 2 * 14_423
    m.check_accounts()


def test_each_bank_contract_pays_and_earns_its_own_rate() -> None:
    """Households, a fund's negotiated deposit, a payment firm's reserves (half at the
    central bank) and custodied platform money, each at its contractual rate."""
    params = tiny_world().params
    params = replace(params, payment_firm=replace(params.payment_firm,
                                                  reserve_centralisation_ratio=0.5),
                     platform=replace(params.platform, custody_share=1.0),
                     bank=replace(params.bank, custody_interest_annual=0.01))
    m = EcosystemModel(params, seed=0)
    bank, firm, fund, platform, ledger = (m.banks[0], m.payment_firms[0], m.funds[0],
                                          m.platforms[0], m.ledger)
    src, inv = m.accounts["world.endowment"], m.investors
    assert platform.custody_bank == 0
    ledger.transfer(src, fund.deposit_account, 10_500_000, "setup")
    fund.deposit_ladder[52] = 10_500_000          # placed for a year: nothing matures here
    ledger.transfer(src, platform.pool_account, 5_300_000, "setup")
    # 5,300,000 waits for investor 0 over the week; half is centralised at the close.
    firm.hold_for_clients(src, inv.client_pos[[0]], np.array([5_300_000]), "setup")
    firm.rebalance_reserves()
    assert ledger.balance(firm.reserve_central_account) == 2_650_000
    m.macro.market_rate_annual = 0.03
    firm_own, bank_own = ledger.balance(firm.own_account), ledger.balance(bank.own_account)

    # T+1: the central bank pays 0.35% on the 2,650,000 it held: floor(2.65e6 * 0.0035
    # / 52) = 178. Half the balance is swept into the fund, half (2,650,000) to the deposit.
    m.settle_payments()
    assert ledger.balance(firm.own_account) == firm_own + 178
    assert ledger.balance(m.accounts["world.central_bank"]) == -178
    assert firm.held_at_bank_cents == 2_650_000

    pool, fund_cash = ledger.balance(platform.pool_account), fund.cash_cents()
    bank.pay_interest()
    # Deposits 52,650,000 and 50,000,000 at 1.5% a year, for a week: 15,187 and 14,423.
    # Reserves held at the bank over the week, 2,650,000 at 1.5%: 764, to the firm.
    # Negotiated deposit 10,500,000 at 3% + 0.5%: 7,067, to the fund.
    # Custody 5,300,000: the bank pays 1% into the pool (1,019) and earns the 3% market
    # rate (3,057), not the lending rate.
    # Lent on at 4.35%: 102,650,000 + 10,500,000 + 2,650,000 = 115,800,000 -> 96,871.
    assert ledger.balance(firm.own_account) == firm_own + 178 + 764
    assert fund.cash_cents() == fund_cash + 7_067
    assert ledger.balance(platform.pool_account) == pool + 1_019
    assert ledger.balance(bank.own_account) == (bank_own + 96_871 + 3_057 - 15_187 - 14_423
                                                - 764 - 7_067 - 1_019)
    m.check_accounts()


def test_custody_pays_nothing_by_default_and_centralised_reserves_are_not_the_banks() \
        -> None:
    params = tiny_world().params
    params = replace(params, payment_firm=replace(params.payment_firm,
                                                  reserve_centralisation_ratio=1.0),
                     platform=replace(params.platform, custody_share=1.0))
    m = EcosystemModel(params, seed=0)
    bank, firm, platform, ledger = m.banks[0], m.payment_firms[0], m.platforms[0], m.ledger
    src = m.accounts["world.endowment"]
    ledger.transfer(src, platform.pool_account, 5_300_000, "setup")
    firm.hold_for_clients(src, m.investors.client_pos[[1]], np.array([5_300_000]), "setup")
    firm.rebalance_reserves()
    m.macro.market_rate_annual = 0.03
    firm_own = ledger.balance(firm.own_account)
    m.settle_payments()
    # all 5,300,000 was at the central bank: floor(5.3e6 * 0.0035 / 52) = 356 from it
    assert firm.held_at_bank_cents == 0
    assert ledger.balance(firm.own_account) == firm_own + 356
    pool, bank_own = ledger.balance(platform.pool_account), ledger.balance(bank.own_account)
    bank.pay_interest()
    assert ledger.balance(firm.own_account) == firm_own + 356   # the bank pays it nothing
    assert ledger.balance(platform.pool_account) == pool        # custody pays nothing
    # Lent on: deposits 102,650,000 at 4.35% -> 85,870; custody 5,300,000 at 3% -> 3,057;
    # deposit interest 15,187 + 14,423.
    assert ledger.balance(bank.own_account) == bank_own + 85_870 + 3_057 - 15_187 - 14_423
    m.check_accounts()


# 30,000 yuan asked on one day under a 10,000-yuan daily T+0 cap (1 yuan = 100 cents)
ASKED, CAP = 3_000_000, 1_000_000


def test_t0_split_on_one_day() -> None:
    # A holder asking 30,000 yuan on one day under a 10,000-yuan T+0 cap gets 10,000
    # the same day and 20,000 the next; nothing is dropped.
    assert split_t0(ASKED, CAP) == (1_000_000, 2_000_000)
    assert split_t0(ASKED, 0) == (ASKED, 0)               # cap off: all the same day
    assert split_t0(600_000, CAP) == (600_000, 0)         # under the cap
    now, later = split_t0(np.array([ASKED, 600_000, 0]), CAP)
    assert now.tolist() == [1_000_000, 600_000, 0] and later.tolist() == [2_000_000, 0, 0]
