"""The bridge message: its ABI encoding and its id, exactly as the Mailbox contract computes them.

A message is ``abi_encode(uint8 version, uint256 nonce, uint256 src_chain_id,
address sender, uint256 dst_chain_id, address recipient, bytes body)`` and its id
is the keccak256 of that encoding. The encoding is canonical: a 256-byte head
(seven words and the body's length) followed by the body padded to 32 bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from eth_abi import encode as abi_encode
from eth_utils import keccak

from chains.abi import checksum
from chains.errors import XmarginError

VERSION = 1
MAX_BODY = 2048
HEAD_SIZE = 256
BODY_OFFSET = HEAD_SIZE  # where the body starts in an encoded message
MESSAGE_TYPES = ("uint8", "uint256", "uint256", "address", "uint256", "address", "bytes")


class MalformedMessage(XmarginError):
    """Bytes that are not the canonical encoding of a message."""


@dataclass(frozen=True)
class Message:
    version: int
    nonce: int
    src_chain_id: int
    sender: str
    dst_chain_id: int
    recipient: str
    body: bytes

    def __post_init__(self) -> None:
        if len(self.body) > MAX_BODY:
            raise MalformedMessage(f"message body is {len(self.body)} bytes; at most {MAX_BODY} are allowed")
        object.__setattr__(self, "sender", checksum(self.sender))
        object.__setattr__(self, "recipient", checksum(self.recipient))
        object.__setattr__(self, "body", bytes(self.body))

    @cached_property
    def encoded(self) -> bytes:
        return abi_encode(
            list(MESSAGE_TYPES),
            [self.version, self.nonce, self.src_chain_id, self.sender, self.dst_chain_id, self.recipient, self.body],
        )

    @cached_property
    def id(self) -> bytes:
        return keccak(self.encoded)

    @property
    def id_hex(self) -> str:
        return "0x" + self.id.hex()

    @classmethod
    def decode(cls, data: bytes) -> "Message":
        """Parse a canonical encoding (the same checks ``Mailbox.process`` makes)."""
        data = bytes(data)
        if len(data) < HEAD_SIZE:
            raise MalformedMessage(f"a message is at least {HEAD_SIZE} bytes, got {len(data)}")
        words = [int.from_bytes(data[i : i + 32], "big") for i in range(0, HEAD_SIZE, 32)]
        version, nonce, src, sender, dst, recipient, offset, length = words
        if version >= 256 or sender >= 2**160 or recipient >= 2**160:
            raise MalformedMessage("message head has out-of-range fields")
        if offset != HEAD_SIZE - 32:
            raise MalformedMessage(f"message body offset must be {HEAD_SIZE - 32}, got {offset}")
        if length > MAX_BODY or len(data) != HEAD_SIZE + -(-length // 32) * 32:
            raise MalformedMessage(f"message body length {length} does not match the encoding's size {len(data)}")
        message = cls(
            version,
            nonce,
            src,
            "0x" + sender.to_bytes(20, "big").hex(),
            dst,
            "0x" + recipient.to_bytes(20, "big").hex(),
            data[HEAD_SIZE : HEAD_SIZE + length],
        )
        if message.encoded != data:
            raise MalformedMessage("message padding is not zero")
        return message
