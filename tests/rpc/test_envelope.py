"""The JSON-RPC 2.0 envelope over HTTP: batches, notifications, and an error code for every malformed request.

Every bad request is answered on the same kept-alive connection, which keeps working.
"""

from __future__ import annotations

import http.client
import json
import threading
from urllib.parse import urlparse

import pytest
from hypothesis import given, settings, strategies as st

from chains import ChainSet
from chains.rpc import jsonrpc, methods
from chains.rpc.errors import INTERNAL_ERROR, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR

STANDARD_CODES = {PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL_ERROR, -32000, 3}


class Connection:
    """One HTTP/1.1 connection; ``port`` is its local port, which changes if the server ever drops it."""

    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        self.http = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=10)

    def send(self, body: bytes | str, method: str = "POST") -> tuple[int, object]:
        data = body.encode() if isinstance(body, str) else body
        self.http.request(method, "/", body=data if method == "POST" else None, headers={"Content-Type": "application/json"})
        response = self.http.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else None)

    @property
    def port(self) -> int:
        return self.http.sock.getsockname()[1]


@pytest.fixture
def connection(perp_server):
    conn = Connection(perp_server.url)
    yield conn
    conn.http.close()


def _request(method: str, params: list | None = None, request_id: object = 1) -> dict:
    request = {"jsonrpc": "2.0", "method": method, "id": request_id}
    if params is not None:
        request["params"] = params
    return request


@pytest.mark.parametrize(
    "body, code",
    [
        ("", PARSE_ERROR),
        ("   ", PARSE_ERROR),
        ('{"jsonrpc": "2.0", "method": ', PARSE_ERROR),
        (b"\xff\xfe\x00", PARSE_ERROR),
        ("[]", INVALID_REQUEST),
        ("42", INVALID_REQUEST),
        ('{"jsonrpc": "1.0", "method": "eth_chainId", "id": 1}', INVALID_REQUEST),
        ('{"method": "eth_chainId", "id": 1}', INVALID_REQUEST),
        ('{"jsonrpc": "2.0", "method": 7, "id": 1}', INVALID_REQUEST),
        ('{"jsonrpc": "2.0", "method": "eth_chainId", "params": "x", "id": 1}', INVALID_REQUEST),
        ('{"jsonrpc": "2.0", "method": "eth_chainId", "id": {"a": 1}}', INVALID_REQUEST),
        ('{"jsonrpc": "2.0", "method": "eth_noSuchThing", "id": 1}', METHOD_NOT_FOUND),
        ('{"jsonrpc": "2.0", "method": "eth_sign", "id": 1}', METHOD_NOT_FOUND),
        ('{"jsonrpc": "2.0", "method": "eth_getBalance", "params": ["0x1234"], "id": 1}', INVALID_PARAMS),
        ('{"jsonrpc": "2.0", "method": "eth_getBalance", "params": {"address": "0x0"}, "id": 1}', INVALID_PARAMS),
        ('{"jsonrpc": "2.0", "method": "eth_blockNumber", "params": [1], "id": 1}', INVALID_PARAMS),
        ('{"jsonrpc": "2.0", "method": "eth_getBlockByNumber", "params": ["newest", false], "id": 1}', INVALID_PARAMS),
        ('{"jsonrpc": "2.0", "method": "eth_getBlockByNumber", "params": ["0x0", "yes"], "id": 1}', INVALID_PARAMS),
        ('{"jsonrpc": "2.0", "method": "evm_mine", "params": ["0x1"], "id": 1}', INVALID_PARAMS),
        ('{"jsonrpc": "2.0", "method": "eth_call", "params": [{"to": "0x12"}], "id": 1}', INVALID_PARAMS),
        ('{"jsonrpc": "2.0", "method": "eth_feeHistory", "params": ["0x0", "latest"], "id": 1}', INVALID_PARAMS),
    ],
)
def test_malformed_requests_get_their_standard_code_on_a_connection_that_keeps_working(connection, body, code):
    status, first = connection.send('{"jsonrpc": "2.0", "method": "eth_chainId", "id": 0}')
    port = connection.port

    status, answer = connection.send(body)

    assert status == 200
    assert answer["jsonrpc"] == "2.0" and answer["error"]["code"] == code and "Traceback" not in answer["error"]["message"]
    status, after = connection.send('{"jsonrpc": "2.0", "method": "eth_chainId", "id": 2}')
    assert after == {"jsonrpc": "2.0", "id": 2, "result": "0x7a69"}
    assert connection.port == port  # the same connection: never dropped


def test_a_get_is_refused_with_a_json_rpc_error(connection):
    status, answer = connection.send("", method="GET")
    assert status == 405 and answer["error"]["code"] == INVALID_REQUEST
    assert connection.send('{"jsonrpc": "2.0", "method": "eth_chainId", "id": 2}')[1]["result"] == "0x7a69"


def test_cors_preflight_is_allowed_for_browser_wallets(perp_server):
    conn = http.client.HTTPConnection(urlparse(perp_server.url).hostname, perp_server.port, timeout=10)
    conn.request("OPTIONS", "/", headers={"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST"})
    response = conn.getresponse()
    assert response.status == 204 and response.getheader("Access-Control-Allow-Origin") == "*"
    assert "POST" in response.getheader("Access-Control-Allow-Methods")


