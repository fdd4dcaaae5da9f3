"""A static HTML report of one stored experiment, with its tables and figures as files a
paper can use.

The report reads the store through :mod:`ifsim.results.analysis` (and the run records).
It shows, in order: how many runs are in each status; each outcome's mean with its 95%
confidence interval (and per design point for factorial designs); each outcome's
trajectory over calendar time; each outcome against each factor; the sensitivity indices
of sobol and morris designs; any sections its caller adds (:class:`ReportSection`: the
canonical experiments' own tables, which ``ifsim report`` gets from
``ifsim.experiments.catalog`` so this module never imports the model); the failed runs;
and the experiment's spec, so the page says what was run.

Beside ``index.html``, every table shown is also written as ``tables/<name>.csv`` (numbers
in the units of its headers) and ``tables/<name>.tex`` (a booktabs ``tabular``, as shown on
the page), and every figure as PNG, PDF and SVG (:func:`ifsim.results.plots.save_figure`);
the page links them all.

Intervals respect their outcome's natural range (:func:`ifsim.results.analysis.outcome_bounds`),
sensitivity intervals are bootstrapped from the experiment's root seed (so the page shows
the same numbers as ``ifsim sweep --json``), and every interval or index resting on a
small sample (:mod:`ifsim.results.stats` thresholds) is flagged on the page.

Money outcomes and factors (names ending in ``_cents``) are shown in yuan of the model
population, and outcomes that are rates or shares (``*_rate``, ``*_share``,
``*_rate_annual``, ``*_yield_annual``) in percent, as on the run figures; the unit is in
the column header or a unit column. Figures are drawn on
:class:`matplotlib.figure.Figure` directly, never through pyplot.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ifsim.results.analysis import (
    AnalysisError,
    mean_ci,
    morris_indices,
    outcome_bounds,
    outcomes_frame,
    run_counts,
    sensitivity_notes,
    sobol_indices,
    timeseries_long,
    year_end_stats,
)
from ifsim.results.calendar import start_date_of
from ifsim.results.plots import (
    date_numbers,
    format_date_axis,
    format_money_axis,
    save_figure,
    saved_files,
)
from ifsim.results.schema import RunStatus
from ifsim.results.stats import SMALL_SAMPLE_N
from ifsim.results.store import RunStore

#: Factorial designs with at most this many points get one trajectory per point.
MAX_TRAJECTORY_POINTS = 6
#: Factorial designs with at most this many points get a table of per-point means.
MAX_POINT_ROWS = 64
#: Failed runs listed with their error; the rest are counted.
MAX_FAILED_LISTED = 20

_YUAN_PER_CENT = 0.01
_PERCENT = 100.0
#: Folder, beside ``index.html``, of the tables as CSV and LaTeX.
TABLES_DIR = "tables"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th { background: #f2f2f2; }
td.text, th.text { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5em 0; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; }
p.note { color: #8a4b00; }
p.files { font-size: small; margin-top: -1em; }
"""


@dataclass(frozen=True)
class ReportTable:
    """A table a caller adds to a report.

    Attributes:
        name: File stem under ``tables/`` (unsafe characters become ``_``); unique in
            the report.
        data: The values, written to the CSV as they are (numbers in the units the
            column names state, e.g. percent).
        display: What the page and the ``.tex`` file show (formatted text, intervals as
            ``[low, high]``); ``data`` with numbers formatted if None.
        caption: A sentence above the table saying what it shows.
        notes: Warnings shown under it (e.g. small samples).
    """

    name: str
    data: pd.DataFrame
    display: pd.DataFrame | None = None
    caption: str = ""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReportSection:
    """A section a caller adds to a report: a title, a paragraph, notes, tables."""

    title: str
    intro: str = ""
    tables: tuple[ReportTable, ...] = ()
    notes: tuple[str, ...] = ()


