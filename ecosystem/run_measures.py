"""Measures of a run on the money-market funds and on product platforms, from the week
before its trigger.

What it measures (issue 12, item 6; domain.md s.7 on runs): the trigger is the first
scheduled shock of the run (``bond_market.shock_step``, else
``trigger.payment_incident_step``, else ``trigger.platform_failure_step``, else
``regulator.closure_step``, else a control arm's ``trigger.control_step``; week 1 when
none is set). From that week on it follows, for the funds,

- the peak withdrawal rate: the largest share of the funds' holdings asked back in one
  week, and the weeks from the trigger to that peak;
- the share of assets sold at a discount: face of bonds sold, over the funds' assets at
  the trigger;
- the losses of those who stayed: the cuts to the holdings of holders who held at the
  trigger and never redeemed since (a floating fund's losses, a stable fund that broke
  the buck), over what they held at the trigger; and the losses of those who left:
  liquidity fees and redemptions the funds could not pay, over what they redeemed.
  What sponsors made good is their loss, not the holders'.

and for the product platforms (fund pools and Ponzi schemes) other than the one whose
collapse is the trigger:

- the peak withdrawal rate: the largest share of what they owed their holders at the
  trigger (units at the unit price, as asks are counted) asked back in one week at
  platforms still in business (``EcosystemModel.asked_cents``), and the weeks from the
  trigger to that peak (0 also when nothing was asked); and all they were asked since,
  over the same sum; within ``trigger.watch_weeks`` of the trigger (inclusive) when that
  is set. A control arm leaves out the platform the trigger would have failed;
- how many of them failed since the trigger (contagion).

Everything is measured against the funds and platforms as the week before the trigger
ended. Nothing here changes the run; the model calls ``observe`` at the end of every
week.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem import products


class RunWatch:
    """Running measures of a fund run since its trigger week."""

    def __init__(self, params) -> None:
        self.trigger_step = (params.bond_market.shock_step
                             or params.trigger.payment_incident_step
                             or params.trigger.platform_failure_step
                             or params.regulator.closure_step
                             or params.trigger.control_step or 1)
        self.started = False
        self.peak_share = 0.0
        self.peak_step = 0
        self.assets_at_trigger = 0
        self.holdings_at_trigger = 0
        self.fees_at_trigger = 0
        self.unpaid_at_trigger = 0
        self.sold_face_cents = 0
        self.redeemed_cents = 0
        self.p2p_held_at_trigger = np.zeros(0)    # per platform, product platforms only
        self.p2p_peak_share = 0.0
        self.p2p_peak_step = 0
        self.p2p_failures = 0
        self.p2p_asked_cents = 0.0
        self.trigger_platform_seen: int | None = None
        watch = params.trigger.watch_weeks
        self.p2p_last_step = self.trigger_step + watch - 1 if watch else None

    def snapshot(self, model) -> None:
        """The state the run is measured against: the funds as the week before the
        trigger ended (at the start of the run for a trigger in week 1)."""
        funds = model.funds
        self.assets_at_trigger = sum(f.assets_cents() for f in funds)
        self.holdings_at_trigger = sum(int(f.holdings_cents.sum()) for f in funds)
        self.fees_at_trigger = sum(f.fees_kept_cents for f in funds)
        self.unpaid_at_trigger = sum(f.unpaid_cents for f in funds)
        for f in funds:
            f.held_at_trigger = f.holdings_cents.copy()
            f.redeemed_since[:] = False
            f.stayer_cut_cents = 0
        owed = products.owed_cents(model)
        self.p2p_held_at_trigger = np.where(products.product_platform_mask(model), owed, 0.0)

    def observe(self, model) -> None:
        """Take this week's figures: before the trigger, the state to measure against;
        from the trigger week on, the run."""
        if model.steps < self.trigger_step:
            self.snapshot(model)
            return
        self.started = True
        funds = model.funds
        start = sum(f.week_start_liabilities_cents for f in funds)
        redeemed = sum(f.week_redeemed_cents for f in funds)
        # at most 1: money subscribed during the week and redeemed again counts once
        share = min(redeemed / start, 1.0) if start else 0.0
        if share > self.peak_share:
            self.peak_share, self.peak_step = share, model.steps
        self.sold_face_cents += model.bond_market.sold_face_cents
        self.redeemed_cents += redeemed
        self.observe_platforms(model)

    def observe_platforms(self, model) -> None:
        """This week's asks on the product platforms that were open at the trigger (the
        trigger platform left out), against what they held then; nothing after the
        ``trigger.watch_weeks`` window."""
        if self.p2p_last_step is not None and model.steps > self.p2p_last_step:
            return
        held = self.p2p_held_at_trigger.copy()
        if model.trigger_platform is not None and model.trigger_platform < held.size:
            held[model.trigger_platform] = 0.0
            self.trigger_platform_seen = model.trigger_platform
        base = held.sum()
        alive = model.platform_alive_mask()[:held.size]
        asked = model.asked_cents[:held.size][(held > 0) & alive].sum()
        share = min(asked / base, 1.0) if base > 0 else 0.0
        self.p2p_asked_cents += asked
        if share > self.p2p_peak_share:
            self.p2p_peak_share, self.p2p_peak_step = share, model.steps
        self.p2p_failures = sum(
            1 for pl in model.platforms[:held.size]
            if held[pl.idx] > 0 and not pl.alive and pl.failed_step >= self.trigger_step)

    # -- the measures (0 before the trigger) ------------------------------------------
    def weeks_to_peak(self) -> int:
        return self.peak_step - self.trigger_step if self.peak_step else 0

    def p2p_asked_share(self) -> float:
        """All asked back since the trigger (within the window) over what was held."""
        held = self.p2p_held_at_trigger.copy()
        if self.trigger_platform_seen is not None:
            held[self.trigger_platform_seen] = 0.0
        return self.p2p_asked_cents / held.sum() if held.sum() > 0 else 0.0

    def p2p_weeks_to_peak(self) -> int:
        return self.p2p_peak_step - self.trigger_step if self.p2p_peak_step else 0

    def sold_share(self) -> float:
        return self.sold_face_cents / self.assets_at_trigger if self.assets_at_trigger else 0.0

    def stayer_loss_rate(self, model) -> float:
        held = sum(int(f.held_at_trigger[~f.redeemed_since].sum()) for f in model.funds)
        if not self.started or not held:
            return 0.0
        return sum(f.stayer_cut_cents for f in model.funds) / held

    def leaver_loss_rate(self, model) -> float:
        if not self.redeemed_cents:
            return 0.0
        fees = sum(f.fees_kept_cents for f in model.funds) - self.fees_at_trigger
        unpaid = sum(f.unpaid_cents for f in model.funds) - self.unpaid_at_trigger
        return (fees + unpaid) / self.redeemed_cents
