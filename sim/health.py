"""The health of every margin bucket with positions, kept fresh where it matters, shared by all agents.

Valuing a bucket on chain costs a few milliseconds of EVM time, so reading all of them
every few seconds does not scale to hundreds of traders. The monitor does what a
keeper network's indexer does: it learns which buckets hold positions from
``PositionChanged`` events, re-reads a bucket (in one ``MarginReader.health_of`` call for
all of them) only when prices have moved far enough since its last read to possibly
put it under water, and re-reads every bucket every ``full_every`` scans to absorb
funding drift. The liquidation decision itself is always the engine's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generator

import simpy

from protocol import MarginEngine, PriceSource, PriceUse
from protocol.engine import BucketHealth
from protocol.events import ContractEvent

ScanListener = Callable[["HealthScan"], None]
SAFETY = 2.0  # re-read once prices moved half of the way to liquidation
FULL_EVERY = 10


@dataclass(frozen=True)
class HealthScan:
    t: float
    buckets: tuple[BucketHealth, ...]
    by_key: dict[tuple[str, int], BucketHealth] = field(repr=False)
    fresh: frozenset[tuple[str, int]] = frozenset()  # the buckets read in this scan

    @property
    def liquidatable(self) -> list[BucketHealth]:
        return [b for b in self.buckets if b.liquidatable and (b.account, b.bucket) in self.fresh]

    def of(self, account: str, bucket: int) -> BucketHealth | None:
        return self.by_key.get((account, bucket))

    @property
    def total_equity(self) -> int:
        return sum(b.equity for b in self.buckets)

    @property
    def total_maintenance(self) -> int:
        return sum(b.maintenance_requirement for b in self.buckets)


@dataclass
class _Reading:
    health: BucketHealth
    prices: dict[str, int]


class HealthMonitor:
    """Scans every ``interval``; ``oracle`` is where the engine reads its prices (the delayed oracle if any)."""

    def __init__(self, env: simpy.Environment, engine: MarginEngine, oracle: PriceSource, interval: float,
                 maintenance_margin: float, full_every: int = FULL_EVERY) -> None:
        self.env = env
        self.engine = engine
        self.oracle = oracle
        self.interval = interval
        self.maintenance_margin = maintenance_margin
        self.full_every = full_every
        self.latest = HealthScan(env.now, (), {})
        self.reads = 0
        self._tracked: dict[tuple[str, int], None] = {}  # insertion-ordered set: deterministic order
        self._readings: dict[tuple[str, int], _Reading] = {}
        self._listeners: list[ScanListener] = []
        self._scans = 0

    def subscribe(self, listener: ScanListener) -> None:
        self._listeners.append(listener)

    def tracked(self) -> list[tuple[str, int]]:
        """Every (account, bucket) the monitor watches (those that have held positions), in a stable order."""
        return list(self._tracked)

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        if type(event).__name__ in ("PositionChanged", "Liquidated", "CollateralMoved", "CollateralCredited"):
            for bucket in {getattr(event, "bucket", 0), getattr(event, "to_bucket", 0), getattr(event, "from_bucket", 0)}:
                key = (event.account, bucket)
                self._tracked[key] = None
                self._readings.pop(key, None)  # changed: read it again at the next scan

    def _needs_read(self, key: tuple[str, int], prices: dict[str, int], full: bool) -> bool:
        reading = self._readings.get(key)
        if full or reading is None:
            return True
        health = reading.health
        if health.maintenance_requirement == 0:
            return True
        notional = health.maintenance_requirement / self.maintenance_margin
        cushion = (health.equity - health.maintenance_requirement) / (notional * (1 + self.maintenance_margin) + abs(health.equity))
        moved = max(abs(prices[feed] - then) / then for feed, then in reading.prices.items() if then)
        return moved * SAFETY >= cushion

    def scan(self) -> HealthScan:
        self._scans += 1
        full = self._scans % self.full_every == 0
        prices = self.oracle.prices(PriceUse.LIQUIDATION)
        wanted = [key for key in self._tracked if self._needs_read(key, prices, full)]
        rows = self.engine.health_of(wanted) if wanted else []
        self.reads += len(wanted)
        read = {(row.account, row.bucket): row for row in rows}
        every_price_usable = all(prices.values())
        for key in wanted:
            if key in read:
                self._readings[key] = _Reading(read[key], dict(prices))
            elif every_price_usable:  # no positions left: stop watching until an event says otherwise
                self._readings.pop(key, None)
                self._tracked.pop(key, None)
            # else a stale price left it out: keep watching it (the engine cannot liquidate it now either)
        by_key = {key: reading.health for key, reading in self._readings.items()}
        self.latest = HealthScan(self.env.now, tuple(by_key.values()), by_key, frozenset(read))
        for listener in self._listeners:
            listener(self.latest)
        return self.latest

    def run(self) -> Generator[Any, Any, None]:
        while True:
            yield self.env.timeout(self.interval)
            self.scan()
