"""A Diamond-Dybvig bank: one intermediary, early and late depositors, an illiquid asset.

What it models (Diamond and Dybvig 1983, docs/bibliography.md; domain.md s.7, the
runs result to reproduce): at date 0 each of ``n_depositors`` deposits the same sum;
the intermediary keeps ``liquid_share`` in cash and buys an illiquid asset with the
rest, which pays ``long_return`` per yuan at date 2 and only ``liquidation_value`` if
sold at date 1 (the liquidation discount). A share ``impatient_share`` of depositors
must consume at date 1; the others (patient) may withdraw at date 1 or wait. The
contract promises ``early_payout`` per yuan deposited at date 1, paid first come,
first served (sequential service) from cash and then from asset sales, until nothing
is left; at date 2 whatever remains is shared among those who waited. Because early
withdrawals are paid in full while assets are sold at a discount, each early
withdrawal lowers what waiting pays: the first-mover advantage that makes a run an
equilibrium.

Each patient depositor holds a private belief about the share of all depositors who
will withdraw at date 1: the common expectation ``expected_share`` plus its own noise
(``belief_noise_sd``). It withdraws early when the payoff to waiting that the bank's
own balance sheet implies at that share (``Bank.payoff_to_wait``) is below the early
payout. Then withdrawals are paid in random order through the ledger, in cents, and
the payoffs depositors actually receive are measured.

Levers (``lever``): 0 none; 1 suspension of convertibility, the bank stops paying at
date 1 once ``impatient_share`` of deposits has been withdrawn (Diamond and Dybvig's
first remedy); 2 a full guarantee, an insurer outside the bank tops whoever waited up
to the early payout (their deposit-insurance remedy, funded from outside here rather
than by a tax). Both remove the run: waiting then pays at least the early payout.

``threshold_analytic`` is the closed form for the withdrawal share at which waiting
pays exactly the early payout; the experiment ``diamond-dybvig`` checks it against the
share at which stayers' realized payoffs, measured in the simulation, cross the early
payout (``experiments/catalog/diamond_dybvig.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import mesa
import numpy as np

from ifsim.ecosystem.errors import ParameterError
from ifsim.ecosystem.ledger import AccountKind, Ledger

LEVERS = {0: "none", 1: "suspension of convertibility", 2: "full guarantee"}


@dataclass(frozen=True)
class DDParams:
    """Parameters of the Diamond-Dybvig bank (factor names ``dd.<field>``)."""

    n_depositors: int = 1000
    deposit_cents: int = 100_000            # 1,000 yuan each
    impatient_share: float = 0.25           # must withdraw at date 1
    liquid_share: float = 0.25              # of deposits kept as cash
    early_payout: float = 1.1               # promised per yuan at date 1 (r1)
    long_return: float = 1.5                # asset's payoff per yuan at date 2 (R)
    liquidation_value: float = 0.7          # asset's sale value per yuan at date 1 (L)
    expected_share: float = 0.25            # common expectation of date-1 withdrawals
    belief_noise_sd: float = 0.05           # private noise around that expectation
    lever: int = 0                          # 0 none, 1 suspension, 2 full guarantee

    def __post_init__(self) -> None:
        checks = {
            "n_depositors": 10 <= self.n_depositors <= 1_000_000,
            "deposit_cents": 100 <= self.deposit_cents <= 10**9,
            "impatient_share": 0 <= self.impatient_share < 1,
            "liquid_share": 0 <= self.liquid_share <= 1,
            "early_payout": 1 <= self.early_payout <= 10,
            "long_return": 1 <= self.long_return <= 10,
            "liquidation_value": 0 < self.liquidation_value <= 1,
            "expected_share": 0 <= self.expected_share <= 1,
            "belief_noise_sd": 0 <= self.belief_noise_sd <= 1,
            "lever": self.lever in LEVERS,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            name = bad[0]
            raise ParameterError(f"dd.{name} = {getattr(self, name)!r} is out of range "
                                 f"({_RANGES[name]})")
        if self.early_payout > self.long_return:
            raise ParameterError(f"dd.early_payout = {self.early_payout} exceeds "
                                 f"dd.long_return = {self.long_return}: waiting could "
                                 "never pay more than withdrawing")

    @classmethod
    def from_dict(cls, values: dict) -> DDParams:
        """Parameters from ``{"n_depositors": ..., ...}``; unknown names are refused."""
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ParameterError(f"dd.{unknown[0]}: unknown parameter of the diamond-dybvig "
                                 f"model (known: {', '.join('dd.' + k for k in known)})")
        ints = {"n_depositors", "deposit_cents", "lever"}
        return cls(**{k: (round(v) if k in ints else float(v)) for k, v in
                      values.items()})

    def to_dict(self) -> dict:
        return asdict(self)


_RANGES = {"n_depositors": "10 to 1,000,000", "deposit_cents": "100 to 10^9 cents",
           "impatient_share": "0 to below 1", "liquid_share": "0 to 1",
           "early_payout": "1 to 10 per yuan", "long_return": "1 to 10 per yuan",
           "liquidation_value": "above 0 to 1 per yuan", "expected_share": "0 to 1",
           "belief_noise_sd": "0 to 1", "lever": "0 none, 1 suspension, 2 full guarantee"}


def threshold_analytic(p: DDParams) -> float | None:
    """Closed-form withdrawal share f* at which waiting pays exactly the early payout.

    With cash y, early payout r1, liquidation value L and long return R per yuan, paying
    a share f > y / r1 early sells (f r1 - y) / L of the asset, so a stayer gets
    c2(f) = R (1 - y - (f r1 - y) / L) / (1 - f). Setting c2 = r1 gives
    f* = (R (1 - y) + R y / L - r1) / (r1 (R / L - 1)). When cash alone pays every early
    withdrawal up to f* (f* r1 <= y), waiting pays (y - f r1 + (1 - y) R) / (1 - f),
    which stays above r1 whenever y + (1 - y) R > r1, so the crossing is in the sale
    region. None when waiting never pays less than r1 below f = 1.
    """
    y, r1, big_r, low_l = (p.liquid_share, p.early_payout, p.long_return,
                           p.liquidation_value)
    if y + (1 - y) * big_r <= r1:
        return 0.0                          # waiting does not pay even with no run
    if big_r == low_l:
        return None
    f = (big_r * (1 - y) + big_r * y / low_l - r1) / (r1 * (big_r / low_l - 1))
    return float(f) if 0 <= f < 1 else None


class Bank(mesa.Agent):
    """The intermediary: cash in the ledger, asset units (yuan of cost) on its books."""

    def __init__(self, model: DiamondDybvigModel) -> None:
        super().__init__(model)
        self.account = model.ledger.open_account("bank", AccountKind.INSTITUTION)
        self.asset_units_cents = 0          # asset bought, at cost (1 yuan per unit)
        self.failed = False
        self.bought_units_cents = 0
        self.sold_units_cents = 0

    def cash_cents(self) -> int:
        return self.model.ledger.balance(self.account)

    def invest(self) -> None:
        """Date 0: keep the liquid share in cash, buy the asset with the rest."""
        p = self.model.p
        spend = self.cash_cents() - int(np.floor(self.cash_cents() * p.liquid_share))
        self.model.ledger.transfer(self.account, self.model.asset_market, spend,
                                   "asset bought")
        self.asset_units_cents = spend
        self.bought_units_cents = spend

    def payoff_to_wait(self, share: float) -> float:
        """What waiting would pay per yuan deposited if ``share`` of all deposits were
        withdrawn at date 1, from the bank's balance sheet as it stands (cash, asset,
        the payout promise, the lever)."""
        p = self.model.p
        total = p.n_depositors * p.deposit_cents
        if p.lever == 1:
            share = min(share, p.impatient_share)
        if share >= 1:
            return p.early_payout if p.lever == 2 else 0.0
        paid = share * total * p.early_payout
        cash = self.cash_cents()
        sold = max(paid - cash, 0.0) / p.liquidation_value
        left = (max(cash - paid, 0.0) + max(self.asset_units_cents - sold, 0.0)
                * p.long_return)
        if sold > self.asset_units_cents:
            left = 0.0
        payoff = left / ((1 - share) * total)
        return max(payoff, p.early_payout) if p.lever == 2 else payoff

    def pay_early(self, order: np.ndarray) -> np.ndarray:
        """Date 1: pay ``early_payout`` per yuan to each withdrawer in ``order``, from
        cash and then from asset sales at the liquidation value, until the bank cannot
        pay (the last one served gets what is left) or, under suspension, until
        ``impatient_share`` of deposits has been paid out. Returns who was paid in full
        or in part (the rest wait to date 2)."""
        p, ledger, m = self.model.p, self.model.ledger, self.model
        promise = round(p.deposit_cents * p.early_payout)
        served = np.zeros(order.size, bool)
        limit = (int(np.floor(p.impatient_share * p.n_depositors)) if p.lever == 1
                 else order.size)
        for k, depositor in enumerate(order[:limit]):
            self._raise_cash(promise)
            pay = min(promise, self.cash_cents())
            if pay <= 0:
                self.failed = True
                break
            ledger.transfer(self.account, m.depositor_accounts[depositor], pay,
                            "early withdrawal")
            served[k] = True
            if pay < promise:
                self.failed = True
                break
        return order[served]

    def _raise_cash(self, need_cents: int) -> None:
        """Sell just enough of the asset at the liquidation value to hold ``need``."""
        p = self.model.p
        short = need_cents - self.cash_cents()
        if short <= 0 or self.asset_units_cents <= 0:
            return
        units = min(int(np.ceil(short / p.liquidation_value)), self.asset_units_cents)
        proceeds = int(np.floor(units * p.liquidation_value))
        self.asset_units_cents -= units
        self.sold_units_cents += units
        self.model.ledger.transfer(self.model.asset_market, self.account, proceeds,
                                   "asset sold early at the liquidation value")

    def pay_late(self, stayers: np.ndarray) -> None:
        """Date 2: the asset pays off; cash is shared equally among those who waited,
        topped up to the early payout by the insurer under a full guarantee."""
        p, ledger, m = self.model.p, self.model.ledger, self.model
        if self.asset_units_cents:
            ledger.transfer(m.asset_market, self.account,
                            int(np.floor(self.asset_units_cents * p.long_return)),
                            "asset paid off")
            self.asset_units_cents = 0
        if stayers.size == 0:
            return
        each = self.cash_cents() // stayers.size
        if each:
            ledger.transfer_batch(self.account, m.depositor_accounts[stayers],
                                  np.full(stayers.size, each, np.int64), "late payout")
        if p.lever == 2:
            top_up = max(round(p.deposit_cents * p.early_payout) - each, 0)
            if top_up:
                ledger.transfer_batch(m.insurer, m.depositor_accounts[stayers],
                                      np.full(stayers.size, top_up, np.int64),
                                      "guarantee paid")


class DiamondDybvigModel(mesa.Model):
    """Three dates: deposits and investment (step 0), withdrawals (1), payoff (2)."""

    def __init__(self, p: DDParams, seed: int = 1) -> None:
        super().__init__(rng=seed)
        self.p = p
        self.ledger = Ledger()
        self.endowment = self.ledger.open_account("world.endowment", AccountKind.EXTERNAL)
        self.asset_market = self.ledger.open_account("asset.market", AccountKind.EXTERNAL)
        self.insurer = self.ledger.open_account("deposit.insurer", AccountKind.EXTERNAL)
        self.depositor_accounts = self.ledger.open_block("depositor", p.n_depositors,
                                                         AccountKind.HOUSEHOLD)
        self.bank = Bank(self)
        n = p.n_depositors
        self.impatient = np.zeros(n, bool)
        self.impatient[self.rng.permutation(n)[:round(p.impatient_share * n)]] = True
        self.belief = np.clip(p.expected_share + self.rng.normal(0, p.belief_noise_sd, n),
                              0, 1)
        self.withdraws = np.zeros(n, bool)
        self.paid_early = np.zeros(0, np.int64)
        self.datacollector = mesa.DataCollector(model_reporters=REPORTERS)
        self._deposit()

    def _deposit(self) -> None:
        p, ledger = self.p, self.ledger
        ledger.transfer_batch(self.endowment, self.depositor_accounts,
                              np.full(p.n_depositors, p.deposit_cents, np.int64), "wealth")
        ledger.transfer_batch(self.depositor_accounts, self.bank.account,
                              np.full(p.n_depositors, p.deposit_cents, np.int64), "deposit")
        self.bank.invest()

    def step(self) -> None:
        """Date 1 (first step): decide and withdraw; date 2 (second): payoff."""
        if self.steps == 1:
            self.decide()
            order = self.rng.permutation(np.flatnonzero(self.withdraws))
            self.paid_early = self.bank.pay_early(order)
        elif self.steps == 2:
            stayers = np.setdiff1d(np.arange(self.p.n_depositors), self.paid_early)
            self.bank.pay_late(stayers)
        self.ledger.check_conservation()
        self.datacollector.collect(self)

    def decide(self) -> None:
        """Impatient depositors withdraw; a patient one withdraws when, at the share of
        withdrawals it expects, waiting would pay less than the early payout."""
        waiting_pays = np.array([self.bank.payoff_to_wait(b) for b in self.belief])
        self.withdraws = self.impatient | (waiting_pays < self.p.early_payout)

    # -- outcomes --------------------------------------------------------------------
    def payout_per_yuan(self, who: np.ndarray) -> float:
        """Mean money held per yuan deposited by depositors ``who`` (nan if none)."""
        if who.size == 0:
            return float("nan")
        return float(self.ledger.balances(self.depositor_accounts[who]).mean()
                     / self.p.deposit_cents)


def withdrawal_share(m: DiamondDybvigModel) -> float:
    """Share of depositors who asked to withdraw at date 1."""
    return float(m.withdraws.mean())


def patient_withdrawal_share(m: DiamondDybvigModel) -> float:
    """Share of patient depositors who asked to withdraw at date 1 (the run)."""
    patient = ~m.impatient
    return float(m.withdraws[patient].mean()) if patient.any() else 0.0


def run(m: DiamondDybvigModel) -> int:
    """1 if most patient depositors withdrew early (a run), else 0."""
    return int(patient_withdrawal_share(m) > 0.5)


def stayer_payout(m: DiamondDybvigModel) -> float:
    """Per yuan deposited, what those not paid at date 1 hold at date 2."""
    stayers = np.setdiff1d(np.arange(m.p.n_depositors), m.paid_early)
    return m.payout_per_yuan(stayers) if m.steps >= 2 else float("nan")


def paid_early_share(m: DiamondDybvigModel) -> float:
    """Share of depositors paid (in full or in part) at date 1."""
    return m.paid_early.size / m.p.n_depositors


def liquidated_share(m: DiamondDybvigModel) -> float:
    """Share of the asset sold early at the discount."""
    bought = m.bank.bought_units_cents
    return m.bank.sold_units_cents / bought if bought else 0.0


def bank_failed(m: DiamondDybvigModel) -> int:
    """1 if the bank could not pay every early withdrawal it was asked for."""
    return int(m.bank.failed)


REPORTERS = {f.__name__: f for f in (withdrawal_share, patient_withdrawal_share, run,
                                     stayer_payout, paid_early_share, liquidated_share,
                                     bank_failed)}


def simulate(p: DDParams, seed: int) -> DiamondDybvigModel:
    """Run the three dates and return the model."""
    model = DiamondDybvigModel(p, seed)
    model.step()
    model.step()
    return model
