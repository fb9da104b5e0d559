"""Several clients and a block producer on another thread, all on one chain at once."""

from __future__ import annotations

import threading

import requests

from chains import deploy
from chains.rpc import chain_lock

CLIENTS = 4
TXS_PER_CLIENT = 25


def test_concurrent_clients_and_a_producer_thread_lose_nothing(perp_server, world, counter_artifact, signed_transfer):
    chain = world["perp"]
    with chain_lock(chain):
        counter = deploy(chain, counter_artifact)
    data = counter.encode_abi("increment", [])
    signers = chain.accounts[1 : 1 + CLIENTS]
    errors: list[object] = []
    producing = threading.Event()

    def client(signer) -> None:
        session = requests.Session()

        def call(method: str, *params: object) -> None:
            request = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
            answer = session.post(perp_server.url, json=request, timeout=10).json()
            if "error" in answer:
                errors.append(answer["error"])

        read_count = {"to": counter.address, "data": counter.encode_abi("count", [])}
        for nonce in range(TXS_PER_CLIENT):
            raw = signed_transfer(signer, chain.chain_id, nonce, counter.address, data=data, gas=100_000, value=0)
            call("eth_sendRawTransaction", raw)
            call("eth_call", read_count, "pending")

    def producer() -> None:  # what a wall-clock block producer does: mine under the chain's lock
        while not producing.wait(0.01):
            with chain_lock(chain):
                chain.mine()

    mining = threading.Thread(target=producer)
    mining.start()
    clients = [threading.Thread(target=client, args=(signer,)) for signer in signers]
    for thread in clients:
        thread.start()
    for thread in clients:
        thread.join(60)
    producing.set()
    mining.join(10)
    with chain_lock(chain):
        chain.mine()

    assert errors == []
    assert counter.functions.count().call() == CLIENTS * TXS_PER_CLIENT
    for signer in signers:
        assert chain.w3.eth.get_transaction_count(signer.address) == TXS_PER_CLIENT
