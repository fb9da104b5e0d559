"""Binding for the DelayedOracle: the aggregator's prices one delay late, which the engine then acts on.

Deployed between the OracleAggregator and the engine when ``protocol.oracle.delay`` is set;
see ``protocol/contracts/DelayedOracle.vy`` for what a late or missed poke means.
"""

from __future__ import annotations

from typing import Sequence

from hexbytes import HexBytes
from web3.contract import Contract

from chains.chain import Chain
from protocol.binding import Sender
from protocol.events import DELAYED_ORACLE_EVENTS
from protocol.oracle import PriceSource, PriceUse

GAS_POKE = 1_000_000  # the first poke of 8 feeds writes 24 fresh slots (~640k); later pokes use 80k-400k


class DelayedOracle(PriceSource):
    EVENTS = DELAYED_ORACLE_EVENTS

    def __init__(self, chain: Chain, contract: Contract, feeds: Sequence[str]) -> None:
        super().__init__(chain, contract, feeds)
        self.delay: int = self._call(self.fn.DELAY())  # immutable

    # -- reads ------------------------------------------------------------------

    def next_prices(self, use: PriceUse = PriceUse.OPEN) -> dict[str, int]:
        """What the next poke publishes for ``use`` (read from the aggregator at the last poke)."""
        values = self._call(self.fn.next_prices(list(range(len(self.feeds))), int(use)))
        return dict(zip(self.feeds, values))

    def last_poke(self) -> int:
        """The block timestamp of the last poke (0: never poked)."""
        return self._call(self.fn.last_poke())

    def next_poke(self) -> int:
        """The earliest block timestamp the next poke may have (0: any, it was never poked)."""
        return self._call(self.fn.next_poke())

    def can_poke(self) -> bool:
        """Whether a poke is due (Maker's ``pass()``), as a call sees the chain now."""
        return self._call(self.fn.can_poke())

    def served_until(self, use: PriceUse = PriceUse.OPEN) -> int:
        """The last block timestamp at which today's prices for ``use`` are served without another poke."""
        return self._call(self.fn.served_until(int(use)))

    # -- writes (submit only) ------------------------------------------------------

    def poke(self, sender: Sender, gas: int = GAS_POKE) -> HexBytes:
        """Publish the prices read at the last poke and read the next ones (anyone may, once per delay)."""
        return self._send(self.fn.poke(), sender, gas)
