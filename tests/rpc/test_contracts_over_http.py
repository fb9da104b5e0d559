"""Deploying, calling and transacting with a contract through web3.py's HTTPProvider."""

from __future__ import annotations

import pytest
import rlp
from eth_account import Account
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError


def _create_address(sender: str, nonce: int) -> str:
    return Web3.to_checksum_address(Web3.keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


def _deploy(w3: Web3, artifact, sender: str):
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": sender}), timeout=5)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def test_deploy_call_and_transact_with_the_counter(auto_perp_w3, world, counter_artifact):
    w3 = auto_perp_w3
    sender = world["perp"].accounts[0].address
    assert w3.eth.chain_id == 31337 and w3.eth.accounts[0] == sender
    counter = _deploy(w3, counter_artifact, sender)
    assert w3.eth.get_code(counter.address) != b""
    assert counter.functions.count().call() == 0

    tx_hash = counter.functions.increment().transact({"from": sender})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=5)

    assert receipt["status"] == 1 and receipt["blockNumber"] == w3.eth.block_number
    assert counter.functions.count().call() == 1
    assert counter.functions.chain_id().call() == 31337
    assert counter.functions.last_timestamp().call() == w3.eth.get_block("latest")["timestamp"]
    assert int.from_bytes(w3.eth.get_storage_at(counter.address, 0), "big") == 1
    transaction = w3.eth.get_transaction(tx_hash)
    assert transaction["from"] == sender and transaction["to"] == counter.address
    assert transaction["blockHash"] == receipt["blockHash"]


def test_a_locally_signed_raw_transaction_is_mined_and_counts(auto_perp_w3, world, counter_artifact):
    w3 = auto_perp_w3
    signer = world["perp"].accounts[3]
    counter = _deploy(w3, counter_artifact, world["perp"].accounts[0].address)
    transaction = counter.functions.increment().build_transaction(
        {"from": signer.address, "nonce": w3.eth.get_transaction_count(signer.address)}
    )
    signed = Account.sign_transaction(transaction, signer.key)

    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)

    assert tx_hash == signed.hash
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=5)
    assert receipt["status"] == 1 and receipt["from"] == signer.address
    assert counter.functions.count().call() == 1
    assert w3.eth.get_transaction_count(signer.address) == 1


def test_eth_send_transaction_fills_gas_and_fees_and_pays_the_recipient(auto_perp_w3, world):
    w3 = auto_perp_w3
    sender, recipient = world["perp"].accounts[0].address, world["perp"].accounts[1].address
    before = w3.eth.get_balance(recipient)

    tx_hash = w3.provider.make_request("eth_sendTransaction", [{"from": sender, "to": recipient, "value": "0x2a"}])["result"]

    receipt = w3.eth.get_transaction_receipt(tx_hash)
    assert receipt["status"] == 1 and receipt["gasUsed"] == 21_000
    assert w3.eth.get_balance(recipient) == before + 42


def test_batched_chain_keeps_transactions_pending_until_evm_mine(perp_w3, world, counter_artifact):
    w3 = perp_w3
    sender = world["perp"].accounts[0].address
    factory = w3.eth.contract(abi=counter_artifact.abi, bytecode=counter_artifact.bytecode)
    deploy_hash = factory.constructor().transact({"from": sender, "gas": 500_000})
    # no receipt until the block is mined
    assert w3.provider.make_request("eth_getTransactionReceipt", [deploy_hash.to_0x_hex()])["result"] is None
    head = w3.eth.block_number

    w3.provider.make_request("evm_mine", [])

    receipt = w3.eth.get_transaction_receipt(deploy_hash)
    assert w3.eth.block_number == head + 1 == receipt["blockNumber"]
    counter = w3.eth.contract(address=receipt["contractAddress"], abi=counter_artifact.abi)
    first = counter.functions.increment().transact({"from": sender, "gas": 100_000})
    second = counter.functions.increment().transact({"from": sender, "gas": 100_000})
    # pending state sees both, the latest block neither
    assert counter.functions.count().call(block_identifier="pending") == 2
    assert counter.functions.count().call() == 0

    w3.provider.make_request("evm_mine", [])

    block = w3.eth.get_block("latest")
    assert list(block["transactions"]) == [first, second]
    assert counter.functions.count().call() == 2


def test_estimate_gas_defaults_to_the_pending_block(perp_w3, world, counter_artifact):
    """A contract deployed in the pending block can be estimated against before it is mined."""
    w3 = perp_w3
    sender = world["perp"].accounts[0].address
    factory = w3.eth.contract(abi=counter_artifact.abi, bytecode=counter_artifact.bytecode)
    factory.constructor().transact({"from": sender, "gas": 500_000})
    address = _create_address(sender, 0)
    data = w3.eth.contract(abi=counter_artifact.abi).encode_abi("increment", [])

    estimate = int(w3.provider.make_request("eth_estimateGas", [{"from": sender, "to": address, "data": data}])["result"], 16)

    assert 21_000 + 20_000 < estimate < 100_000  # a storage write from zero, not a plain transfer


