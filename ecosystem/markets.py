"""Markets: repayment settlement, write-offs, withdrawal queues, investment and matching.

These are the rules of the market place, not any agent's choice: agents decide (borrowers
whether they can pay, platforms whom to approve at what price, investors where to put
money) and these functions move the money through the payment firms and the ledger.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem import claims, products
from ifsim.ecosystem.contracts import FailureCause, PlatformType
from ifsim.ecosystem.loans import LoanStatus, instalment_cents
from ifsim.ecosystem.macro import logistic
from ifsim.ecosystem.money import floor_cents, sum_by


def route_by_firm(model, firm_of_row: np.ndarray, src: np.ndarray | int,
                  dst: np.ndarray | int, amounts: np.ndarray, reason: str,
                  fee_platforms: np.ndarray | None = None) -> None:
    """Send payments through each row's payment firm (src/dst may be scalars)."""
    for firm in model.payment_firms:
        mine = firm_of_row == firm.idx
        if not mine.any():
            continue
        firm.route(src if np.ndim(src) == 0 else src[mine],
                   dst if np.ndim(dst) == 0 else dst[mine], amounts[mine], reason,
                   None if fee_platforms is None else fee_platforms[mine])


# -- repayments and write-offs -------------------------------------------------------
def settle_repayments(model, rows: np.ndarray, interest: np.ndarray, due: np.ndarray,
                      paid: np.ndarray) -> None:
    """Paid instalments go borrower -> payment firm -> pool; the platform takes its cut."""
    loans, pop = model.loans, model.borrowers
    pay_rows = rows[paid]
    borrowers = loans.borrower[pay_rows]
    platforms = loans.platform[pay_rows]
    pools = model.pool_accounts[platforms]
    route_by_firm(model, pop.payment_firm[borrowers], pop.account[borrowers], pools,
                  due[paid], "loan repayment", fee_platforms=platforms)
    cut = floor_cents(interest[paid] * model.params.platform.interest_fee_share)
    model.ledger.transfer_batch(pools, model.own_accounts[platforms], cut,
                                "platform interest fee")
    model.fee_income_cents += sum_by(platforms, cut, len(model.platforms))
    loans.record_payments(rows, interest, due, paid)
    release_margins(model, rows[paid & (loans.status[rows] == LoanStatus.REPAID)])
    model.step_stats["repaid_cents"] += int(due[paid].sum())


def release_margins(model, rows: np.ndarray) -> None:
    """Guaranteed loans that ended with the guarantee honoured give back their margins."""
    loans = model.loans
    for row in rows[loans.margin_cents[rows] > 0]:
        guarantor = model.guarantors[int(loans.guarantor[row])]
        guarantor.release_margin(model.platforms[int(loans.platform[row])],
                                 int(loans.margin_cents[row]))
        loans.margin_cents[row] = 0


