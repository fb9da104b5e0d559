"""The protocol's own bots on the perp chain: the backstop's operator and the auto-deleveraging operator.

The backstop operator hands a bucket to the Backstop when it has stayed liquidatable for
``agents.backstop.grace_period`` seconds without a keeper acting on it, provided the backstop's
free margin covers the initial margin of what it would take over (the engine refuses beyond
that; the operator does not send what would revert). It acts only when the backstop has capital.

The deleverage operator answers every ``BadDebt`` that left something uncovered, when the
protocol runs in auto-deleveraging mode: it finds the side of the bankrupt position (the largest
position the liquidation closed), reads every bucket with a position on the other side of that
market, ranks them by profit times leverage (as the Deleverager checks) and sends the top ones,
again while uncovered debt and candidates remain.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, Generator

from hexbytes import HexBytes

from protocol import WAD
from protocol.deleverager import rank_for_deleveraging
from protocol.events import ContractEvent
from protocol.units import to_wad
from sim.health import HealthScan

if TYPE_CHECKING:
    from sim.world import World

REACTION = 2.0  # seconds from an event to the operator's transaction
MAX_ROUNDS = 8
TARGETS_PER_STEP = 8  # positions per deleverage transaction (the contract takes up to 16)


class BackstopOperator:
    def __init__(self, world: "World") -> None:
        self.world = world
        self.name = "backstop-operator"
        self.sender = world.protocol.deployers[world.protocol.perp_chain]
        self.config = world.scenario.backstop
        self.active = world.scenario.protocol.backstop.capital > 0
        self._sent: dict[tuple[str, int], HexBytes] = {}

    def on_scan(self, scan: HealthScan) -> None:
        if not self.active:
            return
        world = self.world
        backstop = world.protocol.backstop.address
        due = []
        for bucket in scan.liquidatable:
            key = (bucket.account, bucket.bucket)
            since = world.metrics.underwater_since(key)
            if bucket.account == backstop or since is None or scan.t - since < self.config.grace_period:
                continue
            sent = self._sent.get(key)
            if sent is not None and world.failure(world.protocol.perp, sent) == "not mined":
                continue
            due.append(bucket)
        if due:
            world.env.process(self._take_over(due))

    def _take_over(self, buckets: list[Any]) -> Generator[Any, Any, None]:
        world = self.world
        yield world.env.timeout(REACTION)
        engine, backstop = world.protocol.engine, world.protocol.backstop
        free = engine.bucket(backstop.address).free_margin
        margin = {m.name: to_wad(m.initial_margin) for m in world.scenario.protocol.markets}
        for bucket in buckets:
            state = world.bucket_state(bucket.account, bucket.bucket)
            if not state.liquidatable:
                continue
            needed = sum(p.notional * margin[p.market] // WAD for p in state.positions)
            if needed > free:
                world.market_metrics.backstop_declined += 1
                world.record(self.name, "declined", account=bucket.account, bucket=bucket.bucket,
                             needed_usd=round(needed / WAD, 2), free_margin_usd=round(free / WAD, 2))
                continue
            free -= needed
            self._sent[(bucket.account, bucket.bucket)] = backstop.take_over(self.sender, bucket.account, bucket.bucket)
            world.record(self.name, "take_over", account=bucket.account, bucket=bucket.bucket,
                         notional_usd=round(state.notional / WAD, 2))


class DeleverageOperator:
    def __init__(self, world: "World") -> None:
        self.world = world
        self.name = "adl-operator"
        self.sender = world.protocol.deployers[world.protocol.perp_chain]
        self.active = world.scenario.protocol.adl.mode == "adl"
        self._closed: dict[bytes, dict[int, tuple[int, int]]] = defaultdict(dict)  # tx -> market -> (notional, side)
        self._block = -1
        self._running = False

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        """Liquidations closed in this block, by transaction; a BadDebt that follows one in its transaction."""
        if event.block_number != self._block:
            self._closed.clear()
            self._block = event.block_number
        name = type(event).__name__
        if name == "PositionChanged" and event.liquidation:
            closed = self._closed[bytes(event.tx_hash)]
            notional = abs(event.size_delta) * event.price // WAD
            side = 1 if event.size_delta < 0 else -1  # closing a long sells
            if notional > closed.get(event.market, (0, 0))[0]:
                closed[event.market] = (notional, side)
        elif name == "BadDebt" and event.uncovered and self.active:
            closed = self._closed.pop(bytes(event.tx_hash), {})
            if closed and not self._running:  # a round already running re-reads the debt it has to cover
                market, (_, bankrupt_side) = max(closed.items(), key=lambda item: (item[1][0], -item[0]))
                self.world.env.process(self._deleverage(market, -bankrupt_side))

    def _deleverage(self, market_id: int, side: int) -> Generator[Any, Any, None]:
        world = self.world
        self._running = True
        engine = world.protocol.engine
        market = world.protocol.catalog.markets[market_id]
        try:
            for _ in range(MAX_ROUNDS):
                yield world.env.timeout(REACTION)
                if engine.totals().uncovered_bad_debt == 0:
                    return
                states = [engine.bucket(account, bucket) for account, bucket in world.monitor.tracked()]
                ranked = rank_for_deleveraging(states, market, side)[:TARGETS_PER_STEP]
                if not ranked:
                    world.record(self.name, "no_candidates", market=market, side=side)
                    return
                tx_hash = world.protocol.deleverager.deleverage(self.sender, market, side,
                                                                [(c.account, c.bucket) for c in ranked])
                world.record(self.name, "deleverage", market=market, side=side, targets=len(ranked))
                failure = yield from world.outcome(world.protocol.perp, tx_hash)
                if failure is not None:
                    world.record(self.name, "deleverage_failed", market=market, reason=failure)
                    return
        finally:
            self._running = False
