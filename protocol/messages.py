"""Bodies of the messages between the vaults and the margin engine (mirrors ``contracts/messages.vy``).

Every body is the ABI encoding of a flat tuple whose first word is the kind:

==================  ===============================================================  ================
kind                fields after the kind                                            direction
==================  ===============================================================  ================
MARGIN_LOCKED (1)   account, token, amount                                           vault -> engine
WITHDRAW_REQUEST(2) request_id, account, token, amount, recipient                    vault -> engine
FUNDED (3)          fund (1 pool, 2 insurance), token, amount                        vault -> engine
RELEASE (4)         request_id, account, token, from_locked, from_pool               engine -> vault
WITHDRAW_REFUSED(5) request_id, account, token, amount, reason                       engine -> vault
SEIZE (6)           seize_id, account, items[(token, amount, source, dest, recipient)] engine -> vault
==================  ===============================================================  ================

``token`` is the vault chain's token address and amounts are in its decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from typing import ClassVar, Union

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_utils import to_checksum_address

from chains.errors import XmarginError

MAX_BODY = 2048
MAX_SEIZE_ITEMS = 8


class MessageDecodeError(XmarginError):
    """A body that is not a well-formed protocol message."""


class Kind(IntEnum):
    MARGIN_LOCKED = 1
    WITHDRAW_REQUEST = 2
    FUNDED = 3
    RELEASE = 4
    WITHDRAW_REFUSED = 5
    SEIZE = 6


class Source(IntEnum):
    """Where a seized amount comes from."""

    ACCOUNT = 1
    POOL = 2
    INSURANCE = 3


class Dest(IntEnum):
    """Where a seized amount goes."""

    RECIPIENT = 1
    POOL = 2
    INSURANCE = 3
    TREASURY = 4


class Fund(IntEnum):
    POOL = 1
    INSURANCE = 2


class RefusalReason(IntEnum):
    STALE_PRICE = 1
    INSUFFICIENT_FREE_MARGIN = 2
    EXCEEDS_COLLATERAL_AND_GAINS = 3
    POOL_ILLIQUID = 4
    UNKNOWN_ASSET = 5


@dataclass(frozen=True)
class MarginLocked:
    KIND: ClassVar[Kind] = Kind.MARGIN_LOCKED
    TYPES: ClassVar[tuple[str, ...]] = ("address", "address", "uint256")
    account: str
    token: str
    amount: int


@dataclass(frozen=True)
class WithdrawRequest:
    KIND: ClassVar[Kind] = Kind.WITHDRAW_REQUEST
    TYPES: ClassVar[tuple[str, ...]] = ("uint256", "address", "address", "uint256", "address")
    request_id: int
    account: str
    token: str
    amount: int
    recipient: str


@dataclass(frozen=True)
class Funded:
    KIND: ClassVar[Kind] = Kind.FUNDED
    TYPES: ClassVar[tuple[str, ...]] = ("uint256", "address", "uint256")
    fund: Fund
    token: str
    amount: int


@dataclass(frozen=True)
class Release:
    KIND: ClassVar[Kind] = Kind.RELEASE
    TYPES: ClassVar[tuple[str, ...]] = ("uint256", "address", "address", "uint256", "uint256")
    request_id: int
    account: str
    token: str
    from_locked: int
    from_pool: int


@dataclass(frozen=True)
class WithdrawRefused:
    KIND: ClassVar[Kind] = Kind.WITHDRAW_REFUSED
    TYPES: ClassVar[tuple[str, ...]] = ("uint256", "address", "address", "uint256", "uint256")
    request_id: int
    account: str
    token: str
    amount: int
    reason: RefusalReason


@dataclass(frozen=True)
class SeizeItem:
    token: str
    amount: int
    source: Source
    dest: Dest
    recipient: str


@dataclass(frozen=True)
class Seize:
    KIND: ClassVar[Kind] = Kind.SEIZE
    TYPES: ClassVar[tuple[str, ...]] = ("uint256", "address", "(address,uint256,uint256,uint256,address)[]")
    seize_id: int
    account: str
    items: tuple[SeizeItem, ...]


Message = Union[MarginLocked, WithdrawRequest, Funded, Release, WithdrawRefused, Seize]
_BY_KIND: dict[int, type] = {cls.KIND: cls for cls in (MarginLocked, WithdrawRequest, Funded, Release, WithdrawRefused, Seize)}


def encode_body(message: Message) -> bytes:
    """The body bytes a contract would produce for ``message``."""
    if isinstance(message, Seize):
        if len(message.items) > MAX_SEIZE_ITEMS:
            raise ValueError(f"a SEIZE carries at most {MAX_SEIZE_ITEMS} items, got {len(message.items)}")
        values: list = [
            message.seize_id,
            message.account,
            [(i.token, i.amount, int(i.source), int(i.dest), i.recipient) for i in message.items],
        ]
    else:
        values = [int(value) if isinstance(value, IntEnum) else value
                  for value in (getattr(message, f.name) for f in fields(message))]
    body = abi_encode(["uint256", *message.TYPES], [int(message.KIND), *values])
    if len(body) > MAX_BODY:
        raise ValueError(f"body of {len(body)} bytes exceeds {MAX_BODY}")
    return body


def decode_body(body: bytes) -> Message:
    """The message a body carries; raises MessageDecodeError for anything malformed."""
    body = bytes(body)
    if len(body) < 32:
        raise MessageDecodeError(f"body of {len(body)} bytes is too short to hold a kind")
    kind = int.from_bytes(body[:32], "big")
    cls = _BY_KIND.get(kind)
    if cls is None:
        raise MessageDecodeError(f"unknown message kind {kind}")
    try:
        decoded = abi_decode(["uint256", *cls.TYPES], body, strict=False)[1:]
    except (DecodingError, ValueError, OverflowError) as exc:
        raise MessageDecodeError(f"malformed {cls.__name__} body: {exc}") from None
    try:
        if cls is Seize:
            seize_id, account, items = decoded
            return Seize(
                seize_id=seize_id,
                account=to_checksum_address(account),
                items=tuple(
                    SeizeItem(to_checksum_address(t), amount, Source(source), Dest(dest), to_checksum_address(r))
                    for t, amount, source, dest, r in items
                ),
            )
        names = [f.name for f in fields(cls)]
        values = dict(zip(names, decoded))
        for name, kind_type in zip(names, cls.TYPES):
            if kind_type == "address":
                values[name] = to_checksum_address(values[name])
        if cls is Funded:
            values["fund"] = Fund(values["fund"])
        if cls is WithdrawRefused:
            values["reason"] = RefusalReason(values["reason"])
        return cls(**values)
    except ValueError as exc:
        raise MessageDecodeError(f"malformed {cls.__name__} body: {exc}") from None
