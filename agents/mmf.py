"""Money-market funds run with payment firms (余额宝-like; domain.md sections 1 and 2).

The fund holds cash and a maturity ladder: negotiated bank deposits (协议存款) placed for
``fund.deposit_term_weeks`` and short bonds bought for ``fund.bond_term_weeks``, some of
each maturing every week. Its income tracks the market rate; after fees it is credited to
holders every week, so the yield follows market rates (``docs/data/yuebao.csv``: about
6.7% early 2014, 2.3% mid-2019).

Redemptions (source 000 on Yu'ebao's liquidity risk; domain.md s.1-2):
- a holder is paid at today's value of its holding; the part up to the T+0 cap is paid
  at once, advanced by the payment firm from its own liquidity and repaid by the fund at
  T+1 (the next week's settlement); what the firm cannot advance the fund pays at once;
  the rest is paid at T+1. Under the T+0 rule (CSRC and PBoC guidance effective 1 June
  2018: instant redemption at most 10,000 yuan per user per day per fund;
  ``docs/data/regulatory_timeline.csv``, Caixin 2018-06-02) the instant part is capped.
  A step is a week and a redemption is one request on one day, so the day-level rule
  (:func:`split_t0`) applies to each request as it stands;
- the fund finds cash from cash and maturing assets, then by breaking deposits early
  (forfeiting ``fund.early_withdrawal_penalty``), then by selling bonds on the shared bond
  market (``ecosystem/bond_market.py``), whose price falls with what is sold and marks
  down every holder. What raising cash costs falls on the holders who stay (floating
  value) or on the sponsoring payment firm while it can pay (``fund.stable_value``): a
  first-mover advantage that makes runs possible (Diamond and Dybvig 1983). No lender of
  last resort stands behind it;
- levers: a redemption gate (``fund.gate_share_weekly``) and a liquidity fee
  (``fund.liquidity_fee``) charged in weeks of heavy redemptions and left in the fund.
"""

from __future__ import annotations

import mesa
import numpy as np

from ifsim.ecosystem.money import floor_cents, pro_rata, weekly_rate


def split_t0(requested_cents, cap_cents_daily: int):
    """Split one day's redemption request into the same-day (T+0) and next-day (T+1) parts.

    The instant part is at most the daily cap; the rest is paid the next day, so nothing
    is dropped. A cap of 0 means no cap (all same day). Works on ints and int arrays.
    """
    same_day = requested_cents if cap_cents_daily <= 0 else np.minimum(requested_cents,
                                                                       cap_cents_daily)
    return same_day, requested_cents - same_day


