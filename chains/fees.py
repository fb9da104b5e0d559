"""What a transaction offers to pay: the suggestion a node gives, and a bid an agent makes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

DEFAULT_PRIORITY_FEE = 10**9  # 1 gwei, geth's suggested tip


class HasBaseFee(Protocol):
    @property
    def next_base_fee(self) -> int: ...


@dataclass(frozen=True)
class FeeBid:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def suggested_bid(chain: HasBaseFee, priority_fee: int = DEFAULT_PRIORITY_FEE) -> FeeBid:
    """geth's and web3's default: room for the base fee to double, plus the tip."""
    return FeeBid(2 * chain.next_base_fee + priority_fee, priority_fee)
