"""What a liquidation of a bucket would do, computed off chain from its state (the engine's arithmetic).

Keepers use it to price an opportunity before they spend gas on it: which positions close and by
how much, the realised loss and the collateral it takes, and the bonus that is left for the
liquidator (it comes only out of collateral left after the debt, then out of gains). The engine
stays the authority; a preview can differ from the outcome by rounding, or because prices moved
before the transaction was mined.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocol.catalog import Catalog
from protocol.config import LiquidationConfig
from protocol.engine import BucketState
from protocol.units import WAD, to_wad


@dataclass(frozen=True)
class LiquidationPreview:
    full_close: bool
    closed_notional: int  # USD (WAD)
    realized_pnl: int  # of the closed part, less the funding settled (USD WAD)
    bonus_tokens: tuple[tuple[int, int], ...]  # (collateral id, native amount) seized for the liquidator
    bonus_from_gains: int  # USD (WAD) credited to the liquidator out of the bucket's gains
    shortfall: int  # USD (WAD) of loss the collateral cannot pay (bad debt once the bucket is closed)


def preview_liquidation(state: BucketState, params: LiquidationConfig, catalog: Catalog) -> LiquidationPreview:
    full = state.health < to_wad(params.full_close_health)
    dust, close_factor = to_wad(params.dust_notional), to_wad(params.close_factor)
    closed_notional = 0
    realized = -state.funding_owed  # the whole position's funding is settled on any close
    for position in state.positions:
        delta = -position.size
        if not full and position.notional >= dust:
            delta = -_toward_zero(position.size * close_factor, WAD) or -position.size
        closed = abs(delta)
        closed_notional += closed * position.mark_price // WAD
        pnl = _toward_zero(closed * (position.mark_price - position.entry_price), WAD)
        realized += pnl if position.size > 0 else -pnl
    holdings = {c.cid: c.amount for c in state.collateral}
    balance = state.balance + realized
    if balance < 0:
        balance += _take(holdings, state, catalog, -balance)
    if balance < 0:
        return LiquidationPreview(full, closed_notional, realized, (), 0, -balance)
    bonus = closed_notional * to_wad(params.bonus) // WAD
    before = dict(holdings)
    paid = _take(holdings, state, catalog, bonus)
    tokens = tuple((cid, before[cid] - holdings[cid]) for cid in sorted(before) if before[cid] != holdings[cid])
    from_gains = min(balance, bonus - paid) if paid < bonus and balance > 0 else 0
    return LiquidationPreview(full, closed_notional, realized, tokens, from_gains, 0)


def _take(holdings: dict[int, int], state: BucketState, catalog: Catalog, usd: int) -> int:
    """Collateral worth ``usd`` at oracle prices, collateral ids in order, amounts rounded up (as ``_take``)."""
    remaining, paid = usd, 0
    prices = {c.cid: c.price for c in state.collateral}
    for cid in sorted(holdings):
        if remaining <= 0:
            break
        price, scale = prices[cid], 10 ** catalog.by_cid(cid).decimals
        if price == 0:
            continue
        amount = min(holdings[cid], -(-remaining * scale // price))
        worth = amount * price // scale
        holdings[cid] -= amount
        paid += worth
        remaining -= min(worth, remaining)
    return paid


def _toward_zero(numerator: int, denominator: int) -> int:
    """Integer division as the EVM's signed division rounds: toward zero."""
    quotient = abs(numerator) // denominator
    return quotient if numerator >= 0 else -quotient
