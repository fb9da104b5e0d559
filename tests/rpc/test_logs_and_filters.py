"""eth_getLogs and the polling filters, driven through web3.py's HTTPProvider."""

from __future__ import annotations

import pytest
from web3 import Web3


@pytest.fixture
def counter(perp_w3, world, counter_artifact):
    """A Counter deployed on the (batched) perp chain, mined."""
    factory = perp_w3.eth.contract(abi=counter_artifact.abi, bytecode=counter_artifact.bytecode)
    tx_hash = factory.constructor().transact({"from": world["perp"].accounts[0].address, "gas": 500_000})
    perp_w3.provider.make_request("evm_mine", [])
    address = perp_w3.eth.get_transaction_receipt(tx_hash)["contractAddress"]
    return perp_w3.eth.contract(address=address, abi=counter_artifact.abi)


def _increment(w3: Web3, counter, sender: str, times: int = 1, mine: bool = True) -> list:
    hashes = [counter.functions.increment().transact({"from": sender, "gas": 100_000}) for _ in range(times)]
    if mine:
        w3.provider.make_request("evm_mine", [])
    return hashes


def test_get_logs_filters_by_address_topic_range_and_block_hash(perp_w3, world, counter):
    alice, bob = world["perp"].accounts[0].address, world["perp"].accounts[1].address
    _increment(perp_w3, counter, alice, 2)
    _increment(perp_w3, counter, bob)
    event = counter.events.Incremented()

    everything = event.get_logs(from_block=0)
    by_bob = perp_w3.eth.get_logs(
        {"fromBlock": 0, "address": counter.address, "topics": [None, "0x" + bytes(12).hex() + bob[2:].lower()]}
    )
    by_either = perp_w3.eth.get_logs(
        {"fromBlock": 0, "topics": [event.topic, ["0x" + bytes(12).hex() + a[2:].lower() for a in (alice, bob)]]}
    )
    last_block = perp_w3.eth.get_block("latest")
    in_last_block = perp_w3.eth.get_logs({"blockHash": last_block["hash"]})

    assert [e["args"]["value"] for e in everything] == [1, 2, 3]
    assert [e["args"]["caller"] for e in everything] == [alice, alice, bob]
    assert len(by_bob) == 1 and by_bob[0]["blockNumber"] == last_block["number"]
    assert len(by_either) == 3
    assert in_last_block == by_bob
    assert perp_w3.eth.get_logs({"fromBlock": 0, "address": bob}) == []
    assert perp_w3.eth.get_logs({"fromBlock": last_block["number"], "toBlock": last_block["number"] + 100}) == by_bob


def test_get_logs_refuses_a_backwards_range_and_mixed_block_hash(perp_rpc, counter):
    assert perp_rpc.error("eth_getLogs", {"fromBlock": "0x2", "toBlock": "0x1"})["code"] == -32602
    assert perp_rpc.error("eth_getLogs", {"fromBlock": "0x0", "blockHash": "0x" + "11" * 32})["code"] == -32602
    assert perp_rpc.error("eth_getLogs", {"blockHash": "0x" + "11" * 32})["code"] == -32000
    assert perp_rpc.error("eth_getLogs", {"address": "0xnothex"})["code"] == -32602


def test_a_log_filter_reports_new_logs_once_their_block_is_mined(perp_w3, world, counter):
    sender = world["perp"].accounts[0].address
    _increment(perp_w3, counter, sender)
    log_filter = perp_w3.eth.filter({"address": counter.address})

    _increment(perp_w3, counter, sender, 2, mine=False)
    assert log_filter.get_new_entries() == []  # still pending: no receipt, no log yet
    perp_w3.provider.make_request("evm_mine", [])
    first = log_filter.get_new_entries()
    _increment(perp_w3, counter, sender)
    second = log_filter.get_new_entries()

    assert [int(e["data"].hex(), 16) for e in first] == [2, 3]
    assert [int(e["data"].hex(), 16) for e in second] == [4]
    assert log_filter.get_new_entries() == []
    assert len(log_filter.get_all_entries()) == 3
    assert all(e["removed"] is False for e in first + second)


def test_a_filter_from_an_old_block_starts_with_the_logs_since(perp_w3, world, counter):
    _increment(perp_w3, counter, world["perp"].accounts[0].address, 2)
    log_filter = perp_w3.eth.filter({"fromBlock": 0, "address": counter.address})
    assert len(log_filter.get_new_entries()) == 2


def test_block_and_pending_transaction_filters(perp_w3, world, counter):
    block_filter = perp_w3.eth.filter("latest")
    pending_filter = perp_w3.eth.filter("pending")

    sent = _increment(perp_w3, counter, world["perp"].accounts[0].address, 2, mine=False)
    assert pending_filter.get_new_entries() == sent
    perp_w3.provider.make_request("evm_mine", [])
    perp_w3.provider.make_request("evm_mine", [])

    hashes = block_filter.get_new_entries()
    assert hashes == [perp_w3.eth.get_block(n)["hash"] for n in (perp_w3.eth.block_number - 1, perp_w3.eth.block_number)]
    assert block_filter.get_new_entries() == []


def test_an_uninstalled_filter_is_gone(perp_rpc):
    filter_id = perp_rpc.call("eth_newBlockFilter")
    assert perp_rpc.call("eth_uninstallFilter", filter_id) is True
    assert perp_rpc.call("eth_uninstallFilter", filter_id) is False
    assert perp_rpc.error("eth_getFilterChanges", filter_id) == {"code": -32000, "message": "filter not found"}
    assert perp_rpc.error("eth_getFilterLogs", "0x99")["code"] == -32000
    assert perp_rpc.error("eth_getFilterChanges", "zz")["code"] == -32602
