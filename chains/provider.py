"""web3.py on a chain in the same process, through the JSON-RPC methods ``xmargin up`` serves.

A request goes through the very method table the HTTP endpoint uses, so web3 in a test
and ethers.js over HTTP see the same answers, errors included (a revert is code 3 with
its data, a refused transaction -32000), only without the socket.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any

from web3._utils.encoding import Web3JsonEncoder
from web3.providers.base import BaseProvider
from web3.types import RPCEndpoint, RPCResponse

from chains.rpc.errors import to_rpc_error
from chains.rpc.locks import chain_lock
from chains.rpc.methods import ChainMethods

if TYPE_CHECKING:
    from chains.chain import Chain


class ChainProvider(BaseProvider):
    def __init__(self, chain: "Chain") -> None:
        super().__init__()
        self._call = ChainMethods(chain, chain_lock(chain))
        self._ids = itertools.count(1)

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        request_id = next(self._ids)
        try:
            # exactly the parameters an HTTP endpoint would receive (lists, hex strings)
            wire_params = json.loads(json.dumps(params if params is not None else [], cls=Web3JsonEncoder))
            result = self._call(method, wire_params)
        except Exception as exc:  # noqa: BLE001 - every failure is an error answer, as over HTTP
            return {"jsonrpc": "2.0", "id": request_id, "error": to_rpc_error(exc).to_json()}
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def make_batch_request(self, requests: list[tuple[RPCEndpoint, Any]]) -> list[RPCResponse]:
        return [self.make_request(method, params) for method, params in requests]

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True