def test_a_batch_answers_each_request_by_id_and_leaves_out_notifications(connection, world):
    head = world["perp"].head_number
    batch = [
        _request("eth_chainId", request_id="a"),
        {"jsonrpc": "2.0", "method": "evm_mine"},  # a notification: executed, not answered
        _request("eth_blockNumber", request_id=7),
        _request("eth_nope", request_id=8),
        "not a request",
        _request("net_version", [], request_id=None),
    ]

    status, answers = connection.send(json.dumps(batch))

    assert status == 200 and isinstance(answers, list) and len(answers) == 5
    assert answers[0] == {"jsonrpc": "2.0", "id": "a", "result": "0x7a69"}
    assert answers[1] == {"jsonrpc": "2.0", "id": 7, "result": hex(head + 1)}
    assert answers[2]["id"] == 8 and answers[2]["error"]["code"] == METHOD_NOT_FOUND
    assert answers[3]["id"] is None and answers[3]["error"]["code"] == INVALID_REQUEST
    assert answers[4] == {"jsonrpc": "2.0", "id": None, "result": "31337"}


def test_notifications_alone_get_an_empty_answer_and_still_run(connection, world):
    head = world["perp"].head_number

    status, answer = connection.send(json.dumps([{"jsonrpc": "2.0", "method": "evm_mine"}] * 2))
    assert status == 204 and answer is None
    status, answer = connection.send('{"jsonrpc": "2.0", "method": "eth_noSuchThing"}')
    assert status == 204 and answer is None

    assert world["perp"].head_number == head + 2


def test_a_too_large_batch_is_one_invalid_request(connection):
    status, answer = connection.send(json.dumps([_request("eth_chainId")] * (jsonrpc.MAX_BATCH + 1)))
    assert status == 200 and answer["error"]["code"] == INVALID_REQUEST and answer["id"] is None


def test_web3_sends_batches_through_its_http_provider(perp_w3, world):
    account = world["perp"].accounts[0].address
    with perp_w3.batch_requests() as batch:
        batch.add(perp_w3.eth.get_block(0))
        batch.add(perp_w3.eth.get_balance(account))
        block, balance = batch.execute()
    assert block["number"] == 0 and balance == 10_000 * 10**18


def test_a_bug_in_a_method_is_an_internal_error_without_a_traceback(connection, monkeypatch):
    def broken(chain, params):
        raise RuntimeError("something inside broke")

    monkeypatch.setitem(methods.METHODS, "eth_chainId", broken)

    status, answer = connection.send('{"jsonrpc": "2.0", "method": "eth_chainId", "id": 1}')

    assert status == 200 and answer["error"]["code"] == INTERNAL_ERROR
    assert "RuntimeError" in answer["error"]["message"] and "Traceback" not in answer["error"]["message"]
    assert connection.send('{"jsonrpc": "2.0", "method": "net_version", "id": 2}')[1]["result"] == "31337"


@pytest.fixture(scope="module")
def perp_methods() -> methods.ChainMethods:
    chain = ChainSet.from_configs(seed=0)["perp"]
    return methods.ChainMethods(chain, threading.RLock())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=10,
)
request_like = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.sampled_from(["2.0", "1.0", 2]),
        "id": json_values,
        "method": st.sampled_from(["eth_chainId", "eth_getBalance", "eth_call", "evm_revert", "nope", 1]),
        "params": json_values,
    },
)


@settings(max_examples=200, deadline=None)
@given(payload=st.one_of(json_values, request_like, st.lists(request_like, min_size=1, max_size=4)))
def test_any_json_gets_a_well_formed_answer_and_never_an_internal_error(payload, perp_methods):
    """Property: whatever JSON arrives, each request is answered with a result or a standard error code."""
    document = jsonrpc.handle_body(json.dumps(payload).encode(), perp_methods)
    answers = document if isinstance(document, list) else [] if document is None else [document]
    for answer in answers:
        assert answer["jsonrpc"] == "2.0" and "id" in answer
        assert ("result" in answer) != ("error" in answer)
        if "error" in answer:
            assert answer["error"]["code"] in STANDARD_CODES
            assert answer["error"]["code"] != INTERNAL_ERROR, answer
    json.dumps(document)


hex_data = st.one_of(
    st.binary(max_size=40), st.binary(min_size=20, max_size=20), st.binary(min_size=32, max_size=32)
).map(lambda b: "0x" + b.hex())
quantities = st.one_of(
    st.sampled_from(["0x", "0x0", "0x1", "0x2", "0xffffffffffffffff", "0xg", "1"]),
    st.integers(min_value=-(2**70), max_value=2**70).map(lambda n: hex(n) if n >= 0 else n),
)
ethereumish = st.one_of(
    st.sampled_from(["latest", "earliest", "pending", "safe", "finalized"]),
    hex_data,
    quantities,
    st.booleans(),
    st.fixed_dictionaries(
        {},
        optional={
            key: st.one_of(st.none(), st.booleans(), hex_data, quantities, st.lists(hex_data, max_size=2))
            for key in (
                "from", "to", "data", "input", "value", "gas", "gasPrice", "maxFeePerGas", "type", "accessList",
                "blockHash", "blockNumber", "fromBlock", "toBlock", "address", "topics", "timestamp", "blocks",
            )
        },
    ),
)


@settings(max_examples=400, deadline=None)
@given(method=st.sampled_from(sorted(methods.METHODS)), params=st.lists(st.one_of(ethereumish, json_values), max_size=4))
def test_any_params_to_any_method_are_answered_without_an_internal_error(method, params, perp_methods):
    """Property: a method given parameters of any shape answers a result or a user-facing error code."""
    answer = jsonrpc.handle_request({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}, perp_methods)
    assert ("result" in answer) != ("error" in answer)
    if "error" in answer:
        assert answer["error"]["code"] in STANDARD_CODES - {INTERNAL_ERROR}, (method, params, answer)
