"""The model documented inside the project: docs/odd.md, docs/parameters.md and
docs/bibliography.md stay in step with the code, and nothing points outside the project.

- the parameter reference lists every parameter, is exactly what the generator makes
  from ``ecosystem/params.py`` now, and every parameter says where its default comes from;
- the ODD description has the protocol's sections, names every module that holds a
  mechanism, every phase of the weekly timetable and only parameters that exist;
- every citation in the code and the docs (source documents, author-year references,
  links to bibliography entries) resolves to an entry of the bibliography;
- no file refers to the sibling folder of shared notes the project was built from,
  except DEVELOPERS.md.
"""

from __future__ import annotations

import inspect
import os
import re
from pathlib import Path

import pytest

from ifsim.ecosystem import param_reference
from ifsim.ecosystem.model import EXTERNAL_ACCOUNTS, EcosystemModel
from ifsim.ecosystem.params import GROUPS, describe

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
ODD = DOCS / "odd.md"
PARAMETERS = DOCS / "parameters.md"
BIBLIOGRAPHY = DOCS / "bibliography.md"

# Modules in ecosystem/ and agents/ that hold a mechanism of the model: the ODD must name
# each one (as a path). Every other module must be listed in SUPPORT_MODULES, so a new
# module forces a decision on whether the ODD has to describe it.
MECHANISM_MODULES = {
    "ecosystem/campaigns.py", "ecosystem/claims.py", "ecosystem/closure.py",
    "ecosystem/entry.py", "ecosystem/diamond_dybvig.py", "ecosystem/bond_market.py",
    "ecosystem/exits.py", "ecosystem/holdings.py", "ecosystem/products.py",
    "ecosystem/incidents.py", "ecosystem/ledger.py", "ecosystem/loans.py",
    "ecosystem/macro.py", "ecosystem/markets.py", "ecosystem/model.py",
    "ecosystem/money.py", "ecosystem/shocks.py", "ecosystem/waterfall.py",
    "agents/bank.py", "agents/borrower.py", "agents/guarantor.py", "agents/investor.py",
    "agents/mmf.py", "agents/payment_firm.py", "agents/platform.py", "agents/regulator.py",
    "agents/investor_views.py", "ecosystem/social_network.py", "ecosystem/protection.py",
}
# Plumbing, observation and configuration: no behaviour of their own to describe.
SUPPORT_MODULES = {
    "ecosystem/__init__.py", "ecosystem/agent_reporters.py", "ecosystem/contracts.py",
    "ecosystem/errors.py", "ecosystem/events.py", "ecosystem/metrics.py",
    "ecosystem/param_reference.py", "ecosystem/params.py", "ecosystem/paths.py",
    "ecosystem/scenario.py", "ecosystem/run_measures.py",
    "ecosystem/snapshots.py", "agents/__init__.py",
}
ODD_SECTIONS = ("Purpose and patterns", "Entities, state variables and scales",
                "Process overview and scheduling", "Design concepts", "Initialization",
                "Input data", "Submodels")
DESIGN_CONCEPTS = ("Basic principles", "Emergence", "Adaptation", "Objectives", "Learning",
                   "Prediction", "Sensing", "Interaction", "Stochasticity", "Collectives",
                   "Observation")

# Where citations are looked for: the code, its tests and the documents.
CODE_FOLDERS = ("ecosystem", "agents", "experiments", "results", "ifsim", "benchmarks",
                "tests")
MONTHS = {"January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December", "Jan", "Feb", "Mar", "Apr",
          "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"}
_NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
# "Wilson 1927", "Diamond and Dybvig 1983", "Gu, Gui and Huang 2021", "Saltelli et al.
# 2010", "Campolongo, Cariboni & Saltelli (2007": group 1 is the first author, 2 the year.
# A date such as "Caixin 2018-06-02" is not a citation (the year is followed by "-").
CITATION = re.compile(rf"\b({_NAME})(?:,\s+{_NAME})*(?:\s+et\s+al\.?)?"
                      rf"(?:,?\s+(?:and|&)\s+{_NAME})?,?\s+\(?((?:19|20)\d\d)\b(?![-\d])")
SOURCE_DOCUMENT = re.compile(r"\b[Ss]ources?\s+(?:documents?\s+)?(\d{3})"
                             r"(?:(?:\s+and|\s+to|,)\s+(?:source\s+)?(\d{3}))?")
