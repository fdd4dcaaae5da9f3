"""The default waterfall and recovery (source 003, the Weijinsuo/微金所 case; domain.md s.3).

Source 003 (Weijinsuo's rules for overdue loans): one working day after an instalment is
missed the platform sends a forced-repayment order through the UnionPay payment channel,
which takes principal and interest from the one or more bank cards the borrower linked
and pays investors pro rata; if that fails the recommending credit-service institution
pays investors' principal, then the risk pool and re-guarantee; from the second working
day the institution pursues the borrower for principal, interest and penalty interest.

When a loan is in default (``buyback_after_missed_weeks`` missed instalments for a
guaranteed loan, ``write_off_after_missed_weeks`` otherwise), its outstanding principal
is settled in this order, each payment logged as a ``waterfall`` event:

1. forced debit of the borrower's linked card, through its payment firm: all the cash
   in the borrower's account, up to what is owed (borrowers keep a precautionary
   buffer there, ``borrower.cash_buffer_weeks``; see ``ifsim.agents.borrower``);
2. the guarantor that recommended the loan buys it back (if it still stands); if it
   does, its margin on the loan comes back to it from the risk pool;
3. the platform's risk pool (guaranteed platforms; funded by guarantors' margins, a
   share of revenue and a share of capital); the margins of a guarantor that could not
   pay stay in it;
4. insurance, where the platform has it (a share of what is left);
5. whatever is left is the investors' loss.

Recovery against the borrower goes on afterwards (:class:`Recoveries`): what the forced
debit did not cover becomes a claim against the borrower, owned by those who paid it
(guarantor, risk pool, insurer, investors), pro rata to what each paid. Each week,
starting in the week of the default ("from day 2"), collection agents or court
enforcement take from the borrower's account up to ``guarantor.collection_income_share``
of its weekly income (a distressed borrower's income is reduced), for at most
``guarantor.recovery_weeks`` weeks, the week of the default included (the forced debit
has just emptied the card, so that week seldom yields anything); what is still owed then
is lost. So the recovery
rate is not a parameter: it follows from the borrower's income and the claim's size.
Only principal is claimed: interest and penalty interest (source 003) are not modelled.
Recovered money is the borrower's: nothing is created.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.contracts import PlatformType
from ifsim.ecosystem.markets import release_margins
from ifsim.ecosystem.money import floor_cents, sum_by

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
    model.recoveries.open_claim(platform, guarantor, borrower, paid)
    return paid


def _forced_debit(model, borrower: int, platform, owed: int) -> int:
    """Take up to ``owed`` from the borrower's linked account through its payment firm."""
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


COLUMNS = ("borrower", "account", "platform", "to_investors", "claim", "left", "claimed",
           "collected", "weeks_left")


