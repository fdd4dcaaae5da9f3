"""Third-party payment firms (第三方支付, Alipay-like; domain.md section 1).

A payment firm moves money between investors, platforms and borrowers, charging platforms
a fee on what it settles to them. Money paid out to investors lands first as a balance in
the payment app (client money, backed by client reserve funds, 备付金); the next week
(T+1) the firm sweeps a share of fund users' idle balances into its partner money-market
fund (the Yu'ebao "fund + third-party payment" model, source 000) and sends the rest to
the investors' bank deposits. A share of client reserves is held at the central bank
(``reserve_centralisation_ratio``: 20% in April 2017 rising to 100% in January 2019),
the rest at the firm's bank, where it earns the deposit rate for the firm.

Invariant (tested): reserves at the bank plus at the central bank equal the sum of client
balances at the end of every step.
"""

from __future__ import annotations

import mesa
import numpy as np

from ecosystem.money import floor_cents


class PaymentFirm(mesa.Agent):
    """One payment firm with its clients' app balances."""

    def __init__(self, model: mesa.Model, idx: int, *, own_account: int,
                 reserve_bank_account: int, reserve_central_account: int, bank: int,
                 client_investors: np.ndarray) -> None:
        super().__init__(model)
        self.idx = idx
        self.own_account = own_account
        self.reserve_bank_account = reserve_bank_account
        self.reserve_central_account = reserve_central_account
        self.bank = bank
        self.client_investors = client_investors          # investor rows, by client position
        self.client_balance_cents = np.zeros(len(client_investors), np.int64)
        self.fees_due_cents = np.zeros(model.params.world.n_platforms, np.int64)
        self.settled_cents = 0

    @property
    def name(self) -> str:
        """Label used in events."""
        return f"payment-firm-{self.idx}"

    @property
    def fund(self) -> mesa.Agent:
        """The partner money-market fund."""
        return self.model.funds[self.idx]

    def reserves_cents(self) -> int:
        """Client reserve funds, at the bank and at the central bank."""
        ledger = self.model.ledger
        return ledger.balance(self.reserve_bank_account) + ledger.balance(
            self.reserve_central_account)

    def balance_sheet(self) -> dict[str, int]:
        """Assets: reserves and own cash; liabilities: client balances."""
        own = self.model.ledger.balance(self.own_account)
        clients = int(self.client_balance_cents.sum())
        return {"assets_cents": self.reserves_cents() + own, "liabilities_cents": clients,
                "equity_cents": self.reserves_cents() + own - clients}

    # -- moving money ---------------------------------------------------------------
    def route(self, src: np.ndarray | int, dst: np.ndarray | int, amounts: np.ndarray,
              reason: str, fee_platforms: np.ndarray | None = None) -> None:
        """Settle payments through the firm's reserve account; fee owed by platforms paid."""
        amounts = np.asarray(amounts, np.int64)
        if amounts.size == 0 or amounts.sum() == 0:
            return
        ledger = self.model.ledger
        ledger.transfer_batch(src, self.reserve_bank_account, amounts, reason)
        ledger.transfer_batch(self.reserve_bank_account, dst, amounts, reason)
        self.settled_cents += int(amounts.sum())
        if fee_platforms is not None:
            fees = floor_cents(amounts * self.model.params.payment_firm.fee_rate)
            np.add.at(self.fees_due_cents, fee_platforms, fees)

    def hold_for_clients(self, src: np.ndarray | int, positions: np.ndarray,
                         amounts: np.ndarray, reason: str) -> None:
        """Receive money for clients; it waits in their app balance until T+1."""
        amounts = np.asarray(amounts, np.int64)
        if amounts.size == 0:
            return
        self.model.ledger.transfer_batch(src, self.reserve_bank_account, amounts, reason)
        np.add.at(self.client_balance_cents, positions, amounts)

    def take_fees_due(self, platform: int) -> int:
        """Fees a platform owes for this week's settlements (reset once billed)."""
        due = int(self.fees_due_cents[platform])
        self.fees_due_cents[platform] = 0
        return due

    # -- weekly phases --------------------------------------------------------------
    def settle_client_balances(self) -> None:
        """T+1: sweep fund users' idle balances into the fund; pay the rest to banks."""
        model, ledger = self.model, self.model.ledger
        ledger.transfer(self.reserve_central_account, self.reserve_bank_account,
                        ledger.balance(self.reserve_central_account), "reserves recalled")
        balances = self.client_balance_cents
        waiting = np.flatnonzero(balances > 0)
        if waiting.size == 0:
            return
        investors = self.client_investors[waiting]
        users = model.investors.fund_user[investors]
        sweep = np.where(users, floor_cents(balances[waiting]
                                            * model.params.investor.sweep_share), 0)
        out = balances[waiting] - sweep
        ledger.transfer_batch(self.reserve_bank_account, self.fund.cash_account, sweep,
                              "idle balance swept into fund")
        self.fund.subscribe(waiting, sweep)
        ledger.transfer_batch(self.reserve_bank_account, model.investors.account[investors],
                              out, "app balance withdrawn to bank")
        balances[waiting] = 0

    def rebalance_reserves(self) -> None:
        """Hold the required share of client reserves at the central bank."""
        ledger = self.model.ledger
        ratio = self.model.params.payment_firm.reserve_centralisation_ratio
        target = floor_cents(self.reserves_cents() * ratio)
        gap = target - ledger.balance(self.reserve_central_account)
        if gap > 0:
            ledger.transfer(self.reserve_bank_account, self.reserve_central_account, gap,
                            "reserve centralisation")
        elif gap < 0:
            ledger.transfer(self.reserve_central_account, self.reserve_bank_account, -gap,
                            "reserve centralisation")
