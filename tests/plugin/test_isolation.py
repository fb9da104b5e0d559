"""Whatever one test does to its testbed, the next one starts from exactly the same world."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.plugin import Template, XmarginTestbed

CHAINS = ("vault-l1", "vault-l2", "perp")
ROUTES = [(a, b) for a in CHAINS for b in CHAINS if a != b]

ACTION = st.one_of(
    st.tuples(st.just("deposit"), st.sampled_from(["alice", "bob"]), st.sampled_from(CHAINS[:2]), st.integers(1, 10**6)),
    st.tuples(st.just("advance"), st.integers(0, 40)),
    st.tuples(st.just("partition"), st.sampled_from(ROUTES)),
    st.tuples(st.just("delay"), st.sampled_from(ROUTES), st.integers(0, 30)),
    st.tuples(st.just("kill")),
    st.tuples(st.just("restart")),
    st.tuples(st.just("mine"), st.sampled_from(CHAINS)),
    st.tuples(st.just("warp"), st.sampled_from(CHAINS), st.integers(1, 500)),
    st.tuples(st.just("auto_mine"), st.sampled_from(CHAINS)),
    st.tuples(st.just("relay")),
)


def act(testbed: XmarginTestbed, action: tuple[Any, ...]) -> None:
    kind, *args = action
    if kind == "deposit":
        testbed.deposit(args[0], args[1], "USDC", args[2])
    elif kind == "advance":
        testbed.advance(args[0])
    elif kind == "partition":
        testbed.partition(*args[0])
    elif kind == "delay":
        testbed.delay(args[0], args[1])
    elif kind == "kill":
        testbed.kill_relayer()
    elif kind == "restart":
        testbed.restart_relayer()
    elif kind == "mine":
        testbed.mine(args[0])
    elif kind == "warp":
        testbed.chains[args[0]].increase_time(args[1])
    elif kind == "auto_mine":
        testbed.chains[args[0]].auto_mine = True
    else:
        testbed.relay(timeout=120)


def fingerprint(testbed: XmarginTestbed) -> tuple[Any, ...]:
    """The whole observable state after a fixed probe: a deposit relayed to the perp chain."""
    testbed.deposit("carol", "vault-l2", "USDC", 7)
    assert testbed.relay()
    alice = testbed.user("alice").address
    return (
        testbed.now,
        tuple((c.name, c.head_number, bytes(c.head.hash), c.next_timestamp, c.auto_mine) for c in testbed.chains),
        dict(testbed.lifecycle.counts()),
        tuple(e.to_dict()["kind"] + str(e.time) for e in testbed.lifecycle.events()),
        testbed.bridge.relayers[0].status_counts(),
        tuple(sorted((src, dst, testbed.faults.route(src, dst)) for src, dst in ROUTES)),
        testbed.protocol.engine.credited(alice),
        testbed.protocol.engine.credited(testbed.user("carol").address),
    )


@pytest.fixture(scope="module")
def reference(xmargin_testbed: Template, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, ...]:
    testbed = xmargin_testbed.fresh(tmp_path_factory.mktemp("reference"))
    try:
        return fingerprint(testbed)
    finally:
        testbed.close()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=st.lists(ACTION, max_size=8))
def test_a_fresh_testbed_never_sees_what_the_previous_one_did(xmargin_testbed, tmp_path_factory, reference, actions):
    used = xmargin_testbed.fresh(tmp_path_factory.mktemp("used"))
    try:
        for action in actions:
            act(used, action)
    finally:
        used.close()

    fresh = xmargin_testbed.fresh(tmp_path_factory.mktemp("fresh"))
    try:
        assert fingerprint(fresh) == reference
    finally:
        fresh.close()
