"""eth-tester's results in the shape Ethereum nodes give them over JSON-RPC.

web3's eth-tester middleware renames the keys of top-level results; this finishes the
job the way geth answers: transactions inside full blocks, ``yParity``, 256-byte
``logsBloom`` data, ``removed`` on logs, a receipt's bloom, ``null`` for the ``to`` of a
contract creation. :func:`to_wire` then writes every integer as a hex quantity.
"""

from __future__ import annotations

from typing import Any

from eth_bloom import BloomFilter
from web3.providers.eth_tester.middleware import (
    block_result_formatter,
    block_result_remapper,
    log_result_remapper,
    receipt_result_remapper,
    transaction_result_formatter,
    transaction_result_remapper,
)

BLOOM_BYTES = 256


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


def bloom_data(bloom: int) -> str:
    return "0x" + bloom.to_bytes(BLOOM_BYTES, "big").hex()


def shape_transaction(transaction: dict[str, Any]) -> dict[str, Any]:
    """A transaction as ``eth_getTransactionByHash`` returns it (also inside full blocks)."""
    shaped = transaction_result_formatter(transaction_result_remapper(transaction))
    if "y_parity" in shaped:
        shaped["yParity"] = shaped.pop("y_parity")
    return shaped


def shape_log(log: dict[str, Any]) -> dict[str, Any]:
    shaped = dict(log_result_remapper(log))
    shaped.pop("type", None)  # eth-tester's "mined"/"pending"; nodes say whether the log was removed
    shaped["removed"] = False
    return shaped


def shape_logs(logs: Any) -> list[Any]:
    return [shape_log(log) if isinstance(log, dict) else log for log in logs]


def shape_block(block: dict[str, Any] | None, pending: bool = False) -> dict[str, Any] | None:
    if block is None:
        return None
    shaped = dict(block_result_formatter(block_result_remapper(block)))
    if isinstance(shaped.get("logsBloom"), int):
        shaped["logsBloom"] = bloom_data(shaped["logsBloom"])
    shaped["transactions"] = [shape_transaction(t) if isinstance(t, dict) else t for t in shaped["transactions"]]
    if pending:
        shaped["hash"] = None  # the pending block is not sealed: its hash is not known yet
    return shaped


def shape_receipt(receipt: dict[str, Any] | None) -> dict[str, Any] | None:
    if receipt is None:
        return None
    shaped = dict(receipt_result_remapper(receipt))
    shaped.pop("state_root", None)  # pre-Byzantium field; receipts since carry ``status``
    if shaped.get("to") == "":
        shaped["to"] = None
    shaped["logs"] = shape_logs(shaped.get("logs", ()))
    shaped["logsBloom"] = bloom_data(_bloom_of(shaped["logs"]))
    return shaped


def _bloom_of(logs: list[dict[str, Any]]) -> int:
    bloom = BloomFilter()
    for log in logs:
        bloom.add(bytes.fromhex(log["address"][2:]))
        for topic in log["topics"]:
            bloom.add(bytes.fromhex(topic[2:]))
    return int(bloom)
