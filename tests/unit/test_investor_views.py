"""Investors' own views, the social network and strategic exit (agents/investor_views.py,
ecosystem/social_network.py) on hand-built worlds; and the payout order of a product
platform that gives the first to leave its advantage."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import PLATFORM_TYPE_SHARES

from ifsim.agents import investor_views
from ifsim.ecosystem import markets, products, shocks, social_network
from ifsim.ecosystem.contracts import FailureCause, PlatformType
from ifsim.ecosystem.model import EcosystemModel
from ifsim.ecosystem.params import Params


def world(kind: PlatformType = PlatformType.FUND_POOL, n_investors: int = 4,
          n_platforms: int = 1, social: dict | None = None, investor: dict | None = None,
          regulator: dict | None = None, **platform) -> EcosystemModel:
    """Platforms of one type, investors with 500,000 yuan each, nobody borrowing, no
    fees, no incidents, no entry, conservation checked."""
    params = Params.from_dict({
        "world": {"n_investors": n_investors, "n_borrowers": 2, "n_platforms": n_platforms,
                  "n_payment_firms": 1, "n_banks": 1, "check_conservation": True},
        "investor": {"wealth_median_cents": 50_000_000, "wealth_sigma": 0.0,
                     "initial_mmf_share": 0.0, "auto_invest_share": 0.0,
                     **(investor or {})},
        "borrower": {"apply_prob_weekly": 0.0},
        "payment_firm": {"fee_rate": 0.0},
        "platform": {"type_shares": PLATFORM_TYPE_SHARES[int(kind)], "custody_share": 1.0,
                     "incident_prob_weekly": 0.0, "origination_fee": 0.0,
                     "product_terms_weeks": [4], **platform},
        "social": {"network": 0, **(social or {})},
        "regulator": regulator or {},
        "entry": {"rate_weekly": 0.0},
    })
    return EcosystemModel(params, seed=0)


def buy(m: EcosystemModel, investor: int, amount: int, platform: int = 0) -> None:
    markets.execute_investments(m, np.array([investor]), np.array([platform]),
                                np.array([amount]))


def app_balance(m: EcosystemModel, investor: int) -> int:
    return int(m.payment_firms[0].client_balance_cents[m.investors.client_pos[investor]])


def ring(n: int) -> social_network.SocialNetwork:
    """Investor i watches i - 1 and i + 1 (mod n)."""
    rows = np.repeat(np.arange(n), 2)
    cols = np.ravel(np.column_stack([(np.arange(n) - 1) % n, (np.arange(n) + 1) % n]))
    return social_network.from_adjacency(sp.csr_matrix((np.ones(2 * n), (rows, cols)),
                                                       shape=(n, n)))


def lend_out(m: EcosystemModel, amount: int, platform: int = 0) -> None:
    """The pool lends ``amount`` long (52 weeks, repaid in one sum at the end); the
    money came in long ago (no new money in the last four weeks)."""
    p = m.platforms[platform]
    p.recent_inflows_cents = [0]
    m.ledger.transfer(p.pool_account, m.accounts["world.spending"], amount, "lent long")
    m.loans.add(borrower=np.array([0]), platform=np.array([platform]),
                principal_cents=np.array([amount]), outstanding_cents=np.array([amount]),
                instalment_cents=np.array([0]), rate_annual=np.array([0.0]),
                term_weeks=np.array([52]), purpose=np.array([0]), status=0,
                originated_step=0, bullet=np.array([1], np.int8))
    m.refresh_platform_books()


# -- the network ------------------------------------------------------------------------
@pytest.mark.parametrize("kind", [social_network.SMALL_WORLD, social_network.SCALE_FREE])
def test_a_network_has_the_mean_degree_asked_and_the_same_seed_draws_it_again(kind) -> None:
    net = social_network.build(kind, 500, 6, 0.1, seed=3)
    assert net.n == 500
    assert net.degrees().mean() == pytest.approx(6, rel=0.05)
    assert np.allclose(net.weights.sum(axis=1), 1.0)           # each row averages
    again = social_network.build(kind, 500, 6, 0.1, seed=3)
    assert (again.weights != net.weights).nnz == 0
    other = social_network.build(kind, 500, 6, 0.1, seed=4)
    assert (other.weights != net.weights).nnz > 0


def test_no_network_when_nobody_watches_anybody() -> None:
    assert social_network.build(social_network.NONE, 500, 6, 0.1, seed=3) is None
    assert world().social is None


def test_the_scale_free_network_has_hubs_the_small_world_has_not() -> None:
    small = social_network.build(social_network.SMALL_WORLD, 2000, 6, 0.1, seed=1)
    free = social_network.build(social_network.SCALE_FREE, 2000, 6, 0.1, seed=1)
    assert free.degrees().max() > 5 * small.degrees().max()


# -- views ------------------------------------------------------------------------------
def test_failure_news_reaches_platforms_like_the_failed_one_most() -> None:
    m = world(n_platforms=3)
    m.platforms[2].kind = PlatformType.INTERMEDIARY
    m.platforms[2].custody_bank = -1
    extra = investor_views.similarity(m, [0])
    p = m.params.investor
    assert extra[1] == pytest.approx(p.news_same_type + p.news_same_custodian)
    assert extra[2] == 0.0
    pop = m.investors
    pop.perceived_loss_annual = np.zeros(3)
    pop.news_similar_annual = np.zeros(3)
    m.platforms[0].alive, m.platforms[0].failed_step = False, 0
    m.steps = 1
    m.roles["investor"].update_beliefs(m, np.zeros(3), failures=1)
    fear = m.roles["investor"].perceived_loss(m)
    assert fear[1] > fear[2] > 0


def hazard_after_a_failure(owed: int) -> tuple[EcosystemModel, np.ndarray]:
    """Failure news 1: a fund pool that owed ``owed`` fails; the others (a fund pool with
    the same custodian, a Ponzi scheme without one) owe about 1,000,000 each; its news
    arrives a week later."""
    m = world(n_platforms=3, investor={"failure_news": 1})
    m.platforms[2].kind = PlatformType.PONZI
    m.platforms[2].custody_bank = -1
    buy(m, 0, owed, platform=0)
    buy(m, 1, 1_000_000, platform=1)
    buy(m, 2, 1_000_000, platform=2)
    m.platforms[0].fail(FailureCause.ABSCONDED, "test")
    assert m.platforms[0].owed_at_failure_cents == pytest.approx(owed, abs=2)
    m.steps = 1
    return m, investor_views.update_failure_hazard_annual(m)


def test_read_as_a_loss_rate_a_failure_is_its_money_over_the_money_like_it() -> None:
    """A year's memory in a market that just began: each survivor reads the failed
    money, times its similarity, over the money like it that stood through the memory,
    the failed platform's included."""
    m, hazard = hazard_after_a_failure(3_000_000)
    similar = investor_views.similarity_matrix(m)
    assert similar[1, 0] > similar[2, 0] == m.params.investor.news_similarity_floor
    stood = products.owed_cents(m) * m.platform_alive_mask() + np.array([3_000_000, 0, 0])
    assert stood[1:] == pytest.approx([1_000_000, 1_000_000], rel=0.01)
    expected = similar[:, 0] * 3_000_000 / (similar @ stood)
    assert hazard[1:] == pytest.approx(expected[1:], rel=1e-6)
    assert hazard[1] > hazard[2] > 0
    pop = m.investors
    pop.failed_weight_cents = np.zeros(0)      # forget, so that the update sees it anew
    pop.exposure_cents_years = np.zeros(0)
    m.roles["investor"].update_beliefs(m, np.zeros(3), failures=1)
    loss = investor_views.failure_loss(m)
    assert pop.news_similar_annual[1] == pytest.approx(hazard[1] * loss[1], rel=1e-6)


