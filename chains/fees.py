"""What a transaction offers to pay: the suggestion a node gives, a bid an agent makes, and bidding policies.

A policy is how a sender bids (:meth:`Chain.send` asks the sender's policy when given no
fees) and whether it re-bids a transaction that waits too long (the chain replaces it
before the next block, as a wallet's speed-up does). Three, as agents bid in practice:

* ``fixed``: one gas price, whatever the base fee (legacy clients; MakerDAO's reference
  keepers in March 2020). Below the base fee the transaction waits.
* ``suggested``: the node's suggestion, twice the next base fee plus a tip (geth, web3).
* ``adaptive``: starts at the suggestion and, while it waits, re-bids every
  ``replace_after`` seconds, both caps up by ``bump``, never above ``max_gwei`` nor above
  ``profit_share`` of what the transaction is worth to its sender (its stake, when it
  has one: a keeper's expected bonus).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping, Protocol

from chains.schema import choice, number, reject_unknown, table

DEFAULT_PRIORITY_FEE = 10**9  # 1 gwei, geth's suggested tip
GWEI = 10**9
STRATEGIES = ("fixed", "suggested", "adaptive")
MIN_BUMP = 0.1  # a replacement must raise both caps by 10% (geth)
MAX_REMEMBERED = 4_096  # caps an adaptive policy keeps (by nonce) for transactions that may still wait


class HasBaseFee(Protocol):
    @property
    def next_base_fee(self) -> int: ...


@dataclass(frozen=True)
class FeeBid:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int

    def effective_price(self, base_fee: int) -> int:
        """What it pays per gas in a block with ``base_fee`` (if it is included there)."""
        return min(self.max_fee_per_gas, base_fee + self.max_priority_fee_per_gas)


def suggested_bid(chain: HasBaseFee, priority_fee: int = DEFAULT_PRIORITY_FEE) -> FeeBid:
    """geth's and web3's default: room for the base fee to double, plus the tip."""
    return FeeBid(2 * chain.next_base_fee + priority_fee, priority_fee)


class FeePolicy(Protocol):
    replace_after: float | None  # seconds a transaction waits before it is re-bid; None: never

    def bid(self, chain: HasBaseFee, gas: int, nonce: int) -> FeeBid: ...

    def quote(self, chain: HasBaseFee, gas: int) -> FeeBid:
        """What :meth:`bid` would offer now, without sending (nothing is remembered)."""
        ...

    def rebid(self, chain: HasBaseFee, current: FeeBid, gas: int, nonce: int, waited: float) -> FeeBid | None: ...


class FixedPrice:
    """One gas price as both caps: a legacy transaction's ``gasPrice`` in EIP-1559 terms."""

    replace_after = None

    def __init__(self, price: int) -> None:
        self.price = price

    def bid(self, chain: HasBaseFee, gas: int, nonce: int) -> FeeBid:
        return FeeBid(self.price, self.price)

    def quote(self, chain: HasBaseFee, gas: int) -> FeeBid:
        return FeeBid(self.price, self.price)

    def rebid(self, chain: HasBaseFee, current: FeeBid, gas: int, nonce: int, waited: float) -> FeeBid | None:
        return None


class Suggested:
    replace_after = None

    def __init__(self, priority_fee: int) -> None:
        self.priority_fee = priority_fee

    def bid(self, chain: HasBaseFee, gas: int, nonce: int) -> FeeBid:
        return suggested_bid(chain, self.priority_fee)

    def quote(self, chain: HasBaseFee, gas: int) -> FeeBid:
        return suggested_bid(chain, self.priority_fee)

    def rebid(self, chain: HasBaseFee, current: FeeBid, gas: int, nonce: int, waited: float) -> FeeBid | None:
        return None


