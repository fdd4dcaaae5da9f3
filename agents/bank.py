"""Banks: household deposits, custody accounts, negotiated deposits (domain.md s.1).

Each kind of money a bank holds is its own contract, settled weekly by ``pay_interest``:

- Household deposits: the bank pays the benchmark deposit rate (``macro.deposit_rate``:
  PBoC 1-year benchmark, 1.50% from 24 October 2015) and lends the money to the wider
  economy at the benchmark lending rate (``macro.lending_rate``: 4.35%, PBoC, same date).
- Money-market funds' negotiated deposits (协议存款, source 000 on Yu'ebao): the bank
  pays the interbank market rate plus ``fund.deposit_spread`` and lends them on.
- Payment firms' client reserves held at the bank (备付金专用存款账户; PBoC Order
  [2013] No.6): the bank pays the deposit rate to the firm and lends them on. Interest
  is on what the firm held over the week just ended (before T+1 settlement).
- Custodied platform money (资金存管; CBRC custody guidelines, February 2017): the
  platform pays the bank a custody fee (``bank.custody_fee``, in ``agents/platform.py``);
  the bank pays ``bank.custody_interest`` (0 by default) and, since the money must be
  there whenever the platform pays out, holds it liquid: it earns the interbank market
  rate, not the lending rate.

What the bank earns comes from the ``world.economy`` source (borrowers and banks outside
the model). Client reserves held at the central bank are not the bank's: the central bank
pays their interest to the payment firm (``agents/payment_firm.py``).
"""

from __future__ import annotations

import mesa
import numpy as np

from ifsim.ecosystem.money import floor_cents, weekly_rate


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

    def _firms(self) -> list:
        return [f for f in self.model.payment_firms if f.bank == self.idx]

    def _funds(self) -> list:
        return [f for f in self.model.funds if f.bank == self.idx]

    def _custodied(self) -> list:
        return [p for p in self.model.platforms if p.custody_bank == self.idx]

    def _custody_cents(self, platform) -> int:
        """Custodied money of one platform: its investor pool and campaign escrow."""
        ledger = self.model.ledger
        return ledger.balance(platform.pool_account) + ledger.balance(platform.escrow_account)

    def liabilities_cents(self) -> dict[str, int]:
        """What the bank owes, by kind of depositor."""
        ledger = self.model.ledger
        return {
            "household_deposits_cents": int(ledger.balances(self._investor_accounts()).sum()),
            "custody_cents": sum(self._custody_cents(p) for p in self._custodied()),
            "fund_deposits_cents": sum(ledger.balance(f.deposit_account)
                                       for f in self._funds()),
            "payment_reserves_cents": sum(ledger.balance(f.reserve_bank_account)
                                          for f in self._firms()),
        }

    def bond_markdown_cents(self) -> int:
        """What the bank's short bonds (``bond_market.bank_face_cents``, financed by its
        own funds) have lost against par at the shared market's price: a fund's fire
        sale marks every holder down (domain.md s.4, channel 4). Held to maturity, they
        are a balance-sheet position only; no money moves."""
        face = self.model.params.bond_market.bank_face_cents
        return face - self.model.bond_market.value_cents(face)

    def balance_sheet(self) -> dict[str, int]:
        """Assets (loans to the economy backing deposits, own cash, less what its bonds
        have lost against par) and liabilities (deposits). The bonds themselves are
        outside the ledger: only their markdown is shown."""
        liabilities = sum(self.liabilities_cents().values())
        own = self.model.ledger.balance(self.own_account) - self.bond_markdown_cents()
        return {"assets_cents": liabilities + own, "liabilities_cents": liabilities,
                "equity_cents": own}

    def pay_interest(self) -> None:
        """One week of every contract: earn on what is lent on or held liquid, then pay
        each depositor its contractual rate."""
        self._earn_income()
        self._pay_depositors()

    def _earn_income(self) -> None:
        """Lending rate on what is lent on; interbank market rate on custody money."""
        model, ledger = self.model, self.model.ledger
        lent_on = (int(ledger.balances(self._investor_accounts()).sum())
                   + sum(ledger.balance(f.deposit_account) for f in self._funds())
                   + sum(f.held_at_bank_cents for f in self._firms()))
        custody = sum(self._custody_cents(p) for p in self._custodied())
        self._transfer(model.accounts["world.economy"], self.own_account, lent_on,
                       model.macro.lending_rate_annual, "bank lending income")
        self._transfer(model.accounts["world.economy"], self.own_account, custody,
                       model.macro.market_rate_annual, "bank interbank income on custody")

    def _pay_depositors(self) -> None:
        """Each depositor's contractual rate, out of the bank's own account."""
        model, ledger, own = self.model, self.model.ledger, self.own_account
        rates = model.params
        accounts = self._investor_accounts()
        ledger.transfer_batch(own, accounts, _interest(ledger.balances(accounts),
                                                       model.macro.deposit_rate_annual),
                              "deposit interest")
        for firm in self._firms():
            self._transfer(own, firm.own_account, firm.held_at_bank_cents,
                           model.macro.deposit_rate_annual, "reserve interest")
        fund_rate = model.macro.market_rate_annual + rates.fund.deposit_spread_annual
        for fund in self._funds():
            self._transfer(own, fund.cash_account, ledger.balance(fund.deposit_account),
                           fund_rate, "negotiated deposit interest")
        for platform in self._custodied():  # the investors' money: interest to the pool
            self._transfer(own, platform.pool_account, self._custody_cents(platform),
                           rates.bank.custody_interest_annual, "custody interest")

    def _transfer(self, src: int, dst: int, held_cents: int, rate_annual: float,
                  reason: str) -> None:
        """Move a week's interest on ``held_cents`` at ``rate_annual`` from src to dst."""
        self.model.ledger.transfer(src, dst, _interest(held_cents, rate_annual), reason)


def _interest(held_cents, rate_annual: float):
    """A week's simple interest, rounded down; a negative rate pays nothing."""
    return floor_cents(held_cents * weekly_rate(max(rate_annual, 0.0)))
