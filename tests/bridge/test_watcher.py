"""The mailbox watcher: dispatches and deliveries reach the lifecycle with their block, and reorgs undo them."""

from __future__ import annotations

from bridge.lifecycle import Lifecycle
from bridge.watcher import MailboxWatcher


def _watcher(world, name: str) -> tuple[MailboxWatcher, Lifecycle]:
    lifecycle = Lifecycle()
    watcher = MailboxWatcher(world.chain_set[name], world.mailbox(name).address, lifecycle, world.deployment.chain_name)
    watcher.sync()
    return watcher, lifecycle


def test_dispatches_are_recorded_with_block_and_time(world):
    watcher, lifecycle = _watcher(world, "vault-l1")
    message = world.dispatch("vault-l1", "perp", b"seen")
    watcher.sync()
    record = lifecycle.record(message.id)
    chain = world.chain_set["vault-l1"]
    assert record.dispatched.block == chain.head_number
    assert record.dispatched.time == chain.head_timestamp - chain.config.genesis_timestamp
    assert (record.src_chain, record.dst_chain, record.nonce) == ("vault-l1", "perp", message.nonce)
    assert watcher.messages[-1].message == message
    assert watcher.root_at(message.nonce) == world.mailbox("vault-l1").functions.root().call()


def test_a_message_is_final_after_the_finality_depth(world):
    watcher, _ = _watcher(world, "vault-l1")  # finality depth 2
    world.dispatch("vault-l1", "perp", b"deepening")
    watcher.sync()
    assert watcher.finalized() == 0
    world.chain_set["vault-l1"].mine()
    assert watcher.finalized() == 0
    world.chain_set["vault-l1"].mine()
    assert watcher.finalized() == 1


def test_a_reorged_dispatch_is_undone_and_a_reinclusion_recorded_again(world):
    chain = world.chain_set["vault-l1"]
    watcher, lifecycle = _watcher(world, "vault-l1")
    message = world.dispatch("vault-l1", "perp", b"fragile")
    watcher.sync()
    report = chain.reorg(1)
    chain.mine()
    watcher.sync()
    assert lifecycle.record(message.id).status == "reorged"
    assert watcher.messages == [] and len(watcher.tree) == 0
    chain.w3.eth.send_raw_transaction(report.dropped[0].raw)
    chain.mine()
    watcher.sync()
    assert lifecycle.record(message.id).dispatched.block == chain.head_number
    assert [m.message.id for m in watcher.messages] == [message.id]


def test_deliveries_are_recorded_and_unknown_ones_flagged(world):
    watcher, lifecycle = _watcher(world, "perp")
    source, _ = _watcher(world, "vault-l1")
    genuine = world.dispatch("vault-l1", "perp", b"genuine")
    source.sync()
    assert world.process("perp", genuine.encoded, world.multisig_proof(genuine))["status"] == 1
    watcher.sync()
    record = lifecycle.record(genuine.id)
    assert record.processed.chain == "perp" and record.processed.block == world.chain_set["perp"].head_number
    # a lifecycle that never saw the dispatch flags the delivery
    blind, blind_lifecycle = _watcher(world, "perp")
    assert blind_lifecycle.record(genuine.id).never_dispatched


def test_a_reorged_delivery_is_undone(world):
    chain = world.chain_set["perp"]
    watcher, lifecycle = _watcher(world, "perp")
    message = world.dispatch("vault-l1", "perp", b"delivered then reorged")
    world.process("perp", message.encoded, world.multisig_proof(message))
    watcher.sync()
    assert lifecycle.record(message.id).processed is not None
    chain.reorg(1)
    chain.mine()
    watcher.sync()
    assert lifecycle.record(message.id).processed is None
    assert lifecycle.counts()["reorged"] == 1
