"""Bounds (issue 10, item 3): money parameters have documented upper limits, the world's
money is bounded below int64 overflow, combinations that cannot work are refused naming
both parameters, the ledger raises rather than wraps, and experiment sizes are bounded."""

from __future__ import annotations

import dataclasses
import time
from typing import get_type_hints

import numpy as np
import pytest

from ifsim.ecosystem.errors import ParameterError
from ifsim.ecosystem.ledger import AccountKind, Ledger
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.money import (
    INT64_MAX,
    LEDGER_LIMIT_CENTS,
    SAFE_ISSUED_CENTS,
    MoneyOverflowError,
    floor_cents,
)
from ifsim.ecosystem.params import GROUPS, MAX_STEPS, Params, money_bound
from ifsim.ecosystem.scenario import load_scenario
from ifsim.experiments.spec import (
    MAX_REPLICATIONS,
    MAX_RUNS,
    MAX_SAMPLES,
    ExperimentSpec,
    Factor,
    SpecError,
    check_integer_factor,
)

SMALL_WORLD = {"n_investors": 200, "n_borrowers": 100, "n_platforms": 5, "steps": 6,
               "check_conservation": True}
MONEY_FIELDS = [(section, f.name, f.metadata["le"])
                for section, cls in GROUPS.items() for f in dataclasses.fields(cls)
                if "_cents" in f.name]


def make(**sections: dict) -> Params:
    return Params.from_dict({"world": dict(SMALL_WORLD), **sections})


# -- money parameters ---------------------------------------------------------------
def test_every_money_parameter_has_a_documented_upper_bound() -> None:
    assert len(MONEY_FIELDS) >= 12
    for section, name, le in MONEY_FIELDS:
        hint = get_type_hints(GROUPS[section])[name]
        assert hint is int, name
        assert le is not None and le < SAFE_ISSUED_CENTS, f"{section}.{name} has no safe le"


def test_every_integer_parameter_has_an_upper_bound() -> None:
    for section, cls in GROUPS.items():
        hints = get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if hints[f.name] in (int, tuple[int, ...]):
                assert f.metadata["le"] is not None, f"{section}.{f.name}"


@pytest.mark.parametrize(("section", "name", "le"), MONEY_FIELDS,
                         ids=[f"{s}.{n}" for s, n, _ in MONEY_FIELDS])
def test_money_parameter_at_its_bound_runs_conserved_and_above_it_is_refused(
        section: str, name: str, le: int) -> None:
    model = EcosystemModel(make(**{section: {name: le}}), seed=2)
    for _ in range(SMALL_WORLD["steps"]):
        model.step()  # world.check_conservation: the ledger is checked every step
        model.check_accounts()
    ledger = model.ledger
    n = ledger.n_accounts
    assert np.abs(ledger._balances[:n]).max() < LEDGER_LIMIT_CENTS
    assert ledger.issued_cents - ledger.absorbed_cents == ledger.internal_total()
    with pytest.raises(ParameterError, match=rf"^{section}\.{name} = {le + 1}: must be .*<= "):
        make(**{section: {name: le + 1}})


def test_shipped_scenarios_are_within_the_money_bound_with_room_to_spare() -> None:
    for scenario in ("baseline", "small", "large", "macro_shock"):
        total, _ = money_bound(load_scenario(scenario)[1])
        assert total < SAFE_ISSUED_CENTS / 1000, scenario


def test_a_world_whose_money_could_overflow_is_refused_naming_its_parameters() -> None:
    # each value is allowed alone; together 10^7 investors of median 10^10 cents (and
    # the interest on their wealth over 20 years) could overflow
    with pytest.raises(ParameterError, match=r"world.n_investors x "
                       r"investor.wealth_median_cents .*above the safe limit 2\^60"):
        Params.from_dict({"world": {"n_investors": 10_000_000, "steps": 1040},
                          "investor": {"wealth_median_cents": 10**10}})
    with pytest.raises(ParameterError, match=r"investor.wealth_sigma"):
        Params.from_dict({"investor": {"wealth_sigma": 5.0}})
    with pytest.raises(ParameterError, match=r"world.steps x world.n_borrowers x "
                       r"borrower.income_median_cents_weekly"):
        Params.from_dict({"world": {"steps": MAX_STEPS, "n_borrowers": 10_000_000},
                          "borrower": {"income_median_cents_weekly": 10**9}})
    with pytest.raises(ParameterError, match=rf"world.steps = {MAX_STEPS + 1}: must be"):
        Params.from_dict({"world": {"steps": MAX_STEPS + 1}})


def test_the_issue_example_bank_capital_9e18_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"^bank.capital_cents = 9000000000000000000"):
        Params.from_dict({"bank": {"capital_cents": 9 * 10**18}})


