"""Blocks, receipts and logs as the chain stores them, and the header as Ethereum hashes it.

The header has Cancun's twenty fields in their RLP order, so a block hash is what any
client would compute from the fields it is shown. Its three roots are commitments the
chain computes the same way on every engine: ``state_root`` to the state (see
:mod:`chains.state`), ``transactionsRoot`` and ``receiptsRoot`` to the block's
transactions and receipts, as keccak of their RLP list rather than a Merkle-Patricia
trie (an ordered trie of a block's items costs milliseconds in Python, per block, and
no client of a testbed verifies it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth.constants import BLANK_ROOT_HASH, EMPTY_UNCLE_HASH
from eth_bloom import BloomFilter
from eth_utils import keccak
from hexbytes import HexBytes
from rlp.codec import encode_raw, length_prefix

ZERO_HASH = b"\x00" * 32
NONCE_ZERO = b"\x00" * 8
LEGACY_TYPE = 0


def _quantity(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@dataclass(frozen=True, slots=True)
class Log:
    address: bytes
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: bytes
    transaction_hash: bytes
    transaction_index: int
    log_index: int  # position in the block


@dataclass(frozen=True, slots=True)
class Receipt:
    transaction_hash: HexBytes
    transaction_index: int
    block_number: int
    block_hash: bytes
    sender: bytes
    to: bytes | None  # None: a contract creation
    contract_address: bytes | None
    status: int  # 1 success, 0 failure
    gas_used: int
    cumulative_gas_used: int
    effective_gas_price: int
    type: int
    logs: tuple[Log, ...]
    bloom: int
    output: bytes  # the return or revert data (not part of a node's receipt; read by revert_reason)
    error: str | None
    submitted_at: float = 0.0  # when it entered the pool, as a chain timestamp (for inclusion delays)


@dataclass(frozen=True, slots=True)
class BlockHeader:
    parent_hash: bytes
    number: int
    timestamp: int
    coinbase: bytes
    state_root: bytes
    transactions_root: bytes
    receipts_root: bytes
    bloom: int
    gas_limit: int
    gas_used: int
    base_fee_per_gas: int
    mix_hash: bytes
    hash: bytes

    @property
    def block_number(self) -> int:
        return self.number

    def fields(self) -> list[tuple[str, Any]]:
        """The header's fields in RLP order, by their JSON-RPC names."""
        return [
            ("parentHash", self.parent_hash), ("sha3Uncles", EMPTY_UNCLE_HASH), ("miner", self.coinbase),
            ("stateRoot", self.state_root), ("transactionsRoot", self.transactions_root),
            ("receiptsRoot", self.receipts_root), ("logsBloom", self.bloom.to_bytes(256, "big")),
            ("difficulty", 0), ("number", self.number), ("gasLimit", self.gas_limit), ("gasUsed", self.gas_used),
            ("timestamp", self.timestamp), ("extraData", b""), ("mixHash", self.mix_hash), ("nonce", NONCE_ZERO),
            ("baseFeePerGas", self.base_fee_per_gas), ("withdrawalsRoot", BLANK_ROOT_HASH), ("blobGasUsed", 0),
            ("excessBlobGas", 0), ("parentBeaconBlockRoot", ZERO_HASH),
        ]


def _rlp_string(value: bytes) -> bytes:
    return value if len(value) == 1 and value[0] < 0x80 else length_prefix(len(value), 0x80) + value


_UNCLES, _NONCE, _WITHDRAWALS, _BEACON_ROOT = (_rlp_string(v) for v in (EMPTY_UNCLE_HASH, NONCE_ZERO, BLANK_ROOT_HASH, ZERO_HASH))
_EMPTY = _rlp_string(b"")


def seal_header(
    parent_hash: bytes, number: int, timestamp: int, coinbase: bytes, state_root: bytes, transactions_root: bytes,
    receipts_root: bytes, bloom: int, gas_limit: int, gas_used: int, base_fee: int, mix_hash: bytes,
) -> BlockHeader:
    """A header with its hash: keccak of the RLP of Cancun's header fields.

    Every field is a byte string, so the list is written with rlp's own length prefixes
    (the constant fields encoded once); an empty block costs a few microseconds.
    """
    body = b"".join((
        _rlp_string(parent_hash), _UNCLES, _rlp_string(coinbase), _rlp_string(state_root),
        _rlp_string(transactions_root), _rlp_string(receipts_root), _rlp_string(bloom.to_bytes(256, "big")), _EMPTY,
        _rlp_string(_quantity(number)), _rlp_string(_quantity(gas_limit)), _rlp_string(_quantity(gas_used)),
        _rlp_string(_quantity(timestamp)), _EMPTY, _rlp_string(mix_hash), _NONCE, _rlp_string(_quantity(base_fee)),
        _WITHDRAWALS, _EMPTY, _EMPTY, _BEACON_ROOT,
    ))
    encoded = length_prefix(len(body), 0xC0) + body
    return BlockHeader(parent_hash, number, timestamp, coinbase, state_root, transactions_root, receipts_root, bloom,
                       gas_limit, gas_used, base_fee, mix_hash, keccak(encoded))


def list_root(encoded: list[bytes]) -> bytes:
    """The commitment to a block's items (their encodings, in order); an empty block has the empty trie's root."""
    return keccak(encode_raw(encoded)) if encoded else BLANK_ROOT_HASH


def encode_receipt(kind: int, success: bool, cumulative_gas: int, logs: list[tuple[bytes, tuple[bytes, ...], bytes]]) -> bytes:
    """A receipt's consensus encoding without its bloom (which the logs determine): EIP-2718 typed when ``kind``."""
    body = encode_raw([b"\x01" if success else b"", _quantity(cumulative_gas),
                       [[address, list(topics), data] for address, topics, data in logs]])
    return bytes([kind]) + body if kind else body


def logs_bloom(logs: list[tuple[bytes, tuple[bytes, ...], bytes]]) -> int:
    bloom = BloomFilter()
    for address, topics, _ in logs:
        bloom.add(address)
        for topic in topics:
            bloom.add(topic)
    return int(bloom)


@dataclass(frozen=True, slots=True)
class Block:
    """A mined block: its header, its signed transactions (py-evm objects) and their receipts."""

    header: BlockHeader
    signed: tuple[Any, ...]
    receipts: tuple[Receipt, ...]

    @property
    def number(self) -> int:
        return self.header.number

    @property
    def hash(self) -> HexBytes:
        return HexBytes(self.header.hash)

    @property
    def timestamp(self) -> int:
        return self.header.timestamp

    @property
    def gas_used(self) -> int:
        return self.header.gas_used

    @property
    def transactions(self) -> tuple[HexBytes, ...]:
        return tuple(receipt.transaction_hash for receipt in self.receipts)

    @property
    def logs(self) -> tuple[Log, ...]:
        return tuple(log for receipt in self.receipts for log in receipt.logs)


MinedBlock = Block
