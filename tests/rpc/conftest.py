"""Fixtures for the JSON-RPC endpoint: a served world of chains, and clients speaking to it over HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from chains import Artifact, Chain, ChainSet, compile_contract
from chains.rpc import ChainServers, serve_chains

REVERTER_SOURCE = Path(__file__).parent / "contracts" / "Reverter.vy"


class Rpc:
    """A raw JSON-RPC client on one kept-alive HTTP connection (a requests session)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self._next_id = 0

    def post(self, body: Any) -> requests.Response:
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return self.session.post(self.url, data=data, headers={"Content-Type": "application/json"}, timeout=10)

    def request(self, method: str, *params: Any) -> dict[str, Any]:
        """The whole response object of one call."""
        self._next_id += 1
        response = self.post({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": list(params)})
        assert response.status_code == 200, response.text
        return response.json()

    def call(self, method: str, *params: Any) -> Any:
        """The result of one call; fails the test on an error answer."""
        answer = self.request(method, *params)
        assert "error" not in answer, answer
        return answer["result"]

    def error(self, method: str, *params: Any) -> dict[str, Any]:
        """The error object of one call that must fail."""
        answer = self.request(method, *params)
        assert "error" in answer, answer
        return answer["error"]


def _chain_state(chain: Chain, address: str) -> tuple[Any, ...]:
    """What a refused transaction must leave alone: head, pending block, nonce and balance of ``address``."""
    return (
        chain.head_number,
        chain.head.hash,
        chain.pending_transactions(),
        chain.w3.eth.get_transaction_count(address, "pending"),
        chain.w3.eth.get_balance(address, "pending"),
    )


def _signed_transfer(signer: LocalAccount, chain_id: int, nonce: int, to: str, **change: Any) -> str:
    """A raw EIP-1559 transfer of 1 wei, as a 0x hex string; ``change`` overrides any field."""
    transaction = {
        "to": to, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
        "chainId": chain_id, "nonce": nonce, **change,
    }
    return Account.sign_transaction(transaction, signer.key).raw_transaction.to_0x_hex()


@pytest.fixture(scope="session")
def chain_state() -> Any:
    """``chain_state(chain, address)``: what a refused transaction must leave alone."""
    return _chain_state


@pytest.fixture(scope="session")
def signed_transfer() -> Any:
    """``signed_transfer(signer, chain_id, nonce, to, **change)``: a raw signed transfer."""
    return _signed_transfer


@pytest.fixture(scope="session")
def reverter_artifact() -> Artifact:
    return compile_contract(REVERTER_SOURCE)


@pytest.fixture
def servers(world: ChainSet) -> Iterator[ChainServers]:
    """Every chain of the default world (``world`` from tests/conftest.py) served on free ports."""
    with serve_chains(world) as running:
        yield running


@pytest.fixture
def perp_server(servers: ChainServers):
    return next(s for s in servers if s.chain.name == "perp")


@pytest.fixture
def perp_rpc(perp_server) -> Rpc:
    return Rpc(perp_server.url)


@pytest.fixture
def rpcs(servers: ChainServers) -> dict[str, Rpc]:
    """A raw client per chain name."""
    return {server.chain.name: Rpc(server.url) for server in servers}


@pytest.fixture
def perp_w3(perp_server) -> Web3:
    return Web3(Web3.HTTPProvider(perp_server.url))


@pytest.fixture
def auto_perp_w3(perp_server, perp_w3: Web3) -> Web3:
    """web3 over HTTP on the perp chain, one block per transaction (set through the endpoint)."""
    perp_w3.provider.make_request("evm_setAutomine", [True])
    return perp_w3
