"""py-evm and revm behind the same Chain: the same transactions give the same blocks, receipts and state.

The engine comparison (``chains.differential``) is itself tested: a contract that reads a
value only one engine gets wrong (pyrevm 0.3.7 shows BASEFEE as 0) must be reported,
naming the transaction and the field.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import to_canonical_address

from chains import Chain, ChainConfig, compile_contract
from chains.abi import ContractAbi
from chains.differential import check_engine_agrees_with_chain, compare_chains
from chains.engines import ENGINES, UnknownEngineError, check_engine, engine_available
from chains.transactions import deploy

CONTRACTS = Path(__file__).parent / "contracts"
CONFIG = ChainConfig(name="duel", chain_id=4_711, block_time=2, accounts=3)


def _pair() -> tuple[Chain, Chain]:
    return tuple(Chain(CONFIG, seed=5, engine=engine) for engine in ENGINES)  # type: ignore[return-value]


def _workout(chain: Chain) -> None:
    """The same transactions on ``chain``: deploys, calls that change, clear and log storage, reverts, out of gas."""
    artifact = compile_contract(CONTRACTS / "EngineWorkout.vy")
    workout = deploy(chain, artifact)
    abi, address = ContractAbi(artifact.abi), to_canonical_address(workout.address)
    alice, bob, carol = (a.address for a in chain.accounts)
    for round_number in range(4):
        chain.send(alice, address, abi.encode("work", round_number + 1, b"note %d" % round_number), 200_000)
        chain.send(bob, address, abi.encode("work", 7, b""), 200_000)
        chain.send(bob, address, abi.encode("forward", carol), 100_000, value=10**15)
        chain.send(carol, address, abi.encode("fail", round_number % 2), 100_000)  # every other one reverts
        chain.mine()
    chain.send(alice, address, abi.encode("spawn"), 3_000_000)
    chain.send(bob, address, abi.encode("burn", 10_000), 150_000)  # runs out of gas
    chain.send(carol, bob, b"\x00\x01calldata for an account without code", 50_000, value=1)
    chain.mine()
    chain.mine()


def test_both_engines_are_available_here():
    assert all(engine_available(name) for name in ENGINES)


def test_the_same_transactions_give_the_same_blocks_receipts_and_state_on_both_engines():
    reference, fast = _pair()
    for chain in (reference, fast):
        _workout(chain)
    assert compare_chains(reference, fast) == []
    receipts = [r for n in range(reference.head_number + 1) for r in reference.block(n).receipts]
    assert {r.error for r in receipts} == {None, "reverted", "out of gas"}  # the workout reached every outcome
    assert reference.head.hash == fast.head.hash and reference.head.state_root == fast.head.state_root
    for chain in (reference, fast):
        assert check_engine_agrees_with_chain(chain) == []


def test_reverts_and_reorgs_put_both_engines_back_in_step():
    reference, fast = _pair()
    for chain in (reference, fast):
        snapshot = chain.snapshot()
        _workout(chain)
        chain.reorg(3)
        chain.revert(snapshot)
        _workout(chain)
    assert compare_chains(reference, fast) == []
    for chain in (reference, fast):
        assert check_engine_agrees_with_chain(chain) == []


def test_a_planted_difference_is_reported_with_the_transaction_and_the_field():
    reference, fast = _pair()
    hashes = []
    for chain in (reference, fast):
        artifact = compile_contract(CONTRACTS / "EnvironmentProbe.vy")
        probe = deploy(chain, artifact)
        hashes.append(chain.send(chain.accounts[0].address, probe.address, ContractAbi(artifact.abi).encode("record"), 100_000))
        chain.mine()

    differences = compare_chains(reference, fast)

    assert hashes[0] == hashes[1]
    first = differences[0]
    assert first.field == "gas_used" and hashes[0].to_0x_hex() in first.where
    assert "gas_used differs: pyevm" in str(first) and "revm" in str(first)
    assert any(d.field == "storage" for d in differences)  # and the end state shows it too


def test_an_unknown_engine_is_one_clear_error():
    with pytest.raises(UnknownEngineError, match="unknown engine 'evmone'; choose one of pyevm, revm"):
        check_engine("evmone")


def test_revm_asked_for_without_pyrevm_is_one_clear_error(monkeypatch):
    import chains.engines.revm as revm_engine

    monkeypatch.setattr(revm_engine, "pyrevm", None)
    with pytest.raises(UnknownEngineError, match="needs pyrevm, which is not installed"):
        Chain(CONFIG, engine="revm")
