"""Typed, frozen, validated parameters: one dataclass per agent type and one for the world.

Every field carries its unit and a one-line meaning (``ifsim params`` lists them) and an
allowed range; a wrong value raises :class:`ParameterError` naming the field, the value
given and what is allowed. Defaults rest on ``docs/data/parameter_grounding.md`` where
a fact pins them down; the rest are free parameters with documented plausible ranges,
for calibration sweeps to choose.

Convention for caps and levers: the value 0 means "off" (no cap), as stated in each
field's description, so every regulatory lever has an off value (domain.md section 5).

Every field also says where its default comes from (``source``): a fact in ``docs/data``, a
source document ("source 000" to "source 004") or paper in ``docs/bibliography.md``, a
rule, a calibration, or that it is free. ``docs/parameters.md`` is generated from these
fields (``python -m ifsim.ecosystem.param_reference > docs/parameters.md``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar, get_type_hints

from ifsim.ecosystem.errors import ParameterError
from ifsim.ecosystem.money import SAFE_ISSUED_CENTS, WEEKS_PER_YEAR

# Sources of defaults that no document pins down (said plainly rather than left blank).
FREE = "free parameter (no source; calibrate within a plausible range)"
SIZE = "model size, a choice of computational cost (no source)"
SETTING = "software setting, not a model quantity (no source needed)"

# Size limits (docs/design.md section 4, "Bounds"): a run is at most 50 years of weeks,
# which keeps interest compounding over the run within the money bound below.
MAX_STEPS = 2_600
# A lognormal draw median * exp(sigma z) is taken to stay below z = TAIL_Z: one draw in
# about 10^17 goes beyond, so no world of up to 10^7 households meets one in 10^9 runs.
TAIL_Z = 8.5


def param(default: Any, unit: str, doc: str, *, ge: float | None = None,
          le: float | None = None, gt: float | None = None, lt: float | None = None,
          source: str = "") -> Any:
    """Declare a parameter field with its unit, meaning, allowed range and the source of
    its default."""
    meta = {"unit": unit, "doc": doc, "ge": ge, "le": le, "gt": gt, "lt": lt,
            "source": source}
    return field(default=default, metadata=meta)


def _allowed(meta: dict) -> str:
    """Describe a field's allowed range in words, for error messages."""
    parts = []
    if meta.get("gt") is not None:
        parts.append(f"> {meta['gt']}")
    if meta.get("ge") is not None:
        parts.append(f">= {meta['ge']}")
    if meta.get("lt") is not None:
        parts.append(f"< {meta['lt']}")
    if meta.get("le") is not None:
        parts.append(f"<= {meta['le']}")
    return " and ".join(parts) if parts else "any value"


def _check_number(name: str, value: Any, meta: dict) -> None:
    """Raise ParameterError if ``value`` is outside the field's range."""
    bad = (
        (meta.get("ge") is not None and value < meta["ge"])
        or (meta.get("le") is not None and value > meta["le"])
        or (meta.get("gt") is not None and value <= meta["gt"])
        or (meta.get("lt") is not None and value >= meta["lt"])
        or (isinstance(value, float) and not math.isfinite(value))
    )
    if bad:
        raise ParameterError(f"{name} = {value!r}: must be {_allowed(meta)} ({meta['unit']})")


def _coerce(name: str, value: Any, hint: Any) -> Any:
    """Check ``value`` against the type hint; allow int where float is expected."""
    if hint is bool:
        if not isinstance(value, bool):
            raise ParameterError(f"{name} = {value!r}: must be true or false")
        return value
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{name} = {value!r}: must be a whole number")
        return value
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{name} = {value!r}: must be a number")
        return float(value)
    if hint is str:
        if isinstance(value, dt.date):  # a TOML date (start_date = 2013-01-07)
            return value.isoformat()
        if not isinstance(value, str):
            raise ParameterError(f"{name} = {value!r}: must be a string")
        return value
    if hint == tuple[float, ...] or hint == tuple[int, ...]:
        elem = float if hint == tuple[float, ...] else int
        if not isinstance(value, list | tuple) or not value:
            raise ParameterError(f"{name} = {value!r}: must be a non-empty list of numbers")
        return tuple(_coerce(f"{name}[{i}]", v, elem) for i, v in enumerate(value))
    raise ParameterError(f"{name}: unsupported parameter type {hint}")


@dataclass(frozen=True)
class ParamGroup:
    """Base class: validates every field against its type hint and range on construction."""

    section: ClassVar[str] = ""

    def __post_init__(self) -> None:
        hints = get_type_hints(type(self))
        for f in dataclasses.fields(self):
            name = f"{self.section}.{f.name}"
            value = _coerce(name, getattr(self, f.name), hints[f.name])
            object.__setattr__(self, f.name, value)
            for item in value if isinstance(value, tuple) else (value,):
                if not isinstance(item, bool | str):
                    _check_number(name, item, f.metadata)
        self.check()

    def check(self) -> None:
        """Cross-field rules; subclasses override."""

    def fail(self, field_name: str, value: Any, allowed: str) -> None:
        """Raise a ParameterError for a cross-field rule."""
        raise ParameterError(f"{self.section}.{field_name} = {value!r}: {allowed}")


@dataclass(frozen=True)
class WorldParams(ParamGroup):
    """Size of the world and the run."""

    section: ClassVar[str] = "world"
    steps: int = param(260, "weeks", "steps to run (one step is one week)", ge=1, le=MAX_STEPS,
                       source="choice of the experimenter: 260 weeks = five years (the P2P boom "
                              "and bust ran 2013-2020, docs/data/china_p2p_platforms.csv); not a "
                              "fact to calibrate")
    n_investors: int = param(10_000, "agents", "retail investors (households)", ge=1,
                             le=10_000_000, source=SIZE)
    n_borrowers: int = param(5_000, "agents", "borrowers (individuals and micro firms)", ge=1,
                             le=10_000_000, source=SIZE)
    n_platforms: int = param(50, "agents", "P2P lending platforms at the start", ge=1, le=10_000,
                             source=SIZE + "; the real market had about 2,600 operating platforms "
                                           "at its end-2015 peak "
                                           "(docs/data/parameter_grounding.md), not matched")
    n_payment_firms: int = param(2, "agents", "third-party payment firms, each with its "
                                 "money-market fund", ge=1, le=100,
                                 source=SIZE + "; a leader and a follower, Alipay-like "
                                               "(docs/domain.md s.1)")
    n_banks: int = param(2, "agents", "banks (deposits, custody accounts)", ge=1, le=100,
                         source=SIZE)
    population_scale: float = param(1713.0, "real people per agent", "investors each agent "
                                    "stands for (17.13m P2P investors in 2017 / 10,000)",
                                    gt=0,
                                    source="docs/data/parameter_grounding.md: 17.13m P2P "
                                           "investors in 2017 (WDZJ, docs/data/SOURCES.md) "
                                           "divided by the default 10,000 investor agents")
    check_conservation: bool = param(False, "flag", "check money conservation after every "
                                     "step (slower; always on in tests)", source=SETTING)
    start_date: str = param("2013-01-07", "date (ISO)", "calendar date of week 0; week t "
                            "is start_date + 7t days (figures and exports show dates)",
                            source="choice: the Monday of the first full week of 2013, where the "
                                   "series in docs/data begin; only labels weeks (no dated paths "
                                   "use it)")

    def check(self) -> None:
        try:
            dt.date.fromisoformat(self.start_date)
        except ValueError:
            self.fail("start_date", self.start_date, "must be a date as YYYY-MM-DD")


