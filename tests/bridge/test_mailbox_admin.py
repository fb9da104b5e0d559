"""Mailbox administration: validator sets, thresholds and pauses are the owner's, and each change is an event."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_utils import keccak

from chains import transact
from chains.transactions import TransactionReverted
from bridge.proofs import MODE_CHECKPOINT, MODE_MULTISIG


def _sorted_addresses(count: int) -> list[str]:
    accounts = [Account.from_key(keccak(b"new validator %d" % i)).address for i in range(count)]
    return sorted(accounts, key=lambda a: int(a, 16))


def test_deployment_enrolls_every_other_chain_with_its_mode(world):
    perp = world.mailbox("perp")
    assert perp.functions.mode(world.chain_set["vault-l1"].chain_id).call() == MODE_MULTISIG
    assert perp.functions.mode(world.chain_set["vault-l2"].chain_id).call() == MODE_CHECKPOINT
    assert perp.functions.mode(world.chain_set["perp"].chain_id).call() == 0
    assert perp.functions.source_mailbox(world.chain_set["vault-l2"].chain_id).call() == world.mailbox("vault-l2").address
    validators = perp.functions.validators(world.chain_set["vault-l1"].chain_id).call()
    assert validators == [k.address for k in world.signing_keys]
    assert perp.functions.threshold(world.chain_set["vault-l1"].chain_id).call() == 3


def test_changing_the_validator_set_is_an_event_and_takes_effect(world):
    perp_chain = world.chain_set["perp"]
    perp = world.mailbox("perp")
    src = world.chain_set["vault-l1"].chain_id
    new = _sorted_addresses(4)
    receipt = transact(perp_chain, perp.functions.set_validators(src, new, 2), sender=world.deployment.owners["perp"])
    (event,) = perp.events.ValidatorSetChanged().process_receipt(receipt)
    assert event["args"]["src_chain_id"] == src
    assert event["args"]["validators"] == new
    assert event["args"]["threshold"] == 2
    assert perp.functions.threshold(src).call() == 2
    old = world.signing_keys[0].address
    assert not perp.functions.is_validator(src, old).call()
    assert perp.functions.is_validator(src, new[0]).call()
    # the old validators' signatures no longer deliver
    message = world.dispatch("vault-l1", "perp", b"after rotation")
    assert world.refusal("perp", message.encoded, world.multisig_proof(message)) == "signer not a validator"


@pytest.mark.parametrize(
    "validators, threshold, reason",
    [
        (lambda: _sorted_addresses(3), 0, "threshold must be at least 1"),
        (lambda: _sorted_addresses(3), 4, "threshold exceeds validator count"),
        (lambda: list(reversed(_sorted_addresses(3))), 2, "validators must be sorted, unique and non-zero"),
        (lambda: [_sorted_addresses(1)[0]] * 2, 1, "validators must be sorted, unique and non-zero"),
        (lambda: ["0x" + "00" * 20], 1, "validators must be sorted, unique and non-zero"),
    ],
)
def test_invalid_validator_sets_are_refused(world, validators, threshold, reason):
    perp = world.mailbox("perp")
    src = world.chain_set["vault-l1"].chain_id
    with pytest.raises(TransactionReverted) as refused:
        transact(world.chain_set["perp"], perp.functions.set_validators(src, validators(), threshold),
                 sender=world.deployment.owners["perp"], gas=1_000_000)
    assert reason in refused.value.reason
    assert perp.functions.threshold(src).call() == 3


@pytest.mark.parametrize(
    "call",
    [
        lambda w, src: w.mailbox("perp").functions.set_validators(src, _sorted_addresses(1), 1),
        lambda w, src: w.mailbox("perp").functions.set_paused(src, True),
        lambda w, src: w.mailbox("perp").functions.enroll_source(5, 1, w.mailbox("perp").address, _sorted_addresses(1), 1),
        lambda w, src: w.mailbox("perp").functions.transfer_ownership(w.chain_set["perp"].accounts[5].address),
    ],
)
def test_only_the_owner_administers(world, call):
    src = world.chain_set["vault-l1"].chain_id
    stranger = world.chain_set["perp"].accounts[5].address
    with pytest.raises(TransactionReverted) as refused:
        transact(world.chain_set["perp"], call(world, src), sender=stranger, gas=1_000_000)
    assert "caller is not the owner" in refused.value.reason


def test_pausing_is_an_event(world):
    perp = world.mailbox("perp")
    src = world.chain_set["vault-l1"].chain_id
    receipt = transact(world.chain_set["perp"], perp.functions.set_paused(src, True), sender=world.deployment.owners["perp"])
    (event,) = perp.events.PauseChanged().process_receipt(receipt)
    assert event["args"]["paused"] is True
    assert perp.functions.paused(src).call()


def test_a_source_is_enrolled_once_and_its_mode_is_fixed(world):
    perp = world.mailbox("perp")
    src = world.chain_set["vault-l1"].chain_id
    with pytest.raises(TransactionReverted) as refused:
        transact(world.chain_set["perp"], perp.functions.enroll_source(src, MODE_CHECKPOINT, perp.address,
                                                                       _sorted_addresses(1), 1),
                 sender=world.deployment.owners["perp"], gas=1_000_000)
    assert "source already enrolled" in refused.value.reason
    assert perp.functions.mode(src).call() == MODE_MULTISIG


def test_ownership_moves_with_an_event(world):
    perp_chain = world.chain_set["perp"]
    perp = world.mailbox("perp")
    heir = perp_chain.accounts[6].address
    receipt = transact(perp_chain, perp.functions.transfer_ownership(heir), sender=world.deployment.owners["perp"])
    (event,) = perp.events.OwnershipTransferred().process_receipt(receipt)
    assert event["args"]["new_owner"] == heir
    assert perp.functions.owner().call() == heir
