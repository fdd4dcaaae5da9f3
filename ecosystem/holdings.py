"""Investors' positions in platform pools: units, withdrawal requests, a few slots each.

Each platform's investor money is a pool (cash not yet lent plus loans outstanding), and
each investor owns units of it. With pro-rata auto-investment tools, which most Chinese
P2P platforms offered, an investor's claim on a platform behaves like a share of its whole
book: repayments raise every unit's value and write-offs lower it, which is how investors
bear credit risk under the information-intermediary model (domain.md section 3).

An investor holds at most ``max_platforms_held`` platforms (slots), so diversification is
a parameter. Withdrawals are requests for units, filled pro rata from the pool's cash:
loans cannot be called in, so a pool whose requests exceed its cash has a queue (a run).
"""

from __future__ import annotations

import numpy as np

from ecosystem.money import floor_cents, sum_by

EMPTY = -1


class Holdings:
    """Slots ``(investor, k)``: platform index, units held, units asked back."""

    def __init__(self, n_investors: int, slots: int) -> None:
        self.platform = np.full((n_investors, slots), EMPTY, dtype=np.int64)
        self.units = np.zeros((n_investors, slots), dtype=np.int64)
        self.pending_units = np.zeros((n_investors, slots), dtype=np.int64)

    @property
    def held(self) -> np.ndarray:
        """Mask of slots in use."""
        return self.platform != EMPTY

    def per_platform(self, what: np.ndarray, n_platforms: int) -> np.ndarray:
        """Sum of a slot array (units or pending units) per platform."""
        held = self.held
        return sum_by(self.platform[held], what[held], n_platforms)

    def slot_values_cents(self, price_cents: np.ndarray) -> np.ndarray:
        """Value of every slot at the platforms' unit prices (cents per unit)."""
        prices = np.where(self.held, price_cents[np.maximum(self.platform, 0)], 0.0)
        return floor_cents(self.units * prices)

    def slot_for(self, investors: np.ndarray, platforms: np.ndarray) -> np.ndarray:
        """The slot each investor uses for a platform: its own, else a free one, else -1."""
        rows = self.platform[investors]
        same = rows == platforms[:, None]
        free = rows == EMPTY
        slot = np.where(same.any(axis=1), same.argmax(axis=1), free.argmax(axis=1))
        ok = same.any(axis=1) | free.any(axis=1)
        return np.where(ok, slot, -1)

    def add_units(self, investors: np.ndarray, platforms: np.ndarray,
                  units: np.ndarray) -> None:
        """Credit new units; each investor appears at most once and must have a slot."""
        slots = self.slot_for(investors, platforms)
        if (slots < 0).any():
            raise ValueError("add_units: an investor has no free slot for the platform")
        self.platform[investors, slots] = platforms
        self.units[investors, slots] += units

    def request(self, mask: np.ndarray, units: np.ndarray) -> None:
        """Ask back ``units`` on the masked slots (capped at the units held)."""
        want = np.minimum(self.pending_units + np.where(mask, units, 0), self.units)
        self.pending_units = np.where(self.held, want, 0)

    def cancel(self, units: np.ndarray) -> None:
        """Remove redeemed units (and their requests); free slots that are emptied."""
        self.units -= units
        self.pending_units = np.maximum(self.pending_units - units, 0)
        emptied = self.held & (self.units <= 0)
        self.platform[emptied] = EMPTY
        self.units[emptied] = 0
        self.pending_units[emptied] = 0
