"""The oracle: median of fresh reports without outliers, quorum, staleness, the cached aggregate, signed reports."""

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chains import confirm
from protocol.errors import ProtocolCallError
from protocol.units import WAD, to_wad


def report(w, index, **usd):
    return w.oracle.report(w.d.reporters[index], {feed: to_wad(v) for feed, v in usd.items()})


def test_median_with_one_outlier_and_one_stale_reporter(world):
    w = world
    perp = w.perp
    confirm(perp, report(w, 4, ETH=1000))  # reporter 4 reports, then falls silent
    w.advance(100)  # its report is now 100 s old: stale (the bound is 60 s)
    hashes = [report(w, 0, ETH=2000), report(w, 1, ETH=2010), report(w, 2, ETH=1990), report(w, 3, ETH=2300)]
    perp.mine()
    for tx in hashes:
        confirm(perp, tx)
    # fresh: 2000, 2010, 1990, 2300 -> sorted 1990, 2000, 2010, 2300 -> median (2000 + 2010) / 2 = 2005
    # 2300 is 14.7 % from 2005, beyond the 5 % bound: dropped. kept 1990, 2000, 2010 (3 >= quorum) -> 2000
    state = w.oracle.feed_state("ETH")
    assert (state.fresh_reports, state.used_reports) == (4, 3)
    assert state.price == 2_000 * WAD
    assert w.oracle.price("ETH") == 2_000 * WAD


def test_without_a_quorum_of_fresh_reports_there_is_no_price(world):
    w = world
    w.advance(61)  # the deployment's reports are stale now
    for index in (0, 1):
        confirm(w.perp, report(w, index, ETH=2000))
    state = w.oracle.feed_state("ETH")
    assert (state.price, state.fresh_reports) == (0, 2)
    with pytest.raises(ProtocolCallError, match="stale price"):
        w.oracle.price("ETH")
    # liquidations may still use the last valid price (the deployment's), within the wider bound
    assert state.liquidation_price == 3_000 * WAD
    confirm(w.perp, report(w, 2, ETH=2000))
    assert w.oracle.price("ETH") == 2_000 * WAD


def test_the_cached_aggregate_expires_with_its_oldest_report(world):
    w = world
    perp = w.perp
    start = perp.next_timestamp
    hashes = [report(w, i, ETH=2000) for i in range(3)]
    perp.mine()
    perp.set_next_timestamp(start + 30)
    hashes += [report(w, i, ETH=2100) for i in (3, 4)]
    perp.mine()
    for tx in hashes:
        confirm(perp, tx)
    assert w.oracle.price("ETH") == 2_000 * WAD  # median of 2000, 2000, 2000, 2100, 2100
    perp.set_next_timestamp(start + 60)
    perp.mine()
    assert w.oracle.prices()["ETH"] == 2_000 * WAD  # the oldest reports are exactly 60 s old: still fresh
    perp.set_next_timestamp(start + 61)
    perp.mine()
    assert w.oracle.prices()["ETH"] == 0  # two fresh reports left, below the quorum of 3


def test_bad_reports_are_refused_and_change_nothing(world, revert):
    w = world
    reporter, stranger = w.d.reporters[0], w.user("bob")
    before = w.oracle.report_of("ETH", reporter.address)
    revert(w.perp, w.oracle.report(stranger, {"ETH": to_wad(2000)}), "not a reporter")
    revert(w.perp, w.oracle.report(reporter, {"ETH": 0}), "zero price")
    revert(w.perp, w.oracle.report(reporter, {"ETH": 2**96}), "price out of range")
    functions = w.oracle.contract.functions
    revert(w.perp, functions.report([9], [WAD]).transact({"from": reporter.address, "gas": 300_000}), "unknown feed")
    revert(w.perp, functions.report([1, 1], [WAD, WAD]).transact({"from": reporter.address, "gas": 300_000}), "duplicate feed")
    revert(w.perp, functions.report([1], [WAD, WAD]).transact({"from": reporter.address, "gas": 300_000}), "differ in length")
    assert w.oracle.report_of("ETH", reporter.address) == before


def test_signed_reports_from_several_reporters_in_one_transaction(world):
    w = world
    when = w.perp.next_timestamp
    prices = {"USDC": WAD, "ETH": to_wad(2500), "BTC": to_wad(55_000)}
    signed = [w.oracle.sign_report(r, prices, when) for r in w.d.reporters]
    confirm(w.perp, w.oracle.report_signed(w.user("bob"), signed))  # anyone may submit them
    assert w.oracle.prices() == prices
    assert w.oracle.report_of("BTC", w.d.reporters[3].address) == (to_wad(55_000), when)


def test_bad_signed_reports_are_refused(world, revert):
    w = world
    perp, bob = w.perp, w.user("bob")
    now = perp.next_timestamp
    prices = {"ETH": to_wad(2500)}
    revert(perp, w.oracle.report_signed(bob, [w.oracle.sign_report(bob, prices, now)]), "not a reporter")
    revert(perp, w.oracle.report_signed(bob, [w.oracle.sign_report(w.d.reporters[0], prices, now + 5)]), "in the future")
    good = w.oracle.sign_report(w.d.reporters[0], prices, now)
    tampered = replace(good, prices=(to_wad(9999),))
    revert(perp, w.oracle.report_signed(bob, [tampered]), "not a reporter")  # recovers some other address
    confirm(perp, w.oracle.report_signed(bob, [good]))
    revert(perp, w.oracle.report_signed(bob, [good]), "not newer")  # a replay


