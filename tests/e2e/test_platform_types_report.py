"""``ifsim report`` of a real (tiny) platform-types experiment: every arm's table by type,
the determinants, and the tables as CSV and LaTeX beside the page."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd

from ifsim.experiments.catalog import catalog_spec, platform_types
from ifsim.experiments.cli import main
from ifsim.experiments.sweep import run_sweep
from ifsim.results import RunStore


def test_report_of_a_tiny_platform_types_run(tmp_path: Path) -> None:
    # the quick design (small world), two seeds, just past the guarantors' shock week
    spec = replace(catalog_spec("platform-types", quick=True), replications=2, steps=110)
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        outcome = run_sweep(spec, store, executor="sequential")
    assert outcome.runs_done == 8 and outcome.runs_failed == 0
    assert main(["report", "--experiment", spec.name, "--out", str(tmp_path)]) == 0
    page = tmp_path / "reports" / spec.name / "index.html"
    text = page.read_text()
    folder = page.parent / "tables"
    for arm in platform_types.ARMS:
        assert f"<h3>By platform type: {platform_types.ARM_TITLES[arm]}" in text
        table = pd.read_csv(folder / f"{spec.name}-by-type-{arm}.csv")
        assert len(table) >= 1 and table["platforms"].gt(0).all()
        assert table["failure rate (%)"].between(0, 100).all()
    determinants = pd.read_csv(folder / f"{spec.name}-determinants.csv")
    assert len(determinants) == 5 and determinants["holds"].isin([True, False]).all()
    assert "<h3>Determinants of failure (domain.md s.6)</h3>" in text
    for csv in folder.glob("*.csv"):
        pd.read_csv(csv)  # every table parses
        assert r"\begin{tabular}" in csv.with_suffix(".tex").read_text()
    for png in page.parent.glob("*.png"):
        assert png.with_suffix(".pdf").is_file() and png.with_suffix(".svg").is_file()
