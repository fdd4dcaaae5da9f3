"""Figures drawn from stored time series (never from a live model).

Figures are built on :class:`matplotlib.figure.Figure` directly rather than through
pyplot, so drawing one neither needs nor switches the user's interactive backend; files
are rendered by Agg (PNG) and matplotlib's PDF and SVG backends when saved.

What a reader of a paper needs from them:

- calendar dates on the x axis: week t of a run is its ``world.start_date`` plus 7t days
  (:mod:`ifsim.results.calendar`), ticked in years or months;
- money in readable units: metrics are stored in integer cents of the model population
  and drawn in yuan, with the axis ticked in thousands, millions or billions of yuan
  (chosen from the data's magnitude, never a "1e8" offset) and labelled "model scale";
  ``world.population_scale`` real investors stand behind each agent, so a figure given
  that scale says how to read real-scale amounts;
- rates as fractions are drawn in percent, counts of platforms on integer ticks;
- what happened: failure waves, outside shocks and regulatory events from the run's
  event log as shaded spans and vertical lines, a few per kind, in a legend of their own.

A metric a frame lacks (an older database, a model that does not report it) is left out
of its panel; a panel left with none says "no data".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ifsim.results.calendar import DEFAULT_START_DATE, week_dates

_YUAN_PER_CENT = 0.01
_PERCENT = 100.0
#: Resolution of saved PNGs (a journal's minimum for line art is usually 300; 200 keeps
#: the six-panel figure under a megabyte while staying sharp in print at column width).
DPI = 200
#: Formats every figure is saved in, side by side under one stem; the PNG comes first.
FORMATS = ("png", "pdf", "svg")
#: Money units, largest first: (yuan per unit, name).
MONEY_UNITS = ((1e9, "billion yuan"), (1e6, "million yuan"), (1e3, "thousand yuan"),
               (1.0, "yuan"))
#: At most this many markers (lines or spans) per kind of event, so a figure stays legible.
MAX_MARKERS = 3
#: A failure wave is a run of weeks with at least this many platform failures and at
#: least the weekly mean plus WAVE_SD standard deviations.
WAVE_MIN_FAILURES = 3
WAVE_SD = 2.0

COUNT, MONEY, PERCENT = "count", "money", "percent"


@dataclass(frozen=True)
class _Series:
    """One stored metric as drawn: ``kind`` is "line", "bar" or "stack"; ``style`` is a
    matplotlib line style for lines."""

    column: str
    label: str
    scale: float = 1.0
    kind: str = "line"
    right: bool = False
    style: str = "-"


@dataclass(frozen=True)
class _Panel:
    """A panel: ``unit`` (COUNT, MONEY or PERCENT) decides how each y axis is ticked;
    a money axis's label is its unit, after ``ylabel`` if one is given."""

    title: str
    ylabel: str
    series: tuple[_Series, ...]
    unit: str = ""
    right_ylabel: str = ""
    right_unit: str = ""


_PANELS = (
    _Panel(
        "Platforms",
        "platforms alive",
        (
            _Series("platforms_alive", "platforms alive"),
            _Series("failures_this_step", "failures this week", kind="bar", right=True),
        ),
        unit=COUNT,
        right_ylabel="failures per week",
        right_unit=COUNT,
    ),
    _Panel(
        "Lending",
        "",
        (
            _Series("new_lending_cents", "new lending", _YUAN_PER_CENT),
            _Series("outstanding_lending_cents", "outstanding", _YUAN_PER_CENT),
        ),
        unit=MONEY,
    ),
    _Panel(
        "Credit quality",
        "%",
        (
            _Series("arrears_rate", "arrears rate", _PERCENT),
            _Series("default_rate_annual", "default rate (annual)", _PERCENT),
        ),
        unit=PERCENT,
    ),
    _Panel(
        "Investor wealth by channel",
        "",
        (
            _Series("investor_deposits_cents", "bank deposits", _YUAN_PER_CENT, "stack"),
            _Series("investor_mmf_cents", "money-market funds", _YUAN_PER_CENT, "stack"),
            _Series("investor_p2p_cents", "P2P lending", _YUAN_PER_CENT, "stack"),
            # What platforms that promise principal and yield owe at the promised price:
            # a claim, not wealth, so a dashed line from zero rather than a layer.
            _Series("investor_promised_cents", "promised (not wealth)", _YUAN_PER_CENT,
                    style="--"),
        ),
        unit=MONEY,
    ),
    _Panel(
        "Money-market funds",
        "assets",
        (
            _Series("fund_assets_cents", "fund assets", _YUAN_PER_CENT),
            _Series("fund_yield_annual", "yield (annual)", _PERCENT, right=True),
        ),
        unit=MONEY,
        right_ylabel="yield (%)",
        right_unit=PERCENT,
    ),
    # Write-offs and recoveries only grow; the net loss (which older databases hold
    # alone, as write-offs net of recoveries) can fall, so it is not called cumulative.
    _Panel(
        "Investor losses",
        "",
        (
            _Series("investor_writeoffs_cents", "written off (cumulative)", _YUAN_PER_CENT),
            _Series("investor_recoveries_cents", "recovered (cumulative)", _YUAN_PER_CENT),
            _Series("investor_losses_cents", "net loss (put in - got back - held)",
                    _YUAN_PER_CENT),
        ),
        unit=MONEY,
    ),
)


