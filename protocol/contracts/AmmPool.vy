# pragma version 0.4.3
"""
@title AmmPool
@notice A constant-product market for one asset (`BASE`) against a quote asset (`QUOTE`, USDC), with
        the semantics of Uniswap v2's pair: reserves that track the pool's balances, x * y = k
        after a fee taken from the input (it stays in the pool, for the liquidity providers),
        liquidity shares (the first MINIMUM_LIQUIDITY locked forever), and cumulative prices
        (UQ112x112 times seconds, wrapping as in v2) from which anyone computes a time-weighted
        average price between two observations.

        The entry points pull tokens with `transferFrom` and take the minimums Uniswap v2's
        router checks: a swap below its minimum-out reverts and changes nothing. `mint` is v2's
        core entry point (liquidity for tokens already sent to the pool); `sync` and `skim` are
        v2's. Liquidity shares are balances kept here, not a transferable token.

        Fees are in millionths ("pips", as Uniswap v3 counts them): 3000 is v2's 0.3 %.
"""

from ethereum.ercs import IERC20

FEE_DENOMINATOR: constant(uint256) = 10**6
MAX_FEE: constant(uint256) = 10**5  # 10 %
MINIMUM_LIQUIDITY: constant(uint256) = 1000
Q112: constant(uint256) = 2**112
MAX_RESERVE: constant(uint256) = 2**112 - 1

event Mint:
    sender: indexed(address)
    to: indexed(address)
    base: uint256
    quote: uint256
    liquidity: uint256

event Burn:
    sender: indexed(address)
    to: indexed(address)
    base: uint256
    quote: uint256
    liquidity: uint256

event Swap:
    sender: indexed(address)
    to: indexed(address)
    token_in: address
    amount_in: uint256
    amount_out: uint256

event Sync:
    reserve_base: uint256
    reserve_quote: uint256

BASE: public(immutable(address))
QUOTE: public(immutable(address))
FEE: public(immutable(uint256))

reserve_base: uint256
reserve_quote: uint256
block_timestamp_last: uint256  # mod 2**32, as v2
price_base_cumulative_last: public(uint256)  # quote per base, UQ112x112 * seconds
price_quote_cumulative_last: public(uint256)  # base per quote
shares: public(HashMap[address, uint256])
total_shares: public(uint256)


@deploy
def __init__(base: address, quote: address, fee: uint256):
    assert base != empty(address) and quote != empty(address) and base != quote, "two distinct tokens are needed"
    assert fee < MAX_FEE, "fee must be below 10 %"
    BASE = base
    QUOTE = quote
    FEE = fee


# -- liquidity -----------------------------------------------------------------


@external
@nonreentrant
def add_liquidity(
    base_desired: uint256, quote_desired: uint256, base_min: uint256, quote_min: uint256, to: address
) -> (uint256, uint256, uint256):
    """
    @notice Deposit both tokens at the pool's ratio (all of one side, as much of the other as the ratio
            takes, never below the minimums) for liquidity shares credited to `to`.
    @return (base deposited, quote deposited, shares minted)
    """
    assert to != empty(address), "shares to the zero address"
    base_amount: uint256 = base_desired
    quote_amount: uint256 = quote_desired
    rb: uint256 = self.reserve_base
    rq: uint256 = self.reserve_quote
    if rb != 0 or rq != 0:
        quote_optimal: uint256 = base_desired * rq // rb
        if quote_optimal <= quote_desired:
            assert quote_optimal >= quote_min, "insufficient quote amount"
            quote_amount = quote_optimal
        else:
            base_amount = quote_desired * rb // rq
            assert base_amount >= base_min, "insufficient base amount"
    self._pull(BASE, base_amount)
    self._pull(QUOTE, quote_amount)
    return base_amount, quote_amount, self._mint(to)


@external
@nonreentrant
def mint(to: address) -> uint256:
    """@notice Uniswap v2's core `mint`: shares for the tokens sent to the pool since the last update."""
    assert to != empty(address), "shares to the zero address"
    return self._mint(to)