class MoneyMarketFund(mesa.Agent):
    """One fund; holders are its payment firm's clients (by client position)."""

    def __init__(self, model: mesa.Model, idx: int, *, cash_account: int,
                 deposit_account: int, bank: int, n_clients: int) -> None:
        super().__init__(model)
        self.idx = idx
        self.cash_account = cash_account
        self.deposit_account = deposit_account
        self.bank = bank
        self.holdings_cents = np.zeros(n_clients, np.int64)
        self.deposit_ladder: dict[int, int] = {}      # maturity week -> cents placed
        self.bond_ladder: dict[int, int] = {}         # maturity week -> face in cents
        self.bond_cost: dict[int, int] = {}           # maturity week -> amortized cost
        self.bonds_face_cents = 0
        self.broke_buck = False             # a stable-value fund that had to reprice
        # what redemptions of the week owe at T+1: the firm's advances, and holders
        self.payable_firm_cents = 0
        self.payable_holders_cents = np.zeros(n_clients, np.int64)
        p = model.params
        self.yield_annual = max(p.macro.market_rate_mean_annual + p.fund.deposit_spread_annual
                                - p.fund.management_fee_annual, 0.0)
        self.inflow_cents = 0
        self.outflow_cents = 0
        self.fire_sale_loss_cents = 0       # book value sold minus proceeds (cumulative)
        self.penalty_cents = 0              # interest forfeited breaking deposits (cum.)
        self.fees_kept_cents = 0            # liquidity fees left in the fund (cumulative)
        self.sponsor_support_cents = 0      # losses made good by the sponsor (cumulative)
        self.unpaid_cents = 0               # redemptions it could not pay (cumulative)
        self.week_start_liabilities_cents = 0
        self.week_redeemed_cents = 0
        self.last_redeemed_share = 0.0      # disclosed: last week's redemptions / holdings
        # who held what when a run was triggered, and who has redeemed since
        # (``ecosystem/run_measures.py``); cuts to those who stayed
        self.held_at_trigger = np.zeros(n_clients, np.int64)
        self.redeemed_since = np.zeros(n_clients, bool)
        self.stayer_cut_cents = 0

    @property
    def name(self) -> str:
        """Label used in events."""
        return f"fund-{self.idx}"

    @property
    def firm(self) -> mesa.Agent:
        """The payment firm that distributes the fund."""
        return self.model.payment_firms[self.idx]

    @property
    def market(self):
        """The shared bond market."""
        return self.model.bond_market

    # -- balance sheet --------------------------------------------------------------
    def cash_cents(self) -> int:
        """Cash for redemptions."""
        return self.model.ledger.balance(self.cash_account)

    def deposits_cents(self) -> int:
        """Negotiated deposits at its bank."""
        return self.model.ledger.balance(self.deposit_account)

    def carries_at_cost(self) -> bool:
        """A stable-value fund that has not broken the buck carries bonds at amortized
        cost; otherwise they are marked to the market."""
        return bool(self.model.params.fund.stable_value) and not self.broke_buck

    def bonds_value_cents(self) -> int:
        """Bonds at amortized cost (stable value) or at the market's price."""
        if self.carries_at_cost():
            return sum(self.bond_cost.values())
        return self.market.value_cents(self.bonds_face_cents)

    def shadow_assets_cents(self) -> int:
        """Assets with bonds at the market's price (a stable-value fund's shadow price)."""
        return (self.cash_cents() + self.deposits_cents()
                + self.market.value_cents(self.bonds_face_cents))

    def assets_cents(self) -> int:
        """Cash + deposits + bonds (marked to the market, or at cost if stable value)."""
        return self.cash_cents() + self.deposits_cents() + self.bonds_value_cents()

    def liabilities_cents(self) -> int:
        """What holders are owed, and what last week's redemptions owe at T+1."""
        return (int(self.holdings_cents.sum()) + self.payable_firm_cents
                + int(self.payable_holders_cents.sum()))

    def balance_sheet(self) -> dict[str, int]:
        """Assets, liabilities (holdings) and equity (undistributed income or shortfall)."""
        assets, liabilities = self.assets_cents(), self.liabilities_cents()
        return {"assets_cents": assets, "liabilities_cents": liabilities,
                "equity_cents": assets - liabilities}

    def maturing_cents(self, by_week: int) -> int:
        """Deposits and bond face that mature by week ``by_week`` (liquid by then)."""
        return (sum(v for k, v in self.deposit_ladder.items() if k <= by_week)
                + sum(v for k, v in self.bond_ladder.items() if k <= by_week))

    # -- the weekly cycle -----------------------------------------------------------
    def start_week(self) -> None:
        """Maturing deposits and bonds come back as cash; T+1 payables are paid; the
        week's redemption count starts."""
        self._mature(self.model.steps)
        self._pay_t1()
        held = int(self.holdings_cents.sum())
        self.last_redeemed_share = (self.week_redeemed_cents
                                    / max(self.week_start_liabilities_cents, 1))
        self.week_start_liabilities_cents = held
        self.week_redeemed_cents = 0

    def _mature(self, week: int) -> None:
        ledger, market = self.model.ledger, self.market
        due = sum(self.deposit_ladder.pop(k) for k in sorted(self.deposit_ladder)
                  if k <= week)
        ledger.transfer(self.deposit_account, self.cash_account, due, "negotiated deposit "
                        "matured")
        face = sum(self.bond_ladder.pop(k) for k in sorted(self.bond_ladder) if k <= week)
        for k in [k for k in self.bond_cost if k <= week]:
            del self.bond_cost[k]
        self.bonds_face_cents -= face
        ledger.transfer(market.account, self.cash_account, face, "bond matured at par")
        for k, cost in self.bond_cost.items():   # amortized cost climbs to par by maturity
            self.bond_cost[k] = cost + (self.bond_ladder[k] - cost) // max(k - week, 1)

    def _pay_t1(self) -> None:
        """Repay the firm's T+0 advances and pay holders' T+1 parts, as far as cash can
        be raised; what cannot be paid is lost to them pro rata."""
        firm_due, holders_due = self.payable_firm_cents, self.payable_holders_cents
        need = firm_due + int(holders_due.sum())
        if need == 0:
            return
        self.raise_cash(need)
        owed = np.append(holders_due, firm_due)
        paid = owed if self.cash_cents() >= need else pro_rata(self.cash_cents(), owed)
        self.unpaid_cents += need - int(paid.sum())
        self.model.ledger.transfer(self.cash_account, self.firm.own_account, int(paid[-1]),
                                   "fund repays T+0 advances (T+1)")
        who = np.flatnonzero(paid[:-1])
        self.firm.hold_for_clients(self.cash_account, who, paid[:-1][who],
                                   "fund redemption (T+1)", owed_to_bank=True)
        self.payable_firm_cents = 0
        self.payable_holders_cents[:] = 0

    # -- flows ----------------------------------------------------------------------
    def subscribe(self, positions: np.ndarray, amounts: np.ndarray) -> None:
        """Credit holders whose cash has reached the fund."""
        np.add.at(self.holdings_cents, positions, amounts)
        self.inflow_cents += int(np.sum(amounts))

    def redeem(self, positions: np.ndarray, requested_cents: np.ndarray,
               dst_accounts: np.ndarray) -> np.ndarray:
        """Redeem holdings at today's value (one request per holder, distinct positions).

        The gate may hold part of the week's requests back; the liquidity fee may keep a
        share in the fund. Of what is paid, the part up to the T+0 cap goes to the
        holder's bank deposit at once (advanced by the payment firm, or by the fund where
        the firm cannot); the rest is owed at T+1. Returns what each is paid, both parts.
        """
        want = self._through_gate(np.minimum(requested_cents,
                                             self.holdings_cents[positions]))
        fee = self._liquidity_fee(want)
        np.subtract.at(self.holdings_cents, positions, want)
        self.redeemed_since[positions[want > 0]] = True
        self.week_redeemed_cents += int(want.sum())
        self.fees_kept_cents += int(fee.sum())
        paid = want - fee
        instant, _ = split_t0(paid, self.model.params.fund.t0_cap_cents_daily)
        advanced = self.firm.advance_t0(dst_accounts, instant)
        self.payable_firm_cents += int(advanced.sum())
        direct = self._pay_now(dst_accounts, instant - advanced)
        np.add.at(self.payable_holders_cents, positions, paid - advanced - direct)
        self.outflow_cents += int(paid.sum())
        return paid

    def _through_gate(self, want: np.ndarray) -> np.ndarray:
        """With a gate, this week's redemptions stop at ``gate_share_weekly`` of the
        holdings at the start of the week; requests beyond it are cut pro rata."""
        gate = self.model.params.fund.gate_share_weekly
        if gate <= 0:
            return want
        room = floor_cents(gate * self.week_start_liabilities_cents) - self.week_redeemed_cents
        return want if want.sum() <= room else pro_rata(max(room, 0), want)

    def _liquidity_fee(self, want: np.ndarray) -> np.ndarray:
        """The fee on this batch if the week's redemptions pass the threshold."""
        p = self.model.params.fund
        heavy = (self.week_redeemed_cents + int(want.sum())
                 > p.liquidity_fee_threshold * self.week_start_liabilities_cents)
        return floor_cents(want * p.liquidity_fee) if p.liquidity_fee and heavy else \
            np.zeros_like(want)

    def _pay_now(self, dst_accounts: np.ndarray, amounts: np.ndarray) -> np.ndarray:
        """Pay the instant part the firm did not advance, from cash raised now."""
        total = int(amounts.sum())
        if total == 0:
            return np.zeros_like(amounts)
        self.raise_cash(total)
        paid = amounts if self.cash_cents() >= total else pro_rata(self.cash_cents(), amounts)
        self.firm.route(self.cash_account, dst_accounts, paid, "fund redemption (T+0)")
        return paid

    def raise_cash(self, needed_cents: int) -> None:
        """Find cash: break deposits early, then sell bonds on the shared market."""
        short = needed_cents - self.cash_cents()
        if short > 0:
            self._break_deposits(short)
        short = needed_cents - self.cash_cents()
        if short > 0:
            self._sell_bonds(short)

    def _break_deposits(self, short_cents: int) -> None:
        """Break deposits, latest maturities first, forfeiting the penalty to the bank."""
        ledger, penalty = self.model.ledger, self.model.params.fund.early_withdrawal_penalty
        gross = min(self.deposits_cents(), int(np.ceil(short_cents / (1 - penalty))))
        _take_from_ladder(self.deposit_ladder, gross)
        forfeit = floor_cents(gross * penalty)
        self.penalty_cents += forfeit
        ledger.transfer(self.deposit_account, self.cash_account, gross - forfeit,
                        "negotiated deposit broken early")
        ledger.transfer(self.deposit_account, self.model.banks[self.bank].own_account,
                        forfeit, "early withdrawal penalty")

    def _sell_bonds(self, short_cents: int) -> None:
        """Sell just enough bonds (latest maturities first), or all if even that falls
        short; the market's price falls with the sale, for every holder."""
        held = self.bonds_face_cents
        if held <= 0:
            return
        face = self.market.face_for_proceeds(short_cents)
        face = held if face is None else min(face, held)
        book = self.bonds_value_cents()
        proceeds = self.market.sell(face)
        _take_from_ladder(self.bond_ladder, face, self.bond_cost)
        self.bonds_face_cents -= face
        sold_book = (book - sum(self.bond_cost.values()) if self.carries_at_cost()
                     else floor_cents(book * face / max(held, 1)))
        self.fire_sale_loss_cents += max(sold_book - proceeds, 0)
        self.model.ledger.transfer(self.market.account, self.cash_account, proceeds,
                                   "bond sold on the market")

    def stayer_loss_if(self, share: float) -> float:
        """What redemptions of ``share`` of the holdings this week would cost those who
        stay, per yuan they hold (the forecast a holder makes; ``agents/investor.py``),
        by the rules ``redeem``, ``raise_cash`` and ``earn_and_distribute`` apply: cash
        and what matures by T+1 first (the part of the instant redemptions the firm
        cannot advance is paid now), then broken deposits, then bond sales on the
        market, priced along its impact curve. A floating-value fund's stayers lose what
        raising the cash cost and the markdown of the bonds left by the sales' impact. A
        stable-value fund's sponsor makes good realized losses while its capital (after
        the advances) lasts; its stayers lose what it cannot, and, if the bonds' hidden
        discount left to them then passes ``fund.shadow_price_limit``, all of it: the
        fund breaks the buck."""
        held = float(self.holdings_cents.sum())
        if held <= 0:
            return 0.0
        p = self.model.params
        if p.fund.gate_share_weekly > 0:      # the gate holds the rest back this week
            share = min(share, p.fund.gate_share_weekly)
        share = min(max(share, 0.0), 0.999)
        need = share * held
        if p.fund.liquidity_fee and share > p.fund.liquidity_fee_threshold:
            need *= 1.0 - p.fund.liquidity_fee                # the fee stays in the fund
        cap = p.fund.t0_cap_cents_daily
        instant = need * (float(np.minimum(self.holdings_cents, cap).sum()) / held if cap
                          else 1.0)
        advanced = min(instant, float(self.firm.advance_capacity_cents()))
        # what cannot be raised at all is lost by those who leave (and the firm)
        realized, face_sold, _unpaid = self._cost_of_raising(need, instant - advanced)
        stayers = (1.0 - share) * held
        # a shortfall not yet shared out falls on those still in when it is
        realized += max(self.liabilities_cents() - self.assets_cents(), 0)
        price_after = self.market.price * np.exp(-p.bond_market.impact * face_sold
                                                 / p.bond_market.depth_cents)
        face_left = self.bonds_face_cents - face_sold
        if not self.carries_at_cost():
            markdown = face_left * (self.market.price - price_after)
            return (realized + markdown) / stayers
        # the firm's advances come back at T+1, before the sponsor covers anything
        sponsor = float(self.firm.sponsor_capacity_cents())
        uncovered = max(realized - sponsor, 0.0)
        book_left = self.bonds_value_cents() * face_left / max(self.bonds_face_cents, 1)
        hidden = book_left - face_left * price_after
        gap = uncovered + max(hidden - max(sponsor - realized, 0.0), 0.0)
        breaks = gap > p.fund.shadow_price_limit * stayers
        return (gap if breaks else uncovered) / stayers

    def _cost_of_raising(self, need: float, now: float) -> tuple[float, float, float]:
        """Losses of raising ``need`` (``now`` of it this week, the rest at T+1 with what
        matures by then): deposit penalties and bond sales below book value; returns
        (loss, face sold, what could not be raised)."""
        p = self.model.params.fund
        cash = float(self.cash_cents())
        later = float(self.maturing_cents(self.model.steps + 1))
        now_from_cash = min(now, cash)
        short = (now - now_from_cash) + max(need - now - (cash - now_from_cash) - later, 0.0)
        breakable = float(self.deposits_cents()) - sum(
            v for k, v in self.deposit_ladder.items() if k <= self.model.steps + 1)
        broken = min(max(breakable, 0.0), short / (1 - p.early_withdrawal_penalty))
        loss = broken * p.early_withdrawal_penalty
        short -= broken * (1 - p.early_withdrawal_penalty)
        if short <= 0:
            return loss, 0.0, 0.0
        face = self.market.face_for_proceeds(int(np.ceil(short)))
        face = self.bonds_face_cents if face is None else min(face, self.bonds_face_cents)
        proceeds = self.market.proceeds_cents(face)
        book = self.bonds_value_cents() * face / max(self.bonds_face_cents, 1)
        return loss + max(book - proceeds, 0.0), float(face), max(short - proceeds, 0.0)

    def earn_and_distribute(self) -> None:
        """Collect coupons, pay fees, credit holders with the surplus (or cut on a loss).
        A stable-value fund's sponsor first makes good a realized loss from its own
        capital while it can."""
        model, ledger, p = self.model, self.model.ledger, self.model.params.fund
        coupon_rate = max(model.macro.market_rate_annual + p.bond_spread_annual, 0.0)
        ledger.transfer(self.market.account, self.cash_account,
                        floor_cents(self.bonds_face_cents * weekly_rate(coupon_rate)),
                        "bond coupon")
        holdings = int(self.holdings_cents.sum())
        fee = min(floor_cents(holdings * weekly_rate(p.management_fee_annual)),
                  self.cash_cents())
        ledger.transfer(self.cash_account, self.firm.own_account, fee, "fund management fee")
        if self.carries_at_cost():
            self._sponsor(self.liabilities_cents() - self.assets_cents())
        credit = self._credit_holders(self.assets_cents() - self.liabilities_cents())
        self.yield_annual = float(credit.sum()) / max(holdings, 1) * 52

    def check_shadow_price(self) -> None:
        """End of the week, after holders have acted: if the bonds' market value leaves a
        stable-value fund more than ``fund.shadow_price_limit`` of its holdings short of
        what it owes, the sponsor tops it up to the limit; if it cannot, the fund breaks
        the buck: it marks its bonds to the market from now on and cuts the holdings of
        those still in it (CSRC 2015 money-market fund measures: a manager must cover a
        negative deviation of 0.5% from its own funds). Those who redeemed at par before
        the repricing escaped the loss: the first-mover advantage of a stable-value fund
        (as at the Reserve Primary Fund in September 2008; Schmidt, Timmermann and
        Wermers 2016)."""
        if not self.carries_at_cost():
            return
        holdings = int(self.holdings_cents.sum())
        limit = floor_cents(self.model.params.fund.shadow_price_limit * holdings)
        self._sponsor(self.liabilities_cents() - limit - self.shadow_assets_cents())
        if self.shadow_assets_cents() >= self.liabilities_cents() - limit:
            return
        self.broke_buck = True
        self.model.events.log("fund_broke_buck", self.name, "shadow price", holdings,
                              f"bond price {self.market.price:.4f}")
        self._credit_holders(min(self.assets_cents() - self.liabilities_cents(), 0))

    def _credit_holders(self, surplus_cents: int) -> np.ndarray:
        """Share a surplus (or a loss) among holders pro rata; returns the credits and
        counts what cuts fell on holders who have stayed since a run's trigger."""
        if surplus_cents > 0:
            credit = pro_rata(surplus_cents, self.holdings_cents)
        else:
            credit = -pro_rata(-surplus_cents, self.holdings_cents)
        self.holdings_cents += credit
        stayed = (self.held_at_trigger > 0) & ~self.redeemed_since & (credit < 0)
        self.stayer_cut_cents -= int(credit[stayed].sum())
        return credit

    def _sponsor(self, short_cents: int) -> None:
        """The sponsoring payment firm pays in what it can of ``short_cents``."""
        if short_cents <= 0:
            return
        ledger = self.model.ledger
        support = min(short_cents, self.firm.sponsor_capacity_cents())
        ledger.transfer(self.firm.own_account, self.cash_account, support,
                        "sponsor support of a stable-value fund")
        self.sponsor_support_cents += support

    def rebalance_portfolio(self, spread: bool = False) -> None:
        """Move towards target shares of cash, deposits and bonds: new deposits and bonds
        join the ladder at the far end (with ``spread``, at every rung: the first
        portfolio, so that some of it matures every week)."""
        ledger, p = self.model.ledger, self.model.params.fund
        assets = self.assets_cents()
        want_cash = floor_cents(assets * p.target_cash_share)
        want_dep = floor_cents(assets * p.target_deposit_share)
        spare = self.cash_cents() - want_cash - self.payable_firm_cents - int(
            self.payable_holders_cents.sum())
        if spare <= 0:  # short of cash: redemptions will raise it when needed
            return
        to_dep = min(spare, max(want_dep - self.deposits_cents(), 0))
        ledger.transfer(self.cash_account, self.deposit_account, to_dep, "negotiated deposit")
        self._add_to_ladder(self.deposit_ladder, to_dep, p.deposit_term_weeks, spread)
        to_bonds = spare - to_dep
        face = self.market.buy(to_bonds)
        ledger.transfer(self.cash_account, self.market.account, to_bonds, "bond purchase")
        self.bonds_face_cents += face
        self._add_to_ladder(self.bond_ladder, face, p.bond_term_weeks, spread)
        self._add_to_ladder(self.bond_cost, to_bonds, p.bond_term_weeks, spread)

    def _add_to_ladder(self, ladder: dict[int, int], cents: int, term: int,
                       spread: bool) -> None:
        if cents <= 0:
            return
        week = self.model.steps
        if not spread:
            ladder[week + term] = ladder.get(week + term, 0) + cents
            return
        parts = pro_rata(cents, np.ones(term))
        parts[-1] += cents - int(parts.sum())
        for rung, part in enumerate(parts, start=1):
            ladder[week + rung] = ladder.get(week + rung, 0) + int(part)

    def end_week(self) -> tuple[int, int]:
        """Return and reset this week's inflow and outflow."""
        flows = (self.inflow_cents, self.outflow_cents)
        self.inflow_cents = self.outflow_cents = 0
        return flows


def _take_from_ladder(ladder: dict[int, int], cents: int,
                      cost: dict[int, int] | None = None) -> None:
    """Remove ``cents`` from a ladder, latest maturities first (kept: what matures soon);
    a bond ladder's amortized cost goes down in proportion."""
    for week in sorted(ladder, reverse=True):
        if cents <= 0:
            break
        take = min(ladder[week], cents)
        if cost is not None:
            cost[week] -= cost[week] * take // ladder[week]
        ladder[week] -= take
        cents -= take
        if ladder[week] == 0:
            del ladder[week]
            if cost is not None:
                del cost[week]
