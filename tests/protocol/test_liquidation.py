"""Hand-computed liquidations: close factor, bonus, remaining position, bad debt and the insurance draw,
and cross margin against isolated margin."""

from chains import confirm
from protocol.messages import Dest, Source
from protocol.units import WAD, to_wad

# No fees and no funding drift: the arithmetic is margin and liquidation only. 100 USDC of insurance per vault.
PROTOCOL_CONFIG = {
    "assets": {"USDC": {"insurance_liquidity": 100}},
    "markets": {
        "ETH": {"trading_fee": 0, "max_funding_velocity": 0},
        "BTC": {"trading_fee": 0, "max_funding_velocity": 0},
    },
}
USDC = 10**6


def events(world, name, block=None):
    first = world.perp.head_number if block is None else block
    return [e for e in world.engine.events_in_blocks(first) if type(e).__name__ == name]


def open_long_eth(w, user="alice", collateral=1_000, size=10):
    w.prices(USDC=1, ETH=2000, BTC=50_000)
    w.deposit(user, "vault-l1", "USDC", collateral)
    w.trade(user, "ETH", size)


def test_the_health_page_shows_keepers_who_is_underwater(world):
    w = world
    open_long_eth(w)
    open_long_eth(w, user="bob", collateral=2_000)
    w.prices(USDC=1, ETH=1957, BTC=50_000)
    rows = {r.account: r for r in w.engine.health_page(0, 32)}
    alice, bob = rows[w.user("alice").address], rows[w.user("bob").address]
    assert alice.liquidatable and (alice.equity, alice.maintenance_requirement) == (570 * WAD, 58_710 * WAD // 100)
    assert not bob.liquidatable  # equity 2000 - 430 = 1570
    assert w.engine.account_count() == len(w.engine.accounts()) == 2


def test_partial_liquidation_closes_half_and_pays_the_bonus(world):
    w = world
    open_long_eth(w)  # 1000 USDC, long 10 ETH at $2000: notional 20000, initial margin 1000 (20x, the cap)
    # at $1957: equity = 1000 + 10 * (1957 - 2000) = 570; maintenance = 10 * 1957 * 3 % = 587.10
    # health = 570 / 587.10 = 0.9709 >= 0.95 and the notional 19570 >= the 2000 dust: close factor 50 %
    w.prices(USDC=1, ETH=1957, BTC=50_000)
    assert w.bucket("alice").liquidatable
    keeper = w.user("keeper").address
    keeper_before = w.d.token("vault-l1", "USDC").balance_of(keeper)
    pool_before = w.ledger("vault-l1", "USDC").pool

    w.liquidate("keeper", "alice")

    [liquidated] = events(w, "Liquidated")
    assert liquidated.health == 570 * WAD * WAD // (58_710 * WAD // 100)
    assert not liquidated.full_close
    # closed: 5 ETH at $1957 = 9785 notional; bonus 2.5 % = 244.625; realised 5 * (1957 - 2000) = -215
    assert liquidated.closed_notional == 9_785 * WAD
    assert liquidated.bonus == 244_625 * WAD // 1000
    assert liquidated.realized_pnl == -215 * WAD
    alice = w.bucket("alice")
    [position] = alice.positions
    assert position.size == 5 * WAD and position.entry_price == 2_000 * WAD
    # collateral left: 1000 - 244.625 (bonus) - 215 (loss) = 540.375 USDC
    assert alice.collateral_value == 540_375 * WAD // 1000
    # the bonus reached the keeper on the vault chain, the loss the pool
    assert w.d.token("vault-l1", "USDC").balance_of(keeper) - keeper_before == 244_625_000
    assert w.ledger("vault-l1", "USDC").pool - pool_before == 215 * USDC
    assert w.d.vault("vault-l1").locked(w.user("alice").address, "USDC") == 540_375_000
    # healthier now: equity 540.375 - 215 = 325.375 against maintenance 5 * 1957 * 3 % = 293.55
    assert alice.equity == 325_375 * WAD // 1000 and not alice.liquidatable


def test_full_liquidation_below_095_health(world):
    w = world
    open_long_eth(w)
    # at $1950: equity = 1000 - 500 = 500; maintenance = 585; health 0.8547 < 0.95: everything is closed
    w.prices(USDC=1, ETH=1950, BTC=50_000)
    w.liquidate("keeper", "alice")
    [liquidated] = events(w, "Liquidated")
    assert liquidated.full_close
    # closed 10 ETH = 19500 notional; bonus 487.5; loss 500; left 1000 - 487.5 - 500 = 12.5 USDC
    assert (liquidated.closed_notional, liquidated.bonus) == (19_500 * WAD, 4_875 * WAD // 10)
    alice = w.bucket("alice")
    assert alice.positions == () and alice.collateral_value == 125 * WAD // 10
    assert w.engine.totals().bad_debt == 0


def test_small_positions_are_closed_entirely(world):
    w = world
    open_long_eth(w, collateral=100, size=1)
    # at $1957: equity 100 - 43 = 57 < maintenance 58.71, health 0.971 (above 0.95) but the notional 1957 < 2000 dust
    w.prices(USDC=1, ETH=1957, BTC=50_000)
    w.liquidate("keeper", "alice")
    [liquidated] = events(w, "Liquidated")
    assert not liquidated.full_close and liquidated.closed_notional == 1_957 * WAD
    # bonus 1957 * 2.5 % = 48.925; loss 43; left 100 - 48.925 - 43 = 8.075
    assert w.bucket("alice").positions == ()
    assert w.bucket("alice").collateral_value == 8_075 * WAD // 1000


def test_a_loss_larger_than_the_collateral_is_bad_debt_drawn_from_insurance_first(world):
    w = world
    open_long_eth(w)
    insurance_before = {c: w.ledger(c, "USDC").insurance for c in ("vault-l1", "vault-l2")}
    assert insurance_before == {"vault-l1": 100 * USDC, "vault-l2": 100 * USDC}
    # at $1800: loss 10 * 200 = 2000 on 1000 of collateral. Full close: the debt takes all 1000 to the pool,
    #   nothing is left for a bonus (it never comes before the pool's claim), shortfall 2000 - 1000 = 1000
    #   = bad debt; insurance: 100 USDC on each vault = 200; uncovered 800
    w.prices(USDC=1, ETH=1800, BTC=50_000)
    start = w.perp.head_number + 1
    keeper_before = w.d.token("vault-l1", "USDC").balance_of(w.user("keeper").address)
    w.liquidate("keeper", "alice")

    [bad] = events(w, "BadDebt", start)
    assert (bad.amount, bad.insurance_drawn, bad.uncovered) == (1_000 * WAD, 200 * WAD, 800 * WAD)
    totals = w.engine.totals()
    assert (totals.bad_debt, totals.insurance_drawn, totals.uncovered_bad_debt) == (1_000 * WAD, 200 * WAD, 800 * WAD)
    [liquidated] = events(w, "Liquidated", start)
    assert liquidated.bonus == 0
    assert w.d.token("vault-l1", "USDC").balance_of(w.user("keeper").address) == keeper_before
    assert w.bucket("alice").equity == 0 and w.bucket("alice").balance == 0

    seizes = {e.chain_id: e.items for e in events(w, "SeizeDispatched", start)}
    l1, l2 = w.chains["vault-l1"].chain_id, w.chains["vault-l2"].chain_id
    assert [(i.amount, i.source, i.dest) for i in seizes[l1]] == [
        (1_000 * USDC, Source.ACCOUNT, Dest.POOL), (100 * USDC, Source.INSURANCE, Dest.POOL)]
    assert [(i.amount, i.source, i.dest) for i in seizes[l2]] == [(100 * USDC, Source.INSURANCE, Dest.POOL)]
    for chain in ("vault-l1", "vault-l2"):
        ledger = w.ledger(chain, "USDC")
        assert ledger.insurance == 0 and ledger.conserved
    assert w.d.vault("vault-l1").locked(w.user("alice").address, "USDC") == 0


def test_the_bonus_comes_only_out_of_collateral_left_after_the_debt(world):
    w = world
    open_long_eth(w)
    # at $1910: loss 900 on 1000 of collateral, full close (health 100 / 573 < 0.95): the debt takes 900,
    #   the bonus would be 10 * 1910 * 2.5 % = 477.5 but only the 100 left can pay it; no bad debt
    w.prices(USDC=1, ETH=1910, BTC=50_000)
    start = w.perp.head_number + 1
    w.liquidate("keeper", "alice")
    [liquidated] = events(w, "Liquidated", start)
    assert liquidated.full_close and liquidated.bonus == 100 * WAD
    assert events(w, "BadDebt", start) == [] and w.engine.totals().bad_debt == 0
    assert w.d.token("vault-l1", "USDC").balance_of(w.user("keeper").address) == 100 * USDC


def test_insurance_covers_all_the_bad_debt_when_it_can(world):
    w = world
    open_long_eth(w)
    bob = w.user("bob")
    vault = w.d.vault("vault-l1")
    for tx in (w.d.mint("vault-l1", "USDC", bob.address, 2_000 * USDC),
               w.d.token("vault-l1", "USDC").approve(bob, vault.address, 2_000 * USDC),
               vault.fund_insurance(bob, "USDC", 2_000 * USDC)):
        confirm(w.chains["vault-l1"], tx)
    w.bridge.flush()
    w.prices(USDC=1, ETH=1800, BTC=50_000)
    start = w.perp.head_number + 1
    w.liquidate("keeper", "alice")
    # the same 1000 of bad debt, all of it out of vault-l1's 2100 USDC of insurance
    [bad] = events(w, "BadDebt", start)
    assert (bad.amount, bad.insurance_drawn, bad.uncovered) == (1_000 * WAD, 1_000 * WAD, 0)
    assert w.ledger("vault-l1", "USDC").insurance == (2_100 - 1_000) * USDC
    assert w.ledger("vault-l2", "USDC").insurance == 100 * USDC


def test_a_bonus_the_collateral_cannot_pay_comes_out_of_gains(world):
    w = world
    open_long_eth(w)
    w.prices(USDC=1, ETH=2400, BTC=50_000)
    w.trade("alice", "ETH", -5)  # realises 5 * 400 = 2000 of gains into alice's balance
    confirm(w.perp, w.engine.move_collateral(w.user("alice"), 0, 1, w.cid("vault-l1", "USDC"), 1_000 * USDC))
    # cross bucket: no collateral, balance 2000, long 5 ETH from $2000. At $1620: equity 2000 - 1900 = 100 < 243
    w.prices(USDC=1, ETH=1620, BTC=50_000)
    keeper = w.user("keeper").address
    w.liquidate("keeper", "alice")
    [liquidated] = events(w, "Liquidated")
    # bonus 5 * 1620 * 2.5 % = 202.5, but only the 100 left in the balance can pay: it is credited to the keeper
    assert (liquidated.bonus, liquidated.bonus_from_gains) == (100 * WAD, 100 * WAD)
    assert w.engine.balance(keeper) == 100 * WAD
    assert w.engine.balance(w.user("alice").address) == 0


def test_liquidating_a_healthy_account_is_refused_and_changes_nothing(world, revert):
    w = world
    open_long_eth(w)
    w.prices(USDC=1, ETH=1990, BTC=50_000)
    before = w.state_fingerprint()
    revert(w.perp, w.engine.liquidate(w.user("keeper"), w.user("alice").address), "account is healthy")
    revert(w.perp, w.engine.liquidate(w.user("keeper"), w.user("bob").address), "no open positions")
    assert w.state_fingerprint() == before


def test_liquidation_uses_the_last_valid_price_within_the_wider_bound(world, revert):
    w = world
    open_long_eth(w)
    w.prices(USDC=1, ETH=1950, BTC=50_000)
    w.advance(120)  # past the 60 s staleness, within the 600 s liquidation bound
    w.perp.mine()
    assert w.oracle.feed_state("ETH").price == 0
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(1)), "stale price")
    w.liquidate("keeper", "alice")
    assert w.bucket("alice").positions == ()


