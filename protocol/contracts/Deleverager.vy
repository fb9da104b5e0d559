# pragma version 0.4.3
"""
@title Deleverager
@notice What happens, after the insurance fund, to a shortfall a liquidation leaves: the engine's
        uncovered bad debt, which the counterparty pool has absorbed.

        MODE_ADL (auto-deleveraging, as dYdX v4 and Hyperliquid): an operator names a market, the
        side opposite the bankrupt position, and positions on that side ranked by profit times
        leverage at the mark price (score = unrealised profit of the position x the bucket's
        notional / its equity). The contract checks each target (on that side, in profit, its
        bucket's equity positive, scores non-increasing) and closes, at the liquidation price, the
        part of the position whose profit covers what remains uncovered (all of it when it cannot);
        that realised profit pays the debt down instead of being credited. It stops once nothing
        is uncovered. Ranking is checked within a step; choosing the candidates is the operator's.

        MODE_SOCIALISE: no position is closed; the loss stays with the counterparty pool, shared by
        its liquidity providers pro rata. `deleverage` refuses.

        Either way the engine records every shortfall (`bad_debt`), what insurance covered and what
        is still uncovered; this contract records what auto-deleveraging recovered.
"""

WAD: constant(uint256) = 10**18
SWAD: constant(int256) = 10**18
MAX_FEEDS: constant(uint256) = 8
MAX_TARGETS: constant(uint256) = 16
MODE_ADL: constant(uint256) = 1
MODE_SOCIALISE: constant(uint256) = 2
USE_LIQUIDATION: constant(uint256) = 2  # OracleAggregator.read_prices: else the last valid price within liquidation_staleness

struct Target:
    account: address
    bucket: uint256

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

struct Market:
    feed: uint256
    initial_margin: uint256
    maintenance_margin: uint256
    max_leverage: uint256
    oi_cap: uint256
    trading_fee: uint256
    skew_scale: uint256
    max_funding_velocity: uint256

interface IEngine:
    def position(account: address, bucket: uint256, market: uint256) -> Position: view
    def value_at(account: address, bucket: uint256, prices: uint256[MAX_FEEDS]) -> Valuation: view
    def markets(market: uint256) -> Market: view
    def uncovered_bad_debt() -> uint256: view
    def ORACLE() -> address: view
    def deleverage(account: address, bucket: uint256, market: uint256, size_delta: int256) -> uint256: nonpayable

interface IOracle:
    def read_prices(feeds: DynArray[uint256, MAX_FEEDS], use: uint256) -> DynArray[uint256, MAX_FEEDS]: view
    def FEED_COUNT() -> uint256: view

event Deleveraged:
    account: indexed(address)
    bucket: uint256
    market: indexed(uint256)
    size_delta: int256
    price: uint256
    score: uint256
    recovered: uint256
    uncovered_after: uint256

event OperatorSet:
    operator: indexed(address)
    allowed: bool

ENGINE: public(immutable(address))
MODE: public(immutable(uint256))
owner: public(address)
operators: public(HashMap[address, bool])
steps: public(uint256)  # positions (partly) closed
recovered_total: public(uint256)  # USD of bad debt paid down
closed_notional_total: public(uint256)  # USD notional closed


@deploy
def __init__(engine: address, mode: uint256):
    assert engine != empty(address), "engine is the zero address"
    assert mode == MODE_ADL or mode == MODE_SOCIALISE, "mode must be 1 (auto-deleveraging) or 2 (socialised loss)"
    ENGINE = engine
    MODE = mode
    self.owner = msg.sender


@external
def set_operator(operator: address, allowed: bool):
    assert msg.sender == self.owner, "only the owner"
    self.operators[operator] = allowed
    log OperatorSet(operator=operator, allowed=allowed)


@external
def deleverage(market: uint256, side: int256, targets: DynArray[Target, MAX_TARGETS]) -> uint256:
    """
    @notice Close positions on `side` (1: longs, -1: shorts) of `market`, in the order given (highest
            profit x leverage first), until the engine's uncovered bad debt is paid down.
    @return The USD recovered.
    """
    assert self.operators[msg.sender], "only an operator"
    assert MODE == MODE_ADL, "losses are socialised: auto-deleveraging is off"
    assert side == 1 or side == -1, "side must be 1 (longs) or -1 (shorts)"
    assert len(targets) != 0, "no targets"
    remaining: uint256 = staticcall IEngine(ENGINE).uncovered_bad_debt()
    assert remaining != 0, "no uncovered bad debt"
    prices: uint256[MAX_FEEDS] = self._prices()
    feed: uint256 = (staticcall IEngine(ENGINE).markets(market)).feed
    price: uint256 = prices[feed]
    assert price != 0, "no valid price"
    previous: uint256 = max_value(uint256)
    recovered: uint256 = 0
    for target: Target in targets:
        if remaining == 0:
            break
        position: Position = staticcall IEngine(ENGINE).position(target.account, target.bucket, market)
        assert position.size * side > 0, "target is not on the deleveraged side"
        profit: int256 = position.size * (convert(price, int256) - convert(position.entry_price, int256)) // SWAD
        assert profit > 0, "target is not in profit"
        value: Valuation = staticcall IEngine(ENGINE).value_at(target.account, target.bucket, prices)
        assert value.equity > 0, "target's bucket has no equity"
        score: uint256 = convert(profit, uint256) * value.notional // convert(value.equity, uint256)
        assert score <= previous, "targets are not ranked by profit times leverage"
        previous = score
        size: uint256 = convert(abs(position.size), uint256)
        close: uint256 = size
        if convert(profit, uint256) > remaining:
            close = min(size, (size * remaining + convert(profit, uint256) - 1) // convert(profit, uint256))
        size_delta: int256 = -side * convert(close, int256)
        got: uint256 = extcall IEngine(ENGINE).deleverage(target.account, target.bucket, market, size_delta)
        recovered += got
        remaining = staticcall IEngine(ENGINE).uncovered_bad_debt()
        self.steps += 1
        self.closed_notional_total += close * price // WAD
        log Deleveraged(
            account=target.account,
            bucket=target.bucket,
            market=market,
            size_delta=size_delta,
            price=price,
            score=score,
            recovered=got,
            uncovered_after=remaining,
        )
    self.recovered_total += recovered
    return recovered


@internal
@view
def _prices() -> uint256[MAX_FEEDS]:
    """@dev Every feed at liquidation prices, indexed by feed id (0 where none is usable)."""
    oracle: address = staticcall IEngine(ENGINE).ORACLE()
    feeds: DynArray[uint256, MAX_FEEDS] = []
    for feed: uint256 in range(staticcall IOracle(oracle).FEED_COUNT(), bound=MAX_FEEDS):
        feeds.append(feed)
    got: DynArray[uint256, MAX_FEEDS] = staticcall IOracle(oracle).read_prices(feeds, USE_LIQUIDATION)
    out: uint256[MAX_FEEDS] = empty(uint256[MAX_FEEDS])
    for i: uint256 in range(len(got), bound=MAX_FEEDS):
        out[i] = got[i]
    return out
