"""What a canonical experiment's report needs of a stored experiment: its runs and the
name and root seed its analysis is called with (so the report shows the numbers
``ifsim experiment`` printed)."""

from __future__ import annotations

from typing import NamedTuple


class StoredSpec(NamedTuple):
    """The parts of a spec an analysis reads, taken from the stored experiment."""

    name: str
    seed: int
    scenario: str = "baseline"


def stored_spec(store, experiment: str):
    """The stored experiment's runs and its :class:`StoredSpec`."""
    record = store.get_experiment(experiment)
    runs = store.experiment_runs(record["id"])
    spec = record["spec"]["experiment"]
    return runs, StoredSpec(experiment, int(spec["seed"]), spec.get("scenario", "baseline"))
