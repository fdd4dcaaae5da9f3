"""Market rates and the common credit factor.

The interbank market rate follows a mean-reverting AR(1) around its long-run mean, within
the 2%-5% range SHIBOR kept in 2013-2018 outside the June 2013 crunch
(``docs/data/parameter_grounding.md``), or around a dated path such as month-end 3-month
SHIBOR; the deposit and lending rates are constants or dated paths of the PBoC's
benchmark rates (``ecosystem/paths.py``, ``ecosystem/data/series/SOURCES.md``). The
common factor ``z`` (stationary N(0, 1), AR(1)) is the macro and real-estate cycle that
correlates borrowers' defaults, as in the one-factor Vasicek model behind Basel's
credit-risk weights: a borrower with unconditional default probability ``pd`` defaults
this year with probability
``Phi((Phi^-1(pd) - sqrt(rho) z) / sqrt(1 - rho))``.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.params import MacroParams
from ifsim.ecosystem.paths import weekly_path

# Phi(x) ~ logistic(1.702 x) (Bowling et al. 2009, max error 0.01); lets the Vasicek
# conditional PD be computed in logit space with numpy alone.
PROBIT_TO_LOGIT = 1.702


def logit(p: np.ndarray) -> np.ndarray:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = np.clip(p, 1e-9, 1 - 1e-9)
    return np.log(p / (1.0 - p))


def logistic(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-x))


def conditional_pd(pd_annual: np.ndarray, factor: float, loading: np.ndarray,
                   rho: float) -> np.ndarray:
    """Vasicek one-factor PD given the factor (logistic approximation of the probit).

    Args:
        pd_annual: unconditional annual default probabilities.
        factor: the common factor z (bad times are negative).
        loading: per-borrower multiplier of the factor loading (real estate loads more).
        rho: asset correlation.
    """
    shift = PROBIT_TO_LOGIT * np.sqrt(rho) * factor * loading
    return logistic((logit(pd_annual) - shift) / np.sqrt(1.0 - rho))


class Macro:
    """Rates and the common factor of the current week; advanced once per step.

    Each rate is a constant parameter or, when the scenario names a dated series
    (``macro.*_path``, ``ecosystem/paths.py``), that series at the week's date. The
    interbank rate and the factor add a stationary AR(1) deviation to their centre (the
    path, else the long-run mean and 0), so history sets the level and the model the
    noise around it.
    """

    def __init__(self, params: MacroParams, rng: np.random.Generator,
                 start_date: str = "2013-01-07", steps: int = 0) -> None:
        self.params = params
        self.rng = rng
        self._paths = {name: weekly_path(reference, start_date, steps)
                       for name, reference in self._references(params).items() if reference}
        self.week = 0
        self.rate_deviation = 0.0
        self.factor_deviation = 0.0
        self._set_week(0)
        self.factor = self._centre("factor", 0, 0.0)

    @staticmethod
    def _references(p: MacroParams) -> dict[str, str]:
        return {"deposit": p.deposit_rate_path, "lending": p.lending_rate_path,
                "market": p.market_rate_path, "factor": p.factor_path}

    def _centre(self, name: str, week: int, default: float) -> float:
        path = self._paths.get(name)
        if path is None:
            return default
        return float(path[min(week, len(path) - 1)])

    def _set_week(self, week: int) -> None:
        p = self.params
        self.deposit_rate_annual = self._centre("deposit", week, p.deposit_rate_annual)
        self.lending_rate_annual = self._centre("lending", week, p.lending_rate_annual)
        centre = self._centre("market", week, p.market_rate_mean_annual)
        self.market_rate_annual = max(centre + self.rate_deviation, p.market_rate_floor_annual)

    def advance(self, week: int | None = None) -> None:
        """Move to ``week`` (default: the next one): draw the deviations of the market rate
        and the common factor and read the dated paths."""
        p = self.params
        self.week = week if week is not None else self.week + 1
        shock_rate, shock_factor = self.rng.standard_normal(2)
        self.rate_deviation = (p.market_rate_persistence_weekly * self.rate_deviation
                               + p.market_rate_vol_weekly * shock_rate)
        self._set_week(self.week)
        phi = p.factor_persistence_weekly
        self.factor_deviation = phi * self.factor_deviation + np.sqrt(1.0 - phi * phi) \
            * shock_factor
        self.factor = self._centre("factor", self.week, 0.0) + self.factor_deviation
