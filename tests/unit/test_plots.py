"""Tests of the time-series figure: panels, calendar dates, units, event markers, missing
data and the PNG, PDF and SVG files."""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from PIL import Image

import ifsim.results.plots
from ifsim.results.plots import (
    EventMarker,
    event_markers,
    footnote,
    money_unit,
    save_figure,
    saved_files,
    timeseries_figure,
)


@pytest.fixture(autouse=True)
def png_only(request, monkeypatch) -> None:
    """Saves draw PNGs only, except in the test of the vector copies (about a second
    each)."""
    if request.node.name != "test_save_writes_png_pdf_and_svg_and_creates_directories":
        monkeypatch.setattr(ifsim.results.plots, "FORMATS", ("png",))


PANEL_TITLES = [
    "Platforms",
    "Lending",
    "Credit quality",
    "Investor wealth by channel",
    "Money-market funds",
    "Investor losses",
]
LOSSES = "Investor losses"
WEALTH = "Investor wealth by channel"


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
    assert all(isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
               for ax in found.values())
    assert fig.get_suptitle() == "baseline, run 1"


def test_money_is_shown_in_yuan_and_rates_in_percent() -> None:
    ts = synthetic_timeseries()
    found = panels(timeseries_figure(ts))
    new_lending = found["Lending"].lines[0].get_ydata()
    np.testing.assert_allclose(new_lending, ts["new_lending_cents"] / 100)
    arrears = found["Credit quality"].lines[0].get_ydata()
    np.testing.assert_allclose(arrears, ts["arrears_rate"] * 100)


def test_save_writes_png_pdf_and_svg_and_creates_directories(tmp_path: Path) -> None:
    fig = timeseries_figure(synthetic_timeseries())
    path = save_figure(fig, tmp_path / "a" / "b" / "ts.png")
    assert path == tmp_path / "a" / "b" / "ts.png"
    png, pdf, svg = saved_files(path)
    assert png == path and png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert pdf.read_bytes().startswith(b"%PDF") and b"<svg" in svg.read_bytes()
    with Image.open(png) as image:  # 200 dpi: the 12-inch-wide figure is 2,400 pixels
        assert image.size[0] == 12 * 200
    # any suffix names the stem; the PNG's path comes back (a one-panel figure: quick)
    small = Figure(figsize=(2, 2))
    small.add_subplot().plot([0, 1])
    assert save_figure(small, tmp_path / "c.pdf") == tmp_path / "c.png"
    assert all(path.stat().st_size > 0 for path in saved_files(tmp_path / "c.png"))


def test_missing_columns_leave_no_data_panels(tmp_path: Path) -> None:
    ts = synthetic_timeseries()[["step", "platforms_alive", "fund_yield_annual"]]
    fig = timeseries_figure(ts)
    found = panels(fig)
    assert list(found) == PANEL_TITLES
    assert has_data(found["Platforms"])
    assert says_no_data(found["Lending"])
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


def test_weeks_are_drawn_at_their_calendar_dates() -> None:
    ts = synthetic_timeseries(60)
    lending = panels(timeseries_figure(ts, start_date="2015-06-01"))["Lending"].lines[0]
    expected = mdates.date2num(pd.Timestamp("2015-06-01")
                               + pd.to_timedelta(7 * ts["step"].to_numpy(), unit="D"))
    np.testing.assert_allclose(lending.get_xdata(), expected)
    # without a start date: the calendar's default (runs stored before it existed)
    default = panels(timeseries_figure(ts))["Lending"].lines[0].get_xdata()
    assert default[0] == mdates.date2num(pd.Timestamp("2013-01-07"))


def test_counts_get_integer_ticks_and_money_a_readable_unit() -> None:
    ts = synthetic_timeseries(6).assign(platforms_alive=[3, 3, 3, 2, 2, 2],
                                        failures_this_step=[0, 0, 1, 0, 0, 0])
    ts["outstanding_lending_cents"] = ts["outstanding_lending_cents"] * 10_000  # ~1.8e8 yuan
    fig = timeseries_figure(ts)
    fig.draw_without_rendering()
    found = panels(fig)
    platforms = found["Platforms"]
    twin = next(ax for ax in fig.axes if not ax.get_title() and ax.bbox.bounds
                == platforms.bbox.bounds)
    for axis in (platforms, twin):
        ticks = axis.get_yticks()
        assert np.array_equal(ticks, np.round(ticks)), ticks
    lending = found["Lending"]
    assert lending.get_ylabel() == "million yuan (model scale)"
    assert lending.yaxis.get_offset_text().get_text() == ""  # no "1e8" above the axis
    labels = [t.get_text() for t in lending.get_yticklabels()]
    assert "100" in labels and not any("e" in label for label in labels)
    assert found["Money-market funds"].get_ylabel() == "assets, thousand yuan (model scale)"
    assert found["Credit quality"].get_ylabel() == "%"