# -- withdrawals and wind-downs ------------------------------------------------------
def pay_withdrawals(model) -> None:
    """Pay investors out of each pool's cash, as each contract says (``holdings``).

    - Loan-claim and crowdfunding platforms in business pay all the cash their loans
      (or refunded campaigns) brought in to all holders, pro rata (``claims``): exits
      from loan claims go through the transfer market instead.
    - Fund pools and Ponzi schemes in business pay the products that mature and were
      asked back, at the promised value, pro rata to the cash they hold (a queue forms
      when it falls short: a run); matured products not asked back roll over
      (``products``).
    - Failed platforms pay all their cash out pro rata to all holders every week until
      the book is collected (orderly wind-down, 清盘).
    """
    hold, n_p = model.holdings, len(model.platforms)
    products.roll_over(model)
    due = products.due_mask(model)
    requested = floor_cents(hold.per_platform(np.where(due, hold.pending_units, 0), n_p)
                            * model.unit_prices_cents())
    for pl in model.platforms:  # a Ponzi scheme runs off when new money dries up
        if pl.ponzi_cannot_pay(int(requested[pl.idx])):
            pl.fail(FailureCause.INSOLVENT, "inflows fell short of promised payouts")
    prices = model.unit_prices_cents()
    cash = model.pool_cash_by_platform()
    value = model.recoverable_values_cents()
    alive = model.platform_alive_mask()
    serving = np.array([pl.in_service() for pl in model.platforms], dtype=bool)
    pays_all = ~alive | claims.bid_platform_mask(model)
    due = products.due_mask(model)
    asked = np.where(due, hold.pending_units, 0)
    requested = floor_cents(hold.per_platform(asked, n_p) * prices)
    with np.errstate(divide="ignore", invalid="ignore"):
        fill_asked = np.where((requested > 0) & serving,
                              np.minimum(cash / requested, 1.0), 0.0)
        fill_all = np.where(value > 0, np.minimum(cash / value, 1.0), 1.0)
    slot_p = np.maximum(hold.platform, 0)
    base_units = np.where(pays_all[slot_p], hold.units, asked)
    fill = np.where(pays_all[slot_p], fill_all[slot_p], fill_asked[slot_p])
    pay_units = np.where(hold.held, np.floor(base_units * fill).astype(np.int64), 0)
    pay_cents = np.where(hold.held, floor_cents(pay_units * prices[slot_p]), 0)
    _pay_holders(model, pay_cents, slot_p)
    hold.record_payout(pay_cents)
    # nothing left to collect, and no recovery still owed to the pool
    claims_open = model.investor_claims_cents()
    wound_down = ~alive & (value <= 0) & (claims_open <= 0)
    wiped = hold.held & wound_down[slot_p]
    pay_units = np.where(wiped, hold.units, pay_units)  # nothing left to collect
    # the protection fund is paid on the units it took over, like any holder
    fund_units = model.protection.collect_wind_down(np.where(alive, 0.0, fill_all), prices,
                                                    wound_down)
    cancelled = hold.per_platform(pay_units, n_p) + fund_units
    for pl, gone in zip(model.platforms, cancelled, strict=True):
        pl.units_total -= int(gone)
    hold.cancel(pay_units)
    queued = floor_cents(hold.per_platform(np.where(products.due_mask(model),
                                                    hold.pending_units, 0), n_p) * prices)
    for pl in model.platforms:
        pl.check_liquidity(int(queued[pl.idx]))


def pay_in_kind(model, value_cents: np.ndarray) -> np.ndarray:
    """Goods worth ``value_cents[p]`` delivered to each platform's holders: each holder
    gives up units worth its pro-rata share at recoverable value; no money moves.
    Returns which platforms could deliver (False where nobody holds units or the pool is
    worth nothing)."""
    hold = model.holdings
    pool_value = model.recoverable_values_cents().astype(float)
    units_total = np.array([pl.units_total for pl in model.platforms])
    ok = (value_cents > 0) & (pool_value > 0) & (units_total > 0)
    if not ok.any():
        return ok
    share = np.where(ok, np.minimum(value_cents / np.maximum(pool_value, 1.0), 1.0), 0.0)
    nav = np.array([pl.nav_cents() for pl in model.platforms])
    slot_p = np.maximum(hold.platform, 0)
    units = np.where(hold.held, np.floor(hold.units * share[slot_p]).astype(np.int64), 0)
    hold.record_payout(floor_cents(units * nav[slot_p]))
    for pl, cancelled in zip(model.platforms, hold.per_platform(units, len(model.platforms)),
                             strict=True):
        pl.units_total -= int(cancelled)
    hold.cancel(units)
    model.step_stats["reward_goods_cents"] += int(value_cents[ok].sum())
    return ok


def _pay_holders(model, pay_cents: np.ndarray, slot_p: np.ndarray) -> None:
    """Move pool cash to the holders' app balances at their payment firms."""
    investors, slots = np.nonzero(pay_cents > 0)
    if investors.size == 0:
        return
    amounts = pay_cents[investors, slots]
    platforms = slot_p[investors, slots]
    pop = model.investors
    claims.pay_out_collections(model, investors, slots, amounts, platforms)
    to_bank = claims.bid_platform_mask(model)[platforms]
    for firm in model.payment_firms:
        for bank in (False, True):
            mine = (pop.payment_firm[investors] == firm.idx) & (to_bank == bank)
            firm.hold_for_clients(model.pool_accounts[platforms[mine]],
                                  pop.client_pos[investors[mine]], amounts[mine],
                                  "platform payout to investor", owed_to_bank=bank)
    model.step_stats["withdrawn_cents"] += int(amounts.sum())
    for pl, out in zip(model.platforms, sum_by(platforms, amounts, len(model.platforms)),
                       strict=True):
        pl.investor_outflow_cents += int(out)