BIB_LINK = re.compile(r"bibliography\.md#([a-z0-9-]+)")
ANCHOR = re.compile(r'<a id="([a-z0-9-]+)"></a>')
# Folders that are not the project's own files (virtual environment, build output, caches).
NOT_PROJECT = {".git", ".venv", "build", "dist", "ifsim-output", "__pycache__",
               ".pytest_cache", ".ruff_cache", ".hypothesis", "node_modules"}
SHARED = "../" + "shared"  # spelled in two pieces so this file does not match itself
ALLOWED_TO_NAME_SHARED = {"DEVELOPERS.md"}


def parameter_names() -> list[str]:
    """Every dotted parameter name, from the dataclasses."""
    return [row["name"] for row in describe()]


def cited_files() -> list[Path]:
    """Python files of the project and the Markdown documents (the bibliography itself
    and this file, which holds examples, left out)."""
    files = [p for folder in CODE_FOLDERS for p in (ROOT / folder).rglob("*.py")]
    files += [p for p in DOCS.rglob("*.md") if p != BIBLIOGRAPHY]
    files += [ROOT / "README.md", ROOT / "DEVELOPERS.md"]
    return [p for p in files if p.resolve() != Path(__file__).resolve()]


def bibliography_entries() -> dict[str, str]:
    """Bibliography entries by key: each list item that opens with an anchor."""
    entries: dict[str, str] = {}
    for item in re.split(r"\n(?=- <a id=)", BIBLIOGRAPHY.read_text(encoding="utf-8")):
        match = ANCHOR.search(item)
        if match and item.startswith("- <a id="):
            assert match.group(1) not in entries, f"duplicate key {match.group(1)}"
            entries[match.group(1)] = item
    return entries


def project_text_files() -> list[Path]:
    """Every text file of the project, outside environments, build output and caches."""
    out = []
    for folder, dirs, files in os.walk(ROOT):
        # prune in place so os.walk never descends into the virtual environment
        dirs[:] = [d for d in dirs if d not in NOT_PROJECT and not d.endswith(".egg-info")]
        out += [Path(folder) / name for name in files]
    return out


# -- (a)-(c): the parameter reference --------------------------------------------------
def test_every_parameter_appears_in_the_reference() -> None:
    text = PARAMETERS.read_text(encoding="utf-8")
    missing = [name for name in parameter_names() if f"`{name}`" not in text]
    assert not missing, f"docs/parameters.md lacks {missing}; regenerate it: " \
                        f"{param_reference.COMMAND}"


def test_reference_is_what_the_generator_makes_now() -> None:
    assert PARAMETERS.read_text(encoding="utf-8") == param_reference.reference_markdown(), (
        "docs/parameters.md is out of step with ecosystem/params.py; regenerate it with "
        f"`scripts/dev {param_reference.COMMAND}`")


def test_every_parameter_says_where_its_default_comes_from() -> None:
    blank = [row["name"] for row in describe() if not row["source"].strip()]
    assert not blank, f"parameters without a source= in ecosystem/params.py: {blank}"


def test_every_parameter_row_has_a_range() -> None:
    assert all(row["range"].strip() for row in describe())


# -- (d): the ODD description -----------------------------------------------------------
def test_odd_has_the_protocol_sections_and_design_concepts() -> None:
    text = ODD.read_text(encoding="utf-8")
    headings = re.findall(r"^## \d+\. (.+)$", text, flags=re.M)
    for section in ODD_SECTIONS:
        assert section in headings, f"docs/odd.md lacks the ODD section '{section}'"
    for concept in DESIGN_CONCEPTS:
        assert f"**{concept}.**" in text, f"docs/odd.md lacks the design concept {concept}"


def test_every_module_is_classified_as_mechanism_or_support() -> None:
    found = {str(p.relative_to(ROOT)) for folder in ("ecosystem", "agents")
             for p in (ROOT / folder).glob("*.py")}
    unknown = found - MECHANISM_MODULES - SUPPORT_MODULES
    assert not unknown, (f"new modules {sorted(unknown)}: add them to MECHANISM_MODULES "
                         "(and describe them in docs/odd.md) or to SUPPORT_MODULES")


