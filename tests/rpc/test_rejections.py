"""Refused transactions: another chain's id, a bad nonce, too little ether, an unknown account.

Each is answered with -32000 and leaves the chain exactly as it was.
"""

from __future__ import annotations

import pytest
from eth_account import Account


def test_a_transaction_signed_for_one_chain_is_refused_by_the_others_and_accepted_by_its_own(
    world, rpcs, chain_state, signed_transfer
):
    signer = world["vault-l1"].accounts[0]
    raw = signed_transfer(signer, chain_id=31001, nonce=0, to=world["vault-l1"].accounts[1].address)
    for name in ("perp", "vault-l2"):
        chain = world[name]
        chain.add_account(signer)  # even a key the other chain knows cannot replay it
        before = chain_state(chain, signer.address)

        error = rpcs[name].error("eth_sendRawTransaction", raw)

        assert error["code"] == -32000
        assert "signed for chain id 31001" in error["message"] and str(chain.chain_id) in error["message"]
        assert chain_state(chain, signer.address) == before

    tx_hash = rpcs["vault-l1"].call("eth_sendRawTransaction", raw)
    assert tx_hash in [h.to_0x_hex() for h in world["vault-l1"].pending_transactions()]


def test_an_unprotected_transaction_is_refused(perp_rpc, world, chain_state):
    signer = world["perp"].accounts[0]
    legacy = {"to": world["perp"].accounts[1].address, "value": 1, "gas": 21_000, "gasPrice": 10**10, "nonce": 0}
    raw = Account.sign_transaction(legacy, signer.key).raw_transaction.to_0x_hex()  # no chain id: EIP-155 off
    before = chain_state(world["perp"], signer.address)

    error = perp_rpc.error("eth_sendRawTransaction", raw)

    assert error["code"] == -32000 and "not replay-protected" in error["message"]
    assert chain_state(world["perp"], signer.address) == before


@pytest.mark.parametrize(
    "change, wording",
    [
        ({"value": 10**30}, "insufficient funds"),
        ({"gas": 20_000}, "intrinsic gas too low"),
        ({"gas": 10**9}, "exceeds block gas limit"),
        ({"maxFeePerGas": 10**9, "maxPriorityFeePerGas": 2 * 10**9}, "max priority fee per gas higher than max fee"),
    ],
)
def test_invalid_transactions_get_geths_wording_and_change_nothing(
    perp_rpc, world, change, wording, chain_state, signed_transfer
):
    signer = world["perp"].accounts[2]
    raw = signed_transfer(signer, **{"chain_id": 31337, "nonce": 0, "to": world["perp"].accounts[1].address, **change})
    before = chain_state(world["perp"], signer.address)

    error = perp_rpc.error("eth_sendRawTransaction", raw)

    assert error["code"] == -32000 and error["message"].startswith(wording)
    assert chain_state(world["perp"], signer.address) == before


def test_a_future_nonce_waits_in_the_pool_until_the_gap_fills(perp_rpc, world, signed_transfer):
    signer, recipient = world["perp"].accounts[2], world["perp"].accounts[1].address
    later = perp_rpc.call("eth_sendRawTransaction", signed_transfer(signer, chain_id=31337, nonce=1, to=recipient))
    perp_rpc.call("evm_mine")
    assert perp_rpc.call("eth_getTransactionReceipt", later) is None  # nonce 0 is missing: it waits
    assert perp_rpc.call("eth_getTransactionCount", signer.address, "pending") == "0x0"

    first = perp_rpc.call("eth_sendRawTransaction", signed_transfer(signer, chain_id=31337, nonce=0, to=recipient))
    perp_rpc.call("evm_mine")

    block = perp_rpc.call("eth_getBlockByNumber", "latest", False)
    assert block["transactions"] == [first, later]


def test_a_fee_cap_below_the_base_fee_waits_instead_of_being_refused(perp_rpc, world, signed_transfer):
    chain = world["perp"]
    signer = chain.accounts[2]
    cheap = signed_transfer(signer, chain_id=31337, nonce=0, to=chain.accounts[1].address,
                            maxFeePerGas=chain.next_base_fee - 1, maxPriorityFeePerGas=0)
    tx_hash = perp_rpc.call("eth_sendRawTransaction", cheap)
    perp_rpc.call("evm_mine")
    assert perp_rpc.call("eth_getTransactionReceipt", tx_hash) is None
    assert tx_hash in [h.to_0x_hex() for h in chain.pending_transactions()]
    perp_rpc.call("evm_mine", {"blocks": 3})  # empty blocks: the base fee falls below its cap
    assert perp_rpc.call("eth_getTransactionReceipt", tx_hash)["status"] == "0x1"


def test_a_replayed_transaction_is_nonce_too_low(perp_rpc, world, chain_state, signed_transfer):
    signer = world["perp"].accounts[2]
    raw = signed_transfer(signer, chain_id=31337, nonce=0, to=world["perp"].accounts[1].address)
    perp_rpc.call("eth_sendRawTransaction", raw)
    perp_rpc.call("evm_mine")
    before = chain_state(world["perp"], signer.address)

    error = perp_rpc.error("eth_sendRawTransaction", raw)

    assert error["code"] == -32000 and error["message"].startswith("nonce too low")
    assert chain_state(world["perp"], signer.address) == before


def test_garbage_instead_of_a_signed_transaction_is_invalid_params(perp_rpc, world, chain_state):
    before = chain_state(world["perp"], world["perp"].accounts[0].address)
    assert perp_rpc.error("eth_sendRawTransaction", "0x02abcd")["code"] == -32602
    assert perp_rpc.error("eth_sendRawTransaction", "not hex")["code"] == -32602
    assert chain_state(world["perp"], world["perp"].accounts[0].address) == before


def test_eth_send_transaction_signs_only_for_the_funded_accounts(perp_rpc, world):
    stranger = Account.create().address
    error = perp_rpc.error("eth_sendTransaction", {"from": stranger, "to": stranger, "value": "0x1"})
    assert error["code"] == -32000 and "unknown account" in error["message"]
    missing = perp_rpc.error("eth_sendTransaction", {"to": stranger, "value": "0x1"})
    assert missing["code"] == -32602 and "from" in missing["message"]
    assert world["perp"].pending_transactions() == ()


def test_fields_the_endpoint_cannot_honour_are_refused_and_unknown_ones_ignored(perp_rpc, world):
    sender = world["perp"].accounts[0].address
    error = perp_rpc.error("eth_call", {"from": sender, "to": sender, "authorizationList": [{"chainId": "0x1"}]})
    assert error["code"] == -32602 and "authorizationList" in error["message"]
    assert perp_rpc.call("eth_call", {"from": sender, "to": sender, "someWalletExtra": True}) == "0x"
