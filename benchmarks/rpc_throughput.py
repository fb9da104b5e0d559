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

    python benchmarks/rpc_throughput.py [--calls 2000] [--txs 1000] [--batch 200]
"""

from __future__ import annotations

import argparse
import time

import requests
from eth_account import Account

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000, help="eth_call requests (default 2000)")
    parser.add_argument("--txs", type=int, default=1000, help="raw transactions per mining mode (default 1000)")
    parser.add_argument("--batch", type=int, default=200, help="transactions per block with auto-mine off (default 200)")
    args = parser.parse_args()

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
