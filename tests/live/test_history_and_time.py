"""Testing methods over HTTP while the clock runs: snapshots, reverts across finality, time travel."""

from __future__ import annotations

import time

from chains import COUNTER_SOURCE, compile_contract


def _counter(w3, sender):
    artifact = compile_contract(COUNTER_SOURCE)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor().transact({"from": sender}), timeout=30)
    return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def _rpc(w3, method, *params):
    answer = w3.provider.make_request(method, list(params))
    assert "error" not in answer, answer
    return answer["result"]


def test_snapshot_and_revert_over_http(live, wait_until):
    w3 = live.w3("vault-l2")
    sender = live.account(5).address
    counter = _counter(w3, sender)
    snapshot = _rpc(w3, "evm_snapshot")
    head = w3.eth.block_number
    for _ in range(2):
        w3.eth.wait_for_transaction_receipt(counter.functions.increment().transact({"from": sender}), timeout=30)
    assert counter.functions.count().call() == 2

    assert _rpc(w3, "evm_revert", snapshot) is True

    assert counter.functions.count().call() == 0
    assert w3.eth.block_number <= head + 1  # the producer may have sealed one block since
    wait_until(lambda: w3.eth.block_number > head + 3)  # and blocks keep coming after the revert


def test_a_revert_across_finality_restarts_the_bridge_which_keeps_relaying(live, send_signed, wait_until):
    perp = live.w3("perp")
    snapshot = _rpc(perp, "evm_snapshot")
    head = perp.eth.block_number
    wait_until(lambda: perp.eth.block_number > head + 5)  # well past the perp chain's finality depth

    assert _rpc(perp, "evm_revert", snapshot) is True
    wait_until(lambda: any("bridge restarted" in notice for notice in live.notices))

    depositor = live.account(6)
    vault_w3 = live.w3("vault-l1")
    token = live.contract("vault-l1", "tokens", "TestToken", "ETH")
    vault = live.contract("vault-l1", "vault", "CollateralVault")
    engine = live.contract("perp", "engine", "MarginEngine")
    amount = 3 * 10**18
    send_signed(vault_w3, depositor, {"to": token.address, "data": token.encode_abi("approve", [vault.address, amount])})
    send_signed(vault_w3, depositor, {
        "to": vault.address, "data": vault.encode_abi("deposit", [token.address, amount, depositor.address]),
    })
    credited = wait_until(lambda: [c for c in engine.functions.credited_all(depositor.address).call() if c], timeout=60)
    assert credited == [amount]
    assert live.world.failure is None


def test_time_travel_moves_the_chain_and_blocks_keep_coming(live, wait_until):
    w3 = live.w3("perp")
    before = w3.eth.get_block("latest")

    assert int(_rpc(w3, "evm_increaseTime", hex(3600)), 16) == 3600

    jumped = wait_until(lambda: (block := w3.eth.get_block("latest"))["number"] > before["number"] + 3 and block)
    assert jumped["timestamp"] >= before["timestamp"] + 3600
    assert wait_until(lambda: w3.eth.block_number > jumped["number"] + 3)
    _rpc(w3, "evm_mine")
    assert w3.eth.get_block("latest")["timestamp"] > jumped["timestamp"]


def test_blocks_follow_the_wall_clock_at_each_chain_block_time(make_live, wait_until):
    running = make_live(block_time_scale=1.0)
    perp, vault = running.w3("perp"), running.w3("vault-l2")
    wait_until(lambda: perp.eth.get_block("latest")["timestamp"] >= time.time() - 1.5)  # caught up after deploying
    start_perp, start_vault = perp.eth.block_number, vault.eth.block_number

    time.sleep(4)

    latest = perp.eth.get_block("latest")
    assert 3 <= latest["number"] - start_perp <= 5  # one a second
    assert 1 <= vault.eth.block_number - start_vault <= 3  # one every two seconds
    assert abs(latest["timestamp"] - time.time()) < 2.5  # stamped with the wall-clock time


def test_instant_mode_mines_each_transaction_on_arrival_stamped_with_the_wall_clock(make_live):
    running = make_live(block_time_scale=1.0, instant=True)
    w3 = running.w3("vault-l1")  # 12 s blocks: only instant mining gets a transaction in quickly
    sender = running.account(0).address
    hashes = [w3.eth.send_transaction({"from": sender, "to": sender, "value": 1, "gas": 21_000}) for _ in range(3)]
    receipts = [w3.eth.get_transaction_receipt(tx_hash) for tx_hash in hashes]  # no waiting: already mined

    numbers = [receipt["blockNumber"] for receipt in receipts]
    assert numbers == sorted(set(numbers))  # a block each (the chain's own timed block may fall in between)
    assert all(len(w3.eth.get_block(number)["transactions"]) == 1 for number in numbers)
    stamps = [w3.eth.get_block(number)["timestamp"] for number in numbers]
    assert stamps == sorted(set(stamps))
    assert all(abs(stamp - time.time()) < 5 for stamp in stamps)  # not 12 s apart, one block time each
