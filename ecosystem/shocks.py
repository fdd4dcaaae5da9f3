"""Outside shocks that an experiment imposes at a set week.

Guarantor failure (domain.md sections 1 and 4, contagion channel 2): a credit-service
institution or guarantee company "can itself fail: a common exposure shared by several
platforms". Guarantee companies also guaranteed business away from the platforms, so
they could fail for reasons the platforms' own books do not show. With
``guarantor.shock_step`` set, that week the most exposed ``guarantor.shock_share`` of
the guarantors fail; their guarantees vanish on every platform they served. This lets
an experiment ask what investors lose *when the guarantor fails* in every seed, rather
than only in the seeds where stress happens to break one (the platform-types study,
Ba, Hou and Zhang 2018).

The collapse of the largest platform of a type (``trigger.platform_failure_step``) is the
trigger of the p2p-run experiment: its owners abscond (``Platform.fail``), and its news
reaches investors the next week (``agents/investor_views.py``). A cyber incident at a
payment firm (``trigger.payment_incident_step``) is the trigger of a fund run from the
sponsor's side.
"""

from __future__ import annotations

import math

import numpy as np

from ifsim.ecosystem.contracts import FailureCause, PlatformType
from ifsim.ecosystem.loans import LoanStatus
from ifsim.ecosystem.money import floor_cents


def apply(model) -> None:
    """Impose this week's scheduled shocks."""
    p = model.params.guarantor
    if p.shock_step and model.steps == p.shock_step:
        fail_guarantors(model, p.shock_share)
    t = model.params.trigger
    if t.platform_failure_step and model.steps == t.platform_failure_step:
        fail_largest_platform(model, PlatformType(t.platform_failure_type))
    elif not t.platform_failure_step and t.control_step and model.steps == t.control_step:
        # a control arm: the platform that would have collapsed is named, not failed, so
        # both arms measure the same other platforms
        model.trigger_platform = largest_platform(model, PlatformType(t.platform_failure_type))
    if t.payment_incident_step and model.steps == t.payment_incident_step:
        hit_payment_firm(model, t.payment_incident_firm, t.payment_incident_loss_share,
                         t.payment_incident_downtime_weeks)


def hit_payment_firm(model, idx: int, loss_share: float, downtime_weeks: int) -> int:
    """A cyber incident at a payment firm: ``loss_share`` of its own cash is stolen and
    its instant (T+0) service is down for ``downtime_weeks`` (domain.md s.2, operational
    and cyber risk). The firm is the sponsor behind its fund's instant redemptions and
    stable value: with less capital and no T+0 advances, the fund must pay instant
    redemptions from its own cash and its sponsor can cover less, so holders who look at
    what staying would cost them (``MoneyMarketFund.stayer_loss_if``) may run. Returns
    the cents stolen."""
    firm = model.payment_firms[idx]
    stolen = floor_cents(max(model.ledger.balance(firm.own_account), 0) * loss_share)
    if stolen > 0:
        model.ledger.transfer(firm.own_account, model.accounts["world.hackers"],
                              int(stolen), "cyber incident at a payment firm")
    firm.down_until_step = model.steps + downtime_weeks
    model.events.log("payment_incident", firm.name, "cyber incident", int(stolen),
                     f"instant service down for {downtime_weeks} weeks")
    return int(stolen)


def largest_platform(model, kind: PlatformType) -> int | None:
    """The platform in business of ``kind`` with the largest recoverable value (None if
    there is none)."""
    alive = model.platform_alive_mask()
    kinds = np.array([pl.kind for pl in model.platforms])
    size = np.where(alive & (kinds == kind), model.recoverable_values_cents(), -1)
    return int(np.argmax(size)) if size.max(initial=-1) >= 0 else None


def fail_largest_platform(model, kind: PlatformType) -> int | None:
    """The largest platform in business of ``kind`` (by what it owes its investors)
    collapses, its owners absconding: the trigger of a run on platforms (Ezubao, a
    large lender whose collapse in December 2015 set off the 2016 wave of problem
    platforms, domain.md s.6). Returns its index (None if no such platform is open)."""
    idx = largest_platform(model, kind)
    if idx is None:
        return None
    target = model.platforms[idx]
    target.fail(FailureCause.ABSCONDED, "scheduled collapse of the largest "
                f"{kind.label} platform (trigger.platform_failure_step)")
    model.trigger_platform = target.idx
    return target.idx


def guaranteed_outstanding_cents(model) -> np.ndarray:
    """Principal outstanding that each guarantor guarantees."""
    loans, n = model.loans, len(model.guarantors)
    active = (loans.status == LoanStatus.ACTIVE) & (loans.guarantor >= 0)
    return np.bincount(loans.guarantor[active], weights=loans.outstanding_cents[active],
                       minlength=n).astype(np.int64)


def fail_guarantors(model, share: float) -> list[int]:
    """Fail the most exposed ``share`` of the guarantors; returns their indices."""
    exposure = guaranteed_outstanding_cents(model)
    k = math.ceil(share * len(model.guarantors))
    hit = [int(g) for g in np.argsort(-exposure, kind="stable")[:k]]
    sink = model.accounts["world.outside_losses"]
    for g in hit:
        guarantor = model.guarantors[g]
        model.ledger.transfer(guarantor.own_account, sink, guarantor.capital_cents(),
                              "guarantor capital lost off the platforms")
        guarantor.fail("outside shock: losses on business off the platforms")
    return hit
