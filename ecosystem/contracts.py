"""Enums shared by the model and the agents: platform types, loan kinds, failure causes."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class PlatformType(IntEnum):
    """Business models of platforms in the sources (domain.md section 3)."""

    INTERMEDIARY = 0   # 信息中介: investors bear each loan's credit risk
    GUARANTEED = 1     # principal guaranteed by partner guarantors and a risk pool
    FUND_POOL = 2      # 资金池: short products funding long loans, principal promised
    PONZI = 3          # fictitious loans, old investors paid from new money, 跑路
    CROWDFUNDING = 4   # 众筹: all-or-nothing campaigns, lending and reward types

    @property
    def label(self) -> str:
        """Lower-case name used in tables and JSON."""
        return self.name.lower()

    @property
    def sells_loan_claims(self) -> bool:
        """Investors fund named loans from their bids and exit on the transfer market."""
        return self in (PlatformType.INTERMEDIARY, PlatformType.GUARANTEED)

    @property
    def funded_by_bids(self) -> bool:
        """Investors' money waits in their own accounts until a loan or campaign takes it,
        and what the platform collects is paid out to them at once."""
        return self.sells_loan_claims or self == PlatformType.CROWDFUNDING

    @property
    def sells_products(self) -> bool:
        """Investors buy fixed-term products at a promised yield that mature in cash."""
        return self in (PlatformType.FUND_POOL, PlatformType.PONZI)


class LoanKind(IntEnum):
    """What stands behind a row of the loan book."""

    REAL = 0           # a borrower's loan
    FICTITIOUS = 1     # a Ponzi platform's fake loan: the money went to its owners
    REWARD = 2         # a reward crowdfunding pledge: repaid in goods if delivered


class FailureCause(StrEnum):
    """Why a platform left the market."""

    INSOLVENT = "insolvent"
    ILLIQUID = "illiquid"
    ABSCONDED = "absconded"
    HACKED = "hacked"
    ORDERED = "ordered to exit"
    WOUND_DOWN = "wound down"   # the owners' own decision to stop (ecosystem/entry.py)


# Owners gone and records lost: a disorderly collapse rather than an orderly wind-down.
DISORDERLY = {FailureCause.ABSCONDED}
