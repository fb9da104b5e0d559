"""Reads of accounts, blocks, transactions and receipts, answered by the chain's eth-tester.

Each method checks its parameters, resolves block tags against this chain (``safe`` and
``finalized`` honour its finality depth), then runs through :func:`delegate` and is
put in node shape.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from chains.chain import Chain
from chains.rpc.blocks import PENDING, block_number_of, resolve_block
from chains.rpc.delegate import delegate
from chains.rpc.params import checksum, parse_bool, parse_data, parse_fixed_data, parse_quantity, positional
from chains.rpc.shapes import shape_block, shape_receipt, shape_transaction


def _hash(value: Any, what: str) -> str:
    return "0x" + parse_fixed_data(value, 32, what).hex()


def _state_read(method: str) -> Any:
    """A method taking an address and a block (``latest`` if left out)."""

    def read(chain: Chain, params: list[Any]) -> Any:
        address, block = positional(params, method, 1, 1)
        return delegate(chain, method, [checksum(address, "address"), resolve_block(chain, block)])

    read.__name__ = method
    return read


def eth_get_storage_at(chain: Chain, params: list[Any]) -> Any:
    address, slot, block = positional(params, "eth_getStorageAt", 2, 1)
    position = hex(parse_quantity(slot, "storage slot"))
    return delegate(chain, "eth_getStorageAt", [checksum(address, "address"), position, resolve_block(chain, block)])


def eth_block_number(chain: Chain, params: list[Any]) -> int:
    positional(params, "eth_blockNumber", 0)
    return chain.head_number


def eth_chain_id(chain: Chain, params: list[Any]) -> int:
    positional(params, "eth_chainId", 0)
    return chain.chain_id


def net_version(chain: Chain, params: list[Any]) -> str:
    positional(params, "net_version", 0)
    return str(chain.chain_id)


def web3_client_version(chain: Chain, params: list[Any]) -> str:
    positional(params, "web3_clientVersion", 0)
    return f"xmargin/v{importlib.metadata.version('xmargin')}/{chain.name}/py-evm"


def _static(method: str, value: Any) -> Any:
    def answer(chain: Chain, params: list[Any]) -> Any:
        positional(params, method, 0)
        return value

    return answer


def _simple(method: str) -> Any:
    def read(chain: Chain, params: list[Any]) -> Any:
        positional(params, method, 0)
        return delegate(chain, method, [])

    return read


def eth_get_block_by_number(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block, full = positional(params, "eth_getBlockByNumber", 1, 1)
    number = block_number_of(chain, block)
    if number != PENDING and number > chain.head_number:
        return None
    full_transactions = parse_bool(full, "full transactions flag") if full is not None else False
    return shape_block(delegate(chain, "eth_getBlockByNumber", [number, full_transactions]), pending=number == PENDING)


def eth_get_block_by_hash(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block_hash, full = positional(params, "eth_getBlockByHash", 1, 1)
    full_transactions = parse_bool(full, "full transactions flag") if full is not None else False
    return shape_block(delegate(chain, "eth_getBlockByHash", [_hash(block_hash, "block hash"), full_transactions]))


def eth_get_block_transaction_count_by_number(chain: Chain, params: list[Any]) -> int | None:
    (block,) = positional(params, "eth_getBlockTransactionCountByNumber", 1)
    number = block_number_of(chain, block)
    if number != PENDING and number > chain.head_number:
        return None
    return delegate(chain, "eth_getBlockTransactionCountByNumber", [number])


def eth_get_block_transaction_count_by_hash(chain: Chain, params: list[Any]) -> int | None:
    (block_hash,) = positional(params, "eth_getBlockTransactionCountByHash", 1)
    return delegate(chain, "eth_getBlockTransactionCountByHash", [_hash(block_hash, "block hash")])


def eth_get_transaction_by_hash(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    (tx_hash,) = positional(params, "eth_getTransactionByHash", 1)
    found = delegate(chain, "eth_getTransactionByHash", [_hash(tx_hash, "transaction hash")])
    return None if found is None else shape_transaction(found)


def eth_get_transaction_by_block_number_and_index(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block, index = positional(params, "eth_getTransactionByBlockNumberAndIndex", 2)
    number = block_number_of(chain, block)
    if number != PENDING and number > chain.head_number:
        return None
    position = parse_quantity(index, "transaction index")
    found = delegate(chain, "eth_getTransactionByBlockNumberAndIndex", [number, position])
    return None if found is None else shape_transaction(found)


def eth_get_transaction_by_block_hash_and_index(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block_hash, index = positional(params, "eth_getTransactionByBlockHashAndIndex", 2)
    position = parse_quantity(index, "transaction index")
    found = delegate(chain, "eth_getTransactionByBlockHashAndIndex", [_hash(block_hash, "block hash"), position])
    return None if found is None else shape_transaction(found)


def eth_get_transaction_receipt(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    """``null`` until the transaction is in a mined block, as on a real node."""
    (tx_hash,) = positional(params, "eth_getTransactionReceipt", 1)
    return shape_receipt(delegate(chain, "eth_getTransactionReceipt", [_hash(tx_hash, "transaction hash")]))


def web3_sha3(chain: Chain, params: list[Any]) -> str:
    (data,) = positional(params, "web3_sha3", 1)
    return delegate(chain, "web3_sha3", ["0x" + parse_data(data, "data").hex()])


METHODS = {
    "web3_clientVersion": web3_client_version,
    "web3_sha3": web3_sha3,
    "net_version": net_version,
    "net_listening": _static("net_listening", True),
    "net_peerCount": _static("net_peerCount", 0),
    "eth_chainId": eth_chain_id,
    "eth_syncing": _static("eth_syncing", False),
    "eth_accounts": _simple("eth_accounts"),
    "eth_blockNumber": eth_block_number,
    "eth_getBalance": _state_read("eth_getBalance"),
    "eth_getCode": _state_read("eth_getCode"),
    "eth_getTransactionCount": _state_read("eth_getTransactionCount"),
    "eth_getStorageAt": eth_get_storage_at,
    "eth_getBlockByNumber": eth_get_block_by_number,
    "eth_getBlockByHash": eth_get_block_by_hash,
    "eth_getBlockTransactionCountByNumber": eth_get_block_transaction_count_by_number,
    "eth_getBlockTransactionCountByHash": eth_get_block_transaction_count_by_hash,
    "eth_getTransactionByHash": eth_get_transaction_by_hash,
    "eth_getTransactionByBlockNumberAndIndex": eth_get_transaction_by_block_number_and_index,
    "eth_getTransactionByBlockHashAndIndex": eth_get_transaction_by_block_hash_and_index,
    "eth_getTransactionReceipt": eth_get_transaction_receipt,
}
