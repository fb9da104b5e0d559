"""Hand-computed margin: equity and requirements with two collateral assets and haircuts, funding over a known time."""

import pytest

from chains import confirm
from protocol.units import WAD, to_wad

# No trading fees, so the arithmetic below is only margin and funding; ETH has no funding drift, BTC has a fast one.
PROTOCOL_CONFIG = {
    "markets": {
        "ETH": {"trading_fee": 0, "max_funding_velocity": 0},
        "BTC": {"trading_fee": 0, "skew_scale": 100, "max_funding_velocity": 0.5},
    },
}
DAY = 86_400


def test_equity_and_maintenance_with_two_collateral_assets_and_haircuts(world):
    w = world
    w.prices(USDC=1, ETH=2000, BTC=50_000)
    w.deposit("alice", "vault-l1", "USDC", 5_000)
    w.deposit("alice", "vault-l2", "ETH", 2)
    w.trade("alice", "ETH", 10)  # long 10 ETH at $2000
    w.prices(USDC=1, ETH=1900, BTC=50_000)

    b = w.bucket("alice")
    # collateral after haircuts: 5000 USDC * $1 * (1 - 0) + 2 ETH * $1900 * (1 - 0.10) = 5000 + 3420 = 8420
    assert b.collateral_value == 8_420 * WAD
    assert [(h.asset, h.chain, h.value) for h in b.collateral] == [
        ("USDC", "vault-l1", 5_000 * WAD), ("ETH", "vault-l2", 3_420 * WAD)]
    # unrealised PnL: 10 * (1900 - 2000) = -1000; equity = 8420 - 1000 = 7420
    assert b.unrealized_pnl == -1_000 * WAD
    assert b.equity == 7_420 * WAD
    # notional 10 * 1900 = 19000; maintenance 3 % = 570; initial 5 % = 950
    assert b.notional == 19_000 * WAD
    assert b.maintenance_requirement == 570 * WAD
    assert b.initial_requirement == 950 * WAD
    assert b.free_margin == (7_420 - 950) * WAD
    assert b.health == 7_420 * WAD * WAD // (570 * WAD)  # 13.0175...
    assert not b.liquidatable
    [position] = b.positions
    assert (position.market, position.size, position.entry_price, position.mark_price) == ("ETH", 10 * WAD, 2_000 * WAD, 1_900 * WAD)


@pytest.mark.parametrize("side", [1, -1], ids=["longs-pay", "shorts-pay"])
def test_funding_accrued_over_a_known_time_with_a_known_skew(world, side):
    w = world
    perp = w.perp
    w.prices(USDC=1, ETH=2000, BTC=50_000)
    w.deposit("alice", "vault-l1", "USDC", 60_000)
    w.deposit("bob", "vault-l1", "USDC", 10_000)
    # both trades in one block, so no funding accrues between them
    alice = w.engine.trade(w.user("alice"), "BTC", side * to_wad(10))
    bob = w.engine.trade(w.user("bob"), "BTC", -side * to_wad(2))
    opened = perp.mine()
    confirm(perp, alice), confirm(perp, bob)
    w.bridge.flush()

    # skew = 10 - 2 = 8 BTC on alice's side; proportional skew = 8 / 100 = 0.08
    # rate velocity = 0.08 * 0.5 per day = 0.04 per day (positive: longs pay)

    # half a day later: rate = 0.02; index = average rate (0 + 0.02) / 2 * 0.5 day * $50000 = $250 per BTC
    perp.set_next_timestamp(opened.timestamp + DAY // 2)
    w.prices(USDC=1, ETH=2000, BTC=50_000)
    market = w.engine.market("BTC", price=to_wad(50_000))
    assert market.skew == side * 8 * WAD
    assert market.funding_rate == side * 2 * WAD // 100
    assert market.funding_index == side * 250 * WAD
    assert w.bucket("alice").funding_owed == 10 * 250 * WAD  # alice, on the heavy side, pays
    assert w.bucket("bob").funding_owed == -2 * 250 * WAD  # bob, on the light side, is paid

    # a full day after opening: rate = 0.04; index = (0 + 0.04) / 2 * 1 day * $50000 = $1000 per BTC.
    # alice closes in the same block: her 10 * $1000 of funding is settled from her collateral into the pool
    pool_before = w.ledger("vault-l1", "USDC").pool
    perp.set_next_timestamp(opened.timestamp + DAY)
    post = w.d.post_prices({"USDC": 1, "ETH": 2000, "BTC": 50_000})
    close = w.engine.trade(w.user("alice"), "BTC", -side * to_wad(10))
    block = perp.mine()
    confirm(perp, post), confirm(perp, close)
    w.bridge.flush()
    [changed] = [e for e in w.engine.events_in_blocks(block.number, block.number) if type(e).__name__ == "PositionChanged"]
    assert changed.funding == 10_000 * WAD
    assert changed.realized_pnl == 0
    market = w.engine.market("BTC")
    assert (market.funding_rate, market.funding_index) == (side * 4 * WAD // 100, side * 1_000 * WAD)
    assert w.engine.collateral(w.user("alice").address, w.cid("vault-l1", "USDC")) == 50_000 * 10**6
    assert w.ledger("vault-l1", "USDC").pool - pool_before == 10_000 * 10**6
    assert w.bucket("bob").funding_owed == -2 * 1_000 * WAD
    assert w.bucket("bob").equity == (10_000 + 2_000) * WAD
