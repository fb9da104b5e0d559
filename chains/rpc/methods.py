"""The method table of one chain's endpoint, and the call of one method under the chain's lock."""

from __future__ import annotations

import threading
from typing import Any, Callable

from chains.chain import Chain
from chains.rpc import execution, fees, logs, reads, sending, testing
from chains.rpc.errors import METHOD_NOT_FOUND, RpcError, invalid_params
from chains.rpc.shapes import to_wire

Handler = Callable[[Chain, list[Any]], Any]

METHODS: dict[str, Handler] = {
    **reads.METHODS,
    **execution.METHODS,
    **fees.METHODS,
    **sending.METHODS,
    **logs.METHODS,
    **testing.METHODS,
}


class ChainMethods:
    """Answers JSON-RPC methods for one chain; every access to the chain holds ``lock``."""

    def __init__(self, chain: Chain, lock: threading.RLock) -> None:
        self.chain = chain
        self.lock = lock

    def __call__(self, method: str, params: Any) -> Any:
        """The JSON result of ``method``; raises :class:`RpcError` (or whatever the chain raised)."""
        handler = METHODS.get(method)
        if handler is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method} does not exist/is not available")
        if params is None:
            params = []
        if not isinstance(params, list):
            raise invalid_params(f"{method} takes its parameters as an array")
        with self.lock:
            result = handler(self.chain, params)
        return to_wire(result)
