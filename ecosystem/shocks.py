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
"""

from __future__ import annotations

import math

import numpy as np

from ifsim.ecosystem.loans import LoanStatus


def apply(model) -> None:
    """Impose this week's scheduled shocks."""
    p = model.params.guarantor
    if p.shock_step and model.steps == p.shock_step:
        fail_guarantors(model, p.shock_share)


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
