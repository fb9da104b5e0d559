"""``eth_getLogs`` and the polling filters (``eth_newFilter`` and friends).

Logs are those of mined blocks: a transaction waiting in the pending block has no
receipt yet, so its logs appear once its block is mined, in ``eth_getLogs`` and in
the changes of every log filter.
"""

from __future__ import annotations

from typing import Any

from chains.chain import Chain
from chains.rpc.blocks import PENDING, block_number_of, canonical_number_of_hash
from chains.rpc.delegate import delegate
from chains.rpc.errors import SERVER_ERROR, RpcError, invalid_params
from chains.rpc.params import checksum, parse_fixed_data, parse_object, parse_quantity, positional
from chains.rpc.shapes import shape_logs

_FILTER_KEYS = {"fromBlock", "toBlock", "address", "topics", "blockHash"}


def _addresses(value: Any) -> str | list[str] | None:
    if value is None:
        return None
    if isinstance(value, list):
        if not value:
            return None
        return [checksum(a, "filter.address") for a in value]
    return checksum(value, "filter.address")


def _topics(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise invalid_params("filter.topics must be an array")

    def topic(item: Any) -> str | None:
        return None if item is None else "0x" + parse_fixed_data(item, 32, "filter.topics entry").hex()

    return [[topic(t) for t in item] if isinstance(item, list) else topic(item) for item in value]


def _query(value: Any) -> tuple[dict[str, Any], Any, Any]:
    """The address/topics part of a filter object, checked, and its raw block bounds."""
    obj = parse_object(value, "filter")
    unknown = sorted(set(obj) - _FILTER_KEYS)
    if unknown:
        raise invalid_params(f"filter has unknown field(s) {', '.join(unknown)}")
    query = {"address": _addresses(obj.get("address")), "topics": _topics(obj.get("topics"))}
    return {k: v for k, v in query.items() if v is not None}, obj.get("fromBlock"), obj.get("toBlock")


def _by_hash(chain: Chain, value: dict[str, Any]) -> int | None:
    if value.get("blockHash") is None:
        return None
    if value.get("fromBlock") is not None or value.get("toBlock") is not None:
        raise invalid_params("filter: give blockHash or fromBlock/toBlock, not both")
    return canonical_number_of_hash(chain, parse_fixed_data(value["blockHash"], 32, "filter.blockHash"))


def eth_get_logs(chain: Chain, params: list[Any]) -> list[Any]:
    (value,) = positional(params, "eth_getLogs", 1)
    query, from_param, to_param = _query(value)
    number = _by_hash(chain, value)
    if number is not None:
        first = last = number
    else:
        first = _mined(chain, from_param, "filter.fromBlock")
        last = _mined(chain, to_param, "filter.toBlock")
        if first > last:
            raise invalid_params(f"filter.fromBlock ({first}) is after filter.toBlock ({last})")
        last = min(last, chain.head_number)
        if first > last:
            return []
    return shape_logs(delegate(chain, "eth_getLogs", [{**query, "fromBlock": first, "toBlock": last}]))


def _mined(chain: Chain, value: Any, what: str) -> int:
    number = block_number_of(chain, "latest" if value is None else value, what)
    return chain.head_number if number == PENDING else number


def _live_bound(chain: Chain, value: Any, what: str) -> int | str:
    """A bound of a polling filter: ``latest`` (and ``pending``) follow the head; the rest are numbers."""
    if value is None or value in ("latest", PENDING):
        return "latest"
    number = block_number_of(chain, value, what)
    return chain.head_number if number == PENDING else number


def eth_new_filter(chain: Chain, params: list[Any]) -> Any:
    (value,) = positional(params, "eth_newFilter", 1)
    query, from_param, to_param = _query(value)
    if value.get("blockHash") is not None:
        number = _by_hash(chain, value)
        bounds = {"fromBlock": number, "toBlock": number}
    else:
        bounds = {
            "fromBlock": _live_bound(chain, from_param, "filter.fromBlock"),
            "toBlock": _live_bound(chain, to_param, "filter.toBlock"),
        }
        if bounds["fromBlock"] == "latest":
            del bounds["fromBlock"]  # eth-tester's "from now on"
    return delegate(chain, "eth_newFilter", [{**query, **bounds}])


def eth_new_block_filter(chain: Chain, params: list[Any]) -> Any:
    positional(params, "eth_newBlockFilter", 0)
    return delegate(chain, "eth_newBlockFilter", [])


def eth_new_pending_transaction_filter(chain: Chain, params: list[Any]) -> Any:
    positional(params, "eth_newPendingTransactionFilter", 0)
    return delegate(chain, "eth_newPendingTransactionFilter", [])


def _filter_id(method: str, params: list[Any]) -> str:
    (filter_id,) = positional(params, method, 1)
    return hex(parse_quantity(filter_id, "filter id"))


def _filter_read(method: str) -> Any:
    def read(chain: Chain, params: list[Any]) -> list[Any]:
        found = delegate(chain, method, [_filter_id(method, params)])
        if found is None:
            raise RpcError(SERVER_ERROR, "filter not found")
        return shape_logs(found)

    return read


def eth_uninstall_filter(chain: Chain, params: list[Any]) -> bool:
    return delegate(chain, "eth_uninstallFilter", [_filter_id("eth_uninstallFilter", params)])


METHODS = {
    "eth_getLogs": eth_get_logs,
    "eth_newFilter": eth_new_filter,
    "eth_newBlockFilter": eth_new_block_filter,
    "eth_newPendingTransactionFilter": eth_new_pending_transaction_filter,
    "eth_getFilterChanges": _filter_read("eth_getFilterChanges"),
    "eth_getFilterLogs": _filter_read("eth_getFilterLogs"),
    "eth_uninstallFilter": eth_uninstall_filter,
}
