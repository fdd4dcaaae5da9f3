"""The ledger: transfers, batch transfers, and the conservation check."""

from __future__ import annotations

import numpy as np
import pytest

from ifsim.ecosystem.errors import ConservationError, InsufficientFundsError, LedgerError
from ifsim.ecosystem.ledger import AccountKind, Ledger


@pytest.fixture
def ledger() -> Ledger:
    led = Ledger(capacity=2)  # small, so opening accounts exercises growth
    led.open_account("world.source", AccountKind.EXTERNAL)        # 0
    led.open_account("bank", AccountKind.INSTITUTION)              # 1
    led.open_block("household", 3, AccountKind.HOUSEHOLD)          # 2, 3, 4
    led.open_account("world.sink", AccountKind.EXTERNAL)           # 5
    return led


def test_transfer_moves_exact_cents_and_tallies_reason(ledger: Ledger) -> None:
    ledger.transfer(0, 1, 1_000, "endowment")
    ledger.transfer(1, 2, 250, "loan")
    assert ledger.balance(1) == 750
    assert ledger.balance(2) == 250
    assert ledger.balance(0) == -1_000
    assert ledger.flows_cents == {"endowment": 1_000, "loan": 250}
    assert ledger.issued_cents == 1_000 and ledger.absorbed_cents == 0
    ledger.check_conservation()


def test_internal_account_cannot_go_negative(ledger: Ledger) -> None:
    ledger.transfer(0, 1, 100, "endowment")
    with pytest.raises(InsufficientFundsError, match="cannot pay 101"):
        ledger.transfer(1, 2, 101, "too much")
    assert ledger.balance(1) == 100


def test_negative_amounts_are_refused(ledger: Ledger) -> None:
    with pytest.raises(LedgerError):
        ledger.transfer(0, 1, -1, "negative")
    with pytest.raises(LedgerError):
        ledger.transfer_batch(0, np.array([2, 3]), np.array([5, -1]), "negative")


def test_batch_transfer_from_one_source_to_many(ledger: Ledger) -> None:
    ledger.transfer_batch(0, np.array([2, 3, 4]), np.array([10, 20, 30]), "income")
    assert ledger.balances(np.array([2, 3, 4])).tolist() == [10, 20, 30]
    ledger.transfer_batch(np.array([2, 3, 4]), 5, np.array([10, 5, 0]), "spending")
    assert ledger.balances(np.array([2, 3, 4])).tolist() == [0, 15, 30]
    assert ledger.absorbed_cents == 15
    ledger.check_conservation()


def test_batch_with_repeated_payer_is_all_or_nothing(ledger: Ledger) -> None:
    ledger.transfer_batch(0, np.array([2, 3]), np.array([100, 100]), "income")
    with pytest.raises(InsufficientFundsError, match="overdraw 1"):
        # account 2 pays twice: 60 + 60 > 100, so nothing at all may move
        ledger.transfer_batch(np.array([2, 2, 3]), 1, np.array([60, 60, 10]), "fees")
    assert ledger.balances(np.array([1, 2, 3])).tolist() == [0, 100, 100]
    ledger.check_conservation()


def test_conservation_check_catches_money_created_outside_transfers(ledger: Ledger) -> None:
    ledger.transfer(0, 2, 500, "income")
    ledger._balances[2] += 1  # a bug that writes a balance directly
    with pytest.raises(ConservationError, match="difference 1 cents"):
        ledger.check_conservation()


def test_conservation_check_catches_a_negative_internal_balance(ledger: Ledger) -> None:
    ledger.transfer(0, 2, 500, "income")
    ledger._balances[2] -= 600
    ledger._balances[3] += 600  # sums still agree, but one account is negative
    with pytest.raises(ConservationError, match="negative"):
        ledger.check_conservation()