def test_eth_call_needs_no_funds_and_defaults_the_sender_to_zero(auto_perp_w3, world, counter_artifact):
    w3 = auto_perp_w3
    counter = _deploy(w3, counter_artifact, world["perp"].accounts[0].address)
    penniless = Account.create().address
    data = counter.encode_abi("count", [])

    assert w3.eth.call({"from": penniless, "to": counter.address, "data": data}) == bytes(32)
    assert w3.provider.make_request("eth_call", [{"to": counter.address, "data": data}, "latest"])["result"] == "0x" + "00" * 32


def test_reverts_answer_code_3_with_the_revert_data(auto_perp_w3, world, reverter_artifact):
    w3 = auto_perp_w3
    reverter = _deploy(w3, reverter_artifact, world["perp"].accounts[0].address)

    with pytest.raises(ContractLogicError) as reason:
        reverter.functions.fail_with_reason().call()
    assert reason.value.message == "execution reverted: nope"
    with pytest.raises(ContractCustomError) as custom:
        reverter.functions.fail_with_data(b"\x12\x34\x56\x78\x9a").call()
    assert custom.value.data == "0x123456789a"

    answer = w3.provider.make_request("eth_call", [{"to": reverter.address, "data": reverter.encode_abi("fail_bare", [])}])
    assert answer["error"] == {"code": 3, "message": "execution reverted", "data": "0x"}
    data = reverter.encode_abi("fail_with_reason", [])
    estimate = w3.provider.make_request("eth_estimateGas", [{"to": reverter.address, "data": data}])
    assert estimate["error"]["code"] == 3 and estimate["error"]["message"] == "execution reverted: nope"
    assert estimate["error"]["data"].startswith("0x08c379a0")


def test_eth_send_transaction_honours_the_type_and_creates_contracts(perp_rpc, world, counter_artifact):
    perp_rpc.call("evm_setAutomine", True)
    sender, recipient = world["perp"].accounts[0].address, world["perp"].accounts[1].address

    legacy = perp_rpc.call("eth_sendTransaction", {"from": sender, "to": recipient, "value": "0x1", "type": "0x0"})
    creation = perp_rpc.call("eth_sendTransaction", {"from": sender, "input": "0x" + counter_artifact.bytecode.hex()})

    assert perp_rpc.call("eth_getTransactionByHash", legacy)["type"] == "0x0"
    receipt = perp_rpc.call("eth_getTransactionReceipt", creation)
    assert receipt["status"] == "0x1" and receipt["to"] is None
    assert perp_rpc.call("eth_getCode", receipt["contractAddress"], "latest") != "0x"


def test_eth_call_takes_an_access_list_and_fee_fields(auto_perp_w3, perp_rpc, world, counter_artifact):
    counter = _deploy(auto_perp_w3, counter_artifact, world["perp"].accounts[0].address)
    call = {"to": counter.address, "data": counter.encode_abi("count", [])}
    warm = {"address": counter.address, "storageKeys": ["0x" + "00" * 32]}

    assert perp_rpc.call("eth_call", {**call, "accessList": [warm], "gasPrice": "0x3b9aca00"}) == "0x" + "00" * 32
    with_fees = {**call, "maxFeePerGas": "0x77359400", "maxPriorityFeePerGas": "0x1"}
    assert perp_rpc.call("eth_call", with_fees) == "0x" + "00" * 32
    short_key = {"address": counter.address, "storageKeys": ["0x01"]}
    assert perp_rpc.error("eth_call", {**call, "accessList": [short_key]})["code"] == -32602
    assert perp_rpc.error("eth_call", {**call, "gasPrice": "0x1", "maxFeePerGas": "0x1"})["code"] == -32602


def test_a_call_with_more_calldata_than_its_gas_can_pay_for_is_a_client_error(perp_rpc, world):
    sender = world["perp"].accounts[0].address
    huge = "0x" + "01" * (5 * 2**20)  # 5 MB: 84 million gas of calldata, past the block gas limit
    error = perp_rpc.error("eth_call", {"from": sender, "to": sender, "data": huge})
    assert error["code"] == -32000 and "intrinsic gas too low" in error["message"]
    error = perp_rpc.error("eth_estimateGas", {"from": sender, "to": sender, "data": huge})
    assert error["code"] == -32000 and "intrinsic gas too low" in error["message"]
