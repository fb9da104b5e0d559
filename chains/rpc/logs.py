"""``eth_getLogs`` and the polling filters (``eth_newFilter`` and friends).

Logs are those of mined blocks: a transaction waiting in the pool has no receipt yet,
so its logs appear once its block is mined, in ``eth_getLogs`` and in the changes of
every log filter. Filters live with the chain (one registry per chain), so every
endpoint and every in-process web3 on a chain shares them, as on one node.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

from hexbytes import HexBytes

from chains.chain import Chain
from chains.rpc.blocks import PENDING, block_number_of, canonical_number_of_hash
from chains.rpc.errors import SERVER_ERROR, RpcError, invalid_params
from chains.rpc.params import parse_address, parse_fixed_data, parse_object, parse_quantity, positional
from chains.rpc.shapes import shape_log

_FILTER_KEYS = {"fromBlock", "toBlock", "address", "topics", "blockHash"}
LATEST = "latest"


@dataclass
class _Query:
    addresses: set[bytes] | None
    topics: list[Any] | None

    def logs(self, chain: Chain, first: int, last: int) -> list[dict[str, Any]]:
        return [shape_log(log) for log in chain.logs(first, min(last, chain.head_number), self.addresses, self.topics)]


@dataclass
class _LogFilter:
    query: _Query
    start: int  # the first block it covers (the next block when installed "from latest")
    last: int | str  # a number, or "latest"
    next_block: int

    def changes(self, chain: Chain) -> list[Any]:
        last = chain.head_number if self.last == LATEST else min(self.last, chain.head_number)
        found = self.query.logs(chain, self.next_block, last) if self.next_block <= last else []
        self.next_block = max(self.next_block, last + 1)
        return found

    def everything(self, chain: Chain) -> list[Any]:
        return self.query.logs(chain, self.start, chain.head_number if self.last == LATEST else self.last)


@dataclass
class _BlockFilter:
    next_block: int

    def changes(self, chain: Chain) -> list[Any]:
        found = [block.hash for block in chain.blocks(self.next_block, chain.head_number)]
        self.next_block = chain.head_number + 1
        return found

    everything = changes


@dataclass
class _PendingFilter:
    seen: list[HexBytes] = field(default_factory=list)

    def changes(self, chain: Chain) -> list[Any]:
        found, self.seen = self.seen, []
        return found

    everything = changes


class _Registry:
    def __init__(self, chain: Chain) -> None:
        self.filters: dict[int, Any] = {}
        self.ids = itertools.count(1)
        chain.submit_listeners.append(self._submitted)

    def _submitted(self, chain: Chain, tx_hash: HexBytes) -> None:
        for installed in self.filters.values():
            if isinstance(installed, _PendingFilter):
                installed.seen.append(tx_hash)

    def install(self, installed: Any) -> int:
        filter_id = next(self.ids)
        self.filters[filter_id] = installed
        return filter_id


_registries: weakref.WeakKeyDictionary[Chain, _Registry] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def _registry(chain: Chain) -> _Registry:
    with _guard:
        registry = _registries.get(chain)
        if registry is None:
            registry = _registries[chain] = _Registry(chain)
        return registry


def _addresses(value: Any) -> set[bytes] | None:
    if value is None or value == []:
        return None
    values = value if isinstance(value, list) else [value]
    return {parse_address(a, "filter.address") for a in values}


def _topics(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_params("filter.topics must be an array")

    def topic(item: Any) -> bytes | None:
        return None if item is None else parse_fixed_data(item, 32, "filter.topics entry")

    return [[topic(t) for t in item] if isinstance(item, list) else topic(item) for item in value]


def _query(value: Any) -> tuple[_Query, Any, Any]:
    """The address/topics part of a filter object, checked, and its raw block bounds."""
    obj = parse_object(value, "filter")
    unknown = sorted(set(obj) - _FILTER_KEYS)
    if unknown:
        raise invalid_params(f"filter has unknown field(s) {', '.join(unknown)}")
    return _Query(_addresses(obj.get("address")), _topics(obj.get("topics"))), obj.get("fromBlock"), obj.get("toBlock")


def _by_hash(chain: Chain, value: dict[str, Any]) -> int | None:
    if value.get("blockHash") is None:
        return None
    if value.get("fromBlock") is not None or value.get("toBlock") is not None:
        raise invalid_params("filter: give blockHash or fromBlock/toBlock, not both")
    return canonical_number_of_hash(chain, parse_fixed_data(value["blockHash"], 32, "filter.blockHash"))


def _mined(chain: Chain, value: Any, what: str) -> int:
    number = block_number_of(chain, LATEST if value is None else value, what)
    return chain.head_number if number == PENDING else number


def eth_get_logs(chain: Chain, params: list[Any]) -> list[Any]:
    (value,) = positional(params, "eth_getLogs", 1)
    query, from_param, to_param = _query(value)
    number = _by_hash(chain, value)
    if number is not None:
        return query.logs(chain, number, number)
    first = _mined(chain, from_param, "filter.fromBlock")
    last = _mined(chain, to_param, "filter.toBlock")
    if first > last:
        raise invalid_params(f"filter.fromBlock ({first}) is after filter.toBlock ({last})")
    return query.logs(chain, first, last)


def _live_bound(chain: Chain, value: Any, what: str) -> int | str:
    """A bound of a polling filter: ``latest`` (and ``pending``) follow the head; the rest are numbers."""
    if value is None or value in (LATEST, PENDING):
        return LATEST
    number = block_number_of(chain, value, what)
    return chain.head_number if number == PENDING else number


def eth_new_filter(chain: Chain, params: list[Any]) -> int:
    (value,) = positional(params, "eth_newFilter", 1)
    query, from_param, to_param = _query(value)
    number = _by_hash(chain, value)
    if number is not None:
        first: int | str = number
        last: int | str = number
    else:
        first = _live_bound(chain, from_param, "filter.fromBlock")
        last = _live_bound(chain, to_param, "filter.toBlock")
    start = chain.head_number + 1 if first == LATEST else first
    return _registry(chain).install(_LogFilter(query, start, last, start))


def eth_new_block_filter(chain: Chain, params: list[Any]) -> int:
    positional(params, "eth_newBlockFilter", 0)
    return _registry(chain).install(_BlockFilter(chain.head_number + 1))


def eth_new_pending_transaction_filter(chain: Chain, params: list[Any]) -> int:
    positional(params, "eth_newPendingTransactionFilter", 0)
    return _registry(chain).install(_PendingFilter())


def _installed(chain: Chain, method: str, params: list[Any]) -> Any:
    (filter_id,) = positional(params, method, 1)
    installed = _registry(chain).filters.get(parse_quantity(filter_id, "filter id"))
    if installed is None:
        raise RpcError(SERVER_ERROR, "filter not found")
    return installed


def eth_get_filter_changes(chain: Chain, params: list[Any]) -> list[Any]:
    return _installed(chain, "eth_getFilterChanges", params).changes(chain)


def eth_get_filter_logs(chain: Chain, params: list[Any]) -> list[Any]:
    installed = _installed(chain, "eth_getFilterLogs", params)
    if not isinstance(installed, _LogFilter):
        raise invalid_params("eth_getFilterLogs takes the id of a log filter")
    return installed.everything(chain)


def eth_uninstall_filter(chain: Chain, params: list[Any]) -> bool:
    (filter_id,) = positional(params, "eth_uninstallFilter", 1)
    return _registry(chain).filters.pop(parse_quantity(filter_id, "filter id"), None) is not None


METHODS = {
    "eth_getLogs": eth_get_logs,
    "eth_newFilter": eth_new_filter,
    "eth_newBlockFilter": eth_new_block_filter,
    "eth_newPendingTransactionFilter": eth_new_pending_transaction_filter,
    "eth_getFilterChanges": eth_get_filter_changes,
    "eth_getFilterLogs": eth_get_filter_logs,
    "eth_uninstallFilter": eth_uninstall_filter,
}
