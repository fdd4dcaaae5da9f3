"""The regulator: early-warning indicators every week (domain.md section 5, "monitoring
and early-warning indicators"; source 001 on early warning and source 000 on liquidity
stress tests).

Indicators: platform failures this week, the sector's arrears rate, market
concentration (Herfindahl index of investor pools) and net outflows from the
money-market funds. Crossing a threshold from below logs a ``warning`` event. Later
policies (custody, caps, disclosure, stress tests, exit orders) act from here.
"""

from __future__ import annotations

import mesa
import numpy as np


class Regulator(mesa.Agent):
    """The supervisor; records indicators and warnings."""

    def __init__(self, model: mesa.Model) -> None:
        super().__init__(model)
        self.indicators: dict[str, float] = {}
        self._warned: set[str] = set()

    @property
    def name(self) -> str:
        """Label used in events."""
        return "regulator"

    def supervise(self) -> None:
        """Compute this week's indicators and log warnings on threshold crossings."""
        model, p = self.model, self.model.params.regulator
        alive = [pl for pl in model.platforms if pl.alive]
        book = sum(pl.book_cents for pl in alive)
        pools = np.array([max(pl.pool_value_cents(), 0) for pl in alive], dtype=float)
        fund_assets = sum(f.assets_cents() for f in model.funds)
        net_out = model.step_stats["fund_outflow_cents"] - model.step_stats["fund_inflow_cents"]
        self.indicators = {
            "failures": float(model.step_stats["failures"]),
            "arrears_rate": sum(pl.arrears_cents for pl in alive) / book if book else 0.0,
            "platform_hhi": float(((pools / pools.sum()) ** 2).sum()) if pools.sum() else 0.0,
            "fund_net_outflow_share": net_out / fund_assets if fund_assets else 0.0,
        }
        limits = {"failures": p.failures_warning, "arrears_rate": p.arrears_warning,
                  "platform_hhi": p.concentration_warning,
                  "fund_net_outflow_share": p.fund_outflow_warning_weekly}
        for key, limit in limits.items():
            self._warn_on_crossing(key, self.indicators[key], limit)

    def _warn_on_crossing(self, key: str, value: float, limit: float) -> None:
        if value >= limit and key not in self._warned:
            self._warned.add(key)
            self.model.events.log("warning", self.name, key, None,
                                  f"{key}={value:.4f} reached threshold {limit}")
        elif value < limit:
            self._warned.discard(key)
