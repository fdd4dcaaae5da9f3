"""The shared market for short bonds, where money-market funds sell when they must.

What it models (domain.md s.4, contagion channel 4, "funding and fire sales": runs force
asset sales at a discount, and common assets lose value for every holder): one price per
yuan of face for the short bonds that funds and banks hold. A sale of face ``q`` in a
market of depth ``D`` moves the price from ``p`` to ``p * exp(-impact * q / D)`` (the
exponential inverse demand of Cifuentes, Shin and Ferrucci 2005, docs/bibliography.md);
the seller gets the average
price along the way, ``p * D / (impact * q) * (1 - exp(-impact * q / D))`` per yuan of
face. The discount persists: each week the price closes ``recovery_weekly`` of its gap
to par (arbitrage capital returns slowly; Duffie 2010, "Presidential address: asset
price dynamics with slow-moving capital"). Every holder's bonds are marked at this one
price, so one fund's sales lower the other fund's value and the banks' bond books.

A scheduled shock (``bond_market.shock_step``, ``shock_size``) cuts the price at once:
the bond-market trigger of a fund run (domain.md s.2: large redemptions when markets
swing). Buying has the mirror impact: it moves the price up, ``p * exp(impact * q /
D)``, never above par, and the buyer pays the average price along the way (at par
beyond it). Without it a fund could buy face far below par on a thin market that does
not recover and be paid par at maturity, and money would grow without limit (a
property test found such a world).
"""

from __future__ import annotations

import math

from ifsim.ecosystem.money import floor_cents

MIN_PRICE = 0.01                 # a numerical floor on the price per yuan of face
MAX_FACE_CENTS = 2**60           # no sale can be larger (money's safe bound)


class BondMarket:
    """One price for short bonds; sales push it down, time brings it back to par."""

    def __init__(self, params, account: int) -> None:
        self.p = params
        self.account = account          # world.bond_market: buyer of last resort, issuer
        self.price = 1.0
        self.sold_face_cents = 0        # this week
        self.discount_cents = 0         # this week: face value minus proceeds of sales

    def advance(self, step: int) -> None:
        """Start of a week: the discount decays towards par, then a scheduled shock."""
        self.sold_face_cents = self.discount_cents = 0
        self.price = 1.0 - (1.0 - self.price) * (1.0 - self.p.recovery_weekly)
        if self.p.shock_step and step == self.p.shock_step:
            self.price = max(self.price * (1.0 - self.p.shock_size), MIN_PRICE)

    def proceeds_cents(self, face_cents: int) -> int:
        """What selling ``face_cents`` now would bring, in cents (rounded down)."""
        if face_cents <= 0:
            return 0
        x = self.p.impact * face_cents / self.p.depth_cents
        average = self.price if x < 1e-12 else self.price * (1.0 - math.exp(-x)) / x
        return floor_cents(face_cents * average)

    def face_for_proceeds(self, cash_cents: int) -> int | None:
        """The least face whose sale brings at least ``cash_cents`` (None if no sale can:
        the proceeds of any sale stay below ``price * depth / impact``)."""
        if cash_cents <= 0:
            return 0
        k, depth = self.p.impact, self.p.depth_cents
        if k < 1e-12:                     # no impact to speak of (and no overflow)
            guess = math.ceil(cash_cents / self.price)
        else:
            ceiling = self.price * depth / k
            if cash_cents >= ceiling:
                return None
            guess = math.ceil(-depth / k * math.log(1.0 - cash_cents / ceiling))
        # the closed form is exact up to rounding: widen, then halve, to the least face
        low, high, step = guess - 1, guess, 1
        while self.proceeds_cents(high) < cash_cents:
            low, high, step = high, high + step, step * 2
            if high > MAX_FACE_CENTS:
                return None
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (low, mid) if self.proceeds_cents(mid) >= cash_cents else (mid, high)
        return high

    def sell(self, face_cents: int) -> int:
        """Sell ``face_cents``: returns the proceeds and moves the price down (never below
        ``MIN_PRICE``, a numerical floor: the market is never deeper in distress)."""
        proceeds = self.proceeds_cents(face_cents)
        self.price = max(self.price * math.exp(-self.p.impact * face_cents
                                               / self.p.depth_cents), MIN_PRICE)
        self.sold_face_cents += face_cents
        self.discount_cents += face_cents - proceeds
        return proceeds

    def face_for_cash(self, cash_cents: int) -> int:
        """Face that ``cash_cents`` buys now, the price rising along the way up to par
        and par beyond it (rounded down)."""
        if cash_cents <= 0 or self.price <= 0:
            return 0
        k, depth, p = self.p.impact, self.p.depth_cents, self.price
        if k < 1e-12 or p >= 1.0:
            return floor_cents(cash_cents / p)
        to_par = depth / k * (1.0 - p)          # what buying the price up to par costs
        if cash_cents <= to_par:
            return floor_cents(depth / k * math.log1p(cash_cents * k / (p * depth)))
        return floor_cents(depth / k * math.log(1.0 / p) + (cash_cents - to_par))

    def buy(self, cash_cents: int) -> int:
        """Buy with ``cash_cents``: returns the face bought and moves the price up (never
        above par)."""
        face = self.face_for_cash(cash_cents)
        self.price = min(self.price * math.exp(self.p.impact * face / self.p.depth_cents),
                         1.0) if self.price < 1.0 else self.price
        return face

    def value_cents(self, face_cents: int) -> int:
        """Face marked at the current price."""
        return floor_cents(face_cents * self.price)
