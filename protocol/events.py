"""The protocol contracts' events as dataclasses, decoded from the chain's logs.

Every event carries where it was logged (``block_number``, ``log_index``, ``tx_hash``,
``address``) followed by its fields, named as in the contract. USD amounts are WAD,
token amounts native units (see :mod:`protocol.units`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Iterable, Mapping

from eth_abi import decode as abi_decode
from eth_utils import event_abi_to_log_topic, to_checksum_address
from eth_utils.abi import collapse_if_tuple
from hexbytes import HexBytes

from chains.abi import checksum
from chains.blocks import Log

from protocol.messages import Dest, SeizeItem, Source


@dataclass(frozen=True)
class ContractEvent:
    block_number: int
    log_index: int
    tx_hash: HexBytes
    address: str


# -- CollateralVault --------------------------------------------------------------


@dataclass(frozen=True)
class AssetListed(ContractEvent):
    token: str
    deposit_cap: int
    rate_limit_capacity: int
    rate_limit_refill_per_second: int


@dataclass(frozen=True)
class Deposited(ContractEvent):
    account: str
    token: str
    amount: int
    depositor: str
    message_id: HexBytes


@dataclass(frozen=True)
class WithdrawRequested(ContractEvent):
    request_id: int
    account: str
    token: str
    amount: int
    recipient: str
    message_id: HexBytes


@dataclass(frozen=True)
class Released(ContractEvent):
    request_id: int
    account: str
    token: str
    from_locked: int
    from_pool: int
    recipient: str


@dataclass(frozen=True)
class WithdrawRefused(ContractEvent):
    request_id: int
    account: str
    token: str
    amount: int
    reason: int


@dataclass(frozen=True)
class Seized(ContractEvent):
    seize_id: int
    account: str
    token: str
    amount: int
    source: int
    dest: int
    recipient: str


@dataclass(frozen=True)
class Funded(ContractEvent):
    fund: int
    token: str
    amount: int
    funder: str
    message_id: HexBytes


@dataclass(frozen=True)
class TreasuryWithdrawn(ContractEvent):
    token: str
    amount: int
    receiver: str


# -- MarginEngine -----------------------------------------------------------------


@dataclass(frozen=True)
class VaultSet(ContractEvent):
    chain_id: int
    vault: str


@dataclass(frozen=True)
class CollateralCredited(ContractEvent):
    account: str
    cid: int
    amount: int
    src_chain_id: int


@dataclass(frozen=True)
class FundCredited(ContractEvent):
    fund: int
    cid: int
    amount: int


@dataclass(frozen=True)
class FundingUpdated(ContractEvent):
    market: int
    funding_rate: int
    funding_index: int
    skew: int
    price: int


@dataclass(frozen=True)
class PositionChanged(ContractEvent):
    account: str
    bucket: int
    market: int
    size_delta: int
    size: int
    price: int
    entry_price: int
    realized_pnl: int
    funding: int
    fee: int
    liquidation: bool


@dataclass(frozen=True)
class SeizeDispatched(ContractEvent):
    """A SEIZE sent to ``chain_id``'s vault; ``items`` are what it moves there."""

    seize_id: int
    account: str
    chain_id: int
    message_id: HexBytes
    items: tuple[SeizeItem, ...]

    def __post_init__(self) -> None:
        items = tuple(
            item if isinstance(item, SeizeItem)
            else SeizeItem(to_checksum_address(item[0]), item[1], Source(item[2]), Dest(item[3]), to_checksum_address(item[4]))
            for item in self.items
        )
        object.__setattr__(self, "items", items)


@dataclass(frozen=True)
class Liquidated(ContractEvent):
    account: str
    bucket: int
    liquidator: str
    health: int
    full_close: bool
    closed_notional: int
    bonus: int
    bonus_from_gains: int
    realized_pnl: int


@dataclass(frozen=True)
class BadDebt(ContractEvent):
    account: str
    bucket: int
    amount: int
    insurance_drawn: int
    uncovered: int


@dataclass(frozen=True)
class WithdrawalHonoured(ContractEvent):
    request_id: int
    account: str
    cid: int
    from_locked: int
    from_pool: int
    pool_value: int
    src_chain_id: int


@dataclass(frozen=True)
class WithdrawalRefused(ContractEvent):
    request_id: int
    account: str
    token: str
    amount: int
    reason: int
    src_chain_id: int


@dataclass(frozen=True)
class CollateralMoved(ContractEvent):
    account: str
    from_bucket: int
    to_bucket: int
    cid: int
    amount: int


@dataclass(frozen=True)
class BalanceMoved(ContractEvent):
    account: str
    from_bucket: int
    to_bucket: int
    amount: int


# -- OracleAggregator -------------------------------------------------------------


@dataclass(frozen=True)
class Reported(ContractEvent):
    reporter: str
    timestamp: int
    feeds: tuple[int, ...]
    prices: tuple[int, ...]


@dataclass(frozen=True)
class PriceUpdated(ContractEvent):
    feed: int
    price: int
    used_reports: int


@dataclass(frozen=True)
class ReportersChanged(ContractEvent):
    reporters: tuple[str, ...]
    epoch: int


@dataclass(frozen=True)
class ParametersChanged(ContractEvent):
    quorum: int
    staleness: int
    max_deviation: int
    liquidation_staleness: int
    close_staleness: int


# -- AmmPool ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mint(ContractEvent):
    sender: str
    to: str
    base: int
    quote: int
    liquidity: int


