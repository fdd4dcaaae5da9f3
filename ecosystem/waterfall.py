"""The default waterfall and recovery (source 003, the Weijinsuo/微金所 case; domain.md s.3).

When a loan is in default (``buyback_after_missed_weeks`` missed instalments for a
guaranteed loan, ``write_off_after_missed_weeks`` otherwise), its outstanding principal
is settled in this order, each payment logged as a ``waterfall`` event:

1. forced debit of the borrower's linked cards, through its payment firm;
2. the guarantor that recommended the loan buys it back (if it still stands); if it
   does, its margin on the loan comes back to it from the risk pool;
3. the platform's risk pool (guaranteed platforms; funded by guarantors' margins, a
   share of revenue and a share of capital); the margins of a guarantor that could not
   pay stay in it;
4. insurance, where the platform has it (a share of what is left);
5. whatever is left is the investors' loss.

Recovery against the borrower goes on afterwards: ``recovery_share`` of what the borrower
did not pay is collected over ``recovery_weeks`` (by collection agents, outside the model)
and shared by those who paid, pro rata to what each paid.
"""

from __future__ import annotations

import numpy as np

from ecosystem.contracts import PlatformType
from ecosystem.markets import release_margins
from ecosystem.money import floor_cents, pro_rata

STEPS = ("forced_debit", "guarantor", "risk_pool", "insurance", "investor_loss")


def due_rows(model) -> np.ndarray:
    """Real active loans whose missed instalments trigger settlement."""
    loans, p = model.loans, model.params
    guaranteed = loans.guarantor >= 0
    threshold = np.where(guaranteed, p.guarantor.buyback_after_missed_weeks,
                         p.borrower.write_off_after_missed_weeks)
    return np.flatnonzero(loans.real_active() & (loans.missed_weeks >= threshold))


def settle_defaults(model) -> None:
    """Run the waterfall on every loan that has fallen into default this week."""
    rows = due_rows(model)
    for row in rows:
        settle(model, int(row))
    if rows.size:
        model.refresh_platform_books()


def settle(model, row: int) -> dict[str, int]:
    """Settle one defaulted loan step by step; returns what each step paid (cents)."""
    loans, ledger = model.loans, model.ledger
    platform = model.platforms[int(loans.platform[row])]
    borrower = int(loans.borrower[row])
    owed = int(loans.outstanding_cents[row])
    paid = dict.fromkeys(STEPS, 0)
    remaining = owed
    paid["forced_debit"] = _forced_debit(model, borrower, platform, remaining)
    remaining -= paid["forced_debit"]
    guarantor = int(loans.guarantor[row])
    if guarantor >= 0 and remaining > 0:
        paid["guarantor"] = model.guarantors[guarantor].pay_claim(platform.pool_account,
                                                                  remaining)
        remaining -= paid["guarantor"]
    if guarantor >= 0:  # honoured (the guarantor still stands): its margin comes back
        release_margins(model, np.array([row]))
    if platform.kind == PlatformType.GUARANTEED and remaining > 0:
        paid["risk_pool"] = min(remaining, ledger.balance(platform.risk_pool_account))
        ledger.transfer(platform.risk_pool_account, platform.pool_account, paid["risk_pool"],
                        "risk pool pays principal")
        remaining -= paid["risk_pool"]
        coverage = model.params.platform.insurance_coverage
        paid["insurance"] = floor_cents(remaining * coverage)
        ledger.transfer(model.accounts["world.insurer"], platform.pool_account,
                        paid["insurance"], "insurance pays principal")
        remaining -= paid["insurance"]
    paid["investor_loss"] = remaining
    loans.write_off(np.array([row]))
    model.exits.record_loss(platform, remaining)
    model.step_stats["written_off_cents"] += owed
    _log(model, platform, borrower, owed, paid)
    model.recoveries.open_claim(platform, guarantor, paid)
    return paid


def _forced_debit(model, borrower: int, platform, owed: int) -> int:
    pop = model.borrowers
    account = int(pop.account[borrower])
    amount = min(model.ledger.balance(account), owed)
    if amount > 0:
        firm = model.payment_firms[int(pop.payment_firm[borrower])]
        firm.route(account, platform.pool_account, np.array([amount]),
                   "forced debit of a defaulting borrower")
    return amount


def _log(model, platform, borrower: int, owed: int, paid: dict[str, int]) -> None:
    for step in STEPS:
        if paid[step] > 0:
            model.events.log("waterfall", platform.name, step, paid[step],
                             f"borrower-{borrower} owed {owed}")
    if owed >= model.params.regulator.large_default_cents:
        cause = "real-estate exposure" if model.borrower_has_real_estate(borrower) \
            else "distress"
        model.events.log("large_default", f"borrower-{borrower}", cause, owed, platform.name)


class Recoveries:
    """Claims against defaulted borrowers, collected in equal weekly parts."""

    def __init__(self, model) -> None:
        self.model = model
        self.claims: list[dict] = []

    def open_claim(self, platform, guarantor: int, paid: dict[str, int]) -> None:
        """Open a claim for what the borrower did not pay, owned by those who paid it."""
        p = self.model.params.guarantor
        payers = {"investor_loss": platform.pool_account, "risk_pool":
                  platform.risk_pool_account, "insurance": self.model.accounts["world.insurer"]}
        if guarantor >= 0:
            payers["guarantor"] = self.model.guarantors[guarantor].own_account
        shares = {k: paid[k] for k in payers if paid[k] > 0}
        total = floor_cents(sum(shares.values()) * p.recovery_share)
        if total <= 0:
            return
        parts = pro_rata(total, np.array(list(shares.values())))
        for (step, _), part in zip(shares.items(), parts, strict=True):
            if part > 0:
                self.claims.append({"account": payers[step], "platform": platform,
                                    "to_investors": step == "investor_loss",
                                    "left": int(part),
                                    "weekly": max(int(part) // p.recovery_weeks, 1)})

    def collect(self) -> None:
        """This week's collections, from outside the model (collection agents)."""
        source, ledger = self.model.accounts["world.collections"], self.model.ledger
        still_open = []
        for claim in self.claims:
            amount = min(claim["weekly"], claim["left"])
            ledger.transfer(source, claim["account"], amount, "recovery from borrower")
            claim["left"] -= amount
            if claim["to_investors"]:
                self.model.exits.record_recovery(claim["platform"], amount)
            if claim["left"] > 0:
                still_open.append(claim)
        self.claims = still_open

    def outstanding_cents(self) -> int:
        """What is still to be recovered."""
        return sum(c["left"] for c in self.claims)

