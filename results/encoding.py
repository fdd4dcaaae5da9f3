"""Canonical JSON and seed text for stored records (shared by the store's modules)."""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Mapping
from enum import Enum
from typing import Any

import numpy as np
import pandas as pd

from ifsim.results.errors import StoreError

_MAX_SEED = 2**64 - 1


def to_json(value: Any) -> str:
    """Encode ``value`` as canonical JSON (sorted keys, no spaces).

    numpy scalars and arrays become plain numbers and lists, Enums their values, and NaN
    or infinite floats ``null``, since JSON has no representation for them.

    Raises:
        StoreError: If a value has a type JSON cannot represent.
    """
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), allow_nan=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, Enum):
        return _plain(value.value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or value is pd.NA or isinstance(value, (bool, int, float, str)):
        return None if value is pd.NA else value
    raise StoreError(f"cannot store a value of type {type(value).__name__} as JSON: {value!r}")


def seed_text(seed: int) -> str:
    """A seed as decimal text (seeds span uint64, which no portable SQL type holds)."""
    try:
        value = operator.index(seed)
    except TypeError:
        value = -1
    if not 0 <= value <= _MAX_SEED:
        raise StoreError(f"seed must be an integer in [0, 2**64), got {seed!r}")
    return str(value)
