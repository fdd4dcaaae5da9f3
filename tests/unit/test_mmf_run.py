"""The mmf-run experiment's analysis on a reduced design run through the real sweep
machinery (experiments/catalog/mmf_run.py): cells with the three factor values, run
probabilities and stayers' losses with intervals; a large shock on a fund with little
cash is a run, a small one on a fund with much cash is not."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ifsim.experiments.catalog import catalog_spec, mmf_run
from ifsim.experiments.spec import Factor
from ifsim.experiments.sweep import run_sweep
from ifsim.results.store import RunStore


def test_cells_report_run_probability_and_stayer_losses(tmp_path: Path) -> None:
    spec = catalog_spec("mmf-run", quick=True)
    assert spec.scenario == "fund_run" and spec.replications == 5   # quick: half the seeds
    spec = replace(spec, name="mmf-test", replications=2, steps=34, factors=[
        Factor(mmf_run.CAP, levels=(0.0,)), Factor(mmf_run.SHOCK, levels=(0.02, 0.1)),
        Factor(mmf_run.CASH, levels=(0.02, 0.25))])
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        outcome = run_sweep(spec, store, executor="sequential")
        assert outcome.runs_done == 8 and outcome.runs_failed == 0
        results = mmf_run.results(store, spec)
        section, = mmf_run.report_sections(store, spec.name)
    cells = {(c["shock_size"], c["cash_share"]): c for c in results["cells"]}
    assert set(cells) == {(0.02, 0.02), (0.02, 0.25), (0.1, 0.02), (0.1, 0.25)}
    for cell in cells.values():
        assert {"t0_cap_cents_daily", "run_probability", "stayer_loss_rate"} <= set(cell)
        low, high = cell["run_probability_ci"]
        assert low <= cell["run_probability"] <= high and cell["seeds"] == 2
    assert cells[(0.1, 0.02)]["run_probability"] == 1.0
    assert cells[(0.1, 0.02)]["leaver_loss_rate"] > 0        # the last in line lose
    assert cells[(0.02, 0.25)]["run_probability"] == 0.0
    assert [row["level"] for row in results["by_cash_share"]] == [0.02, 0.25]
    assert len(section.tables[0].data) == 4
