"""Bad input to any command: exit 2, one line on stderr starting ``ifsim: error:``, no
traceback, and nothing created. Unexpected errors: one line, the traceback on --debug."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

import ifsim.results.plots
import ifsim.results.report
from ifsim.experiments import cli


@pytest.fixture(autouse=True)
def png_only(monkeypatch) -> None:
    """Figures as PNG only: their PDF and SVG copies are tested in test_plots and
    test_report, and cost about a second each."""
    monkeypatch.setattr(ifsim.results.plots, "FORMATS", ("png",))


TINY_SCENARIO = """
[scenario]
description = "tiny world"
[world]
n_investors = 40
n_borrowers = 20
n_platforms = 3
"""

SPEC = """
[experiment]
name = "{name}"
scenario = "{scenario}"
steps = 2
replications = 1
seed = 3
[design]
kind = "lhs"
samples = {samples}
[factors]
"borrower.apply_prob_weekly" = {{ low = 0.02, high = 0.06 }}
[outcomes]
names = ["platforms_alive", "arrears_rate"]
"""


def write_spec(folder: Path, name: str = "tiny", roles: str = "", samples: int = 2) -> Path:
    scenario = folder / f"{name}-scenario.toml"
    scenario.write_text(TINY_SCENARIO + (f"[roles]\n{roles}\n" if roles else ""))
    path = folder / f"{name}.toml"
    path.write_text(SPEC.format(name=name, scenario=scenario.name, samples=samples))
    return path


def one_line_error(capsys: pytest.CaptureFixture, code: int, expected: int = 2) -> str:
    """The command's only stderr line, after checking the exit and the shape."""
    err = capsys.readouterr().err
    assert code == expected, err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("ifsim: error:"), err
    return lines[0]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current directory; a command given bad input must leave it empty."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture(scope="module")
