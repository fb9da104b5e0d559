# pragma version 0.4.3
"""
@title MockMailbox (test only)
@notice An honest stand-in for the bridge's Mailbox: `dispatch` numbers and logs the whole message
        and returns its id (the keccak of its ABI encoding); `deliver` lets a test play the
        destination mailbox calling `recipient.handle(src_chain_id, sender, body)`.
"""

MAX_BODY: constant(uint256) = 2048
VERSION: constant(uint8) = 1

interface IMessageRecipient:
    def handle(src_chain_id: uint256, sender: address, body: Bytes[MAX_BODY]): nonpayable

event Dispatch:
    message_id: indexed(bytes32)
    nonce: uint256
    sender: address
    dst_chain_id: uint256
    recipient: address
    body: Bytes[MAX_BODY]

event Delivered:
    src_chain_id: uint256
    sender: address
    recipient: address

nonce: public(uint256)


@external
def dispatch(dst_chain_id: uint256, recipient: address, body: Bytes[MAX_BODY]) -> bytes32:
    nonce: uint256 = self.nonce
    self.nonce = nonce + 1
    message_id: bytes32 = keccak256(
        abi_encode(VERSION, nonce, chain.id, msg.sender, dst_chain_id, recipient, body)
    )
    log Dispatch(
        message_id=message_id,
        nonce=nonce,
        sender=msg.sender,
        dst_chain_id=dst_chain_id,
        recipient=recipient,
        body=body,
    )
    return message_id


@external
def deliver(src_chain_id: uint256, sender: address, recipient: address, body: Bytes[MAX_BODY]):
    extcall IMessageRecipient(recipient).handle(src_chain_id, sender, body)
    log Delivered(src_chain_id=src_chain_id, sender=sender, recipient=recipient)