@dataclass(frozen=True)
class MacroParams(ParamGroup):
    """Market rates and the common (macro/real-estate) credit factor."""

    section: ClassVar[str] = "macro"
    market_rate_mean_annual: float = param(0.035, "per year", "long-run mean of the "
                                           "interbank market rate (SHIBOR 2%-5%)", ge=0, le=1,
                                           source="docs/data/parameter_grounding.md: SHIBOR "
                                                  "interbank rate normally 2%-5% in 2013-2018; "
                                                  "3.5% is the middle of that range")
    market_rate_persistence_weekly: float = param(0.98, "ratio", "AR(1) persistence of the "
                                                  "market rate per week", ge=0, lt=1,
                                                  source=FREE + "; half-life about 34 weeks")
    market_rate_vol_weekly: float = param(0.0015, "per year per week", "standard deviation "
                                          "of weekly market-rate innovations", ge=0, le=0.1,
                                          source=FREE + "; with the persistence 0.98 the "
                                                        "stationary sd is 0.75 points, so the "
                                                        "rate stays mostly in the 2%-5% SHIBOR "
                                                        "range of docs/data/parameter_grounding.md")
    market_rate_floor_annual: float = param(0.005, "per year", "lowest market rate", ge=0,
                                            le=1,
                                            source=FREE + "; only keeps the rate positive (well "
                                                          "below the 2% SHIBOR low of "
                                                          "docs/data/parameter_grounding.md)")
    deposit_rate_annual: float = param(0.015, "per year", "bank 1-year deposit rate paid on "
                                       "household deposits (PBoC benchmark from Oct 2015)",
                                       ge=0, le=1,
                                       source="docs/data/parameter_grounding.md: PBoC 1-year "
                                              "benchmark deposit rate, 1.50% from 24 Oct 2015 "
                                              "(3.00% until Nov 2014)")
    lending_rate_annual: float = param(0.0435, "per year", "bank benchmark lending rate; the "
                                       "reference rate for P2P loan pricing", ge=0, le=1,
                                       source="PBoC 1-year benchmark lending rate, 4.35% from 24 "
                                              "Oct 2015 (as stated in agents/bank.py; not "
                                              "recorded in docs/data)")
    factor_persistence_weekly: float = param(0.97, "ratio", "AR(1) persistence of the common "
                                             "credit factor (stationary sd 1)", ge=0, lt=1,
                                             source=FREE + "; half-life about 23 weeks")
    default_correlation: float = param(0.12, "ratio", "asset correlation of borrowers with "
                                       "the common factor (Vasicek rho)", ge=0, lt=1,
                                       source=FREE + "; the example specs sweep 0-0.4, "
                                                     "macro_shock sets 0.3, the platform-types "
                                                     "experiment 0.12 and 0.35")
    deposit_rate_path: str = param("", "dated series", "1-year deposit rate by date: a "
                                   "shipped series name or a CSV file (ecosystem/paths.py); "
                                   "empty: deposit_rate_annual throughout", source=SETTING
                                   + "; china_2013 uses china_deposit_rate_1y (PBoC, "
                                     "ecosystem/data/series/SOURCES.md)")
    lending_rate_path: str = param("", "dated series", "benchmark lending rate by date "
                                   "(reference for loan pricing); empty: lending_rate_annual "
                                   "throughout", source=SETTING + "; china_2013 uses "
                                   "china_lending_rate_1y (PBoC benchmark, then the LPR)")
    market_rate_path: str = param("", "dated series", "centre of the interbank rate by date: "
                                  "the rate moves around it by the AR(1) deviation above; "
                                  "empty: market_rate_mean_annual throughout", source=SETTING
                                  + "; china_2013 uses china_shibor_3m (month-end 3-month "
                                    "SHIBOR)")
    factor_path: str = param("", "dated series", "centre of the common credit factor z by "
                             "date (negative: bad times); z moves around it by its AR(1); "
                             "empty: 0 throughout", source=SETTING + "; no series is shipped "
                             "(docs/data has none for the macro or real-estate cycle)")

    def check(self) -> None:
        from ifsim.ecosystem.paths import load_series

        for name in ("deposit_rate_path", "lending_rate_path", "market_rate_path",
                     "factor_path"):
            reference = getattr(self, name)
            if reference:
                try:
                    load_series(reference)
                except ParameterError as exc:
                    self.fail(name, reference, str(exc))


@dataclass(frozen=True)
class BorrowerParams(ParamGroup):
    """Loan demand, creditworthiness and repayment of individuals and micro firms."""

    section: ClassVar[str] = "borrower"
    platforms_considered: int = param(3, "platforms", "platforms a borrower looking for a "
                                      "loan compares (drawn at random among those in "
                                      "service): it applies to the cheapest that it expects "
                                      "to accept it, and tries the next once if turned down",
                                      ge=1, le=100,
                                      source=FREE + "; limited search, as in search models of "
                                                    "credit markets")
    apply_prob_weekly: float = param(0.04, "per week", "probability that a borrower under "
                                     "its caps asks for a new loan", ge=0, le=1, source=FREE)
    loan_amount_median_cents: int = param(5_000_000, "cents", "median loan asked for "
                                          "(50,000 yuan; individuals and micro firms)",
                                          ge=100, le=10**10,
                                          source=FREE + " (no loan-size data in docs/data); below "
                                                        "the 200,000-yuan per-platform cap")
    loan_amount_sigma: float = param(0.8, "log units", "dispersion of loan amounts "
                                     "(lognormal sigma)", ge=0, le=5, source=FREE)
    maturity_weeks_options: tuple[int, ...] = param((13, 26, 52, 78), "weeks", "loan "
                                                    "maturities on offer", ge=1, le=520,
                                                    source="docs/data/china_p2p_market.csv: "
                                                           "average maturity about 6 months in "
                                                           "2014-2015 (12.7 in mid-2018); 3 to 18 "
                                                           "months span it")
    maturity_weights: tuple[float, ...] = param((0.3, 0.35, 0.25, 0.1), "shares", "share of "
                                                "demand for each maturity", ge=0,
                                                source="docs/data/china_p2p_market.csv: with "
                                                       "maturity_weeks_options the mean is 34 "
                                                       "weeks (about 7.8 months), near the "
                                                       "2014-2015 average of about 6-7 months; "
                                                       "the split itself is free")
    purpose_weights: tuple[float, ...] = param((0.5, 0.4, 0.1), "shares", "share of loans "
                                               "for consumption, business, real estate", ge=0,
                                               source=FREE + "; docs/domain.md s.2 says high "
                                                             "yields flowed to real estate but "
                                                             "gives no share")
    real_estate_factor_multiplier: float = param(2.0, "ratio", "how much more real-estate "
                                                 "loans load on the common factor", ge=0,
                                                 le=10,
                                                 source=FREE + "; docs/domain.md s.2 (qualitative "
                                                               "only)")
    pd_annual_mean: float = param(0.08, "per year", "mean true annual default probability",
                                  gt=0, lt=1, source=FREE + " (no default-rate data in docs/data)")
    pd_concentration: float = param(6.0, "Beta a+b", "concentration of the Beta "
                                    "distribution of true default probabilities", gt=0, source=FREE)
    score_noise_sd: float = param(0.6, "logit units", "noise of the observable credit "
                                  "score around the true risk", ge=0, le=10, source=FREE)
    brushed_share: float = param(0.1, "share", "share of borrowers with brushed (faked) "
                                 "credit records", ge=0, le=1,
                                 source=FREE + "; sources 000 and 004 name brushed credit (刷信用) "
                                               "but give no share")
    brushing_boost_logit: float = param(1.0, "logit units", "how much brushing flatters a "
                                        "score", ge=0, le=10, source=FREE)
    income_median_cents_weekly: int = param(500_000, "cents per week", "median weekly "
                                            "income or business cash flow (5,000 yuan)",
                                            ge=0, le=10**9,
                                            source=FREE + " (no income data in docs/data)")
    income_sigma: float = param(0.6, "log units", "dispersion of incomes", ge=0, le=5, source=FREE)
    max_debt_service_ratio: float = param(0.5, "share of income", "instalments a borrower "
                                          "will take on, as a share of income", gt=0, le=5,
                                          source=FREE)
    max_open_loans: int = param(3, "loans", "loans one borrower may hold at once, across "
                                "platforms", ge=1, le=100,
                                source=FREE + "; docs/domain.md s.1 names borrowing on several "
                                              "platforms (共债) without a number")
    cap_per_platform_cents: int = param(20_000_000, "cents", "borrowing cap per platform "
                                        "(200,000 yuan for individuals, 2016); 0 = off", ge=0,
                                        le=10**12,
                                        source="docs/data/regulatory_timeline.csv and "
                                               "parameter_grounding.md: Interim Measures 2016, "
                                               "individuals 200,000 yuan per platform")
    cap_total_cents: int = param(100_000_000, "cents", "borrowing cap across platforms "
                                 "(1,000,000 yuan, 2016); 0 = off", ge=0, le=10**12,
                                 source="docs/data/regulatory_timeline.csv and "
                                        "parameter_grounding.md: Interim Measures 2016, "
                                        "individuals 1,000,000 yuan in total")
    write_off_after_missed_weeks: int = param(13, "weeks", "missed instalments after which a "
                                              "loan is written off (about 90 days)", ge=1,
                                              le=520,
                                              source="convention: 90 days past due is the usual "
                                                     "default and non-performing threshold (Basel "
                                                     "II, BCBS 2006); 13 weeks")
    rollover_share: float = param(0.2, "share", "share of borrowers who take interest-only "
                                  "loans (先息后本) and repay each at maturity with a new "
                                  "loan (借新还旧)", ge=0, le=1,
                                  source=FREE + "; domain.md sections 3 and 6 (borrowers who "
                                                "lived on rolling loans defaulted when their "
                                                "platforms closed), no share given")
    rollover_lead_weeks: int = param(2, "weeks", "how many weeks before maturity a rollover "
                                     "borrower starts looking for the new loan", ge=1, le=52,
                                     source=FREE)
    bullet_tested_amortizing: bool = param(True, "flag", "whether platforms test an "
                                           "interest-only loan's affordability on the "
                                           "instalment that would amortize it (true) or on "
                                           "its interest alone (false: lax underwriting)",
                                           source="FSB 2012, Principles for Sound "
                                                  "Residential Mortgage Underwriting "
                                                  "Practices (interest-only loans assessed "
                                                  "on a fully amortizing basis)")
    strategic_default_share: float = param(0.3, "share", "share of a failed platform's "
                                           "borrowers who stop paying it (逃废债) while they "
                                           "keep paying other lenders", ge=0, le=1,
                                           source=FREE + "; domain.md section 2 names "
                                                         "strategic default on collapsing "
                                                         "platforms, with no rate")
    cure_prob_weekly: float = param(0.02, "per week", "probability that a distressed "
                                    "borrower's income recovers (distress ends)", ge=0, le=1,
                                    source=FREE + "; half-life of distress about 35 weeks")
    cash_buffer_weeks: float = param(2.0, "weeks of income", "cash a borrower keeps in its "
                                     "linked account as precautionary savings (buffer "
                                     "stock), in weeks of the income it now receives; the "
                                     "rest is spent. Thin: borrowers paying 10-20% a year "
                                     "are liquidity-constrained; 0 = spend everything",
                                     ge=0, le=520,
                                     source=FREE + "; the buffer-stock rule follows Deaton 1991 "
                                                   "and Carroll 1997, its level is not calibrated")
    distressed_income_share: float = param(0.3, "share of income", "income a distressed "
                                           "borrower keeps (odd jobs, family support), as a "
                                           "share of its normal income", ge=0, le=1, source=FREE)

    def check(self) -> None:
        if len(self.maturity_weights) != len(self.maturity_weeks_options):
            self.fail("maturity_weights", self.maturity_weights,
                      f"needs {len(self.maturity_weeks_options)} entries, one per maturity")
        for name in ("maturity_weights", "purpose_weights"):
            if sum(getattr(self, name)) <= 0:
                self.fail(name, getattr(self, name), "weights must not all be zero")
        if len(self.purpose_weights) != 3:
            self.fail("purpose_weights", self.purpose_weights,
                      "needs 3 entries: consumption, business, real estate")


