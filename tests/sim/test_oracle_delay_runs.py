"""A run with an oracle delay: the round leader pokes the delayed oracle when due, the engine's prices (what
the health monitor, the keepers and the samples read) are the ones the pokes published, on either engine."""

from __future__ import annotations

import pytest
from hexbytes import HexBytes

from protocol import WAD
from sim.run import run_scenario
from sim.scenario import load_scenario
from sim.trace import read_trace
from sim.world import World

DELAY = 120
INTERVAL = 30  # the reporters' round interval (the default)
DELAYED = ["duration=900", "agents.traders.count=2", "agents.traders.arrival_window=60", "agents.keepers.count=1",
           "metrics.sample_interval=30", f"protocol.oracle.delay={DELAY}"]


@pytest.fixture(scope="module")
def delayed_run(tmp_path_factory):
    return run_scenario(load_scenario("demo", DELAYED), tmp_path_factory.mktemp("run") / "delayed", engine="revm")


def test_the_round_leader_pokes_once_per_delay(delayed_run):
    world = delayed_run.world
    events = read_trace(delayed_run.run_dir / "trace.jsonl")
    sent = [e for e in events if e["kind"] == "agent" and e["action"] == "poke_sent"]
    poked = [e for e in events if e["kind"] == "event" and e["event"] == "Poked"]
    reporters = {r.address for r in world.protocol.reporters}
    assert sent and all(e["by"] in reporters for e in sent)
    assert len(poked) == len(sent) == world.poker.sent and world.poker.failed == 0
    assert delayed_run.summary["oracle"]["pokes"] == len(poked) and delayed_run.summary["oracle"]["pokes_failed"] == 0
    run = world.env.now - world.start
    assert run // (DELAY + INTERVAL) <= len(poked) <= run // DELAY + 1
    gaps = [b["timestamp"] - a["timestamp"] for a, b in zip(poked, poked[1:])]
    assert all(DELAY <= gap <= DELAY + INTERVAL for gap in gaps)
    for before, after in zip(poked, poked[1:]):
        assert after["current"] == before["next"]  # each poke published what the one before read


def test_the_engine_side_of_the_simulation_reads_the_delayed_prices(delayed_run):
    world = delayed_run.world
    assert delayed_run.summary["status"] == "ok"
    assert world.monitor.oracle is world.protocol.delayed_oracle is world.protocol.engine_oracle
    events = read_trace(delayed_run.run_dir / "trace.jsonl")
    eth = world.protocol.oracle.feed_id("ETH")
    published = {round(e["current"][eth] / WAD, 6) for e in events if e["kind"] == "event" and e["event"] == "Poked"}
    published.add(round(float(world.scenario.protocol.asset("ETH").initial_price), 6))  # the deployment's poke
    sampled = world.series.data["oracle"]["ETH"]
    assert sampled and set(sampled) <= published
    assert len(set(sampled)) > 1  # the prices did move on, one delay behind


def test_same_seed_same_trace_on_the_other_engine(delayed_run, tmp_path):
    again = run_scenario(load_scenario("demo", DELAYED), tmp_path / "again", engine="pyevm")
    assert again.trace_hash == delayed_run.trace_hash


def test_the_poker_keeps_one_poke_outstanding_and_sends_again_when_one_is_lost():
    world = World(load_scenario("demo", DELAYED), engine="revm")
    try:
        poker, perp, delayed = world.poker, world.protocol.perp, world.protocol.delayed_oracle
        leader = world.protocol.reporters[0].address
        assert poker.due_at == delayed.next_poke() > perp.next_timestamp
        poker.after_round(leader)
        assert poker.sent == 0 and poker.outstanding is None  # not due yet
        perp.set_next_timestamp(poker.due_at)
        poker.outstanding = HexBytes(b"\x01" * 32)  # a poke that expired from the pool, never mined
        poker.after_round(leader)
        assert poker.failed == 1 and poker.sent == 1 and poker.outstanding in perp.pool
        waiting = poker.outstanding
        poker.after_round(leader)
        assert poker.sent == 1 and poker.outstanding == waiting  # still pending: no second poke
        perp.mine()
        poker.after_round(leader)
        assert poker.outstanding is None and poker.failed == 1
        assert poker.due_at == delayed.last_poke() + DELAY == perp.head_timestamp + DELAY
    finally:
        world.close()