def store_with_experiment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An output folder whose store holds one small experiment (run in this process)."""
    folder = tmp_path_factory.mktemp("stored")
    spec = write_spec(folder)
    assert cli.main(["sweep", str(spec), "--executor", "sequential",
                     "--out", str(folder / "out")]) == 0
    return folder / "out"


# -- ifsim sweep / experiment ----------------------------------------------------------
@pytest.mark.parametrize("workers", ["0", "-3", "100000"])
@pytest.mark.parametrize("command", ["sweep", "experiment"])
def test_workers_out_of_range_are_refused(here: Path, capsys, command: str,
                                          workers: str) -> None:
    target = str(write_spec(here)) if command == "sweep" else "platform-types"
    before = set(here.iterdir())
    line = one_line_error(capsys, cli.main([command, target, "--workers", workers]))
    assert f"--workers {workers}: must be between 1 and" in line
    assert set(here.iterdir()) == before


def test_an_invalid_scheduler_address_is_refused(here: Path, capsys) -> None:
    spec = write_spec(here)
    line = one_line_error(capsys, cli.main(["sweep", str(spec), "--executor", "dask",
                                            "--scheduler", "notaurl::"]))
    assert "--scheduler 'notaurl::': not a Dask scheduler address" in line
    assert not (here / "ifsim-output").exists()


def test_a_scheduler_without_the_dask_executor_is_refused_not_ignored(here: Path,
                                                                       capsys) -> None:
    spec = write_spec(here)
    line = one_line_error(capsys, cli.main(["sweep", str(spec), "--scheduler",
                                            "tcp://127.0.0.1:8786"]))
    assert "--scheduler is only used with --executor dask" in line
    assert not (here / "ifsim-output").exists()


def test_a_bad_roles_class_in_the_specs_scenario_stops_the_sweep_before_it_starts(
        here: Path, capsys) -> None:
    spec = write_spec(here, roles='platform = "ifsim.agents.platform:NoSuchPlatform"')
    line = one_line_error(capsys, cli.main(["sweep", str(spec), "--executor", "sequential"]))
    assert str(spec) in line and "NoSuchPlatform" in line
    assert not (here / "ifsim-output").exists()


def test_a_sweep_whose_every_run_fails_lists_its_failed_runs(here: Path, capsys) -> None:
    # a platform subclass (so the check passes) that cannot be built: every run raises
    spec = write_spec(here, name="allfail", roles='platform = "conftest:BrokenPlatform"',
                      samples=3)
    code = cli.main(["sweep", str(spec), "--executor", "sequential"])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err + captured.out
    assert "0/3 runs done, 3 failed" in captured.out
    failures = captured.err.splitlines()
    assert failures == [f"ifsim: run {n} failed: RuntimeError: this platform cannot be built"
                        for n in (1, 2, 3)]


# -- ifsim replay / show / export: ids -------------------------------------------------
@pytest.mark.parametrize("run_id", [str(2**63), str(2**70), "-1", "0", "abc"])
@pytest.mark.parametrize("command", [["replay"], ["show"], ["export", "timeseries", "--run"]])
def test_run_ids_out_of_range_are_refused(here: Path, capsys, command: list[str],
                                          run_id: str) -> None:
    line = one_line_error(capsys, cli.main([*command, run_id]))
    assert "run id" in line
    assert not any(here.iterdir())


# -- empty names and paths -------------------------------------------------------------
@pytest.mark.parametrize("argv", [
    ["run", "--out", ""], ["sweep", "SPEC", "--out", ""], ["report", "--out", ""],
    ["replay", "1", "--out", ""], ["runs", "--out", " "], ["run", "--db", ""],
    ["sweep", "SPEC", "--db", ""], ["report", "--experiment", ""],
    ["runs", "--experiment", ""], ["export", "outcomes", "--experiment", ""],
    ["export", "outcomes", "--to", ""],
], ids=lambda argv: " ".join(a or "''" for a in argv))
def test_empty_names_and_paths_are_refused(here: Path, capsys, argv: list[str]) -> None:
    spec = write_spec(here)
    before = set(here.iterdir())
    argv = [str(spec) if a == "SPEC" else a for a in argv]
    line = one_line_error(capsys, cli.main(argv))
    assert "must not be empty" in line or "must name a folder" in line
    assert set(here.iterdir()) == before  # in particular no ifsim.sqlite in the cwd


def test_a_seed_beyond_64_bits_is_refused_before_anything_is_stored(here: Path,
                                                                     capsys) -> None:
    line = one_line_error(capsys, cli.main(["run", "--seed", str(2**64), "--steps", "1"]))
    assert "--seed" in line
    assert not any(here.iterdir())


# -- ifsim report ----------------------------------------------------------------------
def _read_only_folder(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes through permissions; sysfs refuses even root
        return Path("/sys/ifsim-test-report")
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    return folder


def test_report_into_a_read_only_folder_is_one_line(store_with_experiment: Path,
                                                    tmp_path: Path, capsys) -> None:
    out = _read_only_folder(tmp_path)
    db = f"sqlite:///{store_with_experiment / 'ifsim.sqlite'}"
    line = one_line_error(capsys, cli.main(["report", "--db", db, "--out", str(out)]))
    assert f"cannot write the report under {out / 'reports'}" in line
    assert not (out / "reports").exists()


def test_a_report_that_fails_half_way_leaves_nothing_behind(
        store_with_experiment: Path, tmp_path: Path, capsys,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(self) -> str:
        (self.directory / "half.png").write_bytes(b"\x89PNG")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ifsim.results.report._Report, "build", disk_full)
    db = f"sqlite:///{store_with_experiment / 'ifsim.sqlite'}"
    out = tmp_path / "full"
    line = one_line_error(capsys, cli.main(["report", "--db", db, "--out", str(out)]))
    assert "No space left on device; no report was written" in line
    assert list((out / "reports").iterdir()) == []


def test_report_replaces_an_older_report_whole(store_with_experiment: Path,
                                               capsys) -> None:
    for _ in range(2):
        assert cli.main(["report", "--out", str(store_with_experiment)]) == 0
    page = Path(capsys.readouterr().out.splitlines()[-1].split("report: ", 1)[1])
    assert page.is_file()
    assert sorted(p.name for p in page.parent.parent.iterdir()) == ["tiny"]


# -- unexpected errors -----------------------------------------------------------------
def test_an_unexpected_error_is_one_line_and_the_traceback_comes_with_debug(
        capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_args) -> int:
        raise RuntimeError("something inside broke")

    monkeypatch.setattr(cli, "cmd_list", broken)
    line = one_line_error(capsys, cli.main(["list"]), expected=1)
    assert line == ("ifsim: error: list: unexpected RuntimeError: something inside broke "
                    "(run with --debug for the traceback)")
    for argv in (["--debug", "list"], ["list", "--debug"]):
        assert cli.main(argv) == 1
        err = capsys.readouterr().err
        assert "Traceback" in err and "something inside broke" in err
        assert err.splitlines()[-1] == ("ifsim: error: list: unexpected RuntimeError: "
                                        "something inside broke")
