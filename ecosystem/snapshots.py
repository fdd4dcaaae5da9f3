"""Per-agent snapshots: the state of every household and platform at the end of a run.

Large (one row per household), so they are written as Parquet files next to the
database and referenced from the run record, not stored in SQL (docs/design.md section 6).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def agent_frames(model) -> dict[str, pd.DataFrame]:
    """One frame per agent population: investors, borrowers, platforms."""
    inv, bor = model.investors, model.borrowers
    p2p = model.holdings.slot_values_cents(model.unit_values_cents()).sum(axis=1)
    investors = pd.DataFrame({
        "investor": range(inv.n), "bank": inv.bank, "payment_firm": inv.payment_firm,
        "fund_user": inv.fund_user, "deposit_cents": model.ledger.balances(inv.account),
        "fund_cents": model.fund_holdings_of(pd.RangeIndex(inv.n).to_numpy()),
        "p2p_cents": p2p, "risk_aversion": inv.risk_aversion,
        "loss_tolerance_annual": inv.loss_tolerance_annual})
    borrowers = pd.DataFrame({
        "borrower": range(bor.n), "pd_annual": bor.pd_annual, "score": bor.score,
        "brushed": bor.brushed, "income_cents_weekly": bor.income_cents_weekly,
        "distressed": bor.distressed, "loans_taken": bor.loans_taken})
    platforms = pd.DataFrame([p.outcome() for p in model.platforms])
    return {"investors": investors, "borrowers": borrowers, "platforms": platforms}


def write_snapshot(model, directory: Path) -> Path:
    """Write the agent frames as Parquet files into ``directory``; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, frame in agent_frames(model).items():
        frame.to_parquet(directory / f"{name}.parquet", index=False)
    return directory
