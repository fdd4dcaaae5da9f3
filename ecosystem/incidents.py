"""Operational and cyber incidents: hacks, data leaks, outages (技术风险, 操作风险, 信息泄露).

Sources 000 and 004 (docs/bibliography.md) name hacks, viruses, system defects, outages,
insider theft and leaked customer data. Each week a platform suffers an incident with probability
``incident_prob_weekly * exp(-security_effectiveness * security_spend_share)``, falling
with what it spends on security. An incident: (1) steals or loses a share of the pool's
cash, which the platform makes good from its own capital if it can and otherwise fails
as hacked; (2) takes the service down for some weeks (no new loans, no withdrawals);
(3) raises investors' perceived loss rate of the platform, and a little of every other
platform's (news spreads, contagion channel 3).
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.contracts import FailureCause
from ifsim.ecosystem.money import floor_cents


def incident_probability(params, security_spend_share: float) -> float:
    """Weekly chance of an incident at a platform with this security spending."""
    p = params.platform
    return p.incident_prob_weekly * float(np.exp(-p.security_effectiveness
                                                 * security_spend_share))


def strike(model) -> None:
    """Draw this week's incidents and apply them."""
    for platform in model.platforms:
        if not platform.alive:
            continue
        if model.rng.random() < incident_probability(model.params, platform.security_spend_share):
            hit(model, platform)


def hit(model, platform) -> int:
    """Apply one incident to ``platform``; returns the cents stolen."""
    p, ledger = model.params.platform, model.ledger
    stolen = floor_cents(platform.pool_cash_cents() * p.incident_loss_share)
    ledger.transfer(platform.pool_account, model.accounts["world.hackers"], stolen,
                    "stolen in a cyber incident")
    made_good = min(stolen, platform.capital_cents())
    ledger.transfer(platform.own_account, platform.pool_account, made_good,
                    "platform makes good stolen investor money")
    platform.down_until_step = model.steps + p.incident_downtime_weeks + 1
    model.investors_reputation_shock(platform.idx, p.incident_reputation_shock_annual)
    model.events.log("incident", platform.name, "cyber incident", stolen,
                     f"made good {made_good}; down {p.incident_downtime_weeks} weeks")
    if made_good < stolen:
        model.exits.record_loss(platform, stolen - made_good)
        platform.fail(FailureCause.HACKED, "could not make good stolen investor money")
    return stolen
