"""Each investor's own view of each platform, and what it expects others to do.

What it models (issue 12; domain.md s.1 "forms beliefs about each platform from
repayments, delays, news, disclosure and friends", s.4 channel 3, s.6 "investors herd"):

- **Public part, late.** Platforms disclose their arrears and their cash position
  ``regulator.disclosure_lag_weeks`` late (monthly disclosure under the CBRC's 2017
  guidelines, docs/data/regulatory_timeline.csv); with ``regulator.disclose_arrears`` 0
  nobody sees them. The disclosed arrears are blended into the shared perceived loss
  rate (``InvestorPopulation.perceived_loss_annual``).
- **Failures weighted by similarity** (``similarity_matrix``: a floor for any pair,
  ``news_similarity_floor``, more for the same business model, a shared guarantor, the
  same custody bank). With ``investor.failure_news`` 0 each failure raises the
  perceived loss rate of every platform by ``investor.panic_per_failure_annual`` times
  its similarity to the one that failed, and the news decays. With 1, investors read
  failures as the loss rate they imply, with no size set per failure: the share of the
  money in platforms like this one that failed per year over their recent memory
  (``update_failure_hazard_annual``: what each failed platform owed as it failed, times its
  similarity; the memory lasts about ``investor.failure_memory_weeks``), times what a
  failure would cost a holder here (``failure_loss``). A large collapse then says more
  than a small one (Ezubao's, domain.md s.6), and a steady trickle of failures reads as
  the loss rate it is.
- **Private part.** Each investor adds its own experience: every week a request it is
  owed goes unpaid (a product past maturity, a claim unsold on the transfer market)
  raises its view of that platform by ``investor.delay_signal_annual``. With herding on,
  an attentive investor (share ``social.attention_weekly`` a week: limited attention)
  moves its private view towards its neighbours' average by ``social.herding_weight``
  (DeGroot 1974 averaging on the network of ``ecosystem/social_network.py``). The
  private part decays like the news.
- **Expected exits.** On a product platform (fund pool, Ponzi) a holder who stays while
  others leave is paid last: leavers are paid at the promised value as their products
  mature, out of the cash the platform holds, and when the queue outruns that cash the
  platform fails and the stayers share what is left (``markets.pay_withdrawals``,
  ``Platform.check_liquidity``). The share a holder expects others to ask back within
  ``investor.run_horizon_weeks`` is the visible queue of requests due within it plus
  what the holders whose own view already exceeds their tolerance will ask this week
  (``anticipated_share``: holders watch the queue build up during the week, as fund
  holders do), or, with herding on, that blended with the share of its own neighbours
  holding the platform who have asked back. When it exceeds the platform's liquid
  share (its cash, ``investor.run_horizon_weeks`` of loan repayments and of new money,
  over what it owes, as last disclosed), the holder expects the platform to fail and
  adds what a failure would cost it (``failure_loss``), read from the platform's
  balance sheet and the exit rules of ``ecosystem/exits.py``: the borrowers who stop
  paying a failed platform (``borrower.strategic_default_share``, 逃废债); if the
  owners abscond, the cash in their reach (all of it without custody,
  ``platform.custody_reach_share`` with it) and the loans whose records are lost
  (``platform.disorderly_loss_share``); and the yield forgone while the rest is frozen
  until the loans run off (清盘). The chance of absconding is the share of failures it
  has seen end that way (a prior of ``investor.abscond_prior_share``, China's 19%,
  worth ``investor.abscond_prior_weight`` failures, updated by every failure in the
  market: an absconding collapse teaches every holder that owners run). This is the
  first-mover advantage of Diamond and Dybvig 1983 in this contract's payout order.
  Holders of loan claims exit through the transfer market, where the first seller
  gets the buyer but a stayer's claim is worth what it was: for them others' exits
  change liquidity, not value, and no run term applies.

Everything is an array over investors (n x platforms for the private part, n x slots
for holdings) so that the baseline stays fast (docs/design.md s.5).
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem import products
from ifsim.ecosystem.contracts import FailureCause

# investor.failure_news: a fixed rise per failure (0) or the loss rate failures imply (1)
FAILURES_COUNTED, FAILURES_AS_LOSS_RATE = 0, 1


# -- public part: disclosure and news ---------------------------------------------------
def disclosed(model, *figures: np.ndarray) -> tuple[np.ndarray, ...]:
    """This week's figures per platform (arrears share, liquid share, loss if it failed)
    go into the record; returns those disclosed now, i.e. of
    ``regulator.disclosure_lag_weeks`` ago (a platform younger than the lag shows its
    first figures)."""
    pop, lag = model.investors, model.params.regulator.disclosure_lag_weeks
    pop.disclosure_record.append(tuple(f.copy() for f in figures))
    del pop.disclosure_record[:-(lag + 1)]
    n, k = len(figures[0]), len(pop.disclosure_record[0][0])
    return tuple(np.concatenate([old, new[k:n]])
                 for old, new in zip(pop.disclosure_record[0], figures, strict=True))


def similarity_matrix(model) -> np.ndarray:
    """Platforms x platforms: how much the failure of platform k (column) says about
    platform j (row): ``investor.news_similarity_floor`` for any pair, more for the same
    business model (``news_same_type``), a shared guarantor (``news_same_guarantor``),
    the same custody bank or both none (``news_same_custodian``), at most 1; 1 on the
    diagonal."""
    p, platforms = model.params.investor, model.platforms
    kind = np.array([pl.kind for pl in platforms])
    custody = np.array([pl.custody_bank for pl in platforms])
    # the same custody bank, or both without one (custody's absence is what lets owners
    # abscond with the cash, domain.md s.6)
    extra = p.news_same_type * (kind[:, None] == kind[None, :]) + (
        p.news_same_custodian * (custody[:, None] == custody[None, :]))
    if model.guarantors:
        backs = np.zeros((len(platforms), len(model.guarantors)))
        for pl in platforms:
            backs[pl.idx, list(pl.guarantors)] = 1.0
        extra = extra + p.news_same_guarantor * ((backs @ backs.T) > 0)
    similar = p.news_similarity_floor + np.minimum(extra, 1.0 - p.news_similarity_floor)
    np.fill_diagonal(similar, 1.0)
    return similar


def similarity(model, failed: list[int]) -> np.ndarray:
    """Failure news 0: per platform, the summed similarity to this week's ``failed``
    platforms beyond the floor every platform gets (the floor goes to the market-wide
    news term)."""
    if not failed:
        return np.zeros(len(model.platforms))
    floor = model.params.investor.news_similarity_floor
    return (similarity_matrix(model)[:, failed] - floor).sum(axis=1)


def update_failure_hazard_annual(model) -> np.ndarray:
    """Per platform, once a week: the share of the money in platforms like it that
    investors have seen fail, per year, over their recent memory. Each failure counts
    what the failed platform owed its holders as it failed, times its similarity
    (``similarity_matrix``), counting ``1 / investor.failure_memory_weeks`` less each
    week; the exposure it is set against is the money-years in similar platforms over
    the same memory, the failed ones' while they stood included; a young market is
    judged as if today's money, and the money that failed within the memory, had stood
    for the whole memory. A large collapse thus tells more than a small one, and a
    steady trickle of failures reads as the loss rate it is (domain.md s.4 channel 3:
    news raises the estimate that similar platforms are bad; s.6: a wave of problem
    platforms followed Ezubao's collapse). Updates the remembered sums: call it once a
    week (``Investor.update_beliefs`` does)."""
    pop, memory = model.investors, model.params.investor.failure_memory_weeks
    n = len(model.platforms)
    fade = 1.0 - 1.0 / memory
    weight = _padded(pop.failed_weight_cents, n) * fade
    for f in failed_last_week(model):
        weight[f] += model.platforms[f].owed_at_failure_cents
    pop.failed_weight_cents = weight
    similar = similarity_matrix(model)
    owed_now = np.where(model.platform_alive_mask(), products.owed_cents(model), 0.0)
    exposure = _padded(pop.exposure_cents_years, n) * fade + similar @ owed_now / 52.0
    pop.exposure_cents_years = exposure
    young = similar @ (owed_now + weight) * memory / 52.0
    exposure = np.maximum(exposure, young)
    return np.divide(similar @ weight, exposure, out=np.zeros(n), where=exposure > 0)


def _padded(values: np.ndarray, n: int) -> np.ndarray:
    """A per-platform array grown with zeros to ``n`` platforms (entrants)."""
    out = np.zeros(n)
    out[:min(values.size, n)] = values[:n]
    return out


def failed_last_week(model) -> list[int]:
    """Platforms that failed last week (their news reaches investors this week); an
    owners' voluntary wind-down is no failure news."""
    return [pl.idx for pl in model.platforms
            if not pl.alive and pl.failed_step == model.steps - 1
            and pl.failure_cause != FailureCause.WOUND_DOWN]


# -- private part -----------------------------------------------------------------------
def update_private(model) -> None:
    """Decay the private views; attentive investors add their own delays and, with
    herding on, move towards their neighbours' views."""
    pop, p, s = model.investors, model.params.investor, model.params.social
    if pop.private_annual.shape != (pop.n, len(model.platforms)):
        pop.private_annual = np.zeros((pop.n, len(model.platforms)))
    pop.private_annual *= p.panic_decay_weekly
    attentive = model.rng.random(pop.n) < s.attention_weekly
    pop.attentive = attentive
    delays = unpaid_requests(model) & attentive[:, None]
    if delays.any():
        rows, slots = np.nonzero(delays)
        np.add.at(pop.private_annual, (rows, model.holdings.platform[rows, slots]),
                  p.delay_signal_annual)
    if model.social is not None and s.herding_weight > 0:
        rows = np.flatnonzero(attentive)
        neighbours = model.social.mean_of_neighbours(pop.private_annual, rows)
        pop.private_annual[rows] = ((1 - s.herding_weight) * pop.private_annual[rows]
                                    + s.herding_weight * neighbours)


def private_view(model, rows: np.ndarray | None = None) -> np.ndarray:
    """Investors' (or ``rows``') private views, investors x platforms (zeros before the
    first weekly update has sized them)."""
    pop, n = model.investors, len(model.platforms)
    if pop.private_annual.shape != (pop.n, n):
        return np.zeros((pop.n if rows is None else len(rows), n))
    return pop.private_annual if rows is None else pop.private_annual[rows]


def liquid_as_disclosed(model) -> np.ndarray:
    """The liquid shares holders go by: as last disclosed (today's, before the first
    disclosure); inf for a platform no longer in business or without products."""
    liquid = model.investors.liquid_disclosed
    if liquid.size != len(model.platforms):
        return liquid_share(model)
    return np.where(products.product_platform_mask(model), liquid, np.inf)


def unpaid_requests(model) -> np.ndarray:
    """Slots whose holder asked back money that is due and still unpaid (a product past
    maturity, a claim still in the transfer queue) at a platform in business."""
    hold = model.holdings
    alive = model.platform_alive_mask()[np.maximum(hold.platform, 0)]
    return products.due_mask(model) & (hold.pending_units > 0) & alive


# -- expected exits and the run term ----------------------------------------------------
def liquid_share(model) -> np.ndarray:
    """Per platform: what a product platform could pay out within the horizon (pool cash,
    plus the principal its loans repay within ``investor.run_horizon_weeks``, an
    amortizing loan counted in proportion to its remaining term, a bullet loan only if
    it matures in time, plus new money at its average weekly inflow of the last four
    weeks: the volumes platforms disclose) over what it owes its holders; inf for other
    contracts. New money is what keeps a fund pool paying: when fear stops it, the
    liquid share falls."""
    n = len(model.platforms)
    horizon = model.params.investor.run_horizon_weeks
    loans = model.loans
    rows = loans.active_rows()
    left = np.maximum(loans.originated_step[rows] + loans.term_weeks[rows] - model.steps, 1)
    share = np.where(loans.bullet[rows] == 1, (left <= horizon).astype(float),
                     np.minimum(horizon / left, 1.0))
    repaid = np.bincount(loans.platform[rows], loans.outstanding_cents[rows] * share,
                         minlength=n)[:n]
    # new money: the average of the last completed weeks' inflows (the window's last
    # entry is this week's, still open), as if it went on for the horizon
    inflow = np.array([_weekly_inflow(pl.recent_inflows_cents) for pl in model.platforms],
                      float) * horizon
    owed = products.owed_cents(model)
    cash = model.pool_cash_by_platform() + repaid + inflow
    liquid = np.divide(cash, owed, out=np.full(n, np.inf), where=owed > 0)
    return np.where(products.product_platform_mask(model), liquid, np.inf)


def _weekly_inflow(window: list[int]) -> float:
    done = window[:-1]
    return sum(done) / len(done) if done else 0.0


def queue_share(model) -> np.ndarray:
    """Per platform: the share of what it owes its holders that was asked back and falls
    due within ``investor.run_horizon_weeks`` (requests on products that mature later
    wait, and do not press on the platform's cash yet)."""
    horizon = model.params.investor.run_horizon_weeks
    owed = products.owed_cents(model)
    due = products.falling_due_cents(model, horizon).astype(float)
    return np.divide(due, owed, out=np.zeros(len(owed)), where=owed > 0)


def own_due_share(model, fearful: np.ndarray | None = None) -> np.ndarray:
    """Per slot: the holder's own part of its platform's queue, as a share of what the
    platform owes: its request in the visible queue, and the rest of its units if it is
    among the ``fearful`` who ask this week (others' exits are the queue less this)."""
    hold = model.holdings
    slot_p = np.maximum(hold.platform, 0)
    soon = _due_soon(model)
    units = hold.pending_units if fearful is None else np.where(fearful, hold.units,
                                                                 hold.pending_units)
    own = np.where(soon, units, 0) * model.unit_prices_cents()[slot_p]
    owed = products.owed_cents(model)[slot_p]
    return np.divide(own, owed, out=np.zeros(own.shape), where=owed > 0)


def _due_soon(model) -> np.ndarray:
    """Slots of product platforms whose products mature within the horizon."""
    hold = model.holdings
    horizon = model.params.investor.run_horizon_weeks
    slot_p = np.maximum(hold.platform, 0)
    return hold.held & products.product_platform_mask(model)[slot_p] & (
        hold.maturity_step <= model.steps + horizon)


def anticipated_share(model, fearful: np.ndarray) -> np.ndarray:
    """Per platform: what the ``fearful`` holders (whose own view already exceeds their
    tolerance, so they ask this week whatever the queue) will add to the queue due
    within the horizon, as a share of what the platform owes: holders see the queue
    build up during the week, as fund holders do (``Investor._self_consistent_queue``)."""
    hold, n = model.holdings, len(model.platforms)
    slot_p = np.maximum(hold.platform, 0)
    adding = fearful & _due_soon(model)
    units = np.bincount(slot_p[adding], (hold.units - hold.pending_units)[adding],
                        minlength=n)[:n].astype(float)
    owed = products.owed_cents(model)
    return np.divide(units * model.unit_prices_cents(), owed, out=np.zeros(n),
                     where=owed > 0)


def maturing_share(model) -> np.ndarray:
    """Per platform: the share of its units whose products mature within
    ``investor.run_horizon_weeks`` (all of them for other contracts)."""
    hold, n = model.holdings, len(model.platforms)
    horizon = model.params.investor.run_horizon_weeks
    units = hold.per_platform(np.where(hold.held, hold.units, 0), n).astype(float)
    soon = hold.held & (hold.maturity_step <= model.steps + horizon)
    maturing = hold.per_platform(np.where(soon, hold.units, 0), n).astype(float)
    share = np.divide(maturing, units, out=np.ones(n), where=units > 0)
    return np.where(products.product_platform_mask(model), share, 1.0)


def neighbours_asking(model, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per slot (investor, k) in ``wanted``: how many of the investor's neighbours hold
    that slot's platform, and how many of those have asked money back from it (0 for
    other slots). One lookup per tie and slot in investor x platform tables."""
    hold, net = model.holdings, model.social
    n, k = hold.platform.shape
    n_p = len(model.platforms)
    tie = wanted.any(axis=1)[net.owner]
    owner, neighbour = net.owner[tie], net.neighbour[tie]
    rows = np.broadcast_to(np.arange(n)[:, None], (n, k))
    key = rows * n_p + np.maximum(hold.platform, 0)
    holds = np.zeros(n * n_p, bool)
    holds[key[hold.held]] = True
    asks = np.zeros(n * n_p, bool)
    asks[key[hold.held & (hold.pending_units > 0)]] = True
    look = neighbour[:, None] * n_p + np.maximum(hold.platform[owner], 0)
    mine = wanted[owner]
    index = (owner[:, None] * k + np.arange(k)).ravel()
    count = np.bincount(index, (holds[look] & mine).ravel(), minlength=n * k)
    asked = np.bincount(index, (asks[look] & mine).ravel(), minlength=n * k)
    return count.reshape(n, k), asked.reshape(n, k)


def expected_exits(model, wanted: np.ndarray,
                   fearful: np.ndarray | None = None) -> np.ndarray:
    """Per slot: the share of what the platform owes that the holder expects others to
    ask back within the horizon: the visible queue due within it and what the
    ``fearful`` will add to it this week (``anticipated_share``), blended (herding on)
    with the share of its neighbours holding the platform who have asked back, times the
    share of the platform's products maturing within the horizon (computed for the
    ``wanted`` slots only)."""
    hold = model.holdings
    slot_p = np.maximum(hold.platform, 0)
    queue = queue_share(model)
    if fearful is not None:
        queue = queue + anticipated_share(model, fearful)
    queue = np.maximum(queue[slot_p] - own_due_share(model, fearful), 0.0)
    h = model.params.social.herding_weight
    if model.social is None or h == 0 or not wanted.any():
        return queue
    count, asked = neighbours_asking(model, wanted)
    local = np.divide(asked, count, out=np.zeros(count.shape), where=count > 0)
    local = np.where(count > 0, local * maturing_share(model)[slot_p], queue)
    return (1 - h) * queue + h * local


def run_loss(model, fearful: np.ndarray | None = None) -> np.ndarray:
    """Per slot: the loss a holder adds to the credit risk for staying in a product
    platform whose expected queue (counting what the ``fearful`` ask this week) exceeds
    its disclosed liquid share: what a failure would cost it (``failure_loss``, as
    disclosed). With a cost that steps up at the liquid share, the queue that the
    fearful alone make is, without herding, the least one consistent with who joins it:
    if it exceeds the liquid share, those who join for the run term only push it
    further (with herding the neighbours' part is taken as it stands, not iterated)."""
    hold, liquid = model.holdings, liquid_as_disclosed(model)
    slot_p = np.maximum(hold.platform, 0)
    products_held = hold.held & np.isfinite(liquid[slot_p])
    runs = products_held & (expected_exits(model, products_held, fearful)
                            > liquid[slot_p])
    loss = model.investors.failure_loss_disclosed
    if loss.size != len(model.platforms):
        loss = failure_loss(model)
    return np.where(runs, loss[slot_p], 0.0)


def abscond_belief(model) -> float:
    """Share of failures investors expect to end with the owners absconding: the prior
    ``investor.abscond_prior_share`` worth ``investor.abscond_prior_weight`` failures,
    updated by every failure seen so far (a voluntary wind-down is none)."""
    p = model.params.investor
    failed = [pl for pl in model.platforms
              if not pl.alive and pl.failure_cause != FailureCause.WOUND_DOWN]
    absconded = sum(pl.failure_cause == FailureCause.ABSCONDED for pl in failed)
    weight = p.abscond_prior_weight
    if not failed and weight == 0:
        return p.abscond_prior_share
    return (absconded + p.abscond_prior_share * weight) / (len(failed) + weight)


def failure_loss(model) -> np.ndarray:
    """Per platform: what a holder of a product platform expects to lose if it fails, as
    a share of what it is owed (at most 1), read from the platform's balance sheet and
    the exit rules of ``ecosystem/exits.py``:

    - whatever the exit, ``borrower.strategic_default_share`` of its borrowers stop
      paying a failed platform (逃废债, ``stopped_share``);
    - if the owners abscond (chance ``abscond_belief``), also the cash in their reach
      unless they are caught (``platform.fraud_detection_prob``) and the loans whose
      records are lost (``platform.disorderly_loss_share``);
    - what is collected comes back only as the loans run off (an orderly wind-down, 清盘,
      "loans collected over time and paid out pro rata", domain.md s.3): for that wait
      the holder forgoes the yield the platform advertised (``book_wait_years``).
    A living fund pool's owners make good any other gap from capital at an orderly exit
    (``Exits._make_good_promise``), so the credit risk of the book is not counted again
    here: it is in the holder's view."""
    n = len(model.platforms)
    owed = products.owed_cents(model)
    cash = model.pool_cash_by_platform().astype(float)
    book = np.array([pl.book_cents for pl in model.platforms], float)
    reach = np.array([pl.owners_reach_share() for pl in model.platforms])
    lost_records = model.params.platform.disorderly_loss_share
    stopped = stopped_share(model) * book
    absconds = abscond_belief(model)
    # owners who abscond are caught with platform.fraud_detection_prob and leave the
    # cash in the pool (Exits._owners_caught); the records are lost either way
    caught = model.params.platform.fraud_detection_prob
    taken = reach * cash * (1 - caught) + lost_records * book + (1 - lost_records) * stopped
    lost = absconds * taken + (1 - absconds) * stopped
    collected = (book - stopped) * (1 - absconds * lost_records)
    frozen = model.advertised_yields() * book_wait_years(model) * collected
    return np.minimum(np.divide(lost + frozen, owed, out=np.zeros(n), where=owed > 0), 1.0)


def stopped_share(model) -> float:
    """Share of a failed platform's book whose borrowers stop paying it
    (``borrower.strategic_default_share``, 逃废债). Not netted of recoveries: the
    market's observed recovery rate is read from closed claims, and the first claims to
    close are those paid off in full (it reads 1.0 after the first one), so it says
    nothing yet about borrowers who chose not to pay."""
    return model.params.borrower.strategic_default_share


def book_wait_years(model) -> np.ndarray:
    """Per platform: how long, weighted by money, its book takes to come back if it
    stops lending now: a bullet loan at its maturity, an amortizing loan on average
    half way through what is left of its term (0 without loans)."""
    loans, n = model.loans, len(model.platforms)
    rows = loans.active_rows()
    left = np.maximum(loans.originated_step[rows] + loans.term_weeks[rows] - model.steps, 0)
    wait = np.where(loans.bullet[rows] == 1, left, left / 2.0)
    money = loans.outstanding_cents[rows].astype(float)
    total = np.bincount(loans.platform[rows], money, minlength=n)[:n]
    weeks = np.bincount(loans.platform[rows], money * wait, minlength=n)[:n]
    return np.divide(weeks, total, out=np.zeros(n), where=total > 0) / 52.0