def test_read_as_a_loss_rate_a_larger_failure_says_more() -> None:
    _, small = hazard_after_a_failure(1_000_000)
    _, large = hazard_after_a_failure(3_000_000)
    assert (large[1:] > 1.5 * small[1:]).all()


def test_a_remembered_failure_fades_and_is_not_counted_again() -> None:
    m, first = hazard_after_a_failure(1_000_000)
    m.steps = 2                                  # no new failure last week
    again = investor_views.update_failure_hazard_annual(m)
    fade = 1 - 1 / m.params.investor.failure_memory_weeks
    assert m.investors.failed_weight_cents[0] == pytest.approx(1_000_000 * fade, abs=2)
    assert (again[1:] < first[1:]).all()


def test_arrears_are_seen_as_late_as_disclosure_says() -> None:
    m = world()
    lag = m.params.regulator.disclosure_lag_weeks
    assert lag == 4
    seen = [investor_views.disclosed(m, np.array([float(week)]), np.array([1.0]))[0][0]
            for week in range(lag + 3)]
    assert seen[:lag + 1] == [0.0] * (lag + 1)
    assert seen[lag + 1:] == [1.0, 2.0]


def test_an_unpaid_request_raises_the_holders_own_view_only() -> None:
    m = world(social={"attention_weekly": 1.0})
    buy(m, 0, 1_000_000)
    buy(m, 1, 1_000_000)
    lend_out(m, 2_000_000)                     # nothing left to pay anybody with
    hold = m.holdings
    hold.request(hold.held & (np.arange(4)[:, None] == 0), hold.units, step=0)
    m.steps = 5                                # the product matured last week, unpaid
    investor_views.update_private(m)
    view = m.investors.private_annual[:, 0]
    assert view[0] == pytest.approx(m.params.investor.delay_signal_annual)
    assert (view[1:] == 0).all()


