"""P2P lending and crowdfunding platforms (网贷平台, 众筹平台; domain.md sections 1 and 3).

Every platform screens borrowers by credit score with its own risk-control quality,
prices loans at a reference rate plus a risk premium under any rate cap, funds them from
its investors' pool, services repayments, earns fees (中介服务费), pays operating and
security costs out of its own capital, keeps the investor pool at a custodian bank or
not (资金存管), and can fail. Its business model (``PlatformType``) changes what investors
are promised and who bears losses:

- information intermediary (信息中介): investors bear each loan's credit risk (pool NAV);
- guaranteed: partner guarantors and a risk-reserve pool (风险准备金) stand behind
  defaults through the default waterfall of source 003 (``ifsim.ecosystem.waterfall``);
- fund pool (资金池): principal and a fixed yield are promised on short products while
  loans run long (期限错配); the platform tops up the pool from its capital;
- fraudulent/Ponzi: diverts new money to its owners as fictitious loans (自融, 虚构标的),
  pays old investors from new money, and absconds (跑路) when inflows fall short of
  promised payouts;
- crowdfunding (众筹): all-or-nothing campaigns (``ifsim.ecosystem.campaigns``).

Failure has a cause (insolvent, illiquid, absconded, hacked, ordered to exit). Whether the
owners abscond (跑路) is their decision (``owners_abscond``): every week, and again when the
platform fails, they compare what they could take (their own money and, without bank
custody, the investors' cash, escrow and risk pool) against what staying is worth to
them (their capital net of what they owe investors on a broken promise, plus the
franchise value of future profits), counting the expected sanction (a detection
probability times a penalty, and losing what they took). Custody lowers what they can
take, so it lowers absconding through the decision (Gu, Gui and Huang 2021: 19% of
collapses involved absconding, custody lowers it most; Becker 1968 on the economics of
crime). An absconding ends in disorderly collapse (records lost, a share of loans never
collected); otherwise the wind-down is orderly (清盘): loans are collected over time and
the pool is paid out pro rata.

A claim on a platform is valued at what the pool can pay (``recoverable_value_cents``:
cash, escrow, performing loans, loans in arrears at the recovery rate observed so far,
fictitious loans at nothing), never at what was promised; the promise of a fund pool or
Ponzi scheme is a quantity of its own (``promised_cents``).
"""

from __future__ import annotations

import mesa
import numpy as np

from ifsim.ecosystem.contracts import FailureCause, LoanKind, PlatformType
from ifsim.ecosystem.macro import logistic
from ifsim.ecosystem.money import floor_cents, weekly_rate