@dataclass(frozen=True)
class InvestorParams(ParamGroup):
    """Wealth, allocation across channels, beliefs and withdrawals of retail investors."""

    section: ClassVar[str] = "investor"
    wealth_median_cents: int = param(10_000_000, "cents", "median financial wealth "
                                     "(100,000 yuan)", ge=0, le=10**10,
                                     source=FREE + " (no wealth data in docs/data); compare the "
                                                   "60,000-70,000 yuan average P2P holding of "
                                                   "2017 (parameter_grounding.md)")
    wealth_sigma: float = param(0.9, "log units", "dispersion of wealth", ge=0, le=5, source=FREE)
    initial_mmf_share: float = param(0.1, "share", "share of wealth in the money-market fund "
                                     "at the start, for fund users", ge=0, le=1,
                                     source=FREE + "; compare about 3,300 yuan per fund user at "
                                                   "end-2017 (docs/data/parameter_grounding.md)")
    mmf_user_share: float = param(0.6, "share", "share of investors who use a payment app's "
                                  "money-market fund", ge=0, le=1, source=FREE)
    sweep_share: float = param(0.5, "share", "share of idle balances arriving in the payment "
                                "app that fund users leave swept into the fund", ge=0, le=1,
                               source=FREE)
    rebalance_prob_weekly: float = param(0.05, "per week", "probability an investor "
                                         "reconsiders its allocation (inertia)", ge=0, le=1,
                                         source=FREE)
    choice_sensitivity: float = param(60.0, "per unit of annual yield", "logit sensitivity "
                                      "of channel choice to risk-adjusted yield", ge=0, source=FREE)
    risk_aversion_mean: float = param(1.5, "ratio", "mean weight on perceived loss rate "
                                      "against yield", ge=0, source=FREE)
    p2p_distrust_annual: float = param(0.06, "per year", "yield an investor gives up to "
                                       "avoid P2P altogether (fraud, illiquidity, hassle)",
                                       ge=0, le=1, source=FREE)
    max_p2p_share: float = param(0.5, "share of wealth", "most of its wealth an investor "
                                 "puts into platforms (average P2P holding 60,000-70,000 "
                                 "yuan in 2017 against wider savings)", ge=0, le=1,
                                 source=FREE + "; bounded against the 60,000-70,000 yuan average "
                                               "P2P holding of 2017 "
                                               "(docs/data/parameter_grounding.md)")
    yield_suspicion: float = param(1.0, "ratio", "expected loss an investor reads into each "
                                   "point of advertised yield above the median platform's "
                                   "(0 = yields taken at face value)", ge=0, le=10,
                                   source=FREE + "; domain.md section 2 (high-yield marketing "
                                                 "hides risk); US SEC investor alert "
                                                 "'Ponzi schemes: red flags' (high returns "
                                                 "with little risk)")
    auto_invest_share: float = param(0.6, "share", "share of investors whose auto-invest "
                                     "tool bids what their loan claims pay back on the same "
                                     "platform again", ge=0, le=1,
                                     source=FREE + "; domain.md section 3 (auto-invest tools "
                                                   "on the large platforms), no share given")
    max_platforms_held: int = param(3, "platforms", "platforms one investor holds at once "
                                    "(diversification)", ge=1, le=50, source=FREE)
    belief_weight_weekly: float = param(0.15, "ratio", "weight of this week's disclosed "
                                        "arrears in perceived platform risk", ge=0, le=1,
                                        source=FREE)
    loss_tolerance_mean_annual: float = param(0.15, "per year", "mean perceived annual loss "
                                              "rate above which an investor withdraws", gt=0,
                                              source=FREE)
    fund_loss_tolerance_mean: float = param(0.001, "share of holding", "mean loss an "
                                            "investor would bear by staying in its money-"
                                            "market fund while others redeem, above which "
                                            "it redeems everything (drawn per investor, "
                                            "lognormal)", gt=0, le=1,
                                            source=FREE + "; money-fund holders flee a fund "
                                                          "that may break the buck over "
                                                          "losses well under 1% (in 2008 the "
                                                          "Reserve Primary Fund broke it at "
                                                          "3%; Schmidt, Timmermann and "
                                                          "Wermers 2016)")
    failure_news: int = param(0, "kind (0/1)", "how investors read other platforms' "
                              "failures: 0 = each raises the perceived loss rate of "
                              "similar platforms by panic_per_failure_annual x similarity; "
                              "1 = as the loss rate they imply: the money of similar "
                              "platforms that failed per year over failure_memory_weeks, "
                              "times the loss a failure would cost a holder (derived, no "
                              "size set per failure)", ge=0, le=1,
                              source="domain.md s.4 channel 3; mode 1 is issue 12's "
                                     "derived reading")
    panic_per_failure_annual: float = param(0.01, "per year", "failure news 0: rise in "
                                            "perceived loss rate of every platform per "
                                            "platform failure, times its similarity",
                                            ge=0, le=1, source=FREE)
    failure_memory_weeks: float = param(52.0, "weeks", "failure news 1: how long investors "
                                        "remember a failure when they read failures as a "
                                        "loss rate (each week it counts 1 - 1/memory less)",
                                        ge=1, le=520,
                                        source=FREE + "; a year, the window of the annual "
                                                      "counts of problem platforms "
                                                      "(docs/data/china_p2p_market.csv)")
    panic_decay_weekly: float = param(0.9, "ratio", "weekly persistence of news (failure "
                                      "news 0, incidents, shocks) and of each investor's "
                                      "private view",
                                      ge=0, lt=1, source=FREE)
    news_similarity_floor: float = param(0.3, "share", "share of a failure's news that "
                                         "reaches every platform, however unlike the one "
                                         "that failed", ge=0, le=1,
                                         source=FREE + "; domain.md s.4 channel 3 (news raises "
                                                       "the estimate that *similar* platforms "
                                                       "are bad)")
    news_same_type: float = param(0.5, "share", "further share of a failure's news that "
                                  "reaches platforms of the same business model", ge=0, le=1,
                                  source=FREE + "; domain.md s.4 channel 3")
    news_same_guarantor: float = param(0.2, "share", "further share that reaches platforms "
                                       "sharing a guarantor with the failed one", ge=0, le=1,
                                       source=FREE + "; domain.md s.4 channel 2 (a common "
                                                     "guarantor is a common exposure)")
    news_same_custodian: float = param(0.1, "share", "further share that reaches platforms "
                                       "with the same custody bank (or, both, none)", ge=0,
                                       le=1, source=FREE)
    delay_signal_annual: float = param(0.05, "per year", "rise in an investor's own view of "
                                       "a platform's loss rate for each week a request it "
                                       "is owed goes unpaid", ge=0, le=1, source=FREE)
    abscond_prior_share: float = param(0.19, "share", "share of platform failures in "
                                       "which investors expect the owners to abscond, "
                                       "before they have seen any failure",
                                       source="Gu, Gui and Huang 2021: 19.37% of 6,292 "
                                              "Chinese platform collapses involved "
                                              "absconding (docs/bibliography.md)",
                                       ge=0, le=1)
    abscond_prior_weight: float = param(5.0, "failures", "how many failures that prior "
                                        "counts for against the failures investors see",
                                        ge=0, le=1000, source=FREE)
    run_horizon_weeks: int = param(13, "weeks", "weeks of loan repayments a holder counts "
                                   "as cash a product platform can raise to meet its "
                                   "queue", ge=1, le=520, source=FREE)