def test_no_liquidation_without_a_price_inside_the_wider_bound(world, revert):
    w = world
    open_long_eth(w)
    w.prices(USDC=1, ETH=1950, BTC=50_000)
    w.advance(601)
    revert(w.perp, w.engine.liquidate(w.user("keeper"), w.user("alice").address), "no valid price")


def open_cross_and_isolated(w):
    """alice: one cross bucket; bob: the same two positions, each isolated with its share of the margin."""
    w.prices(USDC=1, ETH=2000, BTC=50_000)
    for user in ("alice", "bob"):
        w.deposit(user, "vault-l1", "USDC", 1_250)
    # initial margin: 10 ETH * 2000 * 5 % = 1000 and 0.1 BTC * 50000 * 5 % = 250; 1250 in all
    w.trade("alice", "ETH", 10)
    w.trade("alice", "BTC", -0.1)
    bob, usdc = w.user("bob"), w.cid("vault-l1", "USDC")
    confirm(w.perp, w.engine.move_collateral(bob, 0, 1, usdc, 1_000 * USDC))
    confirm(w.perp, w.engine.move_collateral(bob, 0, 2, usdc, 250 * USDC))
    w.trade("bob", "ETH", 10, bucket=1)
    w.trade("bob", "BTC", -0.1, bucket=2)


