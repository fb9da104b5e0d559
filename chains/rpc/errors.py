"""JSON-RPC error codes, and the translation of the chain stack's exceptions into them.

A client sees only a code, a message and sometimes ``data``; never a traceback. The
codes are the JSON-RPC 2.0 ones, plus the two Ethereum nodes use: -32000 for a
request the node refuses (a transaction with a wrong chain id, a bad nonce, too
little balance) and 3 for an ``eth_call`` or ``eth_estimateGas`` that reverts, with
the revert data in ``data`` (as geth and anvil answer).
"""

from __future__ import annotations

import re
from typing import Any

from eth_tester.exceptions import BlockNotFound, FilterNotFound, TransactionNotFound
from eth_tester.exceptions import ValidationError as TesterValidationError
from eth_utils.exceptions import ValidationError as EVMValidationError
from rlp.exceptions import RLPException

from chains.errors import ChainStateError, WrongChainIdError, XmarginError

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


# py-evm's words for a refused transaction, and the ones geth uses (which tools match on)
_REJECTION_WORDING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"Invalid transaction nonce: Expected (\d+), but got (\d+)"), "nonce"),
    (re.compile(r"cannot afford txn gas|does not have enough balance"), "insufficient funds for gas * price + value"),
    (re.compile(r"Message\.gas cannot be negative|intrinsic gas", re.IGNORECASE), "intrinsic gas too low"),
    (re.compile(r"exceeds gas limit"), "exceeds block gas limit"),
    (re.compile(r"max fee per gas .* lower than block's base fee"), "max fee per gas less than block base fee"),
)


def rejection_message(reason: str) -> str:
    """A refused transaction's message, led by geth's wording when py-evm's is recognised."""
    for pattern, wording in _REJECTION_WORDING:
        match = pattern.search(reason)
        if match is None:
            continue
        if wording == "nonce":
            expected, got = int(match.group(1)), int(match.group(2))
            wording = "nonce too low" if got < expected else "nonce too high"
        return f"{wording}: {reason}"
    return f"transaction rejected: {reason}"


def to_rpc_error(exc: BaseException) -> RpcError:
    """The error answer for an exception raised while a method ran."""
    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, WrongChainIdError):
        return RpcError(SERVER_ERROR, str(exc))
    if isinstance(exc, EVMValidationError):
        return RpcError(SERVER_ERROR, rejection_message(str(exc)))
    if isinstance(exc, ChainStateError):
        return invalid_params(str(exc))
    if isinstance(exc, TesterValidationError | RLPException):
        return invalid_params(str(exc))
    if isinstance(exc, BlockNotFound):
        return RpcError(SERVER_ERROR, f"header not found: {exc}")
    if isinstance(exc, FilterNotFound):
        return RpcError(SERVER_ERROR, "filter not found")
    if isinstance(exc, TransactionNotFound):
        return RpcError(SERVER_ERROR, f"transaction not found: {exc}")
    if isinstance(exc, XmarginError):
        return RpcError(SERVER_ERROR, str(exc))
    return RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}")
