# pragma version 0.4.3
"""
@title OracleAggregator
@notice Prices (18-decimal USD per whole unit of an asset) pushed by a set of reporters.
        A feed's price is the median of the reports younger than `staleness` seconds, after
        dropping those further than `max_deviation` from that median, provided at least
        `quorum` reports remain. Every report transaction stores the aggregate it yields when it
        is valid (the "last valid price"); position-reducing trades may use that one for
        `close_staleness` seconds after it was computed, liquidations for `liquidation_staleness`
        seconds, risk-increasing actions never.

        Reporters report directly (`report`, timestamped with the block) or sign reports off
        chain that anyone submits in one transaction (`report_signed`). A signed report names the
        reporter set's `epoch`, which every `set_reporters` advances, and must be newer than the
        reporter's last report: within an epoch the stored reports refuse a replay, and a report
        signed for an earlier epoch (before its reporter was removed and re-added, say) is refused.

        Each report transaction also caches the feed's aggregate, valid or not, with the time it
        stays exact: between reports the set of fresh reports can only shrink, so the aggregate
        cannot change before the oldest fresh report expires. Reads within that window cost one
        storage read; later ones recompute from the reports fresh then.

        Storage is packed: a report is (price: 96 bits, timestamp: 32 bits), two feeds per word;
        prices are capped at 2**96 - 1 (about 7.9e10 USD per unit).
"""

MAX_FEEDS: constant(uint256) = 8
MAX_REPORTERS: constant(uint256) = 16
WAD: constant(uint256) = 10**18
MAX_PRICE: constant(uint256) = 2**96 - 1
LOW32: constant(uint256) = 2**32 - 1
NEVER: constant(uint256) = 2**32 - 1  # a time no block reaches (timestamps are 32-bit here)
REPORT_TAG: constant(bytes32) = keccak256("xmargin.oracle.report.v2")
USE_OPEN: constant(uint256) = 0  # read_prices: the current aggregate only
USE_CLOSE: constant(uint256) = 1  # else the last valid price within close_staleness
USE_LIQUIDATION: constant(uint256) = 2  # else the last valid price within liquidation_staleness
SECP256K1_HALF_N: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168

struct SignedReport:
    prices: DynArray[uint256, MAX_FEEDS]
    timestamp: uint256
    epoch: uint256
    v: uint8
    r: bytes32
    s: bytes32

struct Params:
    quorum: uint256
    staleness: uint256
    max_deviation: uint256
    liquidation_staleness: uint256
    close_staleness: uint256

struct FeedState:
    price: uint256
    close_price: uint256
    liquidation_price: uint256
    fresh_reports: uint256
    used_reports: uint256
    last_valid_price: uint256
    last_valid_time: uint256

event Reported:
    reporter: indexed(address)
    timestamp: uint256
    feeds: DynArray[uint256, MAX_FEEDS]
    prices: DynArray[uint256, MAX_FEEDS]

event PriceUpdated:
    feed: indexed(uint256)
    price: uint256
    used_reports: uint256

event ReportersChanged:
    reporters: DynArray[address, MAX_REPORTERS]
    epoch: uint256

event ParametersChanged:
    quorum: uint256
    staleness: uint256
    max_deviation: uint256
    liquidation_staleness: uint256
    close_staleness: uint256

FEED_COUNT: public(immutable(uint256))
owner: public(address)
reporters: public(DynArray[address, MAX_REPORTERS])
is_reporter: public(HashMap[address, bool])
epoch: public(uint256)  # advanced by every set_reporters; signed reports name the one they are for
params_word: uint256  # quorum | staleness << 32 | close staleness << 64 | liquidation staleness << 96 | max deviation << 128

reports: HashMap[address, HashMap[uint256, uint256]]  # reporter -> feed // 2 -> two (price | timestamp << 96)
feed_word: HashMap[uint256, uint256]  # cached price | valid until << 96 | last valid price << 128 | its time << 224


@deploy
def __init__(
    feed_count: uint256,
    reporters: DynArray[address, MAX_REPORTERS],
    quorum: uint256,
    staleness: uint256,
    max_deviation: uint256,
    liquidation_staleness: uint256,
    close_staleness: uint256,
):
    assert feed_count != 0 and feed_count <= MAX_FEEDS, "feed count out of range"
    FEED_COUNT = feed_count
    self.owner = msg.sender
    self._set_reporters(reporters)
    self._set_parameters(quorum, staleness, max_deviation, liquidation_staleness, close_staleness)


@external
def set_reporters(reporters: DynArray[address, MAX_REPORTERS]):
    assert msg.sender == self.owner, "only the owner"
    self._set_reporters(reporters)
    self._check_quorum(self._params().quorum, len(reporters))


