"""Credit-service institutions and guarantee companies (信贷服务机构, 担保公司).

From source 003 (Weijinsuo; docs/bibliography.md): a guarantor recommends loans to one or more
platforms, posts a risk margin of 2%-10% of the volume it recommends, graded by risk,
into the platform's risk pool, earns a guarantee fee, and when a borrower defaults pays
the investors' principal (buys the loan back) before the risk pool does. The margin is a
security deposit (风险保证金) for the guarantee of one loan: it comes back to the guarantor
once that loan is repaid or bought back, and stays in the pool, to cover the loss, when
the guarantor cannot honour the guarantee. So the pool holds margins on the guaranteed
loans outstanding, not on every loan ever recommended. It fails when
claims exceed its resources; its guarantees then vanish on every platform it served at
once, a common exposure (domain.md section 4, contagion channel 2), and the news hits
the reputation of each of those platforms (channel 3).
"""

from __future__ import annotations

import mesa

from ifsim.ecosystem.money import floor_cents


class Guarantor(mesa.Agent):
    """One guarantor with its own capital."""

    def __init__(self, model: mesa.Model, idx: int, *, own_account: int) -> None:
        super().__init__(model)
        self.idx = idx
        self.own_account = own_account
        self.alive = True
        self.claims_paid_cents = 0
        self.failed_step: int | None = None

    @property
    def name(self) -> str:
        """Label used in events."""
        return f"guarantor-{self.idx}"

    def capital_cents(self) -> int:
        """Cash it can pay claims from."""
        return self.model.ledger.balance(self.own_account)

    def balance_sheet(self) -> dict[str, int]:
        """Own cash; guarantees outstanding are contingent, not on the balance sheet."""
        cash = self.capital_cents()
        return {"assets_cents": cash, "liabilities_cents": 0, "equity_cents": cash}

    def margin_share(self, est_pd_annual: float, cutoff_annual: float) -> float:
        """Risk margin as a share of principal: 2% for the best grade to 10% for the worst."""
        p = self.model.params.guarantor
        grade = min(max(est_pd_annual / max(cutoff_annual, 1e-9), 0.0), 1.0)
        return p.margin_low + (p.margin_high - p.margin_low) * grade

    def post_margin(self, platform, principal_cents: int, est_pd_annual: float) -> int | None:
        """Put the margin for a new loan into the platform's risk pool; returns the margin
        posted in cents, or None if the guarantor cannot guarantee the loan."""
        if not self.alive:
            return None
        margin = floor_cents(principal_cents * self.margin_share(est_pd_annual,
                                                                 platform.pd_cutoff_annual))
        if margin > self.capital_cents():
            return None
        self.model.ledger.transfer(self.own_account, platform.risk_pool_account, margin,
                                   "guarantor risk margin")
        return margin

    def release_margin(self, platform, margin_cents: int) -> int:
        """The guaranteed loan has ended with the guarantee honoured: the deposit comes
        back from the platform's risk pool (as much as is left in it). Returns cents."""
        if not self.alive:
            return 0  # a failed guarantor's margins stay to cover what it did not pay
        amount = min(int(margin_cents), self.model.ledger.balance(platform.risk_pool_account))
        self.model.ledger.transfer(platform.risk_pool_account, self.own_account, amount,
                                   "guarantor risk margin returned")
        return amount

    def pay_claim(self, dst_account: int, claim_cents: int) -> int:
        """Pay what it can of a claim; fail if the claim exceeds its resources."""
        if not self.alive:
            return 0
        paid = min(int(claim_cents), self.capital_cents())
        self.model.ledger.transfer(self.own_account, dst_account, paid, "guarantor buy-back")
        self.claims_paid_cents += paid
        if paid < claim_cents:
            self.fail()
        return paid

    def fail(self, cause: str = "claims exceed resources") -> None:
        """Every guarantee it gave is void from now on."""
        if not self.alive:
            return
        self.alive = False
        self.failed_step = self.model.steps
        self.model.events.log("guarantor_failure", self.name, cause,
                              self.claims_paid_cents, "guarantees void on all platforms")
        # one piece of news that names every platform it guaranteed (channel 3)
        partners = [pl.idx for pl in self.model.platforms
                    if self.idx in pl.guarantors and pl.alive]
        self.model.investors_reputation_shock(
            partners, self.model.params.platform.incident_reputation_shock_annual)
