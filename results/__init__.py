"""Persistence and analysis of simulation results.

Everything here is a pure function of stored data: this package reads and writes the run
store and draws figures, and never imports the model (``ecosystem``) or its agents.
``RunStore`` is imported on first use, so importing the package stays cheap.
"""

from typing import Any

from ifsim.results.errors import StoreError

__all__ = ["RunStore", "StoreError"]


def __getattr__(name: str) -> Any:
    if name == "RunStore":
        from ifsim.results.store import RunStore

        return RunStore
    raise AttributeError(f"module 'results' has no attribute {name!r}")
