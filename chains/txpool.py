"""The mempool: transactions wait here until a block takes them, in the order a block builder would.

Admission follows geth's rules for what can never be valid (a nonce already used, too
little balance for the maximum fee, less gas than the intrinsic cost or more than a
block holds) and for replacing a transaction (same sender and nonce, both fee caps
raised by at least 10%). A transaction whose nonce leaves a gap, or whose fee cap is
below the base fee, is kept and waits. A block takes, among the senders' next
transactions, the highest effective priority fee first (arrival order breaks ties),
as long as the transaction's gas limit fits what is left of the block.

The pool holds at most ``capacity`` transactions (geth's 4,096 + 1,024 slots): when it is
full, a newcomer must offer a higher fee cap than the cheapest pooled transaction, which
is then evicted; otherwise it is refused. As in geth, *local* transactions (those the node
signs for its own accounts) are exempt: never evicted, never refused for want of room.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from hexbytes import HexBytes

from chains.abi import checksum
from chains.engines.base import Account, effective_gas_price

REPLACEMENT_BUMP_PERCENT = 10
DEFAULT_CAPACITY = 5_120


@dataclass(slots=True)
class Pooled:
    transaction: Any  # a py-evm signed transaction
    hash: HexBytes
    sender: bytes
    arrival: int
    submitted_at: float  # when it was sent, as a chain timestamp
    first_submitted_at: float  # when the first transaction it replaced (or itself) was sent: its wait so far
    local: bool = False  # signed by the node for one of its accounts: not evicted when the pool is full

    @property
    def nonce(self) -> int:
        return self.transaction.nonce


def fee_cap(transaction: Any) -> int:
    return transaction.max_fee_per_gas  # py-evm gives legacy transactions both caps equal to their gas price


def tip_cap(transaction: Any) -> int:
    return transaction.max_priority_fee_per_gas


def effective_tip(transaction: Any, base_fee: int) -> int:
    return effective_gas_price(transaction, base_fee) - base_fee


def max_cost(transaction: Any) -> int:
    return transaction.gas * fee_cap(transaction) + transaction.value


def rejection(transaction: Any, account: Account, block_gas_limit: int) -> str | None:
    """Why a transaction can never be included on this state, or None."""
    if transaction.nonce < account.nonce:
        return f"nonce too low: next nonce {account.nonce}, tx nonce {transaction.nonce}"
    if transaction.gas < transaction.intrinsic_gas:
        return f"intrinsic gas too low: gas {transaction.gas}, minimum needed {transaction.intrinsic_gas}"
    if transaction.gas > block_gas_limit:
        return f"exceeds block gas limit: gas {transaction.gas}, block gas limit {block_gas_limit}"
    if tip_cap(transaction) > fee_cap(transaction):
        return "max priority fee per gas higher than max fee per gas"
    if account.balance < max_cost(transaction):
        return (f"insufficient funds for gas * price + value: address {checksum(transaction.sender)} "
                f"have {account.balance} want {max_cost(transaction)}")
    return None


class TxPool:
    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._by_hash: dict[bytes, Pooled] = {}
        self._by_sender: dict[bytes, dict[int, Pooled]] = {}
        self._arrivals = 0
        self._by_price: list[tuple[int, int, bytes]] = []  # (fee cap, arrival, hash), stale entries left behind

    def __len__(self) -> int:
        return len(self._by_hash)

    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self._by_hash

    def get(self, tx_hash: bytes) -> Pooled | None:
        return self._by_hash.get(tx_hash)

    def all(self) -> list[Pooled]:
        """Every pooled transaction in arrival order."""
        return list(self._by_hash.values())  # insertion order; a replacement arrives anew

    def replacement_problem(self, transaction: Any, sender: bytes) -> str | None:
        """Why ``transaction`` may not replace the pooled one with its nonce (None: it may, or there is none)."""
        current = self._by_sender.get(sender, {}).get(transaction.nonce)
        if current is None:
            return None
        old = current.transaction
        bump = 100 + REPLACEMENT_BUMP_PERCENT
        if fee_cap(transaction) * 100 < fee_cap(old) * bump or tip_cap(transaction) * 100 < tip_cap(old) * bump:
            return (
                f"replacement transaction underpriced: both fee caps must rise by {REPLACEMENT_BUMP_PERCENT}% over "
                f"the pooled transaction {current.hash.to_0x_hex()}"
            )
        return None

    def of_sender(self, sender: bytes) -> list[Pooled]:
        """``sender``'s pooled transactions in nonce order."""
        by_nonce = self._by_sender.get(sender)
        return [by_nonce[nonce] for nonce in sorted(by_nonce)] if by_nonce else []

    def replaces(self, transaction: Any, sender: bytes) -> bool:
        return transaction.nonce in self._by_sender.get(sender, {})

    def cheapest(self) -> Pooled | None:
        """The remote pooled transaction with the lowest fee cap (the oldest of equals): the first to evict."""
        heap = self._by_price
        while heap:
            _, arrival, tx_hash = heap[0]
            pooled = self._by_hash.get(tx_hash)
            if pooled is not None and pooled.arrival == arrival:
                return pooled
            heapq.heappop(heap)
        return None

    def add(self, transaction: Any, sender: bytes, submitted_at: float, local: bool = False) -> Pooled | None:
        """Pool ``transaction``; returns the one it replaced, if any (checks, and room, are the caller's)."""
        replaced = self._by_sender.get(sender, {}).get(transaction.nonce)
        if replaced is not None:
            self.remove(replaced.hash)
        self._arrivals += 1
        first = replaced.first_submitted_at if replaced is not None else submitted_at
        pooled = Pooled(transaction, HexBytes(transaction.hash), sender, self._arrivals, submitted_at, first, local)
        self._by_hash[pooled.hash] = pooled
        self._by_sender.setdefault(sender, {})[transaction.nonce] = pooled
        if local:
            return replaced
        if len(self._by_price) > 2 * len(self._by_hash) + 64:  # compact the stale entries
            self._by_price = [(fee_cap(p.transaction), p.arrival, bytes(p.hash))
                              for p in self._by_hash.values() if not p.local]
            heapq.heapify(self._by_price)
        else:
            heapq.heappush(self._by_price, (fee_cap(transaction), pooled.arrival, bytes(pooled.hash)))
        return replaced

    def remove(self, tx_hash: bytes) -> Pooled | None:
        pooled = self._by_hash.pop(tx_hash, None)
        if pooled is not None:
            by_nonce = self._by_sender[pooled.sender]
            del by_nonce[pooled.nonce]
            if not by_nonce:
                del self._by_sender[pooled.sender]
        return pooled

    def clear(self) -> list[Pooled]:
        dropped = self.all()
        self._by_hash.clear()
        self._by_sender.clear()
        self._by_price.clear()
        return dropped

    def next_nonce(self, sender: bytes, state_nonce: int) -> int:
        """The nonce after ``sender``'s pooled transactions that follow ``state_nonce`` without a gap."""
        by_nonce = self._by_sender.get(sender)
        nonce = state_nonce
        while by_nonce and nonce in by_nonce:
            nonce += 1
        return nonce

    def expired(self, now: float, lifetime: int) -> list[Pooled]:
        """Transactions older than ``lifetime`` (arrival order is submission order, so they come first)."""
        found = []
        for pooled in self._by_hash.values():
            if now - pooled.submitted_at <= lifetime:
                break
            found.append(pooled)
        return found

    def candidates(self, base_fee: int, nonce_of: Callable[[bytes], int]) -> Iterator[Pooled]:
        """Transactions in block order: per sender in nonce order, across senders by effective tip.

        The consumer tells how it went with ``send(True)`` (included: the sender's next
        transaction becomes a candidate) or ``send(False)`` (skipped: so is the rest of
        that sender's queue, for this block). Transactions whose fee cap is below the base
        fee, and those behind a nonce gap, are not offered.
        """
        heap: list[tuple[int, int, Pooled]] = []
        for sender, by_nonce in self._by_sender.items():
            head = by_nonce.get(nonce_of(sender))
            if head is not None and fee_cap(head.transaction) >= base_fee:
                heap.append((-effective_tip(head.transaction, base_fee), head.arrival, head))
        heapq.heapify(heap)
        while heap:
            _, _, pooled = heapq.heappop(heap)
            included = yield pooled
            if included:
                following = self._by_sender.get(pooled.sender, {}).get(pooled.nonce + 1)
                if following is not None and fee_cap(following.transaction) >= base_fee:
                    heapq.heappush(heap, (-effective_tip(following.transaction, base_fee), following.arrival, following))

    def stale(self, nonce_of: Callable[[bytes], int]) -> list[Pooled]:
        """Pooled transactions whose nonce the chain has already used."""
        return [p for p in self.all() if p.nonce < nonce_of(p.sender)]
