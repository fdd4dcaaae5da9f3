"""An investor-protection fund: a lever against runs on platforms (issue 12, item 4).

What it models: China's P2P investors had no protection when platforms failed (domain.md
s.5 on the rules of 2015-2019: no deposit insurance, no lender of last resort); bank
depositors have been insured up to 500,000 yuan per depositor and bank since the Deposit
Insurance Regulations of 2015, and securities investors are protected by the China
Securities Investor Protection Fund (2005). This lever asks what such a fund would have
done to runs on platforms, as deposit insurance does in Diamond and Dybvig (1983).

- **Funding.** The fund starts with ``protection.endowment_cents`` (public money) and
  each week every platform in business pays ``protection.levy_annual / 52`` of what its
  investors hold on it out of its own capital (as far as its capital goes).
- **Payout.** When a platform fails, each of its holders is paid what it held, at the
  unit price just before the failure, up to ``protection.cover_cents`` per investor and
  platform; if the fund holds less than it owes, every holder gets the same share of
  its claim. The fund takes over as many of the holder's units as are worth what it
  paid at the pool's value per unit after the failure (subrogation up to its payment;
  all of them when the pool is worth less): it is paid from the platform's wind-down
  like any holder (``markets.pay_withdrawals``), and bears the loss when the wind-down
  pays less.
- **Credibility.** Holders count on the cover as far as the fund could pay out the
  holders of the largest platform in business (``covered_share``): a fund with little
  money reassures nobody.

``protection.cover_cents`` 0 turns the fund off (no levy is then collected).
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.ledger import AccountKind
from ifsim.ecosystem.money import floor_cents


class ProtectionFund:
    """The fund's account and the units of failed platforms it has taken over."""

    def __init__(self, model) -> None:
        self.model = model
        self.params = model.params.protection
        self.account = model.ledger.open_account("protection.fund", AccountKind.INSTITUTION)
        self.units = np.zeros(len(model.platforms), np.int64)
        self.paid_out_cents = 0
        self.recovered_cents = 0
        if self.on and self.params.endowment_cents:
            model.ledger.transfer(model.accounts["world.endowment"], self.account,
                                  self.params.endowment_cents, "investor-protection fund")

    @property
    def on(self) -> bool:
        """Whether the lever is on."""
        return self.params.cover_cents > 0

    def balance_cents(self) -> int:
        """Money the fund holds."""
        return self.model.ledger.balance(self.account)

    def add_platform(self) -> None:
        """A platform entered: the fund holds none of its units."""
        self.units = np.append(self.units, 0)

    # -- funding ----------------------------------------------------------------------
    def collect_levies(self) -> None:
        """Every platform in business pays its weekly levy out of its own capital."""
        if not self.on or self.params.levy_annual <= 0:
            return
        value = self.model.recoverable_values_cents()
        for platform in self.model.platforms:
            if not platform.alive:
                continue
            levy = min(floor_cents(value[platform.idx] * self.params.levy_annual / 52.0),
                       max(platform.capital_cents(), 0))
            if levy > 0:
                self.model.ledger.transfer(platform.own_account, self.account, int(levy),
                                           "investor-protection levy")

    # -- payout at failure ------------------------------------------------------------
    def pay_out(self, platform, price_cents: float) -> int:
        """Pay the failed platform's holders up to the cover, at ``price_cents`` a unit,
        and take over the units paid for. Returns what was paid."""
        if not self.on or price_cents <= 0:
            return 0
        hold, pop = self.model.holdings, self.model.investors
        rows, slots = np.nonzero(hold.held & (hold.platform == platform.idx)
                                 & (hold.units > 0))
        claim = np.minimum(floor_cents(hold.units[rows, slots] * price_cents),
                           self.params.cover_cents)
        total = int(claim.sum())
        if total <= 0:
            return 0
        share = min(self.balance_cents() / total, 1.0)
        paid = floor_cents(claim * share)
        # subrogation up to what it paid: the units that are worth that much after the
        # failure (all of them when the pool is worth less than it owed; the holder
        # keeps the rest when it is worth more)
        nav = platform.recoverable_value_cents() / max(platform.units_total, 1)
        units = hold.units[rows, slots]
        if nav > 0:
            units = np.minimum(np.ceil(paid / nav).astype(np.int64), units)
        self.model.ledger.transfer_batch(self.account, pop.account[rows], paid,
                                         "investor-protection payout")
        hold.got_back_cents[rows, slots] += paid
        taken = np.zeros(hold.units.shape, np.int64)
        taken[rows, slots] = units
        hold.cancel(taken)
        self.units[platform.idx] += int(units.sum())
        self.paid_out_cents += int(paid.sum())
        self.model.events.log("protection_payout", platform.name, "paid", int(paid.sum()),
                              f"share of claims paid {share:.3f}")
        return int(paid.sum())

    # -- wind-down --------------------------------------------------------------------
    def collect_wind_down(self, fill: np.ndarray, prices: np.ndarray,
                          wound_down: np.ndarray) -> np.ndarray:
        """This week's wind-down payout on the units the fund holds (``fill`` of each
        failed platform's units, at ``prices``), paid from the pools; the units of
        platforms with nothing left (``wound_down``) are written off. Returns the units
        that left each platform's count."""
        units = np.floor(self.units * fill).astype(np.int64)
        cents = floor_cents(units * prices)
        for p in np.flatnonzero(cents > 0):
            self.model.ledger.transfer(int(self.model.pool_accounts[p]), self.account,
                                       int(cents[p]), "wind-down payout to the protection fund")
        self.recovered_cents += int(cents.sum())
        gone = units + np.where(wound_down, self.units - units, 0)
        self.units -= gone
        return gone

    # -- what holders count on ----------------------------------------------------------
    def covered_share(self, slot_value_cents: np.ndarray) -> np.ndarray:
        """Per slot: the share of the holding the fund would credibly pay back: the cover
        over the holding, times how much of the largest platform's covered claims the
        fund's money could pay (at most 1)."""
        if not self.on:
            return np.zeros(slot_value_cents.shape)
        hold = self.model.holdings
        covered = np.minimum(slot_value_cents, self.params.cover_cents)
        alive = self.model.platform_alive_mask()
        claims = hold.per_platform(np.where(hold.held, covered, 0), len(self.model.platforms))
        largest = float(claims[alive].max()) if alive.any() else 0.0
        credible = min(self.balance_cents() / largest, 1.0) if largest > 0 else 1.0
        share = np.divide(covered, slot_value_cents, out=np.ones(covered.shape),
                          where=slot_value_cents > 0)
        return np.where(hold.held, share * credible, 0.0)
