# pragma version 0.4.3
"""
@title Backstop
@notice The protocol's backstop liquidator (as Hyperliquid's HLP liquidator vault): an account of the
        engine, margined by collateral deposited for it on a vault chain, that takes over positions
        no keeper will liquidate.

        `take_over` liquidates a bucket as any keeper would (a bonus, if any is left after the debt,
        is paid to this contract's address) and, in the same transaction, opens the sizes that were
        closed in its own cross bucket at the oracle price: the exposure moves to the backstop
        instead of being closed into the market. The engine's margin rules bound it, so a take-over
        that would leave the backstop under its initial margin, above the leverage cap or the open
        interest cap reverts whole: the backstop acts only within its capital. Its operators (the
        protocol's bots) call it, and unwind what it holds over time with `trade`.
"""

MAX_MARKETS: constant(uint256) = 8

struct Position:
    size: int256
    entry_price: uint256
    funding_index: int256

interface IEngine:
    def liquidate(account: address, bucket: uint256) -> uint256: nonpayable
    def trade(market: uint256, size_delta: int256, bucket: uint256, acceptable_price: uint256): nonpayable
    def position(account: address, bucket: uint256, market: uint256) -> Position: view
    def market_mask(account: address, bucket: uint256) -> uint256: view

event TakenOver:
    account: indexed(address)
    bucket: uint256
    closed_notional: uint256
    markets: uint256  # bit m: a position in market m moved to the backstop

event OperatorSet:
    operator: indexed(address)
    allowed: bool

ENGINE: public(immutable(address))
owner: public(address)
operators: public(HashMap[address, bool])
taken_over_count: public(uint256)
taken_over_notional: public(uint256)  # USD


@deploy
def __init__(engine: address):
    assert engine != empty(address), "engine is the zero address"
    ENGINE = engine
    self.owner = msg.sender


@external
def set_operator(operator: address, allowed: bool):
    assert msg.sender == self.owner, "only the owner"
    self.operators[operator] = allowed
    log OperatorSet(operator=operator, allowed=allowed)


@external
def take_over(account: address, bucket: uint256) -> uint256:
    """
    @notice Liquidate `account`'s `bucket` and hold what was closed: the backstop opens the same sizes
            in its own cross bucket. Reverts whole when the engine refuses either half.
    @return The notional taken over (USD).
    """
    assert self.operators[msg.sender], "only an operator"
    assert account != self, "the backstop cannot take over itself"
    mask: uint256 = staticcall IEngine(ENGINE).market_mask(account, bucket)
    assert mask != 0, "no open positions"
    before: int256[MAX_MARKETS] = empty(int256[MAX_MARKETS])
    for m: uint256 in range(MAX_MARKETS):
        if mask & (1 << m) != 0:
            before[m] = (staticcall IEngine(ENGINE).position(account, bucket, m)).size
    closed_notional: uint256 = extcall IEngine(ENGINE).liquidate(account, bucket)
    for m: uint256 in range(MAX_MARKETS):
        if mask & (1 << m) == 0:
            continue
        taken: int256 = before[m] - (staticcall IEngine(ENGINE).position(account, bucket, m)).size
        if taken != 0:
            extcall IEngine(ENGINE).trade(m, taken, 0, 0)
    self.taken_over_count += 1
    self.taken_over_notional += closed_notional
    log TakenOver(account=account, bucket=bucket, closed_notional=closed_notional, markets=mask)
    return closed_notional


@external
def trade(market: uint256, size_delta: int256, acceptable_price: uint256):
    """@notice Change the backstop's own position (unwinding what it took over), as `MarginEngine.trade`."""
    assert self.operators[msg.sender], "only an operator"
    extcall IEngine(ENGINE).trade(market, size_delta, 0, acceptable_price)
