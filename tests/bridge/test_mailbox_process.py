"""Mailbox.process: delivery in both proof modes, and every bad input refused with its own reason."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak, to_canonical_address
from web3.logs import DISCARD

from chains import compile_contract, deploy, transact
from chains.transactions import TransactionReverted, decode_revert_data, revert_reason
from bridge.deploy import artifact
from bridge.submit import simulate
from bridge.merkle import MerkleTree
from bridge.message import Message
from bridge.proofs import (
    CHECKPOINT_DOMAIN,
    encode_checkpoint_proof,
    encode_multisig_proof,
    multisig_digest,
    sign_digest,
)

REPO = Path(__file__).resolve().parents[2]


def test_multisig_message_is_delivered_to_its_recipient(world):
    message = world.dispatch("vault-l1", "perp", b"margin locked")
    receipt = world.process("perp", message.encoded, world.multisig_proof(message))
    assert receipt["status"] == 1
    app = world.apps["perp"]
    assert world.mailbox("perp").functions.delivered(message.id).call()
    assert app.functions.times_handled(keccak(b"margin locked")).call() == 1
    assert app.functions.last_sender().call() == world.apps["vault-l1"].address
    assert app.functions.last_src_chain_id().call() == world.chain_set["vault-l1"].chain_id


def test_checkpoint_message_is_delivered_with_an_inclusion_proof(world):
    world.dispatch("vault-l2", "perp", b"first")
    message = world.dispatch("vault-l2", "perp", b"second")
    world.dispatch("vault-l2", "perp", b"third")
    receipt = world.process("perp", message.encoded, world.checkpoint_proof(message))
    assert receipt["status"] == 1
    assert world.apps["perp"].functions.times_handled(keccak(b"second")).call() == 1


def test_process_logs_the_message_id_source_and_recipient(world):
    message = world.dispatch("vault-l1", "perp", b"logged")
    receipt = world.process("perp", message.encoded, world.multisig_proof(message))
    (event,) = world.mailbox("perp").events.Process().process_receipt(receipt, errors=DISCARD)
    assert event["args"]["message_id"] == message.id
    assert event["args"]["src_chain_id"] == message.src_chain_id
    assert event["args"]["recipient"] == message.recipient


# -- the bad inputs of the issue, one reason each ------------------------------------


def test_a_replayed_message_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"once")
    proof = world.multisig_proof(message)
    assert world.process("perp", message.encoded, proof)["status"] == 1
    handled = world.apps["perp"].functions.handled_count().call()
    assert world.refusal("perp", message.encoded, proof) == "message already delivered"
    assert world.apps["perp"].functions.handled_count().call() == handled


def test_a_replayed_checkpoint_message_is_refused(world):
    message = world.dispatch("vault-l2", "perp", b"once")
    proof = world.checkpoint_proof(message)
    assert world.process("perp", message.encoded, proof)["status"] == 1
    assert world.refusal("perp", message.encoded, proof) == "message already delivered"


def test_a_message_for_another_destination_chain_is_refused(world):
    message = world.dispatch("vault-l1", "vault-l2", b"not for perp")
    proof = world.multisig_proof(message, dst="perp")
    assert world.refusal("perp", message.encoded, proof) == "wrong destination chain"


def test_a_proof_naming_another_mailbox_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"for the other mailbox")
    other = deploy(world.chain_set["perp"], artifact("Mailbox"))
    proof = world.multisig_proof(message, header_mailbox=other.address, digest_mailbox=other.address)
    assert world.refusal("perp", message.encoded, proof) == "proof is for another mailbox"


def test_signatures_for_another_mailbox_do_not_verify_here(world):
    message = world.dispatch("vault-l1", "perp", b"signed for the other mailbox")
    other = deploy(world.chain_set["perp"], artifact("Mailbox"))
    proof = world.multisig_proof(message, digest_mailbox=other.address)
    assert world.refusal("perp", message.encoded, proof) == "signature does not match signer"


def test_fewer_than_threshold_signatures_are_refused(world):
    message = world.dispatch("vault-l1", "perp", b"under threshold")
    digest = multisig_digest(world.chain_set["perp"].chain_id, world.mailbox("perp").address, message.src_chain_id, message.id)
    proof = world.multisig_proof(message, signatures=world.signatures(digest, count=2))
    assert world.refusal("perp", message.encoded, proof) == "too few signatures"


def test_an_empty_signature_list_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"no signatures")
    assert world.refusal("perp", message.encoded, world.multisig_proof(message, signatures=[])) == "too few signatures"


def test_a_duplicated_signer_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"one signer twice")
    digest = multisig_digest(world.chain_set["perp"].chain_id, world.mailbox("perp").address, message.src_chain_id, message.id)
    first, second = world.signatures(digest, count=2)
    proof = world.multisig_proof(message, signatures=[first, second, second])
    assert world.refusal("perp", message.encoded, proof) == "duplicate signer"


def test_unsorted_signers_are_refused(world):
    message = world.dispatch("vault-l1", "perp", b"out of order")
    digest = multisig_digest(world.chain_set["perp"].chain_id, world.mailbox("perp").address, message.src_chain_id, message.id)
    signatures = world.signatures(digest)
    proof = encode_multisig_proof(world.mailbox("perp").address, message.id, signatures)
    # swap the first two signer/signature records, keeping the proof well formed
    words = bytearray(proof)
    first, second = 96, 128
    words[first:first + 32], words[second:second + 32] = proof[second:second + 32], proof[first:first + 32]
    sigs_at = 96 + 32 * len(signatures)
    words[sigs_at:sigs_at + 65], words[sigs_at + 65:sigs_at + 130] = proof[sigs_at + 65:sigs_at + 130], proof[sigs_at:sigs_at + 65]
    assert world.refusal("perp", message.encoded, bytes(words)) == "signers not sorted"


def test_a_signer_outside_the_validator_set_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"outsider")
    digest = multisig_digest(world.chain_set["perp"].chain_id, world.mailbox("perp").address, message.src_chain_id, message.id)
    outsider = Account.from_key(keccak(b"not a validator"))
    signatures = world.signatures(digest, count=2) + [sign_digest(outsider.key, digest)]
    proof = world.multisig_proof(message, signatures=signatures)
    assert world.refusal("perp", message.encoded, proof) == "signer not a validator"


def test_a_signature_over_another_domain_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"other domain")
    # the same validators, signing for vault-l2 as the destination
    digest = multisig_digest(world.chain_set["vault-l2"].chain_id, world.mailbox("perp").address, message.src_chain_id, message.id)
    proof = world.multisig_proof(message, signatures=world.signatures(digest))
    assert world.refusal("perp", message.encoded, proof) == "signature does not match signer"


def test_a_checkpoint_signature_offered_as_multisig_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"wrong proof kind")
    tree = world.tree("vault-l1")
    digest = world.checkpoint_digest(message, tree.root(message.nonce + 1), message.nonce, src="vault-l1")
    proof = world.multisig_proof(message, signatures=world.signatures(digest))
    assert world.refusal("perp", message.encoded, proof) == "signature does not match signer"


def test_a_malformed_signature_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"bad v")
    proof = bytearray(world.multisig_proof(message))
    proof[-1] = 29  # v of the last signature
    assert world.refusal("perp", message.encoded, bytes(proof)) == "invalid signature"


def test_a_corrupted_body_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"pay 100 to alice")
    proof = world.multisig_proof(message)
    corrupted = replace(message, body=b"pay 900 to alice").encoded
    assert world.refusal("perp", corrupted, proof) == "message id does not match proof"


def test_a_corrupted_body_is_refused_in_checkpoint_mode(world):
    message = world.dispatch("vault-l2", "perp", b"pay 100 to alice")
    proof = world.checkpoint_proof(message)
    corrupted = replace(message, body=b"pay 900 to alice").encoded
    assert world.refusal("perp", corrupted, proof) == "message id does not match proof"


def test_a_zero_root_is_refused(world):
    message = world.dispatch("vault-l2", "perp", b"zero root")
    _, branch, _ = world.checkpoint_parts(message)
    zero = b"\x00" * 32
    digest = world.checkpoint_digest(message, zero, message.nonce)
    proof = encode_checkpoint_proof(
        world.mailbox("perp").address, message.id, zero, message.nonce, message.nonce, branch, world.signatures(digest)
    )
    assert world.refusal("perp", message.encoded, proof) == "zero root"


def test_a_root_nobody_signed_is_refused(world):
    world.dispatch("vault-l2", "perp", b"neighbour")
    message = world.dispatch("vault-l2", "perp", b"invented root")
    real_root, _, real_digest = world.checkpoint_parts(message)
    # a fake tree in which the message sits at its nonce, with validators' signatures over the real root
    fake = MerkleTree([keccak(b"fake %d" % i) for i in range(message.nonce)] + [message.id])
    assert fake.root() != real_root
    proof = encode_checkpoint_proof(
        world.mailbox("perp").address, message.id, fake.root(), message.nonce, message.nonce,
        fake.proof(message.nonce), world.signatures(real_digest),
    )
    assert world.refusal("perp", message.encoded, proof) == "root not signed by signer"


def test_an_inclusion_proof_for_another_index_is_refused(world):
    world.dispatch("vault-l2", "perp", b"neighbour")
    message = world.dispatch("vault-l2", "perp", b"target")
    tree = world.tree("vault-l2")
    size = message.nonce + 1
    root = tree.root(size)
    digest = world.checkpoint_digest(message, root, message.nonce)
    other = message.nonce - 1
    proof = encode_checkpoint_proof(
        world.mailbox("perp").address, message.id, root, message.nonce, other, tree.proof(other, size),
        world.signatures(digest),
    )
    assert world.refusal("perp", message.encoded, proof) == "proof index is not the message nonce"


def test_a_branch_for_another_leaf_does_not_reach_the_root(world):
    world.dispatch("vault-l2", "perp", b"neighbour")
    message = world.dispatch("vault-l2", "perp", b"target")
    tree = world.tree("vault-l2")
    size = message.nonce + 1
    root = tree.root(size)
    digest = world.checkpoint_digest(message, root, message.nonce)
    proof = encode_checkpoint_proof(
        world.mailbox("perp").address, message.id, root, message.nonce, message.nonce,
        tree.proof(message.nonce - 1, size), world.signatures(digest),
    )
    assert world.refusal("perp", message.encoded, proof) == "inclusion proof does not match root"


def test_a_leaf_beyond_its_checkpoint_is_refused(world):
    world.dispatch("vault-l2", "perp", b"neighbour")
    message = world.dispatch("vault-l2", "perp", b"late leaf")
    root, branch, _ = world.checkpoint_parts(message)
    earlier = message.nonce - 1
    digest = world.checkpoint_digest(message, root, earlier)
    proof = encode_checkpoint_proof(
        world.mailbox("perp").address, message.id, root, earlier, message.nonce, branch, world.signatures(digest)
    )
    assert world.refusal("perp", message.encoded, proof) == "leaf index beyond checkpoint"


def test_checkpoint_signatures_from_another_source_mailbox_are_refused(world):
    message = world.dispatch("vault-l2", "perp", b"other source domain")
    root, branch, _ = world.checkpoint_parts(message)
    digest = world.checkpoint_digest(message, root, message.nonce, src_mailbox=world.mailbox("vault-l1").address)
    proof = encode_checkpoint_proof(
        world.mailbox("perp").address, message.id, root, message.nonce, message.nonce, branch, world.signatures(digest)
    )
    assert world.refusal("perp", message.encoded, proof) == "root not signed by signer"


def test_a_checkpoint_proof_delivered_to_one_mailbox_is_refused_by_another_on_the_same_chain(world):
    perp = world.chain_set["perp"]
    owner = world.deployment.owners["perp"]
    source = world.chain_set["vault-l2"].chain_id
    validators = [k.address for k in world.signing_keys]
    second = deploy(perp, artifact("Mailbox"), sender=owner)
    transact(perp, second.functions.enroll_source(source, 2, world.mailbox("vault-l2").address, validators,
                                                  world.deployment.threshold), sender=owner)
    anyone = deploy(perp, artifact("NoopRecipient"))  # accepts a call from any mailbox
    message = world.dispatch("vault-l2", "perp", b"execute once", recipient=anyone.address)
    proof = world.checkpoint_proof(message)
    assert world.process("perp", message.encoded, proof)["status"] == 1
    readdressed = bytes(12) + to_canonical_address(second.address) + proof[32:]  # the header is not signed
    reason = simulate(perp, second.functions.process(message.encoded, readdressed), perp.accounts[1].address, 1_000_000)
    assert reason == "root not signed by signer"
    assert not second.functions.delivered(message.id).call()


def test_handle_called_by_anyone_but_the_mailbox_is_refused(world):
    perp = world.chain_set["perp"]
    app = world.apps["perp"]
    trusted = world.apps["vault-l1"].address
    with pytest.raises(TransactionReverted) as refused:
        transact(perp, app.functions.handle(world.chain_set["vault-l1"].chain_id, trusted, b"spoofed"), gas=300_000)
    assert "caller is not the mailbox" in refused.value.reason
    assert app.functions.handled_count().call() == 0


def test_a_sender_that_is_not_the_trusted_remote_is_refused(world):
    vault = world.chain_set["vault-l1"]
    # an EOA dispatches straight to the perp app: a valid message from an untrusted sender
    tx = world.mailbox("vault-l1").functions.dispatch(
        world.chain_set["perp"].chain_id, world.apps["perp"].address, b"impostor"
    ).transact({"from": vault.accounts[3].address, "gas": 500_000})
    vault.mine()
    logs = world.mailbox("vault-l1").events.Dispatch().process_receipt(vault.w3.eth.get_transaction_receipt(tx))
    message = Message.decode(logs[0]["args"]["message"])
    assert world.refusal("perp", message.encoded, world.multisig_proof(message)) == "sender is not the trusted remote"


# -- other refusals ---------------------------------------------------------------------


def test_a_message_from_an_unknown_source_chain_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"unknown source")
    forged = replace(message, src_chain_id=999)
    assert world.refusal("perp", forged.encoded, world.multisig_proof(forged)) == "unknown source chain"


def test_a_paused_source_is_refused_until_resumed(world):
    perp = world.chain_set["perp"]
    mailbox = world.mailbox("perp")
    message = world.dispatch("vault-l1", "perp", b"during the pause")
    proof = world.multisig_proof(message)
    transact(perp, mailbox.functions.set_paused(message.src_chain_id, True), sender=world.deployment.owners["perp"])
    assert world.refusal("perp", message.encoded, proof) == "source chain paused"
    transact(perp, mailbox.functions.set_paused(message.src_chain_id, False), sender=world.deployment.owners["perp"])
    assert world.process("perp", message.encoded, proof)["status"] == 1


def test_malformed_messages_and_proofs_are_refused(world):
    message = world.dispatch("vault-l1", "perp", b"well formed")
    proof = world.multisig_proof(message)
    assert world.refusal("perp", message.encoded[:200], proof) == "malformed message"
    assert world.refusal("perp", message.encoded + b"\x00" * 32, proof) == "malformed message"
    assert world.refusal("perp", message.encoded, proof[:40]) == "malformed proof"
    assert world.refusal("perp", message.encoded, proof[:64]) == "malformed proof"  # a header and nothing else
    assert world.refusal("perp", message.encoded, proof + b"\x00") == "malformed proof"
    unknown_version = replace(message, version=2)
    assert world.refusal("perp", unknown_version.encoded, world.multisig_proof(unknown_version)) == "unsupported message version"


def test_a_recipient_without_code_is_refused(world):
    message = world.dispatch("vault-l1", "perp", b"to nobody", recipient="0x000000000000000000000000000000000000dEaD")
    assert world.refusal("perp", message.encoded, world.multisig_proof(message)) == "recipient is not a contract"


def test_the_mailbox_calls_only_handle(world):
    # a contract with other functions but no handle: the message cannot make the mailbox call them
    counter = deploy(world.chain_set["perp"], compile_contract(REPO / "chains" / "contracts" / "Counter.vy"))
    message = world.dispatch("vault-l1", "perp", b"increment()", recipient=counter.address)
    world.refusal("perp", message.encoded, world.multisig_proof(message))
    assert counter.functions.count().call() == 0


def test_a_message_is_delivered_before_handle_runs_and_cannot_be_reentered(world):
    perp = world.chain_set["perp"]
    hostile = deploy(perp, artifact("ReentrantRecipient"), world.mailbox("perp").address)
    message = world.dispatch("vault-l1", "perp", b"again, from inside", recipient=hostile.address)
    proof = world.multisig_proof(message)
    transact(perp, hostile.functions.arm(message.encoded, proof))
    assert world.process("perp", message.encoded, proof)["status"] == 1
    assert hostile.functions.handled().call() == 1
    assert hostile.functions.seen_delivered().call()
    assert not hostile.functions.reentry_succeeded().call()
    assert decode_revert_data(hostile.functions.reentry_revert_data().call()) == "message already delivered"


# -- failed handle -----------------------------------------------------------------------


def test_a_failed_handle_leaves_the_message_undelivered_and_retryable(world):
    perp = world.chain_set["perp"]
    app = world.apps["perp"]
    owner = world.deployment.owners["perp"]
    transact(perp, app.functions.set_failing(True), sender=owner)
    message = world.dispatch("vault-l1", "perp", b"retry me")
    proof = world.multisig_proof(message)
    receipt = world.process("perp", message.encoded, proof)
    assert receipt["status"] == 0
    assert "TestRecipient: told to revert" in revert_reason(perp, receipt["transactionHash"])
    assert not world.mailbox("perp").functions.delivered(message.id).call()
    transact(perp, app.functions.set_failing(False), sender=owner)
    assert world.process("perp", message.encoded, proof)["status"] == 1
    assert app.functions.times_handled(keccak(b"retry me")).call() == 1


def test_checkpoint_domain_constant_matches_python(world):
    assert world.mailbox("perp").functions.CHECKPOINT_DOMAIN().call() == CHECKPOINT_DOMAIN
