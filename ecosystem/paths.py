"""Dated exogenous paths: rates and the macro factor read from dated CSV series.

A scenario can tie a macro quantity to history instead of a constant or a stationary
process: ``macro.deposit_rate_path = "china_deposit_rate_1y"`` names a series shipped in
``ecosystem/data/series`` (its sources in ``SOURCES.md`` there), and
``macro.market_rate_path = "my_rates.csv"`` a CSV file of the user's, found next to the
scenario file that names it. The model reads each series at the date of every week
(``world.start_date`` + 7 days per step), so a run's rates follow the calendar.

A series file has a ``date`` column (ISO dates, increasing) and one value column:
``value_pct`` (percent, divided by 100) or ``value`` (used as given). Other columns
(``source``, ``note``) are kept for readers and ignored here. Between two dates the value
is interpolated linearly, or held until the next date for administered rates that move
in steps (prefix the reference with ``step:``, as the shipped benchmark rates are).
Before the first date and after the last, the first and last values hold.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ifsim.ecosystem.errors import ParameterError

SERIES_DIR = Path(__file__).parent / "data" / "series"
INTERPOLATIONS = ("linear", "step")
# Shipped series and how each is interpolated (sources: ecosystem/data/series/SOURCES.md).
SHIPPED: dict[str, str] = {
    "china_deposit_rate_1y": "step",   # PBoC benchmark, changed by announcement
    "china_lending_rate_1y": "step",   # PBoC benchmark, then the 1-year LPR
    "china_shibor_3m": "linear",       # month-end fixings of a market rate
}
MAX_ROWS = 100_000


@dataclass(frozen=True)
class DatedSeries:
    """A dated series, with the rule that fills the days between its dates."""

    name: str
    days: np.ndarray          # days since 1970-01-01, strictly increasing
    values: np.ndarray        # float, in the model's units (fractions for rates)
    interpolation: str

    def at(self, dates: list[dt.date] | np.ndarray) -> np.ndarray:
        """The series' value on each date."""
        days = np.asarray(dates, dtype="datetime64[D]").astype(np.int64)
        if self.interpolation == "step":
            where = np.searchsorted(self.days, days, side="right") - 1
            return self.values[np.clip(where, 0, len(self.values) - 1)]
        return np.interp(days, self.days, self.values)


def split_reference(reference: str) -> tuple[str, str]:
    """``"step:file.csv"`` -> ("step", "file.csv"); no prefix: the shipped series' rule,
    else linear."""
    head, sep, tail = reference.partition(":")
    if sep and head in INTERPOLATIONS:
        return head, tail
    return SHIPPED.get(reference, "linear"), reference


def resolve_reference(reference: str, base_dir: Path | None) -> str:
    """A reference as stored in a run's parameters: a shipped name as it is, a file made
    absolute against the directory of the scenario that names it (so a run replays from
    any working directory). Raises ParameterError if neither exists."""
    if not reference:
        return reference
    rule, target = split_reference(reference)
    if target in SHIPPED:
        return reference
    path = Path(target).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    if not path.is_file():
        raise ParameterError(f"dated series '{target}': no such file and not a shipped series "
                             f"(shipped: {', '.join(SHIPPED)})")
    prefix = f"{rule}:" if reference != target else ""
    return prefix + str(path.resolve())


def load_series(reference: str) -> DatedSeries:
    """Read the series a reference names (shipped name or CSV path)."""
    rule, target = split_reference(reference)
    path = SERIES_DIR / f"{target}.csv" if target in SHIPPED else Path(target)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as exc:
        raise ParameterError(f"dated series '{target}': cannot read it ({exc.strerror})") \
            from None
    return _read(str(path), stamp, rule)


@functools.lru_cache(maxsize=32)
def _read(path: str, _mtime_ns: int, rule: str) -> DatedSeries:
    """Parse and check one series file (cached per file version)."""
    where = f"dated series {path}"
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(row for row in fh if not row.startswith("#")))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ParameterError(f"{where}: cannot read it ({exc})") from None
    if not rows or "date" not in rows[0]:
        raise ParameterError(f"{where}: needs a header with a 'date' column and at least "
                             "one row")
    column, scale = _value_column(rows[0], where)
    if len(rows) > MAX_ROWS:
        raise ParameterError(f"{where}: {len(rows):,} rows, more than {MAX_ROWS:,}")
    days, values = [], []
    for line, row in enumerate(rows, start=2):
        days.append(_day(row.get("date"), f"{where}, line {line}"))
        values.append(_number(row.get(column), f"{where}, line {line}, {column}") * scale)
    days_array = np.array(days, np.int64)
    if (np.diff(days_array) <= 0).any():
        raise ParameterError(f"{where}: dates must be strictly increasing")
    return DatedSeries(Path(path).stem, days_array, np.array(values, float), rule)


def _value_column(header: dict, where: str) -> tuple[str, float]:
    if "value_pct" in header:
        return "value_pct", 0.01
    if "value" in header:
        return "value", 1.0
    raise ParameterError(f"{where}: needs a 'value_pct' (percent) or 'value' column")


def _day(text: str | None, where: str) -> int:
    try:
        return (dt.date.fromisoformat((text or "").strip()) - dt.date(1970, 1, 1)).days
    except ValueError:
        raise ParameterError(f"{where}: date {text!r} is not YYYY-MM-DD") from None


def _number(text: str | None, where: str) -> float:
    try:
        value = float((text or "").strip())
    except ValueError:
        raise ParameterError(f"{where}: {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ParameterError(f"{where}: {text!r} is not a finite number")
    return value


def weekly_path(reference: str, start_date: str, steps: int) -> np.ndarray:
    """The series at weeks 0..steps of a run starting on ``start_date``."""
    start = np.datetime64(dt.date.fromisoformat(start_date), "D")
    return load_series(reference).at(start + 7 * np.arange(steps + 1))
