"""A progress line on stderr, shown only when stderr is a terminal (docs/design.md s.7)."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """``label [#####.....] 52/260 weeks  ETA 3s``, redrawn in place."""

    def __init__(self, label: str, unit: str, enabled: bool | None = None) -> None:
        self.label = label
        self.unit = unit
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.started = time.perf_counter()
        self._last_draw = 0.0

    def __call__(self, done: int, total: int, failed: int = 0) -> None:
        """Redraw (at most ten times a second, and always at the end)."""
        if not self.enabled:
            return
        now = time.perf_counter()
        if done < total and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        width = 30
        filled = int(width * done / max(total, 1))
        elapsed = now - self.started
        eta = elapsed / done * (total - done) if done else 0.0
        bar = "#" * filled + "." * (width - filled)
        failures = f"  {failed} failed" if failed else ""
        sys.stderr.write(f"\r{self.label} [{bar}] {done}/{total} {self.unit}{failures}  "
                         f"ETA {eta:4.0f}s")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