@external
@nonreentrant
def remove_liquidity(liquidity: uint256, base_min: uint256, quote_min: uint256, to: address) -> (uint256, uint256):
    """@notice Burn `liquidity` of the caller's shares for their part of both reserves, paid to `to`."""
    assert liquidity != 0 and self.shares[msg.sender] >= liquidity, "liquidity exceeds the caller's shares"
    assert to != empty(address), "payment to the zero address"
    balance_base: uint256 = staticcall IERC20(BASE).balanceOf(self)
    balance_quote: uint256 = staticcall IERC20(QUOTE).balanceOf(self)
    total: uint256 = self.total_shares
    amount_base: uint256 = liquidity * balance_base // total
    amount_quote: uint256 = liquidity * balance_quote // total
    assert amount_base != 0 and amount_quote != 0, "insufficient liquidity burned"
    assert amount_base >= base_min, "insufficient base amount"
    assert amount_quote >= quote_min, "insufficient quote amount"
    self.shares[msg.sender] -= liquidity
    self.total_shares = total - liquidity
    self._push(BASE, to, amount_base)
    self._push(QUOTE, to, amount_quote)
    self._update(balance_base - amount_base, balance_quote - amount_quote)
    log Burn(sender=msg.sender, to=to, base=amount_base, quote=amount_quote, liquidity=liquidity)
    return amount_base, amount_quote


# -- swaps ---------------------------------------------------------------------


@external
@nonreentrant
def swap(token_in: address, amount_in: uint256, min_out: uint256, to: address) -> uint256:
    """
    @notice Sell exactly `amount_in` of `token_in` (BASE or QUOTE) for the other token, paid to `to`;
            reverts unless at least `min_out` comes out.
    """
    assert token_in == BASE or token_in == QUOTE, "token is not traded in this pool"
    assert amount_in != 0, "insufficient input amount"
    assert to != BASE and to != QUOTE and to != empty(address), "invalid recipient"
    token_out: address = QUOTE
    reserve_in: uint256 = self.reserve_base
    reserve_out: uint256 = self.reserve_quote
    if token_in == QUOTE:
        token_out = BASE
        reserve_in = self.reserve_quote
        reserve_out = self.reserve_base
    amount_out: uint256 = self._amount_out(amount_in, reserve_in, reserve_out)
    assert amount_out != 0 and amount_out >= min_out, "insufficient output amount"
    self._pull(token_in, amount_in)
    self._push(token_out, to, amount_out)
    balance_in: uint256 = staticcall IERC20(token_in).balanceOf(self)
    balance_out: uint256 = staticcall IERC20(token_out).balanceOf(self)
    # v2's invariant check on the balances, the fee taken out of the input
    adjusted_in: uint256 = balance_in * FEE_DENOMINATOR - amount_in * FEE
    assert adjusted_in * balance_out >= reserve_in * reserve_out * FEE_DENOMINATOR, "K"
    if token_in == BASE:
        self._update(balance_in, balance_out)
    else:
        self._update(balance_out, balance_in)
    log Swap(sender=msg.sender, to=to, token_in=token_in, amount_in=amount_in, amount_out=amount_out)
    return amount_out


@external
@nonreentrant
def sync():
    """@notice Make the reserves match the balances (v2's recovery for tokens sent without `mint`)."""
    self._update(staticcall IERC20(BASE).balanceOf(self), staticcall IERC20(QUOTE).balanceOf(self))


@external
@nonreentrant
def skim(to: address):
    """@notice Send `to` whatever the pool holds beyond its reserves (v2's other recovery)."""
    assert to != empty(address), "payment to the zero address"
    self._push(BASE, to, staticcall IERC20(BASE).balanceOf(self) - self.reserve_base)
    self._push(QUOTE, to, staticcall IERC20(QUOTE).balanceOf(self) - self.reserve_quote)


# -- views -----------------------------------------------------------------------


@external
@view
def get_reserves() -> (uint256, uint256, uint256):
    """@return (base reserve, quote reserve, timestamp of the last update mod 2**32)"""
    return self.reserve_base, self.reserve_quote, self.block_timestamp_last


@external
@view
def get_amount_out(token_in: address, amount_in: uint256) -> uint256:
    """@notice What `swap` would pay now for `amount_in` of `token_in`."""
    assert token_in == BASE or token_in == QUOTE, "token is not traded in this pool"
    if token_in == BASE:
        return self._amount_out(amount_in, self.reserve_base, self.reserve_quote)
    return self._amount_out(amount_in, self.reserve_quote, self.reserve_base)


