"""A chain's history recorded and replayed: the same blocks, state and pool, on either engine."""

from __future__ import annotations

import json

import pytest

from chains import Chain, ChainStateError
from chains.differential import compare_chains
from chains.history import ChainHistory, record, replay
from tests.chains.workout import CONFIG, workout


def test_a_replayed_history_gives_the_same_chain_on_the_other_engine():
    original = Chain(CONFIG, seed=5, engine="pyevm")
    workout(original)
    original.set_account(original.accounts[2].address, balance=123)  # a cheat between blocks
    original.mine()
    original.send(original.accounts[0].address, original.accounts[1].address, b"", 21_000, value=9)  # left pending

    saved = json.loads(json.dumps(record(original).to_json()))
    copy = Chain(CONFIG, seed=5, engine="revm")
    replay(copy, ChainHistory.from_json(saved))

    assert compare_chains(original, copy) == []
    assert copy.pending_transactions() == original.pending_transactions()
    assert copy.next_timestamp == original.next_timestamp
    assert copy.balance(original.accounts[2].address) == original.balance(original.accounts[2].address)
    assert copy.mine().hash == original.mine().hash  # and they go on alike


def test_a_history_for_another_chain_or_a_damaged_one_is_refused():
    chain = Chain(CONFIG, seed=5)
    chain.mine()
    history = record(chain)
    with pytest.raises(ChainStateError, match="another genesis"):
        replay(Chain(CONFIG, seed=6), history)
    with pytest.raises(ChainStateError, match="damaged chain history"):
        ChainHistory.from_json({**history.to_json(), "blocks": [["x"]]})
    with pytest.raises(ChainStateError, match="not a chain history"):
        ChainHistory.from_json({"format": "something else"})
