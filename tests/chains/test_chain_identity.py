"""Each chain has its own id, for eth_chainId, for the EVM, and for replay protection."""

from __future__ import annotations

import pytest
from web3.exceptions import Web3RPCError

from chains import ChainConfig, ChainSet, WrongChainIdError, deploy


def test_three_chains_answer_distinct_ids_to_rpc_and_to_the_evm(world, counter_artifact):
    ids = {}
    for chain in world:
        counter = deploy(chain, counter_artifact)
        assert chain.w3.eth.chain_id == chain.chain_id
        assert int(chain.w3.net.version) == chain.chain_id
        assert counter.functions.chain_id().call() == chain.chain_id
        ids[chain.name] = chain.chain_id
    assert len(set(ids.values())) == 3


def _signed_transfer(source_chain, chain_id_override=None):
    sender, receiver = source_chain.accounts[0], source_chain.accounts[1]
    tx = {
        "to": receiver.address,
        "value": 10**18,
        "gas": 21_000,
        "maxFeePerGas": 10**10,
        "maxPriorityFeePerGas": 1,
        "nonce": 0,
        "chainId": chain_id_override or source_chain.chain_id,
    }
    return sender.sign_transaction(tx).raw_transaction


def test_a_transaction_signed_for_one_chain_is_refused_by_another_with_state_unchanged():
    # the same mnemonic on two chains would let an attacker replay; give both chains one config but different ids
    a = ChainConfig(name="a", chain_id=1001)
    b = ChainConfig(name="b", chain_id=1002)
    chains = ChainSet.from_configs([a, b])
    raw_for_a = _signed_transfer(chains["a"])
    # fund the same key on b so that only the chain id can stop it
    sender = chains["a"].accounts[0]
    chains["b"].w3.eth.send_transaction(
        {"from": chains["b"].accounts[0].address, "to": sender.address, "value": 5 * 10**18, "gas": 21_000}
    )
    chains["b"].mine()
    before = (
        chains["b"].w3.eth.get_balance(sender.address),
        chains["b"].w3.eth.get_transaction_count(sender.address),
        chains["b"].head_number,
    )
    with pytest.raises((WrongChainIdError, Web3RPCError)) as refused:
        chains["b"].w3.eth.send_raw_transaction(raw_for_a)
    assert "signed for chain id 1001" in str(refused.value)
    assert chains["b"].pending_transactions() == ()
    chains["b"].mine()
    after = (
        chains["b"].w3.eth.get_balance(sender.address),
        chains["b"].w3.eth.get_transaction_count(sender.address),
        chains["b"].head_number - 1,
    )
    assert after == before
    # and the transaction is fine on the chain it was signed for
    chains["a"].w3.eth.send_raw_transaction(raw_for_a)
    chains["a"].mine()
    assert chains["a"].w3.eth.get_transaction_count(sender.address) == 1


def test_an_unprotected_legacy_transaction_is_refused(world):
    chain = world["perp"]
    sender = chain.accounts[0]
    raw = sender.sign_transaction(
        {"to": chain.accounts[1].address, "value": 1, "gas": 21_000, "gasPrice": 10**10, "nonce": 0}
    ).raw_transaction
    with pytest.raises(Web3RPCError, match="not replay-protected"):
        chain.w3.eth.send_raw_transaction(raw)
    with pytest.raises(WrongChainIdError, match="not replay-protected"):
        chain.send_raw_transaction(raw)


def test_funded_accounts_are_deterministic_and_different_per_chain():
    first = ChainSet.from_configs(seed=7)
    second = ChainSet.from_configs(seed=7)
    other_seed = ChainSet.from_configs(seed=8)
    addresses = {c.name: [a.address for a in c.accounts] for c in first}
    assert addresses == {c.name: [a.address for a in c.accounts] for c in second}
    assert addresses != {c.name: [a.address for a in c.accounts] for c in other_seed}
    assert len({tuple(v) for v in addresses.values()}) == 3
    for chain in first:
        assert chain.w3.eth.get_balance(chain.accounts[0].address) == 10_000 * 10**18
