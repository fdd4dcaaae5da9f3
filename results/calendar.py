"""Dates of model weeks: week t of a run is its ``world.start_date`` plus 7t days.

The model keeps time in weeks (one step is one week); figures, exports and reports show
calendar dates. Kept apart from the model so ``results`` reads dates from stored
parameters alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_START_DATE = "2013-01-07"  # world.start_date's default, for runs stored before it


def start_date_of(params: Mapping[str, Any] | None) -> str:
    """A stored run's ``world.start_date`` (nested params dict), or the default."""
    world = (params or {}).get("world", {}) if isinstance(params, Mapping) else {}
    return str(world.get("start_date", DEFAULT_START_DATE))


def week_dates(start_date: str | dt.date, weeks) -> pd.DatetimeIndex:
    """Calendar dates of the given week numbers (NaN weeks give NaT)."""
    start = pd.Timestamp(start_date)
    weeks = np.asarray(weeks, dtype="float64")
    return pd.DatetimeIndex(start + pd.to_timedelta(weeks * 7, unit="D"))
