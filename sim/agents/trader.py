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
CONFIRMATION_WAIT = 1.5  # seconds: long enough for the perp chain to mine what was just sent
CREDIT_TIMEOUT = 6 * 3600.0


@dataclass
class TradePlan:
    vault_chain: str
    asset: str
    deposit: int  # native units
    deposit_usd: float
    market: str
    bucket: int
    leverage: float
    long: bool
    hold: float


class Trader:
    def __init__(self, world: "World", index: int, account: LocalAccount) -> None:
        self.world = world
        self.index = index
        self.address = account.address
        self.name = f"trader-{index}"
        self.config = world.scenario.traders
        self.rng = derive_rng(world.scenario.seed, "trader", index)
        self.plan = self._draw_plan()
        self.size = 0
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
        return TradePlan(
            vault_chain=rng.choice(scenario.vault_chains),
            asset=asset,
            deposit=deposit,
            deposit_usd=deposit_usd,
            market=market,
            bucket=0 if cross else 1 + scenario.protocol.feeds.index(scenario.protocol.market(market).asset) % 7,
            leverage=rng.uniform(self.config.leverage_min, self.config.leverage_max),
            long=rng.random() < self.config.long_fraction,
            hold=rng.uniform(self.config.hold_min, self.config.hold_max),
        )

    # -- what the chains tell this trader --------------------------------------------

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        name = type(event).__name__
        if name == "CollateralCredited" and not self.credited.triggered:
            self.credited.succeed(t)
        elif name == "PositionChanged" and event.bucket == self.plan.bucket:
            self.size = event.size
        elif name == "Liquidated" and event.bucket == self.plan.bucket:
            self.liquidated = True
        elif name in ("Released", "WithdrawRefused") and not self.settled.triggered:
            self.settled.succeed(name)

    # -- the life of a trader ------------------------------------------------------------

    def run(self) -> Generator[Any, Any, None]:
        world, plan, env = self.world, self.plan, self.world.env
        yield env.timeout(self.rng.uniform(0.0, self.config.arrival_window))
        world.record(self.name, "arrived", account=self.address, vault_chain=plan.vault_chain, asset=plan.asset,
                     deposit=plan.deposit, market=plan.market, bucket=plan.bucket, leverage=round(plan.leverage, 4),
                     long=plan.long)
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
        if self.size != 0:
            yield from self._close()
        if self.config.withdraw_after_close:
            yield from self._withdraw()

    def _open(self) -> Generator[Any, Any, bool]:
        world, plan = self.world, self.plan
        engine, cid = world.protocol.engine, world.cid(plan.vault_chain, plan.asset)
        transactions = []
        if plan.bucket != 0:
            held = engine.collateral(self.address, cid, 0)
            transactions.append(engine.move_collateral(self.address, 0, plan.bucket, cid, held))
        haircut = float(world.scenario.protocol.asset(plan.asset).haircut)
        margin_usd = plan.deposit_usd * (1.0 - haircut)
        price = world.price(world.scenario.protocol.market(plan.market).asset)
        size = wad_price(plan.leverage * margin_usd / price)
        transactions.append(engine.trade(self.address, plan.market, size if plan.long else -size, plan.bucket))
        yield world.env.timeout(CONFIRMATION_WAIT)
        for tx_hash in transactions:
            failure = world.failure(world.protocol.perp, tx_hash)
            if failure is not None:
                world.metrics.trades_refused[failure] += 1
                world.record(self.name, "trade_refused", reason=failure)
                return False
        world.metrics.positions_opened += 1
        world.record(self.name, "opened", size=self.size, notional_usd=round(plan.leverage * margin_usd, 2))
        return True

    def _hold(self) -> Generator[Any, Any, None]:
        world, plan, env = self.world, self.plan, self.world.env
        closing_time = env.now + plan.hold
        top_ups = 0
        while env.now < closing_time and self.size != 0:
            yield env.timeout(min(self.config.check_interval, max(closing_time - env.now, 0.001)))
            health = world.monitor.latest.of(self.address, plan.bucket)
            if health is None or top_ups >= MAX_TOP_UPS:
                continue
            if health.health < int(self.config.top_up_health * WAD):
                top_ups += 1
                amount = int(plan.deposit * self.config.top_up_fraction)
                world.protocol.vault(plan.vault_chain).deposit(self.address, plan.asset, amount)
                world.metrics.top_up_requested(self.address, plan.bucket, env.now)
                world.record(self.name, "top_up", amount=amount, health=health.health)
                if plan.bucket != 0:
                    env.process(self._move_top_up_into_bucket(amount))

    def _move_top_up_into_bucket(self, amount: int) -> Generator[Any, Any, None]:
        """An isolated position's top-up lands in the cross bucket; move it over once credited."""
        world, plan = self.world, self.plan
        self.credited = world.env.event()
        outcome = yield self.credited | world.env.timeout(CREDIT_TIMEOUT)
        if self.credited in outcome and self.size != 0:
            cid = world.cid(plan.vault_chain, plan.asset)
            world.protocol.engine.move_collateral(self.address, 0, plan.bucket, cid, amount)

    def _close(self) -> Generator[Any, Any, None]:
        world = self.world
        tx_hash = world.protocol.engine.trade(self.address, self.plan.market, -self.size, self.plan.bucket)
        yield world.env.timeout(CONFIRMATION_WAIT)
        failure = world.failure(world.protocol.perp, tx_hash)
        if failure is None:
            world.metrics.positions_closed += 1
            world.record(self.name, "closed")
        else:
            world.record(self.name, "close_refused", reason=failure)

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