@dataclass(frozen=True)
class PlatformParams(ParamGroup):
    """Screening, pricing, fees, capital and failure of P2P lending platforms."""

    section: ClassVar[str] = "platform"
    capital_median_cents: int = param(100_000_000, "cents", "median own capital at entry "
                                      "(1m yuan)", ge=0, le=10**11,
                                      source=FREE + " (no capital data in docs/data)")
    capital_sigma: float = param(0.5, "log units", "dispersion of capital", ge=0, le=5, source=FREE)
    operating_cost_median_cents_weekly: int = param(300_000, "cents per week", "median fixed "
                                                    "operating cost (3,000 yuan a week)",
                                                    ge=0, le=10**9, source=FREE)
    operating_cost_sigma: float = param(0.5, "log units", "dispersion of operating costs",
                                        ge=0, le=5, source=FREE)
    variable_cost_annual: float = param(0.01, "per year of loan book", "servicing cost per "
                                        "yuan of loans outstanding", ge=0, le=1, source=FREE)
    origination_fee: float = param(0.03, "share of principal", "service fee charged to the "
                                   "borrower at disbursement", ge=0, lt=1, source=FREE)
    interest_fee_share: float = param(0.1, "share of interest", "platform's cut of interest "
                                      "paid to investors", ge=0, lt=1, source=FREE)
    pd_cutoff_low: float = param(0.05, "per year", "lowest screening cut-off (estimated "
                                 "annual PD above which a loan is refused)", gt=0, lt=1,
                                 source=FREE)
    pd_cutoff_high: float = param(0.30, "per year", "highest screening cut-off", gt=0, lt=1,
                                  source=FREE)
    screening_noise_low: float = param(0.2, "logit units", "platform's own screening noise, "
                                       "best platform", ge=0, le=10, source=FREE)
    screening_noise_high: float = param(1.0, "logit units", "screening noise, worst platform",
                                        ge=0, le=10, source=FREE)
    risk_premium_multiplier: float = param(1.5, "ratio", "risk premium per unit of estimated "
                                           "annual PD", ge=0, source=FREE)
    margin_annual: float = param(0.04, "per year", "spread over reference rate plus risk "
                                 "premium", ge=0, le=1, source=FREE)
    margin_step_annual: float = param(0.0005, "per year per week", "most a platform moves its "
                                      "loan margin in a week towards balancing its loan "
                                      "demand and investors' money; 0 = fixed margins",
                                      ge=0, le=0.1,
                                      source=FREE + "; about 2.6 points a year at most")
    rate_cap_annual: float = param(0.36, "per year", "interest-rate ceiling on loans (36%, "
                                   "2017 cash-loan notice); 0 = off", ge=0, le=10,
                                   source="docs/data/regulatory_timeline.csv: 36% cap of the "
                                          "cash-loan notice (Dec 2017); parameter_grounding.md: "
                                          "courts void rates above 36% (Supreme People's Court "
                                          "2015)")
    custody_share: float = param(0.5, "share", "share of platforms keeping investor money "
                                 "in bank custody", ge=0, le=1,
                                 source=FREE + " (no share of custodied platforms in docs/data; "
                                               "custody required from Feb 2017, "
                                               "regulatory_timeline.csv)")
    illiquid_queue_share: float = param(0.2, "share of pool", "unmet withdrawals, as share of "
                                        "the pool, that count as a run", gt=0, le=1, source=FREE)
    illiquid_weeks: int = param(4, "weeks", "consecutive run weeks after which a platform "
                                "fails as illiquid", ge=1, le=520, source=FREE)
    max_loan_share_of_cash: float = param(0.5, "share", "largest share of the pool's cash "
                                          "one loan may take", gt=0, le=1, source=FREE)
    type_shares: tuple[float, ...] = param(
        (0.4, 0.25, 0.15, 0.1, 0.1), "shares", "mix of platform types: information "
        "intermediary, guaranteed, fund pool, fraudulent (Ponzi), crowdfunding", ge=0,
        source=FREE + " (no census of business models in docs/data)")
    yield_premium_high_risk_annual: float = param(0.06, "per year", "extra yield "
                                                  "advertised by Ponzi platforms to draw "
                                                  "new money", ge=0, le=1, source=FREE)
    risk_pool_capital_share: float = param(0.1, "share of capital", "capital a guaranteed "
                                           "platform puts in its risk pool at entry", ge=0,
                                           le=1,
                                           source="source 003 names a share of new capital as a "
                                                  "risk-pool fund; the 10% is free")
    risk_pool_revenue_share: float = param(0.1, "share of fees", "share of fee income a "
                                           "guaranteed platform adds to its risk pool",
                                           ge=0, le=1,
                                           source="source 003 names a yearly share of revenue as "
                                                  "a risk-pool fund; the 10% is free")
    insurance_coverage: float = param(0.0, "share of loss", "share of a guaranteed loan's "
                                      "uncovered loss an insurer pays; 0 = no insurance",
                                      ge=0, le=1,
                                      source="source 003 mentions insurance beside the risk pool; "
                                             "off by default, the level is free")
    guarantors_per_platform: int = param(2, "guarantors", "partner guarantors of each "
                                         "guaranteed platform", ge=1, le=50, source=FREE)
    fund_pool_cash_share: float = param(0.05, "share", "cash a fund-pool platform keeps "
                                        "before lending the rest long", ge=0, le=1, source=FREE)
    fund_pool_term_multiplier: float = param(2.0, "ratio", "how much longer the loans of "
                                             "fund-pool platforms run than asked for "
                                             "(maturity mismatch)", ge=1, le=10, source=FREE)
    product_terms_weeks: tuple[int, ...] = param((4, 13, 26, 52), "weeks", "terms of the "
                                                 "fixed-term products fund pools and Ponzi "
                                                 "schemes sell (1, 3, 6, 12 months)", ge=1,
                                                 le=520,
                                                 source="docs/domain.md section 3 (fund pools "
                                                        "sell short products and lend long); "
                                                        "the 1-12 month menu is the issue's "
                                                        "example, not a measured mix")
    product_mix_concentration: float = param(2.0, "Dirichlet alpha", "how alike platforms' "
                                             "product mixes are (large: all alike; small: "
                                             "each favours a few terms)", gt=0, le=1000,
                                             source=FREE)
    transfer_discount_max: float = param(0.05, "share", "discount on claims sold on a "
                                         "transfer market whose queue dwarfs the money "
                                         "bidding (the discount is this times queue / "
                                         "(queue + bids)); 0 = always at par", ge=0, lt=1,
                                         source=FREE + "; transfers at or near par were the "
                                                       "norm (domain.md section 3 names the "
                                                       "transfer market, not its prices)")
    ponzi_diversion_share: float = param(0.5, "share", "share of new money a Ponzi "
                                         "platform diverts to its owners as fictitious "
                                         "loans (self-financing)", ge=0, le=1, source=FREE)
    ponzi_buffer_weeks: int = param(4, "weeks", "a Ponzi scheme keeps cash for the products "
                                    "maturing within this many weeks and diverts the rest",
                                    ge=0, le=520,
                                    source=FREE + "; domain.md section 3: old investors are "
                                                  "paid from new money")
    ponzi_failure_inflow_ratio: float = param(1.0, "ratio", "a Ponzi platform cannot pay "
                                              "(fails, and its owners decide whether to "
                                              "abscond) when inflows over the last four "
                                              "weeks fall below this multiple of what "
                                              "investors ask back", ge=0,
                                              source=FREE + "; 1 = new money just covers what is "
                                                            "asked back")
    fraud_detection_prob: float = param(0.33, "probability", "chance that owners who "
                                        "abscond are caught and lose what they took (about "
                                        "a third: 6.31% of collapses investigated for "
                                        "fraud against 19.37% absconding, Gu, Gui and "
                                        "Huang 2021)", ge=0, le=1,
                                        source="Gu, Gui and Huang 2021 "
                                               "(docs/data/parameter_grounding.md): 6.31% of "
                                               "collapses investigated for fraud against 19.37% "
                                               "absconding, a ratio of about 0.33")
    abscond_penalty_median_cents: int = param(4_000_000_000, "cents", "median sanction "
                                              "an owner who is caught bears, in money "
                                              "(prison, fines, lost other business; 40m "
                                              "yuan); a free parameter, set so that about "
                                              "a fifth of failures in the platform-types "
                                              "experiment involve absconding (19% observed)"
                                              " with the baseline's 200 investors per "
                                              "platform; recalibrate for other ratios",
                                              ge=0, le=10**15,
                                              source="calibrated (see README, Canonical "
                                                     "experiments): about a fifth of failures in "
                                                     "platform-types involve absconding, 19.37% "
                                                     "observed (Gu, Gui and Huang 2021)")
    custody_reach_share: float = param(0.1, "share", "share of custodied investor cash "
                                       "owners can still move out as payments for "
                                       "fictitious loans (the custodian checks "
                                       "instructions, not borrowers); an assumption", ge=0,
                                       le=1,
                                       source=FREE + " (an assumption: the custodian checks "
                                                     "instructions, not the loans behind them, "
                                                     "CBRC custody guidelines 2017)")
    abscond_penalty_sigma: float = param(1.0, "log units", "dispersion of that sanction "
                                         "across owners", ge=0, le=5, source=FREE)
    owner_horizon_weeks: int = param(52, "weeks", "weeks of their current profit the owners "
                                     "count on if they stay (the franchise value)", ge=0,
                                     le=5200, source=FREE)
    disorderly_loss_share: float = param(0.6, "share of book", "share of loans lost when "
                                         "a platform collapses in disorder (records gone, "
                                         "borrowers stop paying)", ge=0, le=1, source=FREE)
    incident_prob_weekly: float = param(0.002, "per week", "chance of a hack, leak or outage "
                                        "at a platform with no security spending", ge=0,
                                        le=1,
                                        source=FREE + "; sources 000 and 004 name the risks, not "
                                                      "their rates")
    security_spend_share_low: float = param(0.0, "share of operating cost", "lowest "
                                            "security spending", ge=0, le=1, source=FREE)
    security_spend_share_high: float = param(0.3, "share of operating cost", "highest "
                                             "security spending", ge=0, le=1, source=FREE)
    security_effectiveness: float = param(10.0, "per unit share", "how fast incident risk "
                                          "falls with security spending (exponential)",
                                          ge=0, source=FREE)
    incident_loss_share: float = param(0.1, "share of pool cash", "money stolen or lost in "
                                       "an incident", ge=0, le=1, source=FREE)
    incident_downtime_weeks: int = param(2, "weeks", "service down after an incident",
                                         ge=0, le=52, source=FREE)
    incident_reputation_shock_annual: float = param(0.05, "per year", "rise in the "
                                                    "perceived loss rate of a hit platform",
                                                    ge=0, le=1, source=FREE)
    crowdfunding_campaign_weeks: int = param(4, "weeks", "length of an all-or-nothing "
                                             "crowdfunding campaign", ge=1, le=52, source=FREE)
    crowdfunding_reward_share: float = param(0.3, "share", "share of crowdfunding "
                                             "campaigns that are reward-based (the rest "
                                             "are lending)", ge=0, le=1, source=FREE)

    def check(self) -> None:
        if len(self.type_shares) != 5 or sum(self.type_shares) <= 0:
            self.fail("type_shares", self.type_shares, "needs 5 non-negative shares, not "
                      "all zero: intermediary, guaranteed, fund pool, Ponzi, crowdfunding")
        if self.security_spend_share_low > self.security_spend_share_high:
            self.fail("security_spend_share_low", self.security_spend_share_low,
                      f"must not exceed platform.security_spend_share_high = "
                      f"{self.security_spend_share_high}")
        if self.screening_noise_low > self.screening_noise_high:
            self.fail("screening_noise_low", self.screening_noise_low,
                      f"must not exceed platform.screening_noise_high = "
                      f"{self.screening_noise_high}")


