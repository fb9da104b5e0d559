# pragma version 0.4.3
# pragma optimize codesize
"""
@title MarginEngine
@notice The single source of truth for margin, on the perp chain.

        Units: prices, values, PnL, balances and funding are 18-decimal USD ("WAD"); ratios are
        WAD fractions; position sizes are 18-decimal units of the base asset (signed, long > 0);
        collateral amounts are in the vault token's own decimals.

        An account's margin lives in buckets: bucket 0 is cross margin (every market shares its
        collateral), buckets 1..7 are isolated (one market each, never drawing on the rest).
        A bucket holds collateral credited from vault chains, a USD balance (realised gains not
        yet withdrawn; negative only while a loss waits for collateral) and positions. Deposits
        credit, and withdrawals draw on, the cross bucket; an isolated bucket's margin returns to
        it when the bucket's position is closed.

        The counterparty of every trade is a pool held by the vaults. Losses, fees and funding
        paid are settled at once by SEIZE (locked collateral moves to the pool, the treasury's
        share of fees to the treasury); gains are credited to the balance and paid out of the
        pool by RELEASE when withdrawn. The engine mirrors each vault's pool and insurance fund
        per collateral, so it never promises more than they hold.

        A liquidation's bonus comes only out of what is left once its loss is paid: it never adds to
        bad debt. After the insurance fund, the deleverager (a separate contract, the only caller of
        `deleverage`) may close profitable positions whose profit pays uncovered bad debt down.

        Storage is packed (two values per word where they fit) to keep a trade under 300k gas.
"""

import messages

interface IMailbox:
    def dispatch(dst_chain_id: uint256, recipient: address, body: Bytes[2048]) -> bytes32: nonpayable

interface IOracle:
    def read_prices(feeds: DynArray[uint256, MAX_FEEDS], use: uint256) -> DynArray[uint256, MAX_FEEDS]: view

WAD: constant(uint256) = 10**18
PRICES_OPEN: constant(uint256) = 0  # the oracle's price uses (see OracleAggregator.read_prices)
PRICES_CLOSE: constant(uint256) = 1
PRICES_LIQUIDATION: constant(uint256) = 2
SWAD: constant(int256) = 10**18
DAY: constant(int256) = 86400
MAX_COLLATERALS: constant(uint256) = 16
MAX_MARKETS: constant(uint256) = 8
MAX_BUCKETS: constant(uint256) = 8
MAX_FEEDS: constant(uint256) = 8
MAX_PENDING: constant(uint256) = 24
MAX_PAGE: constant(uint256) = 32
MAX_PAGE_ROWS: constant(uint256) = 256
LOW128: constant(uint256) = 2**128 - 1
LOW64: constant(uint256) = 2**64 - 1
BIAS: constant(int256) = 2**127  # signed values are stored biased in 128 bits
RATE_BIAS: constant(int256) = 2**87  # the funding rate is stored biased in 88 bits
LOW88: constant(uint256) = 2**88 - 1
COLLATERAL_BITS: constant(uint256) = 65535  # low 16 bits of a bucket's mask: collateral ids held
MARKET_SHIFT: constant(uint256) = 16  # bits 16..23: markets with a position

struct Collateral:
    chain_id: uint256
    token: address
    scale: uint256  # 10 ** decimals
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
    max_funding_velocity: uint256  # funding rate change per day, per day, at full skew

struct LiquidationParams:
    close_factor: uint256
    full_close_health: uint256
    dust_notional: uint256
    bonus: uint256

struct MarketState:
    long_oi: uint256
    short_oi: uint256
    funding_rate: int256  # per day
    funding_index: int256  # cumulative funding owed per unit of long size
    updated_at: uint256

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

struct BucketHealth:
    account: address
    bucket: uint256
    equity: int256
    maintenance_requirement: uint256
    health: int256

struct MarketView:
    long_oi: uint256
    short_oi: uint256
    skew: int256
    funding_rate: int256
    funding_index: int256
    updated_at: uint256

struct Totals:
    bad_debt: uint256
    insurance_drawn: uint256
    uncovered_bad_debt: uint256
    accounts: uint256
    seizes: uint256

struct Pending:
    cid: uint256
    amount: uint256
    source: uint256
    dest: uint256
    recipient: address

event VaultSet:
    chain_id: indexed(uint256)
    vault: address

event CollateralCredited:
    account: indexed(address)
    cid: uint256
    amount: uint256
    src_chain_id: uint256

event FundCredited:
    fund: uint256
    cid: uint256
    amount: uint256

event FundingUpdated:
    market: indexed(uint256)
    funding_rate: int256
    funding_index: int256
    skew: int256
    price: uint256

event PositionChanged:
    account: indexed(address)
    bucket: uint256
    market: indexed(uint256)
    size_delta: int256
    size: int256
    price: uint256
    entry_price: uint256
    realized_pnl: int256
    funding: int256
    fee: uint256
    liquidation: bool

event SeizeDispatched:
    seize_id: indexed(uint256)
    account: indexed(address)
    chain_id: uint256
    message_id: bytes32
    items: DynArray[messages.SeizeItem, messages.MAX_SEIZE_ITEMS]

event Liquidated:
    account: indexed(address)
    bucket: uint256
    liquidator: indexed(address)
    health: int256
    full_close: bool
    closed_notional: uint256
    bonus: uint256
    bonus_from_gains: uint256
    realized_pnl: int256

event BadDebt:
    account: indexed(address)
    bucket: uint256
    amount: uint256
    insurance_drawn: uint256
    uncovered: uint256

event WithdrawalHonoured:
    request_id: uint256
    account: indexed(address)
    cid: uint256
    from_locked: uint256
    from_pool: uint256
    pool_value: uint256
    src_chain_id: uint256

event WithdrawalRefused:
    request_id: uint256
    account: indexed(address)
    token: address
    amount: uint256
    reason: uint256
    src_chain_id: uint256

event CollateralMoved:
    account: indexed(address)
    from_bucket: uint256
    to_bucket: uint256
    cid: uint256
    amount: uint256

event BalanceMoved:
    account: indexed(address)
    from_bucket: uint256
    to_bucket: uint256
    amount: uint256