def test_odd_names_every_mechanism_module() -> None:
    text = ODD.read_text(encoding="utf-8")
    missing = sorted(m for m in MECHANISM_MODULES if f"`{m}`" not in text)
    assert not missing, f"docs/odd.md does not describe {missing}"


def test_odd_names_every_phase_of_the_weekly_timetable() -> None:
    text = ODD.read_text(encoding="utf-8")
    source = inspect.getsource(EcosystemModel.step)
    body = source.split('"""', 2)[-1]  # after the docstring
    phases = set(re.findall(r"\.(\w+)\(", body))
    # named as code (`shocks.apply`, `match_new_loans`), not as an ordinary word
    missing = sorted(p for p in phases if not re.search(rf"`(?:\w+\.)*{p}`", text))
    assert phases and not missing, (f"EcosystemModel.step calls {missing}, which "
                                    "docs/odd.md section 3 does not describe")


def test_odd_names_only_parameters_that_exist() -> None:
    text = ODD.read_text(encoding="utf-8")
    names = set(parameter_names())
    dotted = set(re.findall(rf"`((?:{'|'.join(GROUPS)})\.[a-z_0-9]+)`", text))
    unknown = sorted(dotted - names - set(EXTERNAL_ACCOUNTS))
    assert not unknown, f"docs/odd.md names parameters that do not exist: {unknown}"


def test_odd_links_the_reference_and_the_bibliography() -> None:
    text = ODD.read_text(encoding="utf-8")
    assert "(parameters.md)" in text and "(bibliography.md)" in text


# -- (e): citations resolve to the bibliography -------------------------------------------
def test_every_source_document_cited_has_an_entry() -> None:
    entries = bibliography_entries()
    cited: dict[str, str] = {}
    for path in cited_files():
        for match in SOURCE_DOCUMENT.finditer(path.read_text(encoding="utf-8")):
            numbers = [int(n) for n in match.groups() if n]
            span = range(numbers[0], numbers[-1] + 1) if "to" in match.group(0) else numbers
            for n in span:
                cited.setdefault(f"source-{n:03d}", str(path.relative_to(ROOT)))
    assert cited, "no 'source 00N' citation found: is the pattern still right?"
    missing = {key: where for key, where in cited.items() if key not in entries}
    assert not missing, f"source documents cited without a bibliography entry: {missing}"


def test_every_author_year_citation_has_an_entry() -> None:
    entries = list(bibliography_entries().values())
    missing = {}
    for path in cited_files():
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            name, year = match.groups()
            if name in MONTHS:
                continue
            if not any(name in e and re.search(rf"\b{year}\b", e) for e in entries):
                missing[f"{name} {year}"] = str(path.relative_to(ROOT))
    assert not missing, f"citations with no entry in docs/bibliography.md: {missing}"


def test_every_link_to_the_bibliography_resolves() -> None:
    entries = bibliography_entries()
    text = BIBLIOGRAPHY.read_text(encoding="utf-8")
    anchors = set(entries) | {_slug(h) for h in re.findall(r"^#+ (.+)$", text, flags=re.M)}
    broken = {}
    for path in [*cited_files(), BIBLIOGRAPHY]:
        content = path.read_text(encoding="utf-8")
        links = BIB_LINK.findall(content)
        if path == BIBLIOGRAPHY:
            links += re.findall(r"\]\(#([a-z0-9-]+)\)", content)
        for key in links:
            if key not in anchors:
                broken[key] = str(path.relative_to(ROOT))
    assert not broken, f"links to missing bibliography entries: {broken}"


def _slug(heading: str) -> str:
    """The anchor a Markdown renderer gives a heading (GitHub style)."""
    return re.sub(r"[^a-z0-9 -]", "", heading.lower()).replace(" ", "-")


# -- (f): the project stands on its own ------------------------------------------------------
def test_nothing_points_outside_the_project() -> None:
    offenders = []
    for path in project_text_files():
        if path.name in ALLOWED_TO_NAME_SHARED and path.parent == ROOT:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files (images, databases) cannot name a path we care about
        if SHARED in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, f"files that refer to {SHARED} (outside the project): {offenders}"


@pytest.mark.parametrize("doc", ["odd.md", "parameters.md", "bibliography.md"])
def test_readme_points_at_the_model_documents(doc: str) -> None:
    assert f"docs/{doc}" in (ROOT / "README.md").read_text(encoding="utf-8")
