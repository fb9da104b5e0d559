"""Oracle reporters: every round each reporter signs its view of every feed; the round's leader submits.

This is how production oracle networks (Chainlink OCR, Pyth) reach the chain: reports
are signed off chain and one transaction carries them all, and the on-chain aggregator
checks every signature, takes the median and ignores outliers.

A reporter's view of a feed is a mix of two markets: ``(1 - pool_weight)`` times the
reference price (off chain) plus ``pool_weight`` times the on-chain pools' time-weighted
price over ``twap_window`` (in the quote asset, valued at its reference price). With
``pool_sources = "all"`` a reporter takes the median TWAP of every pool of the asset (one
pool manipulated out of three moves no reporter); with ``"own"`` reporter ``i`` reads only
the pool on vault chain ``i mod n`` (sources differ by reporter, and the aggregator's median
and outlier bound are the defence). So a drained pool can pull the oracle down.

Reporters are honest by default, with noise; faults per reporter and time window
(``agents.reporters.behaviours``): ``stale`` (signs nothing), ``outlier`` (reports
price x factor), ``manipulating`` (drifts its reports from the true price to price x
factor across the window).
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any, Generator

from eth_account.signers.local import LocalAccount

from chains.seeding import derive_rng
from protocol.oracle import SignedReport
from protocol.units import to_wad

if TYPE_CHECKING:
    from sim.world import World


def wad_price(price: float) -> int:
    """A USD price as WAD, rounded to 8 decimals so it is the same on every machine."""
    return to_wad(f"{price:.8f}")


class Reporter:
    def __init__(self, world: "World", index: int, account: LocalAccount) -> None:
        self.world = world
        self.index = index
        self.account = account
        self.config = world.scenario.reporters
        self.rng = derive_rng(world.scenario.seed, "reporter", index)

    def market_price(self, feed: str) -> float:
        """The reference price mixed with the TWAP of the pools this reporter reads."""
        reference = self.world.price(feed)
        weight = self.config.pool_weight
        pools = self.sources(feed)
        if weight == 0 or not pools:
            return reference
        twaps = [self.world.pool_watch.twap(pool.key, self.config.twap_window) for pool in pools]
        pool_price = statistics.median(twaps) * self.world.price(pools[0].quote)
        return (1.0 - weight) * reference + weight * pool_price

    def sources(self, feed: str) -> list[Any]:
        pools = self.world.pool_watch.of_asset(feed)
        if self.config.pool_sources == "own" and pools:
            chains = self.world.protocol.vault_chains
            own = chains[self.index % len(chains)]
            return [pool for pool in pools if pool.chain.name == own]
        return pools

    def quote(self, feed: str, t: float) -> float | None:
        """What this reporter says ``feed`` is worth at ``t`` (None: it stays silent)."""
        behaviour = self.config.behaviour_of(self.index, t)
        if behaviour is not None and behaviour.kind == "stale":
            return None
        price = self.market_price(feed) * (1.0 + self.config.noise * self.rng.gauss(0.0, 1.0))
        if behaviour is None or behaviour.kind == "honest":
            return price
        if behaviour.kind == "outlier":
            return price * behaviour.factor
        span = behaviour.end - behaviour.start  # manipulating
        progress = 1.0 if span == float("inf") else min(1.0, (t - behaviour.start) / span)
        return price * (1.0 + (behaviour.factor - 1.0) * progress)

    def sign(self, t: float, timestamp: int, epoch: int) -> SignedReport | None:
        """This reporter's signed quotes of every feed for the reporter set's ``epoch`` (None: it stays silent)."""
        quotes = {feed: self.quote(feed, t) for feed in self.world.reference.paths}
        if any(quote is None for quote in quotes.values()):
            return None
        prices = {feed: wad_price(quote) for feed, quote in quotes.items()}
        return self.world.protocol.oracle.sign_report(self.account, prices, timestamp, epoch)


def oracle_rounds(world: "World", reporters: list[Reporter]) -> Generator[Any, Any, None]:
    """A round every ``interval``: collect signed reports; the first signing reporter in turn submits."""
    env, interval = world.env, world.scenario.reporters.interval
    yield env.timeout(derive_rng(world.scenario.seed, "oracle-rounds").uniform(0.0, interval))
    round_number = 0
    while True:
        if world.scenario.reporters.pool_weight:
            world.pool_watch.observe()
        timestamp = world.protocol.perp.next_timestamp
        epoch = world.protocol.oracle.epoch()
        signed = [(reporter, reporter.sign(env.now, timestamp, epoch)) for reporter in reporters]
        present = [(reporter, report) for reporter, report in signed if report is not None]
        if present:
            leader = present[round_number % len(present)][0]
            world.protocol.oracle.report_signed(leader.account.address, [report for _, report in present])
            if world.poker is not None:
                world.poker.after_round(leader.account.address)
        else:
            world.record("oracle", "round_skipped", reason="no reporter signed")
        round_number += 1
        yield env.timeout(interval)