# -- investment ----------------------------------------------------------------------
def execute_investments(model, investors: np.ndarray, platforms: np.ndarray,
                        amounts: np.ndarray) -> None:
    """Carry out investors' choices by contract: on loan-claim platforms the money
    becomes a standing bid and stays in the investor's account (``claims``); elsewhere
    it goes deposit -> payment firm -> pool at once, for units at the unit price, and
    on fund pools and Ponzi schemes buys a fixed-term product (``products``)."""
    if investors.size == 0:
        return
    serving = np.array([pl.in_service() for pl in model.platforms], dtype=bool)[platforms]
    investors, platforms, amounts = investors[serving], platforms[serving], amounts[serving]
    bidding = claims.bid_platform_mask(model)[platforms]
    placed = model.holdings.place_bids(investors[bidding], platforms[bidding],
                                       amounts[bidding])
    model.step_stats["bids_placed_cents"] += int(placed.sum())
    investors, platforms, amounts = investors[~bidding], platforms[~bidding], amounts[~bidding]
    prices = model.unit_prices_cents()[platforms]
    units = np.floor(amounts / prices).astype(np.int64)
    ok = units > 0
    investors, platforms, amounts, units = investors[ok], platforms[ok], amounts[ok], units[ok]
    pop = model.investors
    route_by_firm(model, pop.payment_firm[investors], pop.account[investors],
                  model.pool_accounts[platforms], amounts, "investment in platform",
                  fee_platforms=platforms)
    slots = model.holdings.add_units(investors, platforms, units, amounts)
    products.start_terms(model, investors, slots, platforms)
    n_p = len(model.platforms)
    for pl, added, money in zip(model.platforms, sum_by(platforms, units, n_p),
                                sum_by(platforms, amounts, n_p), strict=True):
        pl.units_total += int(added)
        pl.note_inflow(int(money))
        if pl.kind == PlatformType.PONZI and money > 0:
            pl.divert_new_money(int(money))
    model.step_stats["invested_cents"] += int(amounts.sum())


def execute_fund_orders(model, orders) -> None:
    """Subscriptions (deposit -> fund) and redemptions (fund -> deposit)."""
    pop = model.investors
    for fund in model.funds:
        mine = pop.payment_firm[orders.subscribe_investor] == fund.idx
        who, amounts = orders.subscribe_investor[mine], orders.subscribe_cents[mine]
        fund.firm.route(pop.account[who], fund.cash_account, amounts, "fund subscription")
        fund.subscribe(pop.client_pos[who], amounts)
        mine = pop.payment_firm[orders.redeem_investor] == fund.idx
        who = orders.redeem_investor[mine]
        if who.size:
            fund.redeem(pop.client_pos[who], orders.redeem_cents[mine], pop.account[who])


# -- loan matching -------------------------------------------------------------------
def originate_loans(model, apps: dict[str, np.ndarray]) -> None:
    """Route applications to platforms, screen, check caps, fund from pools, disburse.

    Applications to crowdfunding platforms become all-or-nothing campaigns instead;
    campaigns that reach their goal this week are booked here too.
    """
    if apps["borrower"].size:
        first, second = choose_lenders(model, apps)
        apps, first, second = _with_a_lender(apps, first, second)
    if apps["borrower"].size:
        chosen, turned_down = _approved(model, dict(apps, platform=first))
        _book(model, chosen)
        again = turned_down & (second >= 0)   # one more try, at the next-best platform
        if again.any():
            retry = {k: v[again] for k, v in apps.items()}
            _book(model, _approved(model, dict(retry, platform=second[again]))[0])
    _book(model, model.campaigns.raise_and_close())


def _with_a_lender(apps: dict, first: np.ndarray, second: np.ndarray) -> tuple:
    """Applications that found a platform to ask (none is in service: none do)."""
    found = first >= 0
    return {k: v[found] for k, v in apps.items()}, first[found], second[found]


def _book(model, batch: dict[str, np.ndarray] | None) -> None:
    if batch is not None and batch["borrower"].size:
        _book_and_disburse(model, batch)