@dataclass(frozen=True)
class EventMarker:
    """One marked episode: ``label`` names its kind (the legend entry); weeks
    ``first_step`` to ``last_step`` (equal for a single week)."""

    label: str
    first_step: int
    last_step: int


#: Legend label -> how its markers are drawn: ("span", colour) or ("line", colour, style).
MARKER_STYLES: dict[str, tuple[str, ...]] = {
    "failure wave": ("span", "tab:red"),
    "outside shock (guarantors fail)": ("line", "black", "-"),
    "guarantor failure": ("line", "tab:brown", ":"),
    "regulator warning": ("line", "tab:purple", "--"),
    "exit ordered": ("line", "tab:purple", "-."),
    "fraud investigation": ("line", "tab:olive", "--"),
}


def timeseries_figure(ts: pd.DataFrame, title: str = "", *, start_date: str | None = None,
                      events: pd.DataFrame | None = None,
                      population_scale: float | None = None) -> Figure:
    """Draw the six standard panels of one run's model-level time series.

    Each panel shows one side of the ecosystem over calendar time: platforms alive and
    failing, lending, credit quality, where investors keep their wealth, the money-market
    funds, and investors' losses. Money is drawn in model-population yuan (axes ticked in
    thousands, millions or billions), rates in percent, counts on integer ticks.

    Args:
        ts: One row per step, with a ``step`` column (the row order is used if it is
            missing) and any of the known metric columns; absent or all-missing metrics
            are skipped, and a panel left with none says "no data".
        title: Figure title, e.g. the scenario and run id.
        start_date: The run's ``world.start_date`` (ISO date of week 0); the default of
            :mod:`ifsim.results.calendar` if None (runs stored before the calendar).
        events: The run's event log (columns ``step``, ``kind``, ``cause``); failure
            waves, outside shocks and regulatory events are marked on every panel
            (:func:`event_markers`). None or empty draws no markers.
        population_scale: Real investors per agent (``world.population_scale``); if
            given, a footnote says how model-scale money converts to real scale.

    Returns:
        A 3x2 figure; panels with a secondary y axis add a twin to ``fig.axes``.
    """
    fig = Figure(figsize=(12, 10.5), layout="constrained")
    start = start_date or DEFAULT_START_DATE
    weeks = _weeks(ts)
    x = date_numbers(start, weeks)
    last = int(np.nanmax(weeks)) if np.isfinite(weeks).any() else None
    markers = event_markers(events, last_step=last) if events is not None else []
    # a wave's span is at least 1.2% of the axis wide, so one week shows on five years
    pad = max(3.5, 0.006 * (np.nanmax(x) - np.nanmin(x))) if last is not None else 3.5
    for ax, panel in zip(fig.subplots(3, 2).flat, _PANELS, strict=True):
        if _draw_panel(ax, panel, ts, x):
            _draw_markers(ax, markers, start, pad)
    if title:
        fig.suptitle(title)
    footnote = _footnote(start, population_scale)
    if markers:  # one block under the panels: the events' legend, the footnote as its title
        handles = _marker_handles(markers)
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                   fontsize="small", frameon=False, title=footnote, title_fontsize="small")
    else:
        fig.supxlabel(footnote, fontsize="small")
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG (at :data:`DPI`), PDF and SVG side by side, creating parent
    directories: ``x/run-1.png`` also writes ``x/run-1.pdf`` and ``x/run-1.svg``.

    The PNG is for screens and HTML, the PDF and SVG are vector copies for papers and
    slides.

    Returns:
        The PNG's path (``path`` with its suffix set to ``.png``).
    """
    stem = Path(path).with_suffix("")
    stem.parent.mkdir(parents=True, exist_ok=True)
    engine = fig.get_layout_engine()
    try:
        for fmt in FORMATS:
            fig.savefig(stem.with_suffix(f".{fmt}"), dpi=DPI, format=fmt)
            # The first save laid the figure out; the vector copies reuse that layout
            # instead of solving it again (which doubles their drawing time).
            fig.set_layout_engine("none")
    finally:
        fig.set_layout_engine(engine)
    return stem.with_suffix(".png")


def saved_files(png: str | Path) -> list[Path]:
    """The files :func:`save_figure` wrote for the PNG ``png``, in :data:`FORMATS` order."""
    stem = Path(png).with_suffix("")
    return [stem.with_suffix(f".{fmt}") for fmt in FORMATS]


# --- axes a reader can read ---------------------------------------------------------------


def date_numbers(start_date: str, weeks) -> np.ndarray:
    """Matplotlib date numbers (days) of the given week numbers: start + 7 days a week."""
    weeks = np.asarray(weeks, dtype="float64")
    if weeks.size == 0:
        return weeks
    return mdates.date2num(week_dates(start_date, weeks).to_pydatetime())


def format_date_axis(axis: Axis) -> None:
    """Tick a date axis in years or months (whichever gives 3 to 8 ticks), labelled
    concisely (``2014``, ``Apr``, ...)."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def money_unit(largest_yuan: float) -> tuple[float, str]:
    """The unit to tick an axis of yuan values whose largest magnitude is ``largest_yuan``:
    (yuan per unit, name), e.g. (1e6, "million yuan") for 3.2e8."""
    largest = abs(float(largest_yuan)) if np.isfinite(largest_yuan) else 0.0
    for size, name in MONEY_UNITS:
        if largest >= size:
            return size, name
    return MONEY_UNITS[-1]


