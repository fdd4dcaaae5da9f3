"""The event log: failures, large defaults, warnings, each with its cause."""

from __future__ import annotations

from collections import Counter

import pandas as pd

EVENT_COLUMNS = ["step", "kind", "agent", "cause", "amount_cents", "detail"]


class EventLog:
    """Append-only list of events; becomes a DataFrame at the end of a run."""

    def __init__(self) -> None:
        self.rows: list[tuple] = []
        self.step = 0
        self._counts: Counter = Counter()

    def log(self, kind: str, agent: str, cause: str, amount_cents: int | None = None,
            detail: str = "") -> None:
        """Record one event at the current step."""
        amount = None if amount_cents is None else int(amount_cents)
        self.rows.append((self.step, kind, agent, cause, amount, detail))
        self._counts[(kind, self.step)] += 1
        self._counts[(kind, None)] += 1

    def count(self, kind: str, step: int | None = None) -> int:
        """Number of events of a kind, in all or at one step."""
        return self._counts[(kind, step)]

    def frame(self) -> pd.DataFrame:
        """All events as a DataFrame with EVENT_COLUMNS."""
        frame = pd.DataFrame(self.rows, columns=EVENT_COLUMNS)
        frame["amount_cents"] = frame["amount_cents"].astype("Int64")
        return frame
