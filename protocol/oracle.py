"""Binding for the OracleAggregator on the perp chain, and off-chain signing of reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Iterable, Mapping, Sequence

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hexbytes import HexBytes
from web3.contract import Contract

from chains.chain import Chain
from chains.signing import signing_key
from protocol.binding import ContractBinding, Sender
from protocol.errors import ProtocolError
from protocol.events import ORACLE_EVENTS

REPORT_TAG = keccak(text="xmargin.oracle.report.v2")
GAS_REPORT = 400_000
GAS_REPORT_SIGNED = 1_500_000


class PriceUse(IntEnum):
    """What a price is for: how old a last valid price may serve when no current one exists."""

    OPEN = 0  # opening or adding risk: the current aggregate only
    CLOSE = 1  # reducing a position: within the oracle's close_staleness
    LIQUIDATION = 2  # liquidating: within its liquidation_staleness


@dataclass(frozen=True)
class FeedState:
    """A feed right now: ``price`` is 0 when stale or without quorum (risk-increasing actions are refused)."""

    feed: str
    price: int
    close_price: int  # the current price, else the last valid one within the close bound, else 0
    liquidation_price: int  # the same within the liquidation bound
    fresh_reports: int
    used_reports: int  # fresh reports within the deviation bound of their median
    last_valid_price: int
    last_valid_time: int


@dataclass(frozen=True)
class SignedReport:
    """A reporter's prices for ``feeds`` (ids, in order) as of ``timestamp``, signed off chain for the
    reporter set's ``epoch`` (a report signed for an earlier set is refused)."""

    reporter: str
    feeds: tuple[int, ...]
    prices: tuple[int, ...]
    timestamp: int
    epoch: int
    v: int
    r: bytes
    s: bytes


class PriceSource(ContractBinding):
    """A contract the engine can read its prices from (``read_prices(feeds, use)``): the aggregator, or
    the delayed oracle in front of it."""

    def __init__(self, chain: Chain, contract: Contract, feeds: Sequence[str]) -> None:
        super().__init__(chain, contract)
        self.feeds = tuple(feeds)  # feed names by id

    def feed_id(self, feed: str | int) -> int:
        if isinstance(feed, int) and not isinstance(feed, bool) and 0 <= feed < len(self.feeds):
            return feed
        if feed in self.feeds:
            return self.feeds.index(feed)
        raise ProtocolError(f"unknown oracle feed {feed!r}; feeds: {', '.join(self.feeds)}")

    def prices(self, use: PriceUse = PriceUse.OPEN) -> dict[str, int]:
        """Every feed's price for ``use`` in one call; 0 where none is usable."""
        values = self._call(self.fn.read_prices(list(range(len(self.feeds))), int(use)))
        return dict(zip(self.feeds, values))


class Oracle(PriceSource):
    EVENTS = ORACLE_EVENTS

    # -- reads ------------------------------------------------------------------

    def price(self, feed: str | int) -> int:
        """The current price (WAD); raises ProtocolCallError("stale price") without a fresh quorum."""
        return self._call(self.fn.price(self.feed_id(feed)))

    def liquidation_price(self, feed: str | int) -> int:
        return self._call(self.fn.liquidation_price(self.feed_id(feed)))

    def feed_state(self, feed: str | int) -> FeedState:
        feed_id = self.feed_id(feed)
        values = self._call(self.fn.feed_state(feed_id))
        return FeedState(self.feeds[feed_id], *values)

    def report_of(self, feed: str | int, reporter: str) -> tuple[int, int]:
        """A reporter's latest (price, timestamp) for a feed."""
        price, timestamp = self._call(self.fn.report_of(self.feed_id(feed), reporter))
        return price, timestamp

    def reporters(self) -> tuple[str, ...]:
        return tuple(self._call(self.fn.reporter_list()))

    def epoch(self) -> int:
        """The reporter set's epoch: what a signed report must name (every ``set_reporters`` advances it)."""
        return self._call(self.fn.epoch())

    # -- writes (submit only) ------------------------------------------------------

    def report(self, sender: Sender, prices: Mapping[str | int, int], gas: int = GAS_REPORT) -> HexBytes:
        """The sender, a reporter, reports ``prices`` (WAD) for some feeds as of the pending block."""
        feeds, values = self._columns(prices)
        return self._send(self.fn.report(feeds, values), sender, gas)

    def sign_report(
        self, reporter: LocalAccount, prices: Mapping[str | int, int], timestamp: int, epoch: int | None = None
    ) -> SignedReport:
        """A report signed off chain by ``reporter``, for anyone to submit with :meth:`report_signed`.

        ``epoch`` defaults to the reporter set's current one (one read; pass it to sign many at once).
        """
        feeds, values = self._columns(prices)
        epoch = self.epoch() if epoch is None else epoch
        digest = report_digest(self.chain.chain_id, self.address, epoch, feeds, values, timestamp)
        signature = signing_key(bytes(reporter.key)).sign_msg_hash(digest)
        return SignedReport(
            reporter=reporter.address,
            feeds=tuple(feeds),
            prices=tuple(values),
            timestamp=timestamp,
            epoch=epoch,
            v=signature.v + 27,
            r=signature.r.to_bytes(32, "big"),
            s=signature.s.to_bytes(32, "big"),
        )

    def report_signed(self, sender: Sender, reports: Iterable[SignedReport], gas: int = GAS_REPORT_SIGNED) -> HexBytes:
        """Submit signed reports in one transaction; they must all cover the same feeds."""
        reports = list(reports)
        if not reports:
            raise ProtocolError("report_signed needs at least one report")
        feeds = reports[0].feeds
        if any(r.feeds != feeds for r in reports):
            raise ProtocolError("signed reports submitted together must cover the same feeds in the same order")
        payload = [(list(r.prices), r.timestamp, r.epoch, r.v, r.r, r.s) for r in reports]
        return self._send(self.fn.report_signed(list(feeds), payload), sender, gas)

    def _columns(self, prices: Mapping[str | int, int]) -> tuple[list[int], list[int]]:
        if not prices:
            raise ProtocolError("a report needs at least one price")
        feeds = [self.feed_id(feed) for feed in prices]
        return feeds, [int(v) for v in prices.values()]


def report_digest(
    chain_id: int, oracle: str, epoch: int, feeds: Sequence[int], prices: Sequence[int], timestamp: int
) -> bytes:
    """What a reporter signs: keccak of (tag, chain id, oracle, epoch, feeds, prices, timestamp), ABI-encoded."""
    return keccak(
        abi_encode(
            ["bytes32", "uint256", "address", "uint256", "uint256[]", "uint256[]", "uint256"],
            [REPORT_TAG, chain_id, oracle, epoch, list(feeds), list(prices), timestamp],
        )
    )
