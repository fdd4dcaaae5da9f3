"""A large platform closed at a set week, and the loans its rollover borrowers owe
elsewhere: the common-borrower channel of contagion, measured (domain.md section 4,
channel 1: "a borrower in default on one platform is often in default on others").

With ``regulator.closure_step`` set, that week the platform in business with the
largest loan book is *watched*: its rollover borrowers (those who repay loans with new
ones, ``agents/borrower.py``) are noted, with the loans they then owe on every *other*
platform. With ``regulator.closure_orders_exit`` = 1 the platform is also ordered out
(an orderly wind-down, cause "ordered to exit"); with 0 it stays open. Both arms watch
the same borrowers in the same seed (the runs agree up to that week), so the default
rate of the watched loans compares like with like: the share of them written off since
the closure week (``watched_default_rate``), against the same loans where the platform
stayed open. The closure itself is the experiment's shock, not a model of why
regulators closed platforms (that is the regulation issue's).
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.contracts import FailureCause
from ifsim.ecosystem.loans import LoanStatus


class ClosureWatch:
    """Follows the watched loans until each is repaid or written off."""

    def __init__(self, model) -> None:
        self.model = model
        self.platform: int | None = None
        self.watched = 0           # loans on other platforms when the watch began
        self.written_off = 0
        self.repaid = 0

    def apply(self) -> None:
        """In the closure week: pick the platform, note the loans, close it if asked."""
        p = self.model.params.regulator
        if not p.closure_step or self.model.steps != p.closure_step:
            return
        platform = self._largest()
        if platform is None:
            return
        self.platform = platform.idx
        self._watch(platform.idx)
        if p.closure_orders_exit:
            platform.fail(FailureCause.ORDERED, "closed by order (an experiment's shock): "
                          f"{self.watched} loans of its rollover borrowers elsewhere watched")

    def _largest(self):
        alive = [p for p in self.model.platforms if p.alive]
        return max(alive, key=lambda p: p.book_cents, default=None)

    def _watch(self, platform: int) -> None:
        loans, pop = self.model.loans, self.model.borrowers
        active = loans.real_active()
        mine = active & (loans.platform == platform)
        rollers = np.unique(loans.borrower[mine])
        rollers = rollers[pop.rolls_over[rollers]]
        elsewhere = active & (loans.platform != platform) & np.isin(loans.borrower, rollers)
        loans.cols["watched"][np.flatnonzero(elsewhere)] = 1
        self.watched = int(elsewhere.sum())

    def count(self) -> None:
        """Tally watched loans that ended this week (before the book is compacted)."""
        if not self.watched:
            return
        loans = self.model.loans
        watched = loans.watched == 1
        off = watched & (loans.status == LoanStatus.WRITTEN_OFF)
        repaid = watched & (loans.status == LoanStatus.REPAID)
        self.written_off += int(off.sum())
        self.repaid += int(repaid.sum())
        loans.cols["watched"][np.flatnonzero(off | repaid)] = 0

    def default_rate(self) -> float:
        """Share of the watched loans written off so far (0 before the watch)."""
        return self.written_off / self.watched if self.watched else 0.0