def format_money_axis(axis: Axis, largest_yuan: float, prefix: str = "") -> str:
    """Tick a y axis of yuan values in the unit :func:`money_unit` picks (no offset text)
    and return its label, ``"<prefix>, million yuan (model scale)"``."""
    size, name = money_unit(largest_yuan)
    axis.set_major_formatter(FuncFormatter(lambda value, _pos: f"{value / size:,.6g}"))
    label = f"{name} (model scale)"
    return f"{prefix}, {label}" if prefix else label


def format_count_axis(axis: Axis) -> None:
    """Integer ticks only (platforms, failures)."""
    axis.set_major_locator(MaxNLocator(integer=True))


# --- event markers ------------------------------------------------------------------------


def event_markers(events: pd.DataFrame, last_step: int | None = None) -> list[EventMarker]:
    """The episodes of a run worth marking on its figures, at most :data:`MAX_MARKERS`
    of each kind:

    - failure waves: runs of consecutive weeks in which at least WAVE_MIN_FAILURES
      platforms fail and more than the weekly mean plus WAVE_SD standard deviations
      (weeks 1 to ``last_step``, the run's length if given, else the last failure's
      week; weeks without failures count as 0); the waves with most failures are kept;
    - outside shocks (guarantors failing for reasons off the platforms) and guarantor
      failures from the platforms' own losses, the first weeks of each;
    - regulatory events: the regulator's early warnings, exits it orders and fraud
      investigations that catch owners, the first weeks of each.
    """
    if events is None or events.empty or not {"step", "kind"} <= set(events.columns):
        return []
    events = events[events["step"].notna()]
    kind = events["kind"].astype(str)
    cause = (events["cause"].astype(str) if "cause" in events.columns
             else pd.Series("", index=events.index))
    failures = events[kind == "platform_failure"]
    guarantors = kind == "guarantor_failure"
    shock = guarantors & cause.str.startswith("outside shock")
    out = _failure_waves(failures["step"], last_step)
    for label, mask in (("outside shock (guarantors fail)", shock),
                        ("guarantor failure", guarantors & ~shock),
                        ("regulator warning", kind == "warning"),
                        ("exit ordered", (kind == "platform_failure")
                         & (cause == "ordered to exit")),
                        ("fraud investigation", kind == "fraud_investigation")):
        steps = sorted({int(s) for s in events.loc[mask, "step"]})[:MAX_MARKERS]
        out += [EventMarker(label, s, s) for s in steps]
    return out


def _failure_waves(steps: pd.Series, last_step: int | None) -> list[EventMarker]:
    if steps.empty:
        return []
    counts = steps.astype(int).value_counts()
    last = max(int(counts.index.max()), last_step or 0)
    weekly = counts.reindex(range(1, last + 1), fill_value=0)
    threshold = max(WAVE_MIN_FAILURES, weekly.mean() + WAVE_SD * weekly.std(ddof=0))
    wave = weekly[weekly >= threshold]
    episodes: list[tuple[int, int, int]] = []  # (failures, first, last)
    for step, count in wave.items():
        if episodes and episodes[-1][2] == step - 1:
            total, first, _ = episodes[-1]
            episodes[-1] = (total + int(count), first, int(step))
        else:
            episodes.append((int(count), int(step), int(step)))
    top = sorted(episodes, key=lambda e: (-e[0], e[1]))[:MAX_MARKERS]
    top.sort(key=lambda e: e[1])  # in time order
    return [EventMarker("failure wave", first, last) for _, first, last in top]


