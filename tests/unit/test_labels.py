"""Labels that say what ran: overrides as run, run labels, and parameter rows."""

from __future__ import annotations

from ifsim.ecosystem.params import Params
from ifsim.ecosystem.scenario import load_scenario
from ifsim.experiments.commands import applied_overrides, parameter_rows, run_label


def test_overrides_take_the_values_that_ran_sorted_by_name() -> None:
    texts = ["world.n_investors=300", "platform.custody_share=1",
             "world.n_investors=400"]
    _, params = load_scenario("baseline", texts)
    assert applied_overrides(texts, params) == {"platform.custody_share": 1.0,
                                                "world.n_investors": 400}
    assert list(applied_overrides(texts, params)) == ["platform.custody_share",
                                                      "world.n_investors"]
    assert applied_overrides([], params) == {}


def test_run_label_names_every_override() -> None:
    assert run_label("baseline", {}) == "baseline"
    assert run_label("baseline", None) == "baseline"
    assert run_label("small", {"borrower.pd_annual_mean": 0.15}) == (
        "small (+1 override: borrower.pd_annual_mean=0.15)")
    label = run_label("baseline", {"platform.type_shares": [0.5, 0.5],
                                   "roles.investor": "ifsim.agents.investor:Investor",
                                   "world.check_conservation": True})
    assert label == ("baseline (+3 overrides: platform.type_shares=[0.5,0.5], "
                     "roles.investor=ifsim.agents.investor:Investor, "
                     "world.check_conservation=true)")


def test_run_label_is_shortened_to_a_width() -> None:
    overrides = {f"world.setting_{i}": 1000 + i for i in range(6)}
    label = run_label("baseline", overrides, width=60)
    assert label == ("baseline (+6 overrides: world.setting_0=1000, world.setting_1=1001, "
                     "+4 more)"), label
    assert run_label("baseline", overrides, width=1000) == run_label("baseline", overrides)
    long_one = run_label("baseline", {"roles.investor": "x" * 200}, width=30)
    assert long_one == f"baseline (+1 override: {'roles.investor=' + 'x' * 12}...)"


def test_parameter_rows_separate_package_default_and_scenario_value() -> None:
    _, small = load_scenario("small", ["world.steps=8"])
    rows = {row["name"]: row for row in parameter_rows(small)}
    package = Params()
    assert rows["world.n_investors"]["default"] == package.world.n_investors
    assert rows["world.n_investors"]["value"] == 1000
    assert rows["world.steps"]["value"] == 8
    assert rows["world.steps"]["default"] == package.world.steps
    assert all(set(row) == {"name", "default", "value", "unit", "description", "range",
                            "source"} for row in rows.values())
    assert all(row["value"] == row["default"] for row in parameter_rows())
