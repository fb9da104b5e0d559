"""Keepers: liquidate underwater buckets when it pays, and sell the collateral they are paid on the pools.

A keeper's bonus is collateral seized for it on the vault chain (only what is left once the
account's loss is paid), delivered by ``Seize`` over the bridge. Before it acts, a keeper previews
the liquidation from the bucket's state and prices the bonus as it will realise it: sold on that
vault chain's pool at the pool's current depth (slippage and the pool's fee counted), up to its
slippage limit, the rest held at the reference price; it subtracts the gas of the liquidation
and of each sale (the gas it last used for one, at the price its fee strategy would pay in the
next block), and declines when what is left is below its minimum profit, as real keepers do. An
adaptive fee strategy is bounded by that profit: gas may take at most its share of the bonus.

Three limits throttle it in a cascade. Settlement risk: its willingness is
``1 / (1 + expected_delay / delay_tolerance)``, the expected delay being the mean
liquidation-to-seizure delay observed so far (the bridge's configured latency before one is
observed). At most ``max_unsettled`` liquidations whose bonus is still in flight. And its
capital: bonuses in flight plus unsold inventory, at the reference price, never above
``capital_usd``. Its inventory policy (``sell`` or ``hold``) decides what happens to seized
collateral; a sale never goes below ``max_slippage`` under the reference price (its minimum-out),
and what it could not sell is offered again at every scan.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, Generator

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes

from chains.seeding import derive_rng
from protocol import WAD
from protocol.amm import SWAP_GAS_TYPICAL, AmmPool, amount_out, max_sale
from protocol.engine import LIQUIDATE_GAS_TYPICAL
from protocol.events import ContractEvent
from protocol.liquidation import LiquidationPreview, preview_liquidation
from sim.health import HealthScan

if TYPE_CHECKING:
    from sim.world import World

REACTION_MAX = 2.0  # seconds between seeing a scan and acting on it
MAX_UINT = 2**256 - 1


class Keeper:
    def __init__(self, world: "World", index: int, account: LocalAccount) -> None:
        self.world = world
        self.index = index
        self.address = account.address
        self.name = f"keeper-{index}"
        self.config = world.scenario.keepers
        self.rng = derive_rng(world.scenario.seed, "keeper", index)
        self.params = world.scenario.protocol.liquidation
        self.quote = world.scenario.protocol.amm.quote
        self.holdings: Counter[tuple[str, str]] = Counter()  # (chain, asset) -> native units held
        self._approved: set[str] = set()
        self._selling: set[str] = set()  # pools with a sale in flight
        self._in_flight: dict[HexBytes, float] = {}  # liquidations sent, not yet mined: expected bonus USD
        self._pending: dict[tuple[str, int], HexBytes] = {}  # (account, bucket) -> its liquidation waiting to be mined
        self.gas = {"liquidate": LIQUIDATE_GAS_TYPICAL, "swap": SWAP_GAS_TYPICAL}  # the last one's gas used

    # -- what the chains and the monitor say ---------------------------------------------

    def on_scan(self, scan: HealthScan) -> None:
        if scan.liquidatable:
            self.world.env.process(self._act(scan.liquidatable))
        if self.config.inventory == "sell":
            for chain, asset in sorted(self.holdings):
                if self.holdings[(chain, asset)] and asset != self.quote:
                    self.world.env.process(self._sell(chain, asset))

    def on_seized(self, t: float, chain: str, event: ContractEvent) -> None:
        """Collateral seized for this keeper arrived on a vault chain."""
        asset = self.world.protocol.vault(chain).asset_of(event.token)
        self.holdings[(chain, asset)] += event.amount
        if self.config.inventory == "sell" and asset != self.quote:
            self.world.env.process(self._sell(chain, asset))

    def on_swap(self, t: float, chain: str, event: ContractEvent) -> None:
        pool = self.world.pool_by_address(chain, event.address)
        self.holdings[(chain, pool.asset)] -= event.amount_in

    # -- pricing an opportunity --------------------------------------------------------

    def bonus_value(self, preview: LiquidationPreview) -> tuple[float, list[str]]:
        """The bonus as this keeper would realise it (USD) and the vault chains of the sales that takes."""
        world = self.world
        value, sales = preview.bonus_from_gains / WAD, []
        for cid, amount in preview.bonus_tokens:
            info = world.protocol.catalog.by_cid(cid)
            reference = world.price(info.asset)
            pool = world.protocol.pools.get(info.chain, {}).get(info.asset)
            if pool is None or info.asset == self.quote or self.config.inventory == "hold":
                value += amount / 10**info.decimals * reference  # kept: worth the reference price
                continue
            sold = self.sellable(pool, amount)
            if sold:
                reserves = world.pool_watch.reserves(pool.key)
                value += amount_out(sold, reserves.base, reserves.quote, pool.fee_pips) / 10**pool.quote_decimals \
                    * world.price(self.quote)
                sales.append(info.chain)
            value += (amount - sold) / 10**info.decimals * reference
        return value, sales

    def sellable(self, pool: AmmPool, amount: int) -> int:
        """How much of ``amount`` can be sold now within the slippage limit."""
        reserves = self.world.pool_watch.reserves(pool.key)
        rate = self.world.price(pool.asset) / self.world.price(self.quote) * 10 ** (pool.quote_decimals - pool.base_decimals)
        return min(amount, max_sale(reserves.base, reserves.quote, pool.fee_pips, rate, self.config.max_slippage))

    def exposure(self) -> float:
        """USD at risk now: bonuses sent or in flight, and unsold inventory at the reference price."""
        world = self.world
        in_flight = sum(self._in_flight.values())
        unsettled = sum(r.bonus / WAD for r in world.metrics.liquidations
                        if r.liquidator == self.address and r.seize_messages and r.settlement_delay is None)
        held = sum(amount / 10**world.protocol.config.asset(asset).decimals * world.price(asset)
                   for (chain, asset), amount in self.holdings.items() if asset != self.quote)
        return in_flight + unsettled + held

    def gas_cost(self, sales: list[str]) -> float:
        """USD of gas for the liquidation and its sales, at what this keeper's fee strategy would pay now."""
        fees, perp = self.world.fee_market, self.world.scenario.perp_chain
        return fees.expected_cost_usd(perp, self.address, self.gas["liquidate"]) + sum(
            fees.expected_cost_usd(chain, self.address, self.gas["swap"]) for chain in sales)

    def willingness(self) -> float:
        return 1.0 / (1.0 + self.world.metrics.expected_settlement_delay() / self.config.delay_tolerance)

    # -- acting --------------------------------------------------------------------------

    def _act(self, candidates: list[Any]) -> Generator[Any, Any, None]:
        world = self.world
        yield world.env.timeout(self.rng.uniform(0.0, REACTION_MAX))
        self._forget_mined()
        room = self.config.max_unsettled - world.metrics.unsettled_for(self.address)
        for bucket in candidates:
            if room <= 0:
                world.metrics.liquidations_skipped["unsettled bonuses at the cap"] += 1
                continue
            if (bucket.account, bucket.bucket) in self._pending:
                continue  # this keeper's liquidation of it is still waiting for a block
            state = world.bucket_state(bucket.account, bucket.bucket)
            if not state.liquidatable:
                continue
            preview = preview_liquidation(state, self.params, world.protocol.catalog)
            value, sales = self.bonus_value(preview)
            profit = value - self.gas_cost(sales)
            if profit < self.config.min_profit_usd:
                self._decline(bucket, "unprofitable")
                continue
            if self.exposure() + value > self.config.capital_usd:
                self._decline(bucket, "keeper capital")
                continue
            if self.rng.random() >= self.willingness():
                world.metrics.liquidations_skipped["settlement delay"] += 1
                continue
            with world.fee_market.stake(world.scenario.perp_chain, self.address, value, self.gas["liquidate"]):
                tx_hash = HexBytes(world.protocol.engine.liquidate(self.address, bucket.account, bucket.bucket))
            self._in_flight[tx_hash] = value
            self._pending[(bucket.account, bucket.bucket)] = tx_hash
            world.metrics.liquidation_attempts += 1
            room -= 1
            world.record(self.name, "liquidate", account=bucket.account, bucket=bucket.bucket,
                         health=bucket.health, expected_profit_usd=round(profit, 2))

    def _decline(self, bucket: Any, reason: str) -> None:
        self.world.metrics.liquidations_skipped[reason] += 1
        self.world.market_metrics.declined(self.address, bucket.account, bucket.bucket)

    def _forget_mined(self) -> None:
        perp = self.world.protocol.perp
        for tx_hash in list(self._in_flight):
            if self.world.failure(perp, tx_hash) != "not mined":
                del self._in_flight[tx_hash]
                receipt = perp.receipt(perp.current_hash(tx_hash))
                if receipt is not None and receipt.status == 1:
                    self.gas["liquidate"] = receipt.gas_used
        self._pending = {key: tx_hash for key, tx_hash in self._pending.items() if tx_hash in self._in_flight}

    def _sell(self, chain_name: str, asset: str) -> Generator[Any, Any, None]:
        """Sell held collateral on the chain's pool, never below the slippage limit."""
        world = self.world
        pool = world.protocol.pools.get(chain_name, {}).get(asset)
        if pool is None or pool.key in self._selling:
            return
        amount = self.sellable(pool, self.holdings[(chain_name, asset)])
        if amount <= 0:
            return
        self._selling.add(pool.key)
        rate = world.price(asset) / world.price(self.quote) * 10 ** (pool.quote_decimals - pool.base_decimals)
        min_out = int(amount * rate * (1.0 - self.config.max_slippage))
        token = world.protocol.token(chain_name, asset)
        if pool.key not in self._approved:
            token.approve(self.address, pool.address, MAX_UINT)
            self._approved.add(pool.key)
        tx_hash = pool.swap(self.address, "base", amount, min_out)
        world.record(self.name, "sell", pool=pool.key, amount=amount, min_out=min_out)
        chain = world.chains[chain_name]
        failure = yield from world.outcome(chain, tx_hash)
        if failure is not None:
            world.record(self.name, "sale_refused", pool=pool.key, reason=failure)
        else:
            self.gas["swap"] = chain.receipt(chain.current_hash(tx_hash)).gas_used
        self._selling.discard(pool.key)
