"""Tests of results.report on small synthetic experiments stored through the RunStore API."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

import ifsim.results.plots
from ifsim.results import RunStore
from ifsim.results.report import _Report, write_report

PNG = b"\x89PNG\r\n\x1a\n"
# One test checks the vector copies (PDF, SVG) of every figure; the others draw PNGs only,
# which keeps this module fast (each vector copy of a figure takes about a second).
ALL_FORMATS_TESTS = {"test_factorial_report_links_its_figures_and_escapes_names"}


@pytest.fixture(autouse=True)
def png_only(request, monkeypatch) -> None:
    if request.node.name not in ALL_FORMATS_TESTS:
        monkeypatch.setattr(ifsim.results.plots, "FORMATS", ("png",))
ODD = "macro.x<y"  # a factor name that must be escaped in HTML
RATE = "borrower.apply_prob_weekly"
UNIT_SQUARE = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0.0, 1.0], [0.0, 1.0]]}
UNIT_RANGES = {"x1": {"low": 0.0, "high": 1.0}, "x2": {"low": 0.0, "high": 1.0}}


def store_experiment(store: RunStore, name: str, design: dict[str, Any],
                     factors: dict[str, Any], points: list[dict[str, Any]],
                     outcome: Callable[[dict[str, Any], int], dict[str, Any]], *,
                     replications: int = 1, done: int | None = None, fail: int = 0,
                     params: dict[str, Any] | None = None) -> None:
    """Record and plan the design; finish the first ``done`` runs, fail the next ``fail``."""
    steps = 4
    spec = {"experiment": {"name": name, "scenario": "baseline", "steps": steps,
                           "replications": replications, "seed": 1, "model": "ifsim"},
            "design": design, "factors": factors,
            "outcomes": {"names": sorted(outcome(points[0], 0))}}
    eid = store.record_experiment(name, spec)
    store.plan_runs(eid, [{"sample_index": i, "replication": r, "scenario": "baseline",
                           "params": params or {}, "factors": p, "seed": 10 * i + r,
                           "steps": steps}
                          for i, p in enumerate(points) for r in range(replications)],
                    "0.1.0", "test-host")
    runs = list(store.experiment_runs(eid).itertuples())
    done = len(runs) if done is None else done
    for k, run in enumerate(runs[:done + fail]):
        if k >= done:
            store.fail_run(int(run.id), error="<boom>\ntraceback")
            continue
        final = outcome(points[run.sample_index], run.replication)
        data: dict[str, Any] = {"step": np.arange(steps, dtype="int64")}
        for metric, value in final.items():
            data[metric] = np.linspace(0, 1, steps).astype(type(value)) * value
        store.finish_run(int(run.id), timeseries=pd.DataFrame(data), events=pd.DataFrame(),
                         summary={}, wall_seconds=0.01)


def linear(point: dict[str, Any], _replication: int) -> dict[str, Any]:
    return {"y": 4.0 * point["x1"] + point["x2"]}


def factorial_outcome(point: dict[str, Any], replication: int) -> dict[str, Any]:
    return {"investor_losses_cents": 123_456, "platforms_alive":
            int(10 - 100 * point[RATE] - 4 * point[ODD] + replication)}


def images(page: Path) -> list[Path]:
    return [page.parent / src for src in re.findall(r'<img src="([^"]+)"', page.read_text())]


def assert_pngs(page: Path) -> list[str]:
    """The PNGs the page shows, each with its PDF and SVG beside it and linked."""
    found = images(page)
    text = page.read_text()
    for path in found:
        data = path.read_bytes()
        assert len(data) > 1000 and data.startswith(PNG), path
        if "pdf" in ifsim.results.plots.FORMATS:
            assert path.with_suffix(".pdf").read_bytes().startswith(b"%PDF"), path
            assert b"<svg" in path.with_suffix(".svg").read_bytes(), path
            assert f'href="{path.stem}.pdf"' in text and f'href="{path.stem}.svg"' in text
    return sorted(path.name for path in found)


def tables(page: Path) -> dict[str, pd.DataFrame]:
    """Every table the page links, read back from its CSV; each has its LaTeX beside it."""
    text = page.read_text()
    found = {}
    for name in re.findall(r'href="tables/([^"]+)\.csv"', text):
        assert f'href="tables/{name}.tex"' in text
        tex = (page.parent / "tables" / f"{name}.tex").read_text()
        assert r"\begin{tabular}" in tex and r"\toprule" in tex
        found[name] = pd.read_csv(page.parent / "tables" / f"{name}.csv")
    return found


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    with RunStore(RunStore.sqlite_url(tmp_path / "db")) as opened:
        yield opened


@pytest.fixture
def factorial(store: RunStore) -> RunStore:
    points = [{RATE: a, ODD: b} for a, b in itertools.product([0.02, 0.04], [0.0, 0.5])]
    store_experiment(store, "fact", {"kind": "factorial"}, {RATE: [0.02, 0.04], ODD: [0.0, 0.5]},
                     points, factorial_outcome, replications=2, done=7, fail=1)
    return store


def test_factorial_report_links_its_figures_and_escapes_names(
        factorial: RunStore, tmp_path: Path) -> None:
    page = write_report(factorial, "fact", tmp_path / "reports")
    assert page == tmp_path / "reports" / "fact" / "index.html"
    assert assert_pngs(page) == ["factors-investor_losses_cents.png",
                                 "factors-platforms_alive.png",
                                 "trajectory-investor_losses_cents.png",
                                 "trajectory-platforms_alive.png"]
    text = page.read_text()
    assert "macro.x&lt;y" in text and "macro.x<y" not in text
    assert "&lt;boom&gt;" in text and "traceback" not in text  # first line of the error
    assert "one line per design point" in text
    # 123,456 cents at the last step of every run: 1,234.56 yuan, an exact interval
    assert re.search(r"<td[^>]*>investor_losses_cents</td><td[^>]*>yuan</td>"
                     r"<td>1,234.56</td><td>\[1,234.56, 1,234.56\]</td>", text)
    assert "<td>0</td><td>0</td><td>7</td><td>1</td><td>8</td>" in text  # runs by status
    # 7 runs overall and 1 or 2 per design point: every interval is flagged
    assert "<th>small sample</th>" in text and text.count("<td>yes</td>") == 2
    assert "Small sample: 2 of 2 intervals here rest on fewer than 10 runs (n = 7 to 7)" in text
    assert "Small sample: 8 of 8 intervals here rest on fewer than 10 runs (n = 1 to 2)" in text
    # every table also as CSV (numbers in the units shown) and LaTeX
    found = tables(page)
    assert sorted(found) == ["failed-runs", "outcomes", "outcomes-by-point", "runs-by-status"]
    outcomes = found["outcomes"].set_index("outcome")
    assert outcomes.at["investor_losses_cents", "unit"] == "yuan"
    assert outcomes.at["investor_losses_cents", "mean"] == pytest.approx(1234.56)
    assert outcomes["small_sample"].all()
    assert found["runs-by-status"].loc[0, "total"] == 8
    assert "investor_losses_cents (yuan) mean" in found["outcomes-by-point"].columns
    assert found["failed-runs"].loc[0, "error"] == "<boom>"
    tex = (page.parent / "tables" / "failed-runs.tex").read_text()
    assert "<boom>" in tex
    assert r"\begin{tabular}" in (page.parent / "tables" / "outcomes.tex").read_text()


def test_platform_intervals_stop_at_the_worlds_platform_count(store: RunStore,
                                                              tmp_path: Path) -> None:
    alive = {0: 9, 1: 10, 2: 8}  # mean 9, t-interval [6.52, 11.48] before clipping
    store_experiment(store, "ten", {"kind": "factorial"}, {"x1": [0.5]}, [{"x1": 0.5}],
                     lambda p, r: {"platforms_alive": alive[r], "investor_losses_cents": 0},
                     replications=3, params={"world": {"n_platforms": 10}})
    text = write_report(store, "ten", tmp_path).read_text()
    assert re.search(r"<td[^>]*>platforms_alive</td><td[^>]*></td><td>9</td>"
                     r"<td>\[6.516, 10\]</td>", text)
    assert "11.48" not in text


def test_money_is_drawn_in_yuan_per_design_point(factorial: RunStore, tmp_path: Path) -> None:
    record = factorial.get_experiment("fact")
    report = _Report(factorial, record, tmp_path)
    series = pd.DataFrame({"run_id": [1, 1, 2, 2], "sample_index": [0, 0, 1, 1],
                           "step": [0, 1, 0, 1], "value": [0.0, 500.0, 0.0, 700.0]})
    fig = report._trajectory_figure("investor_losses_cents", series, split=True)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "investor_losses_cents, yuan (model scale)"
    assert [list(line.get_ydata()) for line in ax.lines] == [[0.0, 5.0], [0.0, 7.0]]
    # weeks at their calendar dates: the stored runs have no start date, so the default
    start = mdates.date2num(pd.Timestamp("2013-01-07"))
    assert list(ax.lines[0].get_xdata()) == [start, start + 7]
    assert ax.get_xlabel() == "date (week t is 2013-01-07 + 7t days)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == [f"{RATE}=0.02, {ODD}=0", f"{RATE}=0.02, {ODD}=0.5"]


def test_sobol_report_has_index_bars(store: RunStore, tmp_path: Path) -> None:
    x = sobol_sample.sample(UNIT_SQUARE, 8, calc_second_order=False, seed=4)
    points = [dict(zip(["x1", "x2"], map(float, row), strict=True)) for row in x]
    store_experiment(store, "sob", {"kind": "sobol", "samples": 8}, UNIT_RANGES, points, linear)
    page = write_report(store, "sob", tmp_path)
    assert assert_pngs(page) == ["factors-y.png", "sobol-y.png", "trajectory-y.png"]
    text = page.read_text()
    assert "<h2>Sobol&#x27; indices</h2>" in text and "<th>ST</th>" in text
    assert "small sample: Sobol base sample N = 8 (below 64)" in text
    assert set(tables(page)["sobol"]["factor"]) == {"x1", "x2"}
    again = write_report(store, "sob", tmp_path / "again").read_text()
    table = re.compile(r"<th>± ST</th>.*?</table>", re.S)
    assert table.search(text).group(0) == table.search(again).group(0)  # same intervals


def test_morris_report_and_an_incomplete_sobol_sweep(store: RunStore, tmp_path: Path) -> None:
    x = morris_sample.sample(UNIT_SQUARE, 4, num_levels=4, seed=1)
    points = [dict(zip(["x1", "x2"], map(float, row), strict=True)) for row in x]
    store_experiment(store, "mor", {"kind": "morris", "samples": 4, "levels": 4}, UNIT_RANGES,
                     points, linear)
    page = write_report(store, "mor", tmp_path)
    assert "morris-y.png" in assert_pngs(page)
    assert "small sample: 4 Morris trajectories (fewer than 10)" in page.read_text()

    x = sobol_sample.sample(UNIT_SQUARE, 2, calc_second_order=False, seed=4)
    points = [dict(zip(["x1", "x2"], map(float, row), strict=True)) for row in x]
    store_experiment(store, "part", {"kind": "sobol", "samples": 2}, UNIT_RANGES, points, linear,
                     done=5)
    page = write_report(store, "part", tmp_path)
    assert "sobol-y.png" not in assert_pngs(page)
    assert "5 of 8 are done" in page.read_text()


def test_report_of_an_experiment_with_nothing_done(store: RunStore, tmp_path: Path) -> None:
    store_experiment(store, "a/b <new>", {"kind": "factorial"}, {"x1": [0.5], "x2": [0.5]},
                     [{"x1": 0.5, "x2": 0.5}], linear, done=0)
    page = write_report(store, "a/b <new>", tmp_path)
    assert page == tmp_path / "a_b_new_" / "index.html"
    text = page.read_text()
    assert "Experiment a/b &lt;new&gt;" in text and "No run of this experiment is done" in text
    assert images(page) == []


def test_rates_are_shown_in_percent(store: RunStore, tmp_path: Path) -> None:
    store_experiment(store, "rates", {"kind": "factorial"}, {"x1": [0.5]}, [{"x1": 0.5}],
                     lambda p, r: {"arrears_rate": 0.05, "fund_yield_annual": 0.03,
                                   "platforms_alive": 7}, replications=2)
    page = write_report(store, "rates", tmp_path)
    text = page.read_text()
    assert re.search(r"<td[^>]*>arrears_rate</td><td[^>]*>%</td><td>5</td>", text)
    assert re.search(r"<td[^>]*>fund_yield_annual</td><td[^>]*>%</td><td>3</td>", text)
    assert re.search(r"<td[^>]*>platforms_alive</td><td[^>]*></td><td>7</td>", text)
    outcomes = tables(page)["outcomes"].set_index("outcome")
    assert outcomes.at["arrears_rate", "mean"] == pytest.approx(5.0)
    assert outcomes.at["arrears_rate", "unit"] == "%"
