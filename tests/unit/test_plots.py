"""Tests of the time-series figure: panels, units, missing data and PNG output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ifsim.results.plots import save_figure, timeseries_figure

PANEL_TITLES = [
    "Platforms",
    "Lending (yuan)",
    "Credit quality",
    "Investor wealth by channel (yuan)",
    "Money-market funds",
    "Investor losses (yuan)",
]
LOSSES = "Investor losses (yuan)"
WEALTH = "Investor wealth by channel (yuan)"


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


def with_loss_breakdown(ts: pd.DataFrame) -> pd.DataFrame:
    """The metrics that split losses: write-offs and recoveries (cumulative, never
    falling), a net loss that falls in some weeks, and the amount promised."""
    writeoffs = np.cumsum(np.where(ts["step"] % 3 == 0, 500_000, 0))
    recoveries = np.cumsum(np.where(ts["step"] % 3 == 1, 300_000, 0))
    return ts.assign(
        investor_writeoffs_cents=writeoffs,
        investor_recoveries_cents=recoveries,
        investor_losses_cents=writeoffs - recoveries,
        investor_promised_cents=4 * ts["investor_p2p_cents"],
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
    assert says_no_data(found[LOSSES])
    assert not says_no_data(found["Money-market funds"])
    assert save_figure(fig, tmp_path / "partial.png").stat().st_size > 0


def test_empty_frame_draws_six_empty_panels() -> None:
    found = panels(timeseries_figure(pd.DataFrame()))
    assert list(found) == PANEL_TITLES
    assert all(says_no_data(ax) for ax in found.values())


def test_all_missing_column_counts_as_absent() -> None:
    ts = synthetic_timeseries()[["step"]].assign(investor_losses_cents=np.nan)
    assert says_no_data(panels(timeseries_figure(ts))[LOSSES])


def legend_labels(ax: Axes) -> list[str]:
    legend = ax.get_legend()
    return [text.get_text() for text in legend.get_texts()] if legend else []


def test_losses_split_into_writeoffs_recoveries_and_net_loss() -> None:
    ts = with_loss_breakdown(synthetic_timeseries(9))
    found = panels(timeseries_figure(ts))
    lines = {line.get_label(): line for line in found[LOSSES].lines}
    assert list(lines) == ["written off (cumulative)", "recovered (cumulative)",
                           "net loss (put in - got back - held)"]
    assert legend_labels(found[LOSSES]) == list(lines)
    written_off = lines["written off (cumulative)"].get_ydata()
    np.testing.assert_allclose(written_off, ts["investor_writeoffs_cents"] / 100)
    assert (np.diff(written_off) >= 0).all()
    net = lines["net loss (put in - got back - held)"].get_ydata()
    assert (np.diff(net) < 0).any(), "the synthetic net loss should fall in some weeks"


def test_promised_amount_is_a_dashed_line_over_the_wealth_stack() -> None:
    ts = with_loss_breakdown(synthetic_timeseries())
    wealth = panels(timeseries_figure(ts))[WEALTH]
    (promised,) = wealth.lines
    assert promised.get_label() == "promised (not wealth)"
    assert promised.get_linestyle() == "--"
    np.testing.assert_allclose(promised.get_ydata(), ts["investor_promised_cents"] / 100)
    assert "promised (not wealth)" in legend_labels(wealth)
    assert len(wealth.collections) == 3  # deposits, funds and P2P still stacked


def test_old_frames_without_the_breakdown_still_draw() -> None:
    # A database from before write-offs, recoveries and promises were reported.
    found = panels(timeseries_figure(synthetic_timeseries()))
    (loss,) = found[LOSSES].lines
    np.testing.assert_allclose(loss.get_ydata(),
                               synthetic_timeseries()["investor_losses_cents"] / 100)
    assert found[LOSSES].get_legend() is None  # one line: the title says what it is
    assert not found[WEALTH].lines
    assert len(found[WEALTH].collections) == 3


def test_partial_breakdown_with_gaps_draws_what_exists(tmp_path: Path) -> None:
    ts = with_loss_breakdown(synthetic_timeseries()).drop(
        columns=["investor_recoveries_cents", "investor_promised_cents"])
    ts["investor_writeoffs_cents"] = pd.array([None, *ts["investor_writeoffs_cents"][1:]],
                                              dtype="Int64")
    fig = timeseries_figure(ts)
    labels = [line.get_label() for line in panels(fig)[LOSSES].lines]
    assert labels == ["written off (cumulative)", "net loss (put in - got back - held)"]
    assert save_figure(fig, tmp_path / "partial.png").stat().st_size > 0