MAILBOX: public(immutable(address))
ORACLE: public(immutable(address))
LIQUIDATION: public(immutable(LiquidationParams))
TREASURY_SHARE: public(immutable(uint256))

owner: public(address)
deleverager: address  # the auto-deleveraging contract, the only caller of `deleverage`
collateral_count: public(uint256)
market_count: public(uint256)
all_feeds: uint256
vaults: public(HashMap[uint256, address])
collateral_index: HashMap[uint256, HashMap[address, uint256]]  # (chain id, token) -> cid + 1

# packed parameters (see the accessors below)
collateral_valuation: HashMap[uint256, uint256]  # scale | haircut << 128 | feed << 192
collateral_route: HashMap[uint256, uint256]  # token | chain id << 160
market_risk: HashMap[uint256, uint256]  # feed | initial << 8 | maintenance << 72 | fee << 136
market_limits: HashMap[uint256, uint256]  # max leverage | oi cap << 128
market_funding: HashMap[uint256, uint256]  # skew scale | max velocity << 128

# packed state
market_oi: HashMap[uint256, uint256]  # long | short << 128
market_funding_state: HashMap[uint256, uint256]  # (index + BIAS) | (rate + RATE_BIAS) << 128 | updated_at << 216
position_word: HashMap[address, HashMap[uint256, HashMap[uint256, uint256]]]  # (size + BIAS) | entry << 128
position_index: HashMap[address, HashMap[uint256, HashMap[uint256, int256]]]
masks: HashMap[address, HashMap[uint256, uint256]]  # account, bucket -> collateral bits | market bits << 16

collateral: public(HashMap[address, HashMap[uint256, HashMap[uint256, uint256]]])  # account, bucket, cid
credited_total: public(HashMap[uint256, uint256])  # cid: the sum of collateral over every account and bucket
balances: public(HashMap[address, HashMap[uint256, int256]])

pool: public(HashMap[uint256, uint256])
insurance: public(HashMap[uint256, uint256])
bad_debt: public(uint256)
insurance_drawn: public(uint256)
uncovered_bad_debt: public(uint256)

account_count: public(uint256)
account_at: public(HashMap[uint256, address])
registered: HashMap[address, bool]
seize_count: public(uint256)

pending: transient(DynArray[Pending, MAX_PENDING])


@deploy
def __init__(
    mailbox: address,
    oracle: address,
    collaterals: DynArray[Collateral, MAX_COLLATERALS],
    markets: DynArray[Market, MAX_MARKETS],
    liquidation: LiquidationParams,
    treasury_share: uint256,
):
    assert mailbox != empty(address) and oracle != empty(address), "mailbox and oracle must be set"
    assert len(markets) != 0, "no markets"
    feeds: uint256 = 0
    for i: uint256 in range(len(collaterals), bound=MAX_COLLATERALS):
        c: Collateral = collaterals[i]
        assert c.chain_id != 0 and c.chain_id <= LOW64 and c.token != empty(address), "collateral needs a chain id and a token"
        assert c.scale != 0 and c.scale <= LOW128 and c.haircut < WAD and c.feed < MAX_FEEDS, "collateral parameters out of range"
        assert self.collateral_index[c.chain_id][c.token] == 0, "collateral registered twice"
        self.collateral_index[c.chain_id][c.token] = i + 1
        self.collateral_valuation[i] = c.scale | (c.haircut << 128) | (c.feed << 192)
        self.collateral_route[i] = convert(c.token, uint256) | (c.chain_id << 160)
        feeds |= 1 << c.feed
    for i: uint256 in range(len(markets), bound=MAX_MARKETS):
        m: Market = markets[i]
        assert m.feed < MAX_FEEDS, "market feed out of range"
        assert m.maintenance_margin != 0 and m.maintenance_margin < m.initial_margin, "maintenance margin must be positive and below the initial margin"
        assert m.initial_margin <= WAD and m.trading_fee < WAD, "initial margin or fee out of range"
        assert m.max_leverage != 0 and m.max_leverage <= LOW128 and m.oi_cap <= LOW128, "market limits out of range"
        assert m.skew_scale != 0 and m.skew_scale <= LOW128 and m.max_funding_velocity <= LOW128, "funding parameters out of range"
        self.market_risk[i] = m.feed | (m.initial_margin << 8) | (m.maintenance_margin << 72) | (m.trading_fee << 136)
        self.market_limits[i] = m.max_leverage | (m.oi_cap << 128)
        self.market_funding[i] = m.skew_scale | (m.max_funding_velocity << 128)
        self.market_funding_state[i] = self._pack_funding(0, 0, block.timestamp)
        feeds |= 1 << m.feed
    assert liquidation.close_factor != 0 and liquidation.close_factor <= WAD, "close factor out of range"
    assert liquidation.bonus < WAD and liquidation.full_close_health <= WAD, "liquidation parameters out of range"
    assert treasury_share <= WAD, "treasury share out of range"
    MAILBOX = mailbox
    ORACLE = oracle
    self.collateral_count = len(collaterals)
    self.market_count = len(markets)
    LIQUIDATION = liquidation
    TREASURY_SHARE = treasury_share
    self.all_feeds = feeds
    self.owner = msg.sender


@external
def set_vault(chain_id: uint256, vault: address):
    """@notice Trust `vault` as the remote app on `chain_id` (and send its messages there)."""
    assert msg.sender == self.owner, "only the owner"
    assert chain_id != 0 and vault != empty(address), "vault chain id and address must be set"
    self.vaults[chain_id] = vault
    log VaultSet(chain_id=chain_id, vault=vault)


@external
def set_deleverager(deleverager: address):
    """@notice Allow `deleverager` (the auto-deleveraging contract) to call `deleverage`."""
    assert msg.sender == self.owner, "only the owner"
    self.deleverager = deleverager


# -- trading ------------------------------------------------------------------


