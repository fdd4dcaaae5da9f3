"""Entry of new platforms and voluntary exit of unprofitable ones.

China's P2P sector grew from about 800 platforms at the end of 2013 to about 2,600 at
the end of 2015 and then shrank to none by November 2020
(``docs/data/china_p2p_platforms.csv``): a market that entrants flooded while lending
paid, and that platforms left when it stopped paying. Here entry responds to what
incumbents earn, as in free-entry models of an industry (Hopenhayn 1992): each week the
number of entrants is Poisson with mean ``entry.rate_weekly`` times the incumbents'
profit margin (their average weekly fee revenue less costs, over their costs: the
operating result a would-be entrant can read; none when it is 0 or less; capped at
``entry.margin_cap``). Competition
works through that margin: the more platforms share the borrowers and investors, the
less each earns, so entry slows as the market fills and stops when it no longer pays.
Falling rates and spreads (dated paths, ``ecosystem/paths.py``) lower fee income and so
entry too.

Each entrant draws its business model from ``platform.type_shares`` and its traits
(capital, costs, screening, custody) as the platforms of week 0 do. Entry rules are
levers: a minimum capital turns away entrants with less (``entry.min_capital_cents``),
and registration admits only information intermediaries with bank custody
(``entry.registration_required``; the 2016 Interim Measures, docs/data/regulatory_timeline.csv).

A platform leaves voluntarily, in an orderly wind-down (清盘, domain.md section 3), when
it has been losing money (its costs exceed its fee revenue) and its capital would last
fewer than ``entry.exit_runway_weeks`` weeks at that loss, once it is older than
``entry.exit_min_age_weeks``: owners who stop in time keep what is left, where waiting
would end in insolvency.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.contracts import FailureCause, PlatformType


def profit_margin(model) -> float:
    """Incumbents' total weekly fee revenue less costs, over their costs (averages of
    recent weeks), among platforms in business with a track record
    (``entry.signal_min_age_weeks``)."""
    p = model.params.entry
    revenue = cost = 0.0
    for platform in model.platforms:
        if platform.alive and model.steps - platform.entered_step >= p.signal_min_age_weeks:
            revenue += platform.revenue_cents_weekly
            cost += platform.cost_cents_weekly
    return (revenue - cost) / cost if cost > 0 else 0.0


def expected_entrants(model) -> float:
    """Mean number of entrants this week: the rate times the capped profit margin."""
    p = model.params.entry
    return p.rate_weekly * float(np.clip(profit_margin(model), 0.0, p.margin_cap))


def enter(model) -> list:
    """Draw this week's entrants and build those the entry rules admit."""
    p = model.params.entry
    if p.rate_weekly <= 0 or p.max_per_week <= 0:
        return []
    mean = expected_entrants(model)
    count = min(int(model.rng.poisson(mean)), p.max_per_week) if mean > 0 else 0
    entrants = []
    for _ in range(count):
        kind = PlatformType.INTERMEDIARY if p.registration_required else None
        platform = model.add_platform(kind, custody=p.registration_required,
                                      min_capital_cents=p.min_capital_cents)
        if platform is not None:
            entrants.append(platform)
    model.step_stats["entrants"] = len(entrants)
    model.step_stats["entrants_turned_away"] = count - len(entrants)
    return entrants


def should_leave(platform) -> bool:
    """Losing money, old enough, and capital running out within the runway."""
    p = platform.model.params.entry
    if (p.exit_runway_weeks <= 0 or not platform.alive
            or platform.model.steps - platform.entered_step < p.exit_min_age_weeks):
        return False
    loss = platform.cost_cents_weekly - platform.revenue_cents_weekly
    return loss > 0 and platform.capital_cents() < p.exit_runway_weeks * loss


def leave_if_unprofitable(platform) -> None:
    """The owners' weekly decision to wind the platform down in good order."""
    if should_leave(platform):
        loss = int(platform.cost_cents_weekly - platform.revenue_cents_weekly)
        platform.fail(FailureCause.WOUND_DOWN, f"losing {loss} cents a week, capital "
                      f"{platform.capital_cents()} cents")
