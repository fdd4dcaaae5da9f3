"""Tests of the time-series figure: panels, units, missing data and PNG output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from results.plots import save_figure, timeseries_figure

PANEL_TITLES = [
    "Platforms",
    "Lending (yuan)",
    "Credit quality",
    "Investor wealth by channel (yuan)",
    "Money-market funds",
    "Investor losses (yuan, cumulative)",
]


def synthetic_timeseries(weeks: int = 8) -> pd.DataFrame:
    step = np.arange(weeks, dtype="int64")
    cents = 100_000 * (step + 1)
    return pd.DataFrame(
        {
            "step": step,
            "platforms_alive": 10 - step,
            "failures_this_step": step % 2,
            "new_lending_cents": cents,
            "outstanding_lending_cents": 3 * cents,
            "arrears_rate": 0.01 * step,
            "default_rate_annual": 0.02 * step,
            "investor_deposits_cents": cents,
            "investor_mmf_cents": 2 * cents,
            "investor_p2p_cents": 3 * cents,
            "fund_assets_cents": 4 * cents,
            "fund_yield_annual": np.full(weeks, 0.035),
            "investor_losses_cents": np.cumsum(cents),
        }
    )


def panels(fig: Figure) -> dict[str, Axes]:
    """The six titled panels (secondary y axes are untitled twins)."""
    return {ax.get_title(): ax for ax in fig.axes if ax.get_title()}


def has_data(ax: Axes) -> bool:
    return bool(ax.lines or ax.patches or ax.collections)


def says_no_data(ax: Axes) -> bool:
    return any(text.get_text() == "no data" for text in ax.texts)


def test_full_data_fills_six_panels() -> None:
    fig = timeseries_figure(synthetic_timeseries(), title="baseline, run 1")
    found = panels(fig)
    assert list(found) == PANEL_TITLES
    assert all(has_data(ax) and not says_no_data(ax) for ax in found.values())
    assert all(ax.get_xlabel() == "week" for ax in found.values())
    assert fig.get_suptitle() == "baseline, run 1"


def test_money_is_shown_in_yuan_and_rates_in_percent() -> None:
    ts = synthetic_timeseries()
    found = panels(timeseries_figure(ts))
    new_lending = found["Lending (yuan)"].lines[0].get_ydata()
    np.testing.assert_allclose(new_lending, ts["new_lending_cents"] / 100)
    arrears = found["Credit quality"].lines[0].get_ydata()
    np.testing.assert_allclose(arrears, ts["arrears_rate"] * 100)


def test_save_writes_a_png_and_creates_directories(tmp_path: Path) -> None:
    path = save_figure(timeseries_figure(synthetic_timeseries()), tmp_path / "a" / "b" / "ts.png")
    assert path == tmp_path / "a" / "b" / "ts.png"
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_missing_columns_leave_no_data_panels(tmp_path: Path) -> None:
    ts = synthetic_timeseries()[["step", "platforms_alive", "fund_yield_annual"]]
    fig = timeseries_figure(ts)
    found = panels(fig)
    assert list(found) == PANEL_TITLES
    assert has_data(found["Platforms"])
    assert says_no_data(found["Lending (yuan)"])
    assert says_no_data(found["Investor losses (yuan, cumulative)"])
    assert not says_no_data(found["Money-market funds"])
    assert save_figure(fig, tmp_path / "partial.png").stat().st_size > 0


def test_empty_frame_draws_six_empty_panels() -> None:
    found = panels(timeseries_figure(pd.DataFrame()))
    assert list(found) == PANEL_TITLES
    assert all(says_no_data(ax) for ax in found.values())


def test_all_missing_column_counts_as_absent() -> None:
    ts = synthetic_timeseries()[["step"]].assign(investor_losses_cents=np.nan)
    assert says_no_data(panels(timeseries_figure(ts))["Investor losses (yuan, cumulative)"])
