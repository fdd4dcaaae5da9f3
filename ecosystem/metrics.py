"""Model-level metrics: named reporter functions for Mesa's DataCollector.

Named functions (not lambdas) keep the model picklable for worker processes. Money is
in cents of the model's own population; multiply by ``world.population_scale`` for real
units, as ``docs/data/parameter_grounding.md`` advises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ifsim.ecosystem import products
from ifsim.ecosystem.contracts import FailureCause


def platforms_alive(model) -> int:
    """Platforms in business."""
    return int(model.platform_alive_mask().sum())


def failures_this_step(model) -> int:
    """Platforms that failed this week."""
    return int(model.step_stats["failures"])


def entries_this_step(model) -> int:
    """Platforms that entered this week (ecosystem/entry.py)."""
    return int(model.step_stats["entrants"])


def exits_this_step(model) -> int:
    """Platforms wound down voluntarily this week."""
    return int(model.events.count("platform_exit", model.steps))


def new_lending_cents(model) -> int:
    """Principal of loans originated this week."""
    return int(model.step_stats["new_lending_cents"])


def outstanding_lending_cents(model) -> int:
    """Principal outstanding on active loans to real borrowers (fictitious loans and
    reward pledges excluded)."""
    loans = model.loans
    return int(loans.outstanding_cents[loans.real_active()].sum())


def arrears_rate(model) -> float:
    """Share of outstanding principal on loans with a missed instalment."""
    book = outstanding_lending_cents(model)
    return sum(p.arrears_cents for p in model.platforms) / book if book else 0.0


def default_rate_annual(model) -> float:
    """Principal written off this week over principal outstanding, times 52."""
    book = outstanding_lending_cents(model) + model.step_stats["written_off_cents"]
    return 52.0 * model.step_stats["written_off_cents"] / book if book else 0.0


def investor_deposits_cents(model) -> int:
    """Investors' bank deposits."""
    return int(model.ledger.balances(model.investors.account).sum())


def investor_mmf_cents(model) -> int:
    """Investors' money-market fund holdings and the redemptions the funds owe them at
    T+1 (not what the funds owe their payment firms for T+0 advances: that money has
    already reached the investors' app balances)."""
    return int(sum(f.holdings_cents.sum() + f.payable_holders_cents.sum()
                   for f in model.funds))


def investor_p2p_cents(model) -> int:
    """Recoverable value of investors' platform holdings (never the promised value)."""
    return int(model.holdings.slot_values_cents(model.unit_values_cents()).sum())


def _holdings_by_platform(model) -> np.ndarray:
    """Recoverable value of investors' holdings on each platform."""
    hold = model.holdings
    values = hold.slot_values_cents(model.unit_values_cents())
    return hold.per_platform(values, len(model.platforms))


def largest_platform_share(model) -> float:
    """Largest share of investors' P2P holdings on one platform in business."""
    held = _holdings_by_platform(model) * model.platform_alive_mask()
    total = held.sum()
    return float(held.max() / total) if total > 0 else 0.0


def idle_money_share(model) -> float:
    """Investor money on platforms in business that is not lent (pool cash and escrow),
    over what investors hold there."""
    alive = model.platform_alive_mask()
    held = float((_holdings_by_platform(model) * alive).sum())
    idle = sum(p.pool_cash_cents() + model.ledger.balance(p.escrow_account)
               for p in model.platforms if p.alive)
    return idle / held if held > 0 else 0.0


def bids_waiting_cents(model) -> int:
    """Investors' standing bids on loan-claim platforms (money still in their deposits)."""
    return int(model.holdings.bid_cents.sum())


def transfer_queue_cents(model) -> int:
    """Claims offered on transfer markets and not sold this week, at their value."""
    return int(model.step_stats["transfer_queue_cents"])


def maturity_gap_weeks(model) -> float:
    """Mean over fund pools and Ponzi schemes with products and loans of the remaining
    term of their loans less that of their products (maturity mismatch)."""
    gaps = products.maturity_gap_weeks(model)
    used = gaps != 0
    return float(gaps[used].mean()) if used.any() else 0.0