@external
def set_parameters(
    quorum: uint256, staleness: uint256, max_deviation: uint256, liquidation_staleness: uint256, close_staleness: uint256
):
    assert msg.sender == self.owner, "only the owner"
    self._set_parameters(quorum, staleness, max_deviation, liquidation_staleness, close_staleness)


@external
def report(feeds: DynArray[uint256, MAX_FEEDS], prices: DynArray[uint256, MAX_FEEDS]):
    """@notice The caller, a reporter, reports `prices[i]` for `feeds[i]` as of this block."""
    assert self.is_reporter[msg.sender], "not a reporter"
    self._check_report(feeds, prices)
    for i: uint256 in range(len(feeds), bound=MAX_FEEDS):
        self._write_report(msg.sender, feeds[i], prices[i], block.timestamp)
    log Reported(reporter=msg.sender, timestamp=block.timestamp, feeds=feeds, prices=prices)
    self._refresh(feeds, self.reporters, self._params())


@external
def report_signed(feeds: DynArray[uint256, MAX_FEEDS], reports: DynArray[SignedReport, MAX_REPORTERS]):
    """@notice Submit reports that reporters signed off chain (see `report_digest`), all for `feeds`."""
    assert len(reports) != 0, "no reports"
    reporters: DynArray[address, MAX_REPORTERS] = self.reporters
    epoch: uint256 = self.epoch
    for signed: SignedReport in reports:
        self._check_report(feeds, signed.prices)
        assert signed.timestamp <= block.timestamp, "report timestamp is in the future"
        assert signed.epoch == epoch, "report is for another reporter set"
        reporter: address = self._signer(self._digest(epoch, feeds, signed.prices, signed.timestamp), signed)
        assert reporter in reporters, "not a reporter"
        for i: uint256 in range(len(feeds), bound=MAX_FEEDS):
            price: uint256 = 0
            previous: uint256 = 0
            price, previous = self._read_report(reporter, feeds[i])
            assert signed.timestamp > previous, "report is not newer than the reporter's last"
            self._write_report(reporter, feeds[i], signed.prices[i], signed.timestamp)
        log Reported(reporter=reporter, timestamp=signed.timestamp, feeds=feeds, prices=signed.prices)
    self._refresh(feeds, reporters, self._params())


@external
@view
def report_digest(
    epoch: uint256, feeds: DynArray[uint256, MAX_FEEDS], prices: DynArray[uint256, MAX_FEEDS], timestamp: uint256
) -> bytes32:
    """@notice What a reporter signs (raw secp256k1 over this digest, no message prefix)."""
    return self._digest(epoch, feeds, prices, timestamp)


@external
@view
def price(feed: uint256) -> uint256:
    """@notice The current price; reverts when it is stale or missing."""
    assert feed < FEED_COUNT, "unknown feed"
    agg: uint256 = self._current(feed)
    assert agg != 0, "stale price"
    return agg


@external
@view
def liquidation_price(feed: uint256) -> uint256:
    """@notice The current price, else the last valid one if younger than `liquidation_staleness`."""
    assert feed < FEED_COUNT, "unknown feed"
    agg: uint256 = self._fallback_price(feed, self._params().liquidation_staleness)
    assert agg != 0, "no valid price for liquidation"
    return agg


@external
@view
def read_prices(feeds: DynArray[uint256, MAX_FEEDS], use: uint256) -> DynArray[uint256, MAX_FEEDS]:
    """
    @notice Prices for several feeds in one call; 0 where no usable price exists (never reverts on staleness).
    @param use 0: to open or add risk (the current aggregate); 1: to reduce a position (else the last valid
           price within `close_staleness`); 2: to liquidate (within `liquidation_staleness`).
    """
    assert use <= USE_LIQUIDATION, "unknown price use"
    params: Params = self._params()
    bound: uint256 = params.liquidation_staleness if use == USE_LIQUIDATION else params.close_staleness
    out: DynArray[uint256, MAX_FEEDS] = []
    for feed: uint256 in feeds:
        assert feed < FEED_COUNT, "unknown feed"
        if use == USE_OPEN:
            out.append(self._current(feed))
        else:
            out.append(self._fallback_price(feed, bound))
    return out


@external
@view
def feed_state(feed: uint256) -> FeedState:
    assert feed < FEED_COUNT, "unknown feed"
    agg: uint256 = 0
    used: uint256 = 0
    fresh: uint256 = 0
    oldest: uint256 = 0
    agg, used, fresh, oldest = self._aggregate(feed, self.reporters, self._params())
    word: uint256 = self.feed_word[feed]
    params: Params = self._params()
    return FeedState(
        price=agg,
        close_price=self._fallback_price(feed, params.close_staleness),
        liquidation_price=self._fallback_price(feed, params.liquidation_staleness),
        fresh_reports=fresh,
        used_reports=used,
        last_valid_price=(word >> 128) & MAX_PRICE,
        last_valid_time=word >> 224,
    )


