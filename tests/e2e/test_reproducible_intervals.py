"""Acceptance: ``ifsim sweep`` twice on the same stored Sobol experiment, and ``ifsim report``
on it, give identical intervals.

The experiment is the Ishigami validation model (no ecosystem to simulate) with a root seed
of 0, the seed SALib's Sobol analysis used to ignore (it seeds its bootstrap only for a
truthy seed, so the same data gave different intervals on every call), and a base sample
of N = 16, small enough that every index must be flagged as a small sample.

The commands run in this process through ``ifsim.experiments.cli.main`` (the ``ifsim`` entry
point), so the test takes seconds: a fresh interpreter costs 8-9 s of imports per
command here. Three separate processes gave the same identical intervals when this test
was written; in-process, the global numpy state SALib fell back on is shared, which is no
help to an unseeded bootstrap either (it advances between calls).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ifsim.experiments.cli import main
from ifsim.results import RunStore
from ifsim.results.analysis import sobol_indices
from ifsim.results.report import _num

SPEC = """
[experiment]
name = "ishigami-seed0"
model = "ishigami"
steps = 1
replications = 1
seed = 0
[design]
kind = "sobol"
samples = 16
[factors]
"ishigami.x1" = { low = -3.141592653589793, high = 3.141592653589793 }
"ishigami.x2" = { low = -3.141592653589793, high = 3.141592653589793 }
"ishigami.x3" = { low = -3.141592653589793, high = 3.141592653589793 }
[outcomes]
names = ["y"]
"""
ROW = re.compile(r"<tr><td class=\"text\">y</td><td class=\"text\">([^<]+)</td>"
                 r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>"
                 r"<td>([^<]+)</td></tr>")


def test_sweep_twice_and_report_give_identical_sobol_intervals(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "seed0.toml"
    spec.write_text(SPEC)
    out = ["--out", str(tmp_path / "ifsim-output")]

    def ifsim(*args: str) -> str:
        capsys.readouterr()
        assert main([*args, *out]) == 0
        return capsys.readouterr().out

    sweep = ["sweep", str(spec), "--executor", "sequential", "--json"]
    first = json.loads(ifsim(*sweep))
    second = json.loads(ifsim(*sweep))  # resumes: nothing to run, analysed again
    assert first["runs_done"] == second["runs_done"] == 16 * (3 + 2)
    indices = first["results"]["sobol"]
    assert [r["factor"] for r in indices] == ["ishigami.x1", "ishigami.x2", "ishigami.x3"]
    assert all(r["S1_conf"] > 0 and r["ST_conf"] > 0 for r in indices)
    assert second["results"]["sobol"] == indices  # the identical intervals, to the bit

    with RunStore(RunStore.sqlite_url(tmp_path / "ifsim-output")) as store:
        in_process = [sobol_indices(store, "ishigami-seed0").to_dict(orient="records")
                      for _ in range(2)]
    assert in_process[0] == in_process[1] == indices

    report = ifsim("report", "--experiment", "ishigami-seed0")
    text = Path(report.split("report:", 1)[1].strip()).read_text()
    shown = ROW.findall(text)
    assert [row[0] for row in shown] == [r["factor"] for r in indices]
    for row, record in zip(shown, indices, strict=True):
        assert row[1:] == tuple(_num(record[key]) for key in ("S1", "S1_conf", "ST", "ST_conf"))

    # N = 16 is a small base sample: flagged in the JSON and on the page
    assert first["results"]["small_sample"] is True
    assert all(r["small_sample"] for r in indices)
    assert any(n.startswith("small sample: Sobol base sample N = 16 (below 64)")
               for n in first["results"]["notes"])
    assert "small sample: Sobol base sample N = 16 (below 64)" in text
