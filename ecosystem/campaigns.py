"""Crowdfunding campaigns (众筹; sources 000 and 002, docs/bibliography.md; domain.md s.3).

A project on a crowdfunding platform asks for a goal and has ``crowdfunding_campaign_weeks``
to raise it, all or nothing: each week backers' pledges move from their own accounts
(their bids on the platform, ``ecosystem/claims.py``) into the campaign's escrow; if the
goal is reached by the deadline the money goes to the project, otherwise it goes back
to the pool, which pays it out to its backers the next week. Lending campaigns then become ordinary
loans. Reward campaigns (奖励众筹) pay backers in goods: the pledge is booked as a reward
claim that is settled at its maturity with goods worth the pledge if the project
survives, and written off as the backers' loss if the project has failed (its owner is
in distress). Goods are not money: delivering them extinguishes the backers' claim (their
units, pro rata, counted as got back at value) and no cash enters the pool.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem import claims
from ifsim.ecosystem.contracts import LoanKind
from ifsim.ecosystem.loans import LoanStatus
from ifsim.ecosystem.markets import pay_in_kind


class Campaigns:
    """Open campaigns of every crowdfunding platform."""

    def __init__(self, model) -> None:
        self.model = model
        self.open: list[dict] = []

    def launch(self, apps: dict[str, np.ndarray], rows: np.ndarray) -> None:
        """Turn approved applications on crowdfunding platforms into campaigns."""
        p, rng = self.model.params.platform, self.model.rng
        for i in rows:
            reward = bool(rng.random() < p.crowdfunding_reward_share)
            self.open.append({
                "app": {k: v[i] for k, v in apps.items()}, "raised": 0, "reward": reward,
                "deadline": self.model.steps + p.crowdfunding_campaign_weeks})

    def asked_cents(self, borrowers: np.ndarray, platforms: np.ndarray,
                    ) -> tuple[np.ndarray, np.ndarray]:
        """What open campaigns ask for on behalf of each borrower: in all, and on the
        given platform (a campaign becomes debt when it closes, so caps count it now)."""
        total = np.zeros(len(borrowers), np.int64)
        here = np.zeros(len(borrowers), np.int64)
        for campaign in self.open:
            app = campaign["app"]
            mine = borrowers == int(app["borrower"])
            if mine.any():
                amount = int(app["amount_cents"])
                total[mine] += amount
                here[mine & (platforms == int(app["platform"]))] += amount
        return total, here

    def raise_and_close(self) -> dict[str, np.ndarray] | None:
        """Move pool money into escrow; close campaigns at their deadline.

        Returns the funded lending and reward campaigns as applications to book.
        """
        self._collect_pledges()
        funded, still_open = [], []
        for campaign in self.open:
            platform = self.model.platforms[int(campaign["app"]["platform"])]
            if not platform.alive:
                self._refund(platform, campaign)
                continue
            self._escrow(platform, campaign)
            if campaign["raised"] >= campaign["app"]["amount_cents"]:
                funded.append(campaign)
            elif self.model.steps >= campaign["deadline"]:
                self._refund(platform, campaign)
            else:
                still_open.append(campaign)
        self.open = still_open
        return self._release(funded) if funded else None

    def _collect_pledges(self) -> None:
        """Backers pledge from their bids (``claims``): each platform draws into its pool
        what its open campaigns still lack and its cash does not cover."""
        model = self.model
        want = np.zeros(len(model.platforms), np.int64)
        for campaign in self.open:
            platform = model.platforms[int(campaign["app"]["platform"])]
            if platform.alive and platform.in_service():
                want[platform.idx] += int(campaign["app"]["amount_cents"]) - campaign["raised"]
        if not want.any():
            return
        cash = model.pool_cash_by_platform()
        need = np.minimum(want - cash, claims.bids_by_platform(model) * claims.priced(model))
        if (need > 0).any():
            claims.draw_from_bids(model, np.maximum(need, 0), "pledge to a crowdfunding "
                                                              "campaign")

    def _escrow(self, platform, campaign: dict) -> None:
        want = int(campaign["app"]["amount_cents"]) - campaign["raised"]
        amount = min(want, platform.lendable_cents()) if platform.in_service() else 0
        if amount > 0:
            self.model.ledger.transfer(platform.pool_account, platform.escrow_account, amount,
                                       "pledged to a crowdfunding campaign")
            campaign["raised"] += amount

    def _refund(self, platform, campaign: dict) -> None:
        # absconding owners may already have emptied the escrow of a platform without custody
        amount = min(campaign["raised"], self.model.ledger.balance(platform.escrow_account))
        self.model.ledger.transfer(platform.escrow_account, platform.pool_account, amount,
                                   "campaign missed its goal: refund")
        self.model.events.log("campaign", platform.name, "goal missed", amount)

    def _release(self, funded: list[dict]) -> dict[str, np.ndarray]:
        """Escrow back to the pool, from where the booking disburses to the project."""
        for campaign in funded:
            platform = self.model.platforms[int(campaign["app"]["platform"])]
            self.model.ledger.transfer(platform.escrow_account, platform.pool_account,
                                       campaign["raised"], "campaign reached its goal")
        apps = {k: np.array([c["app"][k] for c in funded]) for k in funded[0]["app"]}
        apps["kind"] = np.array([LoanKind.REWARD if c["reward"] else LoanKind.REAL
                                 for c in funded], np.int8)
        apps["rate_annual"] = np.where(apps["kind"] == LoanKind.REWARD, 0.0,
                                       apps["rate_annual"])
        apps["instalment_cents"] = np.where(apps["kind"] == LoanKind.REWARD, 0,
                                            apps["instalment_cents"])
        return apps

    def deliver_rewards(self) -> None:
        """Reward pledges at maturity: goods delivered, or lost if the project failed or
        the platform has nobody left to deliver to."""
        model, loans = self.model, self.model.loans
        due = np.flatnonzero((loans.kind == LoanKind.REWARD)
                             & (loans.status == LoanStatus.ACTIVE)
                             & (loans.originated_step + loans.term_weeks <= model.steps))
        if due.size == 0:
            return
        failed = model.borrowers.distressed[loans.borrower[due]]
        for row in due[failed]:
            platform = model.platforms[int(loans.platform[row])]
            model.exits.write_off(platform, np.array([row]), "reward not delivered")
        due = due[~failed]
        n = len(model.platforms)
        value = np.bincount(loans.platform[due], loans.outstanding_cents[due], minlength=n)
        delivered = pay_in_kind(model, value.astype(np.int64))
        for row in due:
            platform = model.platforms[int(loans.platform[row])]
            if not delivered[platform.idx]:
                model.exits.write_off(platform, np.array([row]), "reward not delivered")
                continue
            model.events.log("campaign", platform.name, "reward delivered (goods)",
                             int(loans.outstanding_cents[row]))
            loans.cols["outstanding_cents"][row] = 0
            loans.cols["status"][row] = LoanStatus.REPAID
        model.refresh_platform_books()