def write_report(store: RunStore, experiment: str, out_dir: str | Path, *,
                 sections: Sequence[ReportSection] = ()) -> Path:
    """Write the experiment's report and return the path of its ``index.html``.

    Args:
        store: The run store.
        experiment: The experiment's name.
        out_dir: Directory under which ``<experiment name>/`` is created (characters other
            than letters, digits, ``.``, ``_`` and ``-`` in the name become ``_``).
        sections: Extra sections, shown after the standard ones (a canonical
            experiment's own tables); their tables are written as CSV and LaTeX too.

    Returns:
        The path of ``index.html``; the figures (PNG, PDF, SVG) sit beside it and the
        tables (CSV, LaTeX) in ``tables/``, linked by relative paths, so the directory
        can be moved or archived whole.

    Raises:
        StoreError: If there is no such experiment or the store cannot be read.
        AnalysisError: If an outcome of the spec is not a stored metric.
    """
    record = store.get_experiment(experiment)
    directory = Path(out_dir) / _dir_name(experiment)
    directory.mkdir(parents=True, exist_ok=True)
    body = _Report(store, record, directory, sections).build()
    page = directory / "index.html"
    title = f"ifsim experiment {experiment}"
    page.write_text(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f"<title>{_esc(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f"{body}\n</body>\n</html>\n",
        encoding="utf-8",
    )
    return page