class Adaptive:
    """The suggestion, re-bid up to a cap; the cap shrinks with what the transaction is worth.

    ``stake_usd`` (set by the sender before it sends, None for none) bounds the fee: the gas
    the sender expects to use (``stake_gas``, else the transaction's limit) may cost at most
    ``profit_share`` of it, at the native token's price ``native_usd()``. The cap a transaction
    was sent with stays with it through its re-bids; a stuck one may also rise to the caps of
    the sender's transactions queued behind it (they cannot land before it does).
    """

    def __init__(self, priority_fee: int, max_fee: int, replace_after: float, bump: float, profit_share: float,
                 native_usd: Callable[[], float]) -> None:
        self.priority_fee = priority_fee
        self.max_fee = max_fee
        self.replace_after = replace_after
        self.bump = bump
        self.profit_share = profit_share
        self.native_usd = native_usd
        self.stake_usd: float | None = None
        self.stake_gas: int | None = None
        self._caps: dict[int, int] = {}  # nonce -> the cap its transaction was sent with

    def cap(self, gas: int) -> int:
        if self.stake_usd is None:
            return self.max_fee
        gas = self.stake_gas or gas
        affordable = self.profit_share * max(self.stake_usd, 0.0) / self.native_usd() * 10**18 / max(gas, 1)
        return max(1, min(self.max_fee, int(affordable)))

    def quote(self, chain: HasBaseFee, gas: int) -> FeeBid:
        max_fee = min(self.cap(gas), 2 * chain.next_base_fee + self.priority_fee)
        return FeeBid(max_fee, min(self.priority_fee, max_fee))

    def bid(self, chain: HasBaseFee, gas: int, nonce: int) -> FeeBid:
        if len(self._caps) > MAX_REMEMBERED:  # long mined: forget the oldest half
            for old in sorted(self._caps)[: MAX_REMEMBERED // 2]:
                del self._caps[old]
        self._caps[nonce] = self.cap(gas)
        return self.quote(chain, gas)

    def rebid(self, chain: HasBaseFee, current: FeeBid, gas: int, nonce: int, waited: float) -> FeeBid | None:
        cap = max((c for n, c in self._caps.items() if n >= nonce), default=self.max_fee)
        tip = math.ceil(current.max_priority_fee_per_gas * (1 + self.bump))
        max_fee = min(cap, max(math.ceil(current.max_fee_per_gas * (1 + self.bump)), 2 * chain.next_base_fee + tip))
        tip = min(tip, max_fee)
        if max_fee * 100 < current.max_fee_per_gas * 110 or tip * 100 < current.max_priority_fee_per_gas * 110:
            return None  # at its cap: it waits as it is
        return FeeBid(max_fee, tip)


MAX_GWEI = 100_000.0  # per gas, in any fee setting: far above any fee mainnet has seen; more is surely a typo

@dataclass(frozen=True)
class FeeStrategy:
    """A ``fees`` table of a scenario: which policy an agent bids with, and its settings."""

    strategy: str = "suggested"
    gas_price_gwei: float = 50.0  # fixed
    priority_gwei: float = 1.0  # suggested and adaptive: the tip (adaptive: the first one)
    max_gwei: float = 2_000.0  # adaptive: never more per gas
    replace_after: float = 36.0  # adaptive: seconds before a waiting transaction is re-bid
    bump: float = 0.125  # adaptive: each re-bid raises both caps by this share (at least 0.1)
    profit_share: float = 0.5  # adaptive: the most of a transaction's stake its gas may take
    KEYS: tuple[str, ...] = field(default=("strategy", "gas_price_gwei", "priority_gwei", "max_gwei",
                                           "replace_after", "bump", "profit_share"), repr=False, compare=False)

    @classmethod
    def from_dict(cls, data: Any, path: str, default: "FeeStrategy | None" = None) -> "FeeStrategy":
        d = default or cls()
        data = table(data, path)
        reject_unknown(data, cls.KEYS, path)
        strategy = choice(data, "strategy", path, STRATEGIES, d.strategy)
        return cls(
            strategy=strategy,
            gas_price_gwei=number(data, "gas_price_gwei", path, d.gas_price_gwei, above=0, maximum=MAX_GWEI),
            priority_gwei=number(data, "priority_gwei", path, d.priority_gwei, minimum=0, maximum=MAX_GWEI),
            max_gwei=number(data, "max_gwei", path, d.max_gwei, above=0, maximum=MAX_GWEI),
            replace_after=number(data, "replace_after", path, d.replace_after, above=0),
            bump=number(data, "bump", path, d.bump, minimum=MIN_BUMP, maximum=10),
            profit_share=number(data, "profit_share", path, d.profit_share, above=0, maximum=1),
        )

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "KEYS"}

    def policy(self, native_usd: Callable[[], float] = lambda: 2_000.0) -> FeePolicy:
        """A fresh policy (one per sender and chain: an adaptive one remembers its transactions' caps)."""
        if self.strategy == "fixed":
            return FixedPrice(gwei(self.gas_price_gwei))
        if self.strategy == "suggested":
            return Suggested(gwei(self.priority_gwei))
        return Adaptive(gwei(self.priority_gwei), gwei(self.max_gwei), self.replace_after, self.bump,
                        self.profit_share, native_usd)


def gwei(value: float) -> int:
    return int(round(value * GWEI))


def fee_strategy(data: Mapping[str, Any], key: str, path: str, default: FeeStrategy | None = None) -> FeeStrategy:
    """``data[key]`` as a :class:`FeeStrategy` (``default`` when absent)."""
    if key not in data:
        return default or FeeStrategy()
    return FeeStrategy.from_dict(data[key], f"{path}.{key}" if path else key, default)
