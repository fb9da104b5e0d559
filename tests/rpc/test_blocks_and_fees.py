"""Block tags and lookups, transaction and receipt shapes, fee suggestions and eth_feeHistory."""

from __future__ import annotations

from eth_utils import keccak


def _transfer(rpc, sender: str, recipient: str, value: int = 1) -> str:
    return rpc.call("eth_sendTransaction", {"from": sender, "to": recipient, "value": hex(value)})


def test_block_tags_resolve_against_the_chains_finality_depth(rpcs, world):
    rpc, chain = rpcs["vault-l1"], world["vault-l1"]  # finality depth 2
    sender, recipient = chain.accounts[0].address, chain.accounts[1].address
    rpc.call("evm_mine", {"blocks": 4})
    before = int(rpc.call("eth_getBalance", recipient, "latest"), 16)
    _transfer(rpc, sender, recipient, 5)
    rpc.call("evm_mine")

    numbers = {tag: rpc.call("eth_getBlockByNumber", tag, False)["number"] for tag in ("latest", "safe", "finalized", "earliest")}
    pending = rpc.call("eth_getBlockByNumber", "pending", False)

    assert numbers == {"latest": "0x5", "safe": "0x3", "finalized": "0x3", "earliest": "0x0"}
    assert pending["number"] == "0x6" and pending["hash"] is None
    assert int(rpc.call("eth_getBalance", recipient, "latest"), 16) == before + 5
    assert int(rpc.call("eth_getBalance", recipient, "finalized"), 16) == before
    assert int(rpc.call("eth_getBalance", recipient, {"blockNumber": "0x4"}), 16) == before
    block_5 = rpc.call("eth_getBlockByNumber", "0x5", False)
    assert int(rpc.call("eth_getBalance", recipient, {"blockHash": block_5["hash"]}), 16) == before + 5
    assert rpc.error("eth_getBalance", recipient, "0x6")["code"] == -32000
    assert rpc.error("eth_getBalance", recipient, {"blockHash": "0x" + "ab" * 32})["code"] == -32000


def test_pending_reads_see_the_pending_block(perp_rpc, world):
    chain = world["perp"]
    sender, recipient = chain.accounts[0].address, chain.accounts[1].address
    _transfer(perp_rpc, sender, recipient, 7)
    assert perp_rpc.call("eth_getTransactionCount", sender) == "0x0"
    assert perp_rpc.call("eth_getTransactionCount", sender, "pending") == "0x1"
    block = perp_rpc.call("eth_getBlockByNumber", "pending", True)
    assert block["hash"] is None and block["transactions"][0]["to"] == recipient
    assert block["transactions"][0]["blockHash"] is None


def test_blocks_transactions_and_receipts_have_the_shape_nodes_give(perp_rpc, world):
    chain = world["perp"]
    sender, recipient = chain.accounts[0].address, chain.accounts[1].address
    tx_hash = _transfer(perp_rpc, sender, recipient)
    perp_rpc.call("evm_mine")

    by_number = perp_rpc.call("eth_getBlockByNumber", "0x1", True)
    by_hash = perp_rpc.call("eth_getBlockByHash", by_number["hash"], True)
    transaction = perp_rpc.call("eth_getTransactionByHash", tx_hash)
    receipt = perp_rpc.call("eth_getTransactionReceipt", tx_hash)

    assert by_hash == by_number
    assert len(by_number["logsBloom"]) == 2 + 512 and by_number["miner"].startswith("0x")
    assert by_number["transactions"] == [transaction]
    assert transaction["input"] == "0x" and transaction["yParity"] in ("0x0", "0x1") and transaction["type"] == "0x2"
    assert transaction["blockNumber"] == "0x1" and transaction["transactionIndex"] == "0x0"
    assert receipt["status"] == "0x1" and receipt["to"] == recipient and receipt["contractAddress"] is None
    assert receipt["logs"] == [] and len(receipt["logsBloom"]) == 2 + 512 and "state_root" not in receipt
    assert perp_rpc.call("eth_getTransactionByBlockNumberAndIndex", "0x1", "0x0") == transaction
    assert perp_rpc.call("eth_getTransactionByBlockHashAndIndex", by_number["hash"], "0x0") == transaction
    assert perp_rpc.call("eth_getBlockTransactionCountByNumber", "0x1") == "0x1"
    assert perp_rpc.call("eth_getBlockTransactionCountByHash", by_number["hash"]) == "0x1"


def test_unknown_blocks_and_transactions_are_null(perp_rpc):
    unknown = "0x" + "cd" * 32
    assert perp_rpc.call("eth_getBlockByNumber", "0x64", False) is None
    assert perp_rpc.call("eth_getBlockByHash", unknown, False) is None
    assert perp_rpc.call("eth_getTransactionByHash", unknown) is None
    assert perp_rpc.call("eth_getTransactionReceipt", unknown) is None
    assert perp_rpc.call("eth_getTransactionByBlockNumberAndIndex", "0x0", "0x5") is None
    assert perp_rpc.error("eth_getTransactionReceipt", "0x1234")["code"] == -32602


def test_fee_suggestions_follow_the_pending_base_fee(perp_rpc, world):
    base_fee = world["perp"].next_base_fee
    assert int(perp_rpc.call("eth_gasPrice"), 16) == base_fee + 10**9
    assert perp_rpc.call("eth_maxPriorityFeePerGas") == hex(10**9)


def test_fee_history_reports_base_fees_usage_and_tip_percentiles(perp_rpc, world):
    chain = world["perp"]
    sender, recipient = chain.accounts[0].address, chain.accounts[1].address
    perp_rpc.call("evm_mine")
    _transfer(perp_rpc, sender, recipient)
    perp_rpc.call("evm_mine")
    perp_rpc.call("evm_mine")

    history = perp_rpc.call("eth_feeHistory", "0x2", "latest", [25, 75])
    longer = perp_rpc.call("eth_feeHistory", hex(100), "0x2")

    assert history["oldestBlock"] == "0x2"
    base_fees = [chain.w3.eth.get_block(n)["baseFeePerGas"] for n in (2, 3)] + [chain.next_base_fee]
    assert history["baseFeePerGas"] == [hex(f) for f in base_fees]
    assert history["gasUsedRatio"][0] == 21_000 / chain.w3.eth.get_block(2)["gasLimit"] and history["gasUsedRatio"][1] == 0
    assert history["reward"] == [[hex(10**9), hex(10**9)], ["0x0", "0x0"]]
    assert longer["oldestBlock"] == "0x0" and len(longer["gasUsedRatio"]) == 3 and "reward" not in longer
    assert perp_rpc.error("eth_feeHistory", "0x1", "latest", [50, 10])["code"] == -32602


def test_identity_methods(perp_rpc):
    assert perp_rpc.call("eth_chainId") == "0x7a69" and perp_rpc.call("net_version") == "31337"
    assert "perp" in perp_rpc.call("web3_clientVersion")
    assert perp_rpc.call("eth_syncing") is False and perp_rpc.call("net_listening") is True
    assert perp_rpc.call("web3_sha3", "0x1234") == "0x" + keccak(b"\x12\x34").hex()
    assert len(perp_rpc.call("eth_accounts")) == 10
