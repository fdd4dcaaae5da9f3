"""Investors' positions in platform pools: units, withdrawal requests, a few slots each,
and what each investor has put into and got back from each platform.

Each platform's investor money is a pool (cash not yet lent plus loans outstanding), and
each investor owns units of it. With pro-rata auto-investment tools, which most Chinese
P2P platforms offered, an investor's claim on a platform behaves like a share of its whole
book: repayments raise every unit's value and write-offs lower it, which is how investors
bear credit risk under the information-intermediary model (domain.md section 3).

An investor holds at most ``max_platforms_held`` platforms (slots), so diversification is
a parameter. What a slot's units are, and how they are left, depends on the platform's
contract (domain.md section 3; ``ecosystem/contracts.py``):

- on an information intermediary or guaranteed platform the units are claims on its
  loans, bought as loans are funded from the holders' **bids** (money that waits in the
  investor's own account, ``bid_cents``, until a loan takes it) and left only by
  selling them on the platform's transfer market (债权转让) to other investors' bids, in
  the order the sellers asked (``requested_step``): the queue of ``pending_units``;
- on a fund pool or Ponzi scheme the units are fixed-term products that mature at
  ``maturity_step``: a request to leave waits for maturity, when the platform owes the
  promised value in cash; an unrequested product rolls over for another ``term_weeks``;
- on a crowdfunding platform backers pledge from bids as well, and all the cash the
  platform collects (or a campaign that missed its goal returns) is paid out to its
  holders pro rata; a pledge cannot be sold;
- a platform that has failed pays out all its cash to all holders, pro rata, as its
  loans are collected.

Losses are measured per investor and platform from money, not promises (docs/design.md s.4):
``paid_in`` is every cent the investor put in, ``got_back`` every cent (or good) it got
out; its loss is ``paid_in - got_back - value`` of what it still holds, never below zero,
so it can never exceed what it put in minus what it got back. A position that is closed
keeps its totals (``closed``) until the investor comes back to the same platform, so a
gain on one stay nets against a loss on another.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.money import floor_cents, sum_by

EMPTY = -1


class Holdings:
    """Slots ``(investor, k)``: platform index, units held, units asked back, money in/out."""

    def __init__(self, n_investors: int, slots: int, n_platforms: int) -> None:
        self.platform = np.full((n_investors, slots), EMPTY, dtype=np.int64)
        self.units = np.zeros((n_investors, slots), dtype=np.int64)
        self.pending_units = np.zeros((n_investors, slots), dtype=np.int64)
        self.paid_in_cents = np.zeros((n_investors, slots), dtype=np.int64)
        self.got_back_cents = np.zeros((n_investors, slots), dtype=np.int64)
        self.bid_cents = np.zeros((n_investors, slots), dtype=np.int64)
        self.requested_step = np.zeros((n_investors, slots), dtype=np.int64)
        self.maturity_step = np.zeros((n_investors, slots), dtype=np.int64)
        self.term_weeks = np.zeros((n_investors, slots), dtype=np.int64)
        # closed positions: (investor, platform) -> (paid in, got back)
        self.closed: dict[tuple[int, int], tuple[int, int]] = {}
        self.closed_loss_cents = np.zeros(n_platforms, dtype=np.int64)

    def add_platform(self) -> None:
        """Make room for a platform that entered (its loss tally starts at 0)."""
        self.closed_loss_cents = np.append(self.closed_loss_cents, 0)

    @property
    def held(self) -> np.ndarray:
        """Mask of slots in use."""
        return self.platform != EMPTY

    def per_platform(self, what: np.ndarray, n_platforms: int) -> np.ndarray:
        """Sum of a slot array (units or pending units) per platform."""
        # empty slots (platform -1) land in bin 0, which is dropped: no mask to build
        return sum_by(self.platform.ravel() + 1, what.ravel(), n_platforms + 1)[1:]

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

    def add_units(self, investors: np.ndarray, platforms: np.ndarray, units: np.ndarray,
                  paid_cents: np.ndarray) -> np.ndarray:
        """Credit new units bought for ``paid_cents``; each investor appears at most once
        and must have a slot. A returning investor's earlier totals come back with it.
        Returns the slots used."""
        slots = self.slot_for(investors, platforms)
        if (slots < 0).any():
            raise ValueError("add_units: an investor has no free slot for the platform")
        opened = self.platform[investors, slots] == EMPTY
        self.platform[investors, slots] = platforms
        self.units[investors, slots] += units
        self.paid_in_cents[investors, slots] += paid_cents
        if self.closed and opened.any():
            self._reopen(investors[opened], slots[opened], platforms[opened])
        return slots

    def _reopen(self, investors: np.ndarray, slots: np.ndarray, platforms: np.ndarray) -> None:
        for inv, slot, pl in zip(investors.tolist(), slots.tolist(), platforms.tolist(),
                                 strict=True):
            totals = self.closed.pop((inv, pl), None)
            if totals is not None:
                self.paid_in_cents[inv, slot] += totals[0]
                self.got_back_cents[inv, slot] += totals[1]
                self.closed_loss_cents[pl] -= max(totals[0] - totals[1], 0)

    def record_payout(self, pay_cents: np.ndarray) -> None:
        """Money (or goods, at value) paid out to each slot's holder."""
        self.got_back_cents += pay_cents

    def request(self, mask: np.ndarray, units: np.ndarray, step: int = 0) -> None:
        """Ask back ``units`` on the masked slots (capped at the units held); a slot that
        had no request takes its place in the queue at ``step``."""
        want = np.minimum(self.pending_units + np.where(mask, units, 0), self.units)
        new = (self.pending_units == 0) & (want > 0)
        self.requested_step = np.where(new, step, self.requested_step)
        self.pending_units = np.where(self.held, want, 0)

    def asked_since(self, pending_before: np.ndarray, n_platforms: int) -> np.ndarray:
        """Per platform: units newly asked back since the pending units were
        ``pending_before`` (slots must not have moved in between)."""
        added = np.maximum(self.pending_units - np.where(self.held, pending_before, 0), 0)
        return self.per_platform(added, n_platforms).astype(float)

    def cancel(self, units: np.ndarray) -> None:
        """Remove redeemed units (and their requests); close slots that are emptied."""
        self.units -= units
        self.pending_units = np.maximum(self.pending_units - units, 0)
        self.close_empty()

    def close_empty(self) -> None:
        """Close slots with neither units nor a bid left."""
        emptied = self.held & (self.units <= 0) & (self.bid_cents <= 0)
        if emptied.any():
            self._close(emptied)

    # -- bids on loan-claim platforms -------------------------------------------------
    def place_bids(self, investors: np.ndarray, platforms: np.ndarray,
                   amounts: np.ndarray) -> np.ndarray:
        """Add standing bids (each investor at most once; needs a slot for the
        platform). Returns the amounts placed (0 where the investor had no slot)."""
        slots = self.slot_for(investors, platforms)
        ok = slots >= 0
        inv, sl, pl = investors[ok], slots[ok], platforms[ok]
        opened = self.platform[inv, sl] == EMPTY
        self.platform[inv, sl] = pl
        self.bid_cents[inv, sl] += amounts[ok]
        if self.closed and opened.any():
            self._reopen(inv[opened], sl[opened], pl[opened])
        return np.where(ok, amounts, 0)

    def _close(self, emptied: np.ndarray) -> None:
        investors, slots = np.nonzero(emptied)
        platforms = self.platform[investors, slots]
        paid, got = self.paid_in_cents[investors, slots], self.got_back_cents[investors, slots]
        for inv, pl, p_in, g_out in zip(investors.tolist(), platforms.tolist(), paid.tolist(),
                                        got.tolist(), strict=True):
            self.closed[(inv, pl)] = (p_in, g_out)
            self.closed_loss_cents[pl] += max(p_in - g_out, 0)
        for column in (self.units, self.pending_units, self.paid_in_cents,
                       self.got_back_cents, self.bid_cents, self.requested_step,
                       self.maturity_step, self.term_weeks):
            column[emptied] = 0
        self.platform[emptied] = EMPTY

    # -- losses ---------------------------------------------------------------------
    def open_losses_cents(self, value_cents: np.ndarray) -> np.ndarray:
        """Loss on every slot: paid in - got back - value still held, never below 0."""
        loss = self.paid_in_cents - self.got_back_cents - value_cents
        return np.where(self.held, np.maximum(loss, 0), 0)

    def losses_by_platform(self, value_cents: np.ndarray, n_platforms: int) -> np.ndarray:
        """Investors' loss on each platform: open positions plus closed ones."""
        return (self.per_platform(self.open_losses_cents(value_cents), n_platforms)
                + self.closed_loss_cents[:n_platforms])

    def pairs(self, value_cents: np.ndarray) -> dict[str, np.ndarray]:
        """Every (investor, platform) pair ever held, with money in, out and the loss."""
        inv, slot = np.nonzero(self.held)
        keys = np.array([k for k in self.closed], np.int64).reshape(-1, 2)
        money = np.array([v for v in self.closed.values()], np.int64).reshape(-1, 2)
        paid = np.concatenate([self.paid_in_cents[inv, slot], money[:, 0]])
        got = np.concatenate([self.got_back_cents[inv, slot], money[:, 1]])
        value = np.concatenate([value_cents[inv, slot], np.zeros(len(money), np.int64)])
        return {"investor": np.concatenate([inv, keys[:, 0]]),
                "platform": np.concatenate([self.platform[inv, slot], keys[:, 1]]),
                "paid_in_cents": paid, "got_back_cents": got, "value_cents": value,
                "loss_cents": np.maximum(paid - got - value, 0)}
