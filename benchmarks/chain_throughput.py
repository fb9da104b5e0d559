"""Transactions per second on one chain: one block per transaction vs batched blocks.

Both ways send the same N state-changing calls (Counter.increment) through web3.py and
read every receipt. The naive baseline is how a script usually talks to a dev chain:
auto-mining, web3's gas estimation, and waiting for each receipt. The batched way is how
the simulation drives chains: explicit gas, transactions collected into blocks sealed by
``Chain.mine()``. A third line isolates the effect of batching alone (auto-mining with
explicit gas).

    python benchmarks/chain_throughput.py [--n 500] [--batch 100]
"""

from __future__ import annotations

import argparse
import time

from chains import COUNTER_SOURCE, Chain, ChainConfig, compile_contract, deploy

GAS = 100_000


def fresh_counter(auto_mine: bool):
    chain = Chain(ChainConfig(name="bench", chain_id=9_999), auto_mine=auto_mine)
    return chain, deploy(chain, compile_contract(COUNTER_SOURCE))


def naive(n: int) -> float:
    chain, counter = fresh_counter(auto_mine=True)
    sender = chain.accounts[0].address
    start = time.perf_counter()
    for _ in range(n):
        tx_hash = counter.functions.increment().transact({"from": sender})
        chain.w3.eth.wait_for_transaction_receipt(tx_hash)
    elapsed = time.perf_counter() - start
    assert counter.functions.count().call() == n
    return n / elapsed


def auto_mined_with_gas(n: int) -> float:
    chain, counter = fresh_counter(auto_mine=True)
    sender = chain.accounts[0].address
    start = time.perf_counter()
    for _ in range(n):
        tx_hash = counter.functions.increment().transact({"from": sender, "gas": GAS})
        chain.w3.eth.get_transaction_receipt(tx_hash)
    elapsed = time.perf_counter() - start
    assert counter.functions.count().call() == n
    return n / elapsed


def batched(n: int, batch: int) -> float:
    chain, counter = fresh_counter(auto_mine=False)
    sender = chain.accounts[0].address
    start = time.perf_counter()
    hashes = []
    for index in range(n):
        hashes.append(counter.functions.increment().transact({"from": sender, "gas": GAS}))
        if (index + 1) % batch == 0:
            chain.mine()
    if chain.pending_transactions():
        chain.mine()
    for tx_hash in hashes:
        assert chain.w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    elapsed = time.perf_counter() - start
    assert counter.functions.count().call() == n
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="transactions per method (default 500)")
    parser.add_argument("--batch", type=int, default=100, help="transactions per block when batched (default 100)")
    args = parser.parse_args()
    baseline = naive(args.n)
    with_gas = auto_mined_with_gas(args.n)
    fast = batched(args.n, args.batch)
    print(f"transactions: {args.n} Counter.increment() calls, receipts read for all")
    print(f"one block per tx, web3 defaults (naive baseline): {baseline:8.1f} tx/s")
    print(f"one block per tx, explicit gas:                   {with_gas:8.1f} tx/s")
    print(f"batched, {args.batch} tx per block via Chain.mine():     {fast:8.1f} tx/s")
    print(f"ratio batched / naive baseline: {fast / baseline:.2f}x (target >= 2x)")
    print(f"ratio batched / one block per tx with explicit gas: {fast / with_gas:.2f}x")


if __name__ == "__main__":
    main()
