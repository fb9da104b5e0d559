"""Poking the delayed oracle: the oracle round's leader sends ``poke()`` once it is due.

With ``protocol.oracle.delay`` the engine acts on the prices a DelayedOracle published at
its last poke, and nothing moves them on unless somebody pokes. Here the reporter that
submits a round's reports also pokes when the next block may (as Maker's oracle operators
kept the OSM poked): one real transaction, right after the round's report in the same
block, so the poke reads the prices just reported. A poke stays outstanding while it
waits in the pool; no second one is sent meanwhile. One that reverted or left the pool
unmined (expired, lost to a reorg) is counted as failed, and the next round pokes again. A round with no reporter signing has no leader,
so a silent oracle network pokes nothing either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hexbytes import HexBytes

from protocol.delayed_oracle import DelayedOracle

if TYPE_CHECKING:
    from sim.world import World


class Poker:
    def __init__(self, world: "World", oracle: DelayedOracle) -> None:
        self.world = world
        self.oracle = oracle
        self.due_at = oracle.next_poke()  # the earliest block timestamp of the next poke
        self.outstanding: HexBytes | None = None
        self.sent = 0
        self.failed = 0

    def after_round(self, leader: str) -> None:
        """Called when ``leader`` has submitted a round's reports: poke if due and none is outstanding."""
        perp = self.oracle.chain
        if self.outstanding is not None:
            failure = self.world.failure(perp, self.outstanding)  # follows a re-bid of it
            if failure == "not mined":
                return  # still waiting in the pool
            if failure == "dropped":
                failure = "left the pool unmined"  # expired, evicted, or lost to a reorg
            if failure is not None:
                self.failed += 1
                self.world.record("oracle", "poke_failed", reason=failure, tx_hash=self.outstanding)
            self.outstanding = None
            self.due_at = self.oracle.next_poke()
        if perp.next_timestamp < self.due_at:
            return
        self.outstanding = HexBytes(self.oracle.poke(leader))
        self.sent += 1
        self.world.record("oracle", "poke_sent", by=leader, due_at=self.due_at, tx_hash=self.outstanding)
