"""Measures of a run on the money-market funds, from the week before its trigger.

What it measures (issue 12, item 6; domain.md s.7 on runs): the trigger is the first
scheduled shock of the run (``bond_market.shock_step``, else ``regulator.closure_step``;
week 1 when none is set). From that week on it follows

- the peak withdrawal rate: the largest share of the funds' holdings asked back in one
  week, and the weeks from the trigger to that peak;
- the share of assets sold at a discount: face of bonds sold, over the funds' assets at
  the trigger;
- the losses of those who stayed: the cuts to the holdings of holders who held at the
  trigger and never redeemed since (a floating fund's losses, a stable fund that broke
  the buck), over what they held at the trigger; and the losses of those who left:
  liquidity fees and redemptions the funds could not pay, over what they redeemed.
  What sponsors made good is their loss, not the holders'.

Everything is measured against the funds as the week before the trigger ended.
Nothing here changes the run; the model calls ``observe`` at the end of every week.
"""

from __future__ import annotations


class RunWatch:
    """Running measures of a fund run since its trigger week."""

    def __init__(self, params) -> None:
        self.trigger_step = (params.bond_market.shock_step or params.regulator.closure_step
                             or 1)
        self.started = False
        self.peak_share = 0.0
        self.peak_step = 0
        self.assets_at_trigger = 0
        self.holdings_at_trigger = 0
        self.fees_at_trigger = 0
        self.unpaid_at_trigger = 0
        self.sold_face_cents = 0
        self.redeemed_cents = 0

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

    # -- the measures (0 before the trigger) ------------------------------------------
    def weeks_to_peak(self) -> int:
        return self.peak_step - self.trigger_step if self.peak_step else 0

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
