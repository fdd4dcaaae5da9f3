"""The parameter reference, ``docs/parameters.md``, generated from the parameter dataclasses.

Every row comes from a field of :mod:`ifsim.ecosystem.params` (through
:func:`~ifsim.ecosystem.params.describe`), so the reference cannot drift from the code;
``tests/unit/test_docs.py`` fails when the file is stale. Regenerate it with::

    python -m ifsim.ecosystem.param_reference > docs/parameters.md
"""

from __future__ import annotations

import json
from typing import Any

from ifsim.ecosystem.params import GROUPS, describe

COMMAND = "python -m ifsim.ecosystem.param_reference > docs/parameters.md"

HEADER = f"""# Parameter reference

<!-- Generated from ecosystem/params.py by `{COMMAND}`.
     Do not edit by hand: change the field in ecosystem/params.py and regenerate. -->

Every parameter of a run, by section, as a scenario file or `--set section.name=value`
names it. Generated from the parameter dataclasses in `ecosystem/params.py`; a test fails
when this file is out of step with the code. Regenerate it with

    {COMMAND}

`ifsim params --json` prints the same rows with a scenario's values.

- **Default**: the package default, as it is written in a scenario file (TOML). Shipped
  scenarios override a few (`ecosystem/scenarios/*.toml`).
- **Unit**: money is integer cents of the model population (100 cents = 1 yuan); rates
  are annual unless the name says `weekly`; one step is one week.
- **Range**: what validation accepts; anything else is refused with a message naming
  the field. For caps and levers 0 means "off".
- **Source**: where the default comes from: a fact in `docs/data/` (with its own
  sources in `docs/data/SOURCES.md`), a source document ("source 000" to "source 004")
  or a paper or rule in [the bibliography](bibliography.md), a calibration, or "free
  parameter" where nothing pins it down and calibration should choose it.

How each parameter acts in the model is described, mechanism by mechanism, in
[the ODD description](odd.md), section 7 (Submodels).
"""

COLUMNS = ("Name", "Default", "Unit", "Range", "Meaning", "Source")


def cell(text: Any) -> str:
    """Text that is safe inside a markdown table cell (pipes escaped, one line)."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def toml_value(value: Any) -> str:
    """A default as one would write it in a scenario file."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10_000:
        return f"{value:_}"  # TOML reads 1_000_000 as 1000000; easier to count
    return json.dumps(value)


def section_table(section: str, rows: list[dict[str, Any]]) -> str:
    """One section: its heading, its dataclass's one-line summary and a table."""
    summary = (GROUPS[section].__doc__ or "").strip().splitlines()[0]
    lines = [f"## `{section}`", "", summary, "",
             "| " + " | ".join(COLUMNS) + " |",
             "|" + "---|" * len(COLUMNS)]
    for row in rows:
        values = (f"`{row['name']}`", f"`{toml_value(row['default'])}`", row["unit"],
                  row["range"], row["description"], row["source"])
        lines.append("| " + " | ".join(cell(v) for v in values) + " |")
    return "\n".join(lines) + "\n"


def reference_markdown() -> str:
    """The whole of ``docs/parameters.md``."""
    rows = describe()
    parts = [HEADER]
    for section in GROUPS:
        mine = [r for r in rows if r["name"].split(".", 1)[0] == section]
        parts.append(section_table(section, mine))
    return "\n".join(parts)


def main() -> None:
    """Print the reference (redirect it into docs/parameters.md)."""
    print(reference_markdown(), end="")


if __name__ == "__main__":
    main()