@dataclass(frozen=True)
class Burn(ContractEvent):
    sender: str
    to: str
    base: int
    quote: int
    liquidity: int


@dataclass(frozen=True)
class Swap(ContractEvent):
    sender: str
    to: str
    token_in: str
    amount_in: int
    amount_out: int


@dataclass(frozen=True)
class Sync(ContractEvent):
    reserve_base: int
    reserve_quote: int


# -- Deleverager and Backstop -------------------------------------------------------


@dataclass(frozen=True)
class Deleveraged(ContractEvent):
    account: str
    bucket: int
    market: int
    size_delta: int
    price: int
    score: int
    recovered: int
    uncovered_after: int


@dataclass(frozen=True)
class TakenOver(ContractEvent):
    account: str
    bucket: int
    closed_notional: int
    markets: int


@dataclass(frozen=True)
class OperatorSet(ContractEvent):
    operator: str
    allowed: bool
# -- DelayedOracle ---------------------------------------------------------------


@dataclass(frozen=True)
class Poked(ContractEvent):
    timestamp: int
    current: tuple[int, ...]  # liquidation prices now served, by feed id
    next: tuple[int, ...]  # liquidation prices the next poke serves


VAULT_EVENTS = (AssetListed, Deposited, WithdrawRequested, Released, WithdrawRefused, Seized, Funded, TreasuryWithdrawn)
ENGINE_EVENTS = (
    VaultSet,
    CollateralCredited,
    FundCredited,
    FundingUpdated,
    PositionChanged,
    SeizeDispatched,
    Liquidated,
    BadDebt,
    WithdrawalHonoured,
    WithdrawalRefused,
    CollateralMoved,
    BalanceMoved,
)
ORACLE_EVENTS = (Reported, PriceUpdated, ReportersChanged, ParametersChanged)
AMM_EVENTS = (Mint, Burn, Swap, Sync)
DELEVERAGER_EVENTS = (Deleveraged, OperatorSet)
BACKSTOP_EVENTS = (TakenOver, OperatorSet)
DELAYED_ORACLE_EVENTS = (Poked,)
META_FIELDS = tuple(f.name for f in fields(ContractEvent))


@dataclass(frozen=True)
class _EventLayout:
    cls: type[ContractEvent]
    indexed: tuple[tuple[str, str], ...]  # (name, type) of the topics after the first
    plain_names: tuple[str, ...]
    plain_types: tuple[str, ...]
    types: tuple[tuple[str, str], ...]  # (name, type) of every input, in order


class EventDecoder:
    """Decodes one contract's logs into the dataclasses named like its events.

    Built from the contract's ABI; a dataclass whose fields differ from the ABI's inputs is
    refused at construction, so the Python mirror cannot drift from the contract silently.
    """

    def __init__(self, abi: Iterable[Mapping[str, Any]], classes: Iterable[type[ContractEvent]]) -> None:
        by_name = {cls.__name__: cls for cls in classes}
        self._by_topic: dict[bytes, _EventLayout] = {}
        for entry in abi:
            if entry.get("type") != "event" or entry["name"] not in by_name:
                continue
            cls = by_name.pop(entry["name"])
            names = tuple(i["name"] for i in entry["inputs"])
            declared = tuple(f.name for f in fields(cls))[len(META_FIELDS):]
            if names != declared:
                raise TypeError(f"{cls.__name__} declares {declared}, the contract logs {names}")
            plain = [i for i in entry["inputs"] if not i["indexed"]]
            self._by_topic[bytes(event_abi_to_log_topic(entry))] = _EventLayout(
                cls,
                tuple((i["name"], collapse_if_tuple(i)) for i in entry["inputs"] if i["indexed"]),
                tuple(i["name"] for i in plain),
                tuple(collapse_if_tuple(i) for i in plain),
                tuple((i["name"], i["type"]) for i in entry["inputs"]),
            )
        if by_name:
            raise TypeError(f"events missing from the ABI: {', '.join(by_name)}")

    def decode(self, log: Log) -> ContractEvent | None:
        """The event a log holds, or None when it is not one of this contract's known events."""
        topics = log.topics
        if not topics:
            return None
        layout = self._by_topic.get(topics[0])
        if layout is None:
            return None
        values: dict[str, Any] = {}
        for (name, kind), topic in zip(layout.indexed, topics[1:]):
            values[name] = _topic_value(kind, topic)
        if layout.plain_types:
            values.update(zip(layout.plain_names, abi_decode(layout.plain_types, log.data)))
        for name, kind in layout.types:
            values[name] = _python_value(kind, values[name])
        return layout.cls(
            block_number=log.block_number,
            log_index=log.log_index,
            tx_hash=HexBytes(log.transaction_hash),
            address=checksum(log.address),
            **values,
        )

    def decode_all(self, logs: Iterable[Log]) -> list[ContractEvent]:
        return [event for event in (self.decode(log) for log in logs) if event is not None]


def _topic_value(kind: str, topic: bytes) -> Any:
    """An indexed value from its topic word (the common static types directly; eth-abi for the rest)."""
    if kind == "address":
        return topic[12:]
    if kind.startswith("uint"):
        return int.from_bytes(topic, "big")
    if kind == "bytes32":
        return topic
    if kind == "bool":
        return topic[-1] == 1
    return abi_decode([kind], topic)[0]


def _python_value(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return checksum(value)
    if abi_type == "address[]":
        return tuple(checksum(v) for v in value)
    if abi_type.endswith("[]"):
        return tuple(value)
    if abi_type.startswith("bytes"):
        return HexBytes(value)
    return value
