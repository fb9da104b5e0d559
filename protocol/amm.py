"""Binding for the constant-product pools (``AmmPool``) on the vault chains, and their arithmetic.

The functions mirror the contract exactly (integer token units, the fee in millionths), so an
agent can size a trade off chain and get what the pool will pay, and pure helpers answer the
two questions traders of such a pool ask: how much to trade to move its price to a reference
(an arbitrageur's optimum), and how much can be sold before the average price falls more than
a given slippage below a reference (a seller's limit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hexbytes import HexBytes
from web3.contract import Contract

from chains.chain import Chain
from protocol.binding import ContractBinding, Sender
from protocol.errors import ProtocolError
from protocol.events import AMM_EVENTS

FEE_DENOMINATOR = 1_000_000
Q112 = 2**112
UINT256 = 2**256
GAS_SWAP = 250_000
SWAP_GAS_TYPICAL = 90_000  # what a swap uses (benchmarks/markets.py: 81,047), for agents pricing one before they send
GAS_LIQUIDITY = 350_000


def amount_out(amount_in: int, reserve_in: int, reserve_out: int, fee_pips: int) -> int:
    """What the pool pays for ``amount_in`` (Uniswap v2's ``getAmountOut`` with a configurable fee)."""
    if amount_in <= 0 or reserve_in <= 0 or reserve_out <= 0:
        return 0
    with_fee = amount_in * (FEE_DENOMINATOR - fee_pips)
    return with_fee * reserve_out // (reserve_in * FEE_DENOMINATOR + with_fee)


def optimal_input(reserve_in: int, reserve_out: int, fee_pips: int, value_of_out: float) -> int:
    """The input that maximises ``amount_out * value_of_out - input`` (0 when no trade pays).

    ``value_of_out`` is what one unit of the output token is worth elsewhere, in input units;
    the optimum leaves the pool's marginal price, fee included, at that value.
    """
    gamma = (FEE_DENOMINATOR - fee_pips) / FEE_DENOMINATOR
    root = math.sqrt(gamma * reserve_in * reserve_out * value_of_out)
    return max(0, int((root - reserve_in) / gamma))


def max_sale(reserve_in: int, reserve_out: int, fee_pips: int, reference_rate: float, slippage: float) -> int:
    """The largest input whose average price, fee included, is at most ``slippage`` below ``reference_rate``.

    ``reference_rate`` is output units per input unit at the reference price; ``slippage >= 1`` sets no limit.
    """
    if slippage >= 1:
        return UINT256 - 1
    if reference_rate <= 0:
        return 0
    gamma = (FEE_DENOMINATOR - fee_pips) / FEE_DENOMINATOR
    # amount_out(y) / y = gamma * R_out / (R_in + gamma * y) >= (1 - s) * rate
    limit = (gamma * reserve_out / ((1.0 - slippage) * reference_rate) - reserve_in) / gamma
    return max(0, int(limit))


@dataclass(frozen=True)
class Reserves:
    base: int  # native units of the pool's asset
    quote: int  # native units of the quote asset
    timestamp: int  # of the last update, mod 2**32


@dataclass(frozen=True)
class Observation:
    """The pool's cumulative prices as of a block (UQ112x112 times seconds, wrapping)."""

    base_cumulative: int
    quote_cumulative: int
    timestamp: int  # block timestamp mod 2**32


def average_price(older: Observation, newer: Observation) -> float | None:
    """Quote units per base unit, time-weighted between two observations (None if no time passed)."""
    elapsed = (newer.timestamp - older.timestamp) % 2**32
    if elapsed == 0:
        return None
    return ((newer.base_cumulative - older.base_cumulative) % UINT256) / elapsed / Q112


class AmmPool(ContractBinding):
    """One pool: ``asset`` (the base token) against ``quote`` on one vault chain."""

    EVENTS = AMM_EVENTS

    def __init__(self, chain: Chain, contract: Contract, asset: str, quote: str, base_token: str, quote_token: str,
                 base_decimals: int, quote_decimals: int, fee_pips: int) -> None:
        super().__init__(chain, contract)
        self.asset = asset
        self.quote = quote
        self.base_token = base_token
        self.quote_token = quote_token
        self.base_decimals = base_decimals
        self.quote_decimals = quote_decimals
        self.fee_pips = fee_pips

    @property
    def key(self) -> str:
        """``chain:asset``, how runs name a pool."""
        return f"{self.chain.name}:{self.asset}"

    def token_of(self, side: str) -> str:
        if side == "base":
            return self.base_token
        if side == "quote":
            return self.quote_token
        raise ProtocolError(f"a pool side is 'base' or 'quote', got {side!r}")

    def to_price(self, quote_per_base_units: float) -> float:
        """Quote units per base unit as whole quote tokens per whole base token."""
        return quote_per_base_units * 10 ** (self.base_decimals - self.quote_decimals)

    # -- reads ------------------------------------------------------------------

    def reserves(self) -> Reserves:
        return Reserves(*self._call(self.fn.get_reserves()))

    def price(self, reserves: Reserves | None = None) -> float:
        """The spot price, whole quote tokens per whole base token (0 for an empty pool)."""
        r = reserves or self.reserves()
        return self.to_price(r.quote / r.base) if r.base else 0.0

    def observe(self) -> Observation:
        return Observation(*self._call(self.fn.current_cumulative_prices()))

    def quote_out(self, side_in: str, amount_in: int) -> int:
        """What ``swap`` would pay now (the contract's own answer)."""
        return self._call(self.fn.get_amount_out(self.token_of(side_in), amount_in))

    def shares(self, owner: str) -> int:
        return self._call(self.fn.shares(owner))

    def total_shares(self) -> int:
        return self._call(self.fn.total_shares())

    # -- writes (submit only) ------------------------------------------------------

    def swap(self, sender: Sender, side_in: str, amount_in: int, min_out: int, to: str | None = None,
             gas: int = GAS_SWAP) -> HexBytes:
        """Sell exactly ``amount_in`` of the ``side_in`` token; reverts below ``min_out``. Needs an allowance."""
        target = to or self._sender_address(sender)
        return self._send(self.fn.swap(self.token_of(side_in), amount_in, min_out, target), sender, gas)

    def add_liquidity(self, sender: Sender, base: int, quote: int, base_min: int = 0, quote_min: int = 0,
                      to: str | None = None, gas: int = GAS_LIQUIDITY) -> HexBytes:
        target = to or self._sender_address(sender)
        return self._send(self.fn.add_liquidity(base, quote, base_min, quote_min, target), sender, gas)

    def remove_liquidity(self, sender: Sender, liquidity: int, base_min: int = 0, quote_min: int = 0,
                         to: str | None = None, gas: int = GAS_LIQUIDITY) -> HexBytes:
        target = to or self._sender_address(sender)
        return self._send(self.fn.remove_liquidity(liquidity, base_min, quote_min, target), sender, gas)

    def mint(self, sender: Sender, to: str, gas: int = GAS_LIQUIDITY) -> HexBytes:
        """Uniswap v2's core ``mint``: shares for tokens already transferred to the pool."""
        return self._send(self.fn.mint(to), sender, gas)