def _draw_markers(ax: Axes, markers: list[EventMarker], start_date: str, pad: float) -> None:
    """Spans (``pad`` days either side: at least half a week) and vertical lines."""
    for marker in markers:
        style = MARKER_STYLES[marker.label]
        first, last = date_numbers(start_date, [marker.first_step, marker.last_step])
        if style[0] == "span":
            ax.axvspan(first - pad, last + pad, color=style[1], alpha=0.2, linewidth=0,
                       zorder=0, label="_" + marker.label)
        else:
            ax.axvline(first, color=style[1], linestyle=style[2], linewidth=0.9, alpha=0.8,
                       zorder=0.5, label="_" + marker.label)


def _marker_handles(markers: list[EventMarker]) -> list[Artist]:
    handles: list[Artist] = []
    for label in dict.fromkeys(m.label for m in markers):
        style = MARKER_STYLES[label]
        if style[0] == "span":
            handles.append(Patch(color=style[1], alpha=0.25, label=label))
        else:
            handles.append(Line2D([], [], color=style[1], linestyle=style[2], label=label))
    return handles


def footnote(fig: Figure) -> str:
    """The footnote :func:`timeseries_figure` put under ``fig`` (dates, money's scale)."""
    return fig.legends[0].get_title().get_text() if fig.legends else fig.get_supxlabel()


def _footnote(start_date: str, population_scale: float | None) -> str:
    text = (f"Week t is {pd.Timestamp(start_date):%Y-%m-%d} + 7t days. Money in yuan of the "
            "model population (model scale)")
    if population_scale:
        text += (f"; each agent stands for {population_scale:,.6g} real investors, so "
                 f"real-scale amounts are {population_scale:,.6g} times larger")
    return text + "."


# --- panels -------------------------------------------------------------------------------


def _weeks(ts: pd.DataFrame) -> np.ndarray:
    if "step" in ts.columns:
        return ts["step"].to_numpy(dtype="float64", na_value=np.nan)
    return np.arange(len(ts), dtype="float64")


def _draw_panel(ax: Axes, panel: _Panel, ts: pd.DataFrame, x: np.ndarray) -> bool:
    """Draw one panel; False if it had no data (and says so)."""
    ax.set_title(panel.title)
    present = [s for s in panel.series if s.column in ts.columns and ts[s.column].notna().any()]
    if not present:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
        ax.set_xticks([])
        ax.set_yticks([])
        return False
    format_date_axis(ax.xaxis)
    # One colour sequence across both y axes, so a twin's series never repeats a colour.
    colors = (f"C{i}" for i in range(len(panel.series)))
    left = [s for s in present if not s.right]
    handles = _draw_series(ax, left, ts, x, colors)
    if left:
        ax.set_ylabel(_unit_axis(ax, panel.unit, panel.ylabel))
    right = [s for s in present if s.right]
    if right:
        twin = ax.twinx()
        handles += _draw_series(twin, right, ts, x, colors)
        twin.set_ylabel(_unit_axis(twin, panel.right_unit, panel.right_ylabel))
        # Keep the main series in front of the twin's bars, which would otherwise hide it.
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
    if len(handles) > 1:
        ax.legend(handles=handles, loc="upper left", fontsize="small")
    return True


def _unit_axis(ax: Axes, unit: str, label: str) -> str:
    """Set the y axis's ticks for its unit and return its label."""
    if unit == COUNT:
        format_count_axis(ax.yaxis)
    elif unit == MONEY:
        limits = ax.dataLim
        largest = max(abs(limits.y0), abs(limits.y1)) if limits.height >= 0 else 0.0
        return format_money_axis(ax.yaxis, largest, label)
    return label


def _draw_series(
    ax: Axes, series: list[_Series], ts: pd.DataFrame, x: np.ndarray, colors: Iterator[str]
) -> list[Artist | BarContainer]:
    handles: list[Artist | BarContainer] = []
    stacked = [s for s in series if s.kind == "stack"]
    if stacked:
        values = [_values(ts, s) for s in stacked]
        labels = [s.label for s in stacked]
        stack_colors = [next(colors) for _ in stacked]
        handles += ax.stackplot(x, *values, labels=labels, colors=stack_colors, alpha=0.8)
    for s in series:
        if s.kind == "line":
            handles += ax.plot(x, _values(ts, s), s.style, label=s.label,
                               color=next(colors))
        elif s.kind == "bar":
            color = next(colors)
            bars = ax.bar(x, _values(ts, s), width=7.0, label=s.label, color=color, alpha=0.5)
            handles.append(bars)
    return handles


def _values(ts: pd.DataFrame, series: _Series) -> np.ndarray:
    return ts[series.column].to_numpy(dtype="float64", na_value=np.nan) * series.scale
