"""Investors: retail savers choosing between deposits, a money-market fund and platforms.

State lives in :class:`InvestorPopulation` columns; rules are vectorized (docs/design.md s.5).

- Allocation: an investor who reconsiders this week (probability
  ``rebalance_prob_weekly``, i.e. inertia) splits its wealth across bank deposits, its
  payment firm's money-market fund (if it uses one) and P2P by a multinomial logit on
  risk-adjusted yield: advertised yield minus its risk aversion times the perceived loss
  rate, minus a general distrust of P2P (domain.md s.1: investors chase advertised
  yields; s.2: "high yield, low risk" marketing hides risk). The yield counted for a
  platform is its advertised yield times the share of its pool that is lent out, since
  money waiting to be matched earns nothing: this keeps investor supply in step with
  loan demand.
- Beliefs (``agents/investor_views.py``): an investor's perceived loss rate of a
  platform is a shared, exponentially weighted average of its arrears as disclosed
  (late), plus failure news weighted by similarity to the platform that failed
  (information contagion, domain.md s.4 channel 3), plus the risk read from a yield
  above the market's median (``yield_signal``), plus its private part: its own delays
  and, with herding, its neighbours' views on the social network.
- Guarantees: investors discount the credit part of a guaranteed platform's perceived
  risk by the share of it its guarantors can observably cover: their capital against the
  losses they would owe on the guaranteed book at the investors' own perceived loss rate
  (``EcosystemModel.guarantee_coverage``; source 003 on buy-back by the credit-service
  institution). A guarantor with thin capital, or none left standing, is worth nothing.
- Withdrawal: an investor asks for all its units back from a platform whose perceived
  loss rate, plus what it expects to lose if it stays behind a queue the platform
  cannot pay (product platforms: ``investor_views.run_loss``), exceeds its own
  tolerance ("withdraw when their view of a platform sours"; strategic exit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from ifsim.agents import investor_views
from ifsim.ecosystem.holdings import EMPTY
from ifsim.ecosystem.ledger import AccountKind
from ifsim.ecosystem.money import floor_cents

# Orders smaller than this are not worth an investor's attention (100 yuan).
MIN_ORDER_CENTS = 10_000


@dataclass
class InvestorPopulation:
    """Columns of investor state, one row per investor."""

    account: np.ndarray             # ledger account: the investor's bank deposit
    bank: np.ndarray                # bank holding the deposit
    payment_firm: np.ndarray        # payment firm (and fund) the investor uses
    client_pos: np.ndarray          # row in that payment firm's client arrays
    fund_user: np.ndarray           # bool: uses the payment app's money-market fund
    risk_aversion: np.ndarray       # weight on perceived loss rate
    loss_tolerance_annual: np.ndarray
    auto_invest: np.ndarray         # bool: its auto-invest tool re-bids what claims repay
    fund_loss_tolerance: np.ndarray  # loss from staying in its fund it would bear (share)
    # bool: feared its fund at the last decision (settlement sweeps nothing in for it)
    fears_fund: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    # shared view of each platform: disclosed arrears (late), agents/investor_views.py
    perceived_loss_annual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    news_annual: float = 0.0        # market-wide fear from incidents and shocks
    # per platform: loss rate read from failures of similar platforms (hazard x loss)
    news_similar_annual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # per platform: what it owed as it failed, fading with investors' memory
    failed_weight_cents: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # per platform: money-years in similar platforms over the same memory
    exposure_cents_years: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # investors x platforms: each one's own experience and neighbours' views
    private_annual: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    attentive: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    # per platform: disclosed liquid share (late), what holders judge a queue against
    liquid_disclosed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # per platform: disclosed loss a holder expects if the platform fails
    failure_loss_disclosed: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # (arrears, liquid, failure loss) figures of the last disclosure_lag_weeks + 1 weeks
    disclosure_record: list = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of investors."""
        return len(self.account)


@dataclass
class Orders:
    """What investors decided this week, for the markets to execute."""

    invest_investor: np.ndarray
    invest_platform: np.ndarray
    invest_cents: np.ndarray
    subscribe_investor: np.ndarray
    subscribe_cents: np.ndarray
    redeem_investor: np.ndarray
    redeem_cents: np.ndarray


