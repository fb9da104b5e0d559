"""A live world (``xmargin up`` run in-process, clock sped up) and web3.py HTTP clients on its endpoints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from sim.live import LiveWorld, UpOptions, start_up

SCALE = 0.05  # the clock runs 20x: a perp block every 50 ms, a vault-l1 block every 0.6 s


@dataclass
class Live:
    world: LiveWorld
    addresses_file: Path
    notices: list[str] = field(default_factory=list)

    @property
    def manifest(self) -> dict[str, Any]:
        return self.world.manifest

    def w3(self, chain: str) -> Web3:
        return Web3(Web3.HTTPProvider(self.world.urls[chain], request_kwargs={"timeout": 10}))

    def account(self, index: int) -> LocalAccount:
        """One of the accounts ``up`` funds on every chain."""
        return Account.from_key(self.manifest["accounts"][index]["private_key"])

    def contract(self, chain: str, kind: str, abi: str, asset: str | None = None) -> Any:
        contracts = self.manifest["chains"][chain]["contracts"]
        address = contracts["tokens"][asset] if kind == "tokens" else contracts[kind]
        return self.w3(chain).eth.contract(address=address, abi=self.manifest["abis"][abi])


def _wait_until(predicate: Callable[[], Any], timeout: float = 30.0, every: float = 0.05) -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def _send_signed(w3: Web3, signer: LocalAccount, transaction: dict[str, Any]) -> Any:
    """Sign locally (EIP-1559, the endpoint's chain id and pending nonce), send raw, wait for the receipt."""
    filled = {
        "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(signer.address, "pending"),
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 10**9,
        "gas": 500_000,
        **transaction,
    }
    signed = Account.sign_transaction(filled, signer.key)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.05)


def _start_live(directory: Path, **options: Any) -> Live:
    addresses = directory / "xmargin-up.json"
    settings = {"port": 0, "block_time_scale": SCALE, "addresses_file": addresses, "data_dir": directory / "data", **options}
    notices: list[str] = []
    world = start_up(UpOptions(**settings), notify=notices.append)
    return Live(world, addresses, notices)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The default world served on free ports, shared by a test module."""
    running = _start_live(tmp_path_factory.mktemp("up"))
    with running.world:
        yield running


@pytest.fixture(scope="session")
def wait_until() -> Callable[..., Any]:
    """``wait_until(predicate, timeout=30)``: poll until truthy, else fail."""
    return _wait_until


@pytest.fixture(scope="session")
def send_signed() -> Callable[..., Any]:
    """``send_signed(w3, signer, transaction)``: sign locally, send raw, return the receipt."""
    return _send_signed


@pytest.fixture
def make_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Live]]:
    """``make_live(**options)``: a live world with other options (``UpOptions`` fields), closed after the test."""
    started: list[Live] = []

    def make(**options: Any) -> Live:
        started.append(_start_live(tmp_path_factory.mktemp("up"), **options))
        return started[-1]

    yield make
    for running in started:
        running.world.close()
