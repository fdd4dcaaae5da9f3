"""How a failed platform leaves the market (domain.md section 3, "orderly wind-down or
disorderly collapse").

Orderly (清盘): a platform that promised principal and yield first makes good what it
owes its investors on that promise out of its capital (刚性兑付 binds the operator);
the owners take back what capital is left, the loans are collected over time and the
pool is paid out pro rata every week (``markets.pay_withdrawals``).
Disorderly (owners abscond, 跑路): the owners take their own money and, where investor
money is not at a custodian bank, the pool's cash and the risk pool too; records are
lost, so a share of the loans is never collected, and any fictitious loans are exposed
as worthless.
Every cent written off against investors, and every cent recovered for them later, is
recorded against the platform, as two separate cumulative tallies; what investors lose in
the end is measured from money in and out (``ifsim.ecosystem.holdings``).
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.contracts import DISORDERLY, FailureCause, LoanKind
from ifsim.ecosystem.loans import LoanStatus
from ifsim.ecosystem.money import floor_cents


class Exits:
    """Carries out exits and keeps the investor-loss tally per platform."""

    def __init__(self, model) -> None:
        self.model = model

    def record_loss(self, platform, amount_cents: int) -> None:
        """``amount_cents`` of investors' money or loans was written off on ``platform``."""
        amount = int(amount_cents)
        if amount <= 0 or (platform.promises_principal and platform.alive):
            return  # a living fund pool or Ponzi covers losses from its capital (keep_promise)
        platform.investor_writeoffs_cents += amount
        self.model.investor_writeoffs_cents += amount

    def record_recovery(self, platform, amount_cents: int) -> None:
        """Money recovered for the investors of ``platform`` (never netted against
        write-offs: both tallies only grow)."""
        amount = int(amount_cents)
        if amount <= 0 or (platform.promises_principal and platform.alive):
            return  # the living promiser's capital bore the loss, the recovery is its own
        platform.investor_recoveries_cents += amount
        self.model.investor_recoveries_cents += amount

    def leave(self, platform, cause: FailureCause) -> None:
        """Wind the platform down, orderly or not (``platform.alive`` is already False)."""
        ledger, accounts = self.model.ledger, self.model.accounts
        if cause in DISORDERLY:
            platform.disorderly = True
            if self.model.rng.random() < self.model.params.platform.fraud_detection_prob:
                self._owners_caught(platform)
            else:
                ledger.transfer(platform.own_account, accounts["world.absconded"],
                                platform.capital_cents(), "owners abscond with capital")
                self._take_investor_cash(platform)
            self._lose_records(platform)
        else:
            self._make_good_promise(platform)
            ledger.transfer(platform.own_account, accounts["world.owners"],
                            platform.capital_cents(), "capital returned to owners at exit")
        self.write_off(platform, self._rows(platform, LoanKind.FICTITIOUS),
                       "fictitious loans exposed")
        self._borrowers_stop_paying(platform)
        self._bids_withdrawn(platform)

    def _bids_withdrawn(self, platform) -> None:
        """Bids waiting on a platform that left are void: the money never left the
        investors' deposits, and their slots free up once nothing else is held."""
        hold = self.model.holdings
        hold.bid_cents[hold.platform == platform.idx] = 0
        hold.close_empty()

    def _borrowers_stop_paying(self, platform) -> None:
        """逃废债: a share of a failed platform's borrowers (``borrower.
        strategic_default_share``, drawn per borrower) stop paying it, while they keep
        paying their other lenders; their loans go into arrears and are written off."""
        model = self.model
        rows = self._rows(platform, LoanKind.REAL)
        if rows.size == 0:
            return
        borrowers = np.unique(model.loans.borrower[rows])
        share = model.params.borrower.strategic_default_share
        quitting = borrowers[model.rng.random(borrowers.size) < share]
        stop = rows[np.isin(model.loans.borrower[rows], quitting)]
        model.loans.cols["strategic"][stop] = 1
        if stop.size:
            model.events.log("strategic_default", platform.name, "borrowers stop paying",
                             int(model.loans.outstanding_cents[stop].sum()),
                             f"{quitting.size} of {borrowers.size} borrowers")

    def _make_good_promise(self, platform) -> None:
        """Orderly exit of a promising platform: capital pays what the promise owes
        beyond the pool's recoverable value."""
        if not platform.promises_principal:
            return
        promised = int(platform.units_total * platform.promised_price_cents)
        owed = max(promised - platform.recoverable_value_cents(), 0)
        paid = min(owed, platform.capital_cents())
        self.model.ledger.transfer(platform.own_account, platform.pool_account, paid,
                                   "promise made good from capital at exit")

    def _owners_caught(self, platform) -> None:
        """Owners who abscond and are caught (the fraud investigations of Gu, Gui and
        Huang 2021) keep nothing: investor money stays in the pool and what they held of
        their own is confiscated for the investors (a recovery)."""
        capital = platform.capital_cents()
        self.model.ledger.transfer(platform.own_account, platform.pool_account, capital,
                                   "absconding owners caught: assets returned to investors")
        self.record_recovery(platform, capital)
        platform.owners_caught = True
        self.model.events.log("fraud_investigation", platform.name, "owners caught", capital,
                              "absconding owners caught; their assets go to investors")

    def _take_investor_cash(self, platform) -> None:
        """What of the pool's cash and escrow is in the owners' reach (all of it without
        custody; with custody the share they can move by instructing payments for
        fictitious loans, ``platform.custody_reach_share``), and the risk pool if it is
        not in custody. The risk pool is not investors' units, so taking it is not yet
        their loss: that shows when later defaults find the pool empty."""
        ledger, sink = self.model.ledger, self.model.accounts["world.absconded"]
        reach = platform.owners_reach_share()
        taken = 0
        for account in (platform.pool_account, platform.escrow_account):
            amount = floor_cents(ledger.balance(account) * reach)
            ledger.transfer(account, sink, amount, "investor money taken by absconding owners")
            taken += amount
        self.record_loss(platform, taken)
        if not platform.has_custody:
            ledger.transfer(platform.risk_pool_account, sink,
                            ledger.balance(platform.risk_pool_account),
                            "risk pool taken by absconding owners")

    def _lose_records(self, platform) -> None:
        """A share of the real loans is never collected once the records are gone."""
        rows = self._rows(platform, LoanKind.REAL)
        share = self.model.params.platform.disorderly_loss_share
        lost = rows[self.model.rng.random(len(rows)) < share]
        self.write_off(platform, lost, "records lost in disorderly collapse")

    def _rows(self, platform, kind: LoanKind) -> np.ndarray:
        loans = self.model.loans
        return np.flatnonzero((loans.platform == platform.idx) & (loans.kind == kind)
                              & (loans.status == LoanStatus.ACTIVE))

    def write_off(self, platform, rows: np.ndarray, cause: str) -> None:
        """Write loans off as a loss to the platform's investors."""
        if rows.size == 0:
            return
        lost = int(self.model.loans.write_off(rows).sum())
        self.record_loss(platform, lost)
        # not a borrower default: kept out of the default rate
        self.model.step_stats["exit_write_off_cents"] += lost
        self.model.events.log("write_off", platform.name, cause, lost,
                              f"{rows.size} loans")
        self.model.refresh_platform_books()
