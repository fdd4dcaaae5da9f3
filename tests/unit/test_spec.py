"""Spec files: the binding shape, and errors that name the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ifsim.experiments.models import get_model
from ifsim.experiments.spec import SpecError, load_spec

GOOD = """
[experiment]
name = "demo"
scenario = "small"
steps = 4
replications = 2
seed = 1
[design]
kind = "{kind}"
samples = 4
[factors]
{factors}
[outcomes]
names = ["platforms_alive", "investor_losses_cents"]
"""
LEVELS = '"borrower.apply_prob_weekly" = [0.02, 0.04]\n"world.n_platforms" = [5, 8]'
RANGES = ('"borrower.apply_prob_weekly" = { low = 0.02, high = 0.06 }\n'
          '"macro.default_correlation" = { low = 0.0, high = 0.3 }')


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(text)
    return path


def check(path: Path):
    spec = load_spec(path)
    get_model(spec.model, str(path)).check(spec, str(path))
    return spec


@pytest.mark.parametrize("kind", ["factorial", "lhs", "sobol", "morris"])
def test_each_design_kind_loads(tmp_path: Path, kind: str) -> None:
    factors = LEVELS if kind == "factorial" else RANGES
    spec = check(write(tmp_path, GOOD.format(kind=kind, factors=factors)))
    assert spec.kind == kind and spec.replications == 2 and len(spec.factors) == 2
    assert spec.to_dict()["design"]["kind"] == kind


@pytest.mark.parametrize(("text", "message"), [
    (GOOD.format(kind="grid", factors=LEVELS), r"\[design\] kind: 'grid' is not a design "
                                               r"\(allowed: factorial, lhs, sobol, morris\)"),
    (GOOD.format(kind="factorial", factors='"borrower.nope" = [1, 2]'),
     r'\[factors\] "borrower.nope": unknown parameter'),
    (GOOD.format(kind="lhs", factors='"borrower.apply_prob_weekly" = { low = 0.5, high = 0.1 }'),
     r"bad range low=0.5, high=0.1"),
    (GOOD.format(kind="lhs", factors='"borrower.apply_prob_weekly" = { low = 0.1, high = 3.0 }'),
     r'"borrower.apply_prob_weekly": 3.0 is not allowed: .*must be >= 0 and <= 1'),
    (GOOD.format(kind="lhs", factors='"borrower.apply_prob_weekly" = [0.1, 0.2]'),
     r"a lhs design needs a range"),
    (GOOD.format(kind="factorial", factors='"platform.custody_share" = { low = 0, high = 1 }'),
     r"a factorial design needs a non-empty list of levels"),
    (GOOD.format(kind="factorial", factors='"roles.bank" = [1, 2]'),
     r"only numeric parameters can be factors"),
    (GOOD.format(kind="factorial", factors=LEVELS).replace("steps = 4\n", ""),
     r"\[experiment\] steps: missing"),
    (GOOD.format(kind="factorial", factors=LEVELS).replace('"platforms_alive", ', '"nope", '),
     r"\[outcomes\] names: 'nope' is not a model-level metric"),
    (GOOD.format(kind="factorial", factors=LEVELS).replace('scenario = "small"',
                                                           'scenario = "atlantis"'),
     r"\[experiment\] scenario: unknown scenario 'atlantis'"),
    (GOOD.format(kind="factorial", factors=LEVELS) + "\n[extra]\nx = 1\n",
     r"\[extra\]: unknown table"),
    (GOOD.format(kind="factorial", factors=LEVELS).replace("seed = 1", "seed = -1"),
     r"\[experiment\] seed: -1 is not allowed"),
    (GOOD.format(kind="lhs", factors=RANGES).replace("samples = 4", "samples = 0"),
     r"\[design\] samples: 0 is not allowed"),
    ("[experiment\nname=", r"malformed spec file"),
])
def test_spec_errors_name_file_key_and_what_is_allowed(tmp_path: Path, text: str,
                                                       message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(SpecError, match=message) as info:
        check(path)
    assert str(path) in str(info.value)


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="spec file not found"):
        load_spec(tmp_path / "nope.toml")


def test_shipped_example_specs_are_valid() -> None:
    from ifsim.experiments.commands import list_specs

    specs = list_specs()
    kinds = set()
    for path in specs:
        kinds.add(check(Path(path)).kind)
    assert kinds == {"factorial", "lhs", "sobol", "morris"}
