"""Reads of accounts, blocks, transactions and receipts.

Each method checks its parameters, resolves block tags against this chain (``safe`` and
``finalized`` honour its finality depth; ``pending`` is the head's state, with the pool's
nonces), reads the chain, and puts the answer in node shape.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

from eth_utils import keccak, to_checksum_address

from chains.chain import Chain
from chains.rpc.blocks import PENDING, BlockRef, block_number_of, canonical_number_of_hash, resolve_block, state_of
from chains.rpc.params import parse_address, parse_bool, parse_data, parse_fixed_data, parse_quantity, positional
from chains.rpc.shapes import shape_block, shape_pending_block, shape_receipt, shape_transaction


def eth_get_balance(chain: Chain, params: list[Any]) -> int:
    address, block = positional(params, "eth_getBalance", 1, 1)
    with state_of(chain, resolve_block(chain, block)) as number:
        return chain.balance(parse_address(address, "address"), number)


def eth_get_code(chain: Chain, params: list[Any]) -> bytes:
    address, block = positional(params, "eth_getCode", 1, 1)
    with state_of(chain, resolve_block(chain, block)) as number:
        return chain.code(parse_address(address, "address"), number)


def eth_get_transaction_count(chain: Chain, params: list[Any]) -> int:
    address, block = positional(params, "eth_getTransactionCount", 1, 1)
    sender = parse_address(address, "address")
    number = resolve_block(chain, block)
    return chain.pending_nonce(sender) if number == PENDING else chain.nonce(sender, number)


def eth_get_storage_at(chain: Chain, params: list[Any]) -> bytes:
    address, slot, block = positional(params, "eth_getStorageAt", 2, 1)
    position = parse_quantity(slot, "storage slot")
    with state_of(chain, resolve_block(chain, block)) as number:
        value = chain.storage(parse_address(address, "address"), position, number)
    return value.to_bytes(32, "big")


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
    return f"xmargin/v{importlib.metadata.version('xmargin')}/{chain.name}/{chain.engine_name}"


def eth_accounts(chain: Chain, params: list[Any]) -> list[str]:
    positional(params, "eth_accounts", 0)
    return [to_checksum_address(address) for address in chain.keys]


def _static(method: str, value: Any) -> Any:
    def answer(chain: Chain, params: list[Any]) -> Any:
        positional(params, method, 0)
        return value

    return answer


def _block_or_none(chain: Chain, value: Any) -> BlockRef | None:
    number = block_number_of(chain, value)
    if number != PENDING and number > chain.head_number:
        return None
    return number


def _pending_transactions(chain: Chain) -> list[Any]:
    return [pooled.transaction for pooled in chain.pool.all()]


def eth_get_block_by_number(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block, full = positional(params, "eth_getBlockByNumber", 1, 1)
    number = _block_or_none(chain, block)
    full_transactions = parse_bool(full, "full transactions flag") if full is not None else False
    if number is None:
        return None
    if number == PENDING:
        return shape_pending_block(
            chain.head, chain.head_number + 1, chain.next_timestamp, chain.next_base_fee, chain.config.block_gas_limit,
            _pending_transactions(chain), full_transactions,
        )
    return shape_block(chain.block(number), full_transactions)


def eth_get_block_by_hash(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block_hash, full = positional(params, "eth_getBlockByHash", 1, 1)
    full_transactions = parse_bool(full, "full transactions flag") if full is not None else False
    found = chain.block_by_hash(parse_fixed_data(block_hash, 32, "block hash"))
    return None if found is None else shape_block(found, full_transactions)


def eth_get_block_transaction_count_by_number(chain: Chain, params: list[Any]) -> int | None:
    (block,) = positional(params, "eth_getBlockTransactionCountByNumber", 1)
    number = _block_or_none(chain, block)
    if number is None:
        return None
    return len(chain.pool) if number == PENDING else len(chain.block(number).signed)


def eth_get_block_transaction_count_by_hash(chain: Chain, params: list[Any]) -> int | None:
    (block_hash,) = positional(params, "eth_getBlockTransactionCountByHash", 1)
    found = chain.block_by_hash(parse_fixed_data(block_hash, 32, "block hash"))
    return None if found is None else len(found.signed)


def eth_get_transaction_by_hash(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    (tx_hash,) = positional(params, "eth_getTransactionByHash", 1)
    found = chain.transaction(parse_fixed_data(tx_hash, 32, "transaction hash"))
    if found is None:
        return None
    transaction, number, index = found
    return shape_transaction(transaction, None if number is None else chain.block_header(number), index)


def _by_index(chain: Chain, number: int | None, index: Any) -> dict[str, Any] | None:
    position = parse_quantity(index, "transaction index")
    if number is None:
        return None
    if number == PENDING:
        pending = _pending_transactions(chain)
        return shape_transaction(pending[position]) if position < len(pending) else None
    block = chain.block(number)
    return shape_transaction(block.signed[position], block.header, position) if position < len(block.signed) else None


def eth_get_transaction_by_block_number_and_index(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block, index = positional(params, "eth_getTransactionByBlockNumberAndIndex", 2)
    return _by_index(chain, _block_or_none(chain, block), index)


def eth_get_transaction_by_block_hash_and_index(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    block_hash, index = positional(params, "eth_getTransactionByBlockHashAndIndex", 2)
    found = chain.block_by_hash(parse_fixed_data(block_hash, 32, "block hash"))
    return _by_index(chain, None if found is None else canonical_number_of_hash(chain, found.header.hash), index)


def eth_get_transaction_receipt(chain: Chain, params: list[Any]) -> dict[str, Any] | None:
    """``null`` until the transaction is in a mined block, as on a real node."""
    (tx_hash,) = positional(params, "eth_getTransactionReceipt", 1)
    receipt = chain.receipt(parse_fixed_data(tx_hash, 32, "transaction hash"))
    return None if receipt is None else shape_receipt(receipt)


def web3_sha3(chain: Chain, params: list[Any]) -> bytes:
    (data,) = positional(params, "web3_sha3", 1)
    return keccak(parse_data(data, "data"))


METHODS = {
    "web3_clientVersion": web3_client_version,
    "web3_sha3": web3_sha3,
    "net_version": net_version,
    "net_listening": _static("net_listening", True),
    "net_peerCount": _static("net_peerCount", 0),
    "eth_chainId": eth_chain_id,
    "eth_syncing": _static("eth_syncing", False),
    "eth_accounts": eth_accounts,
    "eth_blockNumber": eth_block_number,
    "eth_getBalance": eth_get_balance,
    "eth_getCode": eth_get_code,
    "eth_getTransactionCount": eth_get_transaction_count,
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
