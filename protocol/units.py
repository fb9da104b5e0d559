"""Fixed-point conventions shared by the contracts and the Python side.

* USD amounts (prices, values, PnL, balances, funding) and ratios are 18-decimal fixed
  point, "WAD": ``2000 * WAD`` is $2000 or a price of 2000 USD per whole token; ``WAD // 20``
  is 5 %.
* Position sizes are 18-decimal units of the base asset: ``WAD`` is one ETH of exposure;
  longs are positive, shorts negative.
* Token amounts are in the token's own decimals (``10**6`` is one USDC, ``10**8`` one BTC).
* Funding rates are WAD fractions per day; the funding index is USD (WAD) per unit of size.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation, localcontext

WAD = 10**18
DAY = 86_400

Number = int | float | str | Decimal


def exact_decimal(value: Number) -> Decimal:
    """``value`` as a Decimal without binary float noise (``0.1`` becomes ``Decimal("0.1")``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise TypeError(f"expected a number, got {value!r}")
    try:
        result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def scaled(value: Number, decimals: int) -> int:
    """``value`` times ``10**decimals`` as an exact integer; raises ValueError if it has more precision."""
    with localcontext() as ctx:
        ctx.prec = 100
        result = exact_decimal(value).scaleb(decimals)
        if result != result.to_integral_value():
            raise ValueError(f"{value} has more than {decimals} decimal places")
        return int(result)


def to_wad(value: Number) -> int:
    """USD, a price, a ratio or a size as an 18-decimal integer: ``to_wad("0.05") == 5 * 10**16``."""
    return scaled(value, 18)


def from_wad(value: int) -> Decimal:
    return Decimal(value).scaleb(-18)


def to_units(value: Number, decimals: int) -> int:
    """A token amount in whole tokens as the token's integer units: ``to_units(1.5, 6) == 1_500_000``."""
    return scaled(value, decimals)


def from_units(value: int, decimals: int) -> Decimal:
    return Decimal(value).scaleb(-decimals)
