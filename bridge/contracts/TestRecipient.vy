# pragma version 0.4.3
"""
@title TestRecipient
@notice A bridge app for tests and benchmarks: sends messages through its mailbox,
        records every message it handles, and can be told to revert.
"""

import message_recipient

initializes: message_recipient
exports: (
    message_recipient.mailbox,
    message_recipient.owner,
    message_recipient.trusted_remote,
    message_recipient.set_trusted_remote,
)

MAX_BODY: constant(uint256) = 2048


interface IMailbox:
    def dispatch(dst_chain_id: uint256, recipient: address, body: Bytes[MAX_BODY]) -> bytes32: nonpayable


event Handled:
    src_chain_id: indexed(uint256)
    sender: indexed(address)
    body_hash: indexed(bytes32)
    count: uint256

handled_count: public(uint256)
times_handled: public(HashMap[bytes32, uint256])
last_src_chain_id: public(uint256)
last_sender: public(address)
last_body: public(Bytes[MAX_BODY])
failing: public(bool)


@deploy
def __init__(mailbox: address):
    message_recipient.__init__(mailbox)


@external
def send(dst_chain_id: uint256, recipient: address, body: Bytes[MAX_BODY]) -> bytes32:
    """Dispatch `body` through the mailbox, with this contract as the sender."""
    return extcall IMailbox(message_recipient.mailbox).dispatch(dst_chain_id, recipient, body)


@external
def set_failing(failing: bool):
    """While failing, every `handle` reverts (a recipient that is temporarily broken)."""
    assert msg.sender == message_recipient.owner, "caller is not the owner"
    self.failing = failing


@external
def handle(src_chain_id: uint256, sender: address, body: Bytes[MAX_BODY]):
    message_recipient._authorize(src_chain_id, sender)
    assert not self.failing, "TestRecipient: told to revert"
    body_hash: bytes32 = keccak256(body)
    count: uint256 = self.times_handled[body_hash] + 1
    self.times_handled[body_hash] = count
    self.handled_count += 1
    self.last_src_chain_id = src_chain_id
    self.last_sender = sender
    self.last_body = body
    log Handled(src_chain_id=src_chain_id, sender=sender, body_hash=body_hash, count=count)