def test_cli_refuses_a_money_parameter_above_its_bound_with_one_line(
        tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    from ifsim.experiments.cli import main

    code = main(["run", "--steps", "2", "--out", str(tmp_path / "out"),
                 "--set", "bank.capital_cents=100000000000001"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert "bank.capital_cents" in err and "<= 100000000000000" in err, err


# -- combinations that cannot work --------------------------------------------------
@pytest.mark.parametrize(("data", "first", "second"), [
    ({"platform": {"origination_fee": 0.6}, "guarantor": {"fee": 0.6}},
     "platform.origination_fee", "guarantor.fee"),
    ({"platform": {"pd_cutoff_low": 0.4, "pd_cutoff_high": 0.3}},
     "platform.pd_cutoff_low", "platform.pd_cutoff_high"),
    ({"platform": {"screening_noise_low": 2.0, "screening_noise_high": 1.0}},
     "platform.screening_noise_low", "platform.screening_noise_high"),
    ({"platform": {"security_spend_share_low": 0.5, "security_spend_share_high": 0.2}},
     "platform.security_spend_share_low", "platform.security_spend_share_high"),
    ({"guarantor": {"margin_low": 0.2, "margin_high": 0.1}},
     "guarantor.margin_low", "guarantor.margin_high"),
    ({"fund": {"target_cash_share": 0.5, "target_deposit_share": 0.6}},
     "fund.target_deposit_share", "fund.target_cash_share"),
])
def test_combinations_that_cannot_work_are_refused_naming_both(data: dict, first: str,
                                                                second: str) -> None:
    with pytest.raises(ParameterError) as info:
        Params.from_dict(data)
    message = str(info.value)
    assert first in message and second in message, message
    assert "\n" not in message


def test_fees_adding_up_to_exactly_the_loan_are_allowed_and_run() -> None:
    params = make(platform={"origination_fee": 0.7, "type_shares": [0, 1, 0, 0, 0]},
                  guarantor={"fee": 0.3})
    model = EcosystemModel(params, seed=1)
    for _ in range(4):
        model.step()
        model.check_accounts()


def test_a_deposit_penalty_of_one_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"fund.early_withdrawal_penalty = 1.0: must be"):
        Params.from_dict({"fund": {"early_withdrawal_penalty": 1.0}})


# -- the ledger never wraps ---------------------------------------------------------
def _ledger() -> tuple[Ledger, int, int, int]:
    ledger = Ledger()
    source = ledger.open_account("world.endowment", AccountKind.EXTERNAL)
    a = ledger.open_account("bank-0.own", AccountKind.INSTITUTION)
    b = ledger.open_account("platform-0.pool", AccountKind.INSTITUTION)
    return ledger, source, a, b


def test_ledger_raises_on_an_overflowing_transfer_naming_the_accounts() -> None:
    ledger, source, a, b = _ledger()
    ledger.transfer(source, a, 2**62 - 10, "endowment")
    with pytest.raises(MoneyOverflowError, match=r"from world.endowment to platform-0.pool"):
        ledger.transfer(source, b, 2**62, "endowment")  # would wrap the source's balance
    with pytest.raises(MoneyOverflowError, match=r"world.endowment"):
        ledger.transfer(source, b, 11, "endowment")
    ledger.check_conservation()  # nothing moved
    assert ledger.balance(b) == 0
    ledger.transfer(source, b, 10, "endowment")  # what still fits is fine
    ledger.check_conservation()


def test_ledger_raises_on_an_overflowing_batch_and_moves_nothing() -> None:
    ledger, source, a, b = _ledger()
    amounts = np.full(4, 2**61, np.int64)  # the int64 sum of these wraps
    with pytest.raises(MoneyOverflowError, match=r"world.endowment"):
        ledger.transfer_batch(source, np.array([a, b, a, b]), amounts, "endowment")
    with pytest.raises(MoneyOverflowError):
        ledger.transfer_batch(np.array([source, source]), a,
                              np.array([2**61, 2**61 + 1], np.int64), "endowment")
    assert ledger.balance(a) == ledger.balance(b) == 0
    ledger.check_conservation()
    ledger.transfer(source, a, LEDGER_LIMIT_CENTS - 20, "endowment")
    with pytest.raises(MoneyOverflowError, match=r"from world.endowment to bank-0.own, "
                       r"platform-0.pool"):  # a small batch past what is left
        ledger.transfer_batch(source, np.array([a, b]), np.array([15, 15], np.int64),
                              "endowment")
    assert ledger.balance(b) == 0
    ledger.transfer_batch(source, np.array([a, b]), np.array([5, 7], np.int64), "endowment")
    ledger.transfer_batch(np.array([a, b]), b, np.array([5, 7], np.int64), "internal")
    assert ledger.balance(b) == 12
    ledger.check_conservation()


def test_internal_transfers_of_existing_money_need_no_headroom() -> None:
    ledger, source, a, b = _ledger()
    ledger.transfer(source, a, LEDGER_LIMIT_CENTS, "endowment")
    for _ in range(3):  # money moving inside the world never overflows
        ledger.transfer(a, b, LEDGER_LIMIT_CENTS, "internal")
        ledger.transfer(b, a, LEDGER_LIMIT_CENTS, "internal")
    ledger.check_conservation()


def test_floor_cents_refuses_amounts_that_do_not_fit_in_int64() -> None:
    assert floor_cents(np.array([1.7, -3.0])).tolist() == [1, 0]
    for bad in (np.array([1.0, np.nan]), np.array([2.0**63]), float("inf")):
        with pytest.raises(MoneyOverflowError):
            floor_cents(bad)
    assert floor_cents(np.array([2.0**62])).tolist() == [2**62]
    assert INT64_MAX == 2**63 - 1


# -- experiment sizes ---------------------------------------------------------------
def spec_data(**changes) -> dict:
    data = {"experiment": {"name": "bounds", "scenario": "small", "steps": 2,
                           "replications": 2},
            "design": {"kind": "lhs", "samples": 4},
            "factors": {"world.n_platforms": {"low": 5, "high": 10}},
            "outcomes": {"names": ["platforms_alive"]}}
    for key, value in changes.items():
        section, name = key.split("__")
        data.setdefault(section, {})[name] = value
    return data


@pytest.mark.parametrize(("changes", "match"), [
    ({"experiment__replications": 10**9}, r"\[experiment\] replications: 1,000,000,000 is "
                                          r"not allowed .*<= 10,000"),
    ({"design__samples": 10**9}, r"\[design\] samples: 1,000,000,000 is not allowed"),
    ({"experiment__steps": MAX_STEPS + 1}, r"\[experiment\] steps: "),
    ({"experiment__seed": 2**63}, r"\[experiment\] seed: "),
    ({"design__kind": "sobol", "design__samples": MAX_SAMPLES,
      "experiment__replications": 1}, r"\[experiment\] replications: .*\[design\] samples = "
                                       r"100,000.* more than the 100,000 allowed"),
    ({"experiment__replications": MAX_REPLICATIONS, "design__samples": 11},
     r"= 110,000 runs, more than the 100,000"),
])
def test_oversized_specs_are_refused_at_once_naming_the_field(changes: dict,
                                                              match: str) -> None:
    started = time.monotonic()
    with pytest.raises(SpecError, match=match) as info:
        ExperimentSpec.from_dict(spec_data(**changes), "spec.toml")
    assert time.monotonic() - started < 1.0
    assert "\n" not in str(info.value)


def test_the_largest_allowed_design_is_accepted() -> None:
    spec = ExperimentSpec.from_dict(spec_data(experiment__replications=MAX_REPLICATIONS,
                                              design__samples=10))
    assert spec.runs_total() == MAX_RUNS
    factorial = ExperimentSpec.from_dict(spec_data(
        design__kind="factorial", factors__x=None) | {
        "factors": {"world.n_platforms": [5, 6, 7], "world.n_banks": [1, 2]}})
    assert factorial.design_points() == 6


@pytest.mark.parametrize("bad", [float("inf"), float("nan"), float("-inf")])
def test_non_finite_factor_values_are_refused(bad: float) -> None:
    levels = spec_data(design__kind="factorial") | {"factors": {"world.n_platforms": [5, bad]}}
    with pytest.raises(SpecError, match=r'"world.n_platforms": level .*finite'):
        ExperimentSpec.from_dict(levels)
    ranged = spec_data() | {"factors": {"world.n_platforms": {"low": 5, "high": bad}}}
    with pytest.raises(SpecError, match=r'"world.n_platforms": bad range .*finite'):
        ExperimentSpec.from_dict(ranged)


def test_integer_factor_levels_must_be_whole_numbers() -> None:
    check_integer_factor(Factor("world.n_platforms", levels=(5, 6.0)))
    check_integer_factor(Factor("world.n_platforms", low=5.0, high=9.5))
    with pytest.raises(SpecError, match=r'"world.n_platforms": 5.5 is not allowed .*whole'):
        check_integer_factor(Factor("world.n_platforms", levels=(5, 5.5)))
    with pytest.raises(SpecError, match=r"whole numbers"):
        check_integer_factor(Factor("world.n_platforms", levels=(float("inf"),)))


def test_the_ecosystem_model_refuses_fractional_levels_of_an_integer_parameter() -> None:
    """A level of 5.5 platforms would have been rounded silently to 6 before."""
    from ifsim.experiments.models import get_model

    data = spec_data(design__kind="factorial") | {"factors": {"world.n_platforms": [5, 5.5]}}
    spec = ExperimentSpec.from_dict(data)
    with pytest.raises(SpecError, match=r'"world.n_platforms": 5.5 is not allowed .*whole'):
        get_model("ifsim").check(spec, "spec")
    whole = ExperimentSpec.from_dict(spec_data(design__kind="factorial")
                                     | {"factors": {"world.n_platforms": [5, 6]}})
    get_model("ifsim").check(whole, "spec")


def test_design_plan_refuses_a_hand_built_oversized_spec() -> None:
    from ifsim.experiments.design import plan

    spec = ExperimentSpec.from_dict(spec_data())
    huge = dataclasses.replace(spec, replications=10**9)
    with pytest.raises(SpecError, match=r"more than the 100,000 allowed"):
        plan(huge, model=None)
