"""The backstop liquidator takes over a position no keeper will, within its capital, and only for its operators."""

from __future__ import annotations

from chains import confirm
from protocol.units import WAD, to_wad

PROTOCOL_CONFIG = {
    "backstop": {"capital": 5_000},  # USDC on vault-l1, deposited for the backstop at deployment
    "markets": {
        "ETH": {"trading_fee": 0, "max_funding_velocity": 0},
        "BTC": {"trading_fee": 0, "max_funding_velocity": 0},
    },
}
USDC = 10**6


def underwater(w, user, margin, size):
    w.prices(USDC=1, ETH=2000, BTC=50_000)
    w.deposit(user, "vault-l1", "USDC", margin)
    w.trade(user, "ETH", size)


def test_the_backstop_is_margined_by_its_deposit(world):
    backstop = world.d.backstop.address
    assert world.d.backstop_chain == "vault-l1"
    assert world.d.vault("vault-l1").locked(backstop, "USDC") == 5_000 * USDC
    assert world.engine.bucket(backstop).collateral_value == 5_000 * WAD


def test_the_backstop_takes_over_a_position_and_holds_it(world):
    w = world
    underwater(w, "alice", 1_000, 10)
    # at $1900 alice's equity is 0: a full close whose loss takes all her collateral, so no bonus is left
    # and no keeper would act; the backstop takes the 10 ETH over at $1900
    w.prices(USDC=1, ETH=1900, BTC=50_000)
    start = w.perp.head_number + 1
    confirm(w.perp, w.d.backstop.take_over(w.d.deployers["perp"], w.user("alice").address))
    w.bridge.flush()
    [taken] = [e for e in w.d.backstop.events_in_blocks(start) if type(e).__name__ == "TakenOver"]
    assert taken.closed_notional == 19_000 * WAD and taken.markets == 1  # market 0 is ETH
    assert w.bucket("alice").positions == () and w.engine.totals().bad_debt == 0
    held = w.engine.bucket(w.d.backstop.address)
    assert held.position("ETH").size == 10 * WAD and held.position("ETH").entry_price == 1_900 * WAD
    assert held.equity == 5_000 * WAD  # nothing lost yet: the position is at its entry price
    assert w.d.backstop.totals().notional == 19_000 * WAD
    # the exposure moved, it was not closed: long open interest is unchanged
    assert w.engine.market("ETH").long_oi == 10 * WAD
    confirm(w.perp, w.d.backstop.trade(w.d.deployers["perp"], "ETH", -to_wad(4)))
    assert w.engine.bucket(w.d.backstop.address).position("ETH").size == 6 * WAD


def test_a_take_over_beyond_the_backstops_capital_reverts_whole(world, revert):
    w = world
    underwater(w, "bob", 10_000, 100)
    w.prices(USDC=1, ETH=1900, BTC=50_000)
    before = w.state_fingerprint()
    # 100 ETH at $1900 is 190000 of notional, above 20x the backstop's 5000 of equity
    revert(w.perp, w.d.backstop.take_over(w.d.deployers["perp"], w.user("bob").address), "leverage above the cap")
    assert w.state_fingerprint() == before
    assert w.bucket("bob").position("ETH").size == 100 * WAD


def test_only_operators_use_the_backstop(world, revert):
    w = world
    underwater(w, "carol", 1_000, 10)
    w.prices(USDC=1, ETH=1900, BTC=50_000)
    revert(w.perp, w.d.backstop.take_over(w.user("dave"), w.user("carol").address), "only an operator")
    revert(w.perp, w.d.backstop.trade(w.user("dave"), "ETH", to_wad(1)), "only an operator")
    revert(w.perp, w.d.backstop.take_over(w.d.deployers["perp"], w.user("dave").address), "no open positions")