@external
def trade(market: uint256, size_delta: int256, bucket: uint256, acceptable_price: uint256):
    """
    @notice Change the caller's position in `market` by `size_delta` (base units, + buys) in `bucket`
            (0 = cross margin, 1..7 = isolated), at the oracle price.
    @param acceptable_price Worst price accepted (highest when buying, lowest when selling); 0 = any.
    """
    assert market < self.market_count, "unknown market"
    assert bucket < MAX_BUCKETS, "unknown bucket"
    assert size_delta != 0, "zero size"
    account: address = msg.sender
    assert bucket == 0 or self._mmask(account, bucket) & ~(1 << market) == 0, "an isolated bucket holds a single market"
    mk: Market = self._market(market)
    old_size: int256 = self._load_position(account, bucket, market).size
    new_size: int256 = old_size + size_delta
    increasing: bool = self._is_increasing(old_size, new_size)
    prices: uint256[MAX_FEEDS] = self._require_prices(
        self._feed_mask(account, bucket) | (1 << mk.feed), PRICES_OPEN if increasing else PRICES_CLOSE
    )
    price: uint256 = prices[mk.feed]
    if acceptable_price != 0:
        if size_delta > 0:
            assert price <= acceptable_price, "price above the acceptable price"
        else:
            assert price >= acceptable_price, "price below the acceptable price"
    self._accrue(market, price)
    fee: uint256 = self._abs(size_delta) * price // WAD * mk.trading_fee // WAD
    pnl: int256 = 0
    funding: int256 = 0
    pnl, funding = self._apply_trade(account, bucket, market, size_delta, price, fee, False)
    if increasing:
        oi: uint256 = self.market_oi[market]
        assert (new_size > 0 and oi & LOW128 <= mk.oi_cap) or (new_size < 0 and oi >> 128 <= mk.oi_cap), "open interest cap exceeded"
    treasury_fee: uint256 = fee * TREASURY_SHARE // WAD
    self.balances[account][bucket] += pnl - funding - convert(fee - treasury_fee, int256)
    self._take(account, bucket, treasury_fee, messages.DEST_TREASURY, empty(address), prices)
    self._settle_debt(account, bucket, prices)
    if increasing:
        v: Valuation = self._value(account, bucket, prices)
        assert v.equity > 0, "insufficient margin"
        assert self._abs(new_size) * price // WAD * WAD <= mk.max_leverage * convert(v.equity, uint256), "leverage above the cap"
        assert v.equity >= convert(v.initial_requirement, int256), "insufficient margin"
    elif self._mmask(account, bucket) == 0:
        self._close_out(account, bucket)
    self._dispatch_pending(account)


