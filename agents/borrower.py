"""Borrowers: individuals and micro firms without collateral (domain.md section 1).

State lives in :class:`BorrowerPopulation` columns; the rules below are vectorized over
the whole population and read as the per-borrower rule they implement (docs/design.md s.5).

- Each borrower has a true annual default probability ``pd`` (Beta-distributed) and an
  observable credit score, a noisy signal of it; "brushed" credit (刷信用) inflates some
  scores (sources 000 and 004, docs/bibliography.md, on fake and brushed credit data).
- A borrower falls into distress with a weekly hazard from its PD conditional on the
  common macro/real-estate factor (Vasicek one-factor, see ``ifsim.ecosystem.macro``); a
  distressed borrower keeps only ``distressed_income_share`` of its income (odd jobs,
  family support) and misses instalments on every platform at once.
- A healthy borrower asks for loans (amount, maturity, purpose) and repays equal weekly
  instalments out of income, within a debt-service limit and the borrowing caps per
  platform and in total (Interim Measures 2016: 200k / 1m yuan for individuals).
- A share of borrowers (``rollover_share``) borrow interest-only (先息后本, a common P2P
  repayment scheme) and repay each loan's principal at maturity with a new loan
  (借新还旧): from ``rollover_lead_weeks`` before maturity they apply for it, first at
  the platform that lent to them, which rolls them over without the debt-service test,
  then elsewhere, where the usual screening applies. When their lender has closed and
  no other will lend in time, they cannot pay the principal, fall into distress and
  default on every platform they owe: common borrowers carry one platform's closure to
  the others (domain.md section 4, channel 1; section 6).
- When a platform fails, a share of its borrowers (``strategic_default_share``) stop
  paying it (逃废债) and keep paying their other lenders.
- Distress ends with probability ``cure_prob_weekly`` a week: income recovers.
- Every borrower keeps precautionary savings in the bank card linked to its loans: a
  buffer of ``cash_buffer_weeks`` weeks of the income it now receives, and spends what
  lies above it, loan proceeds included (buffer-stock saving: households hold a target
  stock of liquid wealth against income shocks, Deaton 1991, Carroll 1997). That card is
  what the platform debits when a loan defaults and what collectors draw on afterwards
  (source 003, see ``ifsim.ecosystem.waterfall``).
- Once every loan of a distressed borrower is written off and every claim against it
  is closed, it leaves with its cash and is replaced by a new borrower (a constant
  population of potential borrowers).
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from ifsim.ecosystem.ledger import AccountKind
from ifsim.ecosystem.macro import conditional_pd, logit
from ifsim.ecosystem.money import floor_cents, weekly_hazard
from ifsim.ecosystem.params import BorrowerParams


@dataclass
class BorrowerPopulation:
    """Columns of borrower state, one row per borrower."""

    account: np.ndarray         # ledger account ids
    payment_firm: np.ndarray    # index of the payment firm that moves their money
    pd_annual: np.ndarray       # true annual default probability
    score: np.ndarray           # observable credit score, logit units (higher = safer)
    brushed: np.ndarray         # bool: credit record brushed
    income_cents_weekly: np.ndarray
    distressed: np.ndarray      # bool: income reduced, not paying
    loans_taken: np.ndarray     # count of loans ever taken (for inspection)
    rolls_over: np.ndarray      # bool: takes interest-only loans and refinances them

    @property
    def n(self) -> int:
        """Number of borrowers."""
        return len(self.account)


class Borrower(mesa.Agent):
    """One borrower; a view onto row ``idx`` of the model's borrower population."""

    def __init__(self, model: mesa.Model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    @property
    def pd_annual(self) -> float:
        """True annual default probability."""
        return float(self.model.borrowers.pd_annual[self.idx])

    @property
    def distressed(self) -> bool:
        """Whether the borrower is in distress: reduced income, no instalments paid."""
        return bool(self.model.borrowers.distressed[self.idx])

    @property
    def cash_cents(self) -> int:
        """Cash in the borrower's account."""
        return self.model.ledger.balance(int(self.model.borrowers.account[self.idx]))

    # -- population ------------------------------------------------------------------
    @classmethod
    def create_population(cls, model: mesa.Model, n: int) -> BorrowerPopulation:
        """Open accounts, draw characteristics and register ``n`` Mesa agents."""
        accounts = model.ledger.open_block("borrower", n, AccountKind.HOUSEHOLD)
        pop = BorrowerPopulation(
            account=accounts,
            payment_firm=model.draw_payment_firms(n),
            pd_annual=np.zeros(n), score=np.zeros(n), brushed=np.zeros(n, bool),
            income_cents_weekly=np.zeros(n, np.int64), distressed=np.zeros(n, bool),
            loans_taken=np.zeros(n, np.int64), rolls_over=np.zeros(n, bool),
        )
        cls.draw_characteristics(model, pop, np.arange(n))
        for i in range(n):
            cls(model, i)
        return pop

    @staticmethod
    def draw_characteristics(model: mesa.Model, pop: BorrowerPopulation,
                             rows: np.ndarray) -> None:
        """Draw PD, score, brushing and income for new borrowers in ``rows``."""
        p: BorrowerParams = model.params.borrower
        rng, k = model.rng, len(rows)
        a = p.pd_annual_mean * p.pd_concentration
        pd_annual = rng.beta(a, p.pd_concentration - a, k)  # mean pd_annual_mean
        brushed = rng.random(k) < p.brushed_share
        noise = rng.normal(0.0, p.score_noise_sd, k)
        pop.pd_annual[rows] = np.clip(pd_annual, 1e-4, 0.99)
        pop.score[rows] = -logit(pop.pd_annual[rows]) + noise + brushed * p.brushing_boost_logit
        pop.brushed[rows] = brushed
        income = p.income_median_cents_weekly * np.exp(rng.normal(0.0, p.income_sigma, k))
        pop.income_cents_weekly[rows] = floor_cents(income)
        pop.distressed[rows] = False
        pop.rolls_over[rows] = rng.random(k) < p.rollover_share

    # -- weekly rules (vectorized) ------------------------------------------------------
    @classmethod
    def fall_into_distress(cls, model: mesa.Model) -> None:
        """A healthy borrower becomes distressed with its macro-conditional weekly hazard;
        a distressed one recovers its income with probability ``cure_prob_weekly``.

        Real-estate loans load more on the common factor, so a borrower with such a loan
        uses the larger loading (domain.md s.2: yields flowing to real estate).
        """
        pop, p = model.borrowers, model.params.borrower
        loading = np.ones(pop.n)
        loading[model.borrowers_with_real_estate_loans()] = p.real_estate_factor_multiplier
        pd_t = conditional_pd(pop.pd_annual, model.macro.factor, loading,
                              model.params.macro.default_correlation)
        draws = model.rng.random((2, pop.n))
        cured = pop.distressed & (draws[1] < p.cure_prob_weekly)   # income recovers
        hit = draws[0] < weekly_hazard(pd_t)
        pop.distressed = (pop.distressed & ~cured) | (hit & ~pop.distressed)

    @classmethod
    def weekly_income_cents(cls, model: mesa.Model) -> np.ndarray:
        """What each borrower earns a week now: its income, or the reduced income of a
        distressed borrower (``distressed_income_share`` of it: odd jobs, family help)."""
        pop = model.borrowers
        reduced = floor_cents(pop.income_cents_weekly
                              * model.params.borrower.distressed_income_share)
        return np.where(pop.distressed, reduced, pop.income_cents_weekly)

    @classmethod
    def earn_income(cls, model: mesa.Model) -> None:
        """Borrowers receive this week's income, reduced if distressed (from outside)."""
        pop = model.borrowers
        income = cls.weekly_income_cents(model)
        has = income > 0
        model.ledger.transfer_batch(model.accounts["world.income"], pop.account[has],
                                    income[has], "borrower income")

    @classmethod
    def spend_remaining_cash(cls, model: mesa.Model) -> None:
        """Cash above the precautionary buffer is consumed (leaves the model).

        The buffer is ``cash_buffer_weeks`` weeks of the income the borrower now
        receives (buffer-stock saving, Deaton 1991, Carroll 1997; thin by default, since
        households that borrow at 10-20% a year are liquidity-constrained). Loan proceeds
        fill a buffer that is short and the rest is spent. A borrower who falls into
        distress runs its buffer down to the smaller target of its reduced income: a
        forced debit soon after the first missed instalment (guaranteed loans) finds more
        in the card than one at write-off weeks later.
        """
        pop = model.borrowers
        target = floor_cents(cls.weekly_income_cents(model)
                             * model.params.borrower.cash_buffer_weeks)
        excess = model.ledger.balances(pop.account) - target
        has = excess > 0
        model.ledger.transfer_batch(pop.account[has], model.accounts["world.spending"],
                                    excess[has], "borrower spending")

    @classmethod
    def pay_instalments(cls, model: mesa.Model, rows: np.ndarray, due: np.ndarray,
                        ) -> np.ndarray:
        """Which of the loans in ``rows`` get paid this week.

        A borrower pays all its instalments if it is healthy and its cash covers them all,
        otherwise none (a distressed borrower defaults everywhere at once). A healthy
        borrower whose cash falls short is recorded as distressed: every missed
        instalment belongs to a borrower in recorded default, or to a loan of a failed
        platform its borrower has chosen not to pay (``strategic``, 逃废债).
        """
        pop = model.borrowers
        borrowers = model.loans.borrower[rows]
        owed = model.loans.strategic[rows] == 0      # 逃废债: a failed lender goes unpaid
        total_due = np.zeros(pop.n, np.int64)
        np.add.at(total_due, borrowers[owed], due[owed])
        cash = model.ledger.balances(pop.account)
        pop.distressed |= (total_due > 0) & (cash < total_due)
        return ~pop.distressed[borrowers] & owed

    @classmethod
    def ask_for_loans(cls, model: mesa.Model) -> dict[str, np.ndarray]:
        """This week's loan applications: who, how much, for how long, for what."""
        pop, p, rng = model.borrowers, model.params.borrower, model.rng
        open_loans = model.loans.by_borrower_count(pop.n)
        eligible = ~pop.distressed & (open_loans < p.max_open_loans)
        applies = eligible & (rng.random(pop.n) < p.apply_prob_weekly)
        refinance = cls.loans_to_roll_over(model)
        applies[model.loans.borrower[refinance]] = False    # one application a week
        who = np.flatnonzero(applies)
        k = len(who)
        amount = p.loan_amount_median_cents * np.exp(rng.normal(0.0, p.loan_amount_sigma, k))
        mat_w = np.asarray(p.maturity_weights) / sum(p.maturity_weights)
        pur_w = np.asarray(p.purpose_weights) / sum(p.purpose_weights)
        new = {
            "borrower": who,
            "amount_cents": np.maximum(floor_cents(amount), 100),
            "term_weeks": rng.choice(np.asarray(p.maturity_weeks_options), size=k, p=mat_w),
            "purpose": rng.choice(3, size=k, p=pur_w).astype(np.int8),
            "refinances": np.full(k, -1, np.int64),
        }
        return {key: np.concatenate([new[key], value])
                for key, value in cls.refinancing(model, refinance).items()}

    @classmethod
    def loans_to_roll_over(cls, model: mesa.Model) -> np.ndarray:
        """Interest-only loans of healthy rollover borrowers that mature within
        ``rollover_lead_weeks`` (借新还旧: the principal is to be repaid with a new loan);
        one per borrower, the soonest."""
        loans, pop = model.loans, model.borrowers
        lead = model.params.borrower.rollover_lead_weeks
        left = loans.term_weeks - loans.weeks_paid
        rows = np.flatnonzero(loans.real_active() & (loans.bullet == 1) & (left <= lead)
                              & (loans.strategic == 0)     # not a failed lender it quit
                              & pop.rolls_over[loans.borrower] & ~pop.distressed[
                                  loans.borrower])
        order = np.lexsort((left[rows], loans.borrower[rows]))
        rows = rows[order]
        first = np.unique(loans.borrower[rows], return_index=True)[1]
        return rows[first]

    @classmethod
    def refinancing(cls, model: mesa.Model, rows: np.ndarray) -> dict[str, np.ndarray]:
        """Applications for the loans that repay ``rows``: the principal grossed up for
        the fees taken at disbursement, for the same term and purpose."""
        loans, p = model.loans, model.params
        fees = p.platform.origination_fee + p.guarantor.fee
        amount = np.ceil(loans.outstanding_cents[rows] / max(1.0 - fees, 1e-9))
        return {"borrower": loans.borrower[rows], "amount_cents": amount.astype(np.int64),
                "term_weeks": loans.term_weeks[rows].copy(),
                "purpose": loans.purpose[rows].astype(np.int8), "refinances": rows.copy()}

    @classmethod
    def replace_departed(cls, model: mesa.Model) -> None:
        """Distressed borrowers with no loans and no open claims against them leave,
        taking their cash with them; new borrowers (empty accounts) take their place.

        A borrower that collectors are still pursuing stays until its claims are
        collected or lapse (``guarantor.recovery_weeks``).
        """
        pop = model.borrowers
        open_loans = model.loans.by_borrower_count(pop.n)
        pursued = model.recoveries.pursued_borrowers(pop.n)
        gone = np.flatnonzero(pop.distressed & (open_loans == 0) & ~pursued)
        if gone.size:
            cash = model.ledger.balances(pop.account[gone])
            has = cash > 0
            model.ledger.transfer_batch(pop.account[gone[has]],
                                        model.accounts["world.spending"], cash[has],
                                        "departing borrower's cash")
            cls.draw_characteristics(model, pop, gone)