@dataclass(frozen=True)
class PaymentFirmParams(ParamGroup):
    """Third-party payment firms: settlement, client reserves, fees."""

    section: ClassVar[str] = "payment_firm"
    market_share_exponent: float = param(1.0, "ratio", "market shares fall with rank as "
                                         "rank^-exponent (Alipay-like leader)", ge=0, le=10,
                                         source=FREE + " (a dominant leader, docs/domain.md s.1; "
                                                       "no market-share data in docs/data)")
    fee_rate: float = param(0.001, "share of flow", "fee charged to platforms on money "
                            "settled to them", ge=0, lt=1, source=FREE)
    reserve_centralisation_ratio: float = param(0.0, "share", "share of client reserve "
                                                "funds held at the central bank (0.2 in "
                                                "2017 to 1.0 in 2019); 0 = off", ge=0, le=1,
                                                source="docs/data/regulatory_timeline.csv: 20% "
                                                       "(Apr 2017), about 50% (Apr 2018), 100% "
                                                       "(Jan 2019); default 0 = before the rule")
    central_bank_reserve_rate_annual: float = param(
        0.0035, "per year", "interest the central bank pays the firm on centralised client "
        "reserves: 0.35% from January 2020 (PBoC via Caixin 2020-01-07); none from April "
        "2017 to 2019 (PBoC Yinbanfa [2017] No.10): set 0 to replay those years", ge=0, le=1,
        source="PBoC: 0.35% from Jan 2020 (Caixin 2020-01-07), none 2017-2019 (Yinbanfa [2017] "
               "No.10), as stated in agents/payment_firm.py; not in docs/data")
    capital_cents: int = param(5_000_000_000, "cents", "own capital (50m yuan)", ge=0,
                                 le=10**13, source=FREE)


@dataclass(frozen=True)
class FundParams(ParamGroup):
    """Money-market funds run with the payment firms (Yu'ebao-like)."""

    section: ClassVar[str] = "fund"
    target_cash_share: float = param(0.05, "share", "cash held for redemptions", ge=0, le=1,
                                     source=FREE)
    target_deposit_share: float = param(0.65, "share", "negotiated bank deposits (the rest "
                                        "is short bonds)", ge=0, le=1,
                                        source=FREE + "; source 000 and docs/domain.md s.1: such "
                                                      "funds hold mostly negotiated deposits and "
                                                      "short bonds, no share given")
    deposit_spread_annual: float = param(0.005, "per year", "negotiated deposit rate over "
                                         "the market rate", ge=-1, le=1, source=FREE)
    bond_spread_annual: float = param(0.003, "per year", "short-bond yield over the market "
                                      "rate", ge=-1, le=1, source=FREE)
    management_fee_annual: float = param(0.0063, "per year", "management, custody and sales "
                                         "fees (0.30% + 0.08% + 0.25%)", ge=0, le=1,
                                         source="the fee schedule quoted in the description "
                                                "(0.30% + 0.08% + 0.25%, a Yu'ebao-type fund's); "
                                                "no document in docs/data records it")
    early_withdrawal_penalty: float = param(0.005, "share", "interest forfeited when a "
                                            "negotiated deposit is broken early (below 1: "
                                            "a deposit must return something)", ge=0, lt=1,
                                            source=FREE)
    deposit_term_weeks: int = param(13, "weeks", "term of the negotiated deposits the fund "
                                    "places (a ladder: some mature every week)", ge=1, le=260,
                                    source=FREE + "; source 000: negotiated deposits, no term "
                                                  "given")
    bond_term_weeks: int = param(26, "weeks", "term of the short bonds the fund buys", ge=1,
                                 le=520, source=FREE)
    stable_value: int = param(1, "flag", "1: holdings are kept at par and the sponsoring "
                              "payment firm makes good losses from its own capital while it "
                              "can (bonds at amortized cost); 0: floating value, bonds "
                              "marked to the market and losses fall on holders who stay",
                              ge=0, le=1,
                              source="Chinese money-market funds value at amortized cost "
                                     "(CSRC 2015 Measures for the Supervision of Money Market "
                                     "Funds); floating value is the lever (SEC money market "
                                     "fund reform 2014)")
    shadow_price_limit: float = param(0.005, "share of holdings", "how far the market "
                                      "value of a stable-value fund's assets may fall short "
                                      "of what it owes before its sponsor must make it good; "
                                      "if the sponsor cannot, the fund breaks the buck and "
                                      "marks to the market", ge=0, le=1,
                                      source="CSRC 2015 Measures for the Supervision of Money "
                                             "Market Funds: a negative deviation of 0.5% must "
                                             "be covered by the manager")
    gate_share_weekly: float = param(0.0, "share of holdings", "redemption gate: most of the "
                                     "fund's holdings paid out to redeeming holders in a week; "
                                     "the rest of their requests is not paid that week "
                                     "(they may ask again); 0 = off", ge=0, le=1,
                                     source="a lever (domain.md s.5: redemption gates); SEC "
                                            "money market fund reform 2014")
    liquidity_fee: float = param(0.0, "share of redemption", "fee charged on redemptions in "
                                 "a week when they exceed fund.liquidity_fee_threshold of "
                                 "the holdings; it stays in the fund, for those who stay; 0 = "
                                 "off", ge=0, lt=1,
                                 source="a lever (domain.md s.5: liquidity fees); SEC money "
                                        "market fund reform 2014 (up to 2%)")
    liquidity_fee_threshold: float = param(0.1, "share of holdings", "weekly redemptions above "
                                           "which the liquidity fee applies", ge=0, le=1,
                                           source=FREE)
    t0_cap_cents_daily: int = param(0, "cents per day", "instant (T+0) redemption cap per "
                                    "holder per day; the rest is paid T+1, nothing dropped "
                                    "(CSRC/PBoC: 10,000 yuan a day from June 2018); 0 = off",
                                    ge=0, le=10**12,
                                    source="docs/data/regulatory_timeline.csv: 10,000 yuan a day "
                                           "from 1 June 2018 (CSRC/PBoC, Caixin 2018-06-02); "
                                           "default 0 = before the rule")

    def check(self) -> None:
        if self.target_cash_share + self.target_deposit_share > 1:
            self.fail("target_deposit_share", self.target_deposit_share,
                      f"plus fund.target_cash_share = {self.target_cash_share} must not "
                      f"exceed 1")


