"""Property tests for losses measured from money (issue 8 item 1): across random worlds
with every platform type present, each investor's recorded loss on each platform is at
most what it put in minus what it got back; what every investor put in and got back adds
up to the platform's own tallies; write-offs and recoveries only grow; money is
conserved at every step."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ifsim.ecosystem.contracts import PlatformType
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params

WORLDS = st.fixed_dictionaries({
    "world": st.fixed_dictionaries({
        "n_investors": st.integers(20, 200), "n_borrowers": st.integers(10, 100),
        "n_platforms": st.integers(5, 10),
    }),
    "macro": st.fixed_dictionaries({"default_correlation": st.floats(0.0, 0.6)}),
    "borrower": st.fixed_dictionaries({
        "pd_annual_mean": st.floats(0.02, 0.5), "apply_prob_weekly": st.floats(0.02, 0.5),
        "write_off_after_missed_weeks": st.integers(1, 6),
    }),
    "investor": st.fixed_dictionaries({
        "rebalance_prob_weekly": st.floats(0.05, 1.0),
        "loss_tolerance_mean_annual": st.floats(0.005, 0.3),
        "max_platforms_held": st.integers(1, 4),
    }),
    "platform": st.fixed_dictionaries({
        "type_shares": st.lists(st.floats(0.1, 1.0), min_size=5, max_size=5),
        "custody_share": st.floats(0.0, 1.0),
        "capital_median_cents": st.integers(0, 100_000_000),
        "abscond_penalty_median_cents": st.integers(0, 3_000_000_000),
        "incident_prob_weekly": st.floats(0.0, 0.05),
        "crowdfunding_reward_share": st.floats(0.0, 1.0),
    }),
})


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=WORLDS, seed=st.integers(0, 2**32 - 1))
def test_losses_never_exceed_money_in_minus_money_out(data: dict, seed: int) -> None:
    model = EcosystemModel(Params.from_dict(data), seed=seed)
    writeoffs, recoveries = np.zeros(0, np.int64), np.zeros(0, np.int64)
    for _ in range(30):
        model.step()
        n = len(model.platforms)   # platforms may enter (ecosystem/entry.py)
        writeoffs = np.append(writeoffs, np.zeros(n - len(writeoffs), np.int64))
        recoveries = np.append(recoveries, np.zeros(n - len(recoveries), np.int64))
        model.check_accounts()
        values = model.holdings.slot_values_cents(model.unit_values_cents())
        pairs = model.holdings.pairs(values)
        net = pairs["paid_in_cents"] - pairs["got_back_cents"]
        assert (pairs["loss_cents"] <= np.maximum(net, 0)).all()
        assert (pairs["loss_cents"] >= 0).all()
        paid_in = np.bincount(pairs["platform"], pairs["paid_in_cents"], minlength=n)
        got_back = np.bincount(pairs["platform"], pairs["got_back_cents"], minlength=n)
        for p in model.platforms:
            assert paid_in[p.idx] == p.investor_inflow_cents
            if p.kind == PlatformType.CROWDFUNDING:   # goods delivered count as got back
                assert got_back[p.idx] >= p.investor_outflow_cents
            else:
                assert got_back[p.idx] == p.investor_outflow_cents
        now_w = np.array([p.investor_writeoffs_cents for p in model.platforms])
        now_r = np.array([p.investor_recoveries_cents for p in model.platforms])
        assert (now_w >= writeoffs).all() and (now_r >= recoveries).all()
        writeoffs, recoveries = now_w, now_r
        assert model.investor_losses_by_platform().sum() == pairs["loss_cents"].sum()