def test_herding_moves_an_attentive_investors_view_towards_its_neighbours() -> None:
    m = world(social={"attention_weekly": 1.0, "herding_weight": 0.5,
                      "network": social_network.SMALL_WORLD})
    m.social = ring(4)
    m.investors.private_annual = np.array([[0.4], [0.0], [0.0], [0.0]])
    investor_views.update_private(m)
    decay = m.params.investor.panic_decay_weekly
    view = m.investors.private_annual[:, 0]
    assert view[0] == pytest.approx(0.5 * 0.4 * decay)       # its neighbours saw nothing
    assert view[1] == pytest.approx(0.5 * 0.4 * decay / 2)   # half its neighbours did
    assert view[2] == 0.0                                    # not a neighbour of 0


# -- strategic exit ---------------------------------------------------------------------
def test_a_holder_runs_when_the_queue_it_sees_exceeds_what_the_pool_can_pay() -> None:
    m = world()
    for i in range(4):
        buy(m, i, 1_000_000)
    lend_out(m, 3_000_000)                     # cash 1,000,000 of 4,000,000 owed
    hold = m.holdings
    liquid = investor_views.liquid_share(m)[0]
    assert liquid == pytest.approx(0.25)
    assert (investor_views.run_loss(m) == 0).all()            # no queue: no run
    hold.request(hold.held & (np.arange(4)[:, None] == 0), hold.units, step=0)
    assert investor_views.queue_share(m)[0] == pytest.approx(0.25)
    assert (investor_views.run_loss(m) == 0).all()            # at the limit: still none
    hold.request(hold.held & (np.arange(4)[:, None] == 1), hold.units, step=0)
    run = investor_views.run_loss(m)[hold.held]
    # those who have not asked see others' queue 0.5 > 0.25; each who has sees 0.25
    loss = investor_views.failure_loss(m)[0]
    assert run.tolist() == [0.0, 0.0, loss, loss]
    m.investors.loss_tolerance_annual[:] = loss / 2            # under what it expects
    m.investors.perceived_loss_annual = np.zeros(1)
    m.roles["investor"].ask_back_from_feared_platforms(m)
    assert (hold.pending_units[hold.held] == hold.units[hold.held]).all()


def test_new_money_coming_in_counts_as_cash_the_pool_can_pay_with() -> None:
    m = world()
    for i in range(4):
        buy(m, i, 1_000_000)
    lend_out(m, 3_000_000)
    hold = m.holdings
    hold.request(hold.held & (np.arange(4)[:, None] < 2), hold.units, step=0)
    assert investor_views.run_loss(m)[hold.held][2:].all()       # queue 0.5 > 0.25
    # 2,000 yuan a week of new money over the 13-week horizon: 26,000 yuan more
    m.platforms[0].recent_inflows_cents = [200_000] * 4
    assert investor_views.liquid_share(m)[0] == pytest.approx(0.25 + 0.65)
    assert not investor_views.run_loss(m).any()