@pytest.mark.parametrize(("largest", "unit"), [
    (0.0, "yuan"), (999.0, "yuan"), (1_000.0, "thousand yuan"), (-2.5e7, "million yuan"),
    (3.2e9, "billion yuan"), (float("nan"), "yuan")])
def test_money_unit_follows_the_magnitude(largest: float, unit: str) -> None:
    assert money_unit(largest)[1] == unit


def test_footnote_states_model_scale_and_the_real_scale_factor() -> None:
    fig = timeseries_figure(synthetic_timeseries(), start_date="2014-03-03",
                            population_scale=1713.0)
    note = footnote(fig)
    assert "Week t is 2014-03-03 + 7t days" in note and "model scale" in note
    assert "1,713 real investors" in note and "1,713 times larger" in note
    assert "real investors" not in footnote(timeseries_figure(synthetic_timeseries()))
    marked = timeseries_figure(synthetic_timeseries(52), events=run_events(),
                               population_scale=2.0)
    assert "2 real investors" in footnote(marked)  # under the events' legend


def run_events() -> pd.DataFrame:
    """A year of events: a background of single failures, two waves (week 30; weeks
    40-41), a smaller burst, an outside shock failing three guarantors at once, a
    guarantor failing on its own, five regulator warnings and a fraud investigation."""
    rows = [(step, "platform_failure", "insolvent") for step in range(2, 52, 4)]
    rows += [(30, "platform_failure", "absconded")] * 7
    rows += [(40, "platform_failure", "illiquid")] * 5 + [(41, "platform_failure",
                                                           "ordered to exit")] * 4
    rows += [(12, "platform_failure", "insolvent")] * 3
    rows += [(20, "guarantor_failure", "outside shock: losses on business off the platforms")] * 3
    rows += [(25, "guarantor_failure", "claims exceed resources")]
    rows += [(step, "warning", "failures") for step in (1, 10, 30, 40, 41)]
    rows += [(33, "fraud_investigation", "owners caught"), (7, "waterfall", "guarantor")]
    frame = pd.DataFrame(rows, columns=["step", "kind", "cause"])
    return frame.assign(agent="x", amount_cents=None, detail="")


def test_event_markers_pick_waves_shocks_and_regulatory_events() -> None:
    markers = event_markers(run_events())
    by_kind: dict[str, list[tuple[int, int]]] = {}
    for marker in markers:
        by_kind.setdefault(marker.label, []).append((marker.first_step, marker.last_step))
    # the 3-failure burst in week 12 is below mean + 2 sd; weeks 40 and 41 are one wave
    assert by_kind["failure wave"] == [(30, 30), (40, 41)]
    assert by_kind["outside shock (guarantors fail)"] == [(20, 20)]  # one line, not three
    assert by_kind["guarantor failure"] == [(25, 25)]
    assert by_kind["regulator warning"] == [(1, 1), (10, 10), (30, 30)]  # at most three
    assert by_kind["exit ordered"] == [(41, 41)]
    assert by_kind["fraud investigation"] == [(33, 33)]
    assert event_markers(pd.DataFrame(columns=["step", "kind", "cause"])) == []
    assert EventMarker("failure wave", 30, 30) in markers


def test_events_are_marked_on_every_panel_with_one_legend() -> None:
    ts = synthetic_timeseries(52)
    fig = timeseries_figure(ts, events=run_events())
    (legend,) = fig.legends
    assert legend.get_title().get_text().startswith("Week t is 2013-01-07")
    assert [t.get_text() for t in legend.get_texts()] == [
        "failure wave", "outside shock (guarantors fail)", "guarantor failure",
        "regulator warning", "exit ordered", "fraud investigation"]
    for ax in panels(fig).values():
        spans = [p for p in ax.patches if p.get_label() == "_failure wave"]
        lines = [line for line in ax.lines if line.get_label().startswith("_")]
        assert len(spans) == 2 and len(lines) == 1 + 1 + 3 + 1 + 1
        # a wave's span covers its weeks, half a week either side
        x = [span.get_x() for span in spans]
        assert x[0] == pytest.approx(mdates.date2num(pd.Timestamp("2013-01-07")
                                                     + pd.Timedelta(weeks=30)) - 3.5)
    assert timeseries_figure(ts).legends == []
    assert timeseries_figure(ts, events=pd.DataFrame()).legends == []
