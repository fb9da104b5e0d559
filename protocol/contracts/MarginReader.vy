# pragma version 0.4.3
"""
@title MarginReader
@notice Read-only lens over a MarginEngine: one call returns a bucket's whole state (valuation,
        positions, collateral) for off-chain readers. It holds no state and moves nothing; the
        valuation itself comes from the engine (`value_at`), so there is one source of truth.
"""

WAD: constant(uint256) = 10**18
SWAD: constant(int256) = 10**18
PRICES_OPEN: constant(uint256) = 0  # the oracle's price uses (see OracleAggregator.read_prices)
PRICES_LIQUIDATION: constant(uint256) = 2
MAX_COLLATERALS: constant(uint256) = 16
MAX_MARKETS: constant(uint256) = 8
MAX_BUCKETS: constant(uint256) = 8
MAX_FEEDS: constant(uint256) = 8
MAX_HEALTH_ROWS: constant(uint256) = 128

struct BucketKey:
    account: address
    bucket: uint256

struct BucketHealth:
    account: address
    bucket: uint256
    equity: int256
    maintenance_requirement: uint256
    health: int256

struct Collateral:
    chain_id: uint256
    token: address
    scale: uint256
    haircut: uint256
    feed: uint256

struct Market:
    feed: uint256
    initial_margin: uint256
    maintenance_margin: uint256
    max_leverage: uint256
    oi_cap: uint256
    trading_fee: uint256
    skew_scale: uint256
    max_funding_velocity: uint256

struct Position:
    size: int256
    entry_price: uint256
    funding_index: int256

struct Valuation:
    collateral_value: uint256
    balance: int256
    unrealized_pnl: int256
    funding_owed: int256
    equity: int256
    notional: uint256
    initial_requirement: uint256
    maintenance_requirement: uint256

struct MarketView:
    long_oi: uint256
    short_oi: uint256
    skew: int256
    funding_rate: int256
    funding_index: int256
    updated_at: uint256

struct FundView:
    cid: uint256
    pool: uint256
    insurance: uint256

struct PositionView:
    market: uint256
    size: int256
    entry_price: uint256
    mark_price: uint256
    unrealized_pnl: int256
    funding_owed: int256
    notional: uint256
    maintenance_requirement: uint256

struct CollateralView:
    cid: uint256
    amount: uint256
    price: uint256
    value: uint256

struct BucketState:
    equity: int256
    collateral_value: uint256
    balance: int256
    unrealized_pnl: int256
    funding_owed: int256
    notional: uint256
    initial_requirement: uint256
    maintenance_requirement: uint256
    free_margin: int256
    health: int256
    prices_fresh: bool
    positions: DynArray[PositionView, MAX_MARKETS]
    collateral: DynArray[CollateralView, MAX_COLLATERALS]

interface IEngine:
    def ORACLE() -> address: view
    def collaterals(cid: uint256) -> Collateral: view
    def markets(market: uint256) -> Market: view
    def collateral(account: address, bucket: uint256, cid: uint256) -> uint256: view
    def collateral_mask(account: address, bucket: uint256) -> uint256: view
    def market_mask(account: address, bucket: uint256) -> uint256: view
    def feed_mask(account: address, bucket: uint256) -> uint256: view
    def position(account: address, bucket: uint256, market: uint256) -> Position: view
    def market_view(market: uint256, price: uint256) -> MarketView: view
    def value_at(account: address, bucket: uint256, prices: uint256[MAX_FEEDS]) -> Valuation: view
    def collateral_count() -> uint256: view
    def credited_total(cid: uint256) -> uint256: view
    def pool(cid: uint256) -> uint256: view
    def insurance(cid: uint256) -> uint256: view

interface IOracle:
    def read_prices(feeds: DynArray[uint256, MAX_FEEDS], use: uint256) -> DynArray[uint256, MAX_FEEDS]: view

ENGINE: public(immutable(IEngine))


@deploy
def __init__(engine: address):
    assert engine != empty(address), "engine is the zero address"
    ENGINE = IEngine(engine)


