"""The platform-types section of ``ifsim report`` on a small synthetic stored experiment.

The runs are stored through the RunStore API with made-up platform outcomes (no model
runs), so the analysis, the report's tables and their CSV and LaTeX files are checked in
seconds; tests/e2e/test_experiment.py runs the real experiment.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import ifsim.results.plots
from ifsim.experiments.catalog import platform_types, report_sections
from ifsim.experiments.cli import main
from ifsim.results import RunStore


@pytest.fixture(autouse=True)
def png_only(monkeypatch) -> None:
    """Figures as PNG only: their PDF and SVG copies are tested in test_plots and
    test_report, and cost about a second each."""
    monkeypatch.setattr(ifsim.results.plots, "FORMATS", ("png",))


NAME = "platform-types-quick"
TYPES = ["intermediary", "guaranteed", "fund_pool", "ponzi", "crowdfunding"]
FAIL_PROB = {"intermediary": 0.3, "guaranteed": 0.25, "fund_pool": 0.4, "ponzi": 0.9,
             "crowdfunding": 0.2}
SEEDS = 4
ARM_CAPTIONS = {
    "calm": "By platform type: calm credit cycle",
    "stressed": "By platform type: stressed credit cycle",
    "calm_guarantors_fail": "By platform type: calm credit cycle, every guarantor fails in "
                            "week 104",
    "stressed_guarantors_fail": "By platform type: stressed credit cycle, every guarantor "
                                "fails in week 104",
}


def platforms(rng: np.random.Generator, stressed: bool, shock: int) -> list[dict[str, Any]]:
    """Twelve platforms of each type with random fates (more failures when stressed)."""
    rows = []
    for kind, k in itertools.product(TYPES, range(12)):
        custody = bool(k % 2)
        failed = rng.random() < FAIL_PROB[kind] * (1.5 if stressed else 1.0)
        step = int(rng.integers(shock or 1, 156)) if failed else None
        absconded = failed and rng.random() < (0.6 if kind == "ponzi" else 0.15)
        inflow = int(rng.integers(1_000_000, 5_000_000))
        guarantor = shock if kind == "guaranteed" and shock else None
        rows.append({
            "platform": len(rows), "type": kind, "custody": custody,
            "advertised_yield_annual": float(rng.uniform(0.06, 0.14)), "failed_step": step,
            "cause": ("absconded" if absconded else "insolvent") if failed else None,
            "guarantor_failed": guarantor is not None, "guarantor_failed_step": guarantor,
            "investor_inflow_cents": inflow,
            "net_loss_cents": int(inflow * rng.uniform(0, 0.3)) if failed else 0})
    return rows


def store_platform_types(store: RunStore) -> None:
    """The 2 x 2 design of the catalog spec over SEEDS seeds, every run done."""
    factors = {"guarantor.shock_step": [0, 104], "macro.default_correlation": [0.12, 0.35]}
    spec = {"experiment": {"name": NAME, "scenario": "small", "steps": 156,
                           "replications": SEEDS, "seed": 2016, "model": "ifsim"},
            "design": {"kind": "factorial"}, "factors": factors,
            "outcomes": {"names": ["guarantors_alive", "investor_losses_cents",
                                   "platforms_alive"]}}
    eid = store.record_experiment(NAME, spec)
    points = [{"guarantor.shock_step": s, "macro.default_correlation": c}
              for s, c in itertools.product(*factors.values())]
    store.plan_runs(eid, [{"sample_index": i, "replication": r, "scenario": "small",
                           "params": {"world": {"n_platforms": 60}}, "factors": p,
                           "seed": 100 + r, "steps": 4}
                          for i, p in enumerate(points) for r in range(SEEDS)],
                    "0.1.0", "test-host")
    for run in store.experiment_runs(eid).itertuples():
        point = points[run.sample_index]
        rng = np.random.default_rng([run.sample_index, run.replication])
        outcomes = platforms(rng, point["macro.default_correlation"] > 0.2,
                             point["guarantor.shock_step"])
        ts = pd.DataFrame({"step": np.arange(1, 5), "platforms_alive": [60, 58, 55, 50],
                           "investor_losses_cents": [0, 10_000, 250_000, 1_000_000],
                           "guarantors_alive": [3, 3, 2, 2]})
        store.finish_run(int(run.id), timeseries=ts, events=pd.DataFrame(),
                         summary={"platforms": outcomes}, wall_seconds=0.01)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        store_platform_types(store)
    return tmp_path


def test_report_has_every_arm_the_determinants_and_their_files(
        out: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "--experiment", NAME, "--out", str(out)]) == 0
    page = out / "reports" / NAME / "index.html"
    assert f"report: {page}" in capsys.readouterr().out
    text = page.read_text()
    assert "<h2>Platform types: failure, absconding and losses by business model</h2>" in text
    for arm, caption in ARM_CAPTIONS.items():
        assert f"<h3>{caption}</h3>" in text
        assert f'href="tables/{NAME}-by-type-{arm}.csv"' in text
    assert "<h3>Determinants of failure (domain.md s.6)</h3>" in text
    assert "<h3>Share of failures in which the owners absconded</h3>" in text

    with RunStore(RunStore.sqlite_url(out)) as store:
        found = platform_types.results(store, platform_types._Stored(NAME, 2016))
        (section,) = report_sections(NAME, store)
    tables = {table.name: table for table in section.tables}
    folder = page.parent / "tables"
    for name, table in tables.items():
        # every table round-trips through CSV and is a booktabs tabular in LaTeX
        back = pd.read_csv(folder / f"{name}.csv")
        pd.testing.assert_frame_equal(back, table.data.reset_index(drop=True),
                                      check_dtype=False)
        tex = (folder / f"{name}.tex").read_text()
        assert r"\begin{tabular}" in tex and r"\toprule" in tex and r"\bottomrule" in tex
        assert f'href="tables/{name}.tex"' in text

    # the calm arm's table is the headline by_type of `ifsim experiment`, in percent
    calm = pd.read_csv(folder / f"{NAME}-by-type-calm.csv").set_index("type")
    assert sorted(calm.index) == sorted(TYPES)
    for row in found["by_type"]:
        assert calm.at[row["type"], "failure rate (%)"] == pytest.approx(
            100 * row["failure_rate"])
        assert calm.at[row["type"], "platforms"] == row["platforms"] == 12 * SEEDS
    stressed = pd.read_csv(folder / f"{NAME}-by-type-stressed.csv").set_index("type")
    for row in found["by_type_stressed"]:
        assert stressed.at[row["type"], "failures"] == row["failures"]

    determinants = pd.read_csv(folder / f"{NAME}-determinants.csv")
    assert list(determinants["determinant"]) == [
        "custody against absconding", "custody against failure", "yields against failure",
        "guarantees in calm times", "losses not smaller after the guarantor fails"]
    custody = found["determinants"]["custody"]["absconding"]
    first = determinants.iloc[0]
    assert first["difference (points)"] == pytest.approx(100 * custody["difference"])
    assert first["ci_low (points)"] == pytest.approx(100 * custody["ci_low"])
    assert first["ci_high (points)"] == pytest.approx(100 * custody["ci_high"])
    assert bool(first["holds"]) == custody["holds"]
    assert determinants["holds"].isin([True, False]).all()
    # on the page: each difference with its interval and a verdict
    row = re.search(r"<td[^>]*>custody against absconding</td>.*?</tr>", text).group(0)
    low, high = 100 * custody["ci_low"], 100 * custody["ci_high"]
    assert f"[{low:.2f}, {high:.2f}]" in row
    assert (">yes<" if custody["holds"] else ">no<") in row

    share = pd.read_csv(folder / f"{NAME}-absconding.csv")
    assert share.loc[0, "arm"] == "all arms"
    assert share.loc[0, "share (%)"] == pytest.approx(
        100 * found["absconded_share_all_types"]["share"])
    assert share.loc[0, "observed in China (%)"] == pytest.approx(19.37)
    # small samples are flagged: rows of the determinants, types with few failures
    loss = determinants.iloc[-1]
    assert bool(loss["small sample"]) == (min(loss["n in group"], loss["n outside"])
                                          < platform_types.MIN_FAILURES)
    assert (("Small sample: rows marked rest on too few" in text)
            == bool(determinants["small sample"].any()))
    few = calm[calm["failures"] < 10]
    assert list(few.index) == list(calm.index[calm["small sample"]])
    for kind in few.index:
        assert re.search(f"Small sample: fewer than 10 failures among [^<]*{kind}", text)


def test_other_experiments_get_no_extra_section(tmp_path: Path) -> None:
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        assert report_sections("sobol-demo", store) == []