def watched_default_rate(model) -> float:
    """Share of the loans that the closed (or watched) platform's rollover borrowers owe
    on other platforms that have been written off since the closure week."""
    return float(model.closure.default_rate())


def watched_loans(model) -> int:
    """Loans followed by the closure experiment (0 when none is)."""
    return int(model.closure.watched)


def investor_promised_cents(model) -> int:
    """What living fund pools and Ponzi schemes promise their investors (a promise, not
    wealth: compare with ``investor_p2p_cents``)."""
    return int(sum(p.promised_cents() for p in model.platforms))


def payment_float_cents(model) -> int:
    """Investors' money waiting in payment-app balances (settles T+1)."""
    return int(sum(int(f.client_balance_cents.sum()) for f in model.payment_firms))


def fund_assets_cents(model) -> int:
    """Assets of all money-market funds."""
    return int(sum(f.assets_cents() for f in model.funds))


def fund_yield_annual(model) -> float:
    """Asset-weighted annualized yield credited by the funds this week."""
    assets = np.array([f.assets_cents() for f in model.funds], float)
    yields = model.fund_yields()
    return float((assets * yields).sum() / assets.sum()) if assets.sum() else 0.0


def investor_losses_cents(model) -> int:
    """Investors' net loss: over every investor and platform, money put in minus money
    got back minus the recoverable value still held, each never below 0. It can fall
    when recoveries come in or values recover."""
    return int(model.investor_losses_by_platform().sum())


def investor_writeoffs_cents(model) -> int:
    """Cumulative loans and cash written off against investors (never decreases)."""
    return int(model.investor_writeoffs_cents)


def investor_recoveries_cents(model) -> int:
    """Cumulative recoveries paid to investors after write-offs (never decreases)."""
    return int(model.investor_recoveries_cents)


def avg_advertised_yield_annual(model) -> float:
    """Mean advertised yield of platforms in business."""
    alive = model.platform_alive_mask()
    return float(model.advertised_yields()[alive].mean()) if alive.any() else 0.0


def market_rate_annual(model) -> float:
    """Interbank market rate."""
    return float(model.macro.market_rate_annual)


def deposit_rate_annual(model) -> float:
    """Bank 1-year deposit rate this week (a constant or a dated path)."""
    return float(model.macro.deposit_rate_annual)


def lending_rate_annual(model) -> float:
    """Benchmark lending rate this week, the reference for loan pricing."""
    return float(model.macro.lending_rate_annual)


def macro_factor(model) -> float:
    """Common credit factor (negative: bad times)."""
    return float(model.macro.factor)


def platform_hhi(model) -> float:
    """Herfindahl index of investor pools among platforms in business."""
    return float(model.regulator.indicators.get("platform_hhi", 0.0))


def fund_net_outflow_share(model) -> float:
    """Net redemptions this week over fund assets."""
    return float(model.regulator.indicators.get("fund_net_outflow_share", 0.0))


def new_loans(model) -> int:
    """Loans originated this week."""
    return int(model.step_stats["new_loans"])


def guarantors_alive(model) -> int:
    """Guarantors still standing behind their guarantees."""
    return sum(1 for g in model.guarantors if g.alive)


def distressed_borrower_share(model) -> float:
    """Share of borrowers in distress (income lost, not paying)."""
    return float(model.borrowers.distressed.mean())


def bond_price(model) -> float:
    """Price of short bonds on the shared market, per yuan of face (1 = par)."""
    return float(model.bond_market.price)


def fund_redemption_share(model) -> float:
    """Redemptions asked of the funds this week (gates applied) over their holdings at
    the start of the week: the withdrawal rate of a fund run."""
    start = sum(f.week_start_liabilities_cents for f in model.funds)
    redeemed = sum(f.week_redeemed_cents for f in model.funds)
    return min(redeemed / start, 1.0) if start else 0.0     # money in and out counts once


