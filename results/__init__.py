"""Persistence and analysis of simulation results.

Everything here is a pure function of stored data: this package reads and writes the run
store and draws figures, and never imports the model (``ecosystem``) or its agents.
"""

from results.store import RunStore, StoreError

__all__ = ["RunStore", "StoreError"]
