"""Block parameters: tags, numbers and EIP-1898 objects, resolved against one chain.

``latest`` is the head, ``earliest`` the genesis block, ``safe`` and ``finalized`` the
head minus the chain's finality depth (a block that deep is never reorganised here),
and ``pending`` the block being filled (what the next ``mine`` seals).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, Literal

from chains.chain import Chain
from chains.rpc.errors import SERVER_ERROR, RpcError, invalid_params
from chains.rpc.params import parse_bool, parse_fixed_data, parse_quantity

PENDING: Literal["pending"] = "pending"
TAGS = ("latest", "earliest", "pending", "safe", "finalized")

BlockRef = int | Literal["pending"]


def block_number_of(chain: Chain, value: Any, what: str = "block") -> BlockRef:
    """The number a block parameter names (possibly beyond the head), or ``"pending"``."""
    if isinstance(value, dict):
        return _eip1898(chain, value, what)
    if value == "latest":
        return chain.head_number
    if value == "earliest":
        return 0
    if value in ("safe", "finalized"):
        return chain.finalized_number
    if value == PENDING:
        return PENDING
    if isinstance(value, str) and not value.startswith(("0x", "0X")):
        raise invalid_params(f"{what} must be a block number or one of {', '.join(TAGS)}, got {value!r}")
    return parse_quantity(value, what)


def resolve_block(chain: Chain, value: Any, default: str = "latest", what: str = "block") -> BlockRef:
    """A block parameter as the number of a mined block, or ``"pending"``; an unknown block is an error."""
    number = block_number_of(chain, default if value is None else value, what)
    if number != PENDING and number > chain.head_number:
        raise RpcError(SERVER_ERROR, f"header not found: block {number} is beyond the head ({chain.head_number})")
    return number


def _eip1898(chain: Chain, value: dict[str, Any], what: str) -> BlockRef:
    if "blockHash" in value:
        if "blockNumber" in value:
            raise invalid_params(f"{what}: give blockHash or blockNumber, not both")
        if "requireCanonical" in value:
            parse_bool(value["requireCanonical"], "requireCanonical")
        block_hash = parse_fixed_data(value["blockHash"], 32, f"{what}.blockHash")
        return canonical_number_of_hash(chain, block_hash)
    if "blockNumber" in value:
        return block_number_of(chain, value["blockNumber"], f"{what}.blockNumber")
    raise invalid_params(f"{what} object needs blockHash or blockNumber")


@contextmanager
def state_of(chain: Chain, block: BlockRef) -> Iterator[int | None]:
    """Read inside this for a block parameter: yields the block to read at (None: the head, or pending)."""
    if block == PENDING:
        with chain.pending_state():
            yield None
    else:
        yield block


def canonical_number_of_hash(chain: Chain, block_hash: bytes) -> int:
    """The number of a block on the canonical chain (a block reorganised away is unknown)."""
    block = chain.block_by_hash(block_hash)
    if block is None:
        raise RpcError(SERVER_ERROR, f"header not found: no canonical block with hash 0x{block_hash.hex()}")
    return block.number