@dataclass(frozen=True)
class BondMarketParams(ParamGroup):
    """The shared short-bond market (``ecosystem/bond_market.py``)."""

    section: ClassVar[str] = "bond_market"
    depth_cents: int = param(50_000_000_000, "cents", "market depth: face sold in one week "
                             "that lowers the price by the factor exp(-impact) (500m yuan "
                             "at model scale)", ge=1, le=10**15, source=FREE)
    impact: float = param(0.5, "ratio", "price impact of selling one depth of face", ge=0,
                          le=20, source=FREE + "; Cifuentes, Shin and Ferrucci 2005 for the "
                                               "form")
    recovery_weekly: float = param(0.2, "share per week", "share of the price's gap to par "
                                   "closed each week", ge=0, le=1,
                                   source=FREE + "; Duffie 2010 (slow-moving capital)")
    shock_step: int = param(0, "week", "week in which the bond price falls by "
                            "bond_market.shock_size (a market swing); 0 = none", ge=0,
                            le=100_000, source="an experiment's trigger")
    shock_size: float = param(0.0, "share of price", "fall of the bond price at "
                              "bond_market.shock_step", ge=0, lt=1,
                              source="an experiment's trigger")
    bank_face_cents: int = param(20_000_000_000, "cents", "short bonds each bank holds, "
                                 "marked to the market in its balance sheet (200m yuan)",
                                 ge=0, le=10**15, source=FREE)


@dataclass(frozen=True)
class GuarantorParams(ParamGroup):
    """Credit-service institutions and guarantee companies (信贷服务机构, 担保公司; source 003)."""

    section: ClassVar[str] = "guarantor"
    n_guarantors: int = param(4, "agents", "guarantors; each partners several guaranteed "
                              "platforms (a common exposure)", ge=0, le=1000, source=FREE)
    capital_median_cents: int = param(300_000_000, "cents", "median own capital (3m yuan)",
                                      ge=0, le=10**11, source=FREE)
    capital_sigma: float = param(0.5, "log units", "dispersion of capital", ge=0, le=5, source=FREE)
    margin_low: float = param(0.02, "share of principal", "risk margin posted for the "
                              "safest grade (source 003: 2%-10% by risk grade)", ge=0, le=1,
                              source="source 003 (Weijinsuo) and "
                                     "docs/data/parameter_grounding.md: margins of 2%-10% of "
                                     "volume by risk grade; 2% for the safest")
    margin_high: float = param(0.10, "share of principal", "risk margin for the riskiest "
                               "grade", ge=0, le=1,
                               source="source 003 (Weijinsuo) and "
                                      "docs/data/parameter_grounding.md: margins of 2%-10% of "
                                      "volume by risk grade; 10% for the riskiest")
    fee: float = param(0.02, "share of principal", "guarantee fee paid by the borrower at "
                       "disbursement", ge=0, lt=1, source=FREE)
    buyback_after_missed_weeks: int = param(1, "weeks", "missed instalments after which a "
                                            "guaranteed loan goes through the waterfall",
                                            ge=1, le=52,
                                            source="source 003: forced debit one working day "
                                                   "after a missed instalment, then the guarantor "
                                                   "pays; one week is the model's shortest delay")
    collection_income_share: float = param(0.3, "share of income", "share of a defaulted "
                                           "borrower's weekly (reduced) income that "
                                           "collection agents or court enforcement take "
                                           "towards open claims; the rest is left to live "
                                           "on (an assumption, not calibrated)", ge=0, le=1,
                                           source=FREE + " (an assumption, modelled on "
                                                         "enforcement of money judgments, PRC "
                                                         "Civil Procedure Law; see "
                                                         "ecosystem/waterfall.py)")
    recovery_weeks: int = param(26, "weeks", "weeks during which a defaulted claim is "
                                "collected from the borrower; what is left then is lost",
                                ge=1, le=520, source=FREE)
    shock_step: int = param(0, "week", "week at which an outside shock (losses on the "
                            "guarantors' business off the platforms) makes guarantors fail; "
                            "0 = never", ge=0, le=MAX_STEPS,
                            source="experiment design: 0 = no shock; the platform-types "
                                   "experiment sets 104")
    shock_share: float = param(1.0, "share of guarantors", "share of guarantors that fail "
                               "in the shock, the most exposed first", ge=0, le=1,
                               source="experiment design (no source)")

    def check(self) -> None:
        if self.margin_low > self.margin_high:
            self.fail("margin_low", self.margin_low,
                      f"must not exceed guarantor.margin_high = {self.margin_high}")


@dataclass(frozen=True)
class BankParams(ParamGroup):
    """Banks: deposits, custody and negotiated deposits."""

    section: ClassVar[str] = "bank"
    capital_cents: int = param(100_000_000_000, "cents", "own capital (1bn yuan)", ge=0, le=10**14,
                               source=FREE)
    custody_fee_annual: float = param(0.001, "per year", "fee a platform pays its custodian "
                                      "bank on custodied platform money", ge=0, le=1, source=FREE)
    custody_interest_annual: float = param(0.0, "per year", "interest the custodian bank "
                                           "pays on custodied platform money, into the "
                                           "investors' pool (custody accounts earn none "
                                           "by default: the platform pays for custody)",
                                           ge=0, le=1,
                                           source=FREE + "; 0 by default: the platform pays for "
                                                         "custody (an assumption)")


@dataclass(frozen=True)
class RegulatorParams(ParamGroup):
    """Supervision: early-warning thresholds (policies act here in later versions)."""

    section: ClassVar[str] = "regulator"
    arrears_warning: float = param(0.10, "share", "sector arrears rate that raises a "
                                   "warning", ge=0, le=1,
                                   source=FREE + "; source 001 names early warning, not its "
                                                 "thresholds")
    fund_outflow_warning_weekly: float = param(0.05, "share per week", "net fund outflow "
                                               "that raises a warning", ge=0, le=1,
                                               source=FREE + "; source 001 names early warning, "
                                                             "not its thresholds")
    concentration_warning: float = param(0.25, "HHI", "platform concentration (Herfindahl "
                                         "index) that raises a warning", ge=0, le=1,
                                         source=FREE + "; source 001 names early warning, not its "
                                                       "thresholds")
    failures_warning: int = param(3, "platforms per week", "failures in one week that raise "
                                  "a warning", ge=1, le=10_000,
                                  source=FREE + "; source 001 names early warning, not its "
                                                "thresholds")
    disclosure_lag_weeks: int = param(4, "weeks", "how late platforms' arrears and cash "
                                      "are disclosed to investors", ge=0, le=52,
                                      source="CBRC information-disclosure guidelines for "
                                             "online lending, 2017 (monthly disclosure; "
                                             "docs/data/regulatory_timeline.csv)")
    disclose_arrears: int = param(1, "flag (0/1)", "1: investors see each platform's "
                                  "arrears (late by disclosure_lag_weeks); 0: they do not "
                                  "(its cash and volumes stay disclosed)", ge=0,
                                  le=1, source="policy lever (disclosure, domain.md s.5)")
    closure_step: int = param(0, "week", "week at which the platform with the largest loan "
                              "book is watched: the loans its rollover borrowers owe on "
                              "other platforms are followed (ecosystem/closure.py); 0 = "
                              "none", ge=0, le=MAX_STEPS,
                              source="experiment setting (the common-borrowers experiment)")
    closure_orders_exit: int = param(0, "flag (0/1)", "1: that platform is also ordered to "
                                     "exit in that week; 0: it stays open (the same-seed "
                                     "comparison)", ge=0, le=1,
                                     source="experiment setting (a shock, not a rule)")
    large_default_cents: int = param(10_000_000, "cents", "write-off that is logged as a "
                                     "large default (100,000 yuan)", ge=0,
                                     le=10**15,
                                     source="reporting threshold for the event log (not a model "
                                            "quantity)")


