"""Anvil/Hardhat-style testing methods: snapshots, mining, time control, automine."""

from __future__ import annotations

import pytest


@pytest.fixture
def counter(perp_w3, world, counter_artifact):
    factory = perp_w3.eth.contract(abi=counter_artifact.abi, bytecode=counter_artifact.bytecode)
    tx_hash = factory.constructor().transact({"from": world["perp"].accounts[0].address, "gas": 500_000})
    perp_w3.provider.make_request("evm_mine", [])
    return perp_w3.eth.contract(address=perp_w3.eth.get_transaction_receipt(tx_hash)["contractAddress"], abi=counter_artifact.abi)


def _increment(counter, sender: str):
    return counter.functions.increment().transact({"from": sender, "gas": 100_000})


def test_snapshot_and_revert_restore_state_and_head(perp_rpc, counter, world):
    sender = world["perp"].accounts[0].address
    head = world["perp"].head_number
    snapshot = perp_rpc.call("evm_snapshot")
    _increment(counter, sender)
    perp_rpc.call("evm_mine")
    _increment(counter, sender)  # left pending
    assert counter.functions.count().call() == 1

    assert perp_rpc.call("evm_revert", snapshot) is True

    assert counter.functions.count().call() == 0
    assert int(perp_rpc.call("eth_blockNumber"), 16) == head
    assert world["perp"].pending_transactions() == ()
    assert int(perp_rpc.call("eth_getTransactionCount", sender, "pending"), 16) == 1  # only the deployment
    # as in Anvil and Hardhat, reverting used the snapshot up
    assert perp_rpc.call("evm_revert", snapshot) is False


def test_reverting_to_an_unknown_snapshot_answers_false_and_changes_nothing(perp_rpc, world):
    perp_rpc.call("evm_mine")
    assert perp_rpc.call("evm_revert", "0x2a") is False
    assert world["perp"].head_number == 1
    assert perp_rpc.error("evm_revert")["code"] == -32602


def test_evm_mine_with_a_timestamp_seals_pending_transactions_at_that_time(perp_rpc, counter, world):
    _increment(counter, world["perp"].accounts[0].address)
    target = world["perp"].head_timestamp + 1000

    assert perp_rpc.call("evm_mine", target) == "0x0"

    block = perp_rpc.call("eth_getBlockByNumber", "latest", False)
    assert int(block["timestamp"], 16) == target and len(block["transactions"]) == 1
    assert counter.functions.last_timestamp().call() == target


def test_evm_mine_several_blocks_one_block_time_apart(rpcs, world):
    chain = world["vault-l2"]  # 2-second blocks
    start_time = chain.next_timestamp

    rpcs["vault-l2"].call("evm_mine", {"blocks": 3})

    assert chain.head_number == 3
    times = [int(rpcs["vault-l2"].call("eth_getBlockByNumber", hex(n), False)["timestamp"], 16) for n in (1, 2, 3)]
    assert times == [start_time, start_time + 2, start_time + 4]


@pytest.mark.parametrize("method", ["anvil_mine", "hardhat_mine"])
def test_anvil_mine_takes_a_count_and_an_interval(perp_rpc, world, method):
    chain = world["perp"]
    first = chain.next_timestamp

    perp_rpc.call(method, "0x4", "0x3c")

    assert chain.head_number == 4
    assert [chain.w3.eth.get_block(n)["timestamp"] for n in (1, 2, 3, 4)] == [first, first + 60, first + 120, first + 180]


def test_increase_time_and_set_next_block_timestamp_move_the_next_block(perp_rpc, counter, world):
    chain = world["perp"]
    sender = chain.accounts[0].address
    perp_rpc.call("evm_setAutomine", True)
    pending_time = chain.next_timestamp

    assert perp_rpc.call("evm_increaseTime", 3600) == hex(3600)
    _increment(counter, sender)
    assert counter.functions.last_timestamp().call() == pending_time + 3600

    exact = chain.head_timestamp + 12345
    assert perp_rpc.call("evm_setNextBlockTimestamp", hex(exact)) is None
    _increment(counter, sender)
    assert counter.functions.last_timestamp().call() == exact == chain.head_timestamp


@pytest.mark.parametrize(
    "method, params",
    [
        ("evm_setNextBlockTimestamp", ["0x1"]),
        ("evm_setNextBlockTimestamp", [hex(2**64)]),
        ("evm_mine", [1]),
        ("evm_mine", [{"timestamp": hex(2**70)}]),
        ("evm_mine", [{"blocks": "0x0"}]),
        ("evm_mine", [{"blocks": "0x1", "when": "now"}]),
        ("evm_increaseTime", [-5]),
        ("evm_increaseTime", [2**64]),
        ("anvil_mine", ["0x2", "0x0"]),
        ("anvil_mine", [hex(10**6)]),
        ("evm_setAutomine", ["yes"]),
    ],
)
def test_bad_time_and_mining_requests_are_invalid_params_and_change_nothing(perp_rpc, world, method, params):
    chain = world["perp"]
    before = (chain.head_number, chain.head_timestamp, chain.next_timestamp, chain.auto_mine)

    error = perp_rpc.error(method, *params)

    assert error["code"] == -32602
    assert (chain.head_number, chain.head_timestamp, chain.next_timestamp, chain.auto_mine) == before