def logit_shares(utils: np.ndarray, sensitivity: float) -> np.ndarray:
    """Multinomial logit shares of each row's options; an option with utility -inf (not
    open to this investor) gets none, and with sensitivity 0 the open options share
    equally (0 x -inf would be NaN)."""
    open_ = np.isfinite(utils)
    best = np.where(open_, utils, -np.inf).max(axis=1, keepdims=True)
    gap = np.where(open_, utils - np.where(np.isfinite(best), best, 0.0), 0.0)
    weights = np.where(open_, np.exp(sensitivity * gap), 0.0)
    return weights / weights.sum(axis=1, keepdims=True)


class Investor(mesa.Agent):
    """One investor; a view onto row ``idx`` of the model's investor population."""

    def __init__(self, model: mesa.Model, idx: int) -> None:
        super().__init__(model)
        self.idx = idx

    @property
    def deposit_cents(self) -> int:
        """Bank deposit."""
        return self.model.ledger.balance(int(self.model.investors.account[self.idx]))

    @property
    def fund_cents(self) -> int:
        """Money-market fund holding, and the redemption the fund owes it at T+1."""
        pop = self.model.investors
        fund = self.model.funds[pop.payment_firm[self.idx]]
        pos = pop.client_pos[self.idx]
        return int(fund.holdings_cents[pos] + fund.payable_holders_cents[pos])

    @property
    def platform_cents(self) -> int:
        """Value of all platform holdings."""
        values = self.model.holdings.slot_values_cents(self.model.unit_values_cents())
        return int(values[self.idx].sum())

    # -- population ------------------------------------------------------------------
    @classmethod
    def create_population(cls, model: mesa.Model, n: int) -> InvestorPopulation:
        """Open deposit accounts, endow wealth, draw traits, register ``n`` Mesa agents."""
        p, rng = model.params.investor, model.rng
        accounts = model.ledger.open_block("investor", n, AccountKind.HOUSEHOLD)
        payment_firm = model.draw_payment_firms(n)
        client_pos = np.zeros(n, np.int64)
        for f in range(model.params.world.n_payment_firms):
            mine = payment_firm == f
            client_pos[mine] = np.arange(mine.sum())
        pop = InvestorPopulation(
            account=accounts,
            bank=rng.integers(0, model.params.world.n_banks, n),
            payment_firm=payment_firm,
            client_pos=client_pos,
            fund_user=rng.random(n) < p.mmf_user_share,
            risk_aversion=p.risk_aversion_mean * rng.lognormal(-0.125, 0.5, n),
            loss_tolerance_annual=p.loss_tolerance_mean_annual * rng.lognormal(-0.125, 0.5, n),
            auto_invest=rng.random(n) < p.auto_invest_share,
            fund_loss_tolerance=p.fund_loss_tolerance_mean * rng.lognormal(-0.125, 0.5, n),
        )
        wealth = floor_cents(p.wealth_median_cents * np.exp(rng.normal(0, p.wealth_sigma, n)))
        model.ledger.transfer_batch(model.accounts["world.endowment"], accounts, wealth,
                                    "initial investor wealth")
        for i in range(n):
            cls(model, i)
        return pop

    # -- weekly rules (vectorized) ------------------------------------------------------
    @classmethod
    def update_beliefs(cls, model: mesa.Model, arrears_share: np.ndarray,
                       failures: int) -> None:
        """Blend disclosed arrears (late, if disclosed at all) into the shared perceived
        loss rates; add what failures of similar platforms say (``investor.
        failure_news``: a fixed rise per failure, ``failures`` of them last week on the
        market-wide term, or the loss rate they imply); update each investor's private
        view (``agents/investor_views.py``)."""
        pop, p = model.investors, model.params.investor
        arrears, liquid, loss = investor_views.disclosed(
            model, arrears_share, investor_views.liquid_share(model),
            investor_views.failure_loss(model))
        pop.liquid_disclosed, pop.failure_loss_disclosed = liquid, loss
        if not model.params.regulator.disclose_arrears:
            arrears = np.zeros_like(arrears)
        if pop.perceived_loss_annual.size != arrears.size:
            pop.perceived_loss_annual = arrears.astype(float).copy()
            pop.news_similar_annual = np.zeros(arrears.size)
        w = p.belief_weight_weekly
        pop.perceived_loss_annual = (1 - w) * pop.perceived_loss_annual + w * arrears
        pop.news_annual = p.panic_decay_weekly * pop.news_annual
        if p.failure_news == investor_views.FAILURES_AS_LOSS_RATE:
            pop.news_similar_annual = investor_views.update_failure_hazard_annual(
                model) * loss
        else:
            pop.news_annual += failures * p.panic_per_failure_annual * (
                p.news_similarity_floor)
            similar = investor_views.similarity(model, investor_views.failed_last_week(model))
            pop.news_similar_annual = (p.panic_decay_weekly * pop.news_similar_annual
                                       + p.panic_per_failure_annual * similar)
        investor_views.update_private(model)

    @classmethod
    def meet_new_platform(cls, model: mesa.Model) -> None:
        """A platform entered: with no record of its own yet, investors start from the
        average they perceive among platforms in business (a newcomer is judged by its
        sector until its own arrears are disclosed), with no news and no private view of
        it."""
        pop = model.investors
        if pop.perceived_loss_annual.size != len(model.platforms) - 1:
            return  # beliefs not formed yet: the first update sizes them
        alive = model.platform_alive_mask()[:-1]
        prior = float(pop.perceived_loss_annual[alive].mean()) if alive.any() else 0.0
        pop.perceived_loss_annual = np.append(pop.perceived_loss_annual, prior)
        pop.news_similar_annual = np.append(pop.news_similar_annual, 0.0)
        if pop.private_annual.shape == (pop.n, len(model.platforms) - 1):
            pop.private_annual = np.hstack([pop.private_annual, np.zeros((pop.n, 1))])

    @classmethod
    def perceived_loss(cls, model: mesa.Model) -> np.ndarray:
        """Shared perceived annual loss rate of each platform, news included, plus what
        a yield above the market's says about risk (``yield_signal``); each investor
        adds its private view (``private_annual``)."""
        pop = model.investors
        covered = model.guarantee_coverage(pop.perceived_loss_annual)
        return (pop.perceived_loss_annual * (1.0 - covered) + pop.news_annual
                + cls.failure_news_annual(model) + cls.yield_signal(model))

    @classmethod
    def failure_news_annual(cls, model: mesa.Model) -> np.ndarray:
        """Per platform: the part of the perceived loss rate that other platforms'
        failures add (0 before the first weekly update sized it)."""
        news = model.investors.news_similar_annual
        return news if news.size == len(model.platforms) else np.zeros(len(model.platforms))

    @classmethod
    def yield_signal(cls, model: mesa.Model) -> np.ndarray:
        """Risk read from the yield itself: ``investor.yield_suspicion`` times how far a
        platform's advertised yield exceeds the median among platforms in business. In a
        market of like borrowers a yield well above the rest must be paid for by risk
        or by new money ("high yield, low risk" marketing, domain.md section 2; an
        abnormally high promised return is the first warning sign of a Ponzi scheme in
        regulators' investor alerts, e.g. US SEC, "Ponzi Schemes: Red Flags")."""
        yields = model.advertised_yields()
        alive = model.platform_alive_mask()
        if not alive.any():
            return np.zeros(len(yields))
        median = float(np.median(yields[alive]))
        return model.params.investor.yield_suspicion * np.maximum(yields - median, 0.0)

    @classmethod
    def ask_back_from_feared_platforms(cls, model: mesa.Model) -> None:
        """Request all units back where the investor's own perceived loss rate, plus the
        loss it expects from staying behind a queue (``investor_views.run_loss``: the
        queue it sees, with what those whose own view already exceeds their tolerance
        will ask this week), on the part of the holding an investor-protection fund
        would not credibly pay back (``ecosystem/protection.py``), exceeds its
        tolerance."""
        pop, hold = model.investors, model.holdings
        slot_p = np.maximum(hold.platform, 0)
        rows = np.arange(pop.n)[:, None]
        private = investor_views.private_view(model)
        view = cls.perceived_loss(model)[slot_p] + private[rows, slot_p]
        uncovered = 1.0
        if model.protection.on:           # what the protection fund would pay back
            values = hold.slot_values_cents(model.unit_values_cents())
            uncovered = 1.0 - model.protection.covered_share(values)
        alive = model.platform_alive_mask()[slot_p]    # a failed one pays all out anyway
        tolerance = pop.loss_tolerance_annual[:, None]
        fearful = hold.held & alive & (view * uncovered > tolerance)
        run = investor_views.run_loss(model, fearful)
        if model.params.investor.failure_news == investor_views.FAILURES_AS_LOSS_RATE:
            # a holder who expects the failure counts its whole cost, not also the
            # chance of it that failures elsewhere imply
            run = np.where(run > 0, run - cls.failure_news_annual(model)[slot_p], 0.0)
        cost = (view + run) * uncovered
        scared = hold.held & alive & (cost > tolerance)
        hold.bid_cents[scared] = 0             # and stop bidding there
        hold.request(scared, hold.units, model.steps)
        hold.close_empty()

    @classmethod
    def fund_fear(cls, model: mesa.Model) -> np.ndarray:
        """Which investors fear their money-market fund this week.

        A holder fears its fund when what staying would cost it, if others redeemed the
        share it expects, less what leaving costs (the liquidity fee, when it applies),
        exceeds what it would bear (``fund_loss_tolerance``): the first-mover advantage of
        a fund that sells assets at a discount to pay those who leave (Diamond and Dybvig
        1983; Schmidt, Timmermann and Wermers 2016 on money-fund runs in 2008). Holders
        watch the queue build up during the week: starting from no one, the holdings of
        those who would flee at the queue so far are added to it until no one else joins
        (the least self-consistent queue of a monotone response). Beliefs are the fund's
        public figures (its balance sheet and the market's price); the social
        network and private views of each holder are still to come (issue 12). Holders
        who fear their fund are remembered (``fears_fund``): settlement does not sweep
        their idle app balances into it."""
        pop = model.investors
        fear = np.zeros(pop.n, bool)
        for fund in model.funds:
            clients = fund.firm.client_investors
            holds = fund.holdings_cents.astype(float)
            tolerance = np.where(pop.fund_user[clients] & (holds > 0),
                                 pop.fund_loss_tolerance[clients], np.inf)
            scared = cls._self_consistent_queue(model, fund, holds, tolerance)
            fear[clients] = scared
        pop.fears_fund = fear
        return fear

    @staticmethod
    def _self_consistent_queue(model: mesa.Model, fund, holds: np.ndarray,
                               tolerance: np.ndarray, rounds: int = 50) -> np.ndarray:
        """Holders who would flee at the queue they end up seeing (mask by client)."""
        p = model.params.fund
        held = holds.sum()
        expected = 0.0            # the least queue consistent with who would join it
        scared = np.zeros(holds.size, bool)
        for _ in range(rounds):
            leaving = p.liquidity_fee if expected > p.liquidity_fee_threshold else 0.0
            cost = fund.stayer_loss_if(expected) - leaving
            scared = cost > tolerance
            queue = float(holds[scared].sum()) / held if held > 0 else 0.0
            if queue <= expected + 1e-4:
                break
            expected = queue
        return scared

    @classmethod
    def run_from_funds(cls, model: mesa.Model, fear: np.ndarray) -> Orders:
        """Holders who fear their fund redeem all of it this week."""
        who = np.flatnonzero(fear)
        amounts = model.fund_holdings_of(who)
        who, amounts = who[amounts > 0], amounts[amounts > 0]
        none = np.zeros(0, np.int64)
        return Orders(none, none, none, none, none, who, amounts)

    @classmethod
    def rebalance(cls, model: mesa.Model, fund_fear: np.ndarray | None = None) -> Orders:
        """Investors who reconsider this week choose target shares by a logit on yield."""
        pop, p, rng = model.investors, model.params.investor, model.rng
        who = np.flatnonzero(rng.random(pop.n) < p.rebalance_prob_weekly)
        hold = model.holdings
        slot_value = hold.slot_values_cents(model.unit_values_cents())[who]
        deposit = model.ledger.balances(pop.account[who])
        fund = model.fund_holdings_of(who)
        wealth = deposit + fund + slot_value.sum(axis=1)
        # bids wait in the deposit but are already meant for platforms
        bids = hold.bid_cents[who]
        p2p_now = slot_value.sum(axis=1) + bids.sum(axis=1)
        free_deposit = deposit - bids.sum(axis=1)

        util_slots, util_best, best_platform = cls._platform_utilities(model, who)
        uses_fund = pop.fund_user[who] if fund_fear is None else (pop.fund_user[who]
                                                                 & ~fund_fear[who])
        util_fund = np.where(uses_fund, model.fund_yields()[pop.payment_firm[who]], -np.inf)
        util_dep = np.full(len(who), model.macro.deposit_rate_annual)
        utils = np.column_stack([util_dep, util_fund, util_best])
        shares = logit_shares(utils, p.choice_sensitivity)
        target = floor_cents(wealth[:, None] * shares)
        # no investor stakes more than max_p2p_share of its wealth on platforms; the rest
        # of the P2P target goes to deposits
        target[:, 2] = np.minimum(target[:, 2], floor_cents(wealth * p.max_p2p_share))

        invest = np.clip(target[:, 2] - p2p_now, 0, np.maximum(free_deposit, 0))
        invest = np.where((invest >= MIN_ORDER_CENTS) & (best_platform >= 0), invest, 0)
        excess = cls._withdraw_bids(model, who, p2p_now - target[:, 2])
        cls._ask_back_excess(model, who, slot_value, util_slots, excess)
        fund_gap = target[:, 1] - fund
        subscribe = np.clip(fund_gap, 0, np.maximum(free_deposit - invest, 0))
        subscribe = np.where(subscribe >= MIN_ORDER_CENTS, subscribe, 0)
        redeem = np.where(-fund_gap >= MIN_ORDER_CENTS, -fund_gap, 0)
        buy = invest > 0
        return Orders(who[buy], best_platform[buy], invest[buy],
                      who[subscribe > 0], subscribe[subscribe > 0],
                      who[redeem > 0], redeem[redeem > 0])

    @classmethod
    def _platform_utilities(cls, model: mesa.Model, who: np.ndarray,
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Risk-adjusted yield of each held slot and of the best reachable platform.

        Besides the platforms it holds, each investor sees one platform drawn with
        probability proportional to size (word of mouth and advertising); it can buy it
        only if it has a free slot or already holds it.
        """
        pop, p, hold = model.investors, model.params.investor, model.holdings
        # Idle money in a pool earns nothing, so what an investor can expect is the
        # advertised yield times the share of the pool that is lent out.
        yields = model.advertised_yields() * model.platform_utilization()
        alive = np.array([pl.sells_now() for pl in model.platforms], bool)
        view = cls.perceived_loss(model) + investor_views.private_view(model, who)
        util_platform = yields - pop.risk_aversion[who, None] * view
        util_platform = util_platform - p.p2p_distrust_annual
        util_platform[:, ~alive] = -np.inf
        slots = hold.platform[who]
        rows = np.arange(len(who))[:, None]
        util_slots = np.where(slots != EMPTY, util_platform[rows, np.maximum(slots, 0)],
                              -np.inf)
        candidate = model.draw_platforms_by_size(len(who))
        can_buy = (candidate >= 0) & (hold.slot_for(who, np.maximum(candidate, 0)) >= 0)
        util_cand = np.where(can_buy, util_platform[np.arange(len(who)),
                                                    np.maximum(candidate, 0)], -np.inf)
        best_slot = util_slots.argmax(axis=1)
        best_slot_util = util_slots[np.arange(len(who)), best_slot]
        use_cand = util_cand > best_slot_util
        best_platform = np.where(use_cand, candidate, slots[np.arange(len(who)), best_slot])
        util_best = np.maximum(util_cand, best_slot_util)
        best_platform = np.where(np.isfinite(util_best), best_platform, -1)
        return util_slots, util_best, best_platform

    @classmethod
    def _withdraw_bids(cls, model: mesa.Model, who: np.ndarray,
                       excess: np.ndarray) -> np.ndarray:
        """Cut standing bids first when P2P exceeds its target (nothing to sell: the
        money never left the deposit). Returns the excess still to ask back."""
        hold = model.holdings
        bids = hold.bid_cents[who]
        total = bids.sum(axis=1)
        cut = np.clip(excess, 0, total)
        keep = np.divide(total - cut, total, out=np.ones(len(who)), where=total > 0)
        hold.bid_cents[who] = np.floor(bids * keep[:, None]).astype(np.int64)
        hold.close_empty()
        return np.maximum(excess, 0) - cut

    @classmethod
    def _ask_back_excess(cls, model: mesa.Model, who: np.ndarray, slot_value: np.ndarray,
                         util_slots: np.ndarray, excess: np.ndarray) -> None:
        """Ask back the excess over the P2P target, from the least attractive holding."""
        hold = model.holdings
        worst = np.where(np.isfinite(util_slots), util_slots, np.inf).argmin(axis=1)
        worst_value = slot_value[np.arange(len(who)), worst]
        act = (excess >= MIN_ORDER_CENTS) & (worst_value > 0)
        if not act.any():
            return
        rows, slots = who[act], worst[act]
        share = np.minimum(excess[act] / worst_value[act], 1.0)
        units = np.ceil(hold.units[rows, slots] * share).astype(np.int64)
        mask = np.zeros(hold.units.shape, bool)
        mask[rows, slots] = True
        amounts = np.zeros(hold.units.shape, np.int64)
        amounts[rows, slots] = units
        hold.request(mask, amounts, model.steps)