def test_with_herding_a_holder_counts_its_neighbours_who_asked_back() -> None:
    m = world(social={"herding_weight": 0.5, "network": social_network.SMALL_WORLD})
    m.social = ring(4)
    for i in range(4):
        buy(m, i, 1_000_000)
    lend_out(m, 3_000_000)
    hold = m.holdings
    hold.request(hold.held & (np.arange(4)[:, None] == 1), hold.units, step=0)
    wanted = hold.held.copy()
    count, asked = investor_views.neighbours_asking(m, wanted)
    slot = hold.held
    assert count[slot].tolist() == [2, 2, 2, 2]
    assert asked[slot].tolist() == [1, 0, 1, 0]            # 0 and 2 watch 1
    exits = investor_views.expected_exits(m, wanted)[slot]
    # queue 0.25 for all; neighbours: half of them asked, all products mature in time
    # others' queue: 0.25 (1 asked), 0 for 1 itself; neighbours: half of them asked for
    # 0 and 2, none for 1 and 3; all products mature in time
    assert exits.tolist() == pytest.approx([0.375, 0.0, 0.375, 0.125])
    run = investor_views.run_loss(m)[slot]
    loss = investor_views.failure_loss(m)[0]
    assert run.tolist() == [loss, 0.0, loss, 0.0]          # 0.375 > 0.25 liquid


def test_the_first_to_leave_a_product_platform_is_paid_in_full_the_stayers_share_the_rest(
        ) -> None:
    m = world(illiquid_weeks=1, illiquid_queue_share=0.1)
    buy(m, 0, 1_000_000)
    buy(m, 1, 1_000_000)
    lend_out(m, 1_000_000)                     # cash 1,000,000 of 2,000,000 owed
    hold, p = m.holdings, m.platforms[0]
    hold.request(hold.held & (np.arange(4)[:, None] == 0), hold.units, step=0)
    m.steps = 4
    markets.pay_withdrawals(m)                 # the leaver's product matures: paid in full
    first = app_balance(m, 0)
    assert first == pytest.approx(1_000_000, abs=2) and not hold.held[0].any()
    hold.request(hold.held & (np.arange(4)[:, None] == 1), hold.units, step=4)
    m.steps = 8
    markets.pay_withdrawals(m)                 # the one who stayed: no cash left, a queue
    assert not p.alive and p.failure_cause == FailureCause.ILLIQUID
    assert app_balance(m, 1) < first / 10
    m.check_accounts()


def test_a_holder_expects_to_lose_what_a_failure_takes_and_the_years_its_money_is_frozen(
        ) -> None:
    """Cash 1,000,000 and a 3,000,000 book repaid in one sum in 52 weeks, against
    4,000,000 owed, no recoveries seen yet: whatever the exit, 30% of the book stops
    paying; if the owners abscond (China's 19% until failures are seen) they take the
    cash in their reach unless caught, and the records of 60% of the loans are lost;
    what is collected comes back in a year, for which the holder forgoes the advertised
    yield."""
    m = world(n_platforms=2, custody_share=0.0)
    for i in range(4):
        buy(m, i, 1_000_000)
    lend_out(m, 3_000_000)
    p = m.params
    a = p.investor.abscond_prior_share
    assert investor_views.abscond_belief(m) == pytest.approx(a)
    assert investor_views.book_wait_years(m)[0] == pytest.approx(1.0)
    stopped = p.borrower.strategic_default_share * 3_000_000
    lost_records = p.platform.disorderly_loss_share
    caught = p.platform.fraud_detection_prob       # caught owners leave the cash
    taken = (1_000_000 * (1 - caught) + lost_records * 3_000_000
             + (1 - lost_records) * stopped)
    collected = (3_000_000 - stopped) * (1 - a * lost_records)
    frozen = m.platforms[0].advertised_yield_annual * 1.0 * collected
    expected = (a * taken + (1 - a) * stopped + frozen) / 4_000_000
    assert investor_views.failure_loss(m)[0] == pytest.approx(expected)
    m.platforms[0].custody_bank = 0     # a custodian keeps most cash out of reach
    custody = investor_views.failure_loss(m)[0]
    m.platforms[0].custody_bank = -1
    assert custody < investor_views.failure_loss(m)[0]
    m.platforms[1].fail(FailureCause.ABSCONDED, "test")
    weight = p.investor.abscond_prior_weight
    assert investor_views.abscond_belief(m) == pytest.approx(
        (1 + a * weight) / (1 + weight))
    assert investor_views.failure_loss(m)[0] > expected      # owners are seen to run


def test_an_amortizing_book_comes_back_on_average_half_way_through_its_term() -> None:
    m = world()
    buy(m, 0, 1_000_000)
    lend_out(m, 500_000)
    m.loans.bullet[:] = 0
    assert investor_views.book_wait_years(m)[0] == pytest.approx(0.5)
    m.steps = 26
    assert investor_views.book_wait_years(m)[0] == pytest.approx(0.25)


