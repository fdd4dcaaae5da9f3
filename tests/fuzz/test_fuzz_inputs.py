"""Fuzzing the inputs a user hands ifsim: scenario files, spec files, command lines.

Hypothesis generates TOML scenario files (known and unknown sections and names, values
inside, at and beyond each parameter's range, of every TOML type, and plain garbage),
experiment spec files (the same for the spec's tables) and ``ifsim`` command lines (every
command, option and value kind, including empty, huge, negative and non-numeric ones).
Each goes through the ``ifsim`` entry point in this process. The contract (README,
"Commands"): every input ends either in success or in exit 2 with exactly one line on
stderr, ``ifsim: error: ...``; never a traceback, never another exception. A scenario
that is accepted must also build a (shrunk) world that runs two weeks with money
conserved.

Counts: ``FUZZ_EXAMPLES`` examples in all, 2,000 by default (the suite CI runs);
``IFSIM_FUZZ_EXAMPLES=10000 scripts/dev pytest tests/fuzz`` for a longer hunt. The
examples are derandomized, so a CI failure reproduces. Each test prints the classes of
errors its inputs met (``-s`` shows them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import math
import os
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ifsim.results.plots
from ifsim.ecosystem.errors import IfsimError
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params
from ifsim.experiments.cli import main
from ifsim.experiments.spec import load_spec

FUZZ_EXAMPLES = int(os.environ.get("IFSIM_FUZZ_EXAMPLES", "2000"))
SHARE = {"scenario": 0.4, "spec": 0.3, "argv": 0.3}
TINY = "[world]\nn_investors = 40\nn_borrowers = 20\nn_platforms = 3\n"


def _settings(kind: str):
    return settings(max_examples=max(1, int(FUZZ_EXAMPLES * SHARE[kind])), deadline=None,
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def _fields() -> list[tuple[str, str, dict]]:
    params = Params()
    out = []
    for section in params.to_dict():
        group = getattr(params, section)
        out += [(section, f.name, dict(f.metadata)) for f in dataclasses.fields(group)]
    return out


FIELDS = _fields()

# -- TOML text ---------------------------------------------------------------------------
def toml_value(value) -> str:
    """A Python value as TOML (enough of TOML for fuzzing; NaN and inf included)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):  # JSON strings are TOML strings, astral characters left raw
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{toml_value(k)} = {toml_value(v)}" for k, v in value.items()) \
            + "}"
    return json.dumps(str(value))


# TOML holds any Unicode scalar value, so surrogates are left out of generated strings
# (a file with one is refused as malformed, which the garbage inputs cover anyway).
texts = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
scalars = st.one_of(
    st.integers(-(2**70), 2**70), st.integers(-5, 5), st.floats(allow_nan=True),
    st.floats(-2, 2), st.booleans(), texts, st.just(""),
    st.sampled_from(["ifsim.agents.investor:Investor", "nosuch.module:X", ":", "2013-13-01",
                     "2014-01-06", "baseline"]))
values = st.one_of(scalars, st.lists(scalars, max_size=6), st.dictionaries(
    texts, scalars, max_size=3))


@st.composite
def near_range(draw, meta: dict):
    """A number inside, at or just beyond a parameter's range."""
    low = next((meta[k] for k in ("ge", "gt") if meta.get(k) is not None), None)
    high = next((meta[k] for k in ("le", "lt") if meta.get(k) is not None), None)
    anchors = [v for v in (low, high) if v is not None] or [0, 1]
    anchor = draw(st.sampled_from(anchors))
    delta = draw(st.sampled_from([0, 1e-9, -1e-9, 1, -1, 0.5]))
    value = anchor + delta
    return int(value) if float(value).is_integer() and draw(st.booleans()) else value


@st.composite
def scenario_text(draw) -> str:
    if draw(st.integers(0, 9)) == 0:     # garbage: not TOML, or not UTF-8-ish text
        return draw(st.text(max_size=200))  # surrogates too: refused as not UTF-8
    tables: dict[str, dict[str, str]] = {"world": {"n_investors": "40", "n_borrowers": "20",
                                                   "n_platforms": "3"}}
    for _ in range(draw(st.integers(0, 6))):
        if draw(st.integers(0, 7)) == 0:
            section, name, value = draw(texts), draw(texts), draw(values)
        else:
            section, name, meta = draw(st.sampled_from(FIELDS))
            value = draw(st.one_of(near_range(meta), near_range(meta), values)) \
                if meta.get("unit") != "class" else draw(values)
        tables.setdefault(section, {})[name] = toml_value(value)
    return "\n".join(f"[{toml_value(section)}]\n" + "\n".join(
        f"{toml_value(name)} = {value}" for name, value in body.items())
        for section, body in tables.items()) + "\n"


