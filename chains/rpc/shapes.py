"""Blocks, transactions, receipts and logs in the shape Ethereum nodes give them over JSON-RPC (geth's).

Each function returns plain Python values (integers, bytes, checksummed addresses);
:func:`to_wire` then writes every integer as a hex quantity and bytes as ``0x`` data.
"""

from __future__ import annotations

from typing import Any

from rlp.codec import encode_raw

from chains.abi import checksum
from chains.blocks import Block, BlockHeader, Log, Receipt
from chains.engines.base import CREATE_TO, effective_gas_price


def to_wire(value: Any) -> Any:
    """A JSON-ready value: integers as ``0x`` quantities, bytes as ``0x`` data, tuples as lists."""
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return hex(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, dict):
        return {key: to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    raise TypeError(f"cannot encode {type(value).__name__} as JSON-RPC")


def address(value: bytes | None) -> str | None:
    return None if value is None else checksum(value)


def shape_log(log: Log) -> dict[str, Any]:
    return {
        "address": address(log.address),
        "topics": list(log.topics),
        "data": log.data,
        "blockNumber": log.block_number,
        "blockHash": log.block_hash,
        "transactionHash": log.transaction_hash,
        "transactionIndex": log.transaction_index,
        "logIndex": log.log_index,
        "removed": False,
    }


def shape_transaction(
    transaction: Any, block: BlockHeader | None = None, index: int | None = None, base_fee: int | None = None
) -> dict[str, Any]:
    """A transaction as ``eth_getTransactionByHash`` returns it; block fields are null while it is pooled."""
    kind = transaction.type_id or 0
    shaped: dict[str, Any] = {
        "blockHash": None if block is None else block.hash,
        "blockNumber": None if block is None else block.number,
        "transactionIndex": index,
        "hash": transaction.hash,
        "from": address(transaction.sender),
        "to": None if transaction.to == CREATE_TO else address(transaction.to),
        "nonce": transaction.nonce,
        "gas": transaction.gas,
        "value": transaction.value,
        "input": transaction.data,
        "type": kind,
        "chainId": transaction.chain_id,
    }
    if kind == 2:
        shaped["maxFeePerGas"] = transaction.max_fee_per_gas
        shaped["maxPriorityFeePerGas"] = transaction.max_priority_fee_per_gas
        shaped["gasPrice"] = transaction.max_fee_per_gas if block is None else effective_gas_price(transaction, block.base_fee_per_gas)
    else:
        shaped["gasPrice"] = transaction.gas_price
    if kind:
        shaped["accessList"] = [
            {"address": address(entry_address), "storageKeys": [slot.to_bytes(32, "big") for slot in slots]}
            for entry_address, slots in transaction.access_list
        ]
        shaped["yParity"] = transaction.y_parity
        shaped["v"] = transaction.y_parity
    else:
        shaped["v"] = transaction.v
    shaped["r"] = transaction.r
    shaped["s"] = transaction.s
    return shaped


def shape_receipt(receipt: Receipt) -> dict[str, Any]:
    return {
        "transactionHash": bytes(receipt.transaction_hash),
        "transactionIndex": receipt.transaction_index,
        "blockHash": receipt.block_hash,
        "blockNumber": receipt.block_number,
        "from": address(receipt.sender),
        "to": address(receipt.to),
        "cumulativeGasUsed": receipt.cumulative_gas_used,
        "gasUsed": receipt.gas_used,
        "effectiveGasPrice": receipt.effective_gas_price,
        "contractAddress": address(receipt.contract_address),
        "logs": [shape_log(log) for log in receipt.logs],
        "logsBloom": receipt.bloom.to_bytes(256, "big"),
        "status": receipt.status,
        "type": receipt.type,
    }


def shape_header(header: BlockHeader) -> dict[str, Any]:
    shaped = {name: address(value) if name == "miner" else value for name, value in header.fields()}
    shaped["hash"] = header.hash
    return shaped


def shape_block(block: Block, full_transactions: bool) -> dict[str, Any]:
    header = block.header
    shaped = shape_header(header)
    if full_transactions:
        shaped["transactions"] = [shape_transaction(tx, header, i) for i, tx in enumerate(block.signed)]
    else:
        shaped["transactions"] = list(block.transactions)
    shaped["uncles"] = []
    shaped["withdrawals"] = []
    shaped["totalDifficulty"] = 0
    encoded_header = encode_raw([value.to_bytes((value.bit_length() + 7) // 8, "big") if isinstance(value, int) else value
                                 for _, value in header.fields()])
    shaped["size"] = len(encode_raw([encoded_header, [tx.encode() for tx in block.signed], [], []]))
    return shaped


def shape_pending_block(head: BlockHeader, number: int, timestamp: int, base_fee: int, gas_limit: int,
                        transactions: list[Any], full_transactions: bool) -> dict[str, Any]:
    """The block being filled: what the pool would put in the next block; no hash yet."""
    shaped = shape_header(head)
    shaped.update({
        "hash": None, "parentHash": head.hash, "number": number, "timestamp": timestamp, "gasUsed": 0,
        "gasLimit": gas_limit, "baseFeePerGas": base_fee, "logsBloom": bytes(256), "nonce": None, "mixHash": None,
    })
    shaped["transactions"] = [shape_transaction(tx) if full_transactions else tx.hash for tx in transactions]
    shaped["uncles"] = []
    shaped["withdrawals"] = []
    return shaped
