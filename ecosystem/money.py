"""Money units and the one place where amounts are rounded.

All money in ifsim is integer cents (``int64``; 1 yuan = 100 cents). Rates are floats.
Every conversion from a float amount (interest, pro-rata shares, fees) to cents goes
through :func:`floor_cents`, which rounds *down*: a payer never pays a fraction of a cent
more than it owes, and the remainder stays with the payer, so money is conserved exactly
(docs/design.md section 4).
"""

from __future__ import annotations

import math

import numpy as np

from ifsim.ecosystem.errors import LedgerError

CENTS_PER_YUAN = 100
WEEKS_PER_YEAR = 52

# Bounds on money (docs/design.md section 4, "Bounds"). ``Params`` refuses a world whose
# issued money could exceed SAFE_ISSUED_CENTS; the ledger raises before the money that
# crossed its boundary (issued + absorbed + moved between external accounts) exceeds
# LEDGER_LIMIT_CENTS, which keeps every balance and every sum of balances below 2^63.
INT64_MAX = 2**63 - 1
SAFE_ISSUED_CENTS = 2**60
LEDGER_LIMIT_CENTS = 2**62


class MoneyOverflowError(LedgerError):
    """An amount or a total would not fit in int64 cents (it would wrap silently)."""


def floor_cents(amount: float | np.ndarray) -> np.ndarray | int:
    """Round a float amount of cents down to whole cents (never below zero).

    Args:
        amount: A float or array of floats in cents.

    Returns:
        ``int`` for a scalar input, an ``int64`` array otherwise.

    Raises:
        MoneyOverflowError: an array holds NaN or an amount of 2^63 cents or more (the
            cast to int64 would give garbage).
    """
    if isinstance(amount, int | float) and math.isfinite(amount):  # hot path: scalars
        return max(math.floor(amount), 0)
    floored = np.floor(np.maximum(amount, 0.0))
    if floored.size and not floored.max() < INT64_MAX:  # also catches NaN (one pass)
        raise MoneyOverflowError(
            f"amount {float(np.max(floored))!r} cents is not a finite int64 amount")
    rounded = floored.astype(np.int64)
    if np.ndim(rounded) == 0:
        return int(rounded)
    return rounded


def weekly_rate(rate_annual: float | np.ndarray) -> float | np.ndarray:
    """Convert an annual simple rate to a weekly one (rate / 52)."""
    return rate_annual / WEEKS_PER_YEAR


def weekly_hazard(prob_annual: float | np.ndarray) -> float | np.ndarray:
    """Weekly probability equivalent to an annual probability, 1 - (1 - p)^(1/52)."""
    return 1.0 - np.power(1.0 - np.clip(prob_annual, 0.0, 1.0 - 1e-12), 1.0 / WEEKS_PER_YEAR)


def pro_rata(total_cents: int, weights: np.ndarray) -> np.ndarray:
    """Split ``total_cents`` across ``weights`` pro rata, rounding each share down.

    The sum of the shares is at most ``total_cents``; the remainder (fewer cents than
    there are weights) stays with whoever pays, so no money is created.
    """
    weights = np.asarray(weights, dtype=np.float64)
    weight_sum = weights.sum()
    if total_cents <= 0 or weight_sum <= 0:
        return np.zeros(weights.shape, dtype=np.int64)
    shares = floor_cents(total_cents * (weights / weight_sum))
    return np.minimum(shares, total_cents)


def sum_by(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Exact integer sums of ``values`` grouped by ``index`` (0..n-1), as int64.

    ``np.bincount`` sums in float64, which is exact while every partial sum stays below
    2**53 cents; it is used then (it is several times faster than ``np.add.at``), and
    ``np.add.at`` on int64 otherwise.
    """
    values = np.asarray(values, dtype=np.int64)
    if values.size and int(np.abs(values).sum()) < 2**53:
        return np.bincount(index, values, minlength=n)[:n].astype(np.int64)
    out = np.zeros(n, dtype=np.int64)
    np.add.at(out, index, values)
    return out
