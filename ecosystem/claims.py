"""Loan claims on information-intermediary and guaranteed platforms: bids, funding from
bids, collections paid out, and the transfer market (债权转让).

Under the information-intermediary model (domain.md section 3; CBRC Interim Measures,
2016) a platform matches named investors with borrowers and holds no money of its own
making: investors' money waits in their own accounts until a loan takes it. Here an
investor who chooses such a platform places a standing **bid** (``Holdings.bid_cents``,
what its auto-invest tool may lend there); when the platform books loans, the money is
drawn from the bids pro rata and the bidders receive claims (units) at the value of the
book. Repayments collected each week are paid out at once to the holders, pro rata, as
the loans amortize, and the users of an auto-invest tool bid them again on the same
platform (``investor.auto_invest_share``). No cash idles in the pool.

A holder who wants out before its loans are repaid sells claims on the platform's
transfer market, in the order the sellers asked (the first to ask is the first sold),
to the bids of incoming investors, which buy transfers before they fund new loans as
the auto-invest tools of the large Chinese platforms did. The price is the claims' value
less a discount that grows with the queue against the money bidding
(``platform.transfer_discount_max``): a seller exits only as far as buyers bring money,
and the queue left unsold is the platform's visible run.

Crowdfunding backers pledge from their bids in the same way (``campaigns``): the money
leaves their accounts only for a campaign's escrow, and comes back to them, not to a
pool, if the campaign misses its goal; a pledge cannot be sold.
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.money import floor_cents, sum_by


def claim_platform_mask(model) -> np.ndarray:
    """Platforms in business whose investors hold loan claims (with a transfer market)."""
    return np.array([p.alive and p.kind.sells_loan_claims for p in model.platforms], bool)


def bid_platform_mask(model) -> np.ndarray:
    """Platforms in business funded from investors' bids: loan-claim platforms, and
    crowdfunding platforms, whose backers pledge their own money to a campaign."""
    return np.array([p.alive and p.kind.funded_by_bids for p in model.platforms], bool)


def cap_bids_at_deposits(model) -> None:
    """No investor bids more than its bank deposit holds (bids wait there, unmoved)."""
    hold, pop = model.holdings, model.investors
    total = hold.bid_cents.sum(axis=1)
    bidders = np.flatnonzero(total > 0)
    if bidders.size == 0:
        return
    deposit = model.ledger.balances(pop.account[bidders])
    over = total[bidders] > deposit
    if over.any():
        rows = bidders[over]
        scale = deposit[over] / total[rows]
        hold.bid_cents[rows] = np.floor(hold.bid_cents[rows] * scale[:, None]).astype(np.int64)


def priced(model) -> np.ndarray:
    """Platforms whose claims have a price: a platform whose claims are worth nothing
    while some are held cannot sell new ones (it fails at the week's solvency check)."""
    return model.unit_prices_cents() > 0


def bids_by_platform(model) -> np.ndarray:
    """Standing bids per platform."""
    hold = model.holdings
    return hold.per_platform(hold.bid_cents, len(model.platforms))


def draw_from_bids(model, need_cents: np.ndarray, reason: str) -> np.ndarray:
    """Take ``need_cents[p]`` from each platform's bids, pro rata (rounded up per bid,
    never beyond it), into its pool; issue claims at the book's value per unit.
    Returns what was drawn per platform (at least the need where bids allowed)."""
    hold, n = model.holdings, len(model.platforms)
    model.refresh_platform_books()            # loans booked earlier this week count
    nav = model.unit_prices_cents()           # the value per unit before the money comes
    # only the slots with a bid matter: work on those, not on every slot
    investors, slots = np.nonzero(hold.bid_cents)
    bids, platforms = hold.bid_cents[investors, slots], hold.platform[investors, slots]
    total = sum_by(platforms, bids, n)
    share = np.divide(need_cents, total, out=np.zeros(n), where=(total > 0) & (nav > 0))
    share = np.clip(share, 0.0, 1.0)
    amounts = np.minimum(np.ceil(bids * share[platforms]), bids).astype(np.int64)
    drawn = amounts > 0
    if not drawn.any():
        return np.zeros(n, np.int64)
    investors, slots = investors[drawn], slots[drawn]
    amounts, platforms = amounts[drawn], platforms[drawn]
    _pay_in(model, investors, slots, platforms, amounts, nav, reason)
    hold.bid_cents[investors, slots] -= amounts
    return sum_by(platforms, amounts, n)


def _pay_in(model, investors, slots, platforms, amounts, nav: np.ndarray,
            reason: str) -> None:
    """Move bid money deposit -> payment firm -> pool and issue units at ``nav``, the
    value per unit of the platform's claims before this money arrived (so new holders
    neither dilute nor enrich those already there)."""
    from ifsim.ecosystem.markets import route_by_firm

    pop, hold = model.investors, model.holdings
    route_by_firm(model, pop.payment_firm[investors], pop.account[investors],
                  model.pool_accounts[platforms], amounts, reason, fee_platforms=platforms)
    units = np.floor(amounts / nav[platforms]).astype(np.int64)
    hold.units[investors, slots] += units
    hold.paid_in_cents[investors, slots] += amounts
    n = len(model.platforms)
    for pl, added, money in zip(model.platforms, sum_by(platforms, units, n),
                                sum_by(platforms, amounts, n), strict=True):
        if money:
            pl.units_total += int(added)
            pl.note_inflow(int(money))
    model.step_stats["invested_cents"] += int(amounts.sum())


def clear_transfer_market(model) -> None:
    """Bids buy queued claims, first sellers first, on every claim platform at once."""
    hold, n = model.holdings, len(model.platforms)
    slot_p = np.maximum(hold.platform, 0)
    selling = hold.held & (hold.pending_units > 0) & claim_platform_mask(model)[slot_p]
    model.step_stats["transfer_queue_cents"] = 0
    for platform in model.platforms:
        platform.transfer_queue_cents = 0
    if not selling.any():
        return
    nav = model.unit_values_cents()
    bids = bids_by_platform(model)
    queue_units = sum_by(slot_p[selling], hold.pending_units[selling], n)
    queue = queue_units * nav
    discount = model.params.platform.transfer_discount_max * np.divide(
        queue, queue + bids, out=np.zeros(n), where=queue + bids > 0)
    price = nav * (1.0 - discount)
    affordable = np.floor(np.divide(bids, price, out=np.zeros(n), where=price > 0))
    wanted = np.minimum(queue_units, affordable).astype(np.int64)
    buyers = _split_among_bids(hold, slot_p, wanted, price)
    bought = sum_by(hold.platform[buyers[0], buyers[1]], buyers[2], n)
    sellers = _fill_sellers(hold, selling, slot_p, bought)
    if buyers[0].size:
        _move_claims(model, price, sellers, buyers)
    left = sum_by(slot_p[selling], hold.pending_units[selling], n) * nav
    for platform in model.platforms:
        platform.transfer_queue_cents = int(left[platform.idx])
    model.step_stats["transfer_queue_cents"] = int(left.sum())


def _fill_sellers(hold, selling: np.ndarray, slot_p: np.ndarray,
                  affordable: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Units each seller sells: in order of asking within each platform, until the
    platform's bids are spent."""
    inv, slot = np.nonzero(selling)
    plat = slot_p[inv, slot]
    order = np.lexsort((inv, hold.requested_step[inv, slot], plat))
    inv, slot, plat = inv[order], slot[order], plat[order]
    offered = hold.pending_units[inv, slot]
    running = np.cumsum(offered)
    start = np.searchsorted(plat, plat, side="left")          # first row of its platform
    before = running - offered - np.where(start > 0, running[start - 1], 0)
    sold = np.clip(affordable[plat] - before, 0, offered).astype(np.int64)
    keep = sold > 0
    return inv[keep], slot[keep], sold[keep]


def _split_among_bids(hold, slot_p: np.ndarray, units_by_platform: np.ndarray,
                      price: np.ndarray) -> tuple[np.ndarray, ...]:
    """Units each bidder buys, pro rata to its bid and rounded down (so no bidder pays
    more than it bid; the few units rounding leaves stay with their sellers), and what
    it pays for them, rounded up to the cent."""
    buying = hold.held & (hold.bid_cents > 0) & (units_by_platform[slot_p] > 0)
    inv, slot = np.nonzero(buying)
    plat = slot_p[inv, slot]
    bids = hold.bid_cents[inv, slot]
    total = np.bincount(plat, bids, minlength=len(units_by_platform))
    units = np.floor(units_by_platform[plat] * (bids / total[plat])).astype(np.int64)
    pay = np.minimum(np.ceil(units * price[plat]), bids).astype(np.int64)
    keep = units > 0
    return inv[keep], slot[keep], units[keep], pay[keep]


def _move_claims(model, price: np.ndarray, sellers: tuple, buyers: tuple) -> None:
    """Buyers pay into the pools, sellers are paid out of them; units change hands."""
    from ifsim.ecosystem.markets import route_by_firm

    hold, pop = model.holdings, model.investors
    b_inv, b_slot, bought, pay = buyers
    s_inv, s_slot, sold = sellers
    b_plat, s_plat = hold.platform[b_inv, b_slot], hold.platform[s_inv, s_slot]
    proceeds = floor_cents(sold * price[s_plat])
    route_by_firm(model, pop.payment_firm[b_inv], pop.account[b_inv],
                  model.pool_accounts[b_plat], pay, "claims bought on the transfer market")
    hold.bid_cents[b_inv, b_slot] -= pay
    hold.units[b_inv, b_slot] += bought
    hold.paid_in_cents[b_inv, b_slot] += pay
    for firm in model.payment_firms:
        mine = pop.payment_firm[s_inv] == firm.idx
        firm.hold_for_clients(model.pool_accounts[s_plat[mine]], pop.client_pos[s_inv[mine]],
                              proceeds[mine], "claims sold on the transfer market",
                              owed_to_bank=True)
    hold.got_back_cents[s_inv, s_slot] += proceeds
    n = len(model.platforms)
    for pl, money_in, money_out in zip(model.platforms, sum_by(b_plat, pay, n),
                                       sum_by(s_plat, proceeds, n), strict=True):
        pl.investor_inflow_cents += int(money_in)       # what its investors put in
        pl.investor_outflow_cents += int(money_out)     # and got out, between them
    hold.units[s_inv, s_slot] -= sold
    hold.pending_units[s_inv, s_slot] -= sold
    hold.close_empty()
    model.step_stats["transfers_cents"] += int(pay.sum())


def pay_out_collections(model, investors: np.ndarray, slots: np.ndarray,
                        amounts: np.ndarray, platforms: np.ndarray) -> None:
    """Users of an auto-invest tool bid what their claims paid out on the same platform
    again (the money reaches their deposit at the next settlement)."""
    auto = model.investors.auto_invest[investors]
    alive = bid_platform_mask(model)[platforms]
    again = auto & alive & (model.holdings.platform[investors, slots] == platforms)
    model.holdings.bid_cents[investors[again], slots[again]] += amounts[again]