def fund_fire_sale_cents(model) -> int:
    """Cumulative face value the funds' bond sales fell short of par, plus deposit
    penalties: what raising cash for redemptions has cost them."""
    return int(sum(f.fire_sale_loss_cents + f.penalty_cents for f in model.funds))


def fund_bonds_sold_cents(model) -> int:
    """Face of bonds sold on the market this week (by every fund)."""
    return int(model.bond_market.sold_face_cents)


def fund_sponsor_support_cents(model) -> int:
    """Cumulative losses the sponsors of stable-value funds have made good."""
    return int(sum(f.sponsor_support_cents for f in model.funds))


def t0_advanced_cents(model) -> int:
    """Cumulative instant (T+0) redemptions the payment firms advanced."""
    return int(sum(firm.advanced_cents for firm in model.payment_firms))


def bank_bond_markdown_cents(model) -> int:
    """What the banks' short bonds have lost against par at the market's price."""
    return int(sum(bank.bond_markdown_cents() for bank in model.banks))


def run_peak_withdrawal_share(model) -> float:
    """Largest weekly share of fund holdings asked back since the run's trigger
    (``ecosystem/run_measures.py``)."""
    return float(model.run_watch.peak_share)


def run_weeks_to_peak(model) -> int:
    """Weeks from the run's trigger to its peak withdrawal week."""
    return int(model.run_watch.weeks_to_peak())


def run_sold_share(model) -> float:
    """Bonds the funds sold at the market's price since the trigger, over their assets
    at the trigger."""
    return float(model.run_watch.sold_share())


def run_stayer_loss_rate(model) -> float:
    """What holders who held at the trigger and never redeemed since have lost (cuts to
    their holdings), over what they held at the trigger."""
    return float(model.run_watch.stayer_loss_rate(model))


def run_leaver_loss_rate(model) -> float:
    """Liquidity fees and unpaid redemptions of those who redeemed since the trigger,
    over what they redeemed."""
    return float(model.run_watch.leaver_loss_rate(model))


def p2p_asked_share(model) -> float:
    """Share of what product platforms (fund pools, Ponzi schemes) in business owe
    their investors (units at the unit price) that was newly asked back this week."""
    mask = products.product_platform_mask(model)
    owed = products.owed_cents(model)[mask].sum()
    return float(model.asked_cents[mask].sum() / owed) if owed > 0 else 0.0


def p2p_queue_share(model) -> float:
    """Share of the units of product platforms in business asked back and unpaid."""
    mask = products.product_platform_mask(model)
    units = np.array([pl.units_total for pl in model.platforms])[mask].sum()
    asked = model.holdings.per_platform(model.holdings.pending_units,
                                        len(model.platforms))[mask].sum()
    return float(asked / units) if units > 0 else 0.0


def p2p_run_peak_share(model) -> float:
    """Largest weekly share of the product platforms' holdings at the trigger asked
    back since the trigger (the trigger platform left out; ``run_measures.py``)."""
    return float(model.run_watch.p2p_peak_share)


def p2p_run_asked_share(model) -> float:
    """All that was asked back from those product platforms since the trigger (within
    ``trigger.watch_weeks``), over what they held at the trigger."""
    return float(model.run_watch.p2p_asked_share())


def p2p_run_weeks_to_peak(model) -> int:
    """Weeks from the trigger to the product platforms' peak withdrawal week."""
    return int(model.run_watch.p2p_weeks_to_peak())


def p2p_run_failures(model) -> int:
    """Product platforms open at the trigger (other than the trigger's) that failed
    since."""
    return int(model.run_watch.p2p_failures)


