"""End-to-end tests of the ``ifsim`` command line (docs/design.md section 7).

Every command runs as a real subprocess, ``python -m ifsim.experiments.cli``, in a directory of
its own. Starting the interpreter and importing the model takes about two seconds per
command, so the independent commands are all handed to worker threads when the module
starts (see :class:`Background`) and each test collects the results it checks; only the
interruption tests, which must send a signal at the right moment, run their command in
the test itself. Every run is tiny: 8 weeks of 300 investors, 150 borrowers, 6 platforms.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ifsim.results import RunStore

CLI = [sys.executable, "-m", "ifsim.experiments.cli"]
TINY_WORLD = ("--set", "world.n_investors=300", "--set", "world.n_borrowers=150",
              "--set", "world.n_platforms=6")
TINY = ("--steps", "8", *TINY_WORLD)
STEPS = 8
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
RUN_KEYS = {"run_id", "seed", "steps", "db", "wall_seconds", "summary", "figure",
            "overrides"}
PARAM_KEYS = {"name", "default", "value", "unit", "description", "range", "source"}
TINY_OVERRIDES = {"world.n_borrowers": 150, "world.n_investors": 300, "world.n_platforms": 6}
PD_OVERRIDE = "borrower.pd_annual_mean=0.15"
SCENARIOS = {"baseline", "large", "macro_shock"}
UNREACHABLE_DB = "postgresql+psycopg://nobody@127.0.0.1:1/none"
COMMAND_TIMEOUT = 120  # seconds for one command; a tiny run takes about four
START_TIMEOUT = 60  # seconds for an interruptible run to be recorded as running
WORKERS = max(2, os.cpu_count() or 2)


def cli_env() -> dict[str, str]:
    """The environment of this process without PYTHONPATH: the package is installed."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def ifsim(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``ifsim ARGS`` in ``cwd`` and return its exit code and output."""
    return subprocess.run([*CLI, *args], cwd=cwd, env=cli_env(), capture_output=True,
                          text=True, timeout=COMMAND_TIMEOUT, check=False)


def sqlite_store(db_file: Path) -> RunStore:
    """Open an existing SQLite run store without creating its directory."""
    assert db_file.is_file(), f"no database at {db_file}"
    return RunStore(f"sqlite:///{db_file}")


def done_runs(db_file: Path) -> int:
    """Number of runs marked done in ``db_file`` (0 when there is no database)."""
    if not db_file.exists():
        return 0
    with sqlite_store(db_file) as store:
        return len(store.list_runs(status="done"))