class _Report:
    """Builds the sections of one report, saving figures into ``directory`` as it goes."""

    def __init__(self, store: RunStore, record: dict[str, Any], directory: Path,
                 sections: Sequence[ReportSection] = ()) -> None:
        self.store = store
        self.sections = list(sections)
        self.record = record
        self.experiment = str(record["name"])
        self.spec = spec = record["spec"]
        self.directory = directory
        self.factors = list(spec.get("factors") or {})
        self.outcomes = [str(n) for n in (spec.get("outcomes") or {}).get("names") or []]
        self.kind = str((spec.get("design") or {}).get("kind", "factorial"))
        self.runs = outcomes_frame(store, self.experiment)
        self.bounds = outcome_bounds(store, self.experiment)
        self.points = self.runs.drop_duplicates("sample_index").set_index("sample_index")
        planned = store.experiment_runs(record["id"])
        params = json.loads(planned["params_json"].iloc[0]) if len(planned) else {}
        self.start_date = start_date_of(params)

    def build(self) -> str:
        about = self.spec.get("experiment") or {}
        facts = [("design", self.kind), ("scenario", about.get("scenario")),
                 ("steps", about.get("steps")), ("replications", about.get("replications")),
                 ("root seed", about.get("seed")),
                 ("recorded", _moment(self.record.get("created_at")))]
        parts = [f"<h1>Experiment {_esc(self.experiment)}</h1>",
                 "<p>" + "; ".join(f"{_esc(k)}: {_esc(v)}" for k, v in facts) + "</p>",
                 self._runs_section()]
        if self.runs.empty:
            parts.append('<p class="note">No run of this experiment is done yet, so there '
                         "is nothing to summarize or plot.</p>")
        else:
            parts += [self._outcomes_section(), self._year_end_section(),
                      self._trajectories_section(),
                      self._factors_section(), self._sensitivity_section()]
        parts += [self._extra_section(section) for section in self.sections]
        parts += [self._failed_section(), "<h2>Specification</h2>",
                  f"<pre>{_esc(json.dumps(self.spec, indent=2, sort_keys=True))}</pre>"]
        return "\n".join(part for part in parts if part)

    # --- sections -------------------------------------------------------------------------

    def _runs_section(self) -> str:
        counts = run_counts(self.store, self.experiment)
        header = [*counts, "total"]
        row = [*counts.values(), sum(counts.values())]
        return "<h2>Runs by status</h2>\n" + self._table("runs-by-status", header, [row])

    def _outcomes_section(self) -> str:
        if not self.outcomes:
            return ""
        table = mean_ci(self.runs, self.outcomes, bounds=self.bounds)
        rows, data = [], []
        for stat in table.itertuples(index=False):
            scale, unit = _unit(stat.variable)
            rows.append([stat.variable, unit or "", _num(stat.mean * scale, unit),
                         _interval(stat.ci_low * scale, stat.ci_high * scale, unit),
                         _num(stat.std * scale, unit), stat.n,
                         "yes" if stat.small_sample else ""])
            data.append([stat.variable, unit or "", stat.mean * scale, stat.ci_low * scale,
                         stat.ci_high * scale, stat.std * scale, stat.n,
                         bool(stat.small_sample)])
        header = ["outcome", "unit", "mean", "95% CI", "std. dev.", "runs", "small sample"]
        numbers = pd.DataFrame(data, columns=["outcome", "unit", "mean", "ci_low", "ci_high",
                                              "std", "runs", "small_sample"])
        parts = ["<h2>Outcomes</h2>",
                 "<p>Value of each outcome at the last step of each done run, over all "
                 "runs; Student-t 95% confidence intervals, cut to the range the outcome "
                 "cannot leave (rates and shares in [0, 1], money and counts of platforms "
                 "from 0, platforms alive at most the world's count).</p>",
                 self._table("outcomes", header, rows, text_columns=2, data=numbers),
                 _small_note(table)]
        if self.kind == "factorial" and 1 < len(self.points) <= MAX_POINT_ROWS:
            parts += ["<h3>By design point</h3>", self._points_table()]
        return "\n".join(part for part in parts if part)

    def _year_end_section(self) -> str:
        if not self.outcomes:
            return ""
        stats = year_end_stats(self.store, self.experiment, self.outcomes)
        if stats.empty:
            return ""
        rows, data = [], []
        for stat in stats.itertuples(index=False):
            scale, unit = _unit(stat.metric)
            rows.append([stat.metric, unit or "", stat.year, _num(stat.median * scale, unit),
                         _interval(stat.p05 * scale, stat.p95 * scale, unit), stat.runs])
            data.append([stat.metric, unit or "", stat.year, stat.median * scale,
                         stat.p05 * scale, stat.p95 * scale, stat.runs])
        header = ["outcome", "unit", "year", "median", "5%-95% of runs", "runs"]
        numbers = pd.DataFrame(data, columns=["outcome", "unit", "year", "median", "p05",
                                              "p95", "runs"])
        return ("<h2>At each year end</h2>\n<p>Each outcome in each run's last week of "
                "each calendar year (from 25 December), over the done runs: median and "
                "the 5th to 95th percentile.</p>\n"
                + self._table("year-ends", header, rows, text_columns=2, data=numbers))

    def _points_table(self) -> str:
        stats = mean_ci(self.runs, self.outcomes, by="sample_index", bounds=self.bounds)
        header = ["sample", *self.factors,
                  *(f"{name} ({unit})" if unit else name
                    for name, unit in ((o, _unit(o)[1]) for o in self.outcomes))]
        rows, data = [], []
        for index, group in stats.groupby("sample_index", sort=True):
            cells: list[Any] = [index]
            cells += [_factor_text(self.points.at[index, f], f) for f in self.factors]
            values: dict[str, Any] = {"sample": index}
            values.update({f: self.points.at[index, f] for f in self.factors})
            for stat in group.itertuples(index=False):
                scale, unit = _unit(stat.variable)
                cells.append(f"{_num(stat.mean * scale, unit)} "
                             f"{_interval(stat.ci_low * scale, stat.ci_high * scale, unit)} "
                             f"(n={stat.n})")
                name = _axis_label(stat.variable, unit)
                values.update({f"{name} mean": stat.mean * scale,
                               f"{name} ci_low": stat.ci_low * scale,
                               f"{name} ci_high": stat.ci_high * scale,
                               f"{stat.variable} n": stat.n})
            rows.append(cells)
            data.append(values)
        return (self._table("outcomes-by-point", header, rows, text_columns=0,
                            data=pd.DataFrame(data)) + "\n" + _small_note(stats))

    def _trajectories_section(self) -> str:
        if not self.outcomes:
            return ""
        long = timeseries_long(self.store, self.experiment)
        split = self.kind == "factorial" and 1 < len(self.points) <= MAX_TRAJECTORY_POINTS
        images = []
        for outcome in self.outcomes:
            series = long[long["metric"] == outcome]
            if series.empty:
                continue
            fig = self._trajectory_figure(outcome, series, split)
            images.append(self._save(fig, f"trajectory-{_slug(outcome)}.png",
                                     f"{outcome} over the steps"))
        caption = ("<p>Mean over runs with its 95% confidence band"
                   + (", one line per design point" if split else "") + ".</p>")
        return "<h2>Trajectories</h2>\n" + caption + "\n" + "\n".join(images)

    def _factors_section(self) -> str:
        if not self.factors or not self.outcomes:
            return ""
        images = [self._save(self._factor_figure(outcome), f"factors-{_slug(outcome)}.png",
                             f"{outcome} against each factor") for outcome in self.outcomes]
        means = (" Diamonds are means over a design point's replications."
                 if self.runs["sample_index"].duplicated().any() else "")
        return ("<h2>Outcomes against factors</h2>\n<p>Each dot is a run's outcome at its "
                f"last step.{means}</p>\n" + "\n".join(images))

    def _sensitivity_section(self) -> str:
        if self.kind not in ("sobol", "morris") or not self.outcomes:
            return ""
        title = "Sobol' indices" if self.kind == "sobol" else "Morris screening"
        try:
            table = (sobol_indices(self.store, self.experiment) if self.kind == "sobol"
                     else morris_indices(self.store, self.experiment))
        except AnalysisError as exc:
            return f"<h2>{_esc(title)}</h2>\n<p class=\"note\">{_esc(exc)}</p>"
        images = []
        for outcome, group in table.groupby("outcome", sort=False):
            if self.kind == "sobol":
                fig = _sobol_figure(str(outcome), group)
            else:
                fig = _morris_figure(str(outcome), group)
            images.append(self._save(fig, f"{self.kind}-{_slug(str(outcome))}.png",
                                     f"{title} of {outcome}"))
        if self.kind == "sobol":
            note = ("<p>First-order (S1) and total (ST) indices: the share of the outcome's "
                    "variance due to the factor alone and with all its interactions, with "
                    "95% bootstrap intervals (resampled from the experiment's root seed, "
                    "so they are the same on every report).</p>")
            header = ["outcome", "factor", "S1", "± S1", "ST", "± ST"]
            rows = [[r.outcome, r.factor, _num(r.S1), _num(r.S1_conf), _num(r.ST),
                     _num(r.ST_conf)] for r in table.itertuples(index=False)]
            numbers = table[["outcome", "factor", "S1", "S1_conf", "ST", "ST_conf"]]
        else:
            note = ("<p>mu*: mean absolute elementary effect of moving the factor across its "
                    "whole range (in the outcome's unit), with its 95% bootstrap interval; "
                    "sigma: their spread, a sign of interactions or non-linearity.</p>")
            header = ["outcome", "factor", "unit", "mu*", "± mu*", "sigma", "mu"]
            rows, data = [], []
            for r in table.itertuples(index=False):
                scale, unit = _unit(r.outcome)
                rows.append([r.outcome, r.factor, unit or "", _num(r.mu_star * scale, unit),
                             _num(r.mu_star_conf * scale, unit), _num(r.sigma * scale, unit),
                             _num(r.mu * scale, unit)])
                data.append([r.outcome, r.factor, unit or "", r.mu_star * scale,
                             r.mu_star_conf * scale, r.sigma * scale, r.mu * scale])
            numbers = pd.DataFrame(data, columns=["outcome", "factor", "unit", "mu_star",
                                                  "mu_star_conf", "sigma", "mu"])
        warnings = [f'<p class="note">{_esc(line)}</p>'
                    for line in sensitivity_notes(self.kind, self.spec.get("design") or {},
                                                  table)]
        labels = 2 if self.kind == "sobol" else 3  # outcome, factor (and morris's unit)
        return "\n".join([f"<h2>{_esc(title)}</h2>", note, *warnings,
                          self._table(self.kind, header, rows, text_columns=labels,
                                      data=numbers), *images])

    def _failed_section(self) -> str:
        runs = self.store.experiment_runs(self.record["id"])
        failed = runs[runs["status"] == RunStatus.FAILED.value]
        if failed.empty:
            return ""
        rows = [[int(r.id), r.sample_index, r.replication, r.seed,
                 (str(r.error or "").strip().splitlines() or [""])[0]]
                for r in failed.head(MAX_FAILED_LISTED).itertuples(index=False)]
        more = len(failed) - len(rows)
        tail = f"<p>and {more} more failed runs.</p>" if more > 0 else ""
        return ("<h2>Failed runs</h2>\n"
                + self._table("failed-runs", ["run", "sample", "replication", "seed", "error"],
                              rows, text_columns=0, left=("error",))
                + tail)

    # --- figures --------------------------------------------------------------------------

    def _trajectory_figure(self, outcome: str, series: pd.DataFrame, split: bool) -> Figure:
        scale, unit = _unit(outcome)
        bounds = self.bounds.get(outcome, (None, None))
        fig = Figure(figsize=(8, 4.5), layout="constrained")
        ax = fig.subplots()
        if split:
            stats = mean_ci(series, "value", by=["sample_index", "step"], bounds=bounds)
            for i, (index, group) in enumerate(stats.groupby("sample_index", sort=True)):
                _band(ax, group, scale, self._point_label(index), f"C{i}", self.start_date)
            ax.legend(fontsize="small")
        else:
            _band(ax, mean_ci(series, "value", by="step", bounds=bounds), scale,
                  f"mean of {series['run_id'].nunique()} runs", "C0", self.start_date)
        ax.set_title(_mpl(f"{outcome}: mean and 95% confidence band"))
        ax.set_xlabel(f"date (week t is {self.start_date} + 7t days)")
        format_date_axis(ax.xaxis)
        if unit == "yuan":
            limits = ax.dataLim
            ax.set_ylabel(_mpl(format_money_axis(ax.yaxis, max(abs(limits.y0),
                                                                abs(limits.y1)), outcome)))
        else:
            ax.set_ylabel(_mpl(_axis_label(outcome, unit)))
        return fig

    def _factor_figure(self, outcome: str) -> Figure:
        scale, unit = _unit(outcome)
        cols = min(3, len(self.factors))
        rows = math.ceil(len(self.factors) / cols)
        fig = Figure(figsize=(4.2 * cols, 3.4 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False).ravel()
        y = self.runs[outcome].to_numpy(dtype="float64", na_value=np.nan) * scale
        means = self.runs.groupby("sample_index")[outcome].mean() * scale
        replicated = len(means) < len(self.runs)
        for ax, factor in zip(axes, self.factors, strict=False):
            x, ticks = _positions(self.runs[factor], factor)
            ax.scatter(x, y, s=10, alpha=0.4, color="C0", label="runs")
            if replicated:
                point_x, _ = _positions(self.points[factor], factor, ticks)
                ax.scatter(point_x, means.reindex(self.points.index).to_numpy(), marker="D",
                           s=22, color="C1", label="mean of a design point")
            if ticks is not None:
                ax.set_xticks(range(len(ticks)), [_mpl(str(t)) for t in ticks])
            ax.set_xlabel(_mpl(_axis_label(factor, _factor_unit(factor)[1])))
            ax.set_ylabel(_mpl(_axis_label(outcome, unit)))
        for ax in axes[len(self.factors):]:
            ax.set_visible(False)
        if replicated:
            axes[0].legend(fontsize="small")
        fig.suptitle(_mpl(f"{outcome} at the last step"))
        return fig

    def _point_label(self, index: int) -> str:
        return ", ".join(f"{f}={_factor_text(self.points.at[index, f], f)}"
                         for f in self.factors) or f"sample {index}"

    def _save(self, fig: Figure, name: str, alt: str) -> str:
        """Save a figure as PNG, PDF and SVG; the page shows the PNG and links the rest."""
        png = save_figure(fig, self.directory / name)
        links = " · ".join(f'<a href="{_esc(path.name)}">{path.suffix[1:].upper()}</a>'
                           for path in saved_files(png))
        return (f'<p><img src="{_esc(png.name)}" alt="{_esc(alt)}"></p>\n'
                f'<p class="files">Figure: {links}</p>')

    def _table(self, name: str, header: Sequence[Any], rows: Sequence[Sequence[Any]],
               text_columns: int = 0, left: Sequence[str] = (),
               data: pd.DataFrame | None = None) -> str:
        """An HTML table, also written as ``tables/<name>.csv`` (``data`` if given, else
        the cells shown) and ``tables/<name>.tex`` (the cells shown), with links to both."""
        shown = pd.DataFrame([["" if v is None else str(v) for v in row] for row in rows],
                             columns=[str(h) for h in header])
        links = self._write_table(name, shown if data is None else data, shown)
        return _table(header, rows, text_columns, left) + "\n" + links

    def _write_table(self, name: str, data: pd.DataFrame, shown: pd.DataFrame,
                     caption: str = "") -> str:
        folder = self.directory / TABLES_DIR
        folder.mkdir(exist_ok=True)
        stem = _slug(name)
        data.to_csv(folder / f"{stem}.csv", index=False)
        (folder / f"{stem}.tex").write_text(latex_table(shown, caption), encoding="utf-8")
        return (f'<p class="files">Table: <a href="{TABLES_DIR}/{_esc(stem)}.csv">CSV</a> · '
                f'<a href="{TABLES_DIR}/{_esc(stem)}.tex">LaTeX</a></p>')

    def _extra_section(self, section: ReportSection) -> str:
        """A caller's section: its paragraph and notes, then each table with its caption
        and notes (text columns left-aligned)."""
        parts = [f"<h2>{_esc(section.title)}</h2>"]
        if section.intro:
            parts.append(f"<p>{_esc(section.intro)}</p>")
        parts += [f'<p class="note">{_esc(note)}</p>' for note in section.notes]
        for table in section.tables:
            shown = table.display if table.display is not None else _formatted(table.data)
            if table.caption:
                parts.append(f"<h3>{_esc(table.caption)}</h3>")
            numeric = {str(c) for c in table.data.columns
                       if pd.api.types.is_numeric_dtype(table.data[c])}
            left = tuple(str(c) for c in shown.columns if str(c) not in numeric)
            parts.append(_table([str(c) for c in shown.columns],
                                shown.itertuples(index=False, name=None), left=left))
            parts.append(self._write_table(table.name, table.data, shown, table.caption))
            parts += [f'<p class="note">{_esc(note)}</p>' for note in table.notes]
        return "\n".join(parts)


def _small_note(stats: pd.DataFrame) -> str:
    """A warning under a table whose intervals rest partly on fewer than SMALL_SAMPLE_N runs."""
    small = stats[stats["small_sample"] & (stats["n"] > 0)]
    if small.empty:
        return ""
    return (f'<p class="note">Small sample: {len(small)} of {len(stats)} intervals here rest '
            f"on fewer than {SMALL_SAMPLE_N} runs (n = {int(small['n'].min())} to "
            f"{int(small['n'].max())}); treat them as rough.</p>")


def _band(ax: Axes, stats: pd.DataFrame, scale: float, label: str, color: str,
          start_date: str) -> None:
    steps = date_numbers(start_date, stats["step"].to_numpy(dtype="float64"))
    ax.plot(steps, stats["mean"].to_numpy() * scale, color=color, label=_mpl(label))
    ax.fill_between(steps, stats["ci_low"].to_numpy() * scale,
                    stats["ci_high"].to_numpy() * scale, color=color, alpha=0.2, linewidth=0)


def _sobol_figure(outcome: str, table: pd.DataFrame) -> Figure:
    fig = Figure(figsize=(max(5.0, 1.2 * len(table) + 2), 4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(table))
    ax.bar(x - 0.2, table["S1"], 0.4, yerr=table["S1_conf"], capsize=3, label="S1 (first order)")
    ax.bar(x + 0.2, table["ST"], 0.4, yerr=table["ST_conf"], capsize=3, label="ST (total)")
    ax.axhline(0.0, color="black", linewidth=0.8)
    ax.set_xticks(x, [_mpl(f) for f in table["factor"]], rotation=20, ha="right")
    ax.set_ylabel("share of variance")
    ax.set_title(_mpl(f"Sobol' indices of {outcome} (95% intervals)"))
    ax.legend(fontsize="small")
    return fig


def _morris_figure(outcome: str, table: pd.DataFrame) -> Figure:
    scale, unit = _unit(outcome)
    fig = Figure(figsize=(11, 4), layout="constrained")
    bars, spread = fig.subplots(1, 2)
    x = np.arange(len(table))
    mu_star = table["mu_star"].to_numpy() * scale
    bars.bar(x, mu_star, yerr=table["mu_star_conf"].to_numpy() * scale, capsize=3, color="C0")
    bars.set_xticks(x, [_mpl(f) for f in table["factor"]], rotation=20, ha="right")
    bars.set_ylabel(_mpl(_axis_label("mu*", unit)))
    bars.set_title(_mpl(f"Morris mu* of {outcome} (95% intervals)"))
    sigma = table["sigma"].to_numpy() * scale
    spread.scatter(mu_star, sigma, color="C1")
    for factor, mx, sy in zip(table["factor"], mu_star, sigma, strict=True):
        spread.annotate(_mpl(str(factor)), (mx, sy), textcoords="offset points",
                        xytext=(4, 4), fontsize="small")
    spread.set_xlabel(_mpl(_axis_label("mu*", unit)))
    spread.set_ylabel(_mpl(_axis_label("sigma", unit)))
    spread.set_title("mu* against sigma")
    return fig


def _positions(values: pd.Series, factor: str,
               ticks: list[Any] | None = None) -> tuple[np.ndarray, list[Any] | None]:
    """x positions of a factor's values: scaled numbers, or category positions."""
    if ticks is None and pd.api.types.is_numeric_dtype(values):
        scale = _factor_unit(factor)[0]
        return values.to_numpy(dtype="float64", na_value=np.nan) * scale, None
    if ticks is None:
        ticks = sorted({str(v) for v in values}, key=str)
    where = {t: i for i, t in enumerate(ticks)}
    return np.array([where.get(str(v), np.nan) for v in values], dtype="float64"), ticks


# --- text ---------------------------------------------------------------------------------


def _unit(name: str) -> tuple[float, str | None]:
    """Scale and unit for display of an outcome: integer cents in yuan, rates and shares
    (fractions) in percent, as on the run figures."""
    text = str(name)
    if text.endswith("_cents"):
        return _YUAN_PER_CENT, "yuan"
    if is_rate(text):
        return _PERCENT, "%"
    return 1.0, None


def is_rate(name: str) -> bool:
    """Whether an outcome is a fraction shown in percent: ``*_rate``, ``*_share`` (the
    names :func:`ifsim.results.analysis.natural_bounds` keeps in [0, 1]) and annual rates
    and yields (``*_rate_annual``, ``*_yield_annual``)."""
    parts = str(name).split("_")
    return (parts[-1] in ("rate", "share")
            or (len(parts) > 1 and parts[-1] == "annual" and parts[-2] in ("rate", "yield")))


def _factor_unit(name: str) -> tuple[float, str | None]:
    """Factors keep the values given to ``--set``, except money, shown in yuan."""
    return (_YUAN_PER_CENT, "yuan") if str(name).endswith("_cents") else (1.0, None)


def latex_table(shown: pd.DataFrame, caption: str = "") -> str:
    """A booktabs ``tabular`` of the cells shown (special characters escaped), preceded
    by the caption as a LaTeX comment; needs ``\\usepackage{booktabs}``."""
    frame = shown.astype(str)
    styler = (frame.style.hide(axis="index").format(escape="latex")
              .format_index(escape="latex", axis=1))
    body = styler.to_latex(hrules=True, column_format="l" * len(frame.columns))
    comment = "".join(f"% {line}\n" for line in caption.splitlines()) if caption else ""
    return comment + body


def _formatted(data: pd.DataFrame) -> pd.DataFrame:
    """A caller's table as text: numbers formatted, missing values as a dash."""
    return data.apply(lambda column: column.map(_cell))


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, (float, np.floating)) and math.isnan(value)):
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, float, np.number)):
        return _num(value)
    return str(value)


