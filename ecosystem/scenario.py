"""Scenarios as data: TOML files of parameter overrides, plus ``--set`` overrides.

A scenario file has one table per parameter section (``[world]``, ``[borrower]``, ...) and
an optional ``[scenario]`` table with a ``description``. Anything not given keeps the
default in :mod:`ifsim.ecosystem.params`.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ifsim.ecosystem.errors import ParameterError, ScenarioError
from ifsim.ecosystem.params import Params
from ifsim.ecosystem.paths import resolve_reference

SCENARIO_DIR = Path(__file__).parent / "scenarios"


def list_scenarios() -> dict[str, str]:
    """Names and one-line descriptions of the scenarios shipped in ``ecosystem/scenarios``."""
    out = {}
    for path in sorted(SCENARIO_DIR.glob("*.toml")):
        data = _read_toml(path)
        out[path.stem] = str(data.get("scenario", {}).get("description", ""))
    return out


def scenario_path(name_or_path: str) -> Path:
    """Resolve a scenario name (shipped) or a path to a TOML file."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_file():
            raise ScenarioError(f"scenario file not found: {candidate}")
        return candidate
    shipped = SCENARIO_DIR / f"{name_or_path}.toml"
    if not shipped.is_file():
        known = ", ".join(list_scenarios())
        raise ScenarioError(f"unknown scenario '{name_or_path}' (known: {known}; "
                            f"or give a path to a .toml file)")
    return shipped


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into a ScenarioError naming the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"malformed scenario file {path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"malformed scenario file {path}: not UTF-8 text ({exc.reason} "
                            f"at byte {exc.start})") from None
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror}") from None


def parse_override(text: str) -> tuple[str, str, Any]:
    """Parse ``section.name=value``; the value is read as a TOML value, else as a string."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or key.count(".") != 1 or not all(key.split(".")):
        raise ParameterError(f"--set '{text}': expected section.name=value, "
                             f"for example borrower.apply_prob_weekly=0.05")
    section, name = key.split(".")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return section, name, value


def load_scenario(name_or_path: str = "baseline", overrides: list[str] | None = None,
                  ) -> tuple[str, Params]:
    """Load a scenario and apply ``--set`` overrides.

    Returns:
        The scenario's name and its validated parameters.

    Raises:
        ScenarioError: the file is missing or malformed.
        ParameterError: a name is unknown or a value is not allowed.
    """
    path = scenario_path(name_or_path)
    data = _read_toml(path)
    data.pop("scenario", None)
    try:
        resolve_series(data, path.parent)
        params = Params.from_dict(data)
    except ParameterError as exc:
        raise ParameterError(f"{path.name}: {exc}") from None
    return path.stem, apply_overrides(params, overrides or [])


def resolve_series(data: dict[str, Any], base_dir: Path) -> None:
    """Make the dated series a scenario names (``macro.*_path``) absolute, from the
    directory of the file that names them (``ecosystem/paths.py``), in place."""
    macro = data.get("macro")
    if not isinstance(macro, dict):
        return
    for name, value in macro.items():
        if name.endswith("_path") and isinstance(value, str) and value:
            try:
                macro[name] = resolve_reference(value, base_dir)
            except ParameterError as exc:
                raise ParameterError(f"macro.{name} = {value!r}: {exc}") from None


def apply_overrides(params: Params, overrides: list[str]) -> Params:
    """Apply ``--set section.name=value`` overrides, in order, to valid parameters."""
    if not overrides:
        return params
    data = params.to_dict()
    for text in overrides:
        section, name, value = parse_override(text)
        if section not in data:
            raise ParameterError(f"--set '{text}': unknown parameter section '{section}' "
                                 f"(known: {', '.join(data)})")
        data[section][name] = value
    try:
        resolve_series(data, Path.cwd())
        return Params.from_dict(data)
    except ParameterError as exc:
        raise ParameterError(f"--set: {exc}") from None
