"""The loan book: every P2P loan as a row of numpy columns.

A loan is an amortizing instalment loan (等额本息, equal weekly instalments) or an
interest-only loan repaid at maturity (先息后本, ``bullet``: the instalment is the
interest, and the last payment the principal with it), funded from a platform's
investors. Under the information-intermediary model (domain.md section 3)
the investors bear the credit risk: repayments go to the pool and write-offs reduce the
pool's value, pro rata to the investors' units. A loan whose borrower misses
``write_off_after_missed_weeks`` instalments in a row is written off (about 90 days
overdue, the usual non-performing threshold).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

from ifsim.ecosystem.money import floor_cents, sum_by, weekly_rate

COLUMNS: dict[str, type] = {
    "borrower": np.int64,
    "platform": np.int64,
    "principal_cents": np.int64,
    "outstanding_cents": np.int64,
    "instalment_cents": np.int64,
    "rate_annual": np.float64,
    "term_weeks": np.int64,
    "weeks_paid": np.int64,
    "missed_weeks": np.int64,
    "purpose": np.int8,
    "status": np.int8,
    "originated_step": np.int64,
    "guarantor": np.int64,
    "margin_cents": np.int64,  # guarantor's security deposit held in the risk pool
    "kind": np.int8,
    "bullet": np.int8,     # 1: interest-only, principal at maturity (先息后本)
    "strategic": np.int8,  # 1: its borrower stopped paying a failed platform (逃废债)
    "rollover": np.int8,   # 1: taken to repay a maturing loan (借新还旧)
    "watched": np.int8,    # 1: followed by the closure experiment (ecosystem/closure.py)
}
# Columns whose "nothing" is not zero.
DEFAULTS = {"guarantor": -1}


class LoanStatus(IntEnum):
    """Life of a loan."""

    ACTIVE = 0
    REPAID = 1
    WRITTEN_OFF = 2


class Purpose(IntEnum):
    """What a loan is for (source documents: consumption, small firms, real estate)."""

    CONSUMPTION = 0
    BUSINESS = 1
    REAL_ESTATE = 2


def instalment_cents(principal_cents: np.ndarray, rate_annual: np.ndarray,
                     term_weeks: np.ndarray, bullet: np.ndarray | None = None) -> np.ndarray:
    """Equal weekly instalment that repays ``principal`` with interest over the term, or
    for a bullet loan the weekly interest alone (rounded up)."""
    r = weekly_rate(np.asarray(rate_annual, dtype=np.float64))
    if bullet is not None:
        interest = np.ceil(np.asarray(principal_cents, np.float64) * r).astype(np.int64)
        return np.where(np.asarray(bullet, bool), interest,
                        instalment_cents(principal_cents, rate_annual, term_weeks))
    n = np.asarray(term_weeks, dtype=np.float64)
    p = np.asarray(principal_cents, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        annuity = np.where(r > 0, p * r / (1.0 - np.power(1.0 + r, -n)), p / n)
    return np.ceil(annuity).astype(np.int64)  # round up so the loan is repaid in n weeks


class LoanBook:
    """Columns of loans; active loans are compacted to the front from time to time."""

    def __init__(self, capacity: int = 4096) -> None:
        self.n = 0
        self.cols = {name: np.zeros(capacity, dtype=dt) for name, dt in COLUMNS.items()}
        self.n_originated = 0

    def __getattr__(self, name: str) -> np.ndarray:
        cols = self.__dict__.get("cols")
        if cols is not None and name in cols:
            return cols[name][: self.n]
        raise AttributeError(name)

    def add(self, **values: np.ndarray) -> np.ndarray:
        """Append loans (one array per column); returns their row indices."""
        k = len(values["borrower"])
        self._grow(k)
        rows = np.arange(self.n, self.n + k)
        for name, col in self.cols.items():
            col[self.n:self.n + k] = values.get(name, DEFAULTS.get(name, 0))
        self.n += k
        self.n_originated += k
        return rows

    def _grow(self, k: int) -> None:
        capacity = len(self.cols["borrower"])
        if self.n + k <= capacity:
            return
        new_cap = max(self.n + k, 2 * capacity)
        for name, col in self.cols.items():
            grown = np.zeros(new_cap, dtype=col.dtype)
            grown[: self.n] = col[: self.n]
            self.cols[name] = grown

    def active_rows(self) -> np.ndarray:
        """Indices of active loans that borrowers repay (real loans)."""
        return np.flatnonzero(self.real_active())

    def real_active(self) -> np.ndarray:
        """Mask of active loans to real borrowers (not fictitious, not reward pledges)."""
        return (self.status == LoanStatus.ACTIVE) & (self.kind == 0)

    def compact(self) -> None:
        """Drop closed loans once they are most of the book (their effects are recorded)."""
        active = self.status == LoanStatus.ACTIVE
        if self.n < 1024 or active.mean() > 0.5:
            return
        keep = np.flatnonzero(active)
        for col in self.cols.values():
            col[: len(keep)] = col[keep]
        self.n = len(keep)

    def amounts_due(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Interest and total due this week on ``rows`` (the last instalment clears all)."""
        out = self.outstanding_cents[rows]
        interest = floor_cents(out * weekly_rate(self.rate_annual[rows]))
        instalment = self.instalment_cents[rows]
        last = self.weeks_paid[rows] + 1 >= self.term_weeks[rows]
        due = np.where(last, out + interest, np.minimum(instalment, out + interest))
        return interest, due

    def record_payments(self, rows: np.ndarray, interest: np.ndarray, due: np.ndarray,
                        paid: np.ndarray) -> None:
        """Apply this week's payments: paid rows amortize, unpaid rows fall behind."""
        principal = np.where(paid, due - interest, 0)
        self.cols["outstanding_cents"][rows] -= principal
        self.cols["weeks_paid"][rows] += paid
        self.cols["missed_weeks"][rows] = np.where(paid, 0, self.missed_weeks[rows] + 1)
        done = paid & (self.cols["outstanding_cents"][rows] <= 0)
        self.cols["status"][rows[done]] = LoanStatus.REPAID

    def write_off(self, rows: np.ndarray) -> np.ndarray:
        """Write off ``rows``; returns the principal lost on each."""
        lost = self.outstanding_cents[rows].copy()
        self.cols["outstanding_cents"][rows] = 0
        self.cols["status"][rows] = LoanStatus.WRITTEN_OFF
        return lost

    def by_platform(self, column: str, n_platforms: int, mask: np.ndarray | None = None,
                    ) -> np.ndarray:
        """Sum of an integer column over active loans, per platform."""
        active = self.status == LoanStatus.ACTIVE
        if mask is not None:
            active &= mask
        return sum_by(self.platform[active], getattr(self, column)[active], n_platforms)

    def by_borrower(self, column: str, n_borrowers: int) -> np.ndarray:
        """Sum of an integer column over active real loans, per borrower."""
        active = self.real_active()
        return sum_by(self.borrower[active], getattr(self, column)[active], n_borrowers)

    def by_borrower_count(self, n_borrowers: int) -> np.ndarray:
        """Number of active loans per borrower."""
        active = self.real_active()
        return np.bincount(self.borrower[active], minlength=n_borrowers)
