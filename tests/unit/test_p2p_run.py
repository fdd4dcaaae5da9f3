"""The p2p-run experiment's analysis on a reduced design run through the real sweep
machinery (experiments/catalog/p2p_run.py): both readings of failures with and without
the protection fund, the collapse and its control paired seed by seed, peak withdrawal
rate and weeks to peak with intervals; the collapse really happens, in its week, and
only in the triggered runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ifsim.ecosystem.model import EcosystemModel
from ifsim.experiments.catalog import catalog_spec, p2p_run
from ifsim.experiments.sweep import run_sweep
from ifsim.results.store import RunStore


def test_arms_report_peaks_and_weeks_to_peak_with_intervals(tmp_path: Path) -> None:
    spec = catalog_spec("p2p-run")
    assert spec.scenario == "p2p_run" and spec.replications >= 20
    assert {f.name: f.levels for f in spec.factors} == {
        p2p_run.TRIGGER: (0, 40), p2p_run.NEWS: (0, 1), p2p_run.HERDING: (0.0, 0.3),
        p2p_run.COVER: (0, 5_000_000)}
    # herding at the scenario's level only, to keep the test short: 8 cells, 2 seeds
    factors = tuple(f for f in spec.factors if f.name != p2p_run.HERDING)
    spec = replace(spec, name="p2p-test", replications=2, steps=44, factors=factors)
    with RunStore(RunStore.sqlite_url(tmp_path)) as store:
        outcome = run_sweep(spec, store, executor="sequential")
        assert outcome.runs_done == 16 and outcome.runs_failed == 0
        results = p2p_run.results(store, spec)
        section, = p2p_run.report_sections(store, spec.name)
    herding = p2p_run.scenario_levels(spec)[p2p_run.HERDING]
    assert [(a["failure_news"], a["herding_weight"], a["cover_cents"])
            for a in results["arms"]] == [
        (0, herding, 0), (0, herding, 5_000_000), (1, herding, 0), (1, herding, 5_000_000)]
    for a in results["arms"]:
        for case in ("collapse", "control"):
            d = a[case]
            assert d["n"] == 2
            for measure in ("peak_withdrawal_rate", "weeks_to_peak", "asked_share"):
                m = d[measure]
                assert m["ci"][0] <= m["mean"] <= m["ci"][1]
                assert m["p10"] <= m["median"] <= m["p90"]
            assert 0 <= d["peak_withdrawal_rate"]["mean"] <= 1
            assert 0 <= d["weeks_to_peak"]["mean"] <= 4        # weeks 40-44 measured
        effect = a["collapse_effect_on_peak"]
        assert effect["n"] == 2 and effect["holds"] == (effect["ci"][0] > 0)
    assert len(section.tables[0].data) == 8
    for part in results["protection_effect_on_triggered_peak"]:
        assert part["ci"][0] <= part["difference"] <= part["ci"][1]


def test_the_collapse_is_the_largest_fund_pool_in_week_40() -> None:
    from ifsim.ecosystem.contracts import PlatformType

    on = EcosystemModel.from_scenario("p2p_run", seed=3, world__steps=41)
    off = EcosystemModel.from_scenario("p2p_run", seed=3, world__steps=41,
                                       trigger__platform_failure_step=0)
    for _ in range(39):
        on.step()
        off.step()
    # every draw is shared until the collapse: the two worlds are the same
    assert on.ledger.balances(on.investors.account).tolist() == \
        off.ledger.balances(off.investors.account).tolist()
    assert on.holdings.units.tolist() == off.holdings.units.tolist()
    alive = [p.idx for p in on.platforms if p.alive and p.kind == PlatformType.FUND_POOL]
    sizes = on.recoverable_values_cents()
    largest = max(alive, key=lambda i: sizes[i])
    on.step()
    off.step()
    # the control names the same platform without failing it: both arms measure the others
    assert on.trigger_platform == off.trigger_platform == largest
    assert off.platforms[largest].alive
    assert on.platforms[largest].failure_cause == "absconded"
    assert on.platforms[largest].failed_step == 40
    assert on.run_watch.trigger_step == off.run_watch.trigger_step == 40


def test_money_is_conserved_through_a_collapse_with_the_protection_fund_on() -> None:
    m = EcosystemModel.from_scenario("p2p_run", seed=2, world__check_conservation=True,
                                     protection__cover_cents=5_000_000)
    for _ in range(46):
        m.step()              # check_conservation checks the ledger and units every week
    assert m.protection.paid_out_cents > 0 and m.trigger_platform is not None
