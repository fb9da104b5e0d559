"""``xmargin up`` and the pytest plugin: start-up time, requests per second, fresh testbeds.

- start-up: ``xmargin up`` is started as a subprocess (``--port 0``); timed from the
  spawn until every endpoint listed in its addresses file has answered ``eth_chainId``
  (the Python start-up of the command is included);
- requests per second on the perp endpoint while ``up`` runs (its clock, validators
  and relayer working in the background), one client on a kept-alive HTTP connection
  (a requests session, as web3.py's HTTPProvider uses), requests one after another:
  ``eth_call`` of ``Counter.count()``, and ``eth_sendRawTransaction`` of
  ``Counter.increment()`` transactions signed beforehand (signing not timed), both
  with blocks every second (the default) and with ``--instant`` (a block per transaction);
- the plugin: building the session's template (deploy, relay the deployment's
  messages, freeze), then a fresh testbed per test by snapshot and revert.

    python benchmarks/up_and_fixtures.py [--starts 3] [--calls 2000] [--txs 500] [--fresh 30]
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
from eth_account import Account

from chains import COUNTER_SOURCE, compile_contract

STARTUP_LIMIT = 120.0


class Client:
    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def call(self, method: str, *params: object) -> Any:
        answer = self.session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]


class Up:
    """``xmargin up`` in a subprocess, stopped with SIGINT as a user would."""

    def __init__(self, *extra: str) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="xmargin-bench-up-"))
        self.addresses = self.directory / "up.json"
        command = [
            sys.executable, "-c", "import cli; cli.main()", "up", "--port", "0",
            "--addresses-file", str(self.addresses), "--data-dir", str(self.directory / "data"), *extra,
        ]
        self.began = time.perf_counter()
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.document = self._wait_until_answering()
        self.ready = time.perf_counter() - self.began

    def _wait_until_answering(self) -> dict[str, Any]:
        while not self.addresses.exists():
            if self.process.poll() is not None or time.perf_counter() - self.began > STARTUP_LIMIT:
                raise RuntimeError(f"xmargin up did not start: {self.process.communicate()[1]}")
            time.sleep(0.01)
        document = json.loads(self.addresses.read_text())
        for chain in document["chains"].values():
            client = Client(chain["url"])
            while True:
                try:
                    if int(client.call("eth_chainId"), 16) == chain["chain_id"]:
                        break
                except requests.ConnectionError:
                    time.sleep(0.01)
        return document

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)


def deploy_counter(client: Client, sender: str) -> str:
    artifact = compile_contract(COUNTER_SOURCE)
    tx_hash = client.call("eth_sendTransaction", {"from": sender, "data": "0x" + artifact.bytecode.hex(), "gas": hex(500_000)})
    return wait_for_receipt(client, tx_hash)["contractAddress"]


def wait_for_receipt(client: Client, tx_hash: str, limit: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while (receipt := client.call("eth_getTransactionReceipt", tx_hash)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{tx_hash} was not mined")
        time.sleep(0.02)
    return receipt


def rates(up: Up, calls: int, txs: int) -> tuple[float, float]:
    """(eth_call, eth_sendRawTransaction) requests per second on the perp endpoint (no calls: 0)."""
    perp = up.document["chains"]["perp"]
    client = Client(perp["url"])
    signer = Account.from_key(up.document["accounts"][0]["private_key"])
    counter = deploy_counter(client, signer.address)
    count_call = {"to": counter, "data": "0x06661abd"}  # count()
    client.call("eth_call", count_call, "latest")
    call_rate = 0.0
    if calls:
        began = time.perf_counter()
        for _ in range(calls):
            client.call("eth_call", count_call, "latest")
        call_rate = calls / (time.perf_counter() - began)

    nonce = int(client.call("eth_getTransactionCount", signer.address, "pending"), 16)
    raw = [
        Account.sign_transaction(
            {"to": counter, "data": "0xd09de08a", "gas": 80_000, "maxFeePerGas": 10**10,  # increment()
             "maxPriorityFeePerGas": 10**9, "chainId": perp["chain_id"], "nonce": nonce + i},
            signer.key,
        ).raw_transaction.to_0x_hex()
        for i in range(txs)
    ]
    began = time.perf_counter()
    hashes = [client.call("eth_sendRawTransaction", transaction) for transaction in raw]
    send_rate = txs / (time.perf_counter() - began)
    wait_for_receipt(client, hashes[-1])
    assert int(client.call("eth_call", count_call, "latest"), 16) == txs, "not every transaction was mined"
    return call_rate, send_rate


def fixture_times(fresh_count: int) -> tuple[float, list[float]]:
    from sim.plugin import Template
    from sim.world_spec import resolve_world

    directory = Path(tempfile.mkdtemp(prefix="xmargin-bench-plugin-"))
    began = time.perf_counter()
    template = Template(resolve_world(), directory / "template")
    first = time.perf_counter() - began
    times = []
    for index in range(fresh_count):
        began = time.perf_counter()
        testbed = template.fresh(directory / f"test-{index}")
        times.append(time.perf_counter() - began)
        testbed.deposit("alice", "vault-l2", "USDC", 100)  # each test leaves something behind
        testbed.relay()
        testbed.close()
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="times to start up (default 3)")
    parser.add_argument("--calls", type=int, default=2000, help="eth_call requests (default 2000)")
    parser.add_argument("--txs", type=int, default=500, help="raw transactions per mining mode (default 500)")
    parser.add_argument("--fresh", type=int, default=30, help="fresh testbeds to time (default 30)")
    args = parser.parse_args()

    compile_contract(COUNTER_SOURCE)
    starts = []
    for _ in range(args.starts):
        up = Up()
        starts.append(up.ready)
        up.stop()

    batched = Up()
    call_rate, batched_rate = rates(batched, args.calls, args.txs)
    batched.stop()
    instant = Up("--instant")
    _, instant_rate = rates(instant, 0, args.txs)
    instant.stop()

    first, fresh = fixture_times(args.fresh)

    print("xmargin up (default world: 3 chains), one client, kept-alive HTTP connection, requests one after another")
    print(f"start: spawn `xmargin up` until all 3 endpoints answer eth_chainId:  "
          f"median {statistics.median(starts):5.2f} s  (runs: {', '.join(f'{s:.2f}' for s in starts)})")
    print(f"perp endpoint, eth_call (Counter.count), {args.calls} calls:             {call_rate:8.1f} req/s")
    print(f"perp endpoint, eth_sendRawTransaction, {args.txs} txs, 1 s blocks:     {batched_rate:8.1f} req/s")
    print(f"perp endpoint, eth_sendRawTransaction, {args.txs} txs, --instant:      {instant_rate:8.1f} req/s (a block per tx)")
    print("pytest plugin (default world)")
    print(f"first testbed: build, deploy, relay the deployment's messages, freeze:  {first:6.2f} s")
    print(f"fresh testbed after the first ({args.fresh} builds, snapshot + revert):     "
          f"median {statistics.median(fresh) * 1000:6.1f} ms, max {max(fresh) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
