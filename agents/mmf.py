"""Money-market funds run with payment firms (余额宝-like; domain.md sections 1 and 2).

The fund holds cash, negotiated bank deposits (协议存款) and short bonds. Its income
tracks the market rate; after fees it is credited to holders every week, so the yield
follows market rates (``docs/data/yuebao.csv``: about 6.7% early 2014, 2.3% mid-2019).
Redemptions are met from cash, then by breaking deposits early (forfeiting interest),
then by selling bonds at a fire-sale discount that grows with the share sold; the loss is
borne by the holders who stay, a first-mover advantage that makes runs possible
(Diamond and Dybvig 1983; source 000 on Yu'ebao's liquidity risk). No lender of last
resort stands behind it.

Redemptions are honoured in full (as far as the fund can raise cash). Under the T+0 rule
(CSRC and PBoC guidance effective 1 June 2018: instant redemption at most 10,000 yuan per
user per day per fund; ``docs/data/regulatory_timeline.csv``, Caixin 2018-06-02) only
the instant part reaches the holder's bank deposit the same day; the rest is paid T+1,
waiting in the holder's payment-app balance until the payment firm's next settlement (the
start of the next step, the model's T+1). A step is a week and a holder's redemption is
one request made on one day, so the day-level rule (:func:`split_t0`) applies to each
request as it stands.
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
        self.bonds_face_cents = 0
        p = model.params
        self.yield_annual = max(p.macro.market_rate_mean_annual + p.fund.deposit_spread_annual
                                - p.fund.management_fee_annual, 0.0)
        self.inflow_cents = 0
        self.outflow_cents = 0
        self.fire_sale_loss_cents = 0

    @property
    def name(self) -> str:
        """Label used in events."""
        return f"fund-{self.idx}"

    @property
    def firm(self) -> mesa.Agent:
        """The payment firm that distributes the fund."""
        return self.model.payment_firms[self.idx]

    # -- balance sheet --------------------------------------------------------------
    def cash_cents(self) -> int:
        """Cash for redemptions."""
        return self.model.ledger.balance(self.cash_account)

    def deposits_cents(self) -> int:
        """Negotiated deposits at its bank."""
        return self.model.ledger.balance(self.deposit_account)

    def assets_cents(self) -> int:
        """Cash + deposits + bonds at par (amortized cost, as money-market funds value)."""
        return self.cash_cents() + self.deposits_cents() + self.bonds_face_cents

    def liabilities_cents(self) -> int:
        """What holders are owed."""
        return int(self.holdings_cents.sum())

    def balance_sheet(self) -> dict[str, int]:
        """Assets, liabilities (holdings) and equity (undistributed income or shortfall)."""
        assets, liabilities = self.assets_cents(), self.liabilities_cents()
        return {"assets_cents": assets, "liabilities_cents": liabilities,
                "equity_cents": assets - liabilities}

    # -- flows ----------------------------------------------------------------------
    def subscribe(self, positions: np.ndarray, amounts: np.ndarray) -> None:
        """Credit holders whose cash has reached the fund."""
        np.add.at(self.holdings_cents, positions, amounts)
        self.inflow_cents += int(np.sum(amounts))

    def redeem(self, positions: np.ndarray, requested_cents: np.ndarray,
               dst_accounts: np.ndarray) -> np.ndarray:
        """Pay redemptions in full, up to each holding and the cash the fund can raise.

        One request per holder (positions are distinct). The T+0 part goes to the
        holder's bank deposit now; the rest waits in its app balance, owed to its bank
        deposit at the next settlement (T+1). Returns the amounts paid, both parts.
        """
        want = np.minimum(requested_cents, self.holdings_cents[positions])
        self.raise_cash(int(want.sum()))
        paid = want if self.cash_cents() >= want.sum() else pro_rata(self.cash_cents(), want)
        np.subtract.at(self.holdings_cents, positions, paid)
        now, next_day = split_t0(paid, self.model.params.fund.t0_cap_cents_daily)
        self.firm.route(self.cash_account, dst_accounts, now, "fund redemption (T+0)")
        self.firm.hold_for_clients(self.cash_account, positions, next_day,
                                   "fund redemption (T+1)", owed_to_bank=True)
        self.outflow_cents += int(paid.sum())
        return paid

    def raise_cash(self, needed_cents: int) -> None:
        """Find cash: break deposits early, then sell bonds at a fire-sale discount."""
        short = needed_cents - self.cash_cents()
        if short > 0:
            self._break_deposits(short)
        short = needed_cents - self.cash_cents()
        if short > 0:
            self._sell_bonds(short)

    def _break_deposits(self, short_cents: int) -> None:
        ledger, penalty = self.model.ledger, self.model.params.fund.early_withdrawal_penalty
        gross = min(self.deposits_cents(), int(np.ceil(short_cents / (1 - penalty))))
        forfeit = floor_cents(gross * penalty)
        ledger.transfer(self.deposit_account, self.cash_account, gross - forfeit,
                        "negotiated deposit broken early")
        ledger.transfer(self.deposit_account, self.model.banks[self.bank].own_account,
                        forfeit, "early withdrawal penalty")

    def _sell_bonds(self, short_cents: int) -> None:
        """Sell just enough bonds; the price falls linearly with the share sold this week.

        Proceeds of selling face F out of holdings B are F (1 - k F / B) for impact k,
        so the face to sell solves a quadratic; all is sold if even that is not enough.
        """
        held = self.bonds_face_cents
        if held <= 0:
            return
        impact = self.model.params.fund.fire_sale_impact
        face = self._face_to_sell(short_cents, held, impact)
        while face < held and self._proceeds(face, held, impact) < short_cents:
            face += 1  # rounding down the proceeds can leave a cent short
        proceeds = self._proceeds(face, held, impact)
        self.bonds_face_cents -= face
        self.fire_sale_loss_cents += face - proceeds
        self.model.ledger.transfer(self.model.accounts["world.bond_market"],
                                   self.cash_account, proceeds, "bond fire sale")

    @staticmethod
    def _face_to_sell(short_cents: int, held: int, impact: float) -> int:
        disc = 1.0 - 4.0 * (impact / held) * short_cents
        if disc < 0:
            return held
        # smaller root of k F^2 - F + short = 0, in the form that is stable as k -> 0
        return min(held, int(np.ceil(2.0 * short_cents / (1.0 + np.sqrt(disc)))))

    @staticmethod
    def _proceeds(face: int, held: int, impact: float) -> int:
        return floor_cents(face * (1.0 - impact * face / held))

    def earn_and_distribute(self) -> None:
        """Collect coupons, pay fees, credit holders with the surplus (or cut on a loss)."""
        model, ledger, p = self.model, self.model.ledger, self.model.params.fund
        coupon_rate = max(model.macro.market_rate_annual + p.bond_spread_annual, 0.0)
        ledger.transfer(model.accounts["world.bond_market"], self.cash_account,
                        floor_cents(self.bonds_face_cents * weekly_rate(coupon_rate)),
                        "bond coupon")
        liabilities = self.liabilities_cents()
        fee = min(floor_cents(liabilities * weekly_rate(p.management_fee_annual)),
                  self.cash_cents())
        ledger.transfer(self.cash_account, self.firm.own_account, fee, "fund management fee")
        surplus = self.assets_cents() - liabilities
        if surplus > 0:
            credit = pro_rata(surplus, self.holdings_cents)
        else:  # a loss: holders who stay bear it pro rata
            credit = -pro_rata(-surplus, self.holdings_cents)
        self.holdings_cents += credit
        self.yield_annual = float(credit.sum()) / max(liabilities, 1) * 52

    def rebalance_portfolio(self) -> None:
        """Move towards target shares of cash, deposits and bonds (buying at par)."""
        model, ledger, p = self.model, self.model.ledger, self.model.params.fund
        assets = self.assets_cents()
        want_cash = floor_cents(assets * p.target_cash_share)
        want_dep = floor_cents(assets * p.target_deposit_share)
        spare = self.cash_cents() - want_cash
        if spare <= 0:  # short of cash: redemptions will raise it when needed
            return
        to_dep = min(spare, max(want_dep - self.deposits_cents(), 0))
        ledger.transfer(self.cash_account, self.deposit_account, to_dep, "negotiated deposit")
        to_bonds = spare - to_dep
        ledger.transfer(self.cash_account, model.accounts["world.bond_market"], to_bonds,
                        "bond purchase")
        self.bonds_face_cents += to_bonds

    def end_week(self) -> tuple[int, int]:
        """Return and reset this week's inflow and outflow."""
        flows = (self.inflow_cents, self.outflow_cents)
        self.inflow_cents = self.outflow_cents = 0
        return flows
