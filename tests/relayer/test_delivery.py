"""End to end without faults: every message delivered once, its lifecycle complete, in both proof modes."""

from __future__ import annotations

import pytest

from chains import ChainConfig


@pytest.mark.parametrize("mode", ["multisig", "checkpoint"])
def test_every_message_is_delivered_exactly_once_both_ways(make_run, mode):
    run = make_run({"mode": mode})
    there = run.send_at([1 + 0.3 * i for i in range(12)], "alpha", "beta", b"there")
    back = run.send_at([2 + 0.5 * i for i in range(8)], "beta", "alpha", b"back")
    assert run.settle()
    assert [run.handled("beta", b) for b in there] == [1] * 12
    assert [run.handled("alpha", b) for b in back] == [1] * 8
    counts = run.lifecycle.counts()
    assert counts["dispatched"] == counts["processed"] == counts["quorum"] == 20
    assert counts.get("rejected", 0) == 0 and counts.get("duplicate", 0) == 0


def test_the_lifecycle_records_each_step_with_time_and_block(make_run):
    run = make_run()
    run.send_at([3.0], "alpha", "beta")
    assert run.settle()
    (record,) = run.lifecycle.records()
    kinds = [e.kind for e in record.events]
    assert kinds[0] == "dispatched"
    assert kinds.index("quorum") < kinds.index("submitted") < kinds.index("processed")
    assert ("transport" in kinds) and record.transport[0][1] == "sent" and record.transport[-1][1] == "delivered"
    assert record.src_chain == "alpha" and record.dst_chain == "beta" and record.nonce == 0
    assert record.dispatched.chain == "alpha" and record.dispatched.block >= 1
    assert record.processed.chain == "beta" and record.processed.block >= 1
    assert record.dispatched.time < record.quorum.time < record.processed.time
    assert record.attested == 5
    assert record.processed.time == pytest.approx(record.dispatched.time + record.latency)
    chain = run.chain_set["alpha"]
    block = chain.w3.eth.get_block(record.dispatched.block)
    assert record.dispatched.time == block["timestamp"] - chain.config.genesis_timestamp


def test_validators_sign_only_final_messages(make_run):
    chains = (
        ChainConfig(name="alpha", chain_id=41_001, block_time=1, finality_depth=4),
        ChainConfig(name="beta", chain_id=41_002, block_time=1, finality_depth=1),
    )
    run = make_run(chains=chains)
    run.send_at([2.0], "alpha", "beta")
    assert run.settle()
    (record,) = run.lifecycle.records()
    first_signature = next(e for e in record.events if e.kind == "attested")
    assert first_signature.time >= record.dispatched.time + 4


def test_relayer_database_ends_with_every_message_done(make_run):
    run = make_run()
    run.send_at([1, 2, 3], "alpha", "beta")
    assert run.settle()
    run.run(until=run.env.now + 10)  # receipts become final
    assert run.bridge.relayers[0].status_counts() == {"done": 3}
