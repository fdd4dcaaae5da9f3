"""``ifsim experiment platform-types --quick``: the canonical experiment end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

KEYS = {"type", "failure_rate", "absconded_share", "investor_loss_rate",
        "median_weeks_to_failure"}


def test_platform_types_quick_reports_every_type_over_twenty_seeds(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "experiments.cli", "experiment",
                           "platform-types", "--quick", "--json", "--workers", "2"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["experiment"] == "platform-types-quick"
    assert out["runs_done"] == out["runs_total"] == 40 and out["runs_failed"] == 0
    results = out["results"]
    assert results["seeds"] >= 20
    rows = {row["type"]: row for row in results["by_type"]}
    assert set(rows) == {"intermediary", "guaranteed", "fund_pool", "ponzi", "crowdfunding"}
    for row in rows.values():
        assert set(row) >= KEYS
        assert 0 <= row["failure_rate"] <= 1 and 0 <= row["absconded_share"] <= 1
        assert row["investor_loss_rate"] >= 0
    assert rows["ponzi"]["absconded_share"] == 1.0       # every failed Ponzi ran off
    custody = results["determinants"]["custody"]
    assert custody["absconded_rate_without_custody"] > custody["absconded_rate_with_custody"]
    assert {"custody", "yield", "guarantee"} == set(results["determinants"])
