"""P2P lending platforms as information intermediaries (信息中介, domain.md sections 1 and 3).

A platform screens borrowers by credit score with its own risk-control quality, prices
loans at a reference rate plus a risk premium under any rate cap, lists and funds them
from its investors' pool, services repayments, earns fees (an origination service fee
and a cut of interest, 中介服务费), pays operating costs out of its own capital, keeps the
investor pool at a custodian bank or not (资金存管), and fails when it cannot pay its
costs (insolvent) or cannot meet withdrawals for weeks on end (illiquid). A failed
platform leaves the market in an orderly wind-down (清盘): its loans are collected over
time and the pool is paid out pro rata (source 003; domain.md section 3).
"""

from __future__ import annotations

import mesa
import numpy as np

from ecosystem.macro import logistic
from ecosystem.money import floor_cents, weekly_rate


class Platform(mesa.Agent):
    """One lending platform; its loans live in the model's loan book."""

    def __init__(self, model: mesa.Model, idx: int, *, own_account: int, pool_account: int,
                 custody_bank: int, pd_cutoff_annual: float, screening_noise_sd: float,
                 operating_cost_cents_weekly: int) -> None:
        super().__init__(model)
        self.idx = idx
        self.own_account = own_account
        self.pool_account = pool_account
        self.custody_bank = custody_bank          # -1: investor money held by the platform
        self.pd_cutoff_annual = pd_cutoff_annual
        self.screening_noise_sd = screening_noise_sd
        self.operating_cost_cents_weekly = operating_cost_cents_weekly
        self.alive = True
        self.failure_cause: str | None = None
        self.failed_step: int | None = None
        self.units_total = 0
        self.run_weeks = 0
        self.book_cents = 0                        # principal outstanding, refreshed weekly
        self.arrears_cents = 0
        self.advertised_yield_annual = self.price(np.array([pd_cutoff_annual / 2]))[0] * (
            1 - model.params.platform.interest_fee_share)

    @property
    def name(self) -> str:
        """Label used in events."""
        return f"platform-{self.idx}"

    @property
    def has_custody(self) -> bool:
        """Whether investor money sits at a custodian bank."""
        return self.custody_bank >= 0

    # -- balance sheet --------------------------------------------------------------
    def pool_cash_cents(self) -> int:
        """Investor money not yet lent."""
        return self.model.ledger.balance(self.pool_account)

    def pool_value_cents(self) -> int:
        """Investors' pool: cash plus loans outstanding."""
        return self.pool_cash_cents() + self.book_cents

    def unit_price_cents(self) -> float:
        """Value of one pool unit (1 cent at the start)."""
        if self.units_total <= 0:
            return 1.0
        return self.pool_value_cents() / self.units_total

    def capital_cents(self) -> int:
        """The platform's own money."""
        return self.model.ledger.balance(self.own_account)

    def balance_sheet(self) -> dict[str, int]:
        """Own balance sheet (the pool is off balance sheet: it belongs to investors)."""
        capital = self.capital_cents()
        return {"assets_cents": capital, "liabilities_cents": 0, "equity_cents": capital,
                "investor_pool_cents": self.pool_value_cents()}

    # -- lending --------------------------------------------------------------------
    def estimate_pd(self, scores: np.ndarray) -> np.ndarray:
        """Estimated annual PD from the credit score, blurred by the platform's own noise."""
        noise = self.model.rng.normal(0.0, self.screening_noise_sd, len(scores))
        return logistic(-(scores + noise))

    def price(self, est_pd_annual: np.ndarray) -> np.ndarray:
        """Loan rate: reference (bank lending) rate + risk premium + margin."""
        p = self.model.params
        return (p.macro.lending_rate_annual + p.platform.risk_premium_multiplier
                * est_pd_annual + p.platform.margin_annual)

    def screen(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Approve applications whose estimated PD is under the cut-off and whose price
        is under the rate cap (0 = no cap). Returns (approved, rate_annual)."""
        est_pd = self.estimate_pd(scores)
        rate = self.price(est_pd)
        cap = self.model.params.platform.rate_cap_annual
        approved = (est_pd < self.pd_cutoff_annual) & ((cap == 0) | (rate <= cap))
        return approved & self.alive, rate

    def note_new_rates(self, rates: np.ndarray) -> None:
        """Advertised yield follows the rates on new loans, net of the platform's cut."""
        if len(rates) == 0:
            return
        net = float(rates.mean()) * (1 - self.model.params.platform.interest_fee_share)
        self.advertised_yield_annual = 0.8 * self.advertised_yield_annual + 0.2 * net

    # -- costs and failure ----------------------------------------------------------
    def weekly_costs_cents(self) -> dict[str, int]:
        """Operating cost, servicing cost on the book and the custodian's fee."""
        p = self.model.params
        costs = {
            "operating": self.operating_cost_cents_weekly if self.alive else 0,
            "servicing": floor_cents(self.book_cents * weekly_rate(
                p.platform.variable_cost_annual)),
            "custody": 0,
        }
        if self.has_custody:
            costs["custody"] = floor_cents(self.pool_cash_cents() * weekly_rate(
                p.bank.custody_fee_annual))
        return costs

    def pay_costs(self) -> None:
        """Pay this week's costs and payment fees; fail as insolvent if capital runs out."""
        model, ledger = self.model, self.model.ledger
        costs = self.weekly_costs_cents()
        bills = [(model.accounts["world.operating_costs"], costs["operating"],
                  "platform operating cost"),
                 (model.accounts["world.operating_costs"], costs["servicing"],
                  "platform servicing cost")]
        if self.has_custody:
            bills.append((model.banks[self.custody_bank].own_account, costs["custody"],
                          "custody fee"))
        for firm in model.payment_firms:
            bills.append((firm.own_account, firm.take_fees_due(self.idx), "payment fee"))
        for dst, amount, reason in bills:
            paid = min(amount, ledger.balance(self.own_account))
            ledger.transfer(self.own_account, dst, paid, reason)
            if paid < amount and self.alive:
                self.fail("insolvent", f"could not pay {reason}")

    def check_liquidity(self, queued_cents: int) -> None:
        """A run: unmet withdrawals above a share of the pool for too many weeks."""
        p = self.model.params.platform
        if not self.alive:
            return
        value = max(self.pool_value_cents(), 1)
        self.run_weeks = self.run_weeks + 1 if queued_cents > p.illiquid_queue_share * value \
            else 0
        if self.run_weeks >= p.illiquid_weeks:
            self.fail("illiquid", f"withdrawal queue {queued_cents} cents for "
                      f"{self.run_weeks} weeks")

    def check_solvency(self) -> None:
        """A pool wiped out while investors hold units is an insolvent platform."""
        if self.alive and self.units_total > 0 and self.pool_value_cents() <= 0:
            self.fail("insolvent", "investor pool wiped out")

    def fail(self, cause: str, detail: str = "") -> None:
        """Leave the market: stop lending, wind down; owners take what capital is left."""
        model = self.model
        self.alive = False
        self.failure_cause = cause
        self.failed_step = model.steps
        model.ledger.transfer(self.own_account, model.accounts["world.owners"],
                              self.capital_cents(), "capital returned to owners at exit")
        model.events.log("platform_failure", self.name, cause, self.pool_value_cents(),
                         detail or f"custody={self.has_custody}")
