"""The message encoding and id: Python and the Mailbox agree, and decoding is strict."""

from __future__ import annotations

import pytest
from web3.exceptions import ContractLogicError
from eth_utils import keccak
from hypothesis import given, settings, strategies as st

from bridge.message import MAX_BODY, MalformedMessage, Message
from bridge.submit import simulate

ADDRESS = st.binary(min_size=20, max_size=20).map(lambda b: "0x" + b.hex())


def test_python_and_vyper_agree_on_encoding_and_id(world):
    message = world.dispatch("vault-l1", "perp", b"\x00\x01 agree \xff" * 10)
    expected = Message(
        1,
        message.nonce,
        world.chain_set["vault-l1"].chain_id,
        world.apps["vault-l1"].address,
        world.chain_set["perp"].chain_id,
        world.apps["perp"].address,
        b"\x00\x01 agree \xff" * 10,
    )
    assert expected.encoded == message.encoded
    assert expected.id == message.id == keccak(message.encoded)


def test_dispatch_returns_the_id_it_logs(world):
    mailbox = world.mailbox("vault-l1")
    chain = world.chain_set["vault-l1"]
    sender = chain.accounts[2].address
    returned = mailbox.functions.dispatch(world.chain_set["perp"].chain_id, world.apps["perp"].address, b"x").call(
        {"from": sender}
    )
    tx = mailbox.functions.dispatch(world.chain_set["perp"].chain_id, world.apps["perp"].address, b"x").transact(
        {"from": sender, "gas": 500_000}
    )
    chain.mine()
    (log,) = mailbox.events.Dispatch().process_receipt(chain.w3.eth.get_transaction_receipt(tx))
    assert log["args"]["message_id"] == returned == Message.decode(log["args"]["message"]).id


def test_nonces_count_up_per_mailbox(world):
    first = world.dispatch("vault-l1", "perp", b"a")
    second = world.dispatch("vault-l1", "vault-l2", b"b")
    assert second.nonce == first.nonce + 1
    assert world.mailbox("vault-l1").functions.nonce().call() == second.nonce + 1


@pytest.mark.parametrize(
    "dst, recipient, reason",
    [
        (0, "0x000000000000000000000000000000000000dEaD", "destination chain id is zero"),
        (31_001, "0x000000000000000000000000000000000000dEaD", "destination is this chain"),
        (31_337, "0x0000000000000000000000000000000000000000", "recipient is the zero address"),
    ],
)
def test_dispatch_refuses_bad_destinations(world, dst, recipient, reason):
    chain = world.chain_set["vault-l1"]
    call = world.mailbox("vault-l1").functions.dispatch(dst, recipient, b"x")
    assert simulate(chain, call, chain.accounts[0].address, 500_000) == reason


def test_dispatch_refuses_a_body_over_the_limit(world):
    """Vyper's ABI decoder bounds Bytes[2048] itself (a revert without a reason string)."""
    chain = world.chain_set["vault-l1"]
    call = world.mailbox("vault-l1").functions.dispatch(31_337, world.apps["perp"].address, b"x" * MAX_BODY)
    call.call({"from": chain.accounts[0].address, "gas": 2_000_000})
    with pytest.raises(ContractLogicError, match="execution reverted"):
        world.mailbox("vault-l1").functions.dispatch(31_337, world.apps["perp"].address, b"x" * (MAX_BODY + 1)).call(
            {"from": chain.accounts[0].address, "gas": 2_000_000}
        )


@settings(max_examples=200, deadline=None)
@given(
    nonce=st.integers(0, 2**256 - 1),
    src=st.integers(0, 2**256 - 1),
    dst=st.integers(0, 2**256 - 1),
    sender=ADDRESS,
    recipient=ADDRESS,
    body=st.binary(max_size=MAX_BODY),
)
def test_decode_inverts_encode(nonce, src, dst, sender, recipient, body):
    message = Message(1, nonce, src, sender, dst, recipient, body)
    assert Message.decode(message.encoded) == message
    assert len(message.encoded) == 256 + -(-len(body) // 32) * 32


def test_decoding_is_strict():
    message = Message(1, 0, 1, "0x" + "11" * 20, 2, "0x" + "22" * 20, b"abc")
    data = message.encoded
    with pytest.raises(MalformedMessage):
        Message.decode(data[:255])
    with pytest.raises(MalformedMessage):
        Message.decode(data + b"\x00" * 32)
    with pytest.raises(MalformedMessage, match="padding"):
        Message.decode(data[:-1] + b"\x01")
    with pytest.raises(MalformedMessage, match="offset"):
        Message.decode(data[:192] + (0).to_bytes(32, "big") + data[224:])
    with pytest.raises(MalformedMessage):
        Message(1, 0, 1, "0x" + "11" * 20, 2, "0x" + "22" * 20, b"x" * (MAX_BODY + 1))