def flat(params: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``{section: {name: value}}`` as ``{"section.name": value}``."""
    return {f"{section}.{name}": value
            for section, group in params.items() for name, value in group.items()}


# -- commands started in the background -----------------------------------------------
class Background:
    """Runs jobs (functions of a fresh working directory) in worker threads."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="ifsim")
        self._jobs: dict[str, tuple[Path, Future[Any]]] = {}

    def submit(self, key: str, job: Callable[[Path], Any],
               setup: Callable[[Path], None] | None = None) -> None:
        """Start ``job(cwd)`` in a new directory, after ``setup(cwd)`` if given."""
        cwd = self._root / key
        cwd.mkdir()
        if setup is not None:
            setup(cwd)
        self._jobs[key] = (cwd, self._pool.submit(job, cwd))

    def result(self, key: str) -> tuple[Path, Any]:
        """The job's working directory and what it returned (waiting for it)."""
        cwd, future = self._jobs[key]
        return cwd, future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def command(*args: str) -> Callable[[Path], subprocess.CompletedProcess[str]]:
    """A job that runs one ``ifsim`` command."""
    return lambda cwd: ifsim(cwd, *args)


def run_then_replay(cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """A text run with one more override than the tiny world, then its replay."""
    run = ifsim(cwd, "run", *TINY, "--set", PD_OVERRIDE, "--out", "out")
    return [run, ifsim(cwd, "replay", "1", "--out", "out")]


def run_twice(cwd: Path) -> list[subprocess.CompletedProcess[str]]:
    """The same run (seed 7) twice, one after the other, into the same output directory."""
    return [ifsim(cwd, "run", "--seed", "7", "--json", *TINY, "--out", "out")
            for _ in range(2)]


@dataclass(frozen=True)
class BadInput:
    """An ``ifsim run`` that must be refused, and what its message must name."""

    id: str
    args: tuple[str, ...]
    mentions: tuple[str, ...]
    out: str = "out"
    setup: Callable[[Path], None] | None = None

    def command(self) -> list[str]:
        """The full command: tiny world, 8 steps and --out unless the case sets them."""
        steps = () if "--steps" in self.args else ("--steps", str(STEPS))
        return ["run", *TINY_WORLD, *steps, "--out", self.out, *self.args]


def write_malformed_toml(cwd: Path) -> None:
    (cwd / "bad.toml").write_text("[world\nn_investors = ")


def write_latin1_toml(cwd: Path) -> None:
    (cwd / "latin.toml").write_bytes(b"[world]\nn_investors = 300\n# \xff\xfe\n")


def make_regular_file(cwd: Path) -> None:
    (cwd / "afile").write_text("a regular file, not a directory\n")


BAD_INPUTS = [
    BadInput("negative-count", ("--set", "world.n_investors=-5"),
             ("world.n_investors", "-5")),
    BadInput("unknown-name", ("--set", "world.no_such_key=1"), ("no_such_key",)),
    BadInput("not-a-number", ("--set", "world.n_investors=abc"),
             ("n_investors", "whole number")),
    BadInput("set-without-equals", ("--set", "nonsense"), ("nonsense",)),
    BadInput("malformed-scenario", ("bad.toml",), ("bad.toml",), setup=write_malformed_toml),
    BadInput("not-utf8-scenario", ("latin.toml",), ("latin.toml", "UTF-8"),
             setup=write_latin1_toml),
    BadInput("unknown-scenario", ("no_such_scenario",), ("no_such_scenario",)),
    BadInput("unknown-agent-class", ("--set", "roles.investor=nosuch:Thing"),
             ("nosuch:Thing",)),
    BadInput("steps-not-a-number", ("--steps", "abc"), ("--steps", "abc")),
    BadInput("out-under-a-file", (), ("afile/sub",), out="afile/sub", setup=make_regular_file),
    BadInput("zero-steps", ("--steps", "0"), ("steps",)),
    BadInput("negative-seed", ("--seed", "-1"), ("seed", "-1")),
    BadInput("unreachable-db", ("--db", UNREACHABLE_DB), (UNREACHABLE_DB,)),
]

HELP_COMMANDS = {"ifsim": (), "run": ("run",)}


@pytest.fixture(scope="module", autouse=True)
def background(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Background]:
    """Start every independent command of this module at once, in the order used."""
    jobs = Background(tmp_path_factory.mktemp("cli"))
    jobs.submit("run-seed7-twice", run_twice)
    jobs.submit("params-overridden", command("params", "baseline", *TINY_WORLD,
                                             "--set", f"world.steps={STEPS}", "--json"))
    jobs.submit("run-text-seed8", command("run", "--seed", "8", *TINY))
    jobs.submit("run-overridden-replay", run_then_replay)
    jobs.submit("params-small", command("params", "small", "--set", "world.steps=8"))
    for case in BAD_INPUTS:
        jobs.submit(f"bad-{case.id}", command(*case.command()), setup=case.setup)
    jobs.submit("params-json", command("params", "--json"))
    jobs.submit("params-text", command("params"))
    jobs.submit("list", command("list"))
    for name, args in HELP_COMMANDS.items():
        jobs.submit(f"help-{name}", command(*args, "--help"))
    yield jobs
    jobs.close()


# -- ifsim run --------------------------------------------------------------------------
def run_payload(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON object a successful ``ifsim run --json`` prints."""
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", "progress or warnings on stderr although it is not a terminal"
    payload = json.loads(proc.stdout)  # fails on anything but exactly one JSON value
    assert isinstance(payload, dict), proc.stdout
    assert set(payload) >= RUN_KEYS, f"missing keys {RUN_KEYS - set(payload)}"
    return payload


def test_run_json_is_reproducible_and_stored(background: Background) -> None:
    cwd, procs = background.result("run-seed7-twice")
    first, second = (run_payload(proc) for proc in procs)
    _, params_proc = background.result("params-overridden")
    assert params_proc.returncode == 0, params_proc.stderr
    expected_params = {row["name"]: row["value"] for row in json.loads(params_proc.stdout)}

    assert first["summary"] == second["summary"]
    assert first["run_id"] != second["run_id"]
    assert first["db"] == second["db"]
    assert first["figure"] != second["figure"], "the second run overwrote the first figure"
    db_file = cwd / "out" / "ifsim.sqlite"
    assert db_file.is_file()

    with RunStore(first["db"]) as store:
        assert len(store.list_runs()) == 2
        for payload in (first, second):
            assert payload["seed"] == 7
            assert payload["steps"] == STEPS
            assert isinstance(payload["wall_seconds"], int | float)
            assert payload["wall_seconds"] >= 0
            figure = cwd / payload["figure"]  # an absolute path stays as it is
            assert figure.suffix == ".png"
            assert figure.read_bytes().startswith(PNG_SIGNATURE)

            run = store.get_run(payload["run_id"])
            assert run["status"] == "done"
            assert run["seed"] == 7
            assert run["steps"] == STEPS
            assert run["params"]["world"]["n_investors"] == 300
            assert run["params"]["world"]["steps"] == STEPS
            assert flat(run["params"]) == expected_params
            assert run["summary"] == payload["summary"]
            assert run["overrides"] == payload["overrides"] == TINY_OVERRIDES

            timeseries = store.timeseries(payload["run_id"])
            assert len(timeseries) == STEPS
            assert list(timeseries["step"]) == list(range(1, STEPS + 1))
            events = store.events(payload["run_id"])
            assert len(events) == payload["summary"]["events"]


def stored_text_run(background: Background) -> tuple[Path, str, dict[str, Any]]:
    """The human-readable run (seed 8, no --out): its directory, stdout and stored record."""
    cwd, proc = background.result("run-text-seed8")
    assert proc.returncode == 0, proc.stderr
    db_file = cwd / "ifsim-output" / "ifsim.sqlite"  # the default (docs/design.md section 7)
    with sqlite_store(db_file) as store:
        runs = store.list_runs()
        assert len(runs) == 1
        run = store.get_run(int(runs["id"].iloc[0]))
    assert run["status"] == "done"
    return cwd, proc.stdout, run


def test_run_with_another_seed_differs(background: Background) -> None:
    _, procs = background.result("run-seed7-twice")
    seed7 = run_payload(procs[0])
    _, _, seed8 = stored_text_run(background)
    assert seed8["seed"] == 8
    assert seed8["summary"] != seed7["summary"]


def test_run_text_names_database_and_figure(background: Background) -> None:
    cwd, stdout, run = stored_text_run(background)
    lines = stdout.splitlines()
    database = [line for line in lines if line.startswith("database:")]
    figure = [line for line in lines if line.startswith("figure:")]
    assert len(database) == 1, stdout
    assert len(figure) == 1, stdout

    db_file = (cwd / "ifsim-output" / "ifsim.sqlite").resolve()
    assert database[0].removeprefix("database:").strip().endswith(str(db_file)), database[0]
    figure_path = cwd / figure[0].removeprefix("figure:").strip()
    assert figure_path.suffix == ".png"
    assert figure_path.read_bytes().startswith(PNG_SIGNATURE)
    assert f"run {run['id']}" in stdout


def test_run_with_overrides_is_labelled_and_replays(background: Background) -> None:
    cwd, (run, replay) = background.result("run-overridden-replay")
    assert run.returncode == 0, run.stderr
    header = run.stdout.splitlines()[0]
    assert header.startswith("run 1: baseline (+4 overrides: "), header
    assert f"{PD_OVERRIDE}," in header, header
    assert "world.n_investors=300" in header, header
    with sqlite_store(cwd / "out" / "ifsim.sqlite") as store:
        run_record = store.get_run(1)
    assert run_record["overrides"] == {"borrower.pd_annual_mean": 0.15, **TINY_OVERRIDES}
    assert run_record["params"]["borrower"]["pd_annual_mean"] == 0.15
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert replay.stdout.strip() == "run 1: identical"


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.id for case in BAD_INPUTS])
def test_run_refuses_bad_input_in_one_line(background: Background, case: BadInput) -> None:
    cwd, proc = background.result(f"bad-{case.id}")
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ifsim: error:"), lines[0]
    assert lines[0].removeprefix("ifsim: error:").strip(), "empty error message"
    for word in case.mentions:
        assert word in lines[0], f"{word!r} not named in {lines[0]!r}"
    assert done_runs(cwd / case.out / "ifsim.sqlite") == 0


# -- interruption -----------------------------------------------------------------------
@contextmanager
def sigint_not_ignored() -> Iterator[None]:
    """Start children with SIGINT at its default, as after Ctrl-C in a terminal.

    A process started in the background by a shell without job control ignores SIGINT,
    and its children inherit that; a Python handler here is reset to the default in them.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if previous is signal.SIG_IGN:
            signal.signal(signal.SIGINT, previous)


def wait_for_running_run(proc: subprocess.Popen[str], db_file: Path) -> int:
    """Poll the store until a run is recorded as running; return its id."""
    deadline = time.monotonic() + START_TIMEOUT
    while not db_file.exists():
        assert proc.poll() is None, f"ifsim exited early: {proc.communicate()}"
        assert time.monotonic() < deadline, f"no database at {db_file}"
        time.sleep(0.05)
    with sqlite_store(db_file) as store:
        while True:
            running = store.list_runs(status="running")
            if len(running):
                return int(running["id"].iloc[0])
            assert proc.poll() is None, f"ifsim exited early: {proc.communicate()}"
            assert time.monotonic() < deadline, "no run was recorded as running"
            time.sleep(0.05)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_interrupted_run_is_marked_failed(tmp_path: Path, signum: signal.Signals) -> None:
    db_file = tmp_path / "out" / "ifsim.sqlite"
    with sigint_not_ignored():
        proc = subprocess.Popen(
            [*CLI, "run", "--steps", "2600", "--json", "--out", "out", *TINY_WORLD],
            cwd=tmp_path, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
    try:
        run_id = wait_for_running_run(proc, db_file)
        proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=COMMAND_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 128 + signum, stderr  # 143 SIGTERM, 130 SIGINT
    assert "Traceback" not in stderr, stderr
    assert "result NOT stored" in stderr and stderr.count("\n") == 1, stderr
    with sqlite_store(db_file) as store:
        run = store.get_run(run_id)
        assert len(store.list_runs()) == 1
    assert run["status"] == "failed"
    assert "interrupted" in run["error"]


# -- ifsim params / list / --help -------------------------------------------------------
def params_rows(proc: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert isinstance(rows, list), proc.stdout
    assert rows, "no parameters listed"
    return rows


def test_params_json_lists_every_parameter(background: Background) -> None:
    _, proc = background.result("params-json")
    rows = params_rows(proc)
    for row in rows:
        assert set(row) == PARAM_KEYS, row
        for key in ("name", "unit", "description"):
            assert isinstance(row[key], str), row
            assert row[key].strip(), row
        assert re.fullmatch(r"[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*", row["name"]), row
    names = [row["name"] for row in rows]
    assert len(names) == len(set(names)), "duplicate parameter names"
    assert {"world.n_investors", "borrower.apply_prob_weekly",
            "platform.rate_cap_annual"} <= set(names)


def test_params_show_scenario_and_overrides(background: Background) -> None:
    # The same command that gives test_run_json_is_reproducible_and_stored its expected
    # parameters (one command fewer): baseline with the tiny world and 8 steps.
    _, defaults = background.result("params-json")
    _, proc = background.result("params-overridden")
    rows = params_rows(proc)
    assert [row["name"] for row in rows] == [row["name"] for row in params_rows(defaults)]
    shown = {row["name"]: row["value"] for row in rows}
    assert shown["world.n_investors"] == 300
    assert shown["world.n_borrowers"] == 150
    assert shown["world.n_platforms"] == 6
    assert shown["world.steps"] == STEPS
    built_in = {row["name"]: row["default"] for row in params_rows(defaults)}
    assert built_in["world.n_investors"] != 300, "the override changed nothing visible"
    assert {row["name"]: row["default"] for row in rows} == built_in, \
        "'default' must stay the package default whatever the scenario sets"
    assert all(row["value"] == row["default"] for row in params_rows(defaults))


def test_params_text_prints_one_line_per_parameter(background: Background) -> None:
    _, defaults = background.result("params-json")
    _, proc = background.result("params-text")
    assert proc.returncode == 0, proc.stderr
    names = [row["name"] for row in params_rows(defaults)]
    lines = proc.stdout.splitlines()
    assert len(lines) == len(names), proc.stdout
    assert [line.split()[0] for line in lines] == names


def test_params_text_marks_what_the_scenario_changes(background: Background) -> None:
    _, proc = background.result("params-small")
    assert proc.returncode == 0, proc.stderr
    marked = {line.split()[0]: line for line in proc.stdout.splitlines()
              if line.split()[1] == "*"}
    assert set(marked) == {"world.n_investors", "world.n_borrowers", "world.n_platforms",
                           "world.population_scale", "world.steps"}, proc.stdout
    assert "1000 (default 10000)" in marked["world.n_investors"]
    assert "8 (default 260)" in marked["world.steps"]


def test_list_names_the_shipped_scenarios(background: Background) -> None:
    _, proc = background.result("list")
    assert proc.returncode == 0, proc.stderr
    words = {line.split()[0] for line in proc.stdout.splitlines() if line.strip()}
    assert words >= SCENARIOS, proc.stdout


@pytest.mark.parametrize("name", list(HELP_COMMANDS))
def test_help_exits_zero(background: Background, name: str) -> None:
    _, proc = background.result(f"help-{name}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: ifsim"), proc.stdout
    if name == "run":
        for option in ("--seed", "--steps", "--set", "--out", "--json"):
            assert option in proc.stdout, option
