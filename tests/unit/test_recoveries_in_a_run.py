"""Recoveries in a whole run: the borrower pays them, nobody else (issue 8).

A small world with risky borrowers and guaranteed platforms: forced debits find money in
the borrowers' buffers, claims are collected from their accounts, money is conserved to
the cent every week, and a pursued borrower is never recycled into a new person.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.model import EXTERNAL_ACCOUNTS, EcosystemModel
from ifsim.ecosystem.params import Params


def risky_world() -> EcosystemModel:
    params = Params.from_dict({
        "world": {"n_investors": 300, "n_borrowers": 200, "n_platforms": 4,
                  "check_conservation": True},
        # no cures: a borrower under pursuit stays distressed (the check below)
        "borrower": {"pd_annual_mean": 0.3, "apply_prob_weekly": 0.2,
                     "cure_prob_weekly": 0.0},
        "platform": {"type_shares": [0.5, 0.5, 0, 0, 0]},
    })
    return EcosystemModel(params, seed=3)


def test_forced_debits_pay_and_recoveries_come_from_the_borrowers() -> None:
    assert "world.collections" not in EXTERNAL_ACCOUNTS
    m = risky_world()
    claimed_by = {}                       # claim id -> borrower, while open
    for _ in range(52):
        m.step()                          # checks conservation at the end of every week
        c = m.recoveries.cols
        claimed_by.update(zip(c["claim"].tolist(), c["borrower"].tolist(), strict=True))
        # pursued borrowers are still the same (distressed) people
        assert m.borrowers.distressed[c["borrower"]].all()
        assert (c["left"] >= 0).all() and (c["collected"] <= c["claimed"]).all()
    events = m.events.frame()
    waterfall = events[events["kind"] == "waterfall"]
    debits = waterfall[waterfall["cause"] == "forced_debit"]
    assert len(debits) > 0 and debits["amount_cents"].sum() > 0
    recovered = m.ledger.flows_cents["recovery from borrower"]
    claimed = waterfall[waterfall["cause"] != "forced_debit"]["amount_cents"].sum()
    assert 0 < recovered < claimed
    closed = events[events["kind"] == "recovery"]
    assert set(closed["cause"]) <= {"collected", "lapsed"}
    assert closed[closed["cause"] == "collected"]["amount_cents"].sum() <= recovered
    assert np.isin(list(claimed_by.values()), np.arange(m.borrowers.n)).all()
