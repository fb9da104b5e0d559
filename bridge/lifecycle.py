"""Every message's lifecycle: what happened to it, when (simulated time) and where (chain, block).

Components report events; the :class:`Lifecycle` keeps them in order, folds them
into one :class:`MessageRecord` per message id, counts them by fate, and passes
each to its listeners as it happens (the simulation writes them to its trace).

Event kinds:

==============  ============================================================
dispatched      a ``Dispatch`` log was mined on the source chain
reorged         the block holding the dispatch (detail.what = "dispatch") or
                the delivery ("process") was reorganised away
attested        a validator signed the message (detail: validator, k of n)
quorum          k reached the threshold
equivocation    a validator signed two different things for the same slot
transport       one fate of one packet (detail.fate: sent, dropped,
                duplicated, delayed, reordered, corrupted, partitioned,
                delivered, lost)
submitted       a relayer or the forger sent ``process`` (detail: tx hash)
deferred        the node would not take the transaction now (a full block);
                the relayer tries again at its next poll
processed       a ``Process`` log was mined on the destination chain
                (detail.never_dispatched: the compromise fault succeeded)
rejected        the destination refused ``process`` (detail: reason)
duplicate       a delivery refused because the message was already delivered
abandoned       a relayer gave up after too many rejections
forged          the forger crafted this message (it was never dispatched)
==============  ============================================================
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Iterator, Mapping

from chains.errors import XmarginError

EVENT_KINDS = (
    "dispatched",
    "reorged",
    "attested",
    "quorum",
    "equivocation",
    "transport",
    "submitted",
    "deferred",
    "processed",
    "rejected",
    "duplicate",
    "abandoned",
    "forged",
)
TRANSPORT_FATES = (
    "sent",
    "dropped",
    "duplicated",
    "delayed",
    "reordered",
    "corrupted",
    "partitioned",
    "delivered",
    "lost",
)


class UnknownMessage(XmarginError):
    """A message id the lifecycle has no record of."""


@dataclass(frozen=True)
class LifecycleEvent:
    seq: int
    time: float
    message_id: str
    kind: str
    chain: str | None = None
    block: int | None = None
    actor: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (the order of keys is fixed, so traces are byte-stable)."""
        return {
            "seq": self.seq,
            "time": self.time,
            "message_id": self.message_id,
            "kind": self.kind,
            "chain": self.chain,
            "block": self.block,
            "actor": self.actor,
            "detail": dict(sorted(self.detail.items())),
        }


@dataclass(frozen=True)
class Stamp:
    time: float
    chain: str | None
    block: int | None
    actor: str | None = None


@dataclass
class MessageRecord:
    message_id: str
    src_chain: str | None = None
    dst_chain: str | None = None
    nonce: int | None = None
    sender: str | None = None
    recipient: str | None = None
    dispatched: Stamp | None = None
    reorged: bool = False
    signers: list[str] = field(default_factory=list)
    quorum: Stamp | None = None
    equivocators: list[str] = field(default_factory=list)
    transport: list[tuple[float, str]] = field(default_factory=list)
    submissions: list[Stamp] = field(default_factory=list)
    processed: Stamp | None = None
    rejections: list[tuple[float, str, str | None]] = field(default_factory=list)
    duplicates: int = 0
    abandoned_by: list[str] = field(default_factory=list)
    forged: bool = False
    events: list[LifecycleEvent] = field(default_factory=list)

    @property
    def never_dispatched(self) -> bool:
        """Processed without ever being dispatched: only a compromised validator set makes this possible."""
        return self.processed is not None and self.dispatched is None

    @property
    def attested(self) -> int:
        return len(self.signers)

    @property
    def status(self) -> str:
        if self.processed is not None:
            return "processed"
        if self.reorged:
            return "reorged"
        if self.abandoned_by:
            return "abandoned"
        if self.dispatched is None:
            return "forged" if self.forged else "unknown"
        return "in_flight"

    @property
    def latency(self) -> float | None:
        """Simulated seconds from dispatch to processing."""
        if self.processed is None or self.dispatched is None:
            return None
        return self.processed.time - self.dispatched.time