@st.composite
def spec_text(draw) -> str:
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=200))
    kind = draw(st.sampled_from(["factorial", "lhs", "sobol", "morris", "nosuch", ""]))
    experiment = {"name": draw(st.one_of(st.just("fuzz"), texts)),
                  "scenario": draw(st.sampled_from(["tiny.toml", "nosuch.toml", "small", ""])),
                  "steps": draw(st.one_of(st.integers(-2, 4), scalars)),
                  "replications": draw(st.one_of(st.integers(-1, 3), st.just(10**9), scalars)),
                  "seed": draw(st.one_of(st.integers(-3, 2**64), scalars))}
    design = {"kind": kind, "samples": draw(st.one_of(st.integers(-2, 8), st.just(10**9),
                                                      scalars))}
    factors = {}
    for _ in range(draw(st.integers(0, 3))):
        section, name, meta = draw(st.sampled_from(FIELDS))
        a, b = draw(near_range(meta)), draw(near_range(meta))
        factors[f"{section}.{name}"] = draw(st.sampled_from([
            [a, b], {"low": min(a, b), "high": max(a, b)}, {"low": a}, [], a]))
    outcomes = {"names": draw(st.one_of(st.just(["platforms_alive"]),
                                        st.lists(texts, max_size=2), scalars))}
    blocks = {"experiment": experiment, "design": design, "factors": factors,
              "outcomes": outcomes}
    if draw(st.integers(0, 5)) == 0:
        blocks[draw(texts)] = {"x": 1}
    drop = draw(st.sampled_from([None, "experiment", "design", "factors", "outcomes"]))
    return "\n".join(f"[{toml_value(table)}]\n" + "\n".join(f"{toml_value(k)} = {toml_value(v)}"
                                                for k, v in body.items())
                     for table, body in blocks.items() if table != drop) + "\n"


