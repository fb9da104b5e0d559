"""Attestation digests, validator signatures and the proof blobs ``Mailbox.process`` takes.

Both proof layouts are packed 32-byte words (see ``contracts/Mailbox.vy``)::

    header      dst_mailbox | message_id
    multisig    header | n | signer[n] | signature[n]        (65 bytes each: r | s | v)
    checkpoint  header | root | checkpoint_index | leaf_index | branch[32] | n | signer[n] | signature[n]

Signers appear in ascending address order; the signature of signer ``i`` is the
``i``-th 65-byte record.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable, Sequence

from eth_abi import encode as abi_encode
from eth_keys import keys
from eth_keys.exceptions import BadSignature
from eth_utils import keccak, to_canonical_address

from chains.abi import checksum
from chains.errors import XmarginError
from chains.signing import signing_key
from bridge.merkle import DEPTH

MODE_MULTISIG = 1
MODE_CHECKPOINT = 2
MODES = {"multisig": MODE_MULTISIG, "checkpoint": MODE_CHECKPOINT}
MULTISIG_DOMAIN = keccak(b"xmargin.bridge.multisig.v1")
CHECKPOINT_DOMAIN = keccak(b"xmargin.bridge.checkpoint.v2")
SIGNATURE_SIZE = 65
HEADER_SIZE = 64
CHECKPOINT_SIGNATURES_AT = HEADER_SIZE + 96 + 32 * DEPTH


class ProofError(XmarginError):
    """A proof that cannot be built (too few signatures, bad inputs)."""


def multisig_digest(dst_chain_id: int, dst_mailbox: str, src_chain_id: int, message_id: bytes) -> bytes:
    """What a multisig validator signs for one message: bound to both domains and the message id."""
    return keccak(
        abi_encode(
            ["bytes32", "uint256", "address", "uint256", "bytes32"],
            [MULTISIG_DOMAIN, dst_chain_id, dst_mailbox, src_chain_id, message_id],
        )
    )


def checkpoint_digest(
    dst_chain_id: int, dst_mailbox: str, src_chain_id: int, src_mailbox: str, root: bytes, index: int
) -> bytes:
    """What a checkpoint validator signs: the source mailbox's tree root after leaf ``index``, for
    delivery to one destination mailbox (as the multisig digest, so no other mailbox accepts the proof)."""
    return keccak(
        abi_encode(
            ["bytes32", "uint256", "address", "uint256", "address", "bytes32", "uint256"],
            [CHECKPOINT_DOMAIN, dst_chain_id, dst_mailbox, src_chain_id, src_mailbox, root, index],
        )
    )


@dataclass(frozen=True)
class Signature:
    """A validator's signature over a digest: 65 bytes r | s | v with v in {27, 28}."""

    signer: str
    data: bytes

    @property
    def signer_int(self) -> int:
        return int.from_bytes(to_canonical_address(self.signer), "big")


def sign_digest(private_key: bytes, digest: bytes) -> Signature:
    key = signing_key(bytes(private_key))
    signature = key.sign_msg_hash(digest)
    data = signature.r.to_bytes(32, "big") + signature.s.to_bytes(32, "big") + bytes([signature.v + 27])
    return Signature(checksum(key.address), data)


@functools.lru_cache(maxsize=1 << 14)
def recover_signer(digest: bytes, data: bytes) -> str | None:
    """The address that signed ``digest``, or None for a malformed signature (remembered: relayers ask again and again)."""
    if len(data) != SIGNATURE_SIZE or data[64] not in (27, 28):
        return None
    try:
        signature = keys.Signature(vrs=(data[64] - 27, int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big")))
        return checksum(signature.recover_public_key_from_msg_hash(digest).to_canonical_address())
    except (BadSignature, ValueError):
        return None


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _address_word(address: str) -> bytes:
    return b"\x00" * 12 + to_canonical_address(address)


def encode_signatures(signatures: Iterable[Signature]) -> bytes:
    """The ``n | signer[n] | signature[n]`` section; sorts by signer (duplicates are kept: the chain refuses them)."""
    ordered = sorted(signatures, key=lambda s: s.signer_int)
    return (
        _word(len(ordered))
        + b"".join(_address_word(s.signer) for s in ordered)
        + b"".join(s.data for s in ordered)
    )


def encode_multisig_proof(dst_mailbox: str, message_id: bytes, signatures: Iterable[Signature]) -> bytes:
    return _address_word(dst_mailbox) + message_id + encode_signatures(signatures)


def encode_checkpoint_proof(
    dst_mailbox: str,
    message_id: bytes,
    root: bytes,
    checkpoint_index: int,
    leaf_index: int,
    branch: Sequence[bytes],
    signatures: Iterable[Signature],
) -> bytes:
    if len(branch) != DEPTH:
        raise ProofError(f"an inclusion proof has {DEPTH} siblings, got {len(branch)}")
    return (
        _address_word(dst_mailbox)
        + message_id
        + root
        + _word(checkpoint_index)
        + _word(leaf_index)
        + b"".join(branch)
        + encode_signatures(signatures)
    )


def signature_spans(proof: bytes, mode: int) -> tuple[tuple[int, int], ...]:
    """Byte ranges of the 65-byte signatures in a well-formed proof (where transit corruption hits them)."""
    at = HEADER_SIZE if mode == MODE_MULTISIG else CHECKPOINT_SIGNATURES_AT
    if len(proof) < at + 32:
        return ()
    count = int.from_bytes(proof[at : at + 32], "big")
    start = at + 32 + 32 * count
    if len(proof) != start + SIGNATURE_SIZE * count:
        return ()
    return tuple((start + SIGNATURE_SIZE * i, start + SIGNATURE_SIZE * (i + 1)) for i in range(count))
