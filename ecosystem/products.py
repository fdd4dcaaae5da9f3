"""Fixed-term products of fund pools and Ponzi schemes, and their maturity mismatch.

A fund pool (资金池) sells investors short products at a promised yield and lends the
money long (期限错配, domain.md section 3; source 004 names maturity mismatch and
"splitting maturities" among the practices the 2015 Guiding Opinions and the 2016
Interim Measures banned); a Ponzi scheme sells the same products and pays them from new
money. Each such platform offers a mix of terms (``platform.product_terms_weeks``, its
weights drawn once per platform from a Dirichlet with concentration
``platform.product_mix_concentration``). A product bought into a new position takes a
term drawn from that mix; money added to a position joins its product. At maturity the
holder is owed the promised value: if it has asked for its money back, the platform pays
it then, out of the cash it holds (a shortfall is a queue, and a lasting queue an
illiquid failure); otherwise the product rolls over for another term. Before maturity a
request waits: there is no early exit.

Maturity mismatch per platform is measured in weeks: the weighted remaining term of its
loan book less the weighted remaining term of its products (``maturity_gap_weeks``).
"""

from __future__ import annotations

import numpy as np

from ifsim.ecosystem.money import sum_by


def product_platform_mask(model) -> np.ndarray:
    """Platforms in business that sell fixed-term products."""
    return np.array([p.alive and p.kind.sells_products for p in model.platforms], bool)


def owed_cents(model) -> np.ndarray:
    """Per platform: the value of its holders' units at the unit price (the promise, for
    a fund pool or Ponzi scheme in business): what asks and queues are measured
    against."""
    return np.array([pl.units_total for pl in model.platforms], float) * (
        model.unit_prices_cents())


def draw_mix(rng: np.random.Generator, params) -> np.ndarray:
    """A platform's weights over the product terms on offer."""
    k = len(params.platform.product_terms_weeks)
    return rng.dirichlet(np.full(k, params.platform.product_mix_concentration))


def due_mask(model) -> np.ndarray:
    """Slots whose requests can be paid now: products at or past maturity, and every
    slot of other contracts."""
    hold = model.holdings
    products = product_platform_mask(model)[np.maximum(hold.platform, 0)]
    return hold.held & (~products | (hold.maturity_step <= model.steps))


def start_terms(model, investors: np.ndarray, slots: np.ndarray,
                platforms: np.ndarray) -> None:
    """New product positions take a term from their platform's mix."""
    hold = model.holdings
    new = product_platform_mask(model)[platforms] & (hold.term_weeks[investors, slots] == 0)
    if not new.any():
        return
    terms = np.asarray(model.params.platform.product_terms_weeks, np.int64)
    drawn = np.empty(int(new.sum()), np.int64)
    for i, p in enumerate(platforms[new]):
        drawn[i] = terms[model.rng.choice(len(terms), p=model.platforms[p].product_mix)]
    hold.term_weeks[investors[new], slots[new]] = drawn
    hold.maturity_step[investors[new], slots[new]] = model.steps + drawn


def roll_over(model) -> None:
    """Matured products nobody asked back run for another term."""
    hold = model.holdings
    products = product_platform_mask(model)[np.maximum(hold.platform, 0)]
    rolling = (hold.held & products & (hold.maturity_step <= model.steps)
               & (hold.pending_units == 0) & (hold.term_weeks > 0))
    if rolling.any():
        hold.maturity_step[rolling] = model.steps + hold.term_weeks[rolling]
        model.step_stats["products_rolled"] += int(rolling.sum())


def falling_due_cents(model, weeks: int) -> np.ndarray:
    """Promised value of the products asked back that mature within ``weeks``: the cash
    each platform knows it must pay (the rest will roll over)."""
    hold, n = model.holdings, len(model.platforms)
    slot_p = np.maximum(hold.platform, 0)
    soon = hold.held & product_platform_mask(model)[slot_p] & (
        hold.maturity_step <= model.steps + weeks)
    units = sum_by(slot_p[soon], hold.pending_units[soon], n)
    return np.floor(units * model.unit_prices_cents()).astype(np.int64)


def divert_ponzi_cash(model) -> None:
    """Ponzi schemes take out what their next maturities do not need (``Platform.
    divert_idle_cash``), looking ``platform.ponzi_buffer_weeks`` ahead."""
    weeks = model.params.platform.ponzi_buffer_weeks
    due = falling_due_cents(model, weeks)
    diverted = False
    for platform in model.platforms:
        diverted |= platform.divert_idle_cash(int(due[platform.idx]))
    if diverted:        # the fictitious loans join the books the solvency check reads
        model.refresh_platform_books()


def maturity_gap_weeks(model) -> np.ndarray:
    """Per platform: remaining term of loans less remaining term of products, each
    weighted by money (0 where a platform has no products or no loans)."""
    n, hold, loans = len(model.platforms), model.holdings, model.loans
    products = product_platform_mask(model)
    slot_p = np.maximum(hold.platform, 0)
    mine = hold.held & products[slot_p]
    left = np.maximum(hold.maturity_step - model.steps, 0)
    weight = hold.units * mine
    liab = _weighted(slot_p[mine], left[mine], weight[mine], n)
    active = loans.real_active() & products[loans.platform]
    remaining = np.maximum(loans.originated_step + loans.term_weeks - model.steps, 0)
    assets = _weighted(loans.platform[active], remaining[active],
                       loans.outstanding_cents[active], n)
    return np.where((assets > 0) & (liab > 0), assets - liab, 0.0)


def _weighted(groups: np.ndarray, values: np.ndarray, weights: np.ndarray,
              n: int) -> np.ndarray:
    total = sum_by(groups, weights, n).astype(float)
    value = np.bincount(groups, values * weights.astype(float), minlength=n)
    return np.divide(value, total, out=np.zeros(n), where=total > 0)
