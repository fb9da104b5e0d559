"""Trading with the default parameters: fees, open-interest caps, stale prices, isolated buckets, bad input."""

from chains import confirm
from protocol.units import WAD, to_wad

USDC = 10**6
# Default fees; no ETH funding drift (so amounts are exact) and a small BTC cap to hit.
PROTOCOL_CONFIG = {"markets": {"ETH": {"max_funding_velocity": 0}, "BTC": {"oi_cap": 1}}}


def setup(w, collateral=10_000):
    w.prices(USDC=1, ETH=3000, BTC=60_000)
    w.deposit("alice", "vault-l1", "USDC", collateral)


def test_an_open_pays_the_fee_into_the_pool_and_the_treasury(world):
    w = world
    setup(w)
    before = w.ledger("vault-l1", "USDC")
    w.trade("alice", "ETH", 10)
    # fee: 10 ETH * $3000 * 0.05 % = $15, 20 % of it (3 USDC) to the treasury, 12 to the pool
    after = w.ledger("vault-l1", "USDC")
    assert after.treasury - before.treasury == 3 * USDC
    assert after.pool - before.pool == 12 * USDC
    assert before.total_locked - after.total_locked == 15 * USDC
    assert after.conserved
    alice = w.bucket("alice")
    assert alice.collateral_value == 9_985 * WAD and alice.balance == 0
    [position] = alice.positions
    assert (position.size, position.entry_price) == (10 * WAD, 3_000 * WAD)


def test_gains_are_credited_to_the_balance_and_losses_seized(world):
    w = world
    setup(w)
    w.trade("alice", "ETH", 10)
    w.prices(USDC=1, ETH=3100, BTC=60_000)
    w.trade("alice", "ETH", -10)
    # realised +1000; the closing fee is 10 * 3100 * 0.05 % = 15.5: the pool's 80 % (12.4) nets against the gain,
    # the treasury's 20 % (3.1) is seized from collateral (9985 after the opening fee)
    alice = w.bucket("alice")
    assert alice.positions == ()
    assert alice.balance == 9_876 * WAD // 10  # 1000 - 12.4
    assert alice.collateral_value == 99_819 * WAD // 10  # 9985 - 3.1
    assert w.ledger("vault-l1", "USDC").conserved


def test_leverage_above_the_cap_is_refused(world, revert):
    w = world
    setup(w, collateral=1_000)
    before = w.state_fingerprint()
    # 7 ETH at $3000 = 21000 of notional on ~1000 of equity: 21x > 20x
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(7)), "leverage above the cap")
    assert w.state_fingerprint() == before


def test_opening_with_a_stale_price_is_refused(world, revert):
    w = world
    setup(w)
    w.trade("alice", "ETH", 2)
    w.advance(61)
    w.perp.mine()
    before = w.state_fingerprint()
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(1)), "stale price")
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(-3)), "stale price")  # a flip opens a short
    assert w.state_fingerprint() == before


def test_reducing_uses_the_last_valid_price_only_within_the_close_bound(world, revert):
    w = world
    setup(w)
    w.trade("alice", "ETH", 2)
    w.advance(61)  # beyond the close bound, which defaults to the staleness bound (60 s)
    w.perp.mine()
    before = w.state_fingerprint()
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(-1)), "stale price")
    assert w.state_fingerprint() == before
    owner = w.d.deployers["perp"]
    confirm(w.perp, w.oracle.contract.functions.set_parameters(3, 60, WAD // 20, 600, 600)
            .transact({"from": owner, "gas": 300_000}))
    w.trade("alice", "ETH", -1)  # a close bound of 600 s: the last valid price serves a reduction
    assert w.bucket("alice").positions[0].size == WAD
    w.advance(600)
    w.perp.mine()
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(-1)), "stale price")


def test_open_interest_cap(world, revert):
    w = world
    setup(w, collateral=100_000)
    w.trade("alice", "BTC", 1)
    before = w.state_fingerprint()
    revert(w.perp, w.engine.trade(w.user("alice"), "BTC", to_wad(0.01)), "open interest cap exceeded")
    assert w.state_fingerprint() == before
    w.trade("alice", "BTC", -0.5)  # reducing is always allowed


def test_acceptable_price_bounds_the_fill(world, revert):
    w = world
    setup(w)
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(1), acceptable_price=to_wad(2999)), "price above the acceptable price")
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(-1), acceptable_price=to_wad(3001)), "price below the acceptable price")
    confirm(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(1), acceptable_price=to_wad(3000)))


def test_bad_trades_are_refused_with_a_reason(world, revert):
    w = world
    setup(w)
    alice = w.user("alice")
    before = w.state_fingerprint()
    revert(w.perp, w.engine.trade(alice, "ETH", 0), "zero size")
    revert(w.perp, w.engine.contract.functions.trade(7, WAD, 0, 0).transact({"from": alice.address, "gas": 10**6}), "unknown market")
    revert(w.perp, w.engine.contract.functions.trade(0, WAD, 8, 0).transact({"from": alice.address, "gas": 10**6}), "unknown bucket")
    revert(w.perp, w.engine.trade(w.user("bob"), "ETH", WAD), "insufficient margin")  # bob has no collateral
    assert w.state_fingerprint() == before


def test_an_isolated_bucket_holds_one_market_and_returns_its_margin_on_close(world, revert):
    w = world
    setup(w)
    alice, usdc = w.user("alice"), w.cid("vault-l1", "USDC")
    confirm(w.perp, w.engine.move_collateral(alice, 0, 3, usdc, 1_000 * USDC))
    w.trade("alice", "ETH", 5, bucket=3)
    revert(w.perp, w.engine.trade(alice, "BTC", to_wad(0.01), bucket=3), "an isolated bucket holds a single market")
    # the isolated position cannot draw on cross margin: 7 ETH needs 1050 of margin, the bucket has ~992
    revert(w.perp, w.engine.trade(alice, "ETH", to_wad(2), bucket=3), "leverage above the cap")
    w.trade("alice", "ETH", -5, bucket=3)
    assert w.engine.collateral(alice.address, usdc, bucket=3) == 0
    # 10000 - 7.5 (fee on 5 ETH) - 7.5 (fee on the close) = 9985 back in cross margin
    assert w.engine.collateral(alice.address, usdc) == 9_985 * USDC


def test_moving_collateral_out_must_leave_the_initial_margin(world, revert):
    w = world
    setup(w, collateral=1_000)
    w.trade("alice", "ETH", 5)  # initial margin 750
    alice, usdc = w.user("alice"), w.cid("vault-l1", "USDC")
    before = w.state_fingerprint()
    revert(w.perp, w.engine.move_collateral(alice, 0, 1, usdc, 300 * USDC), "insufficient free margin")
    revert(w.perp, w.engine.move_collateral(alice, 0, 1, usdc, 5_000 * USDC), "amount exceeds the bucket's collateral")
    revert(w.perp, w.engine.move_collateral(alice, 0, 0, usdc, 1), "source and destination bucket are the same")
    revert(w.perp, w.engine.move_collateral(alice, 0, 1, usdc, 0), "zero amount")
    assert w.state_fingerprint() == before
    confirm(w.perp, w.engine.move_collateral(alice, 0, 1, usdc, 200 * USDC))