# -- running one input ----------------------------------------------------------------------
class Outcome:
    """The classes of errors met, for the summary a test prints."""

    def __init__(self) -> None:
        self.classes: Counter[str] = Counter()
        self.examples = 0

    def note(self, code: int, err: str) -> None:
        self.examples += 1
        if code == 0:
            self.classes["accepted"] += 1
            return
        lines = err.strip().splitlines() or [""]
        # under --debug the traceback comes first and the one error line last
        first = lines[-1] if lines[0].startswith("Traceback") else lines[0]
        # the error's kind: its text with names, numbers and quoted values blanked
        kind = re.sub(r"'[^']*'|\"[^\"]*\"|\S*[0-9]\S*|/\S+", "_", first)[:70]
        self.classes[kind] += 1

    def summary(self, what: str) -> str:
        top = "\n".join(f"  {n:5d}  {kind}" for kind, n in self.classes.most_common(15))
        return (f"\n{what}: {self.examples} inputs, {len(self.classes)} classes "
                f"(15 most common):\n{top}")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """``ifsim ARGV`` in this process: (exit code, stdout, stderr). Any exception other
    than SystemExit escapes, and fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors and --help/--version
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def assert_one_clean_line(code: int, err: str, argv) -> None:
    if "--debug" in argv:  # asked for: the traceback, then the same one line
        err = err.rsplit("\n", 2)[-2] + "\n" if "Traceback" in err else err
    assert "Traceback" not in err, f"{argv}: traceback\n{err}"
    if code != 0:
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2, f"{argv}: exit {code}\n{err}"
        assert len(lines) == 1 and lines[0].startswith("ifsim: error:"), f"{argv}:\n{err}"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch):
    """A scratch folder with a tiny scenario; figures are not drawn (seconds each)."""
    (tmp_path / "tiny.toml").write_text(TINY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(ifsim.results.plots, "save_figure", lambda fig, path: Path(path))
    return tmp_path


# -- the tests ----------------------------------------------------------------------------
def test_scenario_files_are_accepted_and_run_or_refused_in_one_line(workdir: Path) -> None:
    outcome = Outcome()
    path = workdir / "fuzzed.toml"

    @_settings("scenario")
    @given(scenario_text())
    def check(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        code, _, err = run_cli(["params", str(path), "--json"])
        assert_one_clean_line(code, err, text)
        outcome.note(code, err)
        if code == 0:   # accepted: it must also run, money conserved, in a tiny world
            from ifsim.ecosystem.scenario import load_scenario

            _, params = load_scenario(str(path), ["world.check_conservation=true"])
            try:
                model = EcosystemModel(params, seed=1)
            except IfsimError as exc:  # a role class that does not import: one clean line
                assert str(exc).startswith("roles")
                return
            model.run(2)

    check()
    print(outcome.summary("scenario files"))


def test_spec_files_are_refused_in_one_line_or_accepted(workdir: Path) -> None:
    outcome = Outcome()
    path = workdir / "fuzzed-spec.toml"

    @_settings("spec")
    @given(spec_text())
    def check(text: str) -> None:
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            spec = load_spec(path)
            points = max(spec.samples or 1, spec.levels ** len(spec.factors))
            small = spec.replications * points * (len(spec.factors) + 2) * spec.steps <= 40
        except IfsimError:
            small = True      # refused by the reader: the CLI must refuse it the same way
        if not small:         # a big valid sweep would simply run; its reading is checked
            outcome.note(0, "")
            return
        code, _, err = run_cli(["sweep", str(path), "--executor", "sequential", "--out",
                                str(workdir / "out")])
        assert_one_clean_line(code, err, text)
        outcome.note(code, err)

    check()
    print(outcome.summary("spec files"))


OPTION_VALUES = st.one_of(
    st.sampled_from(["", "-", "0", "-1", "1", "2", "9" * 25, "nan", "inf", "1e999", "1.5",
                     "sqlite://", "sqlite:///", "sqlite:///x.sqlite", "sqlite:///x.sqlite?mode=ro",
                     "postgresql+psycopg://nobody@127.0.0.1:1/none", "notaurl::", "baseline",
                     "small", "tiny.toml", "nosuch", "world.n_investors=5",
                     "world.n_investors=-5", "nosuch.x=1", "=", "csv", "parquet",
                     "timeseries", "events", "outcomes", "/proc/nope", "."]),
    texts)


def _options_by_command() -> dict[str, list[str]]:
    """Each sub-command's own options, read from the real parser, so new options are
    fuzzed as soon as they exist."""
    import argparse

    from ifsim.experiments.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {name: [o for a in parser._actions for o in a.option_strings
                   if o.startswith("--") and o != "--help"]
            for name, parser in sub.choices.items()}


OPTIONS = _options_by_command()
COMMANDS = [*OPTIONS, "--version", "--help", "nosuch", ""]
JUNK_OPTIONS = ["--nosuch", "--seed", "--db", "--json", "-"]
FLAGS = ("--json", "--quick", "--snapshots", "--help", "--debug", "--stale", "--reconcile")


@st.composite
def command_line(draw) -> list[str]:
    command = draw(st.sampled_from(COMMANDS))
    argv = [command] if command else []
    own = OPTIONS.get(command) or JUNK_OPTIONS
    for _ in range(draw(st.integers(0, 5))):
        option = draw(st.sampled_from(own if draw(st.integers(0, 9)) else JUNK_OPTIONS))
        argv.append(option)
        if option not in FLAGS or draw(st.integers(0, 4)) == 0:
            argv.append(draw(OPTION_VALUES))
        if draw(st.integers(0, 3)) == 0:
            argv.append(draw(OPTION_VALUES))          # a stray positional
    if command == "run":                              # keep any real run short and small
        argv += ["--steps", "1", "--set", "world.n_investors=40", "--set",
                 "world.n_borrowers=20", "--set", "world.n_platforms=3"]
    if command == "experiment":                       # a real experiment takes minutes
        argv = [a.replace("platform-types", "platform-typos") for a in argv]
    if command == "sweep":                            # only files that cannot be valid specs
        argv.insert(1, draw(st.sampled_from(["nosuch", "tiny.toml", "", "x.toml"])))
    return argv


def test_command_lines_end_in_success_or_one_line(workdir: Path) -> None:
    outcome = Outcome()
    run_cli(["run", "tiny.toml", "--steps", "1"])     # a stored run for replay/show/export

    @_settings("argv")
    @given(command_line())
    def check(argv: list[str]) -> None:
        if "--executor" in argv:                      # a Dask cluster would start: not here
            index = argv.index("--executor")
            argv[index + 1:index + 2] = ["sequential"]
        code, _, err = run_cli(argv)
        if "--help" in argv or "--version" in argv:  # may exit 0 before a later error
            assert code in (0, 2) and "Traceback" not in err, (argv, err)
            outcome.note(1, "help or version (exit 0 or 2)")
            return
        assert_one_clean_line(code, err, argv)
        outcome.note(code, err)

    check()
    print(outcome.summary("command lines"))