def test_only_the_owner_changes_reporters_and_parameters(world, revert):
    w = world
    functions, owner = w.oracle.contract.functions, w.d.deployers["perp"]
    bob = w.user("bob").address
    revert(w.perp, functions.set_parameters(3, 60, WAD // 20, 600, 60).transact({"from": bob, "gas": 300_000}), "only the owner")
    revert(w.perp, functions.set_reporters([bob]).transact({"from": bob, "gas": 300_000}), "only the owner")
    revert(w.perp, functions.set_parameters(6, 60, WAD // 20, 600, 60).transact({"from": owner, "gas": 300_000}), "quorum must be")
    revert(w.perp, functions.set_parameters(3, 60, WAD // 20, 600, 30).transact({"from": owner, "gas": 300_000}),
           "close staleness must be between")
    # a shorter staleness applies at once, cached aggregates included
    w.advance(20)
    w.perp.mine()
    assert w.oracle.price("ETH") == 3_000 * WAD
    confirm(w.perp, functions.set_parameters(3, 10, WAD // 20, 600, 10).transact({"from": owner, "gas": 300_000}))
    assert w.oracle.prices()["ETH"] == 0
    assert w.oracle.reporters() == tuple(r.address for r in w.d.reporters)


honest_prices = st.lists(st.integers(min_value=19_800, max_value=20_200), min_size=4, max_size=4)


def post_round(w, values):
    """One signed report per reporter (ETH only), all at the pending block's timestamp; returns the aggregate."""
    when = w.perp.next_timestamp
    signed = [w.oracle.sign_report(r, {"ETH": v}, when) for r, v in zip(w.d.reporters, values)]
    confirm(w.perp, w.oracle.report_signed(w.user("bob"), signed))
    return w.oracle.feed_state("ETH").price


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(honest=honest_prices, outlier=st.integers(min_value=1, max_value=10**28), position=st.integers(0, 4))
def test_a_single_reporter_cannot_move_the_price_outside_the_honest_range(world, honest, outlier, position):
    values = [h * WAD // 10 for h in honest]  # $1980.0 .. $2020.0, within 2 % of each other
    values.insert(position, outlier)
    price = post_round(world, values)
    honest_values = sorted(v for i, v in enumerate(values) if i != position)
    assert honest_values[0] <= price <= honest_values[-1]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(honest=honest_prices, factor=st.sampled_from([0.5, 0.7, 1.25, 2, 1000]), position=st.integers(0, 4))
def test_a_far_outlier_is_ignored(world, honest, factor, position):
    values = [h * WAD // 10 for h in honest]
    ordered = sorted(values)
    values.insert(position, int(ordered[0] * factor) if factor < 1 else int(ordered[-1] * factor))
    assert post_round(world, values) == (ordered[1] + ordered[2]) // 2  # the median of the four honest reports


def test_an_invalid_aggregate_becomes_valid_when_the_outlier_expires(world):
    w = world
    w.advance(61)  # the deployment's reports are stale now
    confirm(w.perp, report(w, 0, ETH=150))
    w.advance(30)
    hashes = [report(w, i, ETH=usd) for i, usd in zip((1, 2, 3, 4), (100, 100, 110, 110))]
    w.perp.mine()
    for tx in hashes:
        confirm(w.perp, tx)
    # median 110: 150 and both 100s are beyond 5 %, two reports kept, below the quorum of 3
    assert w.oracle.feed_state("ETH").price == 0
    w.advance(31)  # the 150 is 61 s old now; 100, 100, 110, 110 are still fresh
    w.perp.mine()
    assert w.oracle.feed_state("ETH").price == 105 * WAD
    assert w.oracle.price("ETH") == 105 * WAD
    assert w.oracle.prices()["ETH"] == 105 * WAD


def test_a_signed_report_cannot_be_replayed_after_its_reporter_is_removed_and_re_added(world, revert):
    w = world
    functions, owner = w.oracle.contract.functions, w.d.deployers["perp"]
    reporter, bob = w.d.reporters[0], w.user("bob")
    signed = w.oracle.sign_report(reporter, {"ETH": to_wad(2500)}, w.perp.next_timestamp)
    confirm(w.perp, w.oracle.report_signed(bob, [signed]))
    everyone = [r.address for r in w.d.reporters]
    confirm(w.perp, functions.set_reporters(everyone[1:]).transact({"from": owner, "gas": 500_000}))
    confirm(w.perp, functions.set_reporters(everyone).transact({"from": owner, "gas": 500_000}))
    assert w.oracle.report_of("ETH", reporter.address) == (0, 0)  # a returning reporter starts afresh
    revert(w.perp, w.oracle.report_signed(bob, [signed]), "report is for another reporter set")
    assert w.oracle.report_of("ETH", reporter.address) == (0, 0)
    fresh = w.oracle.sign_report(reporter, {"ETH": to_wad(2600)}, w.perp.next_timestamp)
    confirm(w.perp, w.oracle.report_signed(bob, [fresh]))
    assert w.oracle.report_of("ETH", reporter.address)[0] == to_wad(2600)
