"""The mailbox's message tree, off chain: an append-only keccak Merkle tree of depth 32.

Leaf ``i`` is the id of the message with nonce ``i``. Empty subtrees hash to the
zero hashes (``Z[0] = 0``, ``Z[h+1] = keccak(Z[h] ++ Z[h])``), as in the Mailbox
contract (and the Eth2 deposit contract, with keccak for sha256). Every level is
kept, so the root and an inclusion proof of any leaf can be given for any past
size of the tree: that is what a checkpoint of index ``size - 1`` signs.
"""

from __future__ import annotations

from eth_utils import keccak

from chains.errors import XmarginError

DEPTH = 32


def _zero_hashes() -> tuple[bytes, ...]:
    hashes = [b"\x00" * 32]
    for _ in range(DEPTH):
        hashes.append(keccak(hashes[-1] + hashes[-1]))
    return tuple(hashes)


ZERO_HASHES = _zero_hashes()  # ZERO_HASHES[h]: the root of an empty subtree of height h


class MerkleError(XmarginError):
    """A tree size or leaf index the tree cannot answer for."""


class MerkleTree:
    def __init__(self, leaves: list[bytes] | tuple[bytes, ...] = ()) -> None:
        self._levels: list[list[bytes]] = [[] for _ in range(DEPTH)]
        for leaf in leaves:
            self.append(leaf)

    def __len__(self) -> int:
        return len(self._levels[0])

    def append(self, leaf: bytes) -> int:
        """Add a leaf; returns its index."""
        if len(leaf) != 32:
            raise MerkleError(f"a leaf is 32 bytes, got {len(leaf)}")
        if len(self) >= 2**DEPTH - 1:
            raise MerkleError("the message tree is full")
        index = len(self)
        node = bytes(leaf)
        self._levels[0].append(node)
        for height in range(1, DEPTH):
            position = index >> height
            left = self._levels[height - 1][2 * position]
            right_index = 2 * position + 1
            level_below = self._levels[height - 1]
            right = level_below[right_index] if right_index < len(level_below) else ZERO_HASHES[height - 1]
            node = keccak(left + right)
            level = self._levels[height]
            if position < len(level):
                level[position] = node
            else:
                level.append(node)
        return index

    def _node(self, height: int, position: int, size: int) -> bytes:
        """The node at (height, position) in the tree as it was with ``size`` leaves."""
        first_leaf = position << height
        if first_leaf >= size:
            return ZERO_HASHES[height]
        if first_leaf + (1 << height) <= size:
            return self._levels[height][position]  # complete before ``size``: never changed since
        if height == 0:
            return self._levels[0][position]
        return keccak(self._node(height - 1, 2 * position, size) + self._node(height - 1, 2 * position + 1, size))

    def _check_size(self, size: int | None) -> int:
        size = len(self) if size is None else size
        if not 0 <= size <= len(self):
            raise MerkleError(f"the tree has {len(self)} leaves; cannot answer for size {size}")
        return size

    def root(self, size: int | None = None) -> bytes:
        """The root of the first ``size`` leaves (all of them by default)."""
        size = self._check_size(size)
        return keccak(self._node(DEPTH - 1, 0, size) + self._node(DEPTH - 1, 1, size))

    def proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The 32 siblings on the path from leaf ``index`` to the root of the first ``size`` leaves."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise MerkleError(f"leaf {index} is not among the first {size} leaves")
        return [self._node(height, (index >> height) ^ 1, size) for height in range(DEPTH)]


def branch_root(leaf: bytes, branch: list[bytes], index: int) -> bytes:
    """The root a leaf and its 32 siblings lead to (what ``Mailbox.process`` computes)."""
    node = leaf
    for height, sibling in enumerate(branch):
        node = keccak(sibling + node) if (index >> height) & 1 else keccak(node + sibling)
    return node
