"""py-evm and revm behind the same Chain: the same transactions give the same blocks, receipts and state.

The engine comparison (``chains.differential``) is itself tested: a contract that reads a
value only one engine gets wrong (pyrevm 0.3.7 shows BASEFEE as 0) must be reported,
naming the transaction and the field.
"""

from __future__ import annotations

import pytest

from chains import Chain, compile_contract
from chains.abi import ContractAbi
from chains.differential import check_engine_agrees_with_chain, compare_chains
from chains.engines import ENGINES, UnknownEngineError, check_engine, engine_available
from chains.transactions import deploy
from tests.chains.workout import CONFIG, CONTRACTS, pair, workout


def test_both_engines_are_available_here():
    assert all(engine_available(name) for name in ENGINES)


def test_the_same_transactions_give_the_same_blocks_receipts_and_state_on_both_engines():
    reference, fast = pair()
    for chain in (reference, fast):
        workout(chain)
    assert compare_chains(reference, fast) == []
    receipts = [r for n in range(reference.head_number + 1) for r in reference.block(n).receipts]
    assert {r.error for r in receipts} == {None, "reverted", "out of gas"}  # the workout reached every outcome
    assert reference.head.hash == fast.head.hash and reference.head.state_root == fast.head.state_root
    for chain in (reference, fast):
        assert check_engine_agrees_with_chain(chain) == []


def test_reverts_and_reorgs_put_both_engines_back_in_step():
    reference, fast = pair()
    for chain in (reference, fast):
        snapshot = chain.snapshot()
        workout(chain)
        chain.reorg(3)
        chain.revert(snapshot)
        workout(chain)
    assert compare_chains(reference, fast) == []
    for chain in (reference, fast):
        assert check_engine_agrees_with_chain(chain) == []


def test_a_planted_difference_is_reported_with_the_transaction_and_the_field():
    reference, fast = pair()
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
