"""Third-party payment firms (第三方支付, Alipay-like; domain.md section 1).

A payment firm moves money between investors, platforms and borrowers, charging platforms
a fee on what it settles to them. Money paid out to investors lands first as a balance in
the payment app (client money, backed by client reserve funds, 备付金); the next week
(T+1) the firm sweeps a share of fund users' idle balances into its partner money-market
fund (the Yu'ebao "fund + third-party payment" model, source 000) and sends the rest to
the investors' bank deposits. A share of client reserves is held at the central bank
(``reserve_centralisation_ratio``: 20% in April 2017 rising to 100% in January 2019;
PBoC notice Yinbanfa [2017] No.10), the rest at the firm's bank. The interest on client
reserves is the firm's, by two contracts: the bank pays the deposit rate on reserves
held with it (``agents/bank.py``), and the central bank pays
``central_bank_reserve_rate_annual`` on centralised reserves, from the
``world.central_bank`` source. The PBoC paid nothing on them from 2017 (Yinbanfa [2017]
No.10) and 0.35% a year from January 2020 (Caixin, 2020-01-07), the default here; 0.35%
is also the PBoC excess-reserve rate from April 2020 (0.72% from 2008 until then). Both
are paid on what was held over the week just ended, before the T+1 settlement empties
the balances (reserves held during a week are last week's client money in transit).

Instant (T+0) fund redemptions are advanced by the firm from its own cash and repaid by
the fund at T+1 (``advance_t0``). Redemption proceeds a fund pays T+1 (over the T+0 cap,
or beyond what the firm could advance, ``agents/mmf.py``) wait in the app balance too,
but the holder asked for them: settlement sends them to its bank deposit and never
sweeps them back into the fund.

Invariant (tested): reserves at the bank plus at the central bank equal the sum of client
balances at the end of every step.
"""

from __future__ import annotations

import mesa
import numpy as np

from ifsim.ecosystem.money import floor_cents, pro_rata, weekly_rate


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
        # the part of each client balance owed to its bank deposit (not to be swept)
        self.owed_to_bank_cents = np.zeros(len(client_investors), np.int64)
        # reserves held over the week, at the bank and at the central bank (for interest)
        self.held_at_bank_cents = 0
        self.held_at_central_bank_cents = 0
        self.fees_due_cents = np.zeros(model.params.world.n_platforms, np.int64)
        self.settled_cents = 0
        self.advanced_cents = 0             # T+0 advances to fund holders (cumulative)
        self.down_until_step = 0            # a cyber incident took its app down until then

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
                         amounts: np.ndarray, reason: str, *,
                         owed_to_bank: bool = False) -> None:
        """Receive money for clients; it waits in their app balance until T+1.

        ``owed_to_bank``: the client asked for this money in its bank deposit (a T+1
        fund redemption), so settlement pays all of it there and sweeps none of it.
        """
        amounts = np.asarray(amounts, np.int64)
        if amounts.size == 0 or amounts.sum() == 0:
            return
        self.model.ledger.transfer_batch(src, self.reserve_bank_account, amounts, reason)
        np.add.at(self.client_balance_cents, positions, amounts)
        if owed_to_bank:
            np.add.at(self.owed_to_bank_cents, positions, amounts)

    def advance_capacity_cents(self) -> int:
        """Own liquidity the firm can put into T+0 advances now (none while a cyber
        incident keeps its instant service down, ``shocks.hit_payment_firm``)."""
        if self.model.steps < self.down_until_step:
            return 0
        return self.sponsor_capacity_cents()

    def sponsor_capacity_cents(self) -> int:
        """Own cash the firm can put behind its stable-value fund (an outage of its app
        does not touch it)."""
        return max(self.model.ledger.balance(self.own_account), 0)

    def advance_t0(self, dst_accounts: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Pay fund holders their instant (T+0) redemptions from the firm's own liquidity,
        to be repaid by the fund at T+1 (how Yu'ebao's instant redemption works: the
        payment firm advances the money; source 000). As far as its own cash goes, pro
        rata beyond. Returns what each holder was advanced."""
        amounts = np.asarray(amounts, np.int64)
        room = self.advance_capacity_cents()
        advanced = amounts if amounts.sum() <= room else pro_rata(room, amounts)
        self.route(self.own_account, dst_accounts, advanced, "T+0 redemption advanced")
        self.advanced_cents += int(advanced.sum())
        return advanced

    def add_platform(self) -> None:
        """Bill a platform that entered like the others."""
        self.fees_due_cents = np.append(self.fees_due_cents, 0)

    def take_fees_due(self, platform: int) -> int:
        """Fees a platform owes for this week's settlements (reset once billed)."""
        due = int(self.fees_due_cents[platform])
        self.fees_due_cents[platform] = 0
        return due

    # -- weekly phases --------------------------------------------------------------
    def settle_client_balances(self) -> None:
        """T+1: sweep fund users' idle balances into the fund; pay the rest to banks."""
        model, ledger = self.model, self.model.ledger
        self.held_at_bank_cents = ledger.balance(self.reserve_bank_account)
        self.held_at_central_bank_cents = ledger.balance(self.reserve_central_account)
        self.earn_central_bank_interest()
        ledger.transfer(self.reserve_central_account, self.reserve_bank_account,
                        ledger.balance(self.reserve_central_account), "reserves recalled")
        balances = self.client_balance_cents
        waiting = np.flatnonzero(balances > 0)
        if waiting.size == 0:
            return
        investors = self.client_investors[waiting]
        sweep = self._sweep_cents(waiting)
        ledger.transfer_batch(self.reserve_bank_account, self.fund.cash_account, sweep,
                              "idle balance swept into fund")
        self.fund.subscribe(waiting, sweep)
        ledger.transfer_batch(self.reserve_bank_account, model.investors.account[investors],
                              balances[waiting] - sweep, "app balance withdrawn to bank")
        balances[waiting] = 0
        self.owed_to_bank_cents[waiting] = 0

    def _sweep_cents(self, waiting: np.ndarray) -> np.ndarray:
        """What goes into the fund: a share of fund users' idle balances, leaving out
        redemption proceeds the client asked to have in its bank deposit, and nothing of
        a client who fears the fund (``Investor.fund_fear``)."""
        model = self.model
        idle = self.client_balance_cents[waiting] - self.owed_to_bank_cents[waiting]
        investors = self.client_investors[waiting]
        users = model.investors.fund_user[investors].copy()
        fears = model.investors.fears_fund
        if fears.size:                       # set once holders have decided once
            users &= ~fears[investors]
        return np.where(users, floor_cents(idle * model.params.investor.sweep_share), 0)

    def earn_central_bank_interest(self) -> None:
        """Interest on the reserves held at the central bank over the week just ended, at
        the rate the PBoC pays on centralised client reserves (payment_firm params)."""
        rate = self.model.params.payment_firm.central_bank_reserve_rate_annual
        self.model.ledger.transfer(
            self.model.accounts["world.central_bank"], self.own_account,
            floor_cents(self.held_at_central_bank_cents * weekly_rate(rate)),
            "central bank interest on client reserves")

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
