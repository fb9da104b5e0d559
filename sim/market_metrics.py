"""What a run measured of its markets: price falls and their amplification, forced sales and their
slippage, liquidation waves, keepers' and arbitrageurs' results, auto-deleveraging and the backstop.

Learned from chain events (oracle ``PriceUpdated``, the engine's ``PositionChanged``, pool ``Swap``,
``Deleveraged``, ``TakenOver``) and, at the end, from balances on the chains valued at the
reference price. The headline fields describe the feed whose fundamental fell the most:

* ``exogenous_drop``: the largest peak-to-trough fall of the scenario's price path (the fundamental);
* ``realised_drop``: the same for the oracle's price on the perp chain;
* ``amplification``: realised over exogenous;
* ``forced_sales_usd``: what was sold by force, net per transaction: liquidations closing longs
  into the reference market (less what the backstop took over in the same transaction) and
  keepers selling seized collateral on the pools;
* ``slippage_usd``: what keepers' sales fetched below the reference price (the pool's fee included);
* ``waves``: bursts of liquidations separated by at least ``metrics.wave_gap`` quiet seconds.

Keepers' ``pnl_usd`` is what they hold (bonuses, sale proceeds, inventory) at the reference price
less their gas; arbitrageurs' is their trading result: what they hold less what holding their
starting stock would be worth, less gas.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from protocol import WAD
from protocol.events import ContractEvent
from sim.metrics import usd

if TYPE_CHECKING:
    from sim.world import World


def max_drawdown(prices: Iterable[float]) -> float:
    values = np.asarray(list(prices), dtype=float)
    if values.size == 0:
        return 0.0
    peaks = np.maximum.accumulate(values)
    return float(np.max(1.0 - values / peaks))


def waves(times: Iterable[float], gap: float) -> int:
    ordered = sorted(times)
    return sum(1 for i, t in enumerate(ordered) if i == 0 or t - ordered[i - 1] >= gap)


class MarketMetrics:
    def __init__(self, world: "World") -> None:
        self.world = world
        self.oracle_path: dict[str, list[tuple[float, float]]] = defaultdict(list)
        self._flows: dict[tuple[bytes, str], float] = defaultdict(float)  # (tx, feed) -> signed forced USD
        self.keeper_sales: list[tuple[float, str, float, float]] = []  # t, pool, reference value, proceeds (USD)
        self.arbitrage_trades = 0
        self.arbitrage_volume_usd = 0.0
        self.adl_steps = 0
        self.adl_volume = 0  # USD WAD
        self.adl_recovered = 0
        self.taken_over = 0
        self.taken_over_notional = 0
        self.backstop_declined = 0
        self._declined: set[tuple[str, str, int]] = set()

    # -- inputs ------------------------------------------------------------------

    def declined(self, keeper: str, account: str, bucket: int) -> None:
        self._declined.add((keeper, account, bucket))

    def forced_trade(self, t: float, event: ContractEvent, feed: str, notional_usd: float) -> None:
        self._flows[(bytes(event.tx_hash), feed)] += notional_usd

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        name = type(event).__name__
        world = self.world
        if name == "PriceUpdated":
            self.oracle_path[world.protocol.oracle.feeds[event.feed]].append((t, event.price / WAD))
        elif name == "Swap":
            pool = world.pool_by_address(chain, event.address)
            selling_base = event.token_in == pool.base_token
            base_units = event.amount_in if selling_base else event.amount_out
            quote_units = event.amount_out if selling_base else event.amount_in
            value = base_units / 10**pool.base_decimals * world.price(pool.asset)
            quote_usd = quote_units / 10**pool.quote_decimals * world.price(pool.quote)
            if event.sender in world.keeper_addresses and selling_base:
                self.keeper_sales.append((t, pool.key, value, quote_usd))
            elif event.sender in world.arbitrageur_addresses:
                self.arbitrage_trades += 1
                self.arbitrage_volume_usd += quote_usd
        elif name == "Deleveraged":
            self.adl_steps += 1
            self.adl_volume += abs(event.size_delta) * event.price // WAD
            self.adl_recovered += event.recovered
        elif name == "TakenOver":
            self.taken_over += 1
            self.taken_over_notional += event.closed_notional

    # -- derived -------------------------------------------------------------------

    def drops(self, feed: str) -> dict[str, float | None]:
        world = self.world
        start, end = world.start, world.env.now
        path = world.reference.paths[feed]
        step = path.model.step
        grid = np.arange(np.ceil(start / step) * step, end + step / 2, step)
        fundamental = [world.reference.fundamental(feed, t) for t in grid]
        reference = [world.reference.price(feed, t) for t in grid]
        oracle = [world.initial_oracle[feed], *(price for t, price in self.oracle_path.get(feed, ()) if t >= start)]
        exogenous, realised = max_drawdown(fundamental), max_drawdown(oracle)
        return {
            "exogenous_drop": round(exogenous, 6),
            "reference_drop": round(max_drawdown(reference), 6),
            "realised_drop": round(realised, 6),
            "amplification": round(realised / exogenous, 4) if exogenous > 0 else None,
        }

    def summary(self) -> dict[str, Any]:
        world = self.world
        feeds = list(world.reference.paths)
        by_feed = {feed: self.drops(feed) for feed in feeds}
        headline = max(feeds, key=lambda f: (by_feed[f]["exogenous_drop"], -feeds.index(f)))
        liquidation_sales = sum(-net for net in self._flows.values() if net < 0)
        pool_sales = sum(value for _, _, value, _ in self.keeper_sales)
        slippage = sum(value - proceeds for _, _, value, proceeds in self.keeper_sales)
        return {
            "market": {
                "feed": headline,
                **by_feed[headline],
                "forced_sales_usd": round(liquidation_sales + pool_sales, 2),
                "forced_sales": {"liquidations_usd": round(liquidation_sales, 2), "keeper_pool_sales_usd": round(pool_sales, 2),
                                 "keeper_pool_sales": len(self.keeper_sales)},
                "slippage_usd": round(slippage, 2),
                "waves": waves((r.t for r in world.metrics.liquidations), world.scenario.wave_gap),
                "by_feed": by_feed,
                "pools": self._pools(),
                "arbitrage": {"trades": self.arbitrage_trades, "volume_usd": round(self.arbitrage_volume_usd, 2),
                              "pnl_usd": round(sum(self._pnl(a.address) - a.starting_value() for a in world.arbitrageurs),
                                               2)},
            },
            "keepers": {
                "pnl_usd": round(sum(self._pnl(k.address) for k in world.keepers), 2),
                "gas_paid_usd": round(sum(world.fee_market.paid_usd(k.address) for k in world.keepers), 2),
                "declined": len(self._declined),
                "inventory_usd": round(sum(self._holdings_usd(k.address, quote=False) for k in world.keepers), 2),
            },
            "adl": {
                "mode": world.scenario.protocol.adl.mode,
                "count": self.adl_steps,
                "volume_usd": usd(self.adl_volume),
                "recovered_usd": usd(self.adl_recovered),
            },
            "backstop": {
                "taken_over_usd": usd(self.taken_over_notional),
                "count": self.taken_over,
                "declined": self.backstop_declined,
                "capital_usd": float(world.scenario.protocol.backstop.capital),
                "equity_usd": usd(world.protocol.engine.bucket(world.protocol.backstop.address).equity),
            },
        }

    def _pools(self) -> dict[str, dict[str, float]]:
        out = {}
        for pool in self.world.protocol.all_pools():
            reference = self.world.price(pool.asset)
            price = self.world.pool_watch.price(pool.key)
            out[pool.key] = {"price": round(price, 6), "reference": round(reference, 6),
                             "deviation": round(price / reference - 1.0, 6) if reference else None}
        return out

    def _holdings_usd(self, address: str, quote: bool = True) -> float:
        world = self.world
        total = 0.0
        for chain in world.protocol.vault_chains:
            for asset, token in world.protocol.tokens[chain].items():
                if not quote and asset == world.scenario.protocol.amm.quote:
                    continue
                held = token.balance_of(address)
                if held:
                    total += held / 10**world.scenario.protocol.asset(asset).decimals * world.price(asset)
        return total

    def _pnl(self, address: str) -> float:
        """What an agent holds now at the reference price, its gains credited on the perp chain included,
        less the gas it paid (gas used times the price paid; it started with nothing but the capital counted
        separately)."""
        credited = self.world.protocol.engine.balance(address) / WAD
        return self._holdings_usd(address) + credited - self.world.fee_market.paid_usd(address)
