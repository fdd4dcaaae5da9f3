"""The Diamond-Dybvig bank (ecosystem/diamond_dybvig.py) on hand-built cases, and the
``diamond-dybvig`` experiment's threshold through the real sweep machinery."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ifsim.ecosystem.diamond_dybvig import (
    REPORTERS,
    DDParams,
    DiamondDybvigModel,
    simulate,
    threshold_analytic,
)
from ifsim.ecosystem.errors import ParameterError
from ifsim.experiments.catalog import catalog_spec, diamond_dybvig
from ifsim.experiments.sweep import run_sweep
from ifsim.results.store import RunStore

R1, R, L, Y = 1.1, 1.5, 0.7, 0.25


def stayers_get(f: float) -> float:
    """Textbook payoff to waiting per yuan when a share f > y / r1 is paid early."""
    return R * (1 - Y - (f * R1 - Y) / L) / (1 - f)


def test_the_closed_form_threshold_is_where_waiting_pays_the_early_payout() -> None:
    f = threshold_analytic(DDParams())
    assert f == pytest.approx(0.44602, abs=1e-4)
    assert stayers_get(f) == pytest.approx(R1)


@pytest.mark.parametrize("share", [0.3, 0.446, 0.6])
def test_the_banks_forecast_of_waiting_is_the_textbook_payoff(share) -> None:
    bank = DiamondDybvigModel(DDParams(), seed=1).bank
    assert bank.payoff_to_wait(share) == pytest.approx(stayers_get(share), rel=1e-6)


def test_sequential_service_pays_the_first_in_full_and_the_last_nothing() -> None:
    """Everyone withdraws: the bank can pay 0.775 / 1.1 of its depositors in full (cash
    plus the asset sold at 0.7); those later in line get nothing, in cents."""
    m = simulate(DDParams(expected_share=1.0, belief_noise_sd=0.0), seed=2)
    paid = m.ledger.balances(m.depositor_accounts[m.paid_early])
    promise = round(100_000 * R1)
    assert (paid[:-1] == promise).all() and 0 < paid[-1] <= promise
    assert m.paid_early.size == int(np.ceil((Y + (1 - Y) * L) / R1 * 1000))
    assert REPORTERS["bank_failed"](m) == 1 and REPORTERS["stayer_payout"](m) == 0.0
    assert REPORTERS["liquidated_share"](m) == 1.0
    m.ledger.check_conservation()


def test_no_run_when_few_withdrawals_are_expected() -> None:
    m = simulate(DDParams(expected_share=0.2, belief_noise_sd=0.0), seed=3)
    assert REPORTERS["withdrawal_share"](m) == pytest.approx(0.25)
    assert REPORTERS["run"](m) == 0
    assert REPORTERS["stayer_payout"](m) == pytest.approx(stayers_get(0.25), abs=1e-4)


@pytest.mark.parametrize("lever", [1, 2])
def test_suspension_or_a_full_guarantee_removes_the_run(lever) -> None:
    m = simulate(DDParams(expected_share=0.9, belief_noise_sd=0.0, lever=lever), seed=4)
    assert REPORTERS["run"](m) == 0
    assert REPORTERS["stayer_payout"](m) >= R1 - 1e-9
    assert REPORTERS["paid_early_share"](m) == pytest.approx(0.25)


def test_suspension_stops_paying_at_the_impatient_share() -> None:
    """Forced: every depositor asks at date 1; the bank pays a quarter and suspends."""
    m = DiamondDybvigModel(DDParams(lever=1), seed=5)
    m.belief[:] = 1.0                     # would withdraw without the lever
    m.impatient[:] = True
    m.step()
    assert m.paid_early.size == 250 and not m.bank.failed


def test_a_full_guarantee_is_paid_from_outside_the_bank() -> None:
    m = DiamondDybvigModel(DDParams(lever=2), seed=6)
    m.impatient[:] = True                 # a run the guarantee must cover
    m.step()
    m.step()
    assert m.bank.failed
    stayers = np.setdiff1d(np.arange(1000), m.paid_early)
    held = m.ledger.balances(m.depositor_accounts[stayers])
    assert (held >= round(100_000 * R1)).all()
    assert m.ledger.balance(m.insurer) < 0           # the insurer paid in
    m.ledger.check_conservation()


def test_same_seed_same_run() -> None:
    a = simulate(DDParams(expected_share=0.44), seed=7)
    b = simulate(DDParams(expected_share=0.44), seed=7)
    assert {k: f(a) for k, f in REPORTERS.items()} == {k: f(b) for k, f in REPORTERS.items()}


@pytest.mark.parametrize("values, name", [({"lever": 3}, "dd.lever"),
                                          ({"liquidation_value": 0}, "dd.liquidation_value"),
                                          ({"early_payout": 2.0}, "dd.early_payout"),
                                          ({"nope": 1}, "dd.nope")])
def test_bad_parameters_are_named(values, name) -> None:
    with pytest.raises(ParameterError, match=name.replace(".", r"\.")):
        DDParams.from_dict(values)


def test_the_payoff_crossing_brackets_the_root_between_realized_shares() -> None:
    runs = pd.DataFrame({"paid_early_share": [0.3, 0.5],
                         "stayer_payout": [stayers_get(0.3), stayers_get(0.5)],
                         "bank_failed": [0, 0]})
    assert diamond_dybvig.payoff_crossing(runs, R1) == pytest.approx(
        threshold_analytic(DDParams()), abs=1e-9)
    assert diamond_dybvig.payoff_crossing(runs.iloc[:1], R1) is None


def test_the_experiment_finds_the_analytic_threshold(tmp_path: Path) -> None:
    """Acceptance (issue 12): threshold_simulated within 0.05 of threshold_analytic, no
    run at low expectations, runs above the threshold, none under either lever."""
    spec = replace(catalog_spec("diamond-dybvig", quick=True), name="dd-test",
                   replications=3)
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        outcome = run_sweep(spec, store, executor="sequential")
        assert outcome.runs_failed == 0
        results = diamond_dybvig.results(store, spec)
        section, = diamond_dybvig.report_sections(store, spec.name)
    thresholds, by_cell = (table.data for table in section.tables)
    assert thresholds["withdrawal share"].iloc[0] == results["threshold_analytic"]
    assert by_cell.shape == (19, 4)          # 19 expected shares, 3 levers
    assert abs(results["threshold_simulated"] - results["threshold_analytic"]) < 0.05
    assert abs(results["run_threshold_expected_share"] - results["threshold_analytic"]) < 0.05
    assert results["no_run_at_low_expectations"] and results["run_above_threshold"]
    assert results["no_run_with_suspension"] and results["no_run_with_full_guarantee"]
    low, high = results["threshold_simulated_ci"]
    assert low <= results["threshold_simulated"] <= high