def _moment(value: Any) -> str:
    """A stored time in UTC to the second (SQLite returns UTC without its offset)."""
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _axis_label(name: str, unit: str | None) -> str:
    return f"{name} ({unit})" if unit else name


def _factor_text(value: Any, factor: str) -> str:
    scale, unit = _factor_unit(factor)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        text = _num(float(value) * scale, unit)
        return f"{text} {unit}" if unit else text
    return str(value)


def _num(value: Any, unit: str | None = None) -> str:
    """A number for a table: money to the fen, others to four significant digits."""
    if value is None or (isinstance(value, (float, np.floating)) and not math.isfinite(value)):
        return "–"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    number = float(value)
    if unit == "yuan":
        return f"{number:,.2f}"
    if number != 0.0 and (abs(number) >= 1e6 or abs(number) < 1e-3):
        return f"{number:.4g}"
    return f"{number:,.4g}" if abs(number) < 1000 else f"{number:,.2f}"


def _interval(low: float, high: float, unit: str | None = None) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"[{_num(low, unit)}, {_num(high, unit)}]"


def _table(header: Sequence[Any], rows: Iterable[Sequence[Any]], text_columns: int = 0,
           left: Sequence[str] = ()) -> str:
    """An HTML table; the first ``text_columns`` columns and those named in ``left`` are
    left-aligned. Every cell is escaped."""
    aligned = [i < text_columns or str(h) in left for i, h in enumerate(header)]

    def cell(tag: str, value: Any, i: int) -> str:
        css = ' class="text"' if aligned[i] else ""
        return f"<{tag}{css}>{_esc(value)}</{tag}>"

    lines = ["<table>", "<tr>" + "".join(cell("th", h, i) for i, h in enumerate(header))
             + "</tr>"]
    for row in rows:
        lines.append("<tr>" + "".join(cell("td", v, i) for i, v in enumerate(row)) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _mpl(text: str) -> str:
    """Text for matplotlib, with ``$`` escaped so a name is never read as mathtext."""
    return text.replace("$", r"\$")


def _slug(name: str) -> str:
    return _UNSAFE.sub("_", name) or "outcome"


def _dir_name(experiment: str) -> str:
    name = _UNSAFE.sub("_", experiment).strip(".")
    return name or "experiment"