@external
@view
def current_cumulative_prices() -> (uint256, uint256, uint256):
    """
    @notice The cumulative prices as of this block (v2's oracle library: the stored ones plus the time
            since the last update at the current reserves). A TWAP between two observations is
            (cumulative_2 - cumulative_1) mod 2**256 / (t_2 - t_1) / 2**112.
    @return (base price cumulative, quote price cumulative, block timestamp mod 2**32)
    """
    now: uint256 = block.timestamp % 2**32
    base_cumulative: uint256 = self.price_base_cumulative_last
    quote_cumulative: uint256 = self.price_quote_cumulative_last
    elapsed: uint256 = (now + 2**32 - self.block_timestamp_last) % 2**32
    rb: uint256 = self.reserve_base
    rq: uint256 = self.reserve_quote
    if elapsed != 0 and rb != 0 and rq != 0:
        base_cumulative = unsafe_add(base_cumulative, unsafe_mul(rq * Q112 // rb, elapsed))
        quote_cumulative = unsafe_add(quote_cumulative, unsafe_mul(rb * Q112 // rq, elapsed))
    return base_cumulative, quote_cumulative, now


# -- internals -------------------------------------------------------------------


@internal
@view
def _amount_out(amount_in: uint256, reserve_in: uint256, reserve_out: uint256) -> uint256:
    assert reserve_in != 0 and reserve_out != 0, "insufficient liquidity"
    with_fee: uint256 = amount_in * (FEE_DENOMINATOR - FEE)
    return with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + with_fee)


@internal
def _mint(to: address) -> uint256:
    balance_base: uint256 = staticcall IERC20(BASE).balanceOf(self)
    balance_quote: uint256 = staticcall IERC20(QUOTE).balanceOf(self)
    amount_base: uint256 = balance_base - self.reserve_base
    amount_quote: uint256 = balance_quote - self.reserve_quote
    total: uint256 = self.total_shares
    liquidity: uint256 = 0
    if total == 0:
        root: uint256 = isqrt(amount_base * amount_quote)
        assert root > MINIMUM_LIQUIDITY, "insufficient liquidity minted"
        liquidity = root - MINIMUM_LIQUIDITY
        self.shares[empty(address)] = MINIMUM_LIQUIDITY
        total = MINIMUM_LIQUIDITY
    else:
        liquidity = min(amount_base * total // self.reserve_base, amount_quote * total // self.reserve_quote)
    assert liquidity != 0, "insufficient liquidity minted"
    self.shares[to] += liquidity
    self.total_shares = total + liquidity
    self._update(balance_base, balance_quote)
    log Mint(sender=msg.sender, to=to, base=amount_base, quote=amount_quote, liquidity=liquidity)
    return liquidity


@internal
def _update(balance_base: uint256, balance_quote: uint256):
    """@dev v2's `_update`: accumulate the prices of the ending interval, then take the balances as reserves."""
    assert balance_base <= MAX_RESERVE and balance_quote <= MAX_RESERVE, "reserve overflow"
    now: uint256 = block.timestamp % 2**32
    elapsed: uint256 = (now + 2**32 - self.block_timestamp_last) % 2**32
    rb: uint256 = self.reserve_base
    rq: uint256 = self.reserve_quote
    if elapsed != 0 and rb != 0 and rq != 0:
        self.price_base_cumulative_last = unsafe_add(self.price_base_cumulative_last, unsafe_mul(rq * Q112 // rb, elapsed))
        self.price_quote_cumulative_last = unsafe_add(self.price_quote_cumulative_last, unsafe_mul(rb * Q112 // rq, elapsed))
    self.reserve_base = balance_base
    self.reserve_quote = balance_quote
    self.block_timestamp_last = now
    log Sync(reserve_base=balance_base, reserve_quote=balance_quote)


@internal
def _pull(token: address, amount: uint256):
    assert extcall IERC20(token).transferFrom(msg.sender, self, amount, default_return_value=True), "token transfer failed"


@internal
def _push(token: address, to: address, amount: uint256):
    if amount != 0:
        assert extcall IERC20(token).transfer(to, amount, default_return_value=True), "token transfer failed"