@dataclass(frozen=True)
class SocialParams(ParamGroup):
    """The investors' social network and how they herd on it (``agents/investor_views.py``,
    ``ecosystem/social_network.py``)."""

    section: ClassVar[str] = "social"
    network: int = param(1, "kind (0/1/2)", "0 = nobody watches anybody; 1 = small world "
                         "(Watts-Strogatz); 2 = scale free (Barabasi-Albert)", ge=0, le=2,
                         source="Watts and Strogatz 1998; Barabasi and Albert 1999")
    mean_degree: int = param(6, "investors", "mean number of neighbours", ge=2, le=200,
                             source=FREE)
    rewire_prob: float = param(0.1, "probability", "small world: share of ties rewired at "
                               "random", ge=0, le=1, source=FREE + "; Watts and Strogatz 1998")
    herding_weight: float = param(0.3, "ratio", "weight an attentive investor puts on its "
                                  "neighbours' views and exits against its own view and the "
                                  "public queue (0 = herding off)", ge=0, le=1,
                                  source=FREE + "; investors herd on P2P platforms "
                                                "(Caglayan, Talavera and Zhang 2019); "
                                                "DeGroot 1974 for averaging")
    attention_weekly: float = param(0.3, "share per week", "share of investors who look at "
                                    "their own holdings' delays and at their neighbours in a "
                                    "week (limited attention)", gt=0, le=1, source=FREE)


@dataclass(frozen=True)
class TriggerParams(ParamGroup):
    """Run triggers an experiment schedules (``ecosystem/shocks.py``)."""

    section: ClassVar[str] = "trigger"
    platform_failure_step: int = param(0, "week", "week at which the largest platform of "
                                       "type ``platform_failure_type`` collapses, its owners "
                                       "absconding (0 = none)", ge=0, le=MAX_STEPS,
                                       source="experiment setting; Ezubao's collapse in "
                                              "Dec 2015 (domain.md s.6)")
    control_step: int = param(0, "week", "week from which run measures are taken when no "
                              "trigger is scheduled: the control arm of an experiment "
                              "measures the same weeks as its triggered arm (0 = week 1)",
                              ge=0, le=MAX_STEPS, source="experiment setting")
    watch_weeks: int = param(0, "weeks", "weeks from the trigger over which runs on "
                             "platforms are measured (0 = to the end of the run)", ge=0,
                             le=MAX_STEPS, source="experiment setting")
    payment_incident_step: int = param(0, "week", "week at which a cyber incident hits "
                                       "payment firm ``payment_incident_firm``: part of "
                                       "its own cash is stolen and its instant (T+0) "
                                       "service is down (0 = none)", ge=0, le=MAX_STEPS,
                                       source="experiment setting; domain.md s.2 "
                                              "(operational and cyber risk of payment "
                                              "firms)")
    payment_incident_firm: int = param(0, "index", "which payment firm the incident hits",
                                       ge=0, le=1000, source="experiment setting")
    payment_incident_loss_share: float = param(0.5, "share", "share of the firm's own "
                                               "cash stolen in the incident", ge=0, le=1,
                                               source="experiment setting")
    payment_incident_downtime_weeks: int = param(2, "weeks", "weeks the firm's instant "
                                                 "service stays down", ge=0, le=520,
                                                 source="experiment setting")
    platform_failure_type: int = param(2, "type (0-4)", "type of the platform that "
                                       "collapses: 0 intermediary, 1 guaranteed, 2 fund "
                                       "pool, 3 Ponzi, 4 crowdfunding", ge=0, le=4,
                                       source="experiment setting")


@dataclass(frozen=True)
class ProtectionParams(ParamGroup):
    """An investor-protection fund for platform investors (``ecosystem/protection.py``)."""

    section: ClassVar[str] = "protection"
    cover_cents: int = param(0, "cents", "what the fund pays each investor per failed "
                             "platform at most (0 = no fund)", ge=0, le=10**10,
                             source="policy lever; compare the 500,000 yuan per depositor "
                                    "of China's Deposit Insurance Regulations, 2015 (P2P "
                                    "investors had no cover)")
    levy_annual: float = param(0.0, "per year", "levy each platform pays the fund, as a "
                               "share of what its investors hold on it", ge=0, le=0.1,
                               source="policy lever; deposit-insurance premiums are of this "
                                      "order (a few tenths of a percent a year or less)")
    endowment_cents: int = param(0, "cents", "public money the fund starts with", ge=0,
                                 le=10**13, source="policy lever")


@dataclass(frozen=True)
class EntryParams(ParamGroup):
    """Entry of new platforms and voluntary exit of unprofitable ones (ecosystem/entry.py)."""

    section: ClassVar[str] = "entry"
    rate_weekly: float = param(0.5, "platforms per week", "expected entrants per week when "
                               "incumbents' profit equals their operating cost (entry "
                               "scales with that margin, none when it is 0 or less); 0 "
                               "turns entry off", ge=0, le=100,
                               source=FREE + "; docs/data/china_p2p_platforms.csv: the "
                                             "count rose from about 800 (2013) to 2,595 "
                                             "(2015), i.e. entry ran at several percent of "
                                             "the stock per month in the boom")
    max_per_week: int = param(5, "platforms per week", "most entrants in one week (keeps a "
                              "run's platforms and money bounded)", ge=0, le=100,
                              source=SETTING)
    margin_cap: float = param(3.0, "ratio", "highest profit margin that still raises the "
                              "entry rate (a few outliers cannot call in a flood)", gt=0,
                              le=100, source=FREE)
    signal_min_age_weeks: int = param(13, "weeks", "incumbents younger than this are left "
                                      "out of the profit signal (no track record yet)",
                                      ge=0, le=520, source=FREE)
    min_capital_cents: int = param(0, "cents", "entry rule: minimum own capital of an "
                                   "entrant; 0 = no minimum", ge=0, le=10**11,
                                   source="lever (domain.md section 5: entry licensing and "
                                          "minimum capital); off by default")
    registration_required: bool = param(False, "flag", "entry rule: entrants must register "
                                         "as information intermediaries with bank custody",
                                         source="lever: Interim Measures for P2P information "
                                                "intermediaries, 2016-08-24 "
                                                "(docs/data/regulatory_timeline.csv); off by "
                                                "default")
    exit_runway_weeks: int = param(13, "weeks", "a platform losing money leaves in an "
                                   "orderly wind-down when its capital would last fewer "
                                   "weeks than this at its current loss; 0 = no voluntary "
                                   "exit", ge=0, le=520,
                                   source=FREE + "; domain.md section 3 (orderly wind-down)")
    exit_min_age_weeks: int = param(26, "weeks", "platforms younger than this do not leave "
                                    "voluntarily (start-up losses are expected)", ge=0,
                                    le=520, source=FREE)


@dataclass(frozen=True)
class Roles(ParamGroup):
    """Agent class for each role, as 'module:Class' (plug in your own subclass here)."""

    section: ClassVar[str] = "roles"
    borrower: str = param("ifsim.agents.borrower:Borrower", "class", "borrower agent class",
                          source=SETTING)
    investor: str = param("ifsim.agents.investor:Investor", "class", "investor agent class",
                          source=SETTING)
    platform: str = param("ifsim.agents.platform:Platform", "class", "platform agent class",
                          source=SETTING)
    payment_firm: str = param("ifsim.agents.payment_firm:PaymentFirm", "class",
                              "payment firm agent class", source=SETTING)
    fund: str = param("ifsim.agents.mmf:MoneyMarketFund", "class", "money-market fund agent class",
                      source=SETTING)
    guarantor: str = param("ifsim.agents.guarantor:Guarantor", "class", "guarantor agent class",
                           source=SETTING)
    bank: str = param("ifsim.agents.bank:Bank", "class", "bank agent class", source=SETTING)
    regulator: str = param("ifsim.agents.regulator:Regulator", "class", "regulator agent class",
                           source=SETTING)

    def check(self) -> None:
        # The form only: whether the class imports is checked when a model is built
        # (load_role_class), so `ifsim params` stays free of agent imports.
        for f in dataclasses.fields(self):
            path = getattr(self, f.name)
            if not _ROLE_PATH.fullmatch(path):
                self.fail(f.name, path, "must name a class as 'package.module:Class'")


_ROLE_PATH = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*")

GROUPS: dict[str, type[ParamGroup]] = {
    cls.section: cls
    for cls in (WorldParams, MacroParams, BorrowerParams, InvestorParams, PlatformParams,
                PaymentFirmParams, FundParams, BondMarketParams, GuarantorParams, BankParams,
                RegulatorParams, SocialParams, TriggerParams, ProtectionParams,
                EntryParams, Roles)
}


