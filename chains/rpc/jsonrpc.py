"""The JSON-RPC 2.0 envelope: single requests, batches, notifications and error objects.

Knows nothing of Ethereum: it turns a request body into a response document given a
``call(method, params)`` that returns a JSON result or raises.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

from chains.rpc.errors import INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR, RpcError, to_rpc_error

MAX_BATCH = 1000

log = logging.getLogger("chains.rpc")

Call = Callable[[str, Any], Any]


def error_response(request_id: Any, error: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": error.to_json()}


def handle_body(body: bytes, call: Call) -> dict[str, Any] | list[dict[str, Any]] | None:
    """The response to a request body; ``None`` when it held only notifications."""
    if not body.strip():
        return error_response(None, RpcError(PARSE_ERROR, "parse error: the request body is empty"))
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return error_response(None, RpcError(PARSE_ERROR, f"parse error: {exc}"))
    if not isinstance(payload, list):
        return handle_request(payload, call)
    if not payload:
        return error_response(None, RpcError(INVALID_REQUEST, "invalid request: empty batch"))
    if len(payload) > MAX_BATCH:
        return error_response(None, RpcError(INVALID_REQUEST, f"invalid request: a batch holds at most {MAX_BATCH} requests"))
    responses = [response for response in (handle_request(item, call) for item in payload) if response is not None]
    return responses or None


def _valid_id(value: Any) -> bool:
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def handle_request(request: Any, call: Call) -> dict[str, Any] | None:
    """The response to one request object; ``None`` for a notification (a request without ``id``)."""
    if not isinstance(request, dict):
        return error_response(None, RpcError(INVALID_REQUEST, "invalid request: expected a JSON object"))
    request_id = request.get("id")
    if not _valid_id(request_id):
        return error_response(None, RpcError(INVALID_REQUEST, "invalid request: id must be a string, a number or null"))
    if request.get("jsonrpc") != "2.0":
        return error_response(request_id, RpcError(INVALID_REQUEST, 'invalid request: "jsonrpc" must be "2.0"'))
    method = request.get("method")
    if not isinstance(method, str):
        return error_response(request_id, RpcError(INVALID_REQUEST, "invalid request: method must be a string"))
    params = request.get("params")
    if params is not None and not isinstance(params, list | dict):
        return error_response(request_id, RpcError(INVALID_REQUEST, "invalid request: params must be an array or an object"))
    notification = "id" not in request
    try:
        result = call(method, params)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an error object, never a dropped connection
        error = to_rpc_error(exc)
        if error.code == INTERNAL_ERROR:
            log.exception("%s failed", method)
        return None if notification else error_response(request_id, error)
    return None if notification else {"jsonrpc": "2.0", "id": request_id, "result": result}