REPORTERS = {f.__name__: f for f in (
    platforms_alive, failures_this_step, entries_this_step, exits_this_step,
    new_lending_cents, new_loans,
    outstanding_lending_cents, arrears_rate, default_rate_annual,
    investor_deposits_cents, investor_mmf_cents, investor_p2p_cents, payment_float_cents,
    fund_assets_cents, fund_yield_annual, investor_losses_cents, investor_writeoffs_cents,
    investor_recoveries_cents, investor_promised_cents, largest_platform_share,
    idle_money_share, bids_waiting_cents, transfer_queue_cents, maturity_gap_weeks,
    watched_default_rate, watched_loans,
    avg_advertised_yield_annual, market_rate_annual, deposit_rate_annual,
    lending_rate_annual, macro_factor, platform_hhi,
    fund_net_outflow_share, distressed_borrower_share, guarantors_alive,
    bond_price, fund_redemption_share, fund_fire_sale_cents, fund_bonds_sold_cents,
    fund_sponsor_support_cents, t0_advanced_cents, bank_bond_markdown_cents,
    run_peak_withdrawal_share, run_weeks_to_peak, run_sold_share, run_stayer_loss_rate,
    run_leaver_loss_rate, p2p_asked_share, p2p_queue_share, p2p_run_peak_share,
    p2p_run_asked_share,
    p2p_run_weeks_to_peak, p2p_run_failures,
)}


def timeseries_frame(model):
    """The collected model variables with a ``step`` column (1 = first week)."""
    frame = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    frame.insert(0, "step", np.arange(1, len(frame) + 1))
    return frame


def summary(model) -> dict[str, Any]:
    """Final and cumulative figures of a run, for ``ifsim run --json``."""
    causes: dict[str, int] = {}
    for p in model.platforms:
        if p.failure_cause and p.failure_cause != FailureCause.WOUND_DOWN:
            causes[p.failure_cause] = causes.get(p.failure_cause, 0) + 1
    frame = timeseries_frame(model)
    return {
        "steps": int(model.steps),
        "start_date": model.params.world.start_date,
        "end_date": model.date.isoformat(),
        "platforms_alive": platforms_alive(model),
        "platform_failures": int(sum(causes.values())),
        "failures_by_cause": dict(sorted(causes.items())),
        "platform_entries": int(model.events.count("platform_entry")),
        "platform_exits_voluntary": int(model.events.count("platform_exit")),
        "total_new_lending_cents": int(frame["new_lending_cents"].sum()),
        "outstanding_lending_cents": outstanding_lending_cents(model),
        "investor_losses_cents": investor_losses_cents(model),
        "investor_writeoffs_cents": investor_writeoffs_cents(model),
        "investor_recoveries_cents": investor_recoveries_cents(model),
        "investor_promised_cents": investor_promised_cents(model),
        "arrears_rate": round(arrears_rate(model), 10),
        "investor_deposits_cents": investor_deposits_cents(model),
        "investor_mmf_cents": investor_mmf_cents(model),
        "investor_p2p_cents": investor_p2p_cents(model),
        "fund_assets_cents": fund_assets_cents(model),
        "fund_yield_annual": round(fund_yield_annual(model), 10),
        "avg_advertised_yield_annual": round(avg_advertised_yield_annual(model), 10),
        "loans_originated": int(model.loans.n_originated),
        "guarantor_failures": sum(1 for g in model.guarantors if not g.alive),
        "events": len(model.events.rows),
        "run_measures": run_measures(model),
        "platforms": [p.outcome() for p in model.platforms],
    }


def run_measures(model) -> dict[str, Any]:
    """The run measures of ``ecosystem/run_measures.py`` at the end of a run, from its
    trigger week."""
    watch = model.run_watch
    return {"trigger_step": int(watch.trigger_step),
            "fund_peak_withdrawal_share": round(run_peak_withdrawal_share(model), 6),
            "fund_weeks_to_peak": run_weeks_to_peak(model),
            "fund_sold_share": round(run_sold_share(model), 6),
            "fund_stayer_loss_rate": round(run_stayer_loss_rate(model), 6),
            "fund_leaver_loss_rate": round(run_leaver_loss_rate(model), 6),
            "p2p_peak_withdrawal_share": round(p2p_run_peak_share(model), 6),
            "p2p_weeks_to_peak": p2p_run_weeks_to_peak(model),
            "p2p_failures_since": p2p_run_failures(model)}