@dataclass(frozen=True)
class Params:
    """All parameters of one run, one group per section."""

    world: WorldParams = field(default_factory=WorldParams)
    macro: MacroParams = field(default_factory=MacroParams)
    borrower: BorrowerParams = field(default_factory=BorrowerParams)
    investor: InvestorParams = field(default_factory=InvestorParams)
    platform: PlatformParams = field(default_factory=PlatformParams)
    payment_firm: PaymentFirmParams = field(default_factory=PaymentFirmParams)
    fund: FundParams = field(default_factory=FundParams)
    bond_market: BondMarketParams = field(default_factory=BondMarketParams)
    guarantor: GuarantorParams = field(default_factory=GuarantorParams)
    bank: BankParams = field(default_factory=BankParams)
    regulator: RegulatorParams = field(default_factory=RegulatorParams)
    social: SocialParams = field(default_factory=SocialParams)
    trigger: TriggerParams = field(default_factory=TriggerParams)
    protection: ProtectionParams = field(default_factory=ProtectionParams)
    entry: EntryParams = field(default_factory=EntryParams)
    roles: Roles = field(default_factory=Roles)

    def __post_init__(self) -> None:
        if self.platform.pd_cutoff_low > self.platform.pd_cutoff_high:
            raise ParameterError(
                f"platform.pd_cutoff_low = {self.platform.pd_cutoff_low}: must not exceed "
                f"platform.pd_cutoff_high = {self.platform.pd_cutoff_high}")
        if self.platform.origination_fee + self.guarantor.fee > 1:
            raise ParameterError(
                f"platform.origination_fee = {self.platform.origination_fee} plus "
                f"guarantor.fee = {self.guarantor.fee}: together must not exceed 1 (both "
                f"are taken out of the loan's principal at disbursement)")
        t = self.trigger
        if t.payment_incident_step and t.payment_incident_firm >= self.world.n_payment_firms:
            raise ParameterError(
                f"trigger.payment_incident_firm = {t.payment_incident_firm}: there are only "
                f"{self.world.n_payment_firms} payment firms (world.n_payment_firms)")
        check_money_bound(self)

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, Any]]) -> Params:
        """Build from nested ``{section: {name: value}}``; unknown names are errors."""
        groups = {}
        for section, values in data.items():
            if section not in GROUPS:
                raise ParameterError(f"unknown parameter section '{section}' "
                                     f"(known: {', '.join(GROUPS)})")
            if not isinstance(values, dict):
                raise ParameterError(f"[{section}] must be a table of parameters")
            known = {f.name for f in dataclasses.fields(GROUPS[section])}
            for name in values:
                if name not in known:
                    raise ParameterError(f"unknown parameter '{section}.{name}' "
                                         f"(see `ifsim params`)")
            groups[section] = GROUPS[section](**values)
        return cls(**groups)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Nested plain dict (tuples become lists), the inverse of :meth:`from_dict`."""
        out = {}
        for section in GROUPS:
            group = getattr(self, section)
            out[section] = {
                f.name: list(v) if isinstance(v := getattr(group, f.name), tuple) else v
                for f in dataclasses.fields(group)
            }
        return out


def _lognormal_total(n: int, median: float, sigma: float) -> float:
    """Bound on the sum of ``n`` draws of ``median * exp(sigma z)``, z standard normal.

    Four times the mean of the sum (sampling error of a mean over many households is far
    smaller) plus the largest single draw, taken at ``z = TAIL_Z``.
    """
    mean = math.exp(min(sigma * sigma / 2, 700.0))
    tail = math.exp(min(sigma * TAIL_Z, 700.0))
    return median * (4.0 * n * mean + tail)


def _path_max(reference: str, constant: float) -> float:
    """Highest value a rate takes: its dated series' maximum, else the constant."""
    if not reference:
        return constant
    from ifsim.ecosystem.paths import load_series

    return max(float(load_series(reference).values.max()), 0.0)


def money_bound(params: Params) -> tuple[float, list[tuple[float, str]]]:
    """Upper bound on all money issued into the world over a run, in cents, and its
    terms ``(cents, parameters involved)``, largest first (docs/design.md section 4).

    Every ledger balance, external or internal, and every sum of balances is at most the
    money issued (internal accounts never go below zero, and money crosses into the world
    only from external accounts). Issued money is the endowments, plus borrowers' income
    over the run, grown by the interest the outside world pays on money in the world
    (the highest of the rates it pays: the lending rate on bank deposits, the market
    rate's 8.5-sd ceiling plus the bond spread on fund holdings and custody money, the
    central-bank rate on reserves), compounded over the run; insurers add at most
    ``insurance_coverage`` times that again (they pay part of losses on loans).
    """
    w, b, i, pl, g = params.world, params.borrower, params.investor, params.platform, \
        params.guarantor
    m, f = params.macro, params.fund
    stock = [
        (_lognormal_total(w.n_investors, i.wealth_median_cents, i.wealth_sigma),
         "world.n_investors x investor.wealth_median_cents (investor.wealth_sigma)"),
        (_lognormal_total(w.n_platforms + w.steps * params.entry.max_per_week,
                          pl.capital_median_cents, pl.capital_sigma),
         "(world.n_platforms + world.steps x entry.max_per_week) x "
         "platform.capital_median_cents (platform.capital_sigma)"),
        (_lognormal_total(g.n_guarantors, g.capital_median_cents, g.capital_sigma),
         "guarantor.n_guarantors x guarantor.capital_median_cents "
         "(guarantor.capital_sigma)"),
        (float(w.n_banks * params.bank.capital_cents), "world.n_banks x bank.capital_cents"),
        (float(w.n_payment_firms * params.payment_firm.capital_cents),
         "world.n_payment_firms x payment_firm.capital_cents"),
        (float(params.protection.endowment_cents), "protection.endowment_cents"),
        (w.steps * _lognormal_total(w.n_borrowers, b.income_median_cents_weekly,
                                    b.income_sigma),
         "world.steps x world.n_borrowers x borrower.income_median_cents_weekly "
         "(borrower.income_sigma)"),
    ]
    sd = m.market_rate_vol_weekly / math.sqrt(1 - m.market_rate_persistence_weekly ** 2)
    market_ceiling = max(_path_max(m.market_rate_path, m.market_rate_mean_annual),
                         m.market_rate_floor_annual) + TAIL_Z * sd
    rate = max(_path_max(m.lending_rate_path, m.lending_rate_annual),
               _path_max(m.deposit_rate_path, m.deposit_rate_annual),
               market_ceiling + max(f.bond_spread_annual, f.deposit_spread_annual, 0.0),
               params.payment_firm.central_bank_reserve_rate_annual)
    growth_log = rate * w.steps / WEEKS_PER_YEAR + math.log1p(pl.insurance_coverage)
    growth = math.exp(min(growth_log, 700.0))
    terms = sorted(((cents * growth, names) for cents, names in stock), reverse=True)
    return sum(cents for cents, _ in terms), terms


def check_money_bound(params: Params) -> None:
    """Refuse a world whose money could overflow int64 sums (one line naming the
    parameters of the largest term)."""
    total, terms = money_bound(params)
    if total <= SAFE_ISSUED_CENTS:
        return
    cents, names = terms[0]
    raise ParameterError(
        f"{names}: the world could issue up to {total:.3g} cents over the run (largest "
        f"term {cents:.3g}, interest over world.steps and macro rates included), above the "
        f"safe limit 2^60 = {SAFE_ISSUED_CENTS:.3g} cents for int64 money; lower these "
        f"parameters (see docs/design.md section 4, Bounds)")


def allowed_range(cls: type[ParamGroup], f: dataclasses.Field) -> str:
    """A field's allowed values in words: its bounds, or its type where it has none."""
    hint = get_type_hints(cls)[f.name]
    if hint is bool:
        return "true or false"
    if hint is str:
        return "a date YYYY-MM-DD" if f.name.endswith("date") else "text"
    bounds = _allowed(f.metadata)
    if hint in (tuple[float, ...], tuple[int, ...]):
        return "a list of numbers" + ("" if bounds == "any value" else f", each {bounds}")
    return bounds


def describe(params: Params | None = None) -> list[dict[str, Any]]:
    """Every parameter as ``{name, default, unit, description, range, source}``, in
    section order."""
    params = params or Params()
    rows = []
    for section, cls in GROUPS.items():
        group = getattr(params, section)
        for f in dataclasses.fields(cls):
            value = getattr(group, f.name)
            rows.append({
                "name": f"{section}.{f.name}",
                "default": list(value) if isinstance(value, tuple) else value,
                "unit": f.metadata["unit"],
                "description": f.metadata["doc"],
                "range": allowed_range(cls, f),
                "source": f.metadata["source"],
            })
    return rows
