"""ifsim: an agent-based simulation of an internet-finance ecosystem on Mesa.

The code lives in four folders at the top of the project (``ecosystem/``, ``agents/``,
``experiments/``, ``results/``, as the design card lays it out); installed, they import as
``ifsim.ecosystem``, ``ifsim.agents``, ``ifsim.experiments`` and ``ifsim.results``, so a
research folder with its own ``experiments/`` package does not shadow them.

    >>> from ifsim.ecosystem.model import EcosystemModel
    >>> model = EcosystemModel.from_scenario("baseline", seed=1)
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

# In a source checkout that is not installed (PYTHONPATH pointing at it), the four folders
# sit beside this one; let ``ifsim.ecosystem`` find them there. Installed (wheel or
# editable), setuptools maps them under ``ifsim`` and this adds nothing.
_checkout = Path(__file__).resolve().parent.parent
if (_checkout / "pyproject.toml").is_file() and (_checkout / "ecosystem" / "model.py").is_file():
    __path__.append(str(_checkout))

try:
    __version__ = metadata.version("ifsim")
except metadata.PackageNotFoundError:  # a checkout on PYTHONPATH, not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
