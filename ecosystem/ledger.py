"""The ledger: every cash balance in the world, in integer cents.

Agents move money only through :meth:`Ledger.transfer` and :meth:`Ledger.transfer_batch`
(docs/design.md section 4). Money enters and leaves the modelled world only through external
accounts (sources such as borrowers' income or initial endowments, sinks such as
consumption and operating costs; the bond market is both). Internal accounts can never go
below zero: a payer that cannot pay must be handled by its caller as a default, which is
recorded as an event.

Two independent checks make conservation testable at every step:
``sum(internal balances) == issued_by_externals - absorbed_by_externals`` (tracked by the
transfer functions as money crosses the boundary) and ``sum(all balances) == 0``.

No arithmetic wraps (docs/design.md section 4, "Bounds"): the money that has crossed the
boundary (issued + absorbed + moved between external accounts, exact Python ints) is kept
below ``LEDGER_LIMIT_CENTS`` = 2^62; a transfer that would pass it raises
:class:`~ifsim.ecosystem.money.MoneyOverflowError` naming the accounts, before anything
moves. Every internal balance is at most the internal total (none is negative), which is
at most what was issued; every external balance is at most the boundary total; so no
balance and no sum of balances can reach 2^63. Transfers between internal accounts move
money that exists and need no check.
"""

from __future__ import annotations

from collections import defaultdict
from enum import IntEnum

import numpy as np

from ifsim.ecosystem.errors import ConservationError, InsufficientFundsError, LedgerError
from ifsim.ecosystem.money import LEDGER_LIMIT_CENTS, MoneyOverflowError


class AccountKind(IntEnum):
    """Who holds an account; external accounts are the world's sources and sinks."""

    HOUSEHOLD = 0
    INSTITUTION = 1
    EXTERNAL = 2


_EXTERNAL = int(AccountKind.EXTERNAL)


