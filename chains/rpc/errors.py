"""JSON-RPC error codes, and the translation of the chain's exceptions into them.

A client sees only a code, a message and sometimes ``data``; never a traceback. The
codes are the JSON-RPC 2.0 ones, plus the two Ethereum nodes use: -32000 for a
request the node refuses (a transaction with a wrong chain id, a bad nonce, too
little balance) and 3 for an ``eth_call`` or ``eth_estimateGas`` that reverts, with
the revert data in ``data`` (as geth and anvil answer).
"""

from __future__ import annotations

from typing import Any

from chains.errors import ChainStateError, TransactionRejected, WrongChainIdError, XmarginError

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000
EXECUTION_REVERTED = 3


class RpcError(Exception):
    """An error answer: raised anywhere below the dispatcher, returned to the client as is."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class RpcServerError(XmarginError):
    """The endpoint cannot be served (a port in use, a host that cannot be bound)."""


def invalid_params(message: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid params: {message}")


def to_rpc_error(exc: BaseException) -> RpcError:
    """The error answer for an exception raised while a method ran."""
    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, TransactionRejected) and str(exc).startswith("not a valid signed transaction"):
        return invalid_params(str(exc))
    if isinstance(exc, WrongChainIdError | TransactionRejected):
        return RpcError(SERVER_ERROR, str(exc))
    if isinstance(exc, ChainStateError):
        return invalid_params(str(exc))
    if isinstance(exc, XmarginError):
        return RpcError(SERVER_ERROR, str(exc))
    return RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}")
