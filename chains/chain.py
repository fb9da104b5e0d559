"""One EVM network: an engine that executes, and everything a node builds around it.

A :class:`Chain` has its own id, block time, finality depth, block gas limit and
funded accounts. Transactions wait in its mempool until :meth:`Chain.mine` builds a
block: the pool's best transactions that fit, executed in order by the engine, sealed
under one timestamp with an EIP-1559 base fee, a seeded ``mix_hash`` and the chain's
state commitment. Receipts, logs, snapshots, reorgs and reads at older blocks are all
kept here, once, above the engine, so every engine gives the same blocks for the same
transactions. ``chain.w3`` is web3.py over the chain's own JSON-RPC methods, in
process; the simulation's hot paths use :meth:`submit`, :meth:`call` and the block
listeners directly.
"""

from __future__ import annotations

import functools
import itertools
import operator
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from eth._utils.address import generate_contract_address
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address, to_checksum_address
from hexbytes import HexBytes

from chains.accounts import chain_mnemonic, derive_accounts
from chains.blocks import Block, BlockHeader, Log, Receipt, encode_receipt, list_root, logs_bloom, seal_header
from chains.config import ChainConfig
from chains.engines import REFERENCE_ENGINE, create_engine
from chains.engines.base import (
    CREATE_TO,
    ZERO_ADDRESS,
    Account,
    BlockContext,
    CallMessage,
    CallResult,
    Execution,
    effective_gas_price,
)
from chains.errors import ChainStateError, TransactionRejected
from chains.fees import FeeBid, FeePolicy, suggested_bid
from chains.signing import TRANSACTION_BUILDER, SigningKey, check_chain_id, decode_transaction, sign_dynamic_fee, signing_key
from chains.state import StateDiff, WorldState, extend_root
from chains.txpool import Pooled, TxPool, fee_cap, rejection, tip_cap

if TYPE_CHECKING:
    from web3 import Web3

COINBASE = ZERO_ADDRESS
GENESIS_BASE_FEE = 10**9
BLOCKHASH_WINDOW = 256
BlockListener = Callable[["Chain", Block], None]
SubmitListener = Callable[["Chain", HexBytes], None]


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