class Platform(mesa.Agent):
    """One platform; its loans live in the model's loan book."""

    def __init__(self, model: mesa.Model, idx: int, *, kind: PlatformType, accounts: dict,
                 custody_bank: int, pd_cutoff_annual: float, screening_noise_sd: float,
                 operating_cost_cents_weekly: int, security_spend_share: float) -> None:
        super().__init__(model)
        self.idx = idx
        self.kind = PlatformType(kind)
        self.own_account = accounts["own"]
        self.pool_account = accounts["pool"]
        self.risk_pool_account = accounts["risk_pool"]
        self.escrow_account = accounts["escrow"]
        self.custody_bank = custody_bank          # -1: investor money held by the platform
        self.pd_cutoff_annual = pd_cutoff_annual
        self.screening_noise_sd = screening_noise_sd
        self.operating_cost_cents_weekly = operating_cost_cents_weekly
        self.security_spend_share = security_spend_share
        self.guarantors: list[int] = []
        self.entered_step = model.steps            # 0 for the platforms of week 0
        self.margin_annual = model.params.platform.margin_annual   # moves with competition
        self.product_mix = np.zeros(0)             # weights over product terms (products)
        self.transfer_queue_cents = 0              # claims offered and not yet sold
        self.alive = True
        self.failure_cause: str | None = None
        self.failed_step: int | None = None
        self.owed_at_failure_cents = 0.0           # units at the unit price as it failed
        self.disorderly = False
        self.units_total = 0
        self.run_weeks = 0
        self.down_until_step = 0
        self.book_cents = 0                        # principal outstanding, refreshed weekly
        self.arrears_cents = 0
        self.promised_price_cents = 1.0            # unit value promised (fund pool, Ponzi)
        self.investor_inflow_cents = 0
        self.investor_outflow_cents = 0
        self.investor_writeoffs_cents = 0          # written off against investors
        self.investor_recoveries_cents = 0         # recovered for investors later
        self.recent_inflows_cents: list[int] = []
        # loans outstanding by what they are worth, refreshed with the book
        self.fictitious_cents = 0
        self.guaranteed_arrears_cents = 0
        self.owner_cashflow_cents_weekly = 0.0     # average weekly change in own money
        self.revenue_cents_weekly = 0.0            # average weekly fee revenue
        self.promise_cost_cents = 0                # promise top-ups this week
        self.cost_cents_weekly = 0.0               # average weekly costs and fees paid
        self._own_at_week_start = 0
        self.abscond_penalty_cents = 0             # this owner's sanction if caught
        self.owners_caught = False
        p = model.params.platform
        self.advertised_yield_annual = self.price(np.array([pd_cutoff_annual / 2]))[0] * (
            1 - p.interest_fee_share) + self.yield_premium()
        self.yield_sum, self.yield_weeks = 0.0, 0

    @property
    def name(self) -> str:
        """Label used in events."""
        return f"platform-{self.idx}"

    @property
    def has_custody(self) -> bool:
        """Whether investor money sits at a custodian bank."""
        return self.custody_bank >= 0

    @property
    def promises_principal(self) -> bool:
        """Fund pools and Ponzi schemes promise principal and a fixed yield (刚性兑付)."""
        return self.kind in (PlatformType.FUND_POOL, PlatformType.PONZI)

    def in_service(self) -> bool:
        """Alive and not down after an incident."""
        return self.alive and self.model.steps >= self.down_until_step

    def yield_premium(self) -> float:
        """A Ponzi scheme adds a premium to draw new money; a fund pool, which promises
        its yield, takes off the losses it expects (its borrowers' mean estimated PD,
        about half its cut-off) so that in calm times it can keep the promise."""
        if self.kind == PlatformType.PONZI:
            return self.model.params.platform.yield_premium_high_risk_annual
        if self.kind == PlatformType.FUND_POOL:
            return -0.5 * self.pd_cutoff_annual
        return 0.0

    # -- balance sheet --------------------------------------------------------------
    def pool_cash_cents(self) -> int:
        """Investor money not yet lent (escrowed campaign money included)."""
        ledger = self.model.ledger
        return ledger.balance(self.pool_account)

    def pool_value_cents(self) -> int:
        """Investors' pool: cash, escrow and loans outstanding (fictitious ones too)."""
        return (self.pool_cash_cents() + self.model.ledger.balance(self.escrow_account)
                + self.book_cents)

    def recoverable_value_cents(self) -> int:
        """What the investors' pool can pay: cash, escrow, performing loans, guaranteed
        loans in arrears as far as their standing guarantors' capital covers them, other
        loans in arrears and open recovery claims at the recovery rate observed so far in
        the market, fictitious loans at nothing."""
        model = self.model
        arrears = self.arrears_cents - self.guaranteed_arrears_cents
        recovery = model.observed_recovery_rate()
        claims = int(model.investor_claims_cents()[self.idx])
        value = (self.pool_cash_cents() + model.ledger.balance(self.escrow_account)
                 + self.book_cents - self.fictitious_cents - arrears
                 + floor_cents((arrears + claims) * recovery))
        return max(int(value), 0)

    def nav_cents(self) -> float:
        """Recoverable value of one unit."""
        if self.units_total <= 0:
            return 1.0
        return self.recoverable_value_cents() / self.units_total

    def unit_price_cents(self) -> float:
        """Price at which units are bought and paid out: a living fund pool or Ponzi
        scheme deals at its promised price (old investors paid from new money);
        otherwise at recoverable value."""
        if self.promises_principal and self.alive:
            return self.promised_price_cents
        return self.nav_cents()

    def unit_value_cents(self) -> float:
        """What one unit is worth to its holder: recoverable value, never the promise."""
        nav = self.nav_cents()
        if self.promises_principal and self.alive:
            return min(nav, self.promised_price_cents)
        return nav

    def promised_cents(self) -> int:
        """What a living platform that promises principal and yield owes at its
        promised price (a promise, not wealth); 0 for other platforms."""
        if not (self.promises_principal and self.alive):
            return 0
        return floor_cents(self.units_total * self.promised_price_cents)

    def capital_cents(self) -> int:
        """The platform's own money."""
        return self.model.ledger.balance(self.own_account)

    def balance_sheet(self) -> dict[str, int]:
        """Own balance sheet; the pool is the investors' (off balance sheet), except what
        a promising platform owes them beyond the pool's value."""
        capital = self.capital_cents()
        promised_gap = max(self.promised_cents() - self.recoverable_value_cents(), 0)
        return {"assets_cents": capital, "liabilities_cents": promised_gap,
                "equity_cents": capital - promised_gap,
                "investor_pool_cents": self.pool_value_cents(),
                "investor_pool_recoverable_cents": self.recoverable_value_cents(),
                "risk_pool_cents": self.model.ledger.balance(self.risk_pool_account)}

    # -- lending --------------------------------------------------------------------
    def estimate_pd(self, scores: np.ndarray) -> np.ndarray:
        """Estimated annual PD from the credit score, blurred by the platform's own noise."""
        noise = self.model.rng.normal(0.0, self.screening_noise_sd, len(scores))
        return logistic(-(scores + noise))

    def price(self, est_pd_annual: np.ndarray) -> np.ndarray:
        """Loan rate: reference (bank lending) rate + risk premium + margin."""
        p = self.model.params
        return (self.model.macro.lending_rate_annual + p.platform.risk_premium_multiplier
                * est_pd_annual + self.margin_annual)

    def adjust_margin(self, unfunded_cents: int, waiting_cents: int,
                      lent_cents: int = 0) -> None:
        """Competition on price: a platform that turned away loans it approved for want
        of money raises its margin, one whose money waits unlent (investors' bids, or a
        fund pool's cash beyond its buffer) cuts it, by ``platform.margin_step_annual``
        times the excess demand share: (turned away - waiting) over all the money asked
        for or on offer this week, loans booked included (a Walrasian price adjustment,
        one platform at a time; borrowers compare margins when they choose,
        ``markets.choose_lenders``). A platform that lends most of what it is offered
        moves little; its speed is the free parameter ``margin_step_annual``."""
        total = unfunded_cents + waiting_cents + lent_cents
        if total <= 0 or not self.alive:
            return
        p = self.model.params.platform
        excess = (unfunded_cents - waiting_cents) / total
        self.margin_annual = float(np.clip(self.margin_annual + p.margin_step_annual * excess,
                                           0.0, 3 * p.margin_annual))

    def screen(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Approve applications whose estimated PD is under the cut-off and whose price
        is under the rate cap (0 = no cap). Returns (approved, rate_annual, est_pd)."""
        est_pd = self.estimate_pd(scores)
        rate = self.price(est_pd)
        cap = self.model.params.platform.rate_cap_annual
        approved = (est_pd < self.pd_cutoff_annual) & ((cap == 0) | (rate <= cap))
        return approved & self.in_service(), rate, est_pd

    def term_weeks(self, asked: np.ndarray) -> np.ndarray:
        """Fund pools lend longer than their investors commit (maturity mismatch)."""
        if self.kind != PlatformType.FUND_POOL:
            return asked
        return np.ceil(asked * self.model.params.platform.fund_pool_term_multiplier).astype(
            np.int64)

    def sells_now(self) -> bool:
        """Whether it takes new money this week: a fund pool stops selling products while
        its cash is more than twice its buffer (money it cannot lend would have to earn
        the promised yield from its capital: "标的不足", not enough loans to offer);
        other platforms take money whenever they are in service."""
        if not self.in_service():
            return False
        if self.kind != PlatformType.FUND_POOL:
            return True
        buffer = 2 * self.model.params.platform.fund_pool_cash_share * self.pool_value_cents()
        return self.pool_cash_cents() <= buffer

    def lendable_cents(self) -> int:
        """Pool cash available for new loans."""
        cash = self.pool_cash_cents()
        if self.kind == PlatformType.FUND_POOL:
            return max(cash - floor_cents(self.pool_value_cents()
                                          * self.model.params.platform.fund_pool_cash_share),
                       0)
        return cash

    def note_new_rates(self, rates: np.ndarray) -> None:
        """Advertised yield follows the rates on new loans, net of the platform's cut."""
        if len(rates) == 0:
            return
        net = float(rates.mean()) * (1 - self.model.params.platform.interest_fee_share)
        self.advertised_yield_annual = (0.8 * self.advertised_yield_annual
                                        + 0.2 * (net + self.yield_premium()))

    def note_inflow(self, amount_cents: int) -> None:
        """Record new investor money (for loss rates and the Ponzi's solvency test)."""
        self.investor_inflow_cents += amount_cents
        if not self.recent_inflows_cents:
            self.recent_inflows_cents.append(0)
        self.recent_inflows_cents[-1] += amount_cents

    # -- weekly: promises, Ponzi diversion, costs -----------------------------------
    def start_week(self) -> None:
        """Roll the inflow window; accrue the promised yield; record the advertised yield."""
        self.recent_inflows_cents = ([*self.recent_inflows_cents, 0])[-4:]
        self._own_at_week_start = self.capital_cents()
        if self.alive:
            self.yield_sum += self.advertised_yield_annual
            self.yield_weeks += 1
            if self.promises_principal:
                self.promised_price_cents *= 1 + weekly_rate(self.advertised_yield_annual)

    def keep_promise(self) -> None:
        """Top the pool up from own capital to what was promised, or fail insolvent.

        A fund pool measures the gap against what its pool can pay (loans in arrears at
        their expected recovery), so leavers paid the promise are not paid out of those
        who stay. A Ponzi scheme measures it against its own books, where its fictitious
        loans stand at face: that is how it hides the hole until the cash runs out."""
        if not (self.alive and self.promises_principal):
            return
        assets = self.pool_value_cents() if self.kind == PlatformType.PONZI \
            else self.recoverable_value_cents()
        gap = floor_cents(self.units_total * self.promised_price_cents) - assets
        if gap <= 0:
            return
        paid = min(gap, self.capital_cents())
        self.model.ledger.transfer(self.own_account, self.pool_account, paid,
                                   "promised return topped up by platform")
        self.promise_cost_cents += paid
        if paid < gap:
            self.fail(FailureCause.INSOLVENT, "cannot pay the promised principal and yield")

    def divert_new_money(self, amount_cents: int) -> None:
        """A Ponzi platform books part of new money as fictitious loans to its owners."""
        p = self.model.params.platform
        diverted = min(floor_cents(amount_cents * p.ponzi_diversion_share),
                       self.pool_cash_cents())
        if diverted > 0:
            self._book_fictitious(diverted)

    def _book_fictitious(self, diverted: int) -> None:
        """Move pool cash to the owners against a fictitious loan at face value."""
        self.model.ledger.transfer(self.pool_account, self.own_account, diverted,
                                   "self-financing through fictitious loans")
        self.model.loans.add(
            borrower=np.array([0]), platform=np.array([self.idx]),
            principal_cents=np.array([diverted]), outstanding_cents=np.array([diverted]),
            instalment_cents=np.array([0]), rate_annual=np.array([0.0]),
            term_weeks=np.array([520]), purpose=np.array([1]), status=0,
            originated_step=self.model.steps, kind=LoanKind.FICTITIOUS)

    def divert_idle_cash(self, upcoming_cents: int) -> bool:
        """A Ponzi scheme keeps in its pool only what its products falling due in the
        next weeks will need, and books the rest as fictitious loans to its owners
        (self-financing, 自融): new money pays old investors, none of it waits. Returns
        whether it diverted anything (the books then need refreshing)."""
        if self.kind != PlatformType.PONZI or not self.alive:
            return False
        excess = self.pool_cash_cents() - upcoming_cents
        if excess > 0:
            self._book_fictitious(excess)
        return excess > 0

    def ponzi_cannot_pay(self, requested_cents: int) -> bool:
        """Inflows over four weeks below the ratio times what investors ask back: the
        scheme cannot pay old investors from new money any more."""
        if self.kind != PlatformType.PONZI or not self.alive or self.model.steps < 8:
            return False
        ratio = self.model.params.platform.ponzi_failure_inflow_ratio
        return sum(self.recent_inflows_cents) < ratio * requested_cents

    def weekly_costs_cents(self) -> dict[str, int]:
        """Operating cost with security spending, servicing cost, custodian's fee."""
        p = self.model.params
        operating = self.operating_cost_cents_weekly * (1 + self.security_spend_share)
        costs = {
            "operating": floor_cents(operating) if self.alive else 0,
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
        model = self.model
        costs = self.weekly_costs_cents()
        sink = model.accounts["world.operating_costs"]
        bills = [(sink, costs["operating"], "platform operating cost"),
                 (sink, costs["servicing"], "platform servicing cost")]
        if self.has_custody:
            bills.append((model.banks[self.custody_bank].own_account, costs["custody"],
                          "custody fee"))
        for firm in model.payment_firms:
            bills.append((firm.own_account, firm.take_fees_due(self.idx), "payment fee"))
        # what keeping the promise cost this week is a cost of the business too
        self.note_operating_result(int(model.fee_income_cents[self.idx]),
                                   sum(amount for _, amount, _ in bills)
                                   + self.promise_cost_cents)
        self.promise_cost_cents = 0
        for dst, amount, reason in bills:
            paid = min(amount, model.ledger.balance(self.own_account))
            model.ledger.transfer(self.own_account, dst, paid, reason)
            if paid < amount and self.alive:
                self.fail(FailureCause.INSOLVENT, f"could not pay {reason}")

    def note_operating_result(self, revenue_cents: int, cost_cents: int) -> None:
        """Average weekly fee revenue and costs (bills, and capital spent keeping a
        promise): the operating result that would-be entrants read and that tells the
        owners to wind down (``ecosystem/entry.py``); unlike the owners' cash flow it
        leaves out money a Ponzi scheme diverts to them."""
        self.revenue_cents_weekly = 0.9 * self.revenue_cents_weekly + 0.1 * revenue_cents
        self.cost_cents_weekly = 0.9 * self.cost_cents_weekly + 0.1 * cost_cents

    def fund_risk_pool(self, fee_income_cents: int) -> None:
        """A guaranteed platform puts a share of its fee income into its risk pool."""
        if self.kind != PlatformType.GUARANTEED or fee_income_cents <= 0:
            return
        share = self.model.params.platform.risk_pool_revenue_share
        amount = min(floor_cents(fee_income_cents * share), self.capital_cents())
        self.model.ledger.transfer(self.own_account, self.risk_pool_account, amount,
                                   "risk pool: share of revenue")

    # -- failure ----------------------------------------------------------------------
    def check_liquidity(self, queued_cents: int) -> None:
        """A run: unmet withdrawals above a share of the pool for too many weeks. A
        platform funded from bids owes no redemption (holders of loan claims exit by
        selling them, backers wait for their projects), so a queue is no failure of its."""
        p = self.model.params.platform
        if not self.alive or self.kind.funded_by_bids:
            return
        value = max(self.pool_value_cents(), 1)
        self.run_weeks = self.run_weeks + 1 if queued_cents > p.illiquid_queue_share * value \
            else 0
        if self.run_weeks >= p.illiquid_weeks:
            self.fail(FailureCause.ILLIQUID, f"withdrawal queue {queued_cents} cents for "
                      f"{self.run_weeks} weeks")

    def check_solvency(self) -> None:
        """A pool wiped out while investors hold units is an insolvent platform. A Ponzi
        scheme's pool is judged on its own books, where its fictitious loans stand at
        face (as ``keep_promise`` judges it): nobody sees through them, so it fails when
        its cash runs out (``ponzi_cannot_pay``, a queue), not on the day it diverts the
        money."""
        if not (self.alive and self.units_total > 0):
            return
        value = self.pool_value_cents() if self.kind == PlatformType.PONZI \
            else self.recoverable_value_cents()
        if value <= 0:
            self.fail(FailureCause.INSOLVENT, "investor pool wiped out")

    def fail(self, cause: FailureCause | str, detail: str = "") -> None:
        """Leave the market. Owners of a platform failing insolvent or illiquid decide
        whether to abscond (``owners_abscond``) instead of winding it down."""
        if not self.alive:
            return
        cause = FailureCause(cause)
        if cause in (FailureCause.INSOLVENT, FailureCause.ILLIQUID) and \
                self.owners_abscond(failing=True):
            cause = FailureCause.ABSCONDED
            detail = f"{detail}; {self.abscond_reason(failing=True)}"
        price = self.unit_price_cents()           # what holders were owed a unit
        self.owed_at_failure_cents = float(self.units_total * price)
        self.alive = False
        self.failure_cause = cause.value
        self.failed_step = self.model.steps
        exposure = self.pool_value_cents()
        self.model.exits.leave(self, cause)
        if cause != FailureCause.WOUND_DOWN:
            self.model.protection.pay_out(self, price)
        kind = "platform_exit" if cause == FailureCause.WOUND_DOWN else "platform_failure"
        self.model.events.log(kind, self.name, cause.value, exposure,
                              detail or f"type={self.kind.label} custody={self.has_custody}")

    # -- the owners' decision to abscond ---------------------------------------------
    def note_owner_cashflow(self) -> None:
        """Average the weekly change in the owners' money (fees, diverted money, less
        costs and top-ups): the profit they expect to keep earning if they stay."""
        flow = self.capital_cents() - self._own_at_week_start
        self.owner_cashflow_cents_weekly = 0.9 * self.owner_cashflow_cents_weekly + 0.1 * flow

    def owners_reach_share(self) -> float:
        """Share of the investors' cash the owners can move: all of it without custody;
        with custody only what they can send out as payments for fictitious loans, since
        the custodian executes the platform's instructions and does not vouch for the
        loans behind them (CBRC Guidelines on P2P Custody, 2017, art. 7 and 22)."""
        if not self.has_custody:
            return 1.0
        return self.model.params.platform.custody_reach_share

    def owners_can_take_cents(self) -> int:
        """Their own money, the share of the investors' cash and escrow in their reach,
        and the risk pool unless it is in custody."""
        ledger = self.model.ledger
        cash = sum(ledger.balance(a) for a in (self.pool_account, self.escrow_account))
        take = self.capital_cents() + floor_cents(cash * self.owners_reach_share())
        if not self.has_custody:
            take += ledger.balance(self.risk_pool_account)
        return take

    def owners_stay_value_cents(self, failing: bool) -> float:
        """What staying is worth to the owners: their capital once a broken promise is
        made good to investors (an orderly exit pays that first), plus, unless the
        platform is failing, the franchise value of the profit they now make."""
        owed = max(self.promised_cents() - self.recoverable_value_cents(), 0)
        keep = max(self.capital_cents() - owed, 0)
        if failing:
            return float(keep)
        horizon = self.model.params.platform.owner_horizon_weeks
        return keep + horizon * max(self.owner_cashflow_cents_weekly, 0.0)

    def owners_abscond(self, failing: bool) -> bool:
        """Abscond when what they can take, kept only if not caught, less the expected
        penalty, is worth more than staying (Becker 1968)."""
        q = self.model.params.platform.fraud_detection_prob
        take = self.owners_can_take_cents()
        gain = (1 - q) * take - q * self.abscond_penalty_cents
        return take > 0 and gain > self.owners_stay_value_cents(failing)

    def abscond_reason(self, failing: bool) -> str:
        """The numbers behind the decision, for the event log."""
        return (f"owners could take {self.owners_can_take_cents()} cents, staying worth "
                f"{int(self.owners_stay_value_cents(failing))}, penalty "
                f"{self.abscond_penalty_cents}")

    def consider_absconding(self) -> None:
        """The weekly decision of the owners of a platform in business."""
        if self.alive and self.model.steps >= 1 and self.owners_abscond(failing=False):
            self.fail(FailureCause.ABSCONDED, self.abscond_reason(failing=False))

    def outcome(self) -> dict:
        """What became of this platform, for run summaries and the platform-types study."""
        guarantor_failed_step = self.guarantor_failed_step()
        return {
            "platform": self.idx, "type": self.kind.label, "custody": self.has_custody,
            "advertised_yield_annual": round(self.yield_sum / max(self.yield_weeks, 1), 10),
            "failed_step": self.failed_step, "cause": self.failure_cause,
            "disorderly": self.disorderly, "owners_caught": self.owners_caught,
            "guarantor_failed": guarantor_failed_step is not None,
            "guarantor_failed_step": guarantor_failed_step,
            "investor_inflow_cents": int(self.investor_inflow_cents),
            "investor_outflow_cents": int(self.investor_outflow_cents),
            "investor_writeoffs_cents": int(self.investor_writeoffs_cents),
            "investor_recoveries_cents": int(self.investor_recoveries_cents),
            "net_loss_cents": self.net_loss_cents(),
        }

    def guarantor_failed_step(self) -> int | None:
        """Week its first partner guarantor failed (None if none has)."""
        steps = [self.model.guarantors[g].failed_step for g in self.guarantors
                 if not self.model.guarantors[g].alive]
        return min(steps) if steps else None

    def net_loss_cents(self) -> int:
        """What its investors put in minus what they got back and the recoverable value
        of what they still hold, summed over investors (each never below 0)."""
        return int(self.model.investor_losses_by_platform()[self.idx])
