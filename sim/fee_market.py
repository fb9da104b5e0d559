"""Who bids how on which chain, and what the fee market did: per-chain congestion figures and agents' gas paid.

Each agent's ``fees`` strategy becomes a policy on every chain it sends on (the chain
bids with it and re-bids its stuck transactions). After every block this records the
base fee, how full the block was, how many transactions were left waiting, and each
included transaction's wait from its first submission, by the kind of agent that sent
it; and what every sender paid for gas (gas used times the price it paid, valued in USD
at the native token's price when the block was mined).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator

from eth_utils import to_canonical_address

from chains import Chain, MinedBlock
from chains.fees import GWEI, FeePolicy, FeeStrategy
from sim.metrics import delay_stats

LOST = ("expired", "evicted")  # reasons a transaction left a pool without a block (a replacement is not lost)


class ChainFees:
    """One chain's record, block by block."""

    def __init__(self) -> None:
        self.base_fees: list[float] = []  # gwei, per block
        self.fullness: list[float] = []  # gas used / gas limit, per block
        self.mempool_max = 0
        self.delays: dict[str, list[float]] = defaultdict(list)  # agent kind -> inclusion delays (s)

    def summary(self, chain: Chain) -> dict[str, Any]:
        fees = sorted(self.base_fees)
        return {
            "base_fee_gwei": {"min": round(fees[0], 4), "p50": round(fees[len(fees) // 2], 4), "max": round(fees[-1], 4)}
            if fees else {"min": None, "p50": None, "max": None},
            "block_fullness": round(sum(self.fullness) / len(self.fullness), 4) if self.fullness else None,
            "mempool_max": self.mempool_max,
            "inclusion_delay_s": {kind: delay_stats(values) for kind, values in sorted(self.delays.items())},
            "dropped": sum(chain.dropped[reason] for reason in LOST),
            "dropped_by_reason": {reason: chain.dropped[reason] for reason in LOST if chain.dropped[reason]},
        }


class FeeMarket:
    def __init__(self, chains: Iterable[Chain], native_usd: Callable[[], float]) -> None:
        self.chains = {chain.name: chain for chain in chains}
        self.native_usd = native_usd
        self.kinds: dict[bytes, str] = {}  # sender -> the kind of agent it is
        self.by_chain = {name: ChainFees() for name in self.chains}
        self.gas_paid_usd: Counter[bytes] = Counter()
        self.gas_paid_wei: Counter[bytes] = Counter()

    def assign(self, kind: str, address: str, strategy: FeeStrategy | None, chains: Iterable[str] | None = None) -> None:
        """``address`` is a ``kind`` (for the inclusion delays) and bids with ``strategy`` (None: as it is given)."""
        sender = to_canonical_address(address)
        self.kinds[sender] = kind
        if strategy is None:
            return
        for name in chains if chains is not None else self.chains:
            self.chains[name].set_fee_policy(sender, strategy.policy(self.native_usd))

    def policy(self, chain: str, address: str) -> FeePolicy | None:
        return self.chains[chain].fee_policies.get(to_canonical_address(address))

    def expected_cost_usd(self, chain: str, address: str, gas: int) -> float:
        """What ``gas`` would cost ``address`` in the next block at the price its policy bids."""
        target = self.chains[chain]
        policy = self.policy(chain, address)
        base = target.next_base_fee
        price = base + GWEI if policy is None else policy.quote(target, gas).effective_price(base)
        return gas * price / 10**18 * self.native_usd()

    @contextmanager
    def stake(self, chain: str, address: str, usd: float, gas: int | None = None) -> Iterator[None]:
        """Transactions ``address`` sends on ``chain`` inside are worth ``usd`` to it and should use about ``gas``
        (an adaptive bid's bound)."""
        policy = self.policy(chain, address)
        if not hasattr(policy, "stake_usd"):
            yield
            return
        policy.stake_usd, policy.stake_gas = usd, gas
        try:
            yield
        finally:
            policy.stake_usd, policy.stake_gas = None, None

    def on_block(self, chain: Chain, block: MinedBlock) -> None:
        record = self.by_chain[chain.name]
        header = block.header
        record.base_fees.append(header.base_fee_per_gas / GWEI)
        record.fullness.append(header.gas_used / header.gas_limit)
        record.mempool_max = max(record.mempool_max, len(chain.pool))
        if not block.receipts:
            return
        native = self.native_usd()
        for receipt in block.receipts:
            paid = receipt.gas_used * receipt.effective_gas_price
            self.gas_paid_wei[receipt.sender] += paid
            self.gas_paid_usd[receipt.sender] += paid / 10**18 * native
            record.delays[self.kinds.get(receipt.sender, "other")].append(block.timestamp - receipt.submitted_at)

    def paid_usd(self, address: str) -> float:
        return self.gas_paid_usd[to_canonical_address(address)]

    def summary(self) -> dict[str, dict[str, Any]]:
        return {name: self.by_chain[name].summary(chain) for name, chain in self.chains.items()}

    def sample(self) -> dict[str, tuple[float, int]]:
        """Each chain's next base fee (gwei) and pool depth now, for the time series."""
        return {name: (round(chain.next_base_fee / GWEI, 4), len(chain.pool)) for name, chain in self.chains.items()}

