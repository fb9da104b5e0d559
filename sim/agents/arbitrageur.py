"""Arbitrageurs: trade each pool toward the reference price, with their own capital and latency.

This is how an on-chain price recovers after a forced sale, or fails to. Every ``check_interval``
an arbitrageur reads a pool and the reference price; when buying the cheap side up to the
profit-maximising size (which leaves the pool's marginal price, fee included, at the reference)
would earn more than ``min_profit_usd`` after gas, it waits its ``latency``, sizes the trade again
on the pool as it is then, and sends it with a minimum-out (the price it saw, less half a
percent). It holds what it trades: its USDC (``capital_usd``) and its stock of every pooled asset
(``inventory_usd`` of each), minted on every vault chain at the start, are all it has; once the
USDC is spent a pool that forced sales pushed below the reference stays down, and once the stock
is sold a pool above the reference stays up. One trade per pool in flight at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from chains.seeding import derive_rng
from protocol.amm import SWAP_GAS_TYPICAL, AmmPool, amount_out, optimal_input

if TYPE_CHECKING:
    from sim.world import World

MAX_UINT = 2**256 - 1
EXECUTION_TOLERANCE = 0.005  # the minimum-out allows this much worse than the price sized on


@dataclass(frozen=True)
class Opportunity:
    side_in: str  # "quote": buy the asset; "base": sell it
    amount_in: int
    amount_out: int
    profit_usd: float  # after gas


class Arbitrageur:
    def __init__(self, world: "World", index: int, account: LocalAccount) -> None:
        self.world = world
        self.index = index
        self.address = account.address
        self.name = f"arbitrageur-{index}"
        self.config = world.scenario.arbitrageurs
        self.rng = derive_rng(world.scenario.seed, "arbitrageur", index)
        self.given: dict[tuple[str, str], int] = {}  # (chain, asset) -> native units minted at the start
        self._in_flight: dict[str, HexBytes] = {}  # pool key -> its trade not yet mined

    def fund(self) -> None:
        """Mint the starting USDC and stock on every vault chain with pools, and approve the pools for both tokens."""
        world = self.world
        quote = world.scenario.protocol.amm.quote
        for chain in world.protocol.vault_chains:
            pools = world.protocol.pools.get(chain, {})
            if not pools:
                continue
            self._mint(chain, quote, self.config.capital_usd)
            for pool in pools.values():
                self._mint(chain, pool.asset, self.config.inventory_usd)
                for asset in (pool.asset, quote):
                    world.protocol.token(chain, asset).approve(self.address, pool.address, MAX_UINT)

    def starting_value(self) -> float:
        """What it was given, valued at today's reference prices: holding it would be worth this (USD)."""
        protocol = self.world.scenario.protocol
        return sum(units / 10**protocol.asset(asset).decimals * self.world.price(asset)
                   for (chain, asset), units in self.given.items())

    def _mint(self, chain: str, asset: str, usd: float) -> None:
        decimals = self.world.scenario.protocol.asset(asset).decimals
        units = int(usd / self.world.price(asset) * 10**decimals)
        if units:
            self.world.mint(chain, asset, self.address, units)
            self.given[(chain, asset)] = units

    def start(self) -> None:
        for pool in self.world.protocol.all_pools():
            self.world.env.process(self._watch(pool))

    def opportunity(self, pool: AmmPool) -> Opportunity | None:
        """The most profitable trade on ``pool`` now, if it clears the minimum profit."""
        world = self.world
        reserves = world.pool_watch.reserves(pool.key)
        quote_usd = world.price(pool.quote)
        rate = world.price(pool.asset) / quote_usd * 10 ** (pool.quote_decimals - pool.base_decimals)
        unit = 10**pool.quote_decimals
        buy = optimal_input(reserves.quote, reserves.base, pool.fee_pips, rate)
        sell = optimal_input(reserves.base, reserves.quote, pool.fee_pips, 1.0 / rate)
        if buy == 0 and sell == 0:
            return None  # the pool is within its fee of the reference: nothing pays
        gas_usd = world.fee_market.expected_cost_usd(pool.chain.name, self.address, SWAP_GAS_TYPICAL)
        tokens = world.protocol.tokens[pool.chain.name]
        held_quote = tokens[pool.quote].balance_of(self.address) if buy else 0
        held_base = tokens[pool.asset].balance_of(self.address) if sell else 0
        best: Opportunity | None = None
        buy = min(held_quote, buy)
        if buy > 0:
            got = amount_out(buy, reserves.quote, reserves.base, pool.fee_pips)
            best = Opportunity("quote", buy, got, (got * rate - buy) / unit * quote_usd - gas_usd)
        sell = min(held_base, sell)
        if sell > 0:
            got = amount_out(sell, reserves.base, reserves.quote, pool.fee_pips)
            profit = (got - sell * rate) / unit * quote_usd - gas_usd
            if best is None or profit > best.profit_usd:
                best = Opportunity("base", sell, got, profit)
        if best is None or best.amount_out == 0 or best.profit_usd < self.config.min_profit_usd:
            return None
        return best

    def _watch(self, pool: AmmPool) -> Generator[Any, Any, None]:
        world, chain = self.world, pool.chain
        yield world.env.timeout(self.rng.uniform(0.0, self.config.check_interval))
        while True:
            pending = self._in_flight.get(pool.key)
            if pending is not None and world.failure(chain, pending) == "not mined":
                yield world.env.timeout(self.config.check_interval)
                continue
            self._in_flight.pop(pool.key, None)
            if self.opportunity(pool) is not None:
                yield world.env.timeout(self.config.latency)
                seen = self.opportunity(pool)
                if seen is not None:
                    min_out = int(seen.amount_out * (1.0 - EXECUTION_TOLERANCE))
                    self._in_flight[pool.key] = pool.swap(self.address, seen.side_in, seen.amount_in, min_out)
                    world.record(self.name, "arbitrage", pool=pool.key, side_in=seen.side_in,
                                 amount_in=seen.amount_in, expected_out=seen.amount_out,
                                 expected_profit_usd=round(seen.profit_usd, 2))
            yield world.env.timeout(self.config.check_interval)
