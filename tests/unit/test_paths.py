"""Dated series (ecosystem/paths.py) and the macro rates that follow them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from ifsim.ecosystem.errors import ParameterError
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.paths import SHIPPED, load_series, weekly_path
from ifsim.ecosystem.scenario import load_scenario

SERIES = "date,value_pct,source\n2014-01-01,4.0,a\n2014-01-11,2.0,b\n"


def write(tmp_path: Path, text: str, name: str = "rates.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_linear_and_step_interpolation_with_flat_ends(tmp_path: Path) -> None:
    path = write(tmp_path, SERIES)
    days = [dt.date(2013, 6, 1), dt.date(2014, 1, 1), dt.date(2014, 1, 6),
            dt.date(2014, 1, 11), dt.date(2020, 1, 1)]
    linear = load_series(str(path)).at(days)
    np.testing.assert_allclose(linear, [0.04, 0.04, 0.03, 0.02, 0.02])
    step = load_series(f"step:{path}").at(days)
    np.testing.assert_allclose(step, [0.04, 0.04, 0.04, 0.02, 0.02])


def test_a_value_column_is_used_as_given(tmp_path: Path) -> None:
    path = write(tmp_path, "date,value\n2014-01-01,-1.5\n")
    assert load_series(str(path)).at([dt.date(2014, 5, 1)])[0] == -1.5


@pytest.mark.parametrize(("text", "match"), [
    ("date,value_pct\n2014-13-01,3\n", r"line 2: date '2014-13-01' is not YYYY-MM-DD"),
    ("date,value_pct\n2014-01-01,x\n", r"line 2, value_pct: 'x' is not a number"),
    ("date,value_pct\n2014-01-01,nan\n", r"'nan' is not a finite number"),
    ("date,value_pct\n2014-02-01,3\n2014-01-01,2\n", r"strictly increasing"),
    ("date,rate\n2014-01-01,3\n", r"needs a 'value_pct' \(percent\) or 'value' column"),
    ("when,value\n2014-01-01,3\n", r"needs a header with a 'date' column"),
    ("", r"needs a header"),
])
def test_malformed_series_are_refused_naming_file_and_line(tmp_path: Path, text: str,
                                                          match: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ParameterError, match=match) as info:
        load_series(str(path))
    assert str(path) in str(info.value)


def test_a_scenario_finds_its_series_next_to_it_from_any_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "study"
    folder.mkdir()
    write(folder, SERIES)
    (folder / "study.toml").write_text('[macro]\ndeposit_rate_path = "step:rates.csv"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    _, params = load_scenario(str(folder / "study.toml"))
    assert params.macro.deposit_rate_path == f"step:{(folder / 'rates.csv').resolve()}"


def test_a_missing_series_is_one_clear_error(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text('[macro]\nmarket_rate_path = "nowhere.csv"\n')
    with pytest.raises(ParameterError, match=r"macro.market_rate_path = 'nowhere.csv': .*"
                                             r"no such file and not a shipped series"):
        load_scenario(str(tmp_path / "s.toml"))


def test_shipped_series_cover_2013_to_2020() -> None:
    for name in SHIPPED:
        series = load_series(name)
        first = np.datetime64(int(series.days[0]), "D")
        last = np.datetime64(int(series.days[-1]), "D")
        assert first <= np.datetime64("2013-01-31") and last >= np.datetime64("2020-12-01")
        assert ((series.values > 0) & (series.values < 0.1)).all(), name


def test_the_pboc_cuts_of_2014_2015_arrive_on_their_dates() -> None:
    """PBoC benchmark deposit rate: 3.00% until 21 Nov 2014, 1.50% from 24 Oct 2015."""
    path = weekly_path("china_deposit_rate_1y", "2014-11-15", 60)
    assert path[0] == pytest.approx(0.03)       # 2014-11-15
    assert path[1] == pytest.approx(0.0275)     # 2014-11-22
    assert path[-1] == pytest.approx(0.015)     # 2016-01-09


def test_the_model_follows_the_dated_rates_and_prices_loans_off_them() -> None:
    model = EcosystemModel.from_scenario(
        "small", seed=3, world__start_date="2014-10-04", world__steps=60,
        macro__deposit_rate_path="china_deposit_rate_1y",
        macro__lending_rate_path="china_lending_rate_1y",
        macro__market_rate_path="china_shibor_3m", macro__market_rate_vol_weekly=0.0,
        platform__margin_step_annual=0.0)   # margins fixed: only the benchmark moves
    platform = model.platforms[0]
    before = platform.price(np.array([0.05]))[0]
    model.run(60)
    after = platform.price(np.array([0.05]))[0]
    assert model.date == dt.date(2015, 11, 28)
    assert model.macro.deposit_rate_annual == pytest.approx(0.015)
    assert model.macro.lending_rate_annual == pytest.approx(0.0435)
    assert before - after == pytest.approx(0.06 - 0.0435)  # the cuts of 2014-2015
    frame = model.datacollector.get_model_vars_dataframe()
    assert frame["deposit_rate_annual"].iloc[5] == pytest.approx(0.03)    # 2014-11-15
    assert frame["deposit_rate_annual"].iloc[6] == pytest.approx(0.0275)  # 2014-11-22
    shibor = weekly_path("china_shibor_3m", "2014-10-04", 60)
    np.testing.assert_allclose(frame["market_rate_annual"], shibor[1:])


def test_without_paths_the_rates_are_the_constants() -> None:
    model = EcosystemModel.from_scenario("small", seed=3, world__steps=5)
    model.run(5)
    assert model.macro.deposit_rate_annual == model.params.macro.deposit_rate_annual
    assert model.macro.lending_rate_annual == model.params.macro.lending_rate_annual