@external
@view
def bucket_state(account: address, bucket: uint256) -> BucketState:
    """
    @notice A bucket valued at current prices, or at the liquidation prices (last valid ones) when
            a current price is missing (`prices_fresh` tells which); reverts when neither exists.
    """
    assert bucket < MAX_BUCKETS, "unknown bucket"
    feeds: uint256 = staticcall ENGINE.feed_mask(account, bucket)
    prices: uint256[MAX_FEEDS] = self._prices(feeds, PRICES_OPEN)
    fresh: bool = self._complete(prices, feeds)
    if not fresh:
        prices = self._prices(feeds, PRICES_LIQUIDATION)
        assert self._complete(prices, feeds), "no valid price"
    v: Valuation = staticcall ENGINE.value_at(account, bucket, prices)
    health: int256 = max_value(int256)
    if v.maintenance_requirement != 0:
        health = v.equity * SWAD // convert(v.maintenance_requirement, int256)
    state: BucketState = BucketState(
        equity=v.equity,
        collateral_value=v.collateral_value,
        balance=v.balance,
        unrealized_pnl=v.unrealized_pnl,
        funding_owed=v.funding_owed,
        notional=v.notional,
        initial_requirement=v.initial_requirement,
        maintenance_requirement=v.maintenance_requirement,
        free_margin=v.equity - convert(v.initial_requirement, int256),
        health=health,
        prices_fresh=fresh,
        positions=[],
        collateral=[],
    )
    mmask: uint256 = staticcall ENGINE.market_mask(account, bucket)
    for m: uint256 in range(MAX_MARKETS):
        if mmask & (1 << m) == 0:
            continue
        mk: Market = staticcall ENGINE.markets(m)
        pos: Position = staticcall ENGINE.position(account, bucket, m)
        price: uint256 = prices[mk.feed]
        index: int256 = (staticcall ENGINE.market_view(m, price)).funding_index
        notional: uint256 = self._abs(pos.size) * price // WAD
        state.positions.append(PositionView(
            market=m,
            size=pos.size,
            entry_price=pos.entry_price,
            mark_price=price,
            unrealized_pnl=pos.size * (convert(price, int256) - convert(pos.entry_price, int256)) // SWAD,
            funding_owed=pos.size * (index - pos.funding_index) // SWAD,
            notional=notional,
            maintenance_requirement=notional * mk.maintenance_margin // WAD,
        ))
    cmask: uint256 = staticcall ENGINE.collateral_mask(account, bucket)
    for cid: uint256 in range(MAX_COLLATERALS):
        if cmask & (1 << cid) == 0:
            continue
        c: Collateral = staticcall ENGINE.collaterals(cid)
        amount: uint256 = staticcall ENGINE.collateral(account, bucket, cid)
        price: uint256 = prices[c.feed]
        state.collateral.append(CollateralView(
            cid=cid, amount=amount, price=price, value=amount * price // c.scale * (WAD - c.haircut) // WAD
        ))
    return state


@external
@view
def health_of(keys: DynArray[BucketKey, MAX_HEALTH_ROWS]) -> DynArray[BucketHealth, MAX_HEALTH_ROWS]:
    """
    @notice Health of the given buckets at liquidation prices, as the engine's `health_page` computes
            it, for a keeper that tracks which buckets hold positions; buckets without positions or
            without a usable price are left out. A bucket is liquidatable when its health is below 1e18.
    """
    feeds: DynArray[uint256, MAX_HEALTH_ROWS] = []
    union: uint256 = 0
    for key: BucketKey in keys:
        mask: uint256 = 0
        if staticcall ENGINE.market_mask(key.account, key.bucket) != 0:
            mask = staticcall ENGINE.feed_mask(key.account, key.bucket)
        feeds.append(mask)
        union |= mask
    prices: uint256[MAX_FEEDS] = self._prices(union, PRICES_LIQUIDATION)
    out: DynArray[BucketHealth, MAX_HEALTH_ROWS] = []
    for i: uint256 in range(len(keys), bound=MAX_HEALTH_ROWS):
        if feeds[i] == 0 or not self._complete(prices, feeds[i]):
            continue
        key: BucketKey = keys[i]
        v: Valuation = staticcall ENGINE.value_at(key.account, key.bucket, prices)
        health: int256 = max_value(int256)
        if v.maintenance_requirement != 0:
            health = v.equity * SWAD // convert(v.maintenance_requirement, int256)
        out.append(BucketHealth(
            account=key.account,
            bucket=key.bucket,
            equity=v.equity,
            maintenance_requirement=v.maintenance_requirement,
            health=health,
        ))
    return out


@external
@view
def funds() -> DynArray[FundView, MAX_COLLATERALS]:
    """@notice The engine's mirror of every vault's pool and insurance fund, per collateral id."""
    out: DynArray[FundView, MAX_COLLATERALS] = []
    for cid: uint256 in range(staticcall ENGINE.collateral_count(), bound=MAX_COLLATERALS):
        out.append(FundView(cid=cid, pool=staticcall ENGINE.pool(cid), insurance=staticcall ENGINE.insurance(cid)))
    return out


@external
@view
def credited_totals() -> DynArray[uint256, MAX_COLLATERALS]:
    """@notice Collateral credited to all accounts together, per collateral id, in one call."""
    out: DynArray[uint256, MAX_COLLATERALS] = []
    for cid: uint256 in range(staticcall ENGINE.collateral_count(), bound=MAX_COLLATERALS):
        out.append(staticcall ENGINE.credited_total(cid))
    return out


@internal
@view
def _prices(feeds: uint256, use: uint256) -> uint256[MAX_FEEDS]:
    out: uint256[MAX_FEEDS] = empty(uint256[MAX_FEEDS])
    wanted: DynArray[uint256, MAX_FEEDS] = []
    for f: uint256 in range(MAX_FEEDS):
        if feeds & (1 << f) != 0:
            wanted.append(f)
    if len(wanted) == 0:
        return out
    got: DynArray[uint256, MAX_FEEDS] = staticcall IOracle(staticcall ENGINE.ORACLE()).read_prices(wanted, use)
    for i: uint256 in range(len(wanted), bound=MAX_FEEDS):
        out[wanted[i]] = got[i]
    return out


@internal
@pure
def _complete(prices: uint256[MAX_FEEDS], feeds: uint256) -> bool:
    for f: uint256 in range(MAX_FEEDS):
        if feeds & (1 << f) != 0 and prices[f] == 0:
            return False
    return True


@internal
@pure
def _abs(x: int256) -> uint256:
    if x < 0:
        return convert(-x, uint256)
    return convert(x, uint256)
