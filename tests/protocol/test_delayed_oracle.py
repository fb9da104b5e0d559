"""The delayed oracle (Maker's OSM): poke timing, cur/nxt movement, staleness of a missed poke, who may poke,
and an engine that acts on the older price."""

import pytest

from chains import compile_contract, confirm, deploy
from chains.transactions import TransactionReverted
from protocol import PriceUse
from protocol.artifacts import CONTRACTS_DIR
from protocol.units import WAD, to_wad

DELAY = 3600
# staleness 60 s to open, 300 s to close, 600 s to liquidate; no fees or funding, so the arithmetic is exact
PROTOCOL_CONFIG = {
    "oracle": {"delay": DELAY, "close_staleness": 300},
    "markets": {
        "ETH": {"trading_fee": 0, "max_funding_velocity": 0},
        "BTC": {"trading_fee": 0, "max_funding_velocity": 0},
    },
}
OPEN, CLOSE, LIQUIDATION = PriceUse.OPEN, PriceUse.CLOSE, PriceUse.LIQUIDATION


def delayed(w):
    return w.d.delayed_oracle


def eth(w, use=OPEN):
    return delayed(w).prices(use)["ETH"]


def at(w, timestamp):
    """Mine a block at ``timestamp``: reads then see that time."""
    w.perp.mine(timestamp=timestamp)


def poke(w, sender="bob", **usd):
    """When the next poke is due: every reporter reports ``usd`` (all feeds), then ``sender`` pokes."""
    w.perp.set_next_timestamp(max(delayed(w).next_poke() - 1, w.perp.head_timestamp + 1))
    w.prices(**{"USDC": 1, "ETH": 3000, "BTC": 60_000, **usd})
    receipt = confirm(w.perp, delayed(w).poke(w.user(sender)))
    return receipt


def test_the_engine_reads_the_delayed_oracle_which_starts_at_the_initial_prices(world):
    w = world
    oracle = delayed(w)
    assert w.engine.contract.functions.ORACLE().call() == oracle.address == w.d.engine_oracle.address
    assert oracle.contract.functions.SOURCE().call() == w.oracle.address and oracle.delay == DELAY
    initial = {"USDC": WAD, "ETH": to_wad(3000), "BTC": to_wad(60_000)}
    # the deployment's poke had no older reading to publish: cur and nxt are both the initial prices
    for use in PriceUse:
        assert oracle.prices(use) == oracle.next_prices(use) == initial
    assert oracle.next_poke() == oracle.last_poke() + DELAY


def test_a_poke_before_the_delay_is_refused_and_changes_nothing(world, revert):
    w = world
    oracle = delayed(w)
    last = oracle.last_poke()
    w.perp.set_next_timestamp(last + DELAY - 2)
    w.prices(ETH=2000)
    assert not oracle.can_poke()
    revert(w.perp, oracle.poke(w.user("bob")), "poke not due")
    assert oracle.last_poke() == last and eth(w) == to_wad(3000) and oracle.next_prices()["ETH"] == to_wad(3000)
    assert w.perp.next_timestamp == last + DELAY and oracle.can_poke() is False  # a call sees the head's time
    confirm(w.perp, oracle.poke(w.user("bob")))  # exactly one delay after the last
    assert oracle.last_poke() == last + DELAY
    revert(w.perp, oracle.poke(w.user("bob")), "poke not due")  # once per delay


def test_each_poke_publishes_the_price_read_at_the_one_before(world):
    w = world
    poke(w, ETH=2000)
    assert w.oracle.prices()["ETH"] == to_wad(2000)
    assert eth(w) == to_wad(3000) and delayed(w).next_prices()["ETH"] == to_wad(2000)
    poke(w, ETH=1500)
    assert eth(w) == to_wad(2000) and delayed(w).next_prices()["ETH"] == to_wad(1500)
    poke(w, ETH=1800)
    for use in PriceUse:
        assert eth(w, use) == to_wad(1500)


def test_anyone_may_poke_and_the_poke_is_logged(world):
    w = world
    stranger = w.user("carol")  # neither the owner nor a reporter
    assert stranger.address not in w.oracle.reporters() and stranger.address != w.d.deployers["perp"]
    receipt = poke(w, sender="carol", ETH=2500)
    [event] = delayed(w).events_in_blocks(receipt["blockNumber"])
    assert type(event).__name__ == "Poked" and event.timestamp == delayed(w).last_poke()
    assert event.current == (WAD, to_wad(3000), to_wad(60_000))
    assert event.next == (WAD, to_wad(2500), to_wad(60_000))


