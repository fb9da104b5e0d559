"""The message tree: the Python tree matches the Mailbox's, and its proofs lead to its roots."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from hypothesis import given, settings, strategies as st

from bridge.submit import simulate
from bridge.merkle import DEPTH, ZERO_HASHES, MerkleError, MerkleTree, branch_root


def test_python_tree_matches_the_mailbox_root_after_each_dispatch(world):
    mailbox = world.mailbox("vault-l2")
    tree = MerkleTree()
    assert mailbox.functions.root().call() == tree.root() == ZERO_HASHES[DEPTH]
    for i in range(9):
        message = world.dispatch("vault-l2", "perp", b"leaf %d" % i)
        tree.append(message.id)
        assert mailbox.functions.root().call() == tree.root()
        assert list(mailbox.functions.latest_checkpoint().call()) == [tree.root(), i]


def test_latest_checkpoint_needs_a_message(world):
    mailbox = world.mailbox("vault-l2")
    assert mailbox.functions.nonce().call() == 0
    sender = world.chain_set["vault-l2"].accounts[0].address
    assert simulate(world.chain_set["vault-l2"], mailbox.functions.latest_checkpoint(), sender, 100_000) == "no message dispatched yet"


@settings(max_examples=40, deadline=None)
@given(count=st.integers(1, 70), data=st.data())
def test_every_proof_leads_to_the_root_of_its_size(count, data):
    leaves = [keccak(b"%d" % i) for i in range(count)]
    tree = MerkleTree(leaves)
    size = data.draw(st.integers(1, count))
    index = data.draw(st.integers(0, size - 1))
    assert branch_root(leaves[index], tree.proof(index, size), index) == tree.root(size)
    assert tree.root(size) == MerkleTree(leaves[:size]).root()


def test_a_proof_does_not_verify_another_leaf_or_index():
    leaves = [keccak(b"%d" % i) for i in range(5)]
    tree = MerkleTree(leaves)
    proof = tree.proof(2)
    assert branch_root(leaves[3], proof, 2) != tree.root()
    assert branch_root(leaves[2], proof, 3) != tree.root()


def test_the_tree_refuses_what_it_cannot_answer():
    tree = MerkleTree([keccak(b"a")])
    with pytest.raises(MerkleError):
        tree.proof(1)
    with pytest.raises(MerkleError):
        tree.root(2)
    with pytest.raises(MerkleError):
        tree.append(b"short")
