"""EcosystemModel: builds the world and runs its weekly timetable.

``step()`` reads as the timetable of docs/design.md section 3. The model never imports
``agents``: the scenario's ``[roles]`` names the class for each role (defaults in
``agents/``), so a researcher can plug in a subclass without editing the package.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections import defaultdict

import mesa
import numpy as np

from ifsim.ecosystem import (
    agent_reporters,
    claims,
    entry,
    incidents,
    markets,
    metrics,
    products,
    shocks,
    social_network,
    waterfall,
)
from ifsim.ecosystem.bond_market import BondMarket
from ifsim.ecosystem.campaigns import Campaigns
from ifsim.ecosystem.closure import ClosureWatch
from ifsim.ecosystem.contracts import LoanKind, PlatformType
from ifsim.ecosystem.errors import ParameterError
from ifsim.ecosystem.events import EventLog
from ifsim.ecosystem.exits import Exits
from ifsim.ecosystem.holdings import Holdings
from ifsim.ecosystem.ledger import AccountKind, Ledger
from ifsim.ecosystem.loans import LoanBook, LoanStatus, Purpose
from ifsim.ecosystem.macro import Macro
from ifsim.ecosystem.money import floor_cents, sum_by
from ifsim.ecosystem.params import Params
from ifsim.ecosystem.protection import ProtectionFund
from ifsim.ecosystem.run_measures import RunWatch
from ifsim.ecosystem.waterfall import Recoveries

# Where money enters and leaves the modelled world (docs/design.md section 4).
EXTERNAL_ACCOUNTS = {
    "world.endowment": "source: households' initial wealth and institutions' capital",
    "world.income": "source: borrowers' wages and business income",
    "world.spending": "sink: borrowers' consumption and spending of loan proceeds",
    "world.economy": "source: banks' income from lending to the wider economy and from "
                     "the interbank market",
    "world.central_bank": "source: interest the central bank pays on reserves",
    "world.bond_market": "source and sink: bond purchases, sales and coupons",
    "world.operating_costs": "sink: platforms' salaries, marketing, IT",
    "world.owners": "sink: capital taken out by platform owners at exit",
    "world.absconded": "sink: money taken by absconding platform owners (跑路)",
    "world.hackers": "sink: money stolen in cyber incidents",
    "world.insurer": "source and sink: insurers of guaranteed loans",
    "world.outside_losses": "sink: guarantors' losses on business off the platforms (shocks)",
}
COMPACT_EVERY_STEPS = 13


# Runs stored before the code moved under the ifsim namespace name their roles
# 'agents.investor:Investor'; when that module is not found they still replay.
_PRE_NAMESPACE_PACKAGES = ("agents.", "ecosystem.")


def load_role_class(path: str) -> type:
    """Import 'module:Class' named in the scenario's [roles]."""
    module_name, _, class_name = path.partition(":")
    try:
        return getattr(_import_role_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise ParameterError(f"roles: cannot load agent class '{path}': {exc}") from None


def _import_role_module(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError:
        if not module_name.startswith(_PRE_NAMESPACE_PACKAGES):
            raise
        return importlib.import_module("ifsim." + module_name)


def _toml_value(value) -> str:
    """A Python value as the text ``--set`` parses (TOML syntax)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace('\\', '\\\\').replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def check_roles(params: Params) -> None:
    """Fail early, with a clear message, if a role's agent class cannot be loaded."""
    role_classes(params)


def role_classes(params: Params) -> dict[str, type]:
    """The agent class of each role. Each must be the shipped class of its role or a
    subclass of it (docs/extending.md): the timetable calls the shipped class's methods,
    so a class of another role would fail weeks into a run."""
    shipped = Params().to_dict()["roles"]
    classes = {}
    for role, path in params.to_dict()["roles"].items():
        cls, base = load_role_class(path), load_role_class(shipped[role])
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise ParameterError(f"roles.{role} = '{path}': not a {role} class (it must be "
                                 f"{shipped[role]} or a subclass of it)")
        classes[role] = cls
    return classes


class EcosystemModel(mesa.Model):
    """The internet-finance ecosystem, one step per week."""

    def __init__(self, params: Params | None = None, seed: int | None = 1) -> None:
        super().__init__(rng=seed)
        self.params = params or Params()
        self.seed = seed
        self.ledger = Ledger()
        self.events = EventLog()
        self.step_stats: dict[str, int] = defaultdict(int)
        self.investor_writeoffs_cents = 0     # cumulative, never netted
        self.investor_recoveries_cents = 0
        self._claims_cache: tuple[tuple, np.ndarray] = ((-1, 0), np.zeros(0, np.int64))
        self.accounts = {name: self.ledger.open_account(name, AccountKind.EXTERNAL)
                         for name in EXTERNAL_ACCOUNTS}
        self.roles = role_classes(self.params)
        self.macro = Macro(self.params.macro, self.rng, self.params.world.start_date,
                           self.params.world.steps)
        self.loans = LoanBook()
        self.exits, self.recoveries, self.campaigns = Exits(self), Recoveries(self), \
            Campaigns(self)
        self.closure = ClosureWatch(self)
        self._build_world()
        self.datacollector = mesa.DataCollector(
            model_reporters=metrics.REPORTERS,
            agenttype_reporters=self._institution_reporters())
        self._custom_step_roles = [c for c in dict.fromkeys(self.roles.values())
                                   if c.step is not mesa.Agent.step
                                   and c in self.agents_by_type]

    @classmethod
    def from_scenario(cls, name: str = "baseline", seed: int = 1,
                      **overrides) -> EcosystemModel:
        """Build a model from a shipped scenario (or a scenario file's path), with
        parameters overridden by keyword, ``section__name=value``, e.g.
        ``EcosystemModel.from_scenario("small", seed=3, borrower__pd_annual_mean=0.15)``.
        The seed defaults to 1, as ``ifsim run`` does."""
        from ifsim.ecosystem.scenario import load_scenario  # scenario imports params, not model

        sets = [f"{key.replace('__', '.', 1)}={_toml_value(value)}"
                for key, value in overrides.items()]
        _, params = load_scenario(name, sets)
        return cls(params, seed=seed)

    def agent_frame(self, role: str):
        """The weekly state of one role's agents as collected so far (one row per week
        and agent; columns from :data:`ifsim.ecosystem.agent_reporters.REPORTERS_BY_ROLE`),
        e.g. ``model.agent_frame("platform")``."""
        cls = self.roles.get(role)
        if cls not in self.datacollector.agenttype_reporters:
            known = sorted(r for r, c in self.roles.items()
                           if c in self.datacollector.agenttype_reporters)
            raise ParameterError(f"agent_frame: no agent-level data for role '{role}' "
                                 f"(roles with data: {', '.join(known)})")
        return self.datacollector.get_agenttype_vars_dataframe(cls)

    def _institution_reporters(self) -> dict:
        """Agent-level reporters for each institution role with agents in this world
        (a role with none would make Mesa scan every agent each week)."""
        return {self.roles[role]: reporters
                for role, reporters in agent_reporters.REPORTERS_BY_ROLE.items()
                if self.roles[role] in self.agents_by_type}

    # -- construction ---------------------------------------------------------------
    def _build_world(self) -> None:
        w = self.params.world
        self.bond_market = BondMarket(self.params.bond_market, self.accounts["world.bond_market"])
        self.run_watch = RunWatch(self.params)
        self.banks = [self._build_bank(i) for i in range(w.n_banks)]
        self.investors = self.roles["investor"].create_population(self, w.n_investors)
        self.borrowers = self.roles["borrower"].create_population(self, w.n_borrowers)
        self.payment_firms, self.funds = [], []
        for i in range(w.n_payment_firms):
            self._build_payment_firm(i)
        self.guarantors = [self._build_guarantor(i)
                           for i in range(self.params.guarantor.n_guarantors)]
        kinds = self._draw_platform_types(w.n_platforms)
        self.platforms = [self._build_platform(i, kind) for i, kind in enumerate(kinds)]
        self.fee_income_cents = np.zeros(len(self.platforms), np.int64)
        self.unfunded_cents = np.zeros(len(self.platforms), np.int64)
        self.lent_cents = np.zeros(len(self.platforms), np.int64)   # booked this week
        self.pool_accounts = np.array([p.pool_account for p in self.platforms], np.int64)
        self.own_accounts = np.array([p.own_account for p in self.platforms], np.int64)
        self.escrow_accounts = np.array([p.escrow_account for p in self.platforms], np.int64)
        self._books = {name: np.zeros(len(self.platforms), np.int64)
                       for name in ("book", "arrears", "fictitious", "guaranteed")}
        # a platform class that values its units its own way is asked one by one
        shipped = load_role_class(Params().to_dict()["roles"]["platform"])
        self._vector_values = all(
            getattr(self.roles["platform"], name) is getattr(shipped, name)
            for name in ("recoverable_value_cents", "nav_cents", "unit_price_cents",
                         "unit_value_cents", "pool_cash_cents"))
        # the shipped screening rule runs for all platforms at once (markets.py)
        self.shipped_screening = all(
            getattr(self.roles["platform"], name) is getattr(shipped, name)
            for name in ("screen", "estimate_pd", "price", "in_service"))
        self.regulator = self.roles["regulator"](self)
        self.holdings = Holdings(w.n_investors, self.params.investor.max_platforms_held,
                                 len(self.platforms))
        self._seed_fund_holdings()
        s = self.params.social
        self.social = social_network.build(
            s.network, w.n_investors, s.mean_degree, s.rewire_prob,
            int(self.rng.integers(2**31))) if s.network else None
        self.protection = ProtectionFund(self)
        self.asked_cents = np.zeros(len(self.platforms))   # asked back this week
        self.trigger_platform: int | None = None    # set by shocks.fail_largest_platform
        self.run_watch.snapshot(self)       # what a run triggered in week 1 starts from

    def _endow(self, account: int, amount_cents: int, reason: str) -> None:
        self.ledger.transfer(self.accounts["world.endowment"], account, amount_cents, reason)

    def _build_bank(self, idx: int):
        own = self.ledger.open_account(f"bank-{idx}.own", AccountKind.INSTITUTION)
        self._endow(own, self.params.bank.capital_cents, "bank capital")
        return self.roles["bank"](self, idx, own_account=own)

    def _build_payment_firm(self, i: int) -> None:
        open_ = self.ledger.open_account
        own = open_(f"payment-firm-{i}.own", AccountKind.INSTITUTION)
        self._endow(own, self.params.payment_firm.capital_cents, "payment firm capital")
        bank = i % len(self.banks)
        clients = np.flatnonzero(self.investors.payment_firm == i)
        firm = self.roles["payment_firm"](
            self, i, own_account=own, bank=bank, client_investors=clients,
            reserve_bank_account=open_(f"payment-firm-{i}.reserves@bank",
                                       AccountKind.INSTITUTION),
            reserve_central_account=open_(f"payment-firm-{i}.reserves@central-bank",
                                          AccountKind.INSTITUTION))
        fund = self.roles["fund"](
            self, i, cash_account=open_(f"fund-{i}.cash", AccountKind.INSTITUTION),
            deposit_account=open_(f"fund-{i}.deposits@bank-{bank}", AccountKind.INSTITUTION),
            bank=bank, n_clients=len(clients))
        self.payment_firms.append(firm)
        self.funds.append(fund)

    def _build_guarantor(self, idx: int):
        p = self.params.guarantor
        own = self.ledger.open_account(f"guarantor-{idx}.own", AccountKind.INSTITUTION)
        capital = floor_cents(p.capital_median_cents * np.exp(self.rng.normal(0, p.capital_sigma)))
        self._endow(own, capital, "guarantor capital")
        return self.roles["guarantor"](self, idx, own_account=own)

    def _draw_platform_types(self, n: int) -> list[PlatformType]:
        """Each platform's business model, drawn from the scenario's mix."""
        shares = np.asarray(self.params.platform.type_shares, float)
        return [PlatformType(k) for k in self.rng.choice(len(shares), size=n,
                                                         p=shares / shares.sum())]

    def _build_platform(self, i: int, kind: PlatformType, custody: bool | None = None,
                        min_capital_cents: int = 0):
        """Draw a platform's traits and open its accounts; ``None`` if its capital is
        below ``min_capital_cents`` (an entry rule turns it away before it opens).
        ``custody`` forces bank custody on (True) or leaves it to ``custody_share``."""
        p, rng = self.params.platform, self.rng
        if custody or rng.random() < p.custody_share:
            custody_bank = int(rng.integers(len(self.banks)))
        else:
            custody_bank = -1
        capital = floor_cents(p.capital_median_cents * np.exp(rng.normal(0, p.capital_sigma)))
        cost = p.operating_cost_median_cents_weekly * np.exp(rng.normal(0, p.operating_cost_sigma))
        traits = dict(
            pd_cutoff_annual=float(rng.uniform(p.pd_cutoff_low, p.pd_cutoff_high)),
            screening_noise_sd=float(rng.uniform(p.screening_noise_low,
                                                 p.screening_noise_high)),
            operating_cost_cents_weekly=floor_cents(cost),
            security_spend_share=float(rng.uniform(p.security_spend_share_low,
                                                   p.security_spend_share_high)))
        penalty = floor_cents(p.abscond_penalty_median_cents * np.exp(
            rng.normal(0, p.abscond_penalty_sigma)))
        if capital < min_capital_cents:
            return None
        where = f"bank-{custody_bank}" if custody_bank >= 0 else "platform"
        open_ = self.ledger.open_account
        accounts = {"own": open_(f"platform-{i}.own", AccountKind.INSTITUTION),
                    "pool": open_(f"platform-{i}.pool@{where}", AccountKind.INSTITUTION),
                    "risk_pool": open_(f"platform-{i}.risk-pool", AccountKind.INSTITUTION),
                    "escrow": open_(f"platform-{i}.escrow@{where}", AccountKind.INSTITUTION)}
        self._endow(accounts["own"], capital, "platform capital")
        platform = self.roles["platform"](self, i, kind=kind, accounts=accounts,
                                          custody_bank=custody_bank, **traits)
        platform.abscond_penalty_cents = penalty
        if kind.sells_products:
            platform.product_mix = products.draw_mix(rng, self.params)
        if kind == PlatformType.GUARANTEED:
            self._set_up_guarantees(platform, capital)
        return platform

    def add_platform(self, kind: PlatformType | None = None, custody: bool = False,
                     min_capital_cents: int = 0):
        """A platform entering the market now (``ecosystem/entry.py``): drawn like those
        of week 0 (its business model from ``platform.type_shares`` unless given), and
        added to every per-platform array. Returns it, or ``None`` if it was turned away
        for too little capital."""
        kind = kind if kind is not None else self._draw_platform_types(1)[0]
        platform = self._build_platform(len(self.platforms), kind, custody, min_capital_cents)
        if platform is None:
            return None
        self.platforms.append(platform)
        self.pool_accounts = np.append(self.pool_accounts, platform.pool_account)
        self.own_accounts = np.append(self.own_accounts, platform.own_account)
        self.escrow_accounts = np.append(self.escrow_accounts, platform.escrow_account)
        self._books = {name: np.append(column, 0) for name, column in self._books.items()}
        self.fee_income_cents = np.append(self.fee_income_cents, 0)
        self.unfunded_cents = np.append(self.unfunded_cents, 0)
        self.lent_cents = np.append(self.lent_cents, 0)
        self.holdings.add_platform()
        self.protection.add_platform()
        for firm in self.payment_firms:
            firm.add_platform()
        self.roles["investor"].meet_new_platform(self)
        self.events.log("platform_entry", platform.name, platform.kind.label,
                        platform.capital_cents(), f"custody={platform.has_custody}")
        return platform

    def _set_up_guarantees(self, platform, capital: int) -> None:
        """Partner guarantors and the risk pool's share of capital (source 003)."""
        p = self.params
        if self.guarantors:
            k = min(p.platform.guarantors_per_platform, len(self.guarantors))
            platform.guarantors = [int(g) for g in self.rng.choice(len(self.guarantors), k,
                                                                   replace=False)]
        self.ledger.transfer(platform.own_account, platform.risk_pool_account,
                             floor_cents(capital * p.platform.risk_pool_capital_share),
                             "risk pool: share of capital")

    def _seed_fund_holdings(self) -> None:
        """Fund users start with a share of their wealth in their payment firm's fund."""
        pop, share = self.investors, self.params.investor.initial_mmf_share
        for fund in self.funds:
            who = np.flatnonzero(pop.fund_user & (pop.payment_firm == fund.idx))
            amounts = floor_cents(self.ledger.balances(pop.account[who]) * share)
            fund.firm.route(pop.account[who], fund.cash_account, amounts, "fund subscription")
            fund.subscribe(pop.client_pos[who], amounts)
            fund.rebalance_portfolio(spread=True)   # a ladder that matures every week
            fund.end_week()

    # -- queries used by agents -----------------------------------------------------
    def draw_payment_firms(self, n: int) -> np.ndarray:
        """Assign households to payment firms; shares fall with rank (a dominant leader)."""
        k = self.params.world.n_payment_firms
        exponent = self.params.payment_firm.market_share_exponent
        weights = np.arange(1, k + 1, dtype=float) ** -exponent
        return self.rng.choice(k, size=n, p=weights / weights.sum())

    def platform_alive_mask(self) -> np.ndarray:
        """Which platforms are in business."""
        return np.array([p.alive for p in self.platforms], dtype=bool)

    def unit_prices_cents(self) -> np.ndarray:
        """Price at which each platform's units are bought and paid out."""
        if not self._vector_values:
            return np.array([p.unit_price_cents() for p in self.platforms])
        nav, promised, alive_promiser = self._navs()
        return np.where(alive_promiser, promised, nav)

    def unit_values_cents(self) -> np.ndarray:
        """Recoverable value of one unit of each platform (what investors' wealth counts)."""
        if not self._vector_values:
            return np.array([p.unit_value_cents() for p in self.platforms])
        nav, promised, alive_promiser = self._navs()
        return np.where(alive_promiser, np.minimum(nav, promised), nav)

    def pool_cash_by_platform(self) -> np.ndarray:
        """``Platform.pool_cash_cents`` of every platform at once."""
        if not self._vector_values:
            return np.array([p.pool_cash_cents() for p in self.platforms], np.int64)
        return self.ledger.balances(self.pool_accounts)

    def recoverable_values_cents(self) -> np.ndarray:
        """``Platform.recoverable_value_cents`` of every platform at once (the same sum,
        from the books ``refresh_platform_books`` keeps): read many times a week."""
        if not self._vector_values:
            return np.array([p.recoverable_value_cents() for p in self.platforms], np.int64)
        books, ledger = self._books, self.ledger
        net_arrears = books["arrears"] - books["guaranteed"]
        recovered = floor_cents((net_arrears + self.investor_claims_cents())
                                * self.observed_recovery_rate())
        value = (ledger.balances(self.pool_accounts) + ledger.balances(self.escrow_accounts)
                 + books["book"] - books["fictitious"] - net_arrears + recovered)
        return np.maximum(value, 0)

    def _navs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Recoverable value per unit, promised price, and which platforms are living
        promisers (deal at their promise)."""
        units = np.array([p.units_total for p in self.platforms], float)
        value = self.recoverable_values_cents()
        nav = np.divide(value, units, out=np.ones(len(units)), where=units > 0)
        promised = np.array([p.promised_price_cents for p in self.platforms], float)
        promiser = np.array([p.alive and p.promises_principal for p in self.platforms], bool)
        return nav, promised, promiser

    def observed_recovery_rate(self) -> float:
        """Share of investors' defaulted claims that was collected from the borrowers, over
        claims that have closed: the market's own evidence on what a loan in arrears, or
        an open claim, will still pay."""
        return self.recoveries.recovery_rate()

    def investor_claims_cents(self) -> np.ndarray:
        """Recovery claims still open that will be paid to each platform's investors."""
        version = (self.recoveries.version, len(self.platforms))
        if self._claims_cache[0] != version:   # read many times a week, changes rarely
            c = self.recoveries.cols
            claims = np.bincount(c["platform"], c["left"] * c["to_investors"],
                                 minlength=len(self.platforms)).astype(np.int64)
            self._claims_cache = (version, claims)
        return self._claims_cache[1]

    def investor_losses_by_platform(self) -> np.ndarray:
        """Investors' loss on each platform: money in - money out - recoverable value."""
        values = self.holdings.slot_values_cents(self.unit_values_cents())
        return self.holdings.losses_by_platform(values, len(self.platforms))

    def advertised_yields(self) -> np.ndarray:
        """Each platform's advertised annual yield."""
        return np.array([p.advertised_yield_annual for p in self.platforms])

    def platform_utilization(self) -> np.ndarray:
        """Share of the money committed to each platform that is lent out: on platforms
        funded from bids, its book over book plus the bids waiting there (money waiting
        earns only the deposit rate); 1 for an empty platform, and for platforms that
        promise a fixed yield whatever they lend."""
        book = np.array([p.book_cents for p in self.platforms], float)
        value = np.array([p.pool_value_cents() for p in self.platforms], float)
        value += claims.bids_by_platform(self)
        promised = np.array([p.promises_principal for p in self.platforms], bool)
        used = np.where(value > 0, book / np.maximum(value, 1.0), 1.0)
        return np.where(promised, 1.0, used)

    def guarantee_coverage(self, perceived_loss_annual: np.ndarray) -> np.ndarray:
        """Share of each platform's credit risk its standing guarantors can observably
        cover: a guarantor's capital against a year of claims on its guaranteed book
        (the larger of the book at the perceived loss rates and the buy-backs it has
        paid per year so far, both disclosed), capped at 1, averaged over its platforms'
        guaranteed loans (source 003: the credit-service institution buys defaulted loans
        back). A guarantor without capital covers nothing."""
        n = len(self.platforms)
        loans = self.loans
        active = loans.real_active() & (loans.guarantor >= 0)
        n_g = len(self.guarantors)
        if n_g == 0 or not active.any():
            return np.zeros(n)
        book = np.bincount(loans.guarantor[active] * n + loans.platform[active],
                           loans.outstanding_cents[active], minlength=n_g * n).reshape(n_g, n)
        years = max(self.steps, 1) / 52.0
        cover = np.zeros(n)
        for g in self.guarantors:
            if not g.alive:
                continue
            claims = max(float((book[g.idx] * perceived_loss_annual[:n]).sum()),
                         g.claims_paid_cents / years)
            capital = g.capital_cents()
            capacity = 0.0 if capital <= 0 else 1.0 if claims <= 0 else min(capital / claims,
                                                                              1.0)
            cover += book[g.idx] * capacity
        total = book.sum(axis=0)
        return np.divide(cover, total, out=np.zeros(n), where=total > 0)

    def crowdfunding_mask(self) -> np.ndarray:
        """Which platforms run crowdfunding campaigns."""
        return np.array([p.kind == PlatformType.CROWDFUNDING for p in self.platforms], bool)

    def investors_reputation_shock(self, platforms: int | list[int],
                                   shock_annual: float) -> None:
        """One piece of bad news: the platforms it concerns look riskier, and every
        platform a little too (one news item, however many platforms it names)."""
        pop = self.investors
        if pop.perceived_loss_annual.size == len(self.platforms):
            pop.perceived_loss_annual[platforms] += shock_annual
        pop.news_annual += 0.2 * shock_annual

    def fund_yields(self) -> np.ndarray:
        """Each fund's latest annualized yield."""
        return np.array([f.yield_annual for f in self.funds])

    def fund_holdings_of(self, investors: np.ndarray) -> np.ndarray:
        """Money-market fund holdings of the given investors."""
        pop, out = self.investors, np.zeros(len(investors), np.int64)
        for fund in self.funds:
            mine = pop.payment_firm[investors] == fund.idx
            out[mine] = fund.holdings_cents[pop.client_pos[investors[mine]]]
        return out

    def draw_platforms_by_size(self, k: int) -> np.ndarray:
        """Draw alive platforms with probability rising with pool size (-1 if none)."""
        alive = self.platform_alive_mask()
        if not alive.any():
            return np.full(k, -1, np.int64)
        size = np.array([max(p.pool_value_cents(), 0) for p in self.platforms], float)
        weights = np.where(alive, np.sqrt(size) + np.sqrt(self.params.borrower
                                                         .loan_amount_median_cents), 0.0)
        return self.rng.choice(len(self.platforms), size=k, p=weights / weights.sum())

    def borrowers_with_real_estate_loans(self) -> np.ndarray:
        """Borrowers with an active real-estate loan."""
        loans = self.loans
        mask = (loans.status == LoanStatus.ACTIVE) & (loans.purpose == Purpose.REAL_ESTATE)
        return np.unique(loans.borrower[mask])

    def borrower_has_real_estate(self, borrower: int) -> bool:
        """Whether a borrower's loans include a real-estate loan (for event causes)."""
        loans = self.loans
        return bool(((loans.borrower == borrower) & (loans.purpose == Purpose.REAL_ESTATE)).any())

    # -- the timetable --------------------------------------------------------------
    def step(self) -> None:
        """One week, in a fixed order of named phases."""
        self.events.step = self.steps
        self.step_stats = defaultdict(int)
        self.fee_income_cents[:] = 0
        self.unfunded_cents[:] = 0
        self.lent_cents[:] = 0
        self.macro.advance(self.steps)
        self.bond_market.advance(self.steps)
        entry.enter(self)
        for platform in self.platforms:
            platform.start_week()
        incidents.strike(self)
        shocks.apply(self)
        self.closure.apply()
        self.settle_payments()
        self.pay_interest_and_fund_income()
        self.borrowers_earn_and_repay()
        self.investors_decide_and_trade()
        self.match_new_loans()
        self.institutions_close_the_week()
        self.regulator.supervise()
        self.step_custom_agents()
        self.run_watch.observe(self)
        self.end_of_week_checks()
        self.datacollector.collect(self)

    def step_custom_agents(self) -> None:
        """Role subclasses that define a per-agent ``step()`` have it called once per agent
        every week, in random order, through Mesa's AgentSet (docs/design.md s.5: a behaviour
        that truly needs per-agent Python still works, at per-agent cost). The shipped
        classes define none: their rules are the vectorized phases above."""
        for cls in self._custom_step_roles:
            self.agents_by_type[cls].shuffle_do("step")

    def settle_payments(self) -> None:
        """Funds collect what matures and pay last week's redemptions (T+1); payment
        firms settle last week's client balances, sweeping into funds."""
        for fund in self.funds:
            fund.start_week()
        for firm in self.payment_firms:
            firm.settle_client_balances()

    def pay_interest_and_fund_income(self) -> None:
        """Banks pay interest; funds collect income and credit holders."""
        for bank in self.banks:
            bank.pay_interest()
        for fund in self.funds:
            fund.earn_and_distribute()

    def borrowers_earn_and_repay(self) -> None:
        """Distress, income, instalments, the default waterfall, recoveries, promises."""
        borrower = self.roles["borrower"]
        borrower.fall_into_distress(self)
        borrower.earn_income(self)
        rows = self.loans.active_rows()
        interest, due = self.loans.amounts_due(rows)
        paid = borrower.pay_instalments(self, rows, due)
        markets.settle_repayments(self, rows, interest, due, paid)
        waterfall.settle_defaults(self)
        self.recoveries.collect()
        self.campaigns.deliver_rewards()
        self.refresh_platform_books()
        for platform in self.platforms:
            platform.keep_promise()

    def investors_decide_and_trade(self) -> None:
        """Beliefs, withdrawals, rebalancing; pools pay out; new money comes in."""
        investor = self.roles["investor"]
        book = np.array([max(p.book_cents, 1) for p in self.platforms], float)
        arrears = np.array([p.arrears_cents for p in self.platforms], float) / book
        investor.update_beliefs(self, arrears, self.events.count("platform_failure",
                                                                 self.steps - 1))
        pending_before = self.holdings.pending_units.copy()
        investor.ask_back_from_feared_platforms(self)
        fund_fear = investor.fund_fear(self)
        markets.execute_fund_orders(self, investor.run_from_funds(self, fund_fear))
        orders = investor.rebalance(self, fund_fear)
        self.asked_cents = self.holdings.asked_since(
            pending_before, len(self.platforms)) * self.unit_prices_cents()
        markets.pay_withdrawals(self)
        markets.execute_fund_orders(self, orders)
        markets.execute_investments(self, orders.invest_investor, orders.invest_platform,
                                    orders.invest_cents)
        claims.cap_bids_at_deposits(self)
        claims.clear_transfer_market(self)

    def match_new_loans(self) -> None:
        """Borrowers apply; platforms screen, price and fund; borrowers spend."""
        borrower = self.roles["borrower"]
        markets.originate_loans(self, borrower.ask_for_loans(self))
        borrower.spend_remaining_cash(self)
        borrower.replace_departed(self)
        self.refresh_platform_books()

    def institutions_close_the_week(self) -> None:
        """Platforms pay the protection levy and their costs (or fail); funds and
        payment firms rebalance."""
        products.divert_ponzi_cash(self)
        self.adjust_margins()
        self.protection.collect_levies()
        for platform in self.platforms:
            platform.fund_risk_pool(int(self.fee_income_cents[platform.idx]))
            platform.pay_costs()
            platform.check_solvency()
            platform.note_owner_cashflow()
            platform.consider_absconding()
            entry.leave_if_unprofitable(platform)
        for fund in self.funds:
            fund.check_shadow_price()
            fund.rebalance_portfolio()
            inflow, outflow = fund.end_week()
            self.step_stats["fund_inflow_cents"] += inflow
            self.step_stats["fund_outflow_cents"] += outflow
        for firm in self.payment_firms:
            firm.rebalance_reserves()
        self.step_stats["failures"] = self.events.count("platform_failure", self.steps)

    def adjust_margins(self) -> None:
        """Platforms move their loan margins against this week's excess demand: loans
        turned away for want of money against money waiting unlent, both over all the
        money that was asked for or on offer this week (loans booked included)."""
        bids = claims.bids_by_platform(self)
        for platform in self.platforms:
            if platform.kind.funded_by_bids:
                waiting = int(bids[platform.idx])
            else:
                waiting = max(platform.pool_cash_cents() - int(
                    self.params.platform.fund_pool_cash_share * platform.pool_value_cents()), 0)
            platform.adjust_margin(int(self.unfunded_cents[platform.idx]), waiting,
                                   int(self.lent_cents[platform.idx]))

    def end_of_week_checks(self) -> None:
        """Count watched loans that ended; compact the loan book now and then; check
        conservation if asked."""
        self.closure.count()
        if self.steps % COMPACT_EVERY_STEPS == 0:
            self.loans.compact()
        if self.params.world.check_conservation:
            self.check_accounts()

    def refresh_platform_books(self) -> None:
        """Loans outstanding and in arrears per platform (called several times a week,
        after every change to the book: one pass over the active loans)."""
        n, loans = len(self.platforms), self.loans
        rows = np.flatnonzero(loans.status == LoanStatus.ACTIVE)
        platform, owed = loans.platform[rows], loans.outstanding_cents[rows]
        late = loans.missed_weeks[rows] > 0
        fictitious = loans.kind[rows] == LoanKind.FICTITIOUS
        book = sum_by(platform, owed, n)
        arrears = sum_by(platform[late], owed[late], n)
        fake = sum_by(platform[fictitious], owed[fictitious], n)
        guaranteed = self._arrears_guarantors_can_pay(
            platform[late], owed[late], loans.guarantor[rows][late], n)
        self._books = {"book": book, "arrears": arrears, "fictitious": fake,
                       "guaranteed": guaranteed}
        for platform in self.platforms:
            platform.book_cents = int(book[platform.idx])
            platform.arrears_cents = int(arrears[platform.idx])
            platform.fictitious_cents = int(fake[platform.idx])
            platform.guaranteed_arrears_cents = int(guaranteed[platform.idx])

    def _arrears_guarantors_can_pay(self, platform: np.ndarray, owed: np.ndarray,
                                    guarantor: np.ndarray, n: int) -> np.ndarray:
        """Loans in arrears per platform that standing guarantors can buy back: each
        guarantor's late book, scaled down where it exceeds the guarantor's capital.
        Takes the late loans' platforms, principal and guarantors."""
        n_g = len(self.guarantors)
        backed = guarantor >= 0
        if n_g == 0 or not backed.any():
            return np.zeros(n, np.int64)
        mine = sum_by(guarantor[backed] * n + platform[backed], owed[backed],
                      n_g * n).reshape(n_g, n)
        total = mine.sum(axis=1)
        capital = np.array([max(g.capital_cents(), 0) if g.alive and t > 0 else 0
                            for g, t in zip(self.guarantors, total, strict=True)], float)
        scale = np.minimum(np.divide(capital, total, out=np.zeros(n_g), where=total > 0),
                           1.0)
        return np.floor((mine * scale[:, None]).sum(axis=0)).astype(np.int64)

    def check_accounts(self) -> None:
        """Money conserved; client reserves back client balances; units match holdings."""
        self.ledger.check_conservation()
        for firm in self.payment_firms:
            if firm.reserves_cents() != int(firm.client_balance_cents.sum()):
                raise AssertionError(f"{firm.name}: reserves {firm.reserves_cents()} != "
                                     f"client balances {firm.client_balance_cents.sum()}")
        for fund in self.funds:   # the ladders are the fund's deposits and bonds
            if (sum(fund.deposit_ladder.values()) != fund.deposits_cents()
                    or sum(fund.bond_ladder.values()) != fund.bonds_face_cents):
                raise AssertionError(f"{fund.name}: maturity ladder out of step with its "
                                     "deposits or bonds")
        units = self.holdings.per_platform(self.holdings.units, len(self.platforms))
        units += self.protection.units          # taken over from holders of failed ones
        for platform in self.platforms:
            if units[platform.idx] != platform.units_total:
                raise AssertionError(f"{platform.name}: units out of step with holdings")

    @property
    def date(self) -> dt.date:
        """Calendar date of the current week: ``world.start_date`` + 7 days per step."""
        start = dt.date.fromisoformat(self.params.world.start_date)
        return start + dt.timedelta(weeks=self.steps)

    def run(self, steps: int | None = None) -> None:
        """Run ``steps`` weeks (default: world.steps)."""
        for _ in range(steps if steps is not None else self.params.world.steps):
            self.step()
