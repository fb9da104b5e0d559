"""Traders: deposit on a vault chain, trade on the perp chain, top up when health is low, close, withdraw.

Every step is a real transaction and every outcome is learned from the chains: a
deposit counts once ``CollateralCredited`` arrives on the perp chain, a withdrawal
once the vault pays (``Released``) or refuses. A top-up is a new deposit that must
cross the bridge, so it can arrive after the liquidation it was meant to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generator

import simpy
from eth_account.signers.local import LocalAccount

from chains.seeding import derive_rng
from protocol import WAD
from protocol.events import ContractEvent
from protocol.units import to_units
from sim.agents.reporter import wad_price

if TYPE_CHECKING:
    from sim.world import World

MAX_UINT = 2**256 - 1
MAX_TOP_UPS = 2
TRADE_PATIENCE = 3_600.0  # seconds a trader waits for its trades to be mined (a congested chain is slow)
CREDIT_TIMEOUT = 6 * 3600.0


@dataclass(frozen=True)
class Leg:
    """One position of a trader: a market, the bucket that margins it, leverage and side."""

    market: str
    bucket: int
    leverage: float
    long: bool


@dataclass
class TradePlan:
    vault_chain: str
    asset: str
    deposit: int  # native units
    deposit_usd: float
    legs: tuple[Leg, ...]  # the deposit's margin is split evenly across them
    hold: float

    @property
    def buckets(self) -> list[int]:
        return sorted({leg.bucket for leg in self.legs})


class Trader:
    def __init__(self, world: "World", index: int, account: LocalAccount) -> None:
        self.world = world
        self.index = index
        self.address = account.address
        self.name = f"trader-{index}"
        self.config = world.scenario.traders
        self.rng = derive_rng(world.scenario.seed, "trader", index)
        self.plan = self._draw_plan()
        self.sizes: dict[tuple[int, int], int] = {}  # (bucket, market id) -> size
        self.credited: simpy.Event = world.env.event()
        self.settled: simpy.Event = world.env.event()
        self.liquidated = False

    # -- the plan, drawn once from the trader's own random stream ----------------------

    def _draw_plan(self) -> TradePlan:
        scenario, rng = self.world.scenario, self.rng
        asset = _weighted(rng, self.config.collateral)
        market = _weighted(rng, self.config.markets)
        deposit_usd = rng.uniform(self.config.deposit_usd_min, self.config.deposit_usd_max)
        decimals = scenario.protocol.asset(asset).decimals
        price = self.world.prices[asset].price_at(0.0)
        deposit = to_units(f"{deposit_usd / price:.{min(decimals, 8)}f}", decimals)
        cross = rng.random() < self.config.cross_fraction
        vault_chain = rng.choice(scenario.vault_chains)
        legs = [Leg(market, self._bucket(market, cross), rng.uniform(self.config.leverage_min, self.config.leverage_max),
                    rng.random() < self.config.long_fraction)]
        hold = rng.uniform(self.config.hold_min, self.config.hold_max)
        while len(legs) < self.config.positions:  # further positions, in other markets (drawn after the first's)
            others = {m: w for m, w in self.config.markets.items() if m not in {leg.market for leg in legs}}
            other = _weighted(rng, others)
            legs.append(Leg(other, self._bucket(other, cross),
                            rng.uniform(self.config.leverage_min, self.config.leverage_max),
                            rng.random() < self.config.long_fraction))
        return TradePlan(vault_chain, asset, deposit, deposit_usd, tuple(legs), hold)

    def _bucket(self, market: str, cross: bool) -> int:
        """Cross margin: bucket 0 backs every position; isolated: each market's asset has its own bucket."""
        protocol = self.world.scenario.protocol
        return 0 if cross else 1 + protocol.feeds.index(protocol.market(market).asset) % 7

    # -- what the chains tell this trader --------------------------------------------

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        name = type(event).__name__
        if name == "CollateralCredited" and not self.credited.triggered:
            self.credited.succeed(t)
        elif name == "PositionChanged" and event.bucket in self.plan.buckets:
            self.sizes[(event.bucket, event.market)] = event.size
        elif name == "Liquidated" and event.bucket in self.plan.buckets:
            self.liquidated = True
        elif name in ("Released", "WithdrawRefused") and not self.settled.triggered:
            self.settled.succeed(name)

    # -- the life of a trader ------------------------------------------------------------

    def run(self) -> Generator[Any, Any, None]:
        world, plan, env = self.world, self.plan, self.world.env
        yield env.timeout(self.rng.uniform(0.0, self.config.arrival_window))
        first = plan.legs[0]
        world.record(self.name, "arrived", account=self.address, vault_chain=plan.vault_chain, asset=plan.asset,
                     deposit=plan.deposit, market=first.market, bucket=first.bucket, leverage=round(first.leverage, 4),
                     long=first.long)
        budget = plan.deposit + int(plan.deposit * self.config.top_up_fraction) * MAX_TOP_UPS
        world.mint(plan.vault_chain, plan.asset, self.address, budget)
        vault = world.protocol.vault(plan.vault_chain)
        world.protocol.token(plan.vault_chain, plan.asset).approve(self.address, vault.address, MAX_UINT)
        vault.deposit(self.address, plan.asset, plan.deposit)
        world.metrics.deposits += 1

        outcome = yield self.credited | env.timeout(CREDIT_TIMEOUT)
        if self.credited not in outcome:
            world.record(self.name, "gave_up", reason="deposit never credited")
            return
        if not (yield from self._open()):
            return
        yield from self._hold()
        if self.open_size:
            yield from self._close()
        if self.config.withdraw_after_close:
            yield from self._withdraw()

    @property
    def open_size(self) -> bool:
        return any(self.sizes.values())

    def _open(self) -> Generator[Any, Any, bool]:
        world, plan = self.world, self.plan
        engine, cid = world.protocol.engine, world.cid(plan.vault_chain, plan.asset)
        transactions = []
        isolated = [bucket for bucket in plan.buckets if bucket != 0]
        if isolated:
            held = engine.collateral(self.address, cid, 0)
            share = held // len(isolated)
            for index, bucket in enumerate(isolated):
                amount = held - share * (len(isolated) - 1) if index == len(isolated) - 1 else share
                transactions.append(engine.move_collateral(self.address, 0, bucket, cid, amount))
        haircut = float(world.scenario.protocol.asset(plan.asset).haircut)
        margin_usd = plan.deposit_usd * (1.0 - haircut) / len(plan.legs)
        for leg in plan.legs:
            price = world.price(world.scenario.protocol.market(leg.market).asset)
            size = wad_price(leg.leverage * margin_usd / price)
            transactions.append(engine.trade(self.address, leg.market, size if leg.long else -size, leg.bucket))
        for tx_hash in transactions:
            failure = yield from world.outcome(world.protocol.perp, tx_hash, TRADE_PATIENCE)
            if failure is not None:
                world.metrics.trades_refused[failure] += 1
                world.record(self.name, "trade_refused", reason=failure)
                return False
        world.metrics.positions_opened += len(plan.legs)
        world.record(self.name, "opened", size=sum(self.sizes.values()),
                     notional_usd=round(sum(leg.leverage for leg in plan.legs) * margin_usd, 2))
        return True

    def _hold(self) -> Generator[Any, Any, None]:
        world, plan, env = self.world, self.plan, self.world.env
        closing_time = env.now + plan.hold
        top_ups = 0
        while env.now < closing_time and self.open_size:
            yield env.timeout(min(self.config.check_interval, max(closing_time - env.now, 0.001)))
            if top_ups >= MAX_TOP_UPS:
                continue
            healths = [(h.health, bucket) for bucket in plan.buckets
                       if (h := world.monitor.latest.of(self.address, bucket)) is not None]
            if not healths:
                continue
            health, bucket = min(healths)
            if health < int(self.config.top_up_health * WAD):
                top_ups += 1
                amount = int(plan.deposit * self.config.top_up_fraction)
                world.protocol.vault(plan.vault_chain).deposit(self.address, plan.asset, amount)
                world.metrics.top_up_requested(self.address, bucket, env.now)
                world.record(self.name, "top_up", amount=amount, health=health)
                if bucket != 0:
                    env.process(self._move_top_up_into_bucket(amount, bucket))

    def _move_top_up_into_bucket(self, amount: int, bucket: int) -> Generator[Any, Any, None]:
        """An isolated position's top-up lands in the cross bucket; move it over once credited."""
        world, plan = self.world, self.plan
        self.credited = world.env.event()
        outcome = yield self.credited | world.env.timeout(CREDIT_TIMEOUT)
        if self.credited in outcome and self.open_size:
            cid = world.cid(plan.vault_chain, plan.asset)
            world.protocol.engine.move_collateral(self.address, 0, bucket, cid, amount)

    def _close(self) -> Generator[Any, Any, None]:
        world = self.world
        catalog = world.protocol.engine.catalog
        tx_hashes = [
            world.protocol.engine.trade(self.address, leg.market, -size, leg.bucket)
            for leg in self.plan.legs
            if (size := self.sizes.get((leg.bucket, catalog.market_id(leg.market)), 0)) != 0
        ]
        failures = []
        for tx_hash in tx_hashes:
            failure = yield from world.outcome(world.protocol.perp, tx_hash, TRADE_PATIENCE)
            if failure is not None:
                failures.append(failure)
        world.metrics.positions_closed += len(tx_hashes) - len(failures)
        if failures:
            world.record(self.name, "close_refused", reason=failures[0])
        else:
            world.record(self.name, "closed")

    def _withdraw(self) -> Generator[Any, Any, None]:
        world, plan = self.world, self.plan
        amount = world.protocol.engine.credited(self.address).get(world.cid(plan.vault_chain, plan.asset), 0)
        if amount == 0:
            world.record(self.name, "nothing_to_withdraw")
            return
        self.settled = world.env.event()
        world.protocol.vault(plan.vault_chain).request_withdraw(self.address, plan.asset, amount)
        world.metrics.withdrawals_requested += 1
        world.record(self.name, "withdraw_requested", amount=amount)
        outcome = yield self.settled | world.env.timeout(CREDIT_TIMEOUT)
        result = outcome[self.settled] if self.settled in outcome else "no answer"
        world.metrics.withdrawals[result] += 1
        world.record(self.name, "withdraw_settled", result=result)


def _weighted(rng: Any, weights: dict[str, float]) -> str:
    names = sorted(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]
