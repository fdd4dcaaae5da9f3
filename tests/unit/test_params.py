"""Parameters: validation messages, scenario files, overrides, the listing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ifsim.ecosystem.errors import ParameterError, ScenarioError
from ifsim.ecosystem.params import GROUPS, Params, WorldParams, describe
from ifsim.ecosystem.scenario import list_scenarios, load_scenario, parse_override


def test_defaults_are_valid_and_round_trip_through_dict() -> None:
    params = Params()
    assert Params.from_dict(params.to_dict()) == params


@pytest.mark.parametrize(("section", "values", "message"), [
    ("world", {"n_investors": -5}, r"world.n_investors = -5: must be >= 1"),
    ("world", {"n_investors": 2.5}, r"world.n_investors = 2.5: must be a whole number"),
    ("world", {"n_investors": True}, r"must be a whole number"),
    ("borrower", {"apply_prob_weekly": 1.5}, r"apply_prob_weekly = 1.5: must be >= 0 and <= 1"),
    ("borrower", {"maturity_weights": [1.0, 2.0]}, r"needs 4 entries"),
    ("platform", {"rate_cap_annual": "high"}, r"rate_cap_annual = 'high': must be a number"),
    ("world", {"check_conservation": 1}, r"must be true or false"),
    ("fund", {"target_cash_share": 0.6, "target_deposit_share": 0.6}, r"must not exceed 1"),
])
def test_bad_values_name_field_value_and_what_is_allowed(section: str, values: dict,
                                                         message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        Params.from_dict({section: values})


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ParameterError, match=r"unknown parameter 'world\.n_aliens'"):
        Params.from_dict({"world": {"n_aliens": 3}})
    with pytest.raises(ParameterError, match="unknown parameter section 'galaxy'"):
        Params.from_dict({"galaxy": {}})


def test_cross_group_rule_on_cutoffs() -> None:
    with pytest.raises(ParameterError, match="pd_cutoff_low"):
        Params.from_dict({"platform": {"pd_cutoff_low": 0.4, "pd_cutoff_high": 0.2}})


def test_parameters_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        WorldParams().steps = 3  # type: ignore[misc]


def test_describe_lists_every_field_with_unit_and_description() -> None:
    rows = describe()
    n_fields = sum(len(dataclasses.fields(cls)) for cls in GROUPS.values())
    assert len(rows) == n_fields
    assert len({r["name"] for r in rows}) == n_fields
    for row in rows:
        assert set(row) == {"name", "default", "unit", "description", "range", "source"}
        assert row["unit"] and row["description"] and row["range"] and row["source"]


def test_override_values_are_parsed_as_toml() -> None:
    assert parse_override("world.n_investors=12") == ("world", "n_investors", 12)
    assert parse_override("fund.t0_cap_cents_daily = 1000000") == (
        "fund", "t0_cap_cents_daily", 1000000)
    assert parse_override("borrower.purpose_weights=[1, 1, 0]")[2] == [1, 1, 0]
    assert parse_override("roles.bank=ifsim.agents.bank:Bank")[2] == "ifsim.agents.bank:Bank"
    for bad in ("nonsense", "world=3", "a.b.c=1", ".x=1"):
        with pytest.raises(ParameterError, match=r"expected section\.name=value"):
            parse_override(bad)


def test_load_scenario_applies_overrides_in_order() -> None:
    name, params = load_scenario("baseline", ["world.n_investors=42", "world.n_investors=43"])
    assert name == "baseline"
    assert params.world.n_investors == 43


def test_every_shipped_scenario_loads() -> None:
    names = list_scenarios()
    assert {"baseline", "large", "macro_shock"} <= set(names)
    for name, description in names.items():
        assert description, f"{name} has no description"
        load_scenario(name)


def test_malformed_and_missing_scenario_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[world\nn_investors = ")
    with pytest.raises(ScenarioError, match=r"malformed scenario file .*bad\.toml"):
        load_scenario(str(bad))
    with pytest.raises(ScenarioError, match="not found"):
        load_scenario(str(tmp_path / "missing.toml"))
    with pytest.raises(ScenarioError, match="unknown scenario 'nope'"):
        load_scenario("nope")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text("world = 3\n")
    with pytest.raises((ScenarioError, ParameterError), match="world"):
        load_scenario(str(wrong))
