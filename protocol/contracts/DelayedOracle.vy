# pragma version 0.4.3
"""
@title DelayedOracle
@notice The OracleAggregator's prices one `DELAY` late: what the engine acts on when the protocol
        runs with an oracle delay (MakerDAO's Oracle Security Module, whose delay was an hour).

        For every feed and price use (0 open, 1 close, 2 liquidation; see
        `OracleAggregator.read_prices`) it holds two prices: `cur`, which `read_prices` serves, and
        `nxt`, read from the aggregator at the last poke. `poke()`, which anyone may call once
        `DELAY` seconds have passed since the last one, moves every `nxt` to `cur` and reads a
        new `nxt`. A served price is therefore at least `DELAY` old: it was read at the poke
        before last. Whoever pokes picks the moment within the due window, never the price.
        The first poke has no older reading to publish: it sets `cur` and `nxt` alike.

        Staleness. A use's `cur` is served from the poke that published it until the next poke
        is due plus the aggregator's own bound for that use, read at the poke: `staleness` to open,
        `close_staleness` to close, `liquidation_staleness` to liquidate. A missed poke thus
        makes the delayed prices go stale the way missing reports make the aggregator's go stale:
        opening stops first, closing next, liquidating last; until the next poke `read_prices`
        returns 0 for that use (the engine refuses, as for a stale price). A late poke still
        publishes the `nxt` it finds, which is then older than `DELAY` by the lateness (as in
        Maker's OSM), and reads its successor then. A price the aggregator had no usable value
        for when it was read (0) is served as 0.
"""

MAX_FEEDS: constant(uint256) = 8
USES: constant(uint256) = 3  # open, close, liquidation
USE_LIQUIDATION: constant(uint256) = 2
LOW64: constant(uint256) = 2**64 - 1
LOW128: constant(uint256) = 2**128 - 1
MAX_DELAY: constant(uint256) = 2**32 - 1

interface ISource:
    def FEED_COUNT() -> uint256: view
    def read_prices(feeds: DynArray[uint256, MAX_FEEDS], use: uint256) -> DynArray[uint256, MAX_FEEDS]: view
    def staleness() -> uint256: view
    def close_staleness() -> uint256: view
    def liquidation_staleness() -> uint256: view

event Poked:
    timestamp: uint256
    current: DynArray[uint256, MAX_FEEDS]  # the liquidation prices now served, by feed id
    next: DynArray[uint256, MAX_FEEDS]  # the liquidation prices the next poke will serve

SOURCE: public(immutable(address))
DELAY: public(immutable(uint256))
FEED_COUNT: public(immutable(uint256))

poke_word: uint256  # last poke | served until (open) << 64 | (close) << 128 | (liquidation) << 192
price_word: HashMap[uint256, uint256]  # use * MAX_FEEDS + feed -> cur | nxt << 128


@deploy
def __init__(source: address, delay: uint256):
    assert source.is_contract, "source is not a contract"
    assert delay != 0 and delay <= MAX_DELAY, "delay out of range"
    SOURCE = source
    DELAY = delay
    FEED_COUNT = staticcall ISource(source).FEED_COUNT()
    assert FEED_COUNT != 0 and FEED_COUNT <= MAX_FEEDS, "feed count out of range"


@external
def poke():
    """@notice Publish the prices read at the last poke and read the next ones; anyone, once per `DELAY`."""
    last: uint256 = self.poke_word & LOW64
    assert last == 0 or block.timestamp >= last + DELAY, "poke not due"
    feeds: DynArray[uint256, MAX_FEEDS] = []
    for feed: uint256 in range(FEED_COUNT, bound=MAX_FEEDS):
        feeds.append(feed)
    graces: uint256[USES] = [
        staticcall ISource(SOURCE).staleness(),
        staticcall ISource(SOURCE).close_staleness(),
        staticcall ISource(SOURCE).liquidation_staleness(),
    ]
    word: uint256 = block.timestamp
    current: DynArray[uint256, MAX_FEEDS] = []
    upcoming: DynArray[uint256, MAX_FEEDS] = []
    for use: uint256 in range(USES):
        fresh: DynArray[uint256, MAX_FEEDS] = staticcall ISource(SOURCE).read_prices(feeds, use)
        for feed: uint256 in feeds:
            key: uint256 = use * MAX_FEEDS + feed
            cur: uint256 = fresh[feed]
            if last != 0:
                cur = self.price_word[key] >> 128
            self.price_word[key] = cur | (fresh[feed] << 128)
            if use == USE_LIQUIDATION:
                current.append(cur)
        word |= min(block.timestamp + DELAY + graces[use], LOW64) << (64 * (use + 1))
        if use == USE_LIQUIDATION:
            upcoming = fresh
    self.poke_word = word
    log Poked(timestamp=block.timestamp, current=current, next=upcoming)


@external
@view
def read_prices(feeds: DynArray[uint256, MAX_FEEDS], use: uint256) -> DynArray[uint256, MAX_FEEDS]:
    """
    @notice The delayed prices (`cur`) for `use` (as `OracleAggregator.read_prices`); 0 where there is none
            or the poke that should have replaced them is overdue beyond the use's bound. Never reverts on staleness.
    """
    assert use < USES, "unknown price use"
    live: bool = block.timestamp <= self._served_until(use)
    out: DynArray[uint256, MAX_FEEDS] = []
    for feed: uint256 in feeds:
        assert feed < FEED_COUNT, "unknown feed"
        if live:
            out.append(self.price_word[use * MAX_FEEDS + feed] & LOW128)
        else:
            out.append(0)
    return out


@external
@view
def next_prices(feeds: DynArray[uint256, MAX_FEEDS], use: uint256) -> DynArray[uint256, MAX_FEEDS]:
    """@notice What the next poke will publish for `use` (`nxt`, as read at the last poke)."""
    assert use < USES, "unknown price use"
    out: DynArray[uint256, MAX_FEEDS] = []
    for feed: uint256 in feeds:
        assert feed < FEED_COUNT, "unknown feed"
        out.append(self.price_word[use * MAX_FEEDS + feed] >> 128)
    return out


@external
@view
def last_poke() -> uint256:
    """@notice The timestamp of the last poke (0: never poked)."""
    return self.poke_word & LOW64


@external
@view
def next_poke() -> uint256:
    """@notice The earliest timestamp of the next poke (0: now, it was never poked)."""
    last: uint256 = self.poke_word & LOW64
    if last == 0:
        return 0
    return last + DELAY


@external
@view
def can_poke() -> bool:
    last: uint256 = self.poke_word & LOW64
    return last == 0 or block.timestamp >= last + DELAY


@external
@view
def served_until(use: uint256) -> uint256:
    """@notice The last timestamp at which `cur` is served for `use` unless a poke comes first (0: never poked)."""
    assert use < USES, "unknown price use"
    return self._served_until(use)


@internal
@view
def _served_until(use: uint256) -> uint256:
    return (self.poke_word >> (64 * (use + 1))) & LOW64