def test_a_missed_poke_makes_the_delayed_prices_stale_open_first_liquidation_last(world):
    w = world
    poke(w, ETH=2000)
    poke(w, ETH=2000)
    last = delayed(w).last_poke()
    due = last + DELAY
    assert [delayed(w).served_until(use) for use in PriceUse] == [due + 60, due + 300, due + 600]
    at(w, due + 60)
    assert (eth(w, OPEN), eth(w, CLOSE), eth(w, LIQUIDATION)) == (to_wad(2000),) * 3
    at(w, due + 61)
    assert (eth(w, OPEN), eth(w, CLOSE), eth(w, LIQUIDATION)) == (0, to_wad(2000), to_wad(2000))
    at(w, due + 301)
    assert (eth(w, OPEN), eth(w, CLOSE), eth(w, LIQUIDATION)) == (0, 0, to_wad(2000))
    at(w, due + 601)
    assert delayed(w).prices(LIQUIDATION) == {"USDC": 0, "ETH": 0, "BTC": 0}


def test_fresh_reports_do_not_revive_an_overdue_delayed_price(world, revert):
    w = world
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    poke(w, ETH=2000)
    at(w, delayed(w).last_poke() + DELAY + 61)
    w.prices(USDC=1, ETH=2000, BTC=60_000)  # the aggregator is fresh; the delayed oracle is overdue
    assert w.oracle.prices()["ETH"] == to_wad(2000) and eth(w) == 0
    revert(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(1)), "stale price")
    # a late poke publishes what it finds in nxt (read at the last poke, now older than the delay)
    late = w.perp.next_timestamp
    confirm(w.perp, delayed(w).poke(w.user("bob")))
    assert eth(w) == to_wad(2000) and delayed(w).served_until(OPEN) == late + DELAY + 60
    confirm(w.perp, w.engine.trade(w.user("alice"), "ETH", to_wad(1)))


def test_a_price_stale_when_read_is_served_stale(world):
    w = world
    w.perp.set_next_timestamp(delayed(w).next_poke() - 100)
    w.prices(USDC=1, ETH=2000, BTC=60_000)  # 100 s old at the poke: too old to open, fine to liquidate
    w.perp.set_next_timestamp(delayed(w).next_poke())
    confirm(w.perp, delayed(w).poke(w.user("bob")))
    assert delayed(w).next_prices(OPEN)["ETH"] == 0 and delayed(w).next_prices(LIQUIDATION)["ETH"] == to_wad(2000)
    poke(w, ETH=2000)
    assert eth(w, OPEN) == 0 and eth(w, LIQUIDATION) == to_wad(2000)


def test_the_engine_liquidates_at_the_delayed_price_not_the_fresh_one(world, revert):
    w = world
    poke(w, ETH=2000)
    poke(w, ETH=2000)  # the engine's ETH price is now $2000
    w.deposit("alice", "vault-l1", "USDC", 1_000)
    w.trade("alice", "ETH", 10)  # long 10 ETH at $2000, 20x
    assert w.bucket("alice").positions[0].entry_price == 2_000 * WAD
    # ETH falls to $1950: at that price alice is underwater (equity 500 < maintenance 585) ...
    poke(w, ETH=1950)
    assert w.oracle.prices(LIQUIDATION)["ETH"] == to_wad(1950)
    # ... but the engine still acts on $2000 for another delay: she is healthy and cannot be liquidated
    alice = w.bucket("alice")
    assert alice.equity == 1_000 * WAD and not alice.liquidatable
    revert(w.perp, w.engine.liquidate(w.user("keeper"), w.user("alice").address), "account is healthy")
    # a trade now is priced at the older price too
    w.deposit("bob", "vault-l1", "USDC", 1_000)
    w.trade("bob", "ETH", -1)
    assert w.bucket("bob").positions[0].entry_price == 2_000 * WAD
    poke(w, ETH=1950)  # one delay later the engine sees $1950
    assert w.bucket("alice").liquidatable
    receipt = w.liquidate("keeper", "alice")
    block = receipt["blockNumber"]
    [liquidated] = [e for e in w.engine.events_in_blocks(block, block) if type(e).__name__ == "Liquidated"]
    assert liquidated.closed_notional == 10 * 1_950 * WAD and liquidated.full_close


def test_bad_constructor_arguments_and_reads_are_refused(world):
    w = world
    build = compile_contract(CONTRACTS_DIR / "DelayedOracle.vy")
    with pytest.raises(TransactionReverted, match="delay out of range"):
        deploy(w.perp, build, w.oracle.address, 0)
    with pytest.raises(TransactionReverted, match="source is not a contract"):
        deploy(w.perp, build, w.user("bob").address, DELAY)
    functions = delayed(w).contract.functions
    with pytest.raises(Exception, match="unknown price use"):
        functions.read_prices([1], 3).call()
    with pytest.raises(Exception, match="unknown feed"):
        functions.read_prices([3], 0).call()
    with pytest.raises(Exception, match="unknown price use"):
        functions.served_until(3).call()