class Recoveries:
    """Open claims against defaulted borrowers, collected out of their income.

    One row per owner of a claim (the claim of one defaulted loan is split by who paid in
    the waterfall), held as numpy columns: the borrower pursued, the owner's account, the
    platform of the loan, whether the owner is the platform's investors, the claim id,
    cents left and claimed, cents collected so far and weeks of collection left.

    Each week a pursued borrower pays ``guarantor.collection_income_share`` of its weekly
    income, capped by the cash in its account and by what it owes; the payment is shared
    over all its open claims pro rata to what is left on each (and so, within one claim,
    pro rata to what each owner paid). Modelled on enforcement of money judgments: the
    court may withhold a debtor's income but must leave what the debtor and dependants
    need to live on (PRC Civil Procedure Law); collection agents in practice negotiate
    instalments out of income. A share of income, rather than all cash above a floor,
    makes what is recovered depend on what the borrower earns over the collection period.
    """

    def __init__(self, model) -> None:
        self.model = model
        self.version = 0            # bumped on every change, for callers that cache
        self._next_claim = 0
        # investors' claims that have closed: what was claimed and what was collected
        self.closed_claimed_cents = 0
        self.closed_collected_cents = 0
        self.cols: dict[str, np.ndarray] = {
            name: np.zeros(0, bool if name == "to_investors" else np.int64)
            for name in COLUMNS}

    def __len__(self) -> int:
        return len(self.cols["left"])

    def open_claim(self, platform, guarantor: int, borrower: int,
                   paid: dict[str, int]) -> None:
        """Open a claim for what the borrower did not pay, owned by those who paid it."""
        model = self.model
        payers = {"investor_loss": platform.pool_account, "risk_pool":
                  platform.risk_pool_account, "insurance": model.accounts["world.insurer"]}
        if guarantor >= 0:
            payers["guarantor"] = model.guarantors[guarantor].own_account
        steps = [k for k in payers if paid[k] > 0]
        if not steps:
            return
        k = len(steps)
        amounts = np.array([paid[step] for step in steps], np.int64)
        new = {"borrower": np.full(k, borrower, np.int64),
               "account": np.array([payers[step] for step in steps], np.int64),
               "platform": np.full(k, platform.idx, np.int64),
               "to_investors": np.array([step == "investor_loss" for step in steps]),
               "claim": np.full(k, self._next_claim, np.int64),
               "left": amounts, "claimed": amounts.copy(),
               "collected": np.zeros(k, np.int64),
               "weeks_left": np.full(k, model.params.guarantor.recovery_weeks, np.int64)}
        self._next_claim += 1
        self.version += 1
        self.cols = {name: np.concatenate([self.cols[name], new[name]]) for name in COLUMNS}

    def collect(self) -> None:
        """This week's collections, debited from the pursued borrowers' accounts."""
        if not len(self):
            return
        model, c = self.model, self.cols
        pop = model.borrowers
        pursued, row_of = np.unique(c["borrower"], return_inverse=True)
        owed = sum_by(row_of, c["left"], pursued.size)
        income = model.roles["borrower"].weekly_income_cents(model)[pursued]
        limit = floor_cents(income * model.params.guarantor.collection_income_share)
        cash = model.ledger.balances(pop.account[pursued])
        take = np.minimum(np.minimum(limit, cash), owed)
        # pro rata to what is left on each claim; rounding down never takes more than take
        share = floor_cents(take[row_of] * (c["left"] / np.maximum(owed[row_of], 1)))
        part = np.where(take[row_of] == owed[row_of], c["left"],
                        np.minimum(share, c["left"]))
        moved = part > 0
        self.version += 1
        if moved.any():
            model.ledger.transfer_batch(pop.account[c["borrower"][moved]],
                                        c["account"][moved], part[moved],
                                        "recovery from borrower")
            c["left"] -= part
            c["collected"] += part
            model.step_stats["recovered_cents"] += int(part.sum())
            to_investors = sum_by(c["platform"], part * c["to_investors"],
                                  len(model.platforms))
            for idx in np.flatnonzero(to_investors):
                model.exits.record_recovery(model.platforms[int(idx)],
                                            int(to_investors[idx]))
        c["weeks_left"] -= 1
        claims, row_of = np.unique(c["claim"], return_inverse=True)
        paid_off = sum_by(row_of, c["left"], claims.size) == 0
        self._close(paid_off[row_of] | (c["weeks_left"] <= 0))

    def _close(self, done: np.ndarray) -> None:
        """Drop finished claims (all their rows), logging what each recovered and what
        lapsed as ``recovery`` events ("collected", "lapsed")."""
        if not done.any():
            return
        c = self.cols
        investors = done & c["to_investors"]
        self.closed_claimed_cents += int(c["claimed"][investors].sum())
        self.closed_collected_cents += int(c["collected"][investors].sum())
        for claim in np.unique(c["claim"][done]):
            rows = np.flatnonzero(c["claim"] == claim)
            platform = self.model.platforms[int(c["platform"][rows[0]])]
            detail = (f"borrower-{int(c['borrower'][rows[0]])} claim "
                      f"{int(c['claimed'][rows].sum())}")
            for cause, column in (("collected", "collected"), ("lapsed", "left")):
                amount = int(c[column][rows].sum())
                if amount > 0:
                    self.model.events.log("recovery", platform.name, cause, amount, detail)
        self.cols = {name: column[~done] for name, column in c.items()}
        self.version += 1

    def pursued_borrowers(self, n: int) -> np.ndarray:
        """Mask over ``n`` borrowers: True where a claim against the borrower is open."""
        mask = np.zeros(n, bool)
        mask[self.cols["borrower"]] = True
        return mask

    def recovery_rate(self) -> float:
        """Share of investors' closed claims that was collected (0 before any closes)."""
        if self.closed_claimed_cents <= 0:
            return 0.0
        return self.closed_collected_cents / self.closed_claimed_cents

    def outstanding_cents(self) -> int:
        """What is still to be recovered."""
        return int(self.cols["left"].sum())
