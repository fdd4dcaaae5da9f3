"""Banks: household deposits, custody accounts, negotiated deposits (domain.md s.1).

A bank pays the benchmark deposit rate on household deposits and the payment firm's
client reserves, the market rate plus a spread on money-market funds' negotiated
deposits (协议存款, source 000 on Yu'ebao), and no interest on custodied platform money
(资金存管). It lends what it holds to the wider economy (outside the model) at the
benchmark lending rate; that income enters from the ``world.economy`` source.
"""

from __future__ import annotations

import mesa
import numpy as np

from ecosystem.money import floor_cents, weekly_rate


class Bank(mesa.Agent):
    """One bank; depositors are the investors and institutions assigned to it."""

    def __init__(self, model: mesa.Model, idx: int, *, own_account: int) -> None:
        super().__init__(model)
        self.idx = idx
        self.own_account = own_account

    @property
    def name(self) -> str:
        """Label used in events."""
        return f"bank-{self.idx}"

    def _investor_accounts(self) -> np.ndarray:
        pop = self.model.investors
        return pop.account[pop.bank == self.idx]

    def liabilities_cents(self) -> dict[str, int]:
        """What the bank owes, by kind of depositor."""
        model, ledger = self.model, self.model.ledger
        custody = [p.pool_account for p in model.platforms if p.custody_bank == self.idx]
        funds = [f.deposit_account for f in model.funds if f.bank == self.idx]
        reserves = [f.reserve_bank_account for f in model.payment_firms if f.bank == self.idx]
        return {
            "household_deposits_cents": int(ledger.balances(self._investor_accounts()).sum()),
            "custody_cents": int(sum(ledger.balance(a) for a in custody)),
            "fund_deposits_cents": int(sum(ledger.balance(a) for a in funds)),
            "payment_reserves_cents": int(sum(ledger.balance(a) for a in reserves)),
        }

    def balance_sheet(self) -> dict[str, int]:
        """Assets (loans to the economy backing deposits, own cash) and liabilities."""
        liabilities = sum(self.liabilities_cents().values())
        own = self.model.ledger.balance(self.own_account)
        return {"assets_cents": liabilities + own, "liabilities_cents": liabilities,
                "equity_cents": own}

    def pay_interest(self) -> None:
        """Earn the lending rate on what it holds; pay each depositor its rate."""
        model, ledger = self.model, self.model.ledger
        rates = model.params.macro
        held = sum(self.liabilities_cents().values())
        ledger.transfer(model.accounts["world.economy"], self.own_account,
                        floor_cents(held * weekly_rate(rates.lending_rate_annual)),
                        "bank lending income")
        accounts = self._investor_accounts()
        interest = floor_cents(ledger.balances(accounts) * weekly_rate(
            rates.deposit_rate_annual))
        ledger.transfer_batch(self.own_account, accounts, interest, "deposit interest")
        for firm in model.payment_firms:
            if firm.bank == self.idx:
                ledger.transfer(self.own_account, firm.own_account, floor_cents(
                    ledger.balance(firm.reserve_bank_account)
                    * weekly_rate(rates.deposit_rate_annual)), "reserve interest")
        for fund in model.funds:
            if fund.bank == self.idx:
                rate = model.macro.market_rate_annual + model.params.fund.deposit_spread_annual
                ledger.transfer(self.own_account, fund.cash_account, floor_cents(
                    ledger.balance(fund.deposit_account) * weekly_rate(max(rate, 0.0))),
                    "negotiated deposit interest")
