"""One EVM network: py-evm behind eth-tester, used through web3.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from eth_tester.exceptions import SnapshotNotFound
from eth_utils import to_canonical_address
from hexbytes import HexBytes
from web3 import Web3
from web3.providers.eth_tester import EthereumTesterProvider
from web3.providers.eth_tester.defaults import API_ENDPOINTS, static_return

from chains.accounts import chain_mnemonic, derive_accounts
from chains.backend import XmarginBackend
from chains.config import ChainConfig
from chains.errors import ChainStateError
from chains.tester import BatchingEthereumTester


@dataclass(frozen=True)
class MinedBlock:
    number: int
    hash: HexBytes
    timestamp: int
    transactions: tuple[HexBytes, ...]
    gas_used: int = 0


@dataclass(frozen=True)
class DroppedTransaction:
    hash: HexBytes
    raw: HexBytes
    block_number: int | None  # None: it was still pending


@dataclass(frozen=True)
class ReorgReport:
    depth: int
    old_head: int
    new_head: int
    dropped: tuple[DroppedTransaction, ...]


def _endpoints_for(chain_id: int) -> dict:
    endpoints = {namespace: dict(methods) for namespace, methods in API_ENDPOINTS.items()}
    endpoints["eth"]["chainId"] = static_return(chain_id)
    endpoints["net"]["version"] = static_return(str(chain_id))
    return endpoints


class Chain:
    """A single chain with its own id, block time, finality depth and funded accounts.

    Two mining modes: batched (the default), where transactions collect in a pending
    block until :meth:`mine` seals them under one timestamp, and auto-mining, one
    block per transaction, for interactive use.
    """

    def __init__(
        self,
        config: ChainConfig,
        seed: int = 0,
        auto_mine: bool = False,
        extra_alloc: Mapping[str, int] | None = None,
    ) -> None:
        self.config = config
        self.seed = seed
        self.mnemonic = chain_mnemonic(seed, config.name)
        self.accounts: list[LocalAccount] = derive_accounts(self.mnemonic, config.accounts)
        self.backend = XmarginBackend(
            chain_id=config.chain_id,
            seed=seed,
            genesis_timestamp=config.genesis_timestamp,
            keys=[_private_key_object(a) for a in self.accounts],
            balance_eth=config.balance_eth,
            extra_alloc={to_canonical_address(a): v for a, v in (extra_alloc or {}).items()},
            block_time=config.block_time,
        )
        self.tester = BatchingEthereumTester(backend=self.backend, auto_mine_transactions=auto_mine)
        self.w3 = Web3(EthereumTesterProvider(self.tester, api_endpoints=_endpoints_for(config.chain_id)))
        if self.accounts:
            # calls without "from" would otherwise make web3 list (and checksum) every account first
            self.w3.eth.default_account = self.accounts[0].address
        self._reset_pending_timestamp()

    def __repr__(self) -> str:
        return f"Chain({self.name!r}, id={self.chain_id}, head={self.head_number})"

    # -- identity ----------------------------------------------------------

    @property
    def name(self) -> str:
        return self.config.name

    @property
    def chain_id(self) -> int:
        return self.config.chain_id

    @property
    def block_time(self) -> int:
        return self.config.block_time

    @property
    def finality_depth(self) -> int:
        return self.config.finality_depth

    # -- head and pending block --------------------------------------------

    @property
    def _evm(self) -> Any:
        return self.backend.chain

    @property
    def head(self) -> Any:
        """The latest mined block header."""
        return self._evm.get_canonical_head()

    def block_header(self, number: int) -> Any:
        """The canonical header at height ``number`` (py-evm's; cheaper than a web3 block)."""
        return self._evm.get_canonical_block_header_by_number(number)

    @property
    def head_number(self) -> int:
        return self.head.block_number

    @property
    def head_timestamp(self) -> int:
        return self.head.timestamp

    @property
    def finalized_number(self) -> int:
        return max(0, self.head_number - self.finality_depth)

    @property
    def next_timestamp(self) -> int:
        """The timestamp the pending block executes with and will be sealed with."""
        return self._evm.header.timestamp

    def pending_transactions(self) -> tuple[HexBytes, ...]:
        return tuple(HexBytes(tx.hash) for tx in self._evm.get_block().transactions)

    # -- mining --------------------------------------------------------------

    @property
    def auto_mine(self) -> bool:
        return bool(self.tester.auto_mine_transactions)

    @auto_mine.setter
    def auto_mine(self, enabled: bool) -> None:
        if enabled and not self.auto_mine:
            if self.pending_transactions():
                self.mine()
            self.tester.auto_mine_transactions = True
        elif not enabled:
            self.tester.disable_auto_mine_transactions()

    def mine(self, timestamp: int | None = None) -> MinedBlock:
        """Seal every pending transaction into one block with ``timestamp``.

        Without a timestamp the block gets the pending one (head + block time unless
        time was moved). Transactions already applied are re-executed under the new
        timestamp if it differs, so what they saw matches the block they are in.
        """
        if timestamp is not None:
            self.set_next_timestamp(timestamp)
        block_hash = self.tester.mine_block()
        block = self._evm.get_canonical_block_by_number(self.head_number)
        self._reset_pending_timestamp()
        return MinedBlock(
            number=block.number,
            hash=HexBytes(block_hash),
            timestamp=block.header.timestamp,
            transactions=tuple(HexBytes(tx.hash) for tx in block.transactions),
            gas_used=block.header.gas_used,
        )

    # -- time control --------------------------------------------------------

    def set_next_timestamp(self, timestamp: int) -> None:
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            raise ChainStateError(f"{self.name}: a block timestamp must be an integer, got {timestamp!r}")
        if timestamp <= self.head_timestamp:
            raise ChainStateError(
                f"{self.name}: block timestamp {timestamp} is not after the head block's ({self.head_timestamp})"
            )
        if timestamp == self.next_timestamp:
            return
        evm = self._evm
        transactions = evm.get_block().transactions
        if not transactions:
            evm.set_header_timestamp(timestamp)
            return
        evm.header = evm.create_header_from_parent(self.head, timestamp=timestamp)
        for transaction in transactions:
            evm.apply_transaction(transaction)

    def increase_time(self, seconds: int) -> int:
        """Move the pending block's timestamp forward; returns the new one."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise ChainStateError(f"{self.name}: increase_time needs a non-negative whole number of seconds")
        self.set_next_timestamp(self.next_timestamp + seconds)
        return self.next_timestamp

    def _reset_pending_timestamp(self) -> None:
        """After any change of head, the pending block sits one block time after it (never wall-clock)."""
        self._evm.set_header_timestamp(self.head_timestamp + self.block_time)

    # -- snapshots and reorgs -------------------------------------------------

    def snapshot(self) -> int:
        """Remember the latest mined block; pending transactions are not part of a snapshot."""
        return self.tester.take_snapshot()

    def revert(self, snapshot_id: int) -> None:
        try:
            self.tester.revert_to_snapshot(snapshot_id)
        except SnapshotNotFound:
            raise ChainStateError(f"{self.name}: no snapshot with id {snapshot_id}") from None
        self._reset_pending_timestamp()

    def reorg(self, depth: int) -> ReorgReport:
        """Drop the last ``depth`` blocks (and the pending block) so the chain continues on another branch.

        Blocks mined afterwards get a different ``mix_hash`` and so other hashes than
        the dropped ones. The dropped transactions are returned, oldest first, so a
        caller can resubmit them or not.
        """
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ChainStateError(f"{self.name}: reorg depth must be a positive integer, got {depth!r}")
        old_head = self.head_number
        if depth > old_head:
            raise ChainStateError(f"{self.name}: cannot reorg {depth} blocks, the chain has only {old_head}")
        dropped = []
        for number in range(old_head - depth + 1, old_head + 1):
            block = self._evm.get_canonical_block_by_number(number)
            dropped.extend(DroppedTransaction(HexBytes(tx.hash), HexBytes(tx.encode()), number) for tx in block.transactions)
        dropped.extend(
            DroppedTransaction(HexBytes(tx.hash), HexBytes(tx.encode()), None) for tx in self._evm.get_block().transactions
        )
        target = self._evm.get_canonical_block_by_number(old_head - depth)
        self.tester.revert_to_block(target.hash)
        self.backend.branch += 1
        self._reset_pending_timestamp()
        return ReorgReport(depth=depth, old_head=old_head, new_head=self.head_number, dropped=tuple(dropped))

    # -- accounts ------------------------------------------------------------

    def add_account(self, account: LocalAccount) -> None:
        """Let eth-tester sign for ``account`` (``eth_sendTransaction``); funding it is the caller's business."""
        key = _private_key_object(account)
        if key not in self.backend.account_keys:
            self.backend.account_keys = self.backend.account_keys + (key,)

    def status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "chain_id": self.chain_id,
            "block_time": self.block_time,
            "finality_depth": self.finality_depth,
            "head": self.head_number,
            "head_timestamp": self.head_timestamp,
            "accounts": len(self.accounts),
        }


def _private_key_object(account: LocalAccount) -> PrivateKey:
    return PrivateKey(account.key)
