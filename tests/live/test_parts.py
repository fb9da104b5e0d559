"""The pieces of ``xmargin up`` on their own: producer, time alignment, history guard, heartbeat, files."""

from __future__ import annotations

import os
import threading

import pytest
import simpy

from chains import ChainConfig, ChainSet
from protocol import ProtocolCallError
from sim.heartbeat import refresh_prices
from sim.live.manifest import write_manifest
from sim.live.offchain import HistoryGuard
from sim.live.producer import (
    AligningLock,
    align_to_clock,
    clock_timestamp,
    follow_clock,
)
from sim.world_spec import resolve_world

SLOW = ChainConfig(name="slow", chain_id=51_001, block_time=12, finality_depth=2)
FAST = ChainConfig(name="fast", chain_id=51_002, block_time=2, finality_depth=1)


@pytest.fixture
def pair() -> ChainSet:
    return ChainSet.from_configs([SLOW, FAST])


def _transfer(chain):
    sender = chain.accounts[0].address
    return chain.w3.eth.send_transaction({"from": sender, "to": sender, "value": 1, "gas": 21_000})


def test_a_chain_pushed_ahead_in_time_keeps_producing_every_block_time(pair):
    chain = pair["fast"]
    env = simpy.Environment()
    mined = []
    env.process(follow_clock(env, chain, [lambda c, block: mined.append((env.now, block.timestamp))]))
    env.run(until=4.5)
    chain.increase_time(1_000)  # what evm_increaseTime does

    env.run(until=10.5)

    times = [t for t, _ in mined]
    assert times == [2.0, 4.0, 6.0, 8.0, 10.0]  # no stall while the clock is behind the chain
    stamps = [stamp for _, stamp in mined]
    assert stamps[2] == clock_timestamp(chain, 6.0) + 1_000 and stamps == sorted(stamps)


def test_an_auto_mining_chain_is_stamped_with_the_clock_unless_its_time_was_set(pair):
    chain = pair["slow"]
    chain.auto_mine = True
    _transfer(chain)
    head = chain.head_timestamp
    assert chain.next_timestamp == head + 12  # what auto-mining leaves

    align_to_clock(chain, now=chain.head_timestamp - SLOW.genesis_timestamp + 5.7)
    assert chain.next_timestamp == head + 5
    _transfer(chain)
    assert chain.head_timestamp == head + 5

    align_to_clock(chain, now=0)  # the clock is behind the head: at least head + 1
    assert chain.next_timestamp == head + 6
    chain.increase_time(100)
    moved = chain.next_timestamp
    align_to_clock(chain, now=0)
    assert chain.next_timestamp == moved  # a time set by hand stays


def test_a_batching_chain_is_left_alone(pair):
    chain = pair["slow"]
    before = chain.next_timestamp
    align_to_clock(chain, now=1)
    assert chain.next_timestamp == before


def test_the_aligning_lock_aligns_under_the_chain_lock(pair):
    chain = pair["slow"]
    chain.auto_mine = True
    _transfer(chain)
    inner = threading.RLock()
    lock = AligningLock(chain, inner, lambda: chain.head_timestamp - SLOW.genesis_timestamp + 3)
    with lock:
        assert chain.next_timestamp == chain.head_timestamp + 3
        assert inner._is_owned()
    assert not inner._is_owned()


def test_the_history_guard_flags_a_revert_across_finality_but_not_a_shallow_reorg(pair):
    chain = pair["slow"]
    guard = HistoryGuard(pair)
    snapshot = chain.snapshot()
    for _ in range(5):
        chain.mine()
    assert guard.rewritten() == []

    chain.reorg(1)  # within the finality depth of 2: the bridge copes with it on its own
    chain.mine()
    assert guard.rewritten() == []

    chain.revert(snapshot)
    chain.mine()
    assert guard.rewritten() == ["slow"]
    assert guard.rewritten() == []  # the marks moved on


def test_the_addresses_file_is_replaced_whole(tmp_path):
    target = tmp_path / "up.json"
    target.write_text("old")
    write_manifest({"chains": {"perp": {"url": "http://127.0.0.1:1"}}}, target)
    assert target.read_text().startswith('{\n  "chains"')
    assert sorted(p.name for p in tmp_path.iterdir()) == ["up.json"]
    assert os.stat(target).st_mode & 0o777 == 0o644


def test_a_scenario_can_pin_a_chains_genesis_timestamp(tmp_path):
    scenario = tmp_path / "pinned.toml"
    scenario.write_text(
        'duration = 60\n'
        '[[chains]]\nname = "vault-l1"\nchain_id = 31001\nblock_time = 12\ngenesis_timestamp = 1600000000\n'
        '[[chains]]\nname = "perp"\nchain_id = 31337\n'
    )
    world = resolve_world(str(scenario), seed=3).starting_at(1_800_000_000)
    assert {c.name: c.genesis_timestamp for c in world.chains} == {"vault-l1": 1_600_000_000, "perp": 1_800_000_000}
    assert world.seed == 3 and world.vault_chains == ("vault-l1",)


def test_the_heartbeat_refreshes_every_price_where_it_stands(testbed):
    oracle = testbed.protocol.oracle
    before = oracle.prices()
    testbed.advance(testbed.protocol.config.oracle.staleness + 5)
    with pytest.raises(ProtocolCallError, match="stale"):
        oracle.price("ETH")

    refresh_prices(testbed.protocol)
    testbed.mine("perp")

    assert oracle.prices() == before