def test_holders_who_fear_a_platform_on_their_own_make_the_others_run_the_same_week(
        ) -> None:
    """No queue yet; two of four holders' own view exceeds their tolerance: the queue
    they will make this week (half of what is owed) exceeds the quarter the pool can
    pay, so the two calm holders count the run term and ask too."""
    m = world()
    for i in range(4):
        buy(m, i, 1_000_000)
    lend_out(m, 3_000_000)
    hold = m.holdings
    fearful = hold.held & (np.arange(4)[:, None] < 2)
    assert not investor_views.run_loss(m).any()                 # nobody in the queue yet
    assert investor_views.anticipated_share(m, fearful)[0] == pytest.approx(0.5)
    run = investor_views.run_loss(m, fearful)[hold.held]
    loss = investor_views.failure_loss(m)[0]
    assert run.tolist() == pytest.approx([0.0, 0.0, loss, loss])   # each fearful sees 0.25
    pop = m.investors
    pop.perceived_loss_annual = np.zeros(1)
    pop.private_annual = np.array([[1.0], [1.0], [0.0], [0.0]])
    pop.loss_tolerance_annual[:] = 0.5 * min(loss, 1.0)
    m.roles["investor"].ask_back_from_feared_platforms(m)
    assert (hold.pending_units[hold.held] == hold.units[hold.held]).all()
    # with only one fearful holder the queue (a quarter) does not exceed a quarter
    hold.pending_units[:] = 0
    pop.private_annual = np.array([[1.0], [0.0], [0.0], [0.0]])
    m.roles["investor"].ask_back_from_feared_platforms(m)
    assert hold.pending_units[hold.held].tolist() == [hold.units[0, 0], 0, 0, 0]


def test_a_ponzi_scheme_that_diverted_all_its_cash_is_not_seen_through() -> None:
    """Its fictitious loans stand at face on its books, as investors take them: having
    diverted the money it is not insolvent; it fails when it cannot pay."""
    m = world(kind=PlatformType.PONZI)
    buy(m, 0, 1_000_000)
    p = m.platforms[0]
    products.divert_ponzi_cash(m)              # nothing falls due: all of it diverted
    assert p.pool_cash_cents() == 0 and p.recoverable_value_cents() <= 0
    assert p.pool_value_cents() >= 1_000_000    # at face on its books
    p.check_solvency()
    assert p.alive
    m.check_accounts()


# -- the trigger ------------------------------------------------------------------------
def test_the_trigger_collapses_the_largest_platform_of_its_type() -> None:
    m = world(n_platforms=3)
    buy(m, 0, 1_000_000, platform=0)
    buy(m, 1, 3_000_000, platform=1)
    buy(m, 2, 2_000_000, platform=2)
    assert shocks.fail_largest_platform(m, PlatformType.FUND_POOL) == 1
    assert not m.platforms[1].alive and m.platforms[1].failure_cause == "absconded"
    assert m.trigger_platform == 1
    assert shocks.fail_largest_platform(m, PlatformType.PONZI) is None
    m.check_accounts()


# -- the investor-protection fund -------------------------------------------------------
def protected_world(cover: int, endowment: int, levy: float = 0.0) -> EcosystemModel:
    params = Params.from_dict({
        **world().params.to_dict(),
        "protection": {"cover_cents": cover, "endowment_cents": endowment,
                       "levy_annual": levy},
    })
    return EcosystemModel(params, seed=0)


def test_the_protection_fund_pays_up_to_the_cover_and_collects_the_wind_down() -> None:
    m = protected_world(cover=600_000, endowment=10_000_000)
    buy(m, 0, 1_000_000)
    buy(m, 1, 400_000)
    lend_out(m, 700_000)                        # cash 700,000 of 1,400,000
    fund, p = m.protection, m.platforms[0]
    p.fail(FailureCause.INSOLVENT, "test")
    assert fund.paid_out_cents == pytest.approx(1_000_000, abs=2)   # 600,000 + 400,000
    assert m.ledger.balance(int(m.investors.account[1])) == pytest.approx(
        50_000_000, abs=2)                      # the small holder is made whole at once
    assert fund.units[0] > 0
    m.check_accounts()
    before = fund.balance_cents()
    m.steps = 1
    markets.pay_withdrawals(m)                  # the pool's cash pays the fund too
    assert fund.balance_cents() > before and fund.recovered_cents > 0
    m.check_accounts()


