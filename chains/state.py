"""The chain's own view of its world state: every account and slot, what each block changed, and a commitment.

Engines execute; this keeps the canonical values. After each transaction the engine
reports what it may have touched and :meth:`WorldState.apply` keeps what really
changed, as a :class:`StateDiff` of (before, after) values. A block's diff undoes it
(snapshots, reorgs, reads at an older block) and its ``after`` values extend the state
commitment: ``root = keccak(parent root, the block's changes in canonical order)``,
unchanged by a block that changes nothing. It is the same on every engine that
computes the same state, which is what makes block hashes engine-independent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from eth_utils import keccak

from chains.engines.base import EMPTY_ACCOUNT, EMPTY_CODE_HASH, Account, Touched

StorageKey = tuple[bytes, int]


@dataclass(slots=True)
class StateDiff:
    accounts: dict[bytes, tuple[Account, Account]] = field(default_factory=dict)
    storage: dict[StorageKey, tuple[int, int]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.accounts or self.storage)

    def extend(self, later: "StateDiff") -> None:
        """Fold a later diff into this one: the earliest ``before`` and the latest ``after`` stay."""
        for address, (before, after) in later.accounts.items():
            earlier = self.accounts.get(address)
            self.accounts[address] = (before if earlier is None else earlier[0], after)
        for key, (before, after) in later.storage.items():
            earlier = self.storage.get(key)
            self.storage[key] = (before if earlier is None else earlier[0], after)

    def before(self) -> tuple[dict[bytes, Account], dict[StorageKey, int]]:
        return {a: pair[0] for a, pair in self.accounts.items()}, {k: pair[0] for k, pair in self.storage.items()}

    def after(self) -> tuple[dict[bytes, Account], dict[StorageKey, int]]:
        return {a: pair[1] for a, pair in self.accounts.items()}, {k: pair[1] for k, pair in self.storage.items()}

    def encode(self) -> bytes:
        """The changes' final values in canonical order (what the commitment hashes)."""
        parts = []
        for address in sorted(self.accounts):
            account = self.accounts[address][1]
            parts.append(address + account.nonce.to_bytes(8, "big") + account.balance.to_bytes(32, "big") + account.code_hash)
        for address, slot in sorted(self.storage):
            parts.append(address + slot.to_bytes(32, "big") + self.storage[(address, slot)][1].to_bytes(32, "big"))
        return b"".join(parts)


class WorldState:
    def __init__(self, genesis: Mapping[bytes, int]) -> None:
        self.accounts: dict[bytes, Account] = {a: Account(0, balance) for a, balance in genesis.items() if balance}
        self.slots: dict[bytes, dict[int, int]] = {}
        self.code: dict[bytes, bytes] = {EMPTY_CODE_HASH: b""}
        self.genesis_root = keccak(b"xmargin-genesis" + StateDiff({a: (EMPTY_ACCOUNT, v) for a, v in self.accounts.items()}).encode())

    # -- reads --------------------------------------------------------------------

    def account(self, address: bytes) -> Account:
        return self.accounts.get(address, EMPTY_ACCOUNT)

    def storage(self, address: bytes, slot: int) -> int:
        slots = self.slots.get(address)
        return slots.get(slot, 0) if slots else 0

    def code_of(self, address: bytes) -> bytes:
        return self.code[self.account(address).code_hash]

    def storage_of(self, address: bytes) -> dict[int, int]:
        """Every non-zero slot of ``address``."""
        return dict(self.slots.get(address, {}))

    # -- changes -------------------------------------------------------------------

    def apply(self, touched: Touched) -> StateDiff:
        """Take an engine's post-transaction values; return what changed."""
        self.code.update(touched.code)
        diff = StateDiff()
        for address, account in touched.accounts.items():
            self._set_account(address, account, diff)
        for (address, slot), value in touched.storage.items():
            self._set_slot(address, slot, value, diff)
        for address in touched.destroyed:
            for slot in list(self.slots.get(address, ())):
                self._set_slot(address, slot, 0, diff)
            self._set_account(address, EMPTY_ACCOUNT, diff)
        return diff

    def write(self, accounts: Mapping[bytes, Account], storage: Mapping[StorageKey, int]) -> StateDiff:
        """Set values directly (undoing a block, or a cheat method); return what changed."""
        diff = StateDiff()
        for address, account in accounts.items():
            self._set_account(address, account, diff)
        for (address, slot), value in storage.items():
            self._set_slot(address, slot, value, diff)
        return diff

    def undo(self, diff: StateDiff) -> None:
        accounts, storage = diff.before()
        self.write(accounts, storage)

    def _set_account(self, address: bytes, account: Account, diff: StateDiff) -> None:
        old = self.accounts.get(address, EMPTY_ACCOUNT)
        if account == old:
            return
        diff.accounts[address] = (old, account)
        if account.is_empty:
            del self.accounts[address]
        else:
            self.accounts[address] = account

    def _set_slot(self, address: bytes, slot: int, value: int, diff: StateDiff) -> None:
        slots = self.slots.get(address)
        old = slots.get(slot, 0) if slots else 0
        if value == old:
            return
        diff.storage[(address, slot)] = (old, value)
        if slots is None:
            slots = self.slots[address] = {}
        if value:
            slots[slot] = value
        else:
            del slots[slot]
            if not slots:
                del self.slots[address]


def extend_root(parent_root: bytes, diff: StateDiff) -> bytes:
    """The state commitment after a block with ``diff`` on top of ``parent_root``."""
    return keccak(parent_root + diff.encode()) if diff else parent_root
