"""Agent-level reporters for the institutions, for Mesa's DataCollector.

Households are population arrays (one row each), so the DataCollector collects them at
model level (``ecosystem.metrics``); the institutions (platforms, guarantors, payment
firms and their funds, banks) are few and are Mesa agents, so their weekly state is
collected per agent, one table per role:

    >>> model.run(52)
    >>> model.agent_frame("platform")        # one row per week and platform

Reporters are named functions (not lambdas) so the model stays picklable for workers.
Money in cents of the model population, as everywhere.
"""

from __future__ import annotations

from collections.abc import Callable


def name(agent) -> str:
    """The agent's label, as events name it (``platform-3``)."""
    return agent.name


def alive(agent) -> bool:
    """In business (not failed)."""
    return bool(agent.alive)


def assets_cents(agent) -> int:
    """Assets on the agent's own balance sheet."""
    return int(agent.balance_sheet()["assets_cents"])


def liabilities_cents(agent) -> int:
    """Liabilities on the agent's own balance sheet."""
    return int(agent.balance_sheet()["liabilities_cents"])


def platform_type(agent) -> str:
    """The platform's business model (information_intermediary, guaranteed, ...)."""
    return agent.kind.value


def capital_cents(agent) -> int:
    """Own money: a platform's owners' capital, a guarantor's claims-paying cash."""
    return int(agent.capital_cents())


def book_cents(agent) -> int:
    """Principal outstanding on the platform's loans."""
    return int(agent.book_cents)


def arrears_cents(agent) -> int:
    """Principal on the platform's loans with a missed instalment."""
    return int(agent.arrears_cents)


def investor_value_cents(agent) -> int:
    """What the platform's investor pool can pay (claims valued at recovery, not promise)."""
    return int(agent.recoverable_value_cents())


def promised_cents(agent) -> int:
    """What a platform that promises principal and yield owes at the promised price."""
    return int(agent.promised_cents())


def advertised_yield_annual(agent) -> float:
    """The yield the platform advertises to investors."""
    return float(agent.advertised_yield_annual)


def claims_paid_cents(agent) -> int:
    """A guarantor's cumulative payments for loans it bought back."""
    return int(agent.claims_paid_cents)


def reserves_cents(agent) -> int:
    """A payment firm's reserve funds (at its bank and at the central bank)."""
    return int(agent.reserves_cents())


def fund_yield_annual(agent) -> float:
    """A money-market fund's annual yield."""
    return float(agent.yield_annual)


def fund_cash_cents(agent) -> int:
    """A money-market fund's cash."""
    return int(agent.cash_cents())


def fund_deposits_cents(agent) -> int:
    """A money-market fund's negotiated bank deposits."""
    return int(agent.deposits_cents())


_BALANCE = {"assets_cents": assets_cents, "liabilities_cents": liabilities_cents}

# role (as in the scenario's [roles]) -> column name -> reporter
REPORTERS_BY_ROLE: dict[str, dict[str, Callable]] = {
    "platform": {"name": name, "platform_type": platform_type, "alive": alive,
                 "capital_cents": capital_cents, "book_cents": book_cents,
                 "arrears_cents": arrears_cents, "investor_value_cents": investor_value_cents,
                 "promised_cents": promised_cents,
                 "advertised_yield_annual": advertised_yield_annual},
    "guarantor": {"name": name, "alive": alive, "capital_cents": capital_cents,
                  "claims_paid_cents": claims_paid_cents},
    "payment_firm": {"name": name, "reserves_cents": reserves_cents, **_BALANCE},
    "fund": {"name": name, "fund_yield_annual": fund_yield_annual,
             "cash_cents": fund_cash_cents, "deposits_cents": fund_deposits_cents, **_BALANCE},
    "bank": {"name": name, **_BALANCE},
}
