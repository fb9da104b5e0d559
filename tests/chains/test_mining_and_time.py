"""Batched mining under one timestamp, auto-mining, time control, snapshots, reorgs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from chains import ChainConfig, ChainSet, ChainStateError, Chain, deploy, transact


def _send_increments(chain, counter, n):
    sender = chain.accounts[0].address
    return [counter.functions.increment().transact({"from": sender, "gas": 100_000}) for _ in range(n)]


def test_batched_mining_puts_every_pending_transaction_in_one_block_with_the_given_timestamp(world, counter_artifact):
    chain = world["perp"]
    counter = deploy(chain, counter_artifact)
    hashes = _send_increments(chain, counter, 25)
    assert len(chain.pending_transactions()) == 25
    head_before = chain.head_number
    block = chain.mine(timestamp=chain.head_timestamp + 40)
    assert block.number == head_before + 1
    assert block.timestamp == chain.head_timestamp
    assert list(block.transactions) == hashes
    for tx_hash in hashes:
        receipt = chain.w3.eth.get_transaction_receipt(tx_hash)
        assert receipt["blockNumber"] == block.number and receipt["status"] == 1
    assert counter.functions.count().call() == 25
    # the transactions executed with the block's timestamp, not the one pending when they were sent
    assert counter.functions.last_timestamp().call() == block.timestamp


def test_without_a_timestamp_the_next_block_comes_one_block_time_later(world):
    chain = world["vault-l1"]
    first = chain.mine()
    second = chain.mine()
    assert second.timestamp - first.timestamp == chain.block_time == 12


def test_a_pending_transaction_has_no_receipt_until_mined(world, counter_artifact):
    chain = world["perp"]
    counter = deploy(chain, counter_artifact)
    (tx_hash,) = _send_increments(chain, counter, 1)
    assert chain.w3.eth.get_transaction(tx_hash)["blockNumber"] is None
    from web3.exceptions import TransactionNotFound

    with pytest.raises(TransactionNotFound):
        chain.w3.eth.get_transaction_receipt(tx_hash)
    chain.mine()
    assert chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1


def test_auto_mining_gives_one_block_per_transaction(counter_artifact):
    chain = Chain(ChainConfig(name="interactive", chain_id=777), auto_mine=True)
    counter = deploy(chain, counter_artifact)
    start = chain.head_number
    _send_increments(chain, counter, 3)
    assert chain.head_number == start + 3
    assert chain.pending_transactions() == ()


def test_time_control_moves_the_next_block_and_refuses_the_past(world):
    chain = world["perp"]
    chain.mine()
    chain.increase_time(3600)
    assert chain.mine().timestamp >= chain.config.genesis_timestamp + 3600
    chain.set_next_timestamp(chain.head_timestamp + 5)
    assert chain.mine().timestamp == chain.head_timestamp
    with pytest.raises(ChainStateError, match="not after the head block"):
        chain.set_next_timestamp(chain.head_timestamp)
    with pytest.raises(ChainStateError):
        chain.increase_time(-1)


def test_snapshot_and_revert_restore_state(world, counter_artifact):
    chain = world["perp"]
    counter = deploy(chain, counter_artifact)
    snapshot = chain.snapshot()
    transact(chain, counter.functions.increment())
    transact(chain, counter.functions.increment())
    assert counter.functions.count().call() == 2
    chain.revert(snapshot)
    assert counter.functions.count().call() == 0
    assert chain.next_timestamp == chain.head_timestamp + chain.block_time
    with pytest.raises(ChainStateError, match="no snapshot"):
        chain.revert(9999)


def test_a_reorg_below_a_snapshot_forgets_it_rather_than_restore_another_state(world, counter_artifact):
    chain = world["perp"]
    counter = deploy(chain, counter_artifact)
    before = chain.snapshot()
    transact(chain, counter.functions.increment())
    after_one = chain.snapshot()
    transact(chain, counter.functions.increment())
    after_two = chain.snapshot()
    chain.reorg(2)  # drops both increments' blocks: the two later snapshots pointed into them
    for gone in (after_one, after_two):
        with pytest.raises(ChainStateError, match="no snapshot"):
            chain.revert(gone)
    chain.revert(before)  # its head is still on the chain
    assert counter.functions.count().call() == 0



def test_reorg_drops_a_deposit_and_the_balance_is_as_before(world):
    chain = world["vault-l2"]
    depositor, vault = chain.accounts[0], chain.accounts[5]
    chain.mine()
    balance_before = chain.w3.eth.get_balance(vault.address)
    tx_hash = chain.w3.eth.send_transaction(
        {"from": depositor.address, "to": vault.address, "value": 3 * 10**18, "gas": 21_000}
    )
    deposit_block = chain.mine()
    chain.mine()
    assert chain.w3.eth.get_balance(vault.address) == balance_before + 3 * 10**18

    report = chain.reorg(2)

    assert report.old_head == deposit_block.number + 1
    assert report.new_head == deposit_block.number - 1
    assert [d.hash for d in report.dropped] == [tx_hash]
    assert report.dropped[0].block_number == deposit_block.number
    assert chain.w3.eth.get_balance(vault.address) == balance_before
    # the chain continues on another branch: same height, different block
    replacement = chain.mine()
    assert replacement.number == deposit_block.number
    assert replacement.hash != deposit_block.hash
    # a dropped transaction can be resubmitted as it was
    chain.w3.eth.send_raw_transaction(report.dropped[0].raw)
    chain.mine()
    assert chain.w3.eth.get_balance(vault.address) == balance_before + 3 * 10**18


def test_reorg_refuses_impossible_depths(world):
    chain = world["perp"]
    chain.mine()
    with pytest.raises(ChainStateError, match="only 1"):
        chain.reorg(2)
    with pytest.raises(ChainStateError):
        chain.reorg(0)


@settings(max_examples=15, deadline=None)
@given(blocks=st.lists(st.integers(min_value=0, max_value=3), min_size=1, max_size=6), data=st.data())
def test_after_a_reorg_of_k_blocks_the_state_is_the_state_k_blocks_ago(blocks, data):
    chain = Chain(ChainConfig(name="p", chain_id=4242, accounts=2))
    sender, receiver = chain.accounts
    balances = [chain.w3.eth.get_balance(receiver.address)]
    for transfers in blocks:
        for _ in range(transfers):
            chain.w3.eth.send_transaction({"from": sender.address, "to": receiver.address, "value": 1, "gas": 21_000})
        chain.mine()
        balances.append(chain.w3.eth.get_balance(receiver.address))
    depth = data.draw(st.integers(min_value=1, max_value=len(blocks)))
    report = chain.reorg(depth)
    assert chain.w3.eth.get_balance(receiver.address) == balances[-1 - depth]
    assert len(report.dropped) == sum(blocks[-depth:])


def test_same_config_and_seed_give_identical_block_hashes_and_another_seed_does_not(counter_artifact):
    def run(seed):
        chains = ChainSet.from_configs(seed=seed)
        hashes = []
        for chain in chains:
            counter = deploy(chain, counter_artifact)
            for step in range(3):
                counter.functions.increment().transact({"from": chain.accounts[0].address, "gas": 100_000})
                hashes.append(chain.mine(chain.head_timestamp + 7 + step).hash)
        return hashes

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_auto_mined_blocks_take_their_timestamps_from_the_chain_not_the_wall_clock(counter_artifact):
    chain = Chain(ChainConfig(name="interactive", chain_id=778, block_time=3), auto_mine=True)
    counter = deploy(chain, counter_artifact)
    _send_increments(chain, counter, 2)
    timestamps = [chain.w3.eth.get_block(n)["timestamp"] for n in range(chain.head_number + 1)]
    assert timestamps == [chain.config.genesis_timestamp + 3 * n for n in range(len(timestamps))]


def test_a_log_filter_sees_logs_of_batched_transactions_once_mined(world, counter_artifact):
    chain = world["perp"]
    counter = deploy(chain, counter_artifact)
    log_filter = counter.events.Incremented.create_filter(from_block="latest")
    _send_increments(chain, counter, 3)
    assert log_filter.get_new_entries() == []
    chain.mine()
    assert [entry["args"]["value"] for entry in log_filter.get_new_entries()] == [1, 2, 3]
