"""Figures drawn from stored time series (never from a live model).

Figures are built on :class:`matplotlib.figure.Figure` directly rather than through
pyplot, so drawing one neither needs nor switches the user's interactive backend; PNGs
are rendered by Agg when saved.

Money metrics are stored in integer cents and shown in yuan; rates are stored as
fractions and shown in percent. A metric a frame lacks (an older database, a model that
does not report it) is left out of its panel; a panel left with none says "no data".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure

_YUAN_PER_CENT = 0.01
_PERCENT = 100.0
_DPI = 110


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
    title: str
    ylabel: str
    series: tuple[_Series, ...]
    right_ylabel: str = ""


_PANELS = (
    _Panel(
        "Platforms",
        "platforms alive",
        (
            _Series("platforms_alive", "platforms alive"),
            _Series("failures_this_step", "failures this week", kind="bar", right=True),
        ),
        right_ylabel="failures",
    ),
    _Panel(
        "Lending (yuan)",
        "yuan",
        (
            _Series("new_lending_cents", "new lending", _YUAN_PER_CENT),
            _Series("outstanding_lending_cents", "outstanding", _YUAN_PER_CENT),
        ),
    ),
    _Panel(
        "Credit quality",
        "%",
        (
            _Series("arrears_rate", "arrears rate", _PERCENT),
            _Series("default_rate_annual", "default rate (annual)", _PERCENT),
        ),
    ),
    _Panel(
        "Investor wealth by channel (yuan)",
        "yuan",
        (
            _Series("investor_deposits_cents", "bank deposits", _YUAN_PER_CENT, "stack"),
            _Series("investor_mmf_cents", "money-market funds", _YUAN_PER_CENT, "stack"),
            _Series("investor_p2p_cents", "P2P lending", _YUAN_PER_CENT, "stack"),
            # What platforms that promise principal and yield owe at the promised price:
            # a claim, not wealth, so a dashed line from zero rather than a layer.
            _Series("investor_promised_cents", "promised (not wealth)", _YUAN_PER_CENT,
                    style="--"),
        ),
    ),
    _Panel(
        "Money-market funds",
        "assets (yuan)",
        (
            _Series("fund_assets_cents", "fund assets", _YUAN_PER_CENT),
            _Series("fund_yield_annual", "yield (annual)", _PERCENT, right=True),
        ),
        right_ylabel="yield (%)",
    ),
    # Write-offs and recoveries only grow; the net loss (which older databases hold
    # alone, as write-offs net of recoveries) can fall, so it is not called cumulative.
    _Panel(
        "Investor losses (yuan)",
        "yuan",
        (
            _Series("investor_writeoffs_cents", "written off (cumulative)", _YUAN_PER_CENT),
            _Series("investor_recoveries_cents", "recovered (cumulative)", _YUAN_PER_CENT),
            _Series("investor_losses_cents", "net loss (put in - got back - held)",
                    _YUAN_PER_CENT),
        ),
    ),
)


def timeseries_figure(ts: pd.DataFrame, title: str = "") -> Figure:
    """Draw the six standard panels of one run's model-level time series.

    Args:
        ts: One row per step, with a ``step`` column (the row order is used if it is
            missing) and any of the known metric columns; absent or all-missing metrics
            are skipped, and a panel left with none says "no data".
        title: Figure title, e.g. the scenario and run id.

    Returns:
        A 3x2 figure; panels with a secondary y axis add a twin to ``fig.axes``.
    """
    fig = Figure(figsize=(12, 10), layout="constrained")
    weeks = _weeks(ts)
    for ax, panel in zip(fig.subplots(3, 2).flat, _PANELS, strict=True):
        _draw_panel(ax, panel, ts, weeks)
    if title:
        fig.suptitle(title)
    return fig


def save_figure(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a PNG at 110 dpi, creating parent directories.

    Returns:
        The path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI, format="png")
    return path


def _weeks(ts: pd.DataFrame) -> np.ndarray:
    if "step" in ts.columns:
        return ts["step"].to_numpy(dtype="float64", na_value=np.nan)
    return np.arange(len(ts), dtype="float64")


def _draw_panel(ax: Axes, panel: _Panel, ts: pd.DataFrame, weeks: np.ndarray) -> None:
    ax.set_title(panel.title)
    ax.set_xlabel("week")
    present = [s for s in panel.series if s.column in ts.columns and ts[s.column].notna().any()]
    if not present:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center")
        ax.set_xticks([])
        ax.set_yticks([])
        return
    # One colour sequence across both y axes, so a twin's series never repeats a colour.
    colors = (f"C{i}" for i in range(len(panel.series)))
    left = [s for s in present if not s.right]
    handles = _draw_series(ax, left, ts, weeks, colors)
    if left:
        ax.set_ylabel(panel.ylabel)
    right = [s for s in present if s.right]
    if right:
        twin = ax.twinx()
        handles += _draw_series(twin, right, ts, weeks, colors)
        twin.set_ylabel(panel.right_ylabel)
        # Keep the main series in front of the twin's bars, which would otherwise hide it.
        ax.set_zorder(twin.get_zorder() + 1)
        ax.patch.set_visible(False)
    if len(handles) > 1:
        ax.legend(handles=handles, loc="upper left", fontsize="small")


def _draw_series(
    ax: Axes, series: list[_Series], ts: pd.DataFrame, weeks: np.ndarray, colors: Iterator[str]
) -> list[Artist | BarContainer]:
    handles: list[Artist | BarContainer] = []
    stacked = [s for s in series if s.kind == "stack"]
    if stacked:
        values = [_values(ts, s) for s in stacked]
        labels = [s.label for s in stacked]
        stack_colors = [next(colors) for _ in stacked]
        handles += ax.stackplot(weeks, *values, labels=labels, colors=stack_colors, alpha=0.8)
    for s in series:
        if s.kind == "line":
            handles += ax.plot(weeks, _values(ts, s), s.style, label=s.label,
                               color=next(colors))
        elif s.kind == "bar":
            color = next(colors)
            bars = ax.bar(weeks, _values(ts, s), width=1.0, label=s.label, color=color, alpha=0.5)
            handles.append(bars)
    return handles


def _values(ts: pd.DataFrame, series: _Series) -> np.ndarray:
    return ts[series.column].to_numpy(dtype="float64", na_value=np.nan) * series.scale
