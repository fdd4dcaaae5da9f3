"""Market rates and the common credit factor.

The interbank market rate follows a mean-reverting AR(1) around its long-run mean, within
the 2%-5% range SHIBOR kept in 2013-2018 outside the June 2013 crunch
(``docs/data/parameter_grounding.md``). The common factor ``z`` (stationary N(0, 1),
AR(1)) is the macro and real-estate cycle that correlates borrowers' defaults, as in the
one-factor Vasicek model behind Basel's credit-risk weights: a borrower with unconditional
default probability ``pd`` defaults this year with probability
``Phi((Phi^-1(pd) - sqrt(rho) z) / sqrt(1 - rho))``.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.params import MacroParams

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
    """State of the market rate and the common factor; advanced once per step."""

    def __init__(self, params: MacroParams, rng: np.random.Generator) -> None:
        self.params = params
        self.rng = rng
        self.market_rate_annual = params.market_rate_mean_annual
        self.factor = 0.0

    def advance(self) -> None:
        """Draw this week's market rate and common factor."""
        p = self.params
        shock_rate, shock_factor = self.rng.standard_normal(2)
        gap = self.market_rate_annual - p.market_rate_mean_annual
        rate = p.market_rate_mean_annual + p.market_rate_persistence_weekly * gap
        rate += p.market_rate_vol_weekly * shock_rate
        self.market_rate_annual = max(rate, p.market_rate_floor_annual)
        phi = p.factor_persistence_weekly
        self.factor = phi * self.factor + np.sqrt(1.0 - phi * phi) * shock_factor