def test_a_fund_short_of_money_pays_every_holder_the_same_share() -> None:
    m = protected_world(cover=600_000, endowment=500_000)
    buy(m, 0, 1_000_000)
    buy(m, 1, 400_000)
    lend_out(m, 700_000)
    m.platforms[0].fail(FailureCause.INSOLVENT, "test")
    # claims 600,000 and 400,000; half of each is paid
    assert m.ledger.balance(int(m.investors.account[1])) == pytest.approx(
        50_000_000 - 400_000 + 200_000, abs=2)
    assert m.protection.balance_cents() <= 2
    m.check_accounts()


def test_cover_calms_a_holder_who_would_run_and_the_levy_comes_from_capital() -> None:
    m = protected_world(cover=2_000_000, endowment=10_000_000, levy=0.01)
    for i in range(4):
        buy(m, i, 1_000_000)
    lend_out(m, 3_000_000)
    hold = m.holdings
    hold.request(hold.held & (np.arange(4)[:, None] < 2), hold.units, step=0)
    assert investor_views.run_loss(m)[hold.held][2:].all()
    values = hold.slot_values_cents(m.unit_values_cents())
    assert (m.protection.covered_share(values)[hold.held] == 1.0).all()
    m.investors.loss_tolerance_annual[:] = investor_views.failure_loss(m)[0] / 2
    m.investors.perceived_loss_annual = np.zeros(1)
    m.roles["investor"].ask_back_from_feared_platforms(m)
    assert hold.pending_units[2:].sum() == 0          # covered: they stay
    capital = m.platforms[0].capital_cents()
    m.protection.collect_levies()
    levy = capital - m.platforms[0].capital_cents()
    assert levy == pytest.approx(4_000_000 * 0.01 / 52, abs=2)
    m.check_accounts()


def test_no_cover_no_fund() -> None:
    m = world()
    assert not m.protection.on and m.protection.balance_cents() == 0
    buy(m, 0, 1_000_000)
    m.platforms[0].fail(FailureCause.INSOLVENT, "test")
    assert m.protection.paid_out_cents == 0 and m.protection.units.sum() == 0


def test_the_fund_takes_over_only_the_units_worth_what_it_paid() -> None:
    """A pool worth more than it owed after the failure (here: all its cash, no loans
    lost): the fund takes the units worth its payment, the holder keeps the rest."""
    m = protected_world(cover=600_000, endowment=10_000_000)
    buy(m, 0, 1_000_000)
    p = m.platforms[0]
    m.ledger.transfer(m.accounts["world.endowment"], p.pool_account, 1_000_000,
                      "test: the pool is worth twice what it owes")
    p.fail(FailureCause.INSOLVENT, "test")
    hold = m.holdings
    nav = p.recoverable_value_cents() / p.units_total
    assert nav > 1.5
    assert m.protection.units[0] == pytest.approx(600_000 / nav, abs=1)
    assert hold.units[0].sum() == p.units_total - m.protection.units[0]
    m.check_accounts()


def test_hidden_arrears_stay_hidden_and_a_wind_down_is_no_news() -> None:
    m = world(n_platforms=2, regulator={"disclose_arrears": 0, "disclosure_lag_weeks": 0})
    investor = m.roles["investor"]
    for _ in range(3):
        investor.update_beliefs(m, np.array([0.5, 0.5]), failures=0)
    assert (m.investors.perceived_loss_annual == 0).all()
    m.platforms[0].fail(FailureCause.WOUND_DOWN, "test")
    m.steps = m.platforms[0].failed_step + 1
    assert investor_views.failed_last_week(m) == []


def test_new_money_is_the_average_of_the_completed_weeks() -> None:
    m = world()
    for i in range(4):
        buy(m, i, 1_000_000)
    lend_out(m, 3_000_000)
    # three completed weeks of 100,000 and 300,000 so far this week
    m.platforms[0].recent_inflows_cents = [100_000, 100_000, 100_000, 300_000]
    horizon = m.params.investor.run_horizon_weeks
    assert investor_views.liquid_share(m)[0] == pytest.approx(
        (1_000_000 + 100_000 * horizon) / 4_000_000)