def test_set_automine_switches_between_batched_and_one_block_per_transaction(perp_rpc, counter, world):
    chain = world["perp"]
    sender = chain.accounts[0].address
    assert perp_rpc.call("anvil_getAutomine") is False
    _increment(counter, sender)
    _increment(counter, sender)
    head = chain.head_number

    perp_rpc.call("evm_setAutomine", True)  # the waiting transactions are mined first

    assert chain.head_number == head + 1 and chain.pending_transactions() == ()
    assert perp_rpc.call("hardhat_getAutomine") is True
    _increment(counter, sender)
    assert chain.head_number == head + 2
    perp_rpc.call("anvil_setAutomine", False)
    _increment(counter, sender)
    assert chain.head_number == head + 2 and len(chain.pending_transactions()) == 1


def test_automined_blocks_are_one_block_time_apart_not_on_the_wall_clock(rpcs, world):
    rpc, chain = rpcs["vault-l2"], world["vault-l2"]  # 2-second blocks
    rpc.call("evm_setAutomine", True)
    sender = chain.accounts[0].address
    for _ in range(3):
        rpc.call("eth_sendTransaction", {"from": sender, "to": sender, "value": "0x1"})
    times = [int(rpc.call("eth_getBlockByNumber", hex(n), False)["timestamp"], 16) for n in range(4)]
    genesis = chain.config.genesis_timestamp
    assert times == [genesis, genesis + 2, genesis + 4, genesis + 6]


def test_anvils_state_methods_change_balance_nonce_code_and_storage_and_a_revert_undoes_them(perp_rpc, world):
    target = "0x00000000000000000000000000000000000000Aa"
    snapshot = perp_rpc.call("evm_snapshot")
    assert perp_rpc.call("anvil_setBalance", target, "0x2a") is None
    assert perp_rpc.call("hardhat_setNonce", target, "0x5") is None
    assert perp_rpc.call("anvil_setCode", target, "0x6000") is None
    assert perp_rpc.call("anvil_setStorageAt", target, "0x1", "0x" + "00" * 31 + "07") is True
    assert perp_rpc.call("eth_getBalance", target, "latest") == "0x2a"
    assert perp_rpc.call("eth_getTransactionCount", target, "latest") == "0x5"
    assert perp_rpc.call("eth_getCode", target, "latest") == "0x6000"
    assert perp_rpc.call("eth_getStorageAt", target, "0x1", "latest") == "0x" + "00" * 31 + "07"
    assert world["perp"].engine.read_account(bytes.fromhex(target[2:])).balance == 42  # the engine holds it too

    assert perp_rpc.call("evm_revert", snapshot) is True
    assert perp_rpc.call("eth_getBalance", target, "latest") == "0x0"
    assert perp_rpc.call("eth_getCode", target, "latest") == "0x"
    assert perp_rpc.call("eth_getStorageAt", target, "0x1", "latest") == "0x" + "00" * 32


def test_bad_state_changes_are_invalid_params_and_change_nothing(perp_rpc):
    target = "0x00000000000000000000000000000000000000Aa"
    assert perp_rpc.error("anvil_setBalance", "0xnothex", "0x1")["code"] == -32602
    assert perp_rpc.error("anvil_setStorageAt", target, "0x1", "0x07")["code"] == -32602  # a value is a 32-byte word
    assert perp_rpc.error("anvil_setNonce", target, hex(2**64))["code"] == -32602
    assert perp_rpc.call("eth_getTransactionCount", target, "latest") == "0x0"


def test_an_impersonated_account_sends_without_its_key_until_stopped(perp_rpc, world):
    chain = world["perp"]
    whale = "0x000000000000000000000000000000000000bEEF"
    recipient = chain.accounts[1].address
    perp_rpc.call("anvil_setBalance", whale, hex(10**20))
    assert perp_rpc.error("eth_sendTransaction", {"from": whale, "to": recipient, "value": "0x1"})["code"] == -32000

    perp_rpc.call("anvil_impersonateAccount", whale)
    before = int(perp_rpc.call("eth_getBalance", recipient, "latest"), 16)
    tx_hash = perp_rpc.call("eth_sendTransaction", {"from": whale, "to": recipient, "value": "0x3"})
    perp_rpc.call("evm_mine")
    receipt = perp_rpc.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1" and receipt["from"] == whale
    assert int(perp_rpc.call("eth_getBalance", recipient, "latest"), 16) == before + 3

    perp_rpc.call("hardhat_stopImpersonatingAccount", whale)
    assert perp_rpc.error("eth_sendTransaction", {"from": whale, "to": recipient, "value": "0x1"})["code"] == -32000


def test_an_unfunded_sender_is_named_by_its_address(perp_rpc, world, signed_transfer):
    from eth_account import Account

    pauper = Account.create()
    error = perp_rpc.error("eth_sendRawTransaction", signed_transfer(pauper, 31337, 0, world["perp"].accounts[0].address))
    assert error["code"] == -32000 and f"address {pauper.address} have 0 want" in error["message"]