def choose_lenders(model, apps: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Each applicant compares ``borrower.platforms_considered`` platforms in service,
    drawn at random, by the rate each would quote for its credit grade (benchmark rate,
    risk premium, the platform's own margin), among those whose cut-off and the rate cap
    it expects to pass; it applies to the cheapest and, if turned down, to the next.
    Without one it expects to pass, it tries the most lenient. Market shares of lending
    follow from these choices and from where investors' money is. Returns the first
    and second choice (-1: none)."""
    n, k = apps["borrower"].size, model.params.borrower.platforms_considered
    serving = np.flatnonzero([pl.in_service() for pl in model.platforms])
    if serving.size == 0:
        return np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    cand = serving[model.rng.integers(0, serving.size, size=(n, k))]
    # a borrower rolling a loan over asks the platform that lent it first
    lender = _refinancing_lender(model, apps)
    cand[:, 0] = np.where(lender >= 0, lender, cand[:, 0])
    grade = logistic(-model.borrowers.score[apps["borrower"]])[:, None]
    margin = np.array([pl.margin_annual for pl in model.platforms])[cand]
    cutoff = np.array([pl.pd_cutoff_annual for pl in model.platforms])[cand]
    p = model.params
    quote = (model.macro.lending_rate_annual + p.platform.risk_premium_multiplier * grade
             + margin)
    cap = p.platform.rate_cap_annual
    expect = (grade < cutoff) & ((cap == 0) | (quote <= cap))
    campaign = model.crowdfunding_mask()[cand] & (apps["refinances"] >= 0)[:, None]
    expect &= ~campaign                    # a campaign takes weeks: no use for a rollover
    score = np.where(expect, quote, np.inf)
    score[:, 0] = np.where(lender >= 0, -np.inf, score[:, 0])
    score[:, 1:] = np.where(cand[:, 1:] == cand[:, :1], np.inf, score[:, 1:])  # no repeats
    order = np.argsort(score, axis=1, kind="stable")
    rows = np.arange(n)
    expected = score < np.inf             # the own lender of a rollover scores -inf
    first = np.where(expected[rows, order[:, 0]], cand[rows, order[:, 0]],
                     cand[rows, np.argmax(cutoff, axis=1)])
    has_second = k > 1
    second = (np.where(expected[rows, order[:, 1]], cand[rows, order[:, 1]], -1)
              if has_second else np.full(n, -1, np.int64))
    second = np.where(second == first, -1, second)
    return first.astype(np.int64), second.astype(np.int64)


def _refinancing_lender(model, apps: dict[str, np.ndarray]) -> np.ndarray:
    """The platform of the loan each application refinances, if it is in service (-1:
    none)."""
    rows = apps["refinances"]
    if not (rows >= 0).any():
        return np.full(rows.size, -1, np.int64)
    lender = np.where(rows >= 0, model.loans.platform[np.maximum(rows, 0)], -1)
    serving = np.array([pl.in_service() for pl in model.platforms], bool)
    return np.where((lender >= 0) & serving[np.maximum(lender, 0)], lender, -1)


def _approved(model, apps: dict[str, np.ndarray],
              ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Screen, price and fund applications at their chosen platforms. Returns the loans
    to book, and which applications were turned down (not approved, over a limit, or
    not funded) and could try elsewhere."""
    approved, rate, est_pd = _screen_by_platform(model, apps)
    apps["rate_annual"], apps["est_pd"] = rate, est_pd
    apps["term_weeks"] = _terms(model, apps)
    apps["bullet"] = model.borrowers.rolls_over[apps["borrower"]].astype(np.int8)
    apps["instalment_cents"] = instalment_cents(apps["amount_cents"], rate, apps["term_weeks"],
                                                apps["bullet"])
    apps["kind"] = np.zeros(apps["borrower"].size, np.int8)
    on_crowd = model.crowdfunding_mask()[apps["platform"]]
    # a campaign takes weeks to close: it cannot repay a loan maturing now
    ok = approved & _within_limits(model, apps) & ~(on_crowd & (apps["refinances"] >= 0))
    crowd = ok & on_crowd
    model.campaigns.launch(apps, np.flatnonzero(crowd))
    fundable = _fundable(model, apps, ok & ~crowd)
    unfunded = ok & ~crowd & ~fundable
    model.unfunded_cents += sum_by(apps["platform"][unfunded], apps["amount_cents"][unfunded],
                                   len(model.platforms))
    ok &= ~crowd & fundable
    return {k: v[ok] for k, v in apps.items()}, ~ok & ~crowd


def _terms(model, apps: dict) -> np.ndarray:
    terms = apps["term_weeks"].copy()
    for pl in model.platforms:
        mine = apps["platform"] == pl.idx
        if mine.any():
            terms[mine] = pl.term_weeks(terms[mine])
    return terms


def _screen_by_platform(model, apps: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if model.shipped_screening:
        return _screen_all_at_once(model, apps)
    n = apps["borrower"].size
    approved, rate, est_pd = np.zeros(n, bool), np.zeros(n), np.zeros(n)
    scores = model.borrowers.score[apps["borrower"]]
    for pl in model.platforms:
        mine = apps["platform"] == pl.idx
        if mine.any():
            approved[mine], rate[mine], est_pd[mine] = pl.screen(scores[mine])
    return approved, rate, est_pd


def _screen_all_at_once(model, apps: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``Platform.screen`` of the shipped class for every application at once: each
    platform's noisy PD estimate, price and cut-off, with the arrays of all platforms
    (the same rule, one numpy pass instead of one call per platform)."""
    platforms, p = model.platforms, model.params.platform
    at = apps["platform"]
    noise_sd = np.array([pl.screening_noise_sd for pl in platforms])[at]
    scores = model.borrowers.score[apps["borrower"]]
    est_pd = logistic(-(scores + model.rng.normal(0.0, 1.0, at.size) * noise_sd))
    margin = np.array([pl.margin_annual for pl in platforms])[at]
    rate = (model.macro.lending_rate_annual + p.risk_premium_multiplier * est_pd + margin)
    cutoff = np.array([pl.pd_cutoff_annual for pl in platforms])[at]
    serving = np.array([pl.in_service() for pl in platforms], bool)[at]
    cap = p.rate_cap_annual
    approved = (est_pd < cutoff) & ((cap == 0) | (rate <= cap)) & serving
    return approved, rate, est_pd


def _within_limits(model, apps: dict) -> np.ndarray:
    """Debt-service limit and borrowing caps per platform and in total (0 = no cap). A
    loan that repays another replaces it: the old one's principal and instalment are
    not counted twice, and the platform that made the old loan rolls it over without the
    debt-service test (it would rather roll than book a default)."""
    p, loans, pop = model.params.borrower, model.loans, model.borrowers
    b = apps["borrower"]
    asked_total, asked_here = model.campaigns.asked_cents(b, apps["platform"])
    rolling = apps["refinances"] >= 0
    old = np.maximum(apps["refinances"], 0) if rolling.any() else np.zeros(0, np.int64)
    old_owed = np.where(rolling, loans.outstanding_cents[old], 0) if rolling.any() else 0
    old_paying = (np.where(rolling, _debt_service(model, old), 0) if rolling.any()
                  else 0)
    owed = loans.by_borrower("outstanding_cents", pop.n)[b] + asked_total - old_owed
    paying = _debt_service_by_borrower(model)[b] - old_paying
    new_service = (instalment_cents(apps["amount_cents"], apps["rate_annual"],
                                    apps["term_weeks"])
                   if p.bullet_tested_amortizing else apps["instalment_cents"])
    same_lender = (rolling & (loans.platform[old] == apps["platform"]) if rolling.any()
                   else rolling)
    ok = same_lender | (paying + new_service <= p.max_debt_service_ratio
                        * pop.income_cents_weekly[b])
    if p.cap_total_cents:
        ok &= owed + apps["amount_cents"] <= p.cap_total_cents
    if p.cap_per_platform_cents:
        here = (_owed_on_platform(model, b, apps["platform"]) + asked_here
                - np.where(same_lender, old_owed, 0))
        ok &= here + apps["amount_cents"] <= p.cap_per_platform_cents
    return ok


def _debt_service(model, rows: np.ndarray) -> np.ndarray:
    """Weekly debt service the affordability test counts for loans ``rows``: the
    instalment, or for an interest-only loan (先息后本) when
    ``borrower.bullet_tested_amortizing``, the equal instalment that would repay its
    outstanding principal over its term. Testing interest alone lets a borrower who
    rolls its principal over carry many times the debt of one who amortizes; the
    standard affordability practice is to assess interest-only loans on a fully
    amortizing basis (FSB 2012, Principles for Sound Residential Mortgage Underwriting
    Practices, docs/bibliography.md)."""
    loans = model.loans
    if not model.params.borrower.bullet_tested_amortizing:
        return loans.instalment_cents[rows]
    amortizing = instalment_cents(loans.outstanding_cents[rows], loans.rate_annual[rows],
                                  loans.term_weeks[rows])
    return np.where(loans.bullet[rows] == 1, amortizing, loans.instalment_cents[rows])


def _debt_service_by_borrower(model) -> np.ndarray:
    """Weekly debt service (``_debt_service``) per borrower over its active loans."""
    loans = model.loans
    rows = np.flatnonzero(loans.real_active())
    return sum_by(loans.borrower[rows], _debt_service(model, rows), model.borrowers.n)


def _owed_on_platform(model, borrowers: np.ndarray, platforms: np.ndarray) -> np.ndarray:
    """Principal each borrower already owes on the given platform."""
    loans, n_p = model.loans, len(model.platforms)
    active = loans.real_active()
    keys = loans.borrower[active] * n_p + loans.platform[active]
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    running = np.concatenate([[0], np.cumsum(loans.outstanding_cents[active][order])])
    wanted = borrowers * n_p + platforms
    lo = np.searchsorted(sorted_keys, wanted, "left")
    hi = np.searchsorted(sorted_keys, wanted, "right")
    return running[hi] - running[lo]


def _fundable(model, apps: dict, approved: np.ndarray) -> np.ndarray:
    """Fund approved loans in order from each pool's cash (and, on loan-claim platforms,
    the investors' bids); one loan takes at most a share of it."""
    ok = np.zeros(apps["borrower"].size, bool)
    idx = np.flatnonzero(approved)
    if idx.size == 0:
        return ok
    bids = claims.bids_by_platform(model) * claims.priced(model)
    money = np.array([(pl.lendable_cents() + (int(bids[pl.idx]) if pl.kind.funded_by_bids
                                              else 0)) if pl.in_service() else -1
                      for pl in model.platforms], np.int64)
    # each platform funds its own borrowers' rollovers before new loans: an unrolled
    # loan is a default on its own book (the reason it rolls without the debt-service
    # test, ``_within_limits``)
    renewal = apps["refinances"][idx] >= 0
    idx = idx[np.lexsort((~renewal, apps["platform"][idx]))]
    plat = apps["platform"][idx]
    amounts, cash = apps["amount_cents"][idx], money[plat]
    fits = amounts <= model.params.platform.max_loan_share_of_cash * cash
    taken = np.cumsum(np.where(fits, amounts, 0))
    first = np.searchsorted(plat, plat, side="left")       # first row of each platform
    running = taken - np.where(first > 0, taken[first - 1], 0)
    ok[idx] = fits & (running <= cash) & (cash >= 0)
    return ok


def _book_and_disburse(model, chosen: dict) -> None:
    """Book the loans, take fees and guarantees, pay the borrowers through their firms."""
    loans, pop = model.loans, model.borrowers
    n = chosen["borrower"].size
    chosen = {"kind": np.zeros(n, np.int8), "est_pd": np.zeros(n),
              "bullet": np.zeros(n, np.int8), "refinances": np.full(n, -1, np.int64),
              **chosen}
    # the bids are drawn while the book is still the one their units are priced on
    _draw_bids_for(model, chosen["platform"], chosen["amount_cents"])
    guarantor, guarantee_fee, margin = _guarantees(model, chosen)
    loans.add(borrower=chosen["borrower"], platform=chosen["platform"],
              principal_cents=chosen["amount_cents"], outstanding_cents=chosen["amount_cents"],
              instalment_cents=chosen["instalment_cents"], rate_annual=chosen["rate_annual"],
              term_weeks=chosen["term_weeks"], purpose=chosen["purpose"],
              status=LoanStatus.ACTIVE, originated_step=model.steps, guarantor=guarantor,
              margin_cents=margin, kind=chosen["kind"], bullet=chosen["bullet"],
              rollover=(chosen["refinances"] >= 0).astype(np.int8),
              watched=_still_watched(model, chosen["refinances"]))
    model.lent_cents += sum_by(chosen["platform"], chosen["amount_cents"],
                               len(model.platforms))
    pop.loans_taken[chosen["borrower"]] += 1
    platforms, amounts = chosen["platform"], chosen["amount_cents"]
    fee = floor_cents(amounts * model.params.platform.origination_fee)
    pools = model.pool_accounts[platforms]
    model.ledger.transfer_batch(pools, model.own_accounts[platforms], fee, "origination fee")
    model.fee_income_cents += sum_by(platforms, fee, len(model.platforms))
    has = guarantor >= 0
    g_accounts = np.array([g.own_account for g in model.guarantors], np.int64)
    model.ledger.transfer_batch(pools[has], g_accounts[guarantor[has]] if has.any() else 0,
                                guarantee_fee[has], "guarantee fee")
    b = chosen["borrower"]
    route_by_firm(model, pop.payment_firm[b], pools, pop.account[b],
                  amounts - fee - guarantee_fee, "loan disbursement")
    _repay_refinanced(model, chosen["refinances"])
    real = chosen["kind"] == 0
    for idx in np.unique(platforms[real]):   # platforms that booked real loans
        model.platforms[idx].note_new_rates(chosen["rate_annual"][real & (platforms == idx)])
    model.step_stats["new_lending_cents"] += int(amounts.sum())
    model.step_stats["new_loans"] += int(amounts.size)


def _still_watched(model, refinances: np.ndarray) -> np.ndarray:
    """A loan that refinances a watched loan is the same debt: it stays watched
    (``ecosystem/closure.py``)."""
    rolling = refinances >= 0
    if not rolling.any():
        return np.zeros(refinances.size, np.int8)
    return np.where(rolling, model.loans.watched[np.maximum(refinances, 0)], 0).astype(np.int8)


def _repay_refinanced(model, rows: np.ndarray) -> None:
    """The proceeds of a rollover loan repay the loan it refinances (借新还旧): the old
    loan's principal goes from the borrower to its platform's pool, and it is closed."""
    loans, pop = model.loans, model.borrowers
    rows = rows[(rows >= 0)]
    rows = rows[loans.status[rows] == LoanStatus.ACTIVE]
    if rows.size == 0:
        return
    b = loans.borrower[rows]
    amount = np.minimum(loans.outstanding_cents[rows], model.ledger.balances(pop.account[b]))
    route_by_firm(model, pop.payment_firm[b], pop.account[b],
                  model.pool_accounts[loans.platform[rows]], amount,
                  "loan repaid with a new loan", fee_platforms=loans.platform[rows])
    loans.cols["outstanding_cents"][rows] -= amount
    done = rows[loans.outstanding_cents[rows] <= 0]
    loans.cols["status"][done] = LoanStatus.REPAID
    release_margins(model, done)
    model.step_stats["loans_rolled_over"] += int(done.size)


def _draw_bids_for(model, platforms: np.ndarray, amounts: np.ndarray) -> None:
    """Loan-claim platforms draw from their investors' bids what their pool's cash does
    not cover of the loans they book."""
    n = len(model.platforms)
    cash = model.pool_cash_by_platform()
    need = np.maximum(sum_by(platforms, amounts, n) - cash, 0)
    need = np.where(claims.claim_platform_mask(model), need, 0)
    if need.any():
        claims.draw_from_bids(model, need, "loan funded from investor's bid")


def _guarantees(model, chosen: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loans on guaranteed platforms get a partner guarantor that posts its margin.
    Returns each loan's guarantor (-1 for none), guarantee fee and margin, in cents."""
    n = chosen["borrower"].size
    guarantor, fee = np.full(n, -1, np.int64), np.zeros(n, np.int64)
    margin = np.zeros(n, np.int64)
    fee_share = model.params.guarantor.fee
    partners_of = {}                     # standing partners of each platform, once a call
    for i in np.flatnonzero(chosen["kind"] == 0):
        platform = model.platforms[int(chosen["platform"][i])]
        if platform.idx not in partners_of:
            partners_of[platform.idx] = [g for g in platform.guarantors
                                         if model.guarantors[g].alive]
        partners = partners_of[platform.idx]
        if not partners:
            continue
        g = int(model.rng.choice(partners))
        amount = int(chosen["amount_cents"][i])
        posted = model.guarantors[g].post_margin(platform, amount, float(chosen["est_pd"][i]))
        if posted is not None:
            guarantor[i], fee[i], margin[i] = g, floor_cents(amount * fee_share), posted
    return guarantor, fee, margin