class Ledger:
    """Balances in cents, one slot per account, with batch transfers for households."""

    def __init__(self, capacity: int = 1024) -> None:
        self._balances = np.zeros(capacity, dtype=np.int64)
        self._kinds = np.zeros(capacity, dtype=np.int8)
        self.names: list[str] = []
        self.flows_cents: dict[str, int] = defaultdict(int)
        self.issued_cents = 0
        self.absorbed_cents = 0
        # what may still cross the boundary before a balance or a sum could wrap
        self.headroom_cents = LEDGER_LIMIT_CENTS

    # -- accounts -------------------------------------------------------------------
    @property
    def n_accounts(self) -> int:
        """Number of open accounts."""
        return len(self.names)

    def _grow(self, extra: int) -> None:
        needed = self.n_accounts + extra
        if needed <= len(self._balances):
            return
        capacity = max(needed, 2 * len(self._balances))
        self._balances = np.concatenate(
            [self._balances, np.zeros(capacity - len(self._balances), np.int64)])
        self._kinds = np.concatenate(
            [self._kinds, np.zeros(capacity - len(self._kinds), np.int8)])

    def open_account(self, name: str, kind: AccountKind) -> int:
        """Open one account and return its id."""
        return int(self.open_block(name, 1, kind)[0])

    def open_block(self, prefix: str, n: int, kind: AccountKind) -> np.ndarray:
        """Open ``n`` contiguous accounts (for a household population); returns their ids."""
        self._grow(n)
        start = self.n_accounts
        ids = np.arange(start, start + n, dtype=np.int64)
        self._kinds[start:start + n] = kind
        self.names.extend([prefix] * n if n > 1 else [prefix])
        return ids

    def is_external(self, account: int) -> bool:
        """True for source and sink accounts."""
        return self._kinds.item(account) == _EXTERNAL  # .item: a plain int, fast

    # -- reading --------------------------------------------------------------------
    def balance(self, account: int) -> int:
        """Balance of one account, in cents."""
        return int(self._balances[account])

    def balances(self, accounts: np.ndarray) -> np.ndarray:
        """Balances of many accounts (a copy), in cents."""
        return self._balances[accounts].copy()

    def internal_total(self) -> int:
        """Sum of all non-external balances."""
        n = self.n_accounts
        internal = self._kinds[:n] != AccountKind.EXTERNAL
        return int(self._balances[:n][internal].sum())

    # -- moving money ---------------------------------------------------------------
    def transfer(self, src: int, dst: int, amount_cents: int, reason: str) -> None:
        """Move ``amount_cents`` from ``src`` to ``dst``.

        Raises:
            InsufficientFundsError: an internal ``src`` holds less than the amount.
            LedgerError: the amount is negative.
        """
        amount = int(amount_cents)
        if amount < 0:
            raise LedgerError(f"negative transfer {amount} for {reason}")
        if amount == 0:
            return
        src_ext, dst_ext = self.is_external(src), self.is_external(dst)
        if not src_ext and self._balances[src] < amount:
            raise InsufficientFundsError(
                f"{self.names[src]} (account {src}) holds {self._balances[src]} cents, "
                f"cannot pay {amount} for {reason}")
        if (src_ext or dst_ext) and amount > self.headroom_cents:
            self._overflow(self.names[src], self.names[dst], amount, reason)
        self._balances[src] -= amount
        self._balances[dst] += amount
        self._tally(reason, amount, src_ext, dst_ext)

    def transfer_batch(self, src: np.ndarray | int, dst: np.ndarray | int,
                       amounts_cents: np.ndarray, reason: str) -> None:
        """Many transfers at once; ``src`` or ``dst`` may be a single account.

        All-or-nothing: if any internal payer would go below zero, nothing moves.
        """
        amounts = np.asarray(amounts_cents, dtype=np.int64)
        if amounts.size == 0:
            return
        if amounts.min() < 0:
            raise LedgerError(f"negative amount in batch transfer for {reason}")
        # int64 sums of these (non-negative) amounts are exact while their total stays
        # below the limit: size * max bounds it cheaply; an exact sum only if that fails
        if (int(amounts.max()) * amounts.size > LEDGER_LIMIT_CENTS
                and (total := sum(amounts.tolist())) > LEDGER_LIMIT_CENTS):
            self._overflow(self._names_of(src), self._names_of(dst), total, reason)
        issued, absorbed, between = self._crossing(src, dst, amounts)
        if issued + absorbed + between > self.headroom_cents:
            self._overflow(self._names_of(src), self._names_of(dst),
                           issued + absorbed + between, reason)
        self._debit(src, amounts, reason)
        self._credit(dst, amounts)
        self.flows_cents[reason] += int(amounts.sum())
        self.issued_cents += issued
        self.absorbed_cents += absorbed
        self.headroom_cents -= issued + absorbed + between

    def _crossing(self, src: np.ndarray | int, dst: np.ndarray | int,
                  amounts: np.ndarray) -> tuple[int, int, int]:
        """Money a batch issues (external -> internal), absorbs (internal -> external)
        and moves between external accounts."""
        if np.ndim(src) == 0 and np.ndim(dst) == 0:   # one payer, one payee: no masks
            src_ext, dst_ext = self.is_external(int(src)), self.is_external(int(dst))
            if not (src_ext or dst_ext):
                return 0, 0, 0
            total = int(amounts.sum())
            return (total * (src_ext and not dst_ext), total * (dst_ext and not src_ext),
                    total * (src_ext and dst_ext))
        src_kind = self._kinds[src] == AccountKind.EXTERNAL
        dst_kind = self._kinds[dst] == AccountKind.EXTERNAL
        if not (np.any(src_kind) or np.any(dst_kind)):   # internal to internal: most batches
            return 0, 0, 0
        src_ext = np.broadcast_to(src_kind, amounts.shape)
        dst_ext = np.broadcast_to(dst_kind, amounts.shape)
        return (int(amounts[src_ext & ~dst_ext].sum()), int(amounts[dst_ext & ~src_ext].sum()),
                int(amounts[src_ext & dst_ext].sum()))

    def _debit(self, src: np.ndarray | int, amounts: np.ndarray, reason: str) -> None:
        if np.ndim(src) == 0:
            total = int(amounts.sum())
            if not self.is_external(int(src)) and self._balances[src] < total:
                raise InsufficientFundsError(
                    f"{self.names[int(src)]} holds {self._balances[src]} cents, cannot pay "
                    f"{total} for {reason}")
            self._balances[src] -= total
            return
        src = np.asarray(src)
        np.subtract.at(self._balances, src, amounts)
        internal = src[self._kinds[src] != AccountKind.EXTERNAL]  # repeats are harmless
        if internal.size and self._balances[internal].min() < 0:
            payers = np.unique(internal)
            n_short = int((self._balances[payers] < 0).sum())
            np.add.at(self._balances, src, amounts)  # roll back: all or nothing
            raise InsufficientFundsError(
                f"batch transfer for {reason} would overdraw {n_short} internal account(s)")

    def _credit(self, dst: np.ndarray | int, amounts: np.ndarray) -> None:
        if np.ndim(dst) == 0:
            self._balances[dst] += int(amounts.sum())
        else:
            np.add.at(self._balances, np.asarray(dst), amounts)

    def _tally(self, reason: str, amount: int, src_ext: bool, dst_ext: bool) -> None:
        self.flows_cents[reason] += amount
        if src_ext or dst_ext:
            self.headroom_cents -= amount
            if not dst_ext:
                self.issued_cents += amount
            elif not src_ext:
                self.absorbed_cents += amount

    def _names_of(self, accounts: np.ndarray | int) -> str:
        """Name one account, or a batch's distinct account names (a few of them)."""
        if np.ndim(accounts) == 0:
            return self.names[int(accounts)]
        names = sorted({self.names[int(a)] for a in np.unique(accounts)[:50]})
        return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")

    def _overflow(self, src: str, dst: str, amount: int, reason: str) -> None:
        raise MoneyOverflowError(
            f"transfer of {amount} cents from {src} to {dst} for {reason} would overflow "
            f"int64 money: {LEDGER_LIMIT_CENTS - self.headroom_cents} cents have already "
            f"crossed the ledger's boundary and at most {LEDGER_LIMIT_CENTS} (2^62) may "
            f"(the parameters' money bound should have refused this world)")

    # -- checks ---------------------------------------------------------------------
    def check_conservation(self) -> None:
        """Raise ConservationError unless money is conserved to the cent.

        Checks that internal money equals what sources issued minus what sinks absorbed,
        that all balances sum to zero, and that no internal account is negative.
        """
        internal = self.internal_total()
        expected = self.issued_cents - self.absorbed_cents
        if internal != expected:
            raise ConservationError(
                f"internal money {internal} != issued {self.issued_cents} - absorbed "
                f"{self.absorbed_cents} (difference {internal - expected} cents)")
        total = int(self._balances[:self.n_accounts].sum())
        if total != 0:
            raise ConservationError(f"balances sum to {total} cents, not 0")
        n = self.n_accounts
        internal_mask = self._kinds[:n] != AccountKind.EXTERNAL
        if internal_mask.any() and self._balances[:n][internal_mask].min() < 0:
            raise ConservationError("an internal account is negative")
