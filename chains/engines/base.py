"""The narrow interface an EVM offers the chain above it: execute a transaction, run a call, take writes.

An engine holds the world state it executes on and nothing else: blocks, receipts,
logs, the mempool, snapshots, reorgs and the state commitment are built once, above
every engine, by :class:`chains.Chain`. After each transaction the engine reports the
post-transaction values of every account and storage slot the transaction may have
changed (a superset is fine: the chain's :class:`~chains.state.WorldState` keeps only
what differs), and it accepts writes (undoing blocks, cheat methods) so the two stay
in step.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Iterable, Mapping

from eth_utils import keccak

EMPTY_CODE_HASH = keccak(b"")
ZERO_ADDRESS = b"\x00" * 20
CREATE_TO = b""  # a transaction's ``to`` when it creates a contract


@dataclass(frozen=True, slots=True)
class Account:
    nonce: int = 0
    balance: int = 0
    code_hash: bytes = EMPTY_CODE_HASH

    @property
    def is_empty(self) -> bool:
        return self.nonce == 0 and self.balance == 0 and self.code_hash == EMPTY_CODE_HASH


EMPTY_ACCOUNT = Account()


@dataclass(frozen=True, slots=True)
class BlockContext:
    """What a transaction sees of the block it executes in."""

    number: int
    timestamp: int
    coinbase: bytes
    prevrandao: bytes
    gas_limit: int
    base_fee: int
    # newest first, at most 256 (BLOCKHASH); lazy, and left out of comparisons (the rest identifies the block)
    prev_hashes: Iterable[bytes] = field(default=(), compare=False)


@dataclass(frozen=True, slots=True)
class LogEntry:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes


@dataclass(slots=True)
class Touched:
    """Post-transaction values of whatever a transaction may have changed (a superset of its writes)."""

    accounts: dict[bytes, Account] = field(default_factory=dict)
    storage: dict[tuple[bytes, int], int] = field(default_factory=dict)
    code: dict[bytes, bytes] = field(default_factory=dict)  # code hash -> code, for code that may be new
    destroyed: set[bytes] = field(default_factory=set)  # accounts deleted with their storage


@dataclass(frozen=True, slots=True)
class Execution:
    """The outcome of one transaction, as its receipt and the state need it."""

    success: bool
    gas_used: int
    output: bytes  # return data, or the revert data of a failed transaction
    logs: tuple[LogEntry, ...]
    contract_address: bytes | None
    error: str | None  # why it failed: "reverted", "out of gas", ...
    touched: Touched


@dataclass(frozen=True, slots=True)
class CallMessage:
    """An ``eth_call``: executed on the current state and forgotten."""

    sender: bytes
    to: bytes  # CREATE_TO creates a contract
    data: bytes = b""
    value: int = 0
    gas: int = 30_000_000
    gas_price: int = 0  # what GASPRICE reads; the caller is never charged


@dataclass(frozen=True, slots=True)
class CallResult:
    success: bool
    output: bytes  # return data, or revert data
    gas_used: int
    error: str | None = None  # None, "reverted", or the reason execution stopped


def effective_gas_price(transaction: Any, base_fee: int) -> int:
    """What each unit of gas costs the sender (EIP-1559; py-evm gives legacy transactions both caps equal)."""
    return min(transaction.max_fee_per_gas, base_fee + transaction.max_priority_fee_per_gas)


class EngineError(Exception):
    """An engine failed where it must not (a bug, not a user's mistake)."""


class Engine(ABC):
    """One EVM's state and execution. Addresses are 20 raw bytes; transactions are py-evm signed transactions.

    The chain validates every transaction before it reaches :meth:`execute` (chain id,
    nonce, intrinsic gas, balance for the maximum fee, fee caps), so an engine applies
    it with full transaction semantics (nonce, gas purchase and refund, the priority
    fee to the coinbase, the base fee burned) and never refuses it.
    """

    name: ClassVar[str]

    def __init__(self, chain_id: int, genesis: Mapping[bytes, int]) -> None:
        self.chain_id = chain_id

    @abstractmethod
    def execute(self, transaction: Any, block: BlockContext) -> Execution:
        """Apply ``transaction`` to the state; report its outcome and what it touched."""

    @abstractmethod
    def call(self, message: CallMessage, block: BlockContext) -> CallResult:
        """Run ``message`` on the current state and leave the state as it was."""

    @abstractmethod
    def read_account(self, address: bytes) -> Account:
        """What the engine itself holds for ``address`` (the chain reads its own state; this is for checking it)."""

    @abstractmethod
    def read_storage(self, address: bytes, slot: int) -> int:
        """What the engine itself holds in a storage slot."""

    @abstractmethod
    def write(
        self,
        accounts: Mapping[bytes, Account],
        storage: Mapping[tuple[bytes, int], int],
        code: Mapping[bytes, bytes],
    ) -> None:
        """Set accounts and slots to these values (``code`` maps code hashes to code the accounts may need)."""