class Chain:
    """A single chain; see the module docstring. Addresses may be given as checksummed strings or 20 bytes."""

    def __init__(
        self,
        config: ChainConfig,
        seed: int = 0,
        auto_mine: bool = False,
        extra_alloc: Mapping[str, int] | None = None,
        engine: str = REFERENCE_ENGINE,
    ) -> None:
        self.config = config
        self.seed = seed
        self.engine_name = engine
        self.mnemonic = chain_mnemonic(seed, config.name)
        self.accounts: list[LocalAccount] = derive_accounts(self.mnemonic, config.accounts)
        self.keys: dict[bytes, SigningKey] = {}  # the accounts this chain signs for
        self.impersonated: set[bytes] = set()  # addresses eth_sendTransaction may send from without a key
        for account in self.accounts:
            self.add_account(account)
        genesis = {to_canonical_address(a.address): config.balance_eth * 10**18 for a in self.accounts}
        genesis.update({to_canonical_address(a): v for a, v in (extra_alloc or {}).items()})
        self.engine = create_engine(engine, config.chain_id, genesis, config.block_gas_limit)
        self.state = WorldState(genesis)
        self.pool = TxPool(config.mempool_size)
        self.fee_policies: dict[bytes, FeePolicy] = {}  # how this chain bids for the senders it signs for
        self._rebidding: dict[bytes, FeePolicy] = {}  # those of them that re-bid stuck transactions
        self.replaced_by: dict[bytes, HexBytes] = {}  # a replaced transaction's hash -> its replacement's
        self.branch = 0
        self._auto_mine = auto_mine
        self.clock: Callable[[], float] | None = None  # "now" as a chain timestamp (see now())
        self.block_listeners: list[BlockListener] = []
        self.submit_listeners: list[SubmitListener] = []
        self.dropped: Counter[str] = Counter()  # why transactions left the pool without a block
        self._blocks: list[Block] = []
        self._by_hash: dict[bytes, Block] = {}
        self._locations: dict[bytes, tuple[int, int]] = {}  # tx hash -> (block, index)
        # every change of state, oldest first: (the block it belongs to, the change, whether a cheat made it)
        self._journal: list[tuple[int, StateDiff, bool]] = []
        self._snapshots: dict[int, tuple[int, int]] = {}  # snapshot id -> (head block, journal length)
        self._snapshot_ids = itertools.count()
        self._w3: Web3 | None = None
        self._append(self._genesis_block())
        self._next_timestamp = self.head_timestamp + self.block_time

    def __repr__(self) -> str:
        return f"Chain({self.name!r}, id={self.chain_id}, engine={self.engine_name}, head={self.head_number})"

    # -- identity -------------------------------------------------------------------

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

    @property
    def w3(self) -> "Web3":
        """web3.py on this chain, through the same JSON-RPC methods ``xmargin up`` serves (in process)."""
        if self._w3 is None:
            from web3 import Web3

            from chains.provider import ChainProvider

            self._w3 = Web3(ChainProvider(self))
            if self.accounts:
                # calls without "from" would otherwise make web3 list (and checksum) every account first
                self._w3.eth.default_account = self.accounts[0].address
        return self._w3

    # -- blocks -------------------------------------------------------------------------

    @property
    def head(self) -> BlockHeader:
        return self._blocks[-1].header

    @property
    def head_number(self) -> int:
        return len(self._blocks) - 1

    @property
    def head_timestamp(self) -> int:
        return self._blocks[-1].header.timestamp

    @property
    def finalized_number(self) -> int:
        return max(0, self.head_number - self.finality_depth)

    @property
    def next_timestamp(self) -> int:
        """The timestamp the next block will be sealed with (head + block time unless time was moved)."""
        return self._next_timestamp

    @property
    def next_base_fee(self) -> int:
        return calculate_expected_base_fee_per_gas(self.head)

    def block(self, number: int) -> Block:
        if not 0 <= number <= self.head_number:
            raise ChainStateError(f"{self.name}: no block {number}; the head is {self.head_number}")
        return self._blocks[number]

    def block_header(self, number: int) -> BlockHeader:
        return self.block(number).header

    def block_by_hash(self, block_hash: bytes) -> Block | None:
        """A canonical block by hash (a block reorganised away is unknown)."""
        return self._by_hash.get(bytes(block_hash))

    def blocks(self, first: int, last: int) -> list[Block]:
        return self._blocks[max(first, 0):last + 1]

    def _mix_hash(self, number: int) -> bytes:
        """prevrandao for a block: a function of seed, chain, branch and height, never of wall-clock randomness."""
        return keccak(
            b"xmargin-mix" + self.seed.to_bytes(32, "big", signed=True) + self.chain_id.to_bytes(32, "big")
            + self.branch.to_bytes(8, "big") + number.to_bytes(8, "big")
        )

    def _genesis_block(self) -> Block:
        header = seal_header(
            b"\x00" * 32, 0, self.config.genesis_timestamp, COINBASE, self.state.genesis_root, list_root([]),
            list_root([]), 0, self.config.block_gas_limit, 0, GENESIS_BASE_FEE, self._mix_hash(0),
        )
        return Block(header, (), ())

    def _append(self, block: Block) -> None:
        self._blocks.append(block)
        self._by_hash[block.header.hash] = block
        for index, receipt in enumerate(block.receipts):
            self._locations[bytes(receipt.transaction_hash)] = (block.number, index)

    def _context(self, number: int, timestamp: int, base_fee: int, mix_hash: bytes | None = None) -> BlockContext:
        parent = number - 1
        return BlockContext(
            number=number, timestamp=timestamp, coinbase=COINBASE, prevrandao=mix_hash or self._mix_hash(number),
            gas_limit=self.config.block_gas_limit, base_fee=base_fee,
            prev_hashes=(self._blocks[n].header.hash for n in range(parent, max(-1, parent - BLOCKHASH_WINDOW), -1)),
        )

    # -- submitting -----------------------------------------------------------------------

    def send_raw_transaction(self, raw: bytes) -> HexBytes:
        """Decode, check and pool a signed transaction (mined at once in auto-mine mode); returns its hash."""
        return self.submit(decode_transaction(raw))

    def submit(self, transaction: Any, local: bool = False) -> HexBytes:
        """Pool a py-evm signed transaction after the checks a node makes; refusals change nothing.

        ``local``: the node signed it for one of its own accounts (:meth:`send`), so, as in geth,
        a full pool neither refuses nor evicts it.
        """
        check_chain_id(transaction, self.chain_id)
        sender = transaction.sender
        tx_hash = HexBytes(transaction.hash)
        if tx_hash in self.pool:
            raise TransactionRejected(f"already known: {tx_hash.to_0x_hex()}")
        problem = rejection(transaction, self.state.account(sender), self.config.block_gas_limit)
        problem = problem or self.pool.replacement_problem(transaction, sender)
        problem = problem or (None if local else self._room_for(transaction, sender))
        if problem is not None:
            raise TransactionRejected(problem)
        replaced = self.pool.add(transaction, sender, self.now(), local)
        if replaced is not None:
            self.dropped["replaced"] += 1
            self.replaced_by[bytes(replaced.hash)] = tx_hash
        for listener in self.submit_listeners:
            listener(self, tx_hash)
        if self.auto_mine:
            self.mine()
        return tx_hash

    def _room_for(self, transaction: Any, sender: bytes) -> str | None:
        """When the pool is full, evict its cheapest transaction for a newcomer that pays more, else refuse it."""
        if len(self.pool) < self.pool.capacity or self.pool.replaces(transaction, sender):
            return None
        cheapest = self.pool.cheapest()
        if cheapest is None or fee_cap(transaction) <= fee_cap(cheapest.transaction):
            return (f"txpool is full: {len(self.pool)} transactions, the cheapest offering "
                    f"{fee_cap(cheapest.transaction) if cheapest else 0} wei per gas")
        self.pool.remove(cheapest.hash)
        self.dropped["evicted"] += 1
        return None

    def send(
        self, sender: str | bytes, to: str | bytes | None, data: bytes = b"", gas: int = 1_000_000, value: int = 0,
        fees: FeeBid | None = None, local: bool = True,
    ) -> HexBytes:
        """Sign a transaction for one of :attr:`keys` (next pending nonce) and submit it (as a local one,
        unless ``local=False``: then it competes for room in a full pool as a remote one does).

        Fees: ``fees`` if given, else the sender's policy (:meth:`set_fee_policy`), else the suggestion.
        """
        address = _address(sender)
        key = self.keys.get(address)
        if key is None:
            raise ChainStateError(f"{self.name}: no key for {to_checksum_address(address)}; add_account() it first")
        nonce = self.pending_nonce(address)
        policy = self.fee_policies.get(address)
        bid = fees or (policy.bid(self, gas, nonce) if policy is not None else suggested_bid(self))
        transaction = sign_dynamic_fee(
            key, self.chain_id, nonce, CREATE_TO if to is None else _address(to), bytes(data),
            gas, bid.max_fee_per_gas, bid.max_priority_fee_per_gas, value,
        )
        return self.submit(transaction, local)

    def replace(self, tx_hash: bytes, fees: FeeBid) -> HexBytes:
        """Re-sign a pooled transaction with new fees (same nonce, call and gas): a stuck transaction's bump.

        The pool's rule holds: both fee caps must rise by 10%; the new hash is returned.
        """
        pooled = self.pool.get(bytes(tx_hash))
        if pooled is None:
            raise ChainStateError(f"{self.name}: {HexBytes(tx_hash).to_0x_hex()} is not waiting in the pool")
        key = self.keys.get(pooled.sender)
        if key is None:
            raise ChainStateError(f"{self.name}: no key for {to_checksum_address(pooled.sender)} to re-sign with")
        old = pooled.transaction
        transaction = sign_dynamic_fee(
            key, self.chain_id, old.nonce, old.to, old.data, old.gas, fees.max_fee_per_gas, fees.max_priority_fee_per_gas,
            old.value,
        )
        return self.submit(transaction, pooled.local)

    def set_fee_policy(self, sender: str | bytes, policy: FeePolicy | None) -> None:
        """How :meth:`send` bids for ``sender`` when given no fees, and whether stuck transactions are re-bid."""
        address = _address(sender)
        self.fee_policies.pop(address, None)
        self._rebidding.pop(address, None)
        if policy is not None:
            self.fee_policies[address] = policy
            if policy.replace_after is not None:
                self._rebidding[address] = policy

    def current_hash(self, tx_hash: bytes) -> HexBytes:
        """The transaction that stands for ``tx_hash`` now: itself, or the replacement that took its nonce."""
        current = HexBytes(tx_hash)
        while (following := self.replaced_by.get(bytes(current))) is not None:
            current = following
        return current

    def _rebid_stuck(self, timestamp: int) -> None:
        """Before a block: senders whose policy re-bids replace what has waited too long (a wallet's speed-up)."""
        for address, policy in self._rebidding.items():
            for pooled in self.pool.of_sender(address):
                if timestamp - pooled.submitted_at < policy.replace_after:
                    continue
                old = pooled.transaction
                bid = policy.rebid(self, FeeBid(fee_cap(old), tip_cap(old)), old.gas, old.nonce,
                                   timestamp - pooled.first_submitted_at)
                if bid is None:
                    continue
                try:
                    self.replace(pooled.hash, bid)
                except TransactionRejected:  # e.g. the balance no longer covers the higher cap: it keeps waiting
                    continue

    def now(self) -> float:
        """The current time as a chain timestamp: the simulation's clock when it set one, else the next block's
        timestamp (time moved with ``set_next_timestamp`` is not time a transaction spent waiting)."""
        return self.clock() if self.clock is not None else float(self._next_timestamp)

    def pending_transactions(self) -> tuple[HexBytes, ...]:
        """The pooled transactions, in arrival order."""
        return tuple(pooled.hash for pooled in self.pool.all())

    def pending_nonce(self, address: str | bytes) -> int:
        """The nonce a new transaction from ``address`` should carry (after its pooled ones)."""
        sender = _address(address)
        return self.pool.next_nonce(sender, self.state.account(sender).nonce)

    # -- mining ---------------------------------------------------------------------------------

    @property
    def auto_mine(self) -> bool:
        """One block per transaction (interactive use) instead of blocks at the block time."""
        return self._auto_mine

    @auto_mine.setter
    def auto_mine(self, enabled: bool) -> None:
        if enabled and not self._auto_mine and len(self.pool):
            self.mine()
        self._auto_mine = bool(enabled)

    def mine(self, timestamp: int | None = None) -> Block:
        """Seal a block at ``timestamp`` (default: :attr:`next_timestamp`) with what the pool offers."""
        if timestamp is not None:
            self.set_next_timestamp(timestamp)
        self._expire(self._next_timestamp)
        if self._rebidding and len(self.pool):
            self._rebid_stuck(self._next_timestamp)

        def from_pool(context: BlockContext, diff: StateDiff) -> list[tuple[Pooled, Execution]]:
            if not len(self.pool):
                return []
            executed, invalid = self._fill(context, diff)
            for pooled, problem in invalid:
                self.pool.remove(pooled.hash)
                self.dropped[problem.split(":")[0]] += 1
            for pooled, _ in executed:
                self.pool.remove(pooled.hash)
            return executed

        return self._build(from_pool)

    def _build(self, execute: Callable[[BlockContext, StateDiff], list[tuple[Pooled, Execution]]],
               mix_hash: bytes | None = None) -> Block:
        """The next block: ``execute`` runs its transactions in the block's context; then seal, store, tell."""
        parent = self.head
        number, timestamp = parent.number + 1, self._next_timestamp
        base_fee = calculate_expected_base_fee_per_gas(parent)
        diff = StateDiff()
        context = self._context(number, timestamp, base_fee, mix_hash)
        executed = execute(context, diff)
        block = self._seal(parent, context, executed, diff)
        self._append(block)
        if diff:
            self._journal.append((number, diff, False))
        self._next_timestamp = timestamp + self.block_time
        for listener in list(self.block_listeners):
            listener(self, block)
        return block

    def mine_exactly(self, timestamp: int, transactions: list[Any], mix_hash: bytes | None = None) -> Block:
        """A block of exactly these transactions, in this order (replaying history); one that does not apply raises."""
        self.set_next_timestamp(timestamp)

        def given(context: BlockContext, diff: StateDiff) -> list[tuple[Pooled, Execution]]:
            executed = []
            for transaction in transactions:
                check_chain_id(transaction, self.chain_id)
                account = self.state.account(transaction.sender)
                problem = rejection(transaction, account, context.gas_limit)
                if problem is None and transaction.nonce != account.nonce:
                    problem = f"nonce {transaction.nonce} where the account's is {account.nonce}"
                if problem is not None:
                    raise ChainStateError(f"{self.name}: block {context.number} does not replay: {problem}")
                execution = self.engine.execute(transaction, context)
                diff.extend(self._apply(execution))
                executed.append((Pooled(transaction, HexBytes(transaction.hash), transaction.sender, 0, timestamp, timestamp),
                                 execution))
            return executed

        return self._build(given, mix_hash)

    def _expire(self, now: float) -> None:
        for pooled in self.pool.expired(now, self.config.mempool_lifetime):
            self.pool.remove(pooled.hash)
            self.dropped["expired"] += 1

    def _fill(self, context: BlockContext, diff: StateDiff) -> tuple[list[tuple[Pooled, Execution]], list[tuple[Pooled, str]]]:
        """Execute what the pool offers for a block (state and engine change; the pool does not).

        Returns the executed transactions and those no longer valid (their balance went
        elsewhere since they were sent), with why.
        """
        executed, invalid = [], []
        gas_left = context.gas_limit
        state = self.state
        offers = self.pool.candidates(context.base_fee, lambda sender: state.account(sender).nonce)
        pooled = next(offers, None)
        while pooled is not None:
            transaction = pooled.transaction
            included = False
            if transaction.gas <= gas_left:
                problem = rejection(transaction, state.account(pooled.sender), context.gas_limit)
                if problem is not None:
                    invalid.append((pooled, problem))
                else:
                    execution = self.engine.execute(transaction, context)
                    diff.extend(self._apply(execution))
                    gas_left -= execution.gas_used
                    executed.append((pooled, execution))
                    included = True
            try:
                pooled = offers.send(included)
            except StopIteration:
                pooled = None
        return executed, invalid

    @contextmanager
    def pending_state(self) -> Iterator[None]:
        """The state as if the pool's next block were mined now (executed here, undone on exit): ``pending`` reads."""
        if not len(self.pool):
            yield
            return
        diff = StateDiff()
        self._fill(self._context(self.head_number + 1, self._next_timestamp, self.next_base_fee), diff)
        try:
            yield
        finally:
            self.state.undo(diff)
            self.engine.write(*diff.before(), self.state.code)

    def _apply(self, execution: Execution) -> StateDiff:
        touched = execution.touched
        diff = self.state.apply(touched)
        if touched.destroyed:  # storage an engine may still hold for deleted accounts
            self.engine.write({}, {k: 0 for k in diff.storage if k[0] in touched.destroyed}, {})
        return diff

    def _seal(self, parent: BlockHeader, context: BlockContext, executed: list[tuple[Pooled, Execution]],
              diff: StateDiff) -> Block:
        number, timestamp, base_fee = context.number, context.timestamp, context.base_fee
        transactions = tuple(pooled.transaction for pooled, _ in executed)
        encoded_receipts, blooms, cumulative = [], [], 0
        for pooled, execution in executed:
            cumulative += execution.gas_used
            entries = [(log.address, log.topics, log.data) for log in execution.logs]
            encoded_receipts.append(encode_receipt(pooled.transaction.type_id or 0, execution.success, cumulative, entries))
            blooms.append(logs_bloom(entries) if entries else 0)
        header = seal_header(
            parent.hash, number, timestamp, COINBASE, extend_root(parent.state_root, diff),
            list_root([tx.encode() for tx in transactions]), list_root(encoded_receipts),
            functools.reduce(operator.or_, blooms, 0), self.config.block_gas_limit, cumulative, base_fee,
            context.prevrandao,
        )
        receipts, log_index, cumulative = [], 0, 0
        for index, ((pooled, execution), bloom) in enumerate(zip(executed, blooms)):
            cumulative += execution.gas_used
            logs = []
            for entry in execution.logs:
                logs.append(Log(entry.address, entry.topics, entry.data, number, header.hash, bytes(pooled.hash), index, log_index))
                log_index += 1
            transaction = pooled.transaction
            receipts.append(Receipt(
                transaction_hash=pooled.hash, transaction_index=index, block_number=number, block_hash=header.hash,
                sender=pooled.sender, to=None if transaction.to == CREATE_TO else transaction.to,
                contract_address=execution.contract_address, status=1 if execution.success else 0,
                gas_used=execution.gas_used, cumulative_gas_used=cumulative,
                effective_gas_price=effective_gas_price(transaction, base_fee),
                type=transaction.type_id or 0, logs=tuple(logs), bloom=bloom,
                output=execution.output, error=execution.error, submitted_at=pooled.first_submitted_at,
            ))
        return Block(header, transactions, tuple(receipts))

    # -- time -----------------------------------------------------------------------------------

    def set_next_timestamp(self, timestamp: int) -> None:
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            raise ChainStateError(f"{self.name}: a block timestamp must be an integer, got {timestamp!r}")
        if timestamp <= self.head_timestamp:
            raise ChainStateError(
                f"{self.name}: block timestamp {timestamp} is not after the head block's ({self.head_timestamp})"
            )
        self._next_timestamp = timestamp

    def increase_time(self, seconds: int) -> int:
        """Move the next block's timestamp forward; returns the new one."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 0:
            raise ChainStateError(f"{self.name}: increase_time needs a non-negative whole number of seconds")
        self.set_next_timestamp(self._next_timestamp + seconds)
        return self._next_timestamp

    # -- state reads -------------------------------------------------------------------------------

    def account(self, address: str | bytes, block: int | None = None) -> Account:
        """Nonce, balance and code hash, at the head or at an older block."""
        address = _address(address)
        value = self.state.account(address)
        for diff in self._diffs_after(block):
            pair = diff.accounts.get(address)
            if pair is not None:
                value = pair[0]
        return value

    def balance(self, address: str | bytes, block: int | None = None) -> int:
        return self.account(address, block).balance

    def nonce(self, address: str | bytes, block: int | None = None) -> int:
        return self.account(address, block).nonce

    def code(self, address: str | bytes, block: int | None = None) -> bytes:
        return self.state.code[self.account(address, block).code_hash]

    def storage(self, address: str | bytes, slot: int, block: int | None = None) -> int:
        address = _address(address)
        value = self.state.storage(address, slot)
        for diff in self._diffs_after(block):
            pair = diff.storage.get((address, slot))
            if pair is not None:
                value = pair[0]
        return value

    def _diffs_after(self, block: int | None) -> Iterator[StateDiff]:
        """The changes made after block ``block``, newest first (so the last ``before`` seen is the value at it)."""
        if block is None:
            return
        for number, diff, _ in reversed(self._journal):
            if number <= block:
                return
            yield diff

    # -- calls --------------------------------------------------------------------------------------------

    def call(
        self, to: str | bytes | None, data: bytes = b"", sender: str | bytes | None = None, value: int = 0,
        gas: int | None = None, block: int | str | None = None, gas_price: int = 0,
    ) -> CallResult:
        """Run a call without a transaction; nothing changes.

        ``block``: None for the head (as ``latest``: the head's number and timestamp), a
        number for an older block's state, or ``"pending"`` for the pool's next block.
        """
        message = self._message(to, data, sender, value, gas, gas_price)
        short = _intrinsic_shortfall(message)
        if short is not None:
            return short
        with self._state_for(block):
            return self.engine.call(message, self._call_context(block))

    def estimate_gas(
        self, to: str | bytes | None, data: bytes = b"", sender: str | bytes | None = None, value: int = 0,
        gas: int | None = None, block: int | str | None = None,
    ) -> CallResult:
        """The least gas limit with which the call succeeds (as ``gas_used`` of the result), by binary search."""
        message = self._message(to, data, sender, value, gas, 0)
        short = _intrinsic_shortfall(message)
        if short is not None:
            return short
        with self._state_for(block):
            context = self._call_context(block)
            first = self.engine.call(message, context)
            if not first.success or self.engine.call(replace(message, gas=first.gas_used), context).success:
                return first
            low, high = first.gas_used, message.gas
            while high - low > 1:
                middle = (low + high) // 2
                if self.engine.call(replace(message, gas=middle), context).success:
                    high = middle
                else:
                    low = middle
        return CallResult(True, first.output, high)

    def _message(self, to: Any, data: bytes, sender: Any, value: int, gas: int | None, gas_price: int) -> CallMessage:
        return CallMessage(
            sender=ZERO_ADDRESS if sender is None else _address(sender),
            to=CREATE_TO if to is None else _address(to), data=bytes(data), value=value,
            gas=self.config.block_gas_limit if gas is None else min(gas, self.config.block_gas_limit),
            gas_price=gas_price,
        )

    def _call_context(self, block: int | str | None) -> BlockContext:
        if block == "pending":
            return self._context(self.head_number + 1, self._next_timestamp, 0)
        number = self.head_number if block is None else int(block)
        return self._context(number, self.block_header(number).timestamp, 0)

    @contextmanager
    def _state_for(self, block: int | str | None) -> Iterator[None]:
        if block == "pending":
            with self.pending_state():
                yield
        else:
            with self._rewound(self.head_number if block is None else int(block)):
                yield

    @contextmanager
    def _rewound(self, number: int) -> Iterator[None]:
        """The engine's state as it was after block ``number``, for the duration (the chain's own view is untouched)."""
        accounts: dict[bytes, Account] = {}
        storage: dict[tuple[bytes, int], int] = {}
        for diff in self._diffs_after(number):
            before_accounts, before_storage = diff.before()
            accounts.update(before_accounts)
            storage.update(before_storage)
        if not accounts and not storage:
            yield
            return
        self.engine.write(accounts, storage, self.state.code)
        try:
            yield
        finally:
            self.engine.write(
                {a: self.state.account(a) for a in accounts},
                {k: self.state.storage(*k) for k in storage},
                self.state.code,
            )

    # -- transactions and receipts ----------------------------------------------------------------------

    def receipt(self, tx_hash: bytes) -> Receipt | None:
        location = self._locations.get(bytes(tx_hash))
        if location is None:
            return None
        number, index = location
        return self._blocks[number].receipts[index]

    def transaction(self, tx_hash: bytes) -> tuple[Any, int | None, int | None] | None:
        """(signed transaction, block number, index); block and index are None while it is pooled."""
        location = self._locations.get(bytes(tx_hash))
        if location is not None:
            number, index = location
            return self._blocks[number].signed[index], number, index
        pooled = self.pool.get(bytes(tx_hash))
        return None if pooled is None else (pooled.transaction, None, None)

    def logs(
        self, first: int = 0, last: int | None = None, addresses: set[bytes] | None = None,
        topics: list[Any] | None = None,
    ) -> list[Log]:
        """Logs of blocks ``first..last`` (inclusive), optionally by emitter and topic filter (JSON-RPC semantics)."""
        found = []
        for block in self.blocks(first, self.head_number if last is None else last):
            for receipt in block.receipts:
                for log in receipt.logs:
                    if (addresses is None or log.address in addresses) and _topics_match(log.topics, topics):
                        found.append(log)
        return found

    # -- snapshots and reorgs ---------------------------------------------------------------------------------

    def snapshot(self) -> int:
        """Remember the head block; pending transactions are not part of a snapshot."""
        snapshot_id = next(self._snapshot_ids)
        self._snapshots[snapshot_id] = (self.head_number, len(self._journal))
        return snapshot_id

    def revert(self, snapshot_id: int, keep: bool = True) -> None:
        """Return to a snapshot's head (dropping the pool); later snapshots are forgotten, and this one too unless ``keep``."""
        if snapshot_id not in self._snapshots:
            raise ChainStateError(f"{self.name}: no snapshot with id {snapshot_id}")
        self._rewind_to(*self._snapshots[snapshot_id])
        for later in [s for s in self._snapshots if s > snapshot_id or (s == snapshot_id and not keep)]:
            del self._snapshots[later]
        self._drop_pool("reverted")

    def reorg(self, depth: int) -> ReorgReport:
        """Drop the last ``depth`` blocks (and the pool) so the chain continues on another branch.

        Blocks mined afterwards get another ``mix_hash`` and so other hashes than the
        dropped ones. The dropped transactions are returned, oldest first, so a caller can
        resubmit them or not. Snapshots of a dropped block are forgotten.
        """
        if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
            raise ChainStateError(f"{self.name}: reorg depth must be a positive integer, got {depth!r}")
        old_head = self.head_number
        if depth > old_head:
            raise ChainStateError(f"{self.name}: cannot reorg {depth} blocks, the chain has only {old_head}")
        dropped = [
            DroppedTransaction(HexBytes(tx.hash), HexBytes(tx.encode()), block.number)
            for block in self._blocks[old_head - depth + 1:] for tx in block.signed
        ]
        dropped += [DroppedTransaction(p.hash, HexBytes(p.transaction.encode()), None) for p in self.pool.all()]
        self._rewind_to(old_head - depth)
        self._drop_pool("reorganised")
        self.branch += 1
        for snapshot_id, (number, _) in list(self._snapshots.items()):
            if number > self.head_number:  # its blocks are gone: reverting to it could only restore another state
                del self._snapshots[snapshot_id]
        return ReorgReport(depth=depth, old_head=old_head, new_head=self.head_number, dropped=tuple(dropped))

    def _rewind_to(self, number: int, journal_length: int | None = None) -> None:
        """Back to the state after block ``number`` (and, for a snapshot, only the first ``journal_length`` changes)."""
        accounts: dict[bytes, Account] = {}
        storage: dict[tuple[bytes, int], int] = {}
        while self._journal and (self._journal[-1][0] > number or (journal_length is not None and len(self._journal) > journal_length)):
            _, diff, _ = self._journal.pop()
            self.state.undo(diff)
            before_accounts, before_storage = diff.before()
            accounts.update(before_accounts)
            storage.update(before_storage)
        while self.head_number > number:
            block = self._blocks.pop()
            del self._by_hash[block.header.hash]
            for receipt in block.receipts:
                self._locations.pop(bytes(receipt.transaction_hash), None)
        if accounts or storage:
            self.engine.write(accounts, storage, self.state.code)
        self._next_timestamp = self.head_timestamp + self.block_time

    def _drop_pool(self, reason: str) -> None:
        for _ in self.pool.clear():
            self.dropped[reason] += 1

    # -- accounts and cheats ---------------------------------------------------------------------------------

    def add_account(self, account: LocalAccount) -> None:
        """Let ``eth_sendTransaction`` sign for ``account``; funding it is the caller's business."""
        address = to_canonical_address(account.address)
        if address not in self.keys:
            self.keys[address] = signing_key(bytes(account.key))

    def set_account(self, address: str | bytes, nonce: int | None = None, balance: int | None = None,
                    code: bytes | None = None) -> None:
        """Change an account directly (``anvil_setBalance`` and friends): in the state, not through a block."""
        address = _address(address)
        current = self.state.account(address)
        code_hash = current.code_hash
        if code is not None:
            code_hash = keccak(code)
            self.state.code[code_hash] = bytes(code)
        updated = Account(current.nonce if nonce is None else nonce, current.balance if balance is None else balance, code_hash)
        self._write({address: updated}, {})

    def set_storage(self, address: str | bytes, slot: int, value: int) -> None:
        self._write({}, {(_address(address), slot): value})

    def _write(self, accounts: dict[bytes, Account], storage: dict[tuple[bytes, int], int]) -> None:
        diff = self.state.write(accounts, storage)
        if diff:
            self.engine.write(*diff.after(), self.state.code)
            self._journal.append((self.head_number, diff, True))  # part of the head's state; a revert undoes it
            for pooled in self.pool.stale(lambda sender: self.state.account(sender).nonce):
                self.pool.remove(pooled.hash)
                self.dropped["nonce already used"] += 1

    def status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "chain_id": self.chain_id,
            "engine": self.engine_name,
            "block_time": self.block_time,
            "finality_depth": self.finality_depth,
            "head": self.head_number,
            "head_timestamp": self.head_timestamp,
            "accounts": len(self.accounts),
        }

    def created_address(self, sender: str | bytes, nonce: int) -> bytes:
        return generate_contract_address(_address(sender), nonce)


def _intrinsic_shortfall(message: CallMessage) -> CallResult | None:
    """A call whose gas cannot even pay for its calldata, answered before it reaches an engine."""
    needed = TRANSACTION_BUILDER.create_unsigned_transaction(
        nonce=0, gas_price=0, gas=message.gas, to=message.to, value=message.value, data=message.data,
    ).intrinsic_gas
    if message.gas >= needed:
        return None
    return CallResult(False, b"", 0, f"intrinsic gas too low: gas {message.gas}, minimum needed {needed}")


def _address(value: str | bytes) -> bytes:
    return bytes(value) if isinstance(value, (bytes, bytearray)) and len(value) == 20 else to_canonical_address(value)


def _topics_match(log_topics: tuple[bytes, ...], wanted: list[Any] | None) -> bool:
    """JSON-RPC topic filters: position by position, None matches anything, a list matches any of its members."""
    if not wanted:
        return True
    if len(wanted) > len(log_topics):
        return False
    for position, option in enumerate(wanted):
        if option is None:
            continue
        if isinstance(option, (list, tuple)):
            if option and log_topics[position] not in option:
                return False
        elif log_topics[position] != option:
            return False
    return True
