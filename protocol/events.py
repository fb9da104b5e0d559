"""The protocol contracts' events as dataclasses, decoded from raw logs with one ``get_logs`` per range.

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
from web3 import Web3

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


@dataclass(frozen=True)
class ParametersChanged(ContractEvent):
    quorum: int
    staleness: int
    max_deviation: int
    liquidation_staleness: int


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
META_FIELDS = tuple(f.name for f in fields(ContractEvent))


class EventDecoder:
    """Decodes one contract's logs into the dataclasses named like its events.

    Built from the contract's ABI; a dataclass whose fields differ from the ABI's inputs is
    refused at construction, so the Python mirror cannot drift from the contract silently.
    """

    def __init__(self, abi: Iterable[Mapping[str, Any]], classes: Iterable[type[ContractEvent]]) -> None:
        by_name = {cls.__name__: cls for cls in classes}
        self._by_topic: dict[bytes, tuple[type[ContractEvent], Mapping[str, Any]]] = {}
        for entry in abi:
            if entry.get("type") != "event" or entry["name"] not in by_name:
                continue
            cls = by_name.pop(entry["name"])
            names = tuple(i["name"] for i in entry["inputs"])
            declared = tuple(f.name for f in fields(cls))[len(META_FIELDS):]
            if names != declared:
                raise TypeError(f"{cls.__name__} declares {declared}, the contract logs {names}")
            self._by_topic[bytes(event_abi_to_log_topic(entry))] = (cls, entry)
        if by_name:
            raise TypeError(f"events missing from the ABI: {', '.join(by_name)}")

    def decode(self, log: Mapping[str, Any]) -> ContractEvent | None:
        """The event a log holds, or None when it is not one of this contract's known events."""
        topics = log["topics"]
        if not topics:
            return None
        found = self._by_topic.get(bytes(topics[0]))
        if found is None:
            return None
        cls, entry = found
        indexed = [i for i in entry["inputs"] if i["indexed"]]
        plain = [i for i in entry["inputs"] if not i["indexed"]]
        values: dict[str, Any] = {}
        for item, topic in zip(indexed, topics[1:]):
            values[item["name"]] = abi_decode([collapse_if_tuple(item)], bytes(topic))[0]
        decoded = abi_decode([collapse_if_tuple(i) for i in plain], bytes(log["data"])) if plain else ()
        values.update({i["name"]: v for i, v in zip(plain, decoded)})
        for item in entry["inputs"]:
            values[item["name"]] = _python_value(item["type"], values[item["name"]])
        return cls(
            block_number=log["blockNumber"],
            log_index=log["logIndex"],
            tx_hash=HexBytes(log["transactionHash"]),
            address=to_checksum_address(log["address"]),
            **values,
        )

    def decode_all(self, logs: Iterable[Mapping[str, Any]]) -> list[ContractEvent]:
        return [event for event in (self.decode(log) for log in logs) if event is not None]


def fetch_events(w3: Web3, address: str, decoder: EventDecoder, from_block: int, to_block: int) -> list[ContractEvent]:
    """Every known event of the contract at ``address`` in blocks ``from_block..to_block`` (inclusive), in order."""
    if to_block < from_block:
        return []
    logs = w3.eth.get_logs({"fromBlock": from_block, "toBlock": to_block, "address": address})
    return decoder.decode_all(logs)


def _python_value(abi_type: str, value: Any) -> Any:
    if abi_type == "address":
        return to_checksum_address(value)
    if abi_type == "address[]":
        return tuple(to_checksum_address(v) for v in value)
    if abi_type.endswith("[]"):
        return tuple(value)
    if abi_type.startswith("bytes"):
        return HexBytes(value)
    return value
