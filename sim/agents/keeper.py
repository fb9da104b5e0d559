"""Keepers: liquidate underwater buckets when it pays after gas, less eagerly the slower settlement is.

A keeper's bonus is paid by ``Seize`` on the vault chain, so it bears settlement risk
until the bridge delivers it. Two rules follow from that. Its willingness to act on an
opportunity is ``1 / (1 + expected_delay / delay_tolerance)``, where the expected delay
is the mean liquidation-to-seizure delay observed so far in the run (the bridge's
configured latency until one is observed). And it carries at most ``max_unsettled``
liquidations whose bonus is still in flight, so slow settlement throttles how fast
the keepers can work through a cascade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generator

from eth_account.signers.local import LocalAccount

from chains.seeding import derive_rng
from protocol import WAD
from sim.health import HealthScan

if TYPE_CHECKING:
    from sim.world import World

REACTION_MAX = 2.0  # seconds between seeing a scan and acting on it


class Keeper:
    def __init__(self, world: "World", index: int, account: LocalAccount) -> None:
        self.world = world
        self.index = index
        self.address = account.address
        self.name = f"keeper-{index}"
        self.config = world.scenario.keepers
        self.rng = derive_rng(world.scenario.seed, "keeper", index)
        liquidation = world.scenario.protocol.liquidation
        self.bonus = float(liquidation.bonus)
        self.close_factor = float(liquidation.close_factor)
        self.full_close_health = float(liquidation.full_close_health)
        self.maintenance = min(float(m.maintenance_margin) for m in world.scenario.protocol.markets)

    def on_scan(self, scan: HealthScan) -> None:
        candidates = scan.liquidatable
        if candidates:
            self.world.env.process(self._act(candidates))

    def expected_profit(self, health: int, maintenance_requirement: int) -> float:
        notional = maintenance_requirement / WAD / self.maintenance
        closing = 1.0 if health < self.full_close_health * WAD else self.close_factor
        return self.bonus * closing * notional - self.config.gas_cost_usd

    def willingness(self) -> float:
        return 1.0 / (1.0 + self.world.metrics.expected_settlement_delay() / self.config.delay_tolerance)

    def _act(self, candidates: list[Any]) -> Generator[Any, Any, None]:
        world = self.world
        yield world.env.timeout(self.rng.uniform(0.0, REACTION_MAX))
        room = self.config.max_unsettled - world.metrics.unsettled_for(self.address)
        for bucket in candidates:
            if room <= 0:
                world.metrics.liquidations_skipped["unsettled bonuses at the cap"] += 1
                continue
            profit = self.expected_profit(bucket.health, bucket.maintenance_requirement)
            if profit < self.config.min_profit_usd:
                world.metrics.liquidations_skipped["unprofitable"] += 1
                continue
            if self.rng.random() >= self.willingness():
                world.metrics.liquidations_skipped["settlement delay"] += 1
                continue
            world.protocol.engine.liquidate(self.address, bucket.account, bucket.bucket)
            world.metrics.liquidation_attempts += 1
            room -= 1
            world.record(self.name, "liquidate", account=bucket.account, bucket=bucket.bucket,
                         health=bucket.health, expected_profit_usd=round(profit, 2))
