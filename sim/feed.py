"""The protocol's events, block by block, to whoever listens (agents, metrics, invariants, the trace).

Each non-empty block's own logs (no query) from every protocol contract on its chain (the engine,
the oracle, the deleverager and the backstop on the perp chain; the vault and the pools on a vault
chain), decoded once into the protocol's event dataclasses, in log order, so agents never poll
the chain for what they can hear.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import Any, Callable

from eth_utils import to_canonical_address

from chains import Chain, MinedBlock
from chains.producer import sim_time_of
from protocol import ProtocolDeployment
from protocol.binding import ContractBinding
from protocol.events import ContractEvent

EventListener = Callable[[float, str, ContractEvent], None]


def event_fields(event: ContractEvent) -> dict[str, Any]:
    """The event as a JSON-ready dict (for the trace)."""
    data = {}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if item.name in ("log_index", "address"):
            continue
        data[item.name] = _plain(value)
    return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return value


class EventFeed:
    """Decodes each mined block's protocol events and hands them to listeners by event name."""

    def __init__(self, protocol: ProtocolDeployment) -> None:
        self._contracts: dict[str, dict[bytes, ContractBinding]] = defaultdict(dict)  # chain -> address -> binding
        perp_contracts = (protocol.engine, protocol.oracle, protocol.deleverager, protocol.backstop, protocol.delayed_oracle)
        for binding in filter(None, perp_contracts):
            self._contracts[protocol.perp_chain][to_canonical_address(binding.address)] = binding
        for name in protocol.vault_chains:
            for binding in (protocol.vault(name), *protocol.pools.get(name, {}).values()):
                self._contracts[name][to_canonical_address(binding.address)] = binding
        self._listeners: dict[str, list[EventListener]] = defaultdict(list)
        self._everything: list[EventListener] = []

    def subscribe(self, listener: EventListener, *names: str) -> None:
        """Call ``listener(t, chain_name, event)`` for events of these classes (every event if none named)."""
        if not names:
            self._everything.append(listener)
        for name in names:
            self._listeners[name].append(listener)

    def on_block(self, chain: Chain, block: MinedBlock) -> None:
        if not block.transactions:
            return
        bindings = self._contracts.get(chain.name)
        if not bindings:
            return
        t = sim_time_of(chain, block.timestamp)
        for log in block.logs:
            binding = bindings.get(log.address)
            event = binding.decode(log) if binding is not None else None
            if event is None:
                continue
            name = type(event).__name__
            for listener in self._everything:
                listener(t, chain.name, event)
            for listener in self._listeners.get(name, ()):
                listener(t, chain.name, event)
