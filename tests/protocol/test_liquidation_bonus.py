"""Property: a liquidation bonus never creates bad debt. Whatever the collateral, size and price, the
bonus comes only out of collateral left once the realised loss is paid, and the bad debt is exactly
the part of the loss the collateral could not pay. The keepers' off-chain preview agrees."""

from __future__ import annotations

from contextlib import contextmanager
from decimal import Decimal
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocol.liquidation import preview_liquidation
from protocol.units import WAD

# no fees, no funding, no insurance: the loss and the collateral are all there is
PROTOCOL_CONFIG = {
    "assets": {"USDC": {"insurance_liquidity": 0}},
    "markets": {
        "ETH": {"trading_fee": 0, "max_funding_velocity": 0},
        "BTC": {"trading_fee": 0, "max_funding_velocity": 0},
    },
}
USDC = 10**6
UNIT = 10**12  # one micro-USDC in WAD: seizures round up to whole token units
ENTRY = 2_000


@contextmanager
def isolated(w) -> Iterator[None]:
    """Each example on the same deployment, from the same state."""
    snapshot = w.chains.snapshot()
    cursor = dict(w.bridge.cursor)
    try:
        yield
    finally:
        for chain in w.chains:
            if chain.pending_transactions():
                chain.mine()
        w.chains.revert(snapshot)
        w.bridge.reset(cursor)


@pytest.mark.slow  # about 25 s: each example deposits, trades and liquidates through the mock bridge
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    collateral=st.integers(min_value=200, max_value=5_000),
    leverage=st.integers(min_value=5, max_value=20),
    long=st.booleans(),
    health_pct=st.integers(min_value=-400, max_value=99),  # where the price leaves the account: equity / maintenance
)
def test_the_bonus_never_creates_bad_debt(world, collateral, leverage, long, health_pct):
    w = world
    size = Decimal(collateral * leverage) / ENTRY * (1 if long else -1)
    # the price at which equity / maintenance = health: C + S (p - E) = h * 3 % * |S| p
    h = Decimal(health_pct) / 100
    price = (ENTRY * size - collateral) / (size - Decimal("0.03") * h * abs(size))
    price = price.quantize(Decimal("0.01"))
    if price <= 0:
        return
    with isolated(w):
        w.prices(USDC=1, ETH=ENTRY, BTC=50_000)
        w.deposit("alice", "vault-l1", "USDC", collateral)
        w.trade("alice", "ETH", size)
        w.prices(USDC=1, ETH=price, BTC=50_000)
        if not w.bucket("alice").liquidatable:
            return  # rounding left it just healthy
        keeper = w.user("keeper").address
        preview = preview_liquidation(w.bucket("alice"), w.d.config.liquidation, w.d.catalog)
        start = w.perp.head_number + 1
        w.liquidate("keeper", "alice")

        [liquidated] = [e for e in w.engine.events_in_blocks(start) if type(e).__name__ == "Liquidated"]
        loss = -liquidated.realized_pnl  # of the part that was closed
        value = collateral * WAD
        left = max(0, value - loss)  # what the collateral holds once the loss is paid
        bad_debt = w.engine.totals().bad_debt
        # the bad debt is the loss the collateral could not pay, not a unit more (seizures round up)
        assert max(0, loss - value) - UNIT <= bad_debt <= max(0, loss - value)
        # the bonus is at most what was left, and all of what the rule promises when enough was left
        promised = liquidated.closed_notional * 25 // 1000
        assert liquidated.bonus <= left + UNIT
        assert liquidated.bonus >= min(promised, left) - UNIT
        assert w.d.token("vault-l1", "USDC").balance_of(keeper) * UNIT == liquidated.bonus - liquidated.bonus_from_gains
        assert w.ledger("vault-l1", "USDC").conserved
        assert (preview.closed_notional, preview.full_close) == (liquidated.closed_notional, liquidated.full_close)
        previewed = sum(amount for _, amount in preview.bonus_tokens) * UNIT + preview.bonus_from_gains
        assert abs(previewed - liquidated.bonus) <= UNIT
        assert abs(preview.shortfall - bad_debt) <= UNIT