@external
def liquidate(account: address, bucket: uint256) -> uint256:
    """
    @notice Close part (or all) of an under-maintenance bucket at the oracle price; the caller gets
            the bonus out of the bucket's collateral on the vault chains. Returns the closed notional.
    """
    assert bucket < MAX_BUCKETS, "unknown bucket"
    mmask: uint256 = self._mmask(account, bucket)
    assert mmask != 0, "no open positions"
    prices: uint256[MAX_FEEDS] = self._require_prices(self._feed_mask(account, bucket), PRICES_LIQUIDATION)
    for m: uint256 in range(MAX_MARKETS):
        if mmask >> m == 0:
            break
        if mmask & (1 << m) != 0:
            self._accrue(m, prices[self._market_feed(m)])
    v: Valuation = self._value(account, bucket, prices)
    maintenance: int256 = convert(v.maintenance_requirement, int256)
    assert v.equity < maintenance, "account is healthy"
    health: int256 = self._health(v.equity, v.maintenance_requirement)
    params: LiquidationParams = LIQUIDATION
    full: bool = health < convert(params.full_close_health, int256)
    closed_notional: uint256 = 0
    realized: int256 = 0
    for m: uint256 in range(MAX_MARKETS):
        if mmask >> m == 0:
            break
        if mmask & (1 << m) == 0:
            continue
        price: uint256 = prices[self._market_feed(m)]
        size: int256 = self._load_position(account, bucket, m).size
        delta: int256 = -size
        if not full and self._abs(size) * price // WAD >= params.dust_notional:
            delta = -(size * convert(params.close_factor, int256) // SWAD)
            if delta == 0:
                delta = -size
        pnl: int256 = 0
        funding: int256 = 0
        pnl, funding = self._apply_trade(account, bucket, m, delta, price, 0, True)
        realized += pnl - funding
        closed_notional += self._abs(delta) * price // WAD
    self.balances[account][bucket] += realized
    self._settle_debt(account, bucket, prices)
    # the bonus comes only out of what is left once the debt is paid: it never adds to bad debt
    paid: uint256 = 0
    from_gains: uint256 = 0
    if self.balances[account][bucket] >= 0:
        bonus: uint256 = closed_notional * params.bonus // WAD
        paid = self._take(account, bucket, bonus, messages.DEST_RECIPIENT, msg.sender, prices)
        gains: int256 = self.balances[account][bucket]
        if paid < bonus and gains > 0:
            from_gains = min(convert(gains, uint256), bonus - paid)
            self.balances[account][bucket] = gains - convert(from_gains, int256)
            self.balances[msg.sender][0] += convert(from_gains, int256)
            self._register(msg.sender)
    if self._mmask(account, bucket) == 0:
        self._close_out(account, bucket)
    self._dispatch_pending(account)
    log Liquidated(
        account=account,
        bucket=bucket,
        liquidator=msg.sender,
        health=health,
        full_close=full,
        closed_notional=closed_notional,
        bonus=paid + from_gains,
        bonus_from_gains=from_gains,
        realized_pnl=realized,
    )
    return closed_notional


@external
def deleverage(account: address, bucket: uint256, market: uint256, size_delta: int256) -> uint256:
    """
    @notice Auto-deleveraging, for the deleverager only: close `size_delta` of a position at the
            liquidation price; its realised profit, up to the uncovered bad debt, pays that debt down
            instead of being credited to the account. Returns the USD recovered.
    """
    assert msg.sender == self.deleverager, "only the deleverager"
    size: int256 = self._load_position(account, bucket, market).size
    assert size_delta != 0 and (size > 0) != (size_delta > 0) and self._abs(size_delta) <= self._abs(size), "not a reduction"
    prices: uint256[MAX_FEEDS] = self._require_prices(self._feed_mask(account, bucket), PRICES_LIQUIDATION)
    price: uint256 = prices[self._market_feed(market)]
    self._accrue(market, price)
    pnl: int256 = 0
    funding: int256 = 0
    pnl, funding = self._apply_trade(account, bucket, market, size_delta, price, 0, True)
    realized: int256 = pnl - funding
    recovered: uint256 = 0
    if realized > 0:
        recovered = min(convert(realized, uint256), self.uncovered_bad_debt)
        self.uncovered_bad_debt -= recovered
    self.balances[account][bucket] += realized - convert(recovered, int256)
    self._settle_debt(account, bucket, prices)
    if self._mmask(account, bucket) == 0:
        self._close_out(account, bucket)
    self._dispatch_pending(account)
    return recovered


@external
def move_collateral(from_bucket: uint256, to_bucket: uint256, cid: uint256, amount: uint256):
    """@notice Move collateral between the caller's buckets (e.g. to margin an isolated position)."""
    self._check_move(from_bucket, to_bucket)
    assert cid < self.collateral_count, "unknown collateral"
    assert amount != 0, "zero amount"
    held: uint256 = self.collateral[msg.sender][from_bucket][cid]
    assert held >= amount, "amount exceeds the bucket's collateral"
    self._set_collateral(msg.sender, from_bucket, cid, held - amount)
    self._set_collateral(msg.sender, to_bucket, cid, self.collateral[msg.sender][to_bucket][cid] + amount)
    self._check_initial_margin(msg.sender, from_bucket)
    log CollateralMoved(account=msg.sender, from_bucket=from_bucket, to_bucket=to_bucket, cid=cid, amount=amount)


# -- messages from the vaults -------------------------------------------------


@external
def handle(src_chain_id: uint256, sender: address, body: Bytes[messages.MAX_BODY]):
    assert msg.sender == MAILBOX, "caller is not the mailbox"
    assert sender != empty(address) and self.vaults[src_chain_id] == sender, "untrusted remote"
    assert len(body) >= 32, "malformed message body"
    kind: uint256 = abi_decode(slice(body, 0, 32), uint256)
    if kind == messages.MARGIN_LOCKED:
        self._on_margin_locked(src_chain_id, body)
    elif kind == messages.WITHDRAW_REQUEST:
        self._on_withdraw_request(src_chain_id, body)
    elif kind == messages.FUNDED:
        self._on_funded(src_chain_id, body)
    else:
        raise "unknown message kind"


# -- views ----------------------------------------------------------------------


@external
@view
def collaterals(cid: uint256) -> Collateral:
    assert cid < self.collateral_count, "unknown collateral"
    valuation: uint256 = self.collateral_valuation[cid]
    route: uint256 = self.collateral_route[cid]
    return Collateral(
        chain_id=route >> 160,
        token=convert(convert(route & (2**160 - 1), uint160), address),
        scale=valuation & LOW128,
        haircut=(valuation >> 128) & LOW64,
        feed=valuation >> 192,
    )


@external
@view
def markets(market: uint256) -> Market:
    assert market < self.market_count, "unknown market"
    return self._market(market)


@external
@view
def collateral_id(chain_id: uint256, token: address) -> uint256:
    return self._cid(chain_id, token)


@external
@view
def position(account: address, bucket: uint256, market: uint256) -> Position:
    return self._load_position(account, bucket, market)


@external
@view
def collateral_mask(account: address, bucket: uint256) -> uint256:
    """@notice Bit c is set when the bucket holds collateral id c."""
    return self.masks[account][bucket] & COLLATERAL_BITS


@external
@view
def market_mask(account: address, bucket: uint256) -> uint256:
    """@notice Bit m is set when the bucket has a position in market m."""
    return self._mmask(account, bucket)


@external
@view
def feed_mask(account: address, bucket: uint256) -> uint256:
    """@notice Bit f is set when valuing the bucket needs a price from feed f."""
    return self._feed_mask(account, bucket)


@external
@view
def value_at(account: address, bucket: uint256, prices: uint256[MAX_FEEDS]) -> Valuation:
    """@notice A bucket's valuation at the given prices (indexed by feed id), funding accrued to now."""
    return self._value(account, bucket, prices)


@external
@view
def health_page(start: uint256, count: uint256) -> DynArray[BucketHealth, MAX_PAGE_ROWS]:
    """
    @notice Health of every bucket with positions for accounts `start`..`start+count-1` (at most 32),
            at liquidation prices; buckets whose prices are unavailable are left out.
            A bucket is liquidatable when its health is below 1e18.
    """
    assert count <= MAX_PAGE, "page too large"
    feeds: uint256 = self.all_feeds
    prices: uint256[MAX_FEEDS] = self._load_prices(feeds, PRICES_LIQUIDATION)
    missing: uint256 = self._missing(prices, feeds)
    out: DynArray[BucketHealth, MAX_PAGE_ROWS] = []
    end: uint256 = min(start + count, self.account_count)
    for i: uint256 in range(start, start + MAX_PAGE, bound=MAX_PAGE):
        if i >= end:
            break
        account: address = self.account_at[i]
        for bucket: uint256 in range(MAX_BUCKETS):
            if self._mmask(account, bucket) == 0 or self._feed_mask(account, bucket) & missing != 0:
                continue
            v: Valuation = self._value(account, bucket, prices)
            out.append(BucketHealth(
                account=account,
                bucket=bucket,
                equity=v.equity,
                maintenance_requirement=v.maintenance_requirement,
                health=self._health(v.equity, v.maintenance_requirement),
            ))
    return out


@external
@view
def market_view(market: uint256, price: uint256) -> MarketView:
    """@notice Open interest and funding of `market`, with funding accrued to now at `price` (0: as stored)."""
    assert market < self.market_count, "unknown market"
    state: MarketState = self._market_state(market)
    rate: int256 = state.funding_rate
    index: int256 = state.funding_index
    if price != 0:
        rate, index = self._funding_now(market, price)
    return MarketView(
        long_oi=state.long_oi,
        short_oi=state.short_oi,
        skew=convert(state.long_oi, int256) - convert(state.short_oi, int256),
        funding_rate=rate,
        funding_index=index,
        updated_at=state.updated_at,
    )


@external
@view
def credited_all(account: address) -> DynArray[uint256, MAX_COLLATERALS]:
    """@notice Collateral credited to `account` per collateral id, all buckets together (native units)."""
    out: DynArray[uint256, MAX_COLLATERALS] = []
    for cid: uint256 in range(self.collateral_count, bound=MAX_COLLATERALS):
        total: uint256 = 0
        for bucket: uint256 in range(MAX_BUCKETS):
            total += self.collateral[account][bucket][cid]
        out.append(total)
    return out


@external
@view
def totals() -> Totals:
    return Totals(
        bad_debt=self.bad_debt,
        insurance_drawn=self.insurance_drawn,
        uncovered_bad_debt=self.uncovered_bad_debt,
        accounts=self.account_count,
        seizes=self.seize_count,
    )


# -- message handlers ---------------------------------------------------------


@internal
def _on_margin_locked(src_chain_id: uint256, body: Bytes[messages.MAX_BODY]):
    kind: uint256 = 0
    account: address = empty(address)
    token: address = empty(address)
    amount: uint256 = 0
    kind, account, token, amount = abi_decode(body, (uint256, address, address, uint256))
    cid: uint256 = self._cid(src_chain_id, token)
    self._set_collateral(account, 0, cid, self.collateral[account][0][cid] + amount)
    self._register(account)
    log CollateralCredited(account=account, cid=cid, amount=amount, src_chain_id=src_chain_id)


@internal
def _on_funded(src_chain_id: uint256, body: Bytes[messages.MAX_BODY]):
    kind: uint256 = 0
    fund: uint256 = 0
    token: address = empty(address)
    amount: uint256 = 0
    kind, fund, token, amount = abi_decode(body, (uint256, uint256, address, uint256))
    cid: uint256 = self._cid(src_chain_id, token)
    if fund == messages.FUND_POOL:
        self.pool[cid] += amount
    elif fund == messages.FUND_INSURANCE:
        self.insurance[cid] += amount
    else:
        raise "unknown fund"
    log FundCredited(fund=fund, cid=cid, amount=amount)


@internal
def _on_withdraw_request(src_chain_id: uint256, body: Bytes[messages.MAX_BODY]):
    kind: uint256 = 0
    request_id: uint256 = 0
    account: address = empty(address)
    token: address = empty(address)
    amount: uint256 = 0
    recipient: address = empty(address)
    kind, request_id, account, token, amount, recipient = abi_decode(
        body, (uint256, uint256, address, address, uint256, address)
    )
    index: uint256 = self.collateral_index[src_chain_id][token]
    reason: uint256 = messages.REFUSED_UNKNOWN_ASSET
    from_locked: uint256 = 0
    from_pool: uint256 = 0
    pool_value: uint256 = 0
    if index != 0:
        reason, from_locked, from_pool, pool_value = self._check_withdrawal(account, index - 1, amount)
    reply: Bytes[messages.MAX_BODY] = b""
    if reason == 0:
        cid: uint256 = index - 1
        self._set_collateral(account, 0, cid, self.collateral[account][0][cid] - from_locked)
        self.balances[account][0] -= convert(pool_value, int256)
        self.pool[cid] -= from_pool
        reply = abi_encode(messages.RELEASE, request_id, account, token, from_locked, from_pool)
        log WithdrawalHonoured(
            request_id=request_id,
            account=account,
            cid=cid,
            from_locked=from_locked,
            from_pool=from_pool,
            pool_value=pool_value,
            src_chain_id=src_chain_id,
        )
    else:
        reply = abi_encode(messages.WITHDRAW_REFUSED, request_id, account, token, amount, reason)
        log WithdrawalRefused(
            request_id=request_id, account=account, token=token, amount=amount, reason=reason, src_chain_id=src_chain_id
        )
    extcall IMailbox(MAILBOX).dispatch(src_chain_id, self.vaults[src_chain_id], reply)


@internal
@view
def _check_withdrawal(account: address, cid: uint256, amount: uint256) -> (uint256, uint256, uint256, uint256):
    """@return (refusal reason or 0, amount from locked collateral, amount from the pool, USD taken from the balance)."""
    scale: uint256 = 0
    haircut: uint256 = 0
    feed: uint256 = 0
    scale, haircut, feed = self._collateral_params(cid)
    feeds: uint256 = self._feed_mask(account, 0) | (1 << feed)
    prices: uint256[MAX_FEEDS] = self._load_prices(feeds, PRICES_OPEN)
    if self._missing(prices, feeds) != 0:
        return messages.REFUSED_STALE_PRICE, 0, 0, 0
    price: uint256 = prices[feed]
    held: uint256 = self.collateral[account][0][cid]
    from_locked: uint256 = min(amount, held)
    from_pool: uint256 = amount - from_locked
    pool_value: uint256 = 0
    if from_pool != 0:
        pool_value = self._ceil_div(from_pool * price, scale)
        if self.balances[account][0] < convert(pool_value, int256):
            return messages.REFUSED_EXCEEDS_COLLATERAL_AND_GAINS, 0, 0, 0
        if self.pool[cid] < from_pool:
            return messages.REFUSED_POOL_ILLIQUID, 0, 0, 0
    v: Valuation = self._value(account, 0, prices)
    lost: uint256 = self._haircut_value(held, price, scale, haircut) - self._haircut_value(held - from_locked, price, scale, haircut) + pool_value
    if v.equity - convert(lost, int256) < convert(v.initial_requirement, int256):
        return messages.REFUSED_INSUFFICIENT_FREE_MARGIN, 0, 0, 0
    return 0, from_locked, from_pool, pool_value


# -- positions and funding ----------------------------------------------------


@internal
@pure
def _is_increasing(old_size: int256, new_size: int256) -> bool:
    if new_size == 0:
        return False
    if old_size == 0 or (old_size > 0) != (new_size > 0):
        return True
    return self._abs(new_size) > self._abs(old_size)


@internal
def _apply_trade(
    account: address, bucket: uint256, market: uint256, delta: int256, price: uint256, fee: uint256, liquidation: bool
) -> (int256, int256):
    """@return (realised PnL of the reduced part, funding owed since the position's last settlement)."""
    pos: Position = self._load_position(account, bucket, market)
    index: int256 = self._market_state(market).funding_index
    funding: int256 = pos.size * (index - pos.funding_index) // SWAD
    old_size: int256 = pos.size
    new_size: int256 = old_size + delta
    pnl: int256 = 0
    if old_size != 0 and (old_size > 0) != (delta > 0):
        closed: int256 = convert(min(self._abs(old_size), self._abs(delta)), int256)
        pnl = closed * (convert(price, int256) - convert(pos.entry_price, int256)) // SWAD
        if old_size < 0:
            pnl = -pnl
    entry: uint256 = pos.entry_price
    if new_size == 0:
        entry = 0
    elif old_size == 0 or (old_size > 0) != (new_size > 0):
        entry = price
    elif self._abs(new_size) > self._abs(old_size):
        entry = (self._abs(old_size) * pos.entry_price + self._abs(delta) * price) // self._abs(new_size)
    oi: uint256 = self.market_oi[market]
    long_oi: uint256 = (oi & LOW128) + self._long(new_size) - self._long(old_size)
    short_oi: uint256 = (oi >> 128) + self._long(-new_size) - self._long(-old_size)
    self.market_oi[market] = long_oi | (short_oi << 128)
    assert self._abs(new_size) < convert(BIAS, uint256) and entry <= LOW128, "position out of range"
    if new_size == 0:
        self.position_word[account][bucket][market] = 0
        self.position_index[account][bucket][market] = 0
        self.masks[account][bucket] &= ~(1 << (market + MARKET_SHIFT))
    else:
        self.position_word[account][bucket][market] = convert(new_size + BIAS, uint256) | (entry << 128)
        self.position_index[account][bucket][market] = index
        self.masks[account][bucket] |= 1 << (market + MARKET_SHIFT)
    log PositionChanged(
        account=account,
        bucket=bucket,
        market=market,
        size_delta=delta,
        size=new_size,
        price=price,
        entry_price=entry,
        realized_pnl=pnl,
        funding=funding,
        fee=fee,
        liquidation=liquidation,
    )
    return pnl, funding


@internal
@view
def _funding_now(market: uint256, price: uint256) -> (int256, int256):
    """@return (funding rate per day, funding index) accrued to this block at `price`.
    @dev Synthetix perps v2: the rate drifts at max_velocity * clamp(skew / skew_scale, -1, 1) per day;
         the index grows by the average rate over the interval times the price."""
    state: MarketState = self._market_state(market)
    elapsed: int256 = convert(block.timestamp - state.updated_at, int256)
    if elapsed == 0:
        return state.funding_rate, state.funding_index
    funding_word: uint256 = self.market_funding[market]
    skew: int256 = convert(state.long_oi, int256) - convert(state.short_oi, int256)
    proportional: int256 = max(-SWAD, min(SWAD, skew * SWAD // convert(funding_word & LOW128, int256)))
    velocity: int256 = proportional * convert(funding_word >> 128, int256) // SWAD
    rate: int256 = state.funding_rate + velocity * elapsed // DAY
    index: int256 = state.funding_index + (state.funding_rate + rate) * elapsed * convert(price, int256) // (2 * DAY * SWAD)
    return rate, index


@internal
def _accrue(market: uint256, price: uint256):
    if self.market_funding_state[market] >> 216 == block.timestamp:
        return
    rate: int256 = 0
    index: int256 = 0
    rate, index = self._funding_now(market, price)
    self.market_funding_state[market] = self._pack_funding(index, rate, block.timestamp)
    oi: uint256 = self.market_oi[market]
    log FundingUpdated(
        market=market,
        funding_rate=rate,
        funding_index=index,
        skew=convert(oi & LOW128, int256) - convert(oi >> 128, int256),
        price=price,
    )


# -- valuation ----------------------------------------------------------------


@internal
@view
def _value(account: address, bucket: uint256, prices: uint256[MAX_FEEDS]) -> Valuation:
    v: Valuation = empty(Valuation)
    masks: uint256 = self.masks[account][bucket]
    cmask: uint256 = masks & COLLATERAL_BITS
    for cid: uint256 in range(MAX_COLLATERALS):
        if cmask >> cid == 0:
            break
        if cmask & (1 << cid) != 0:
            scale: uint256 = 0
            haircut: uint256 = 0
            feed: uint256 = 0
            scale, haircut, feed = self._collateral_params(cid)
            v.collateral_value += self._haircut_value(self.collateral[account][bucket][cid], prices[feed], scale, haircut)
    mmask: uint256 = masks >> MARKET_SHIFT
    for m: uint256 in range(MAX_MARKETS):
        if mmask >> m == 0:
            break
        if mmask & (1 << m) == 0:
            continue
        risk: uint256 = self.market_risk[m]
        price: uint256 = prices[risk & 255]
        pos: Position = self._load_position(account, bucket, m)
        v.unrealized_pnl += pos.size * (convert(price, int256) - convert(pos.entry_price, int256)) // SWAD
        v.funding_owed += pos.size * (self._funding_now(m, price)[1] - pos.funding_index) // SWAD
        notional: uint256 = self._abs(pos.size) * price // WAD
        v.notional += notional
        v.initial_requirement += notional * ((risk >> 8) & LOW64) // WAD
        v.maintenance_requirement += notional * ((risk >> 72) & LOW64) // WAD
    v.balance = self.balances[account][bucket]
    v.equity = convert(v.collateral_value, int256) + v.balance + v.unrealized_pnl - v.funding_owed
    return v


@internal
@pure
def _haircut_value(amount: uint256, price: uint256, scale: uint256, haircut: uint256) -> uint256:
    return amount * price // scale * (WAD - haircut) // WAD


@internal
@pure
def _health(equity: int256, maintenance: uint256) -> int256:
    if maintenance == 0:
        return max_value(int256)
    return equity * SWAD // convert(maintenance, int256)


@internal
@view
def _check_initial_margin(account: address, bucket: uint256):
    if self._mmask(account, bucket) == 0:
        assert self.balances[account][bucket] >= 0, "insufficient free margin"
        return
    prices: uint256[MAX_FEEDS] = self._require_prices(self._feed_mask(account, bucket), PRICES_OPEN)
    v: Valuation = self._value(account, bucket, prices)
    assert v.equity >= convert(v.initial_requirement, int256), "insufficient free margin"


# -- prices -------------------------------------------------------------------


@internal
@view
def _feed_mask(account: address, bucket: uint256) -> uint256:
    feeds: uint256 = 0
    masks: uint256 = self.masks[account][bucket]
    for cid: uint256 in range(MAX_COLLATERALS):
        if (masks & COLLATERAL_BITS) >> cid == 0:
            break
        if masks & (1 << cid) != 0:
            feeds |= 1 << (self.collateral_valuation[cid] >> 192)
    mmask: uint256 = masks >> MARKET_SHIFT
    for m: uint256 in range(MAX_MARKETS):
        if mmask >> m == 0:
            break
        if mmask & (1 << m) != 0:
            feeds |= 1 << self._market_feed(m)
    return feeds


@internal
@view
def _load_prices(feeds: uint256, use: uint256) -> uint256[MAX_FEEDS]:
    """@dev One oracle call for every feed in the mask; 0 where no usable price exists."""
    out: uint256[MAX_FEEDS] = empty(uint256[MAX_FEEDS])
    if feeds == 0:
        return out
    wanted: DynArray[uint256, MAX_FEEDS] = []
    for f: uint256 in range(MAX_FEEDS):
        if feeds & (1 << f) != 0:
            wanted.append(f)
    got: DynArray[uint256, MAX_FEEDS] = staticcall IOracle(ORACLE).read_prices(wanted, use)
    for i: uint256 in range(len(wanted), bound=MAX_FEEDS):
        out[wanted[i]] = got[i]
    return out


@internal
@view
def _require_prices(feeds: uint256, use: uint256) -> uint256[MAX_FEEDS]:
    prices: uint256[MAX_FEEDS] = self._load_prices(feeds, use)
    if self._missing(prices, feeds) != 0:
        if use == PRICES_LIQUIDATION:
            raise "no valid price"
        raise "stale price"
    return prices


@internal
@pure
def _missing(prices: uint256[MAX_FEEDS], feeds: uint256) -> uint256:
    missing: uint256 = 0
    for f: uint256 in range(MAX_FEEDS):
        if feeds & (1 << f) != 0 and prices[f] == 0:
            missing |= 1 << f
    return missing


# -- settlement ---------------------------------------------------------------


@internal
def _settle_debt(account: address, bucket: uint256, prices: uint256[MAX_FEEDS]):
    """@dev A negative balance is a loss not yet paid: seize collateral worth it into the pool.
            Amounts are rounded up, so the pool may get a fraction of a token unit more than the loss."""
    owed: int256 = self.balances[account][bucket]
    if owed >= 0:
        return
    debt: uint256 = convert(-owed, uint256)
    paid: uint256 = self._take(account, bucket, debt, messages.DEST_POOL, empty(address), prices)
    self.balances[account][bucket] = owed + convert(min(paid, debt), int256)


@internal
def _take(
    account: address, bucket: uint256, usd: uint256, dest: uint256, recipient: address, prices: uint256[MAX_FEEDS]
) -> uint256:
    """@dev Seize collateral worth `usd` at oracle prices (collateral ids in order, amounts rounded up)
            from a bucket; returns the value taken, which falls short only when the bucket runs out."""
    remaining: uint256 = usd
    paid: uint256 = 0
    cmask: uint256 = self.masks[account][bucket] & COLLATERAL_BITS
    for cid: uint256 in range(MAX_COLLATERALS):
        if remaining == 0 or cmask >> cid == 0:
            break
        if cmask & (1 << cid) == 0:
            continue
        scale: uint256 = 0
        haircut: uint256 = 0
        feed: uint256 = 0
        scale, haircut, feed = self._collateral_params(cid)
        price: uint256 = prices[feed]
        held: uint256 = self.collateral[account][bucket][cid]
        amount: uint256 = min(held, self._ceil_div(remaining * scale, price))
        worth: uint256 = amount * price // scale
        self._set_collateral(account, bucket, cid, held - amount)
        if dest == messages.DEST_POOL:
            self.pool[cid] += amount
        self.pending.append(Pending(cid=cid, amount=amount, source=messages.SOURCE_ACCOUNT, dest=dest, recipient=recipient))
        paid += worth
        remaining -= min(worth, remaining)
    return paid


@internal
def _close_out(account: address, bucket: uint256):
    """@dev A bucket left without positions: a remaining debt is bad debt (insurance first);
            an isolated bucket's margin returns to cross margin."""
    owed: int256 = self.balances[account][bucket]
    if owed < 0:
        debt: uint256 = convert(-owed, uint256)
        drawn: uint256 = self._draw_insurance(debt)
        self.bad_debt += debt
        self.insurance_drawn += drawn
        self.uncovered_bad_debt += debt - drawn
        self.balances[account][bucket] = 0
        log BadDebt(account=account, bucket=bucket, amount=debt, insurance_drawn=drawn, uncovered=debt - drawn)
    if bucket == 0:
        return
    cmask: uint256 = self.masks[account][bucket] & COLLATERAL_BITS
    for cid: uint256 in range(MAX_COLLATERALS):
        if cmask >> cid == 0:
            break
        if cmask & (1 << cid) != 0:
            amount: uint256 = self.collateral[account][bucket][cid]
            self._set_collateral(account, bucket, cid, 0)
            self._set_collateral(account, 0, cid, self.collateral[account][0][cid] + amount)
            log CollateralMoved(account=account, from_bucket=bucket, to_bucket=0, cid=cid, amount=amount)
    gains: int256 = self.balances[account][bucket]
    if gains > 0:
        self.balances[account][bucket] = 0
        self.balances[account][0] += gains
        log BalanceMoved(account=account, from_bucket=bucket, to_bucket=0, amount=convert(gains, uint256))


@internal
def _draw_insurance(debt: uint256) -> uint256:
    """@dev Cover `debt` owed to the pool from the insurance fund: its tokens, collateral ids in order,
            move into the pool by SEIZE. Returns the value drawn."""
    drawn: uint256 = 0
    count: uint256 = self.collateral_count
    feeds: uint256 = 0
    for cid: uint256 in range(count, bound=MAX_COLLATERALS):
        if self.insurance[cid] != 0:
            feeds |= 1 << (self.collateral_valuation[cid] >> 192)
    prices: uint256[MAX_FEEDS] = self._load_prices(feeds, PRICES_LIQUIDATION)
    for cid: uint256 in range(count, bound=MAX_COLLATERALS):
        if drawn == debt:
            break
        held: uint256 = self.insurance[cid]
        scale: uint256 = 0
        haircut: uint256 = 0
        feed: uint256 = 0
        scale, haircut, feed = self._collateral_params(cid)
        price: uint256 = prices[feed]
        if held == 0 or price == 0:
            continue
        amount: uint256 = min(held, self._ceil_div((debt - drawn) * scale, price))
        self.insurance[cid] = held - amount
        self.pool[cid] += amount
        self.pending.append(Pending(cid=cid, amount=amount, source=messages.SOURCE_INSURANCE, dest=messages.DEST_POOL, recipient=empty(address)))
        drawn += min(amount * price // scale, debt - drawn)
    return drawn


@internal
def _dispatch_pending(account: address):
    """@dev Send the transfers queued by this transaction: one SEIZE per vault chain (split at 8 items)."""
    items: DynArray[Pending, MAX_PENDING] = self.pending
    if len(items) == 0:
        return
    self.pending = []
    done: uint256 = 0
    for i: uint256 in range(len(items), bound=MAX_PENDING):
        if done & (1 << i) != 0:
            continue
        chain_id: uint256 = self.collateral_route[items[i].cid] >> 160
        batch: DynArray[messages.SeizeItem, messages.MAX_SEIZE_ITEMS] = []
        for j: uint256 in range(i, len(items), bound=MAX_PENDING):
            route: uint256 = self.collateral_route[items[j].cid]
            if done & (1 << j) != 0 or route >> 160 != chain_id:
                continue
            item: Pending = items[j]
            batch.append(messages.SeizeItem(
                token=convert(convert(route & (2**160 - 1), uint160), address),
                amount=item.amount,
                source=item.source,
                dest=item.dest,
                recipient=item.recipient,
            ))
            done |= 1 << j
            if len(batch) == messages.MAX_SEIZE_ITEMS:
                break
        vault: address = self.vaults[chain_id]
        assert vault != empty(address), "no vault on the collateral's chain"
        seize_id: uint256 = self.seize_count + 1
        self.seize_count = seize_id
        message_id: bytes32 = extcall IMailbox(MAILBOX).dispatch(
            chain_id, vault, abi_encode(messages.SEIZE, seize_id, account, batch)
        )
        log SeizeDispatched(seize_id=seize_id, account=account, chain_id=chain_id, message_id=message_id, items=batch)


# -- packed storage -----------------------------------------------------------


@internal
@view
def _collateral_params(cid: uint256) -> (uint256, uint256, uint256):
    """@return (scale, haircut, feed) of a collateral."""
    word: uint256 = self.collateral_valuation[cid]
    return word & LOW128, (word >> 128) & LOW64, word >> 192


@internal
@view
def _market(market: uint256) -> Market:
    risk: uint256 = self.market_risk[market]
    limits: uint256 = self.market_limits[market]
    funding: uint256 = self.market_funding[market]
    return Market(
        feed=risk & 255,
        initial_margin=(risk >> 8) & LOW64,
        maintenance_margin=(risk >> 72) & LOW64,
        max_leverage=limits & LOW128,
        oi_cap=limits >> 128,
        trading_fee=(risk >> 136) & LOW64,
        skew_scale=funding & LOW128,
        max_funding_velocity=funding >> 128,
    )


@internal
@view
def _market_feed(market: uint256) -> uint256:
    return self.market_risk[market] & 255


@internal
@view
def _market_state(market: uint256) -> MarketState:
    oi: uint256 = self.market_oi[market]
    word: uint256 = self.market_funding_state[market]
    return MarketState(
        long_oi=oi & LOW128,
        short_oi=oi >> 128,
        funding_rate=convert((word >> 128) & LOW88, int256) - RATE_BIAS,
        funding_index=convert(word & LOW128, int256) - BIAS,
        updated_at=word >> 216,
    )


@internal
@pure
def _pack_funding(index: int256, rate: int256, timestamp: uint256) -> uint256:
    assert index < BIAS and index > -BIAS and rate < RATE_BIAS and rate > -RATE_BIAS, "funding out of range"
    return convert(index + BIAS, uint256) | (convert(rate + RATE_BIAS, uint256) << 128) | (timestamp << 216)


@internal
@view
def _load_position(account: address, bucket: uint256, market: uint256) -> Position:
    word: uint256 = self.position_word[account][bucket][market]
    if word == 0:
        return empty(Position)
    return Position(
        size=convert(word & LOW128, int256) - BIAS,
        entry_price=word >> 128,
        funding_index=self.position_index[account][bucket][market],
    )


@internal
@view
def _mmask(account: address, bucket: uint256) -> uint256:
    return self.masks[account][bucket] >> MARKET_SHIFT


@internal
def _set_collateral(account: address, bucket: uint256, cid: uint256, amount: uint256):
    self.credited_total[cid] = self.credited_total[cid] + amount - self.collateral[account][bucket][cid]
    self.collateral[account][bucket][cid] = amount
    if amount == 0:
        self.masks[account][bucket] &= ~(1 << cid)
    else:
        self.masks[account][bucket] |= 1 << cid


# -- bookkeeping --------------------------------------------------------------


@internal
def _register(account: address):
    if not self.registered[account]:
        self.registered[account] = True
        self.account_at[self.account_count] = account
        self.account_count += 1


@internal
@view
def _cid(chain_id: uint256, token: address) -> uint256:
    index: uint256 = self.collateral_index[chain_id][token]
    assert index != 0, "unknown collateral"
    return index - 1


@internal
@pure
def _check_move(from_bucket: uint256, to_bucket: uint256):
    assert from_bucket < MAX_BUCKETS and to_bucket < MAX_BUCKETS, "unknown bucket"
    assert from_bucket != to_bucket, "source and destination bucket are the same"


@internal
@pure
def _abs(x: int256) -> uint256:
    if x < 0:
        return convert(-x, uint256)
    return convert(x, uint256)


@internal
@pure
def _long(size: int256) -> uint256:
    if size > 0:
        return convert(size, uint256)
    return 0


@internal
@pure
def _ceil_div(a: uint256, b: uint256) -> uint256:
    return (a + b - 1) // b