Listener = Callable[[LifecycleEvent], None]


class Lifecycle:
    def __init__(self) -> None:
        self._records: dict[str, MessageRecord] = {}
        self._events: list[LifecycleEvent] = []
        self._listeners: list[Listener] = []
        self._counts: Counter[str] = Counter()

    # -- reading ---------------------------------------------------------------

    def __contains__(self, message_id: object) -> bool:
        return _normalize(message_id) in self._records if isinstance(message_id, (str, bytes)) else False

    def __len__(self) -> int:
        return len(self._records)

    def record(self, message_id: str | bytes) -> MessageRecord:
        key = _normalize(message_id)
        try:
            return self._records[key]
        except KeyError:
            raise UnknownMessage(f"no message {key} in the lifecycle") from None

    def records(self) -> Iterator[MessageRecord]:
        """Every record, in the order messages were first seen."""
        return iter(self._records.values())

    def events(self, message_id: str | bytes | None = None) -> tuple[LifecycleEvent, ...]:
        if message_id is None:
            return tuple(self._events)
        return tuple(self.record(message_id).events)

    def counts(self) -> Mapping[str, int]:
        """Events by kind, transport events by ``transport.<fate>``, plus ``processed.never_dispatched``."""
        return MappingProxyType(dict(sorted(self._counts.items())))

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    # -- writing ---------------------------------------------------------------

    def emit(
        self,
        time: float,
        message_id: str | bytes,
        kind: str,
        chain: str | None = None,
        block: int | None = None,
        actor: str | None = None,
        **detail: Any,
    ) -> LifecycleEvent:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown lifecycle event kind {kind!r}")
        key = _normalize(message_id)
        event = LifecycleEvent(len(self._events), float(time), key, kind, chain, block, actor, detail)
        record = self._records.get(key)
        if record is None:
            record = self._records[key] = MessageRecord(key)
        self._apply(record, event)
        record.events.append(event)
        self._events.append(event)
        self._counts[kind] += 1
        if kind == "transport":
            self._counts[f"transport.{detail['fate']}"] += 1
        if kind == "processed" and detail.get("never_dispatched"):
            self._counts["processed.never_dispatched"] += 1
        for listener in self._listeners:
            listener(event)
        return event

    def _apply(self, record: MessageRecord, event: LifecycleEvent) -> None:
        detail = event.detail
        stamp = Stamp(event.time, event.chain, event.block, event.actor)
        kind = event.kind
        if kind == "dispatched" or kind == "forged":
            for name in ("src_chain", "dst_chain", "nonce", "sender", "recipient"):
                if name in detail:
                    setattr(record, name, detail[name])
            if kind == "dispatched":
                record.dispatched, record.reorged = stamp, False
            else:
                record.forged = True
        elif kind == "reorged":
            if detail.get("what") == "process":
                record.processed = None
            else:
                record.dispatched, record.reorged = None, True
        elif kind == "attested":
            if detail["validator"] not in record.signers:
                record.signers.append(detail["validator"])
        elif kind == "quorum":
            record.quorum = record.quorum or stamp
        elif kind == "equivocation":
            if detail["validator"] not in record.equivocators:
                record.equivocators.append(detail["validator"])
        elif kind == "transport":
            record.transport.append((event.time, detail["fate"]))
        elif kind == "submitted":
            record.submissions.append(stamp)
        elif kind == "processed":
            record.processed = record.processed or stamp
        elif kind == "rejected":
            record.rejections.append((event.time, detail["reason"], event.actor))
        elif kind == "duplicate":
            record.duplicates += 1
        elif kind == "abandoned":
            record.abandoned_by.append(event.actor or "?")


def _normalize(message_id: str | bytes) -> str:
    if isinstance(message_id, (bytes, bytearray)):
        return "0x" + bytes(message_id).hex()
    text = message_id.lower()
    return text if text.startswith("0x") else "0x" + text
