"""What the simulation knows of the on-chain pools: their reserves, and observations of their
cumulative prices for time-weighted averages, as a Uniswap v2 oracle keeps them, shared by every agent.

Reserves are learned from the pools' ``Sync`` events (each carries the reserves it leaves), so
agents read a pool's state without a call; after a reorg the watch reads them again.

The watch observes each pool (one ``eth_call`` of ``current_cumulative_prices``) whenever it is
asked to (at every oracle round) and keeps the observations; the TWAP over a window is the
change of the cumulative price between the newest observation and the newest one at least a
window older (the oldest one while the history is shorter), divided by the time between them.
"""

from __future__ import annotations

from collections import deque
from typing import Iterable

from protocol.amm import AmmPool, Observation, Reserves, average_price
from protocol.events import ContractEvent

MAX_OBSERVATIONS = 4_096


class PoolWatch:
    def __init__(self, pools: Iterable[AmmPool]) -> None:
        self.pools = {pool.key: pool for pool in pools}
        self._by_address = {(pool.chain.name, pool.address): pool for pool in self.pools.values()}
        self._history: dict[str, deque[Observation]] = {key: deque(maxlen=MAX_OBSERVATIONS) for key in self.pools}
        self._reserves: dict[str, Reserves] = {}
        self.refresh()

    def of_asset(self, asset: str) -> list[AmmPool]:
        return [pool for pool in self.pools.values() if pool.asset == asset]

    def pool_at(self, chain: str, address: str) -> AmmPool:
        return self._by_address[(chain, address)]

    def refresh(self, chain: str | None = None) -> None:
        """Read the reserves from the chain (all pools, or those of one chain)."""
        for key, pool in self.pools.items():
            if chain is None or pool.chain.name == chain:
                self._reserves[key] = pool.reserves()

    def on_sync(self, t: float, chain: str, event: ContractEvent) -> None:
        pool = self._by_address[(chain, event.address)]
        self._reserves[pool.key] = Reserves(event.reserve_base, event.reserve_quote, 0)

    def reserves(self, key: str) -> Reserves:
        """The reserves as of the latest mined block (the timestamp is not tracked: 0)."""
        return self._reserves[key]

    def price(self, key: str) -> float:
        return self.pools[key].price(self._reserves[key])

    def observe(self) -> None:
        for key, pool in self.pools.items():
            observation = pool.observe()
            history = self._history[key]
            if not history or observation.timestamp != history[-1].timestamp:
                history.append(observation)

    def twap(self, key: str, window: float) -> float:
        """The pool's time-weighted price over the last ``window`` seconds, whole quote per whole base token."""
        pool = self.pools[key]
        history = self._history[key]
        if len(history) < 2:
            return self.price(key)
        newest = history[-1]
        older = history[0]
        for observation in reversed(history):
            if (newest.timestamp - observation.timestamp) % 2**32 >= window:
                older = observation
                break
        average = average_price(older, newest)
        return self.price(key) if average is None else pool.to_price(average)
