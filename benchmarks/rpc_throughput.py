"""Requests per second on one JSON-RPC endpoint, and the time from start to answering.

A client on one kept-alive HTTP connection (a requests session, as web3.py's
HTTPProvider uses) sends requests one after another to the perp chain's endpoint:

- ``eth_call`` of ``Counter.count()`` on the latest block;
- ``eth_sendRawTransaction`` of ``Counter.increment()`` transactions signed beforehand
  (signing is not timed), with auto-mine on (one block per transaction) and off (they
  wait in the pending block, and an ``evm_mine`` every ``--batch`` transactions seals
  them, as a block producer would; those calls are timed too).

Start-up is timed twice: building the default world of chains, and from calling
``serve_chains`` until every endpoint has answered ``eth_chainId``.

``--against-anvil`` measures ``xmargin up --instant`` (its perp endpoint, on ``--engine``)
next to Anvil (the npm package ``@foundry-rs/anvil``: ``npm install @foundry-rs/anvil@1.7.1``),
both with the same client and the same requests, interleaved round by round: ``eth_call``
of ``Counter.count()``, and send+receipt (``eth_sendRawTransaction`` of a pre-signed
``Counter.increment()``, then ``eth_getTransactionReceipt`` until it answers; both mine
a block per transaction). It prints each side's requests per second (minimum and median of the
rounds) and xmargin's rate as a fraction of Anvil's.

    python benchmarks/rpc_throughput.py [--calls 2000] [--txs 1000] [--batch 200]
    python benchmarks/rpc_throughput.py --against-anvil [--anvil PATH] [--engine revm] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import requests
from eth_account import Account
from eth_utils import to_checksum_address

from chains import COUNTER_SOURCE, ChainSet, compile_contract, deploy
from chains.rpc import chain_lock, serve_chains

GAS = 80_000


class Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def call(self, method: str, *params: object) -> object:
        answer = self.session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]


def start_up() -> tuple[float, float]:
    began = time.perf_counter()
    world = ChainSet.from_configs(seed=0)
    built = time.perf_counter()
    with serve_chains(world) as servers:
        for server in servers:
            Client(server.url).call("eth_chainId")
        answering = time.perf_counter()
    return built - began, answering - built


def calls_per_second(client: Client, counter_address: str, data: str, n: int) -> float:
    request = {"to": counter_address, "data": data}
    began = time.perf_counter()
    for _ in range(n):
        client.call("eth_call", request, "latest")
    return n / (time.perf_counter() - began)


def sends_per_second(auto_mine: bool, n: int, batch: int) -> float:
    world = ChainSet.from_configs(seed=0)
    chain = world["perp"]
    counter = deploy(chain, compile_contract(COUNTER_SOURCE))
    signer = chain.accounts[1]
    data = counter.encode_abi("increment", [])
    raw = [
        Account.sign_transaction(
            {"to": counter.address, "data": data, "gas": GAS, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9,
             "chainId": chain.chain_id, "nonce": nonce},
            signer.key,
        ).raw_transaction.to_0x_hex()
        for nonce in range(n)
    ]
    with chain_lock(chain):
        chain.auto_mine = auto_mine
    with serve_chains([chain]) as (server,):
        client = Client(server.url)
        began = time.perf_counter()
        for index, transaction in enumerate(raw, start=1):
            client.call("eth_sendRawTransaction", transaction)
            if not auto_mine and (index % batch == 0 or index == n):
                client.call("evm_mine")
        elapsed = time.perf_counter() - began
        assert int(client.call("eth_call", {"to": counter.address, "data": counter.encode_abi("count", [])}), 16) == n
    return n / elapsed


# -- against Anvil ---------------------------------------------------------------------

ANVIL_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # Anvil's first dev account


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait(client: Client, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            client.call("eth_chainId")
            return
        except (requests.ConnectionError, RuntimeError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Target:
    """One endpoint with a deployed Counter and a funded key that signs transactions for it."""

    def __init__(self, name: str, url: str, key: str) -> None:
        self.name, self.client, self.key = name, Client(url), key
        self.chain_id = int(self.client.call("eth_chainId"), 16)
        self.sender = Account.from_key(key).address
        self.nonce = int(self.client.call("eth_getTransactionCount", self.sender, "pending"), 16)
        artifact = compile_contract(COUNTER_SOURCE)
        receipt = self.send_and_receipt(artifact.bytecode, None, 500_000)
        self.counter = to_checksum_address(receipt["contractAddress"])
        from chains.abi import ContractAbi

        self.abi = ContractAbi(artifact.abi)

    def signed(self, data: bytes, to: str | None, gas: int) -> str:
        transaction = {"data": data, "gas": gas, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
                       "chainId": self.chain_id, "nonce": self.nonce, "value": 0}
        if to is not None:
            transaction["to"] = to
        self.nonce += 1
        return Account.sign_transaction(transaction, self.key).raw_transaction.to_0x_hex()

    def send_and_receipt(self, data: bytes, to: str | None, gas: int) -> dict:
        """Send, then ask for the receipt until there is one (as a client waiting for its transaction does)."""
        tx_hash = self.client.call("eth_sendRawTransaction", self.signed(data, to, gas))
        deadline = time.monotonic() + 30
        while (receipt := self.client.call("eth_getTransactionReceipt", tx_hash)) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: no receipt 30 s after sending (is it mining a block per transaction?)")
        return receipt


def _rate(action: Callable[[], object], n: int) -> float:
    began = time.perf_counter()
    for _ in range(n):
        action()
    return n / (time.perf_counter() - began)


def against_anvil(args: argparse.Namespace) -> None:
    anvil = args.anvil or shutil.which("anvil") or next(
        (str(p) for p in (Path("node_modules/.bin/anvil"), Path.home() / "node_modules/.bin/anvil") if p.exists()), None
    )
    if anvil is None:
        raise SystemExit("anvil not found: npm install @foundry-rs/anvil@1.7.1, or pass --anvil PATH")
    workdir = Path(tempfile.mkdtemp(prefix="xmargin-vs-anvil-"))
    anvil_port, up_port = _free_port(), _free_port()
    processes = [
        subprocess.Popen([anvil, "--port", str(anvil_port), "--silent"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL),
        subprocess.Popen(
            [str(Path(sys.executable).parent / "xmargin"), "up", "--instant", "--engine", args.engine, "--port", str(up_port),
             "--addresses-file", str(workdir / "up.json"), "--data-dir", str(workdir / "data")],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        ),
    ]
    try:
        _wait(Client(f"http://127.0.0.1:{anvil_port}"))
        while not (workdir / "up.json").exists():
            if processes[1].poll() is not None:
                raise SystemExit(f"xmargin up failed: {processes[1].stderr.read()}")
            time.sleep(0.2)
        manifest = json.loads((workdir / "up.json").read_text())
        perp = manifest["chains"][manifest["perp_chain"]]
        targets = [Target("anvil", f"http://127.0.0.1:{anvil_port}", ANVIL_KEY),
                   Target(f"xmargin up --instant ({args.engine})", perp["url"], manifest["accounts"][0]["private_key"])]
        rates: dict[str, dict[str, list[float]]] = {t.name: {"eth_call": [], "send+receipt": []} for t in targets}
        for _ in range(args.rounds):
            for target in targets:
                call = {"to": target.counter, "data": "0x" + target.abi.encode("count").hex()}
                rates[target.name]["eth_call"].append(_rate(lambda: target.client.call("eth_call", call, "latest"), args.calls))
                data = target.abi.encode("increment")
                rates[target.name]["send+receipt"].append(
                    _rate(lambda: target.send_and_receipt(data, target.counter, 80_000), args.txs)
                )
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=30)
    print(f"same client (requests, one kept-alive connection), requests one after another, {args.rounds} interleaved rounds")
    print(f"{'endpoint':<34}{'method':<15}{'min req/s':>11}{'median req/s':>14}")
    for name, methods in rates.items():
        for method, values in methods.items():
            print(f"{name:<34}{method:<15}{min(values):11.1f}{statistics.median(values):14.1f}")
    anvil_name, ours = targets[0].name, targets[1].name
    for method in ("eth_call", "send+receipt"):
        ratio_min = min(rates[ours][method]) / min(rates[anvil_name][method])
        ratio_median = statistics.median(rates[ours][method]) / statistics.median(rates[anvil_name][method])
        print(f"xmargin / anvil, {method:<13} {ratio_min:5.2f}x (min)  {ratio_median:5.2f}x (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="eth_call requests (default 2000)")
    parser.add_argument("--txs", type=int, default=1000, help="raw transactions per mining mode (default 1000)")
    parser.add_argument("--batch", type=int, default=200, help="transactions per block with auto-mine off (default 200)")
    parser.add_argument("--against-anvil", action="store_true", help="xmargin up --instant next to Anvil, interleaved")
    parser.add_argument("--anvil", default=None, help="the anvil binary (default: on PATH or in node_modules/.bin)")
    parser.add_argument("--engine", default="revm", help="engine of xmargin up for --against-anvil (default revm)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds for --against-anvil (default 5)")
    args = parser.parse_args()
    if args.against_anvil:
        against_anvil(args)
        return

    build_seconds, answer_seconds = start_up()

    world = ChainSet.from_configs(seed=0)
    perp = world["perp"]
    counter = deploy(perp, compile_contract(COUNTER_SOURCE))
    with serve_chains([perp]) as (server,):
        client = Client(server.url)
        client.call("eth_call", {"to": counter.address, "data": counter.encode_abi("count", [])}, "latest")  # warm up
        call_rate = calls_per_second(client, counter.address, counter.encode_abi("count", []), args.calls)

    auto_rate = sends_per_second(True, args.txs, args.batch)
    batched_rate = sends_per_second(False, args.txs, args.batch)

    print("one endpoint (perp), one client on a kept-alive HTTP connection, requests one after another")
    print(f"start: build the default world (3 chains):           {build_seconds * 1000:8.1f} ms")
    print(f"start: serve_chains until all 3 endpoints answer:    {answer_seconds * 1000:8.1f} ms")
    print(f"eth_call (Counter.count, latest), {args.calls} calls:       {call_rate:8.1f} req/s")
    print(f"eth_sendRawTransaction, auto-mine on,  {args.txs} txs:    {auto_rate:8.1f} req/s (one block per tx)")
    print(f"eth_sendRawTransaction, auto-mine off, {args.txs} txs:    {batched_rate:8.1f} req/s (evm_mine every {args.batch})")


if __name__ == "__main__":
    main()