@external
@view
def reporter_list() -> DynArray[address, MAX_REPORTERS]:
    return self.reporters


@external
@view
def report_of(feed: uint256, reporter: address) -> (uint256, uint256):
    """@notice A reporter's latest report for a feed: (price, timestamp)."""
    return self._read_report(reporter, feed)


@external
@view
def quorum() -> uint256:
    return self._params().quorum


@external
@view
def staleness() -> uint256:
    return self._params().staleness


@external
@view
def max_deviation() -> uint256:
    return self._params().max_deviation


@external
@view
def liquidation_staleness() -> uint256:
    return self._params().liquidation_staleness


@external
@view
def close_staleness() -> uint256:
    return self._params().close_staleness


# -- internals ----------------------------------------------------------------


@internal
def _set_reporters(reporters: DynArray[address, MAX_REPORTERS]):
    for old: address in self.reporters:
        self.is_reporter[old] = False
    for reporter: address in reporters:
        assert reporter != empty(address), "reporter is the zero address"
        assert not self.is_reporter[reporter], "duplicate reporter"
        self.is_reporter[reporter] = True
        for half: uint256 in range((FEED_COUNT + 1) // 2, bound=MAX_FEEDS // 2):
            self.reports[reporter][half] = 0  # a returning reporter starts afresh
    self.reporters = reporters
    self.epoch += 1
    self._clear_cache()
    log ReportersChanged(reporters=reporters, epoch=self.epoch)


@internal
def _set_parameters(
    quorum: uint256, staleness: uint256, max_deviation: uint256, liquidation_staleness: uint256, close_staleness: uint256
):
    self._check_quorum(quorum, len(self.reporters))
    assert staleness != 0 and staleness <= LOW32, "staleness out of range"
    assert max_deviation != 0 and max_deviation < WAD, "max deviation must be between 0 and 1"
    assert liquidation_staleness >= staleness and liquidation_staleness <= LOW32, "liquidation staleness must be at least the staleness"
    assert close_staleness >= staleness and close_staleness <= liquidation_staleness, "close staleness must be between the staleness and the liquidation staleness"
    self.params_word = (
        quorum | (staleness << 32) | (close_staleness << 64) | (liquidation_staleness << 96) | (max_deviation << 128)
    )
    self._clear_cache()
    log ParametersChanged(
        quorum=quorum,
        staleness=staleness,
        max_deviation=max_deviation,
        liquidation_staleness=liquidation_staleness,
        close_staleness=close_staleness,
    )


@internal
@view
def _params() -> Params:
    word: uint256 = self.params_word
    return Params(
        quorum=word & LOW32,
        staleness=(word >> 32) & LOW32,
        max_deviation=word >> 128,
        liquidation_staleness=(word >> 96) & LOW32,
        close_staleness=(word >> 64) & LOW32,
    )


@internal
@pure
def _check_quorum(quorum: uint256, reporters: uint256):
    assert quorum != 0 and quorum <= reporters, "quorum must be between 1 and the number of reporters"


@internal
@view
def _check_report(feeds: DynArray[uint256, MAX_FEEDS], prices: DynArray[uint256, MAX_FEEDS]):
    assert len(feeds) != 0, "no feeds"
    assert len(feeds) == len(prices), "feeds and prices differ in length"
    seen: uint256 = 0
    for i: uint256 in range(len(feeds), bound=MAX_FEEDS):
        assert feeds[i] < FEED_COUNT, "unknown feed"
        assert seen & (1 << feeds[i]) == 0, "duplicate feed"
        seen |= 1 << feeds[i]
        assert prices[i] != 0, "zero price"
        assert prices[i] <= MAX_PRICE, "price out of range"


@internal
@view
def _read_report(reporter: address, feed: uint256) -> (uint256, uint256):
    half: uint256 = (self.reports[reporter][feed // 2] >> (128 * (feed % 2))) & (2**128 - 1)
    return half & MAX_PRICE, half >> 96


@internal
def _write_report(reporter: address, feed: uint256, price: uint256, timestamp: uint256):
    assert timestamp <= LOW32, "timestamp out of range"
    offset: uint256 = 128 * (feed % 2)
    word: uint256 = self.reports[reporter][feed // 2] & ~((2**128 - 1) << offset)
    self.reports[reporter][feed // 2] = word | ((price | (timestamp << 96)) << offset)


@internal
@view
def _digest(
    epoch: uint256, feeds: DynArray[uint256, MAX_FEEDS], prices: DynArray[uint256, MAX_FEEDS], timestamp: uint256
) -> bytes32:
    return keccak256(abi_encode(REPORT_TAG, chain.id, self, epoch, feeds, prices, timestamp))


@internal
@pure
def _signer(digest: bytes32, signed: SignedReport) -> address:
    assert convert(signed.s, uint256) <= SECP256K1_HALF_N, "malleable signature"
    signer: address = ecrecover(digest, signed.v, signed.r, signed.s)
    assert signer != empty(address), "invalid signature"
    return signer


@internal
def _refresh(feeds: DynArray[uint256, MAX_FEEDS], reporters: DynArray[address, MAX_REPORTERS], params: Params):
    for feed: uint256 in feeds:
        agg: uint256 = 0
        used: uint256 = 0
        fresh: uint256 = 0
        oldest: uint256 = 0
        agg, used, fresh, oldest = self._aggregate(feed, reporters, params)
        word: uint256 = self.feed_word[feed]
        valid_until: uint256 = min(oldest + params.staleness, NEVER)  # NEVER when no report is fresh
        if agg != 0:
            self.feed_word[feed] = agg | (valid_until << 96) | (agg << 128) | (block.timestamp << 224)
            log PriceUpdated(feed=feed, price=agg, used_reports=used)
        else:  # no price until a report expires or arrives; the last valid one stays
            self.feed_word[feed] = (valid_until << 96) | (word & ~((2**128) - 1))


@internal
def _clear_cache():
    for feed: uint256 in range(FEED_COUNT, bound=MAX_FEEDS):
        self.feed_word[feed] &= ~((2**128) - 1)


@internal
@view
def _current(feed: uint256) -> uint256:
    """@dev The aggregate now: from the cache while it is exact, else recomputed."""
    word: uint256 = self.feed_word[feed]
    valid_until: uint256 = (word >> 96) & LOW32
    if valid_until != 0 and block.timestamp <= valid_until:
        return word & MAX_PRICE
    agg: uint256 = 0
    used: uint256 = 0
    fresh: uint256 = 0
    oldest: uint256 = 0
    agg, used, fresh, oldest = self._aggregate(feed, self.reporters, self._params())
    return agg


@internal
@view
def _fallback_price(feed: uint256, bound: uint256) -> uint256:
    """@dev The current aggregate, else the last valid price if computed at most `bound` seconds ago, else 0."""
    agg: uint256 = self._current(feed)
    if agg != 0:
        return agg
    word: uint256 = self.feed_word[feed]
    last: uint256 = (word >> 128) & MAX_PRICE
    if last != 0 and block.timestamp - (word >> 224) <= bound:
        return last
    return 0


@internal
@view
def _aggregate(
    feed: uint256, reporters: DynArray[address, MAX_REPORTERS], params: Params
) -> (uint256, uint256, uint256, uint256):
    """@return (price or 0, reports used, fresh reports, timestamp of the oldest fresh report)."""
    fresh: DynArray[uint256, MAX_REPORTERS] = []
    oldest: uint256 = NEVER
    for reporter: address in reporters:
        agg: uint256 = 0
        timestamp: uint256 = 0
        agg, timestamp = self._read_report(reporter, feed)
        if agg != 0 and timestamp <= block.timestamp and block.timestamp - timestamp <= params.staleness:
            fresh.append(agg)
            oldest = min(oldest, timestamp)
    if len(fresh) < params.quorum:
        return 0, 0, len(fresh), oldest
    fresh = self._sorted(fresh)
    middle: uint256 = self._median(fresh)
    kept: DynArray[uint256, MAX_REPORTERS] = []
    for agg: uint256 in fresh:
        distance: uint256 = agg - middle if agg > middle else middle - agg
        if distance * WAD <= params.max_deviation * middle:
            kept.append(agg)
    if len(kept) < params.quorum:
        return 0, len(kept), len(fresh), oldest
    return self._median(kept), len(kept), len(fresh), oldest


@internal
@pure
def _sorted(values: DynArray[uint256, MAX_REPORTERS]) -> DynArray[uint256, MAX_REPORTERS]:
    out: DynArray[uint256, MAX_REPORTERS] = values
    n: uint256 = len(out)
    for i: uint256 in range(1, MAX_REPORTERS):
        if i >= n:
            break
        current: uint256 = out[i]
        j: uint256 = i
        for _: uint256 in range(MAX_REPORTERS):
            if j == 0 or out[j - 1] <= current:
                break
            out[j] = out[j - 1]
            j -= 1
        out[j] = current
    return out


@internal
@pure
def _median(sorted_values: DynArray[uint256, MAX_REPORTERS]) -> uint256:
    n: uint256 = len(sorted_values)
    if n % 2 == 1:
        return sorted_values[n // 2]
    return (sorted_values[n // 2 - 1] + sorted_values[n // 2]) // 2