def test_cross_margin_a_gain_on_one_market_saves_the_other(world, revert):
    w = world
    open_cross_and_isolated(w)
    # ETH to $1900: -1000 on the long; BTC to $40000: +1000 on the short
    w.prices(USDC=1, ETH=1900, BTC=40_000)
    alice = w.bucket("alice")
    # cross: equity 1250 - 1000 + 1000 = 1250 against maintenance 3 % of (19000 + 4000) = 690: healthy.
    # (without the BTC gain the equity would be 250, below the 570 the ETH position alone needs)
    assert (alice.equity, alice.maintenance_requirement) == (1_250 * WAD, 690 * WAD)
    revert(w.perp, w.engine.liquidate(w.user("keeper"), w.user("alice").address), "account is healthy")
    # bob's isolated ETH bucket has no such help: equity 1000 - 1000 = 0 < 570
    eth_bucket, btc_bucket = w.bucket("bob", 1), w.bucket("bob", 2)
    assert (eth_bucket.equity, eth_bucket.maintenance_requirement) == (0, 570 * WAD) and eth_bucket.liquidatable
    assert btc_bucket.equity == 1_250 * WAD and not btc_bucket.liquidatable


def test_isolated_margin_one_position_is_liquidated_the_other_untouched(world):
    w = world
    open_cross_and_isolated(w)
    w.prices(USDC=1, ETH=1957, BTC=40_000)
    btc_before = w.bucket("bob", 2)
    # ETH bucket: equity 1000 - 430 = 570 < 587.10: partial liquidation, as for a lone account
    w.liquidate("keeper", "bob", bucket=1)
    eth_bucket, btc_bucket = w.bucket("bob", 1), w.bucket("bob", 2)
    assert eth_bucket.positions[0].size == 5 * WAD
    assert eth_bucket.collateral_value == 540_375 * WAD // 1000
    assert btc_bucket == btc_before  # same position, collateral 250, equity 250 + 1000
    assert btc_bucket.equity == 1_250 * WAD
    # the health page shows every bucket with positions; none is liquidatable any more
    rows = {(r.account, r.bucket): r for r in w.engine.all_health()}
    bob = w.user("bob").address
    assert set(rows) >= {(bob, 1), (bob, 2), (w.user("alice").address, 0)}
    assert not any(r.liquidatable for r in rows.values())
