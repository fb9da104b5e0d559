# pragma version 0.4.3
"""
@title message_recipient
@notice The base pattern for a contract that receives bridge messages.

A recipient's `handle(src_chain_id, sender, body)` must accept a call only when
(1) msg.sender is its own mailbox, and (2) `sender` is the remote app it trusts
on `src_chain_id`. Anything else lets whoever can call `handle` (or whoever can
dispatch a message on some chain) act as the trusted remote. Use it as a module:

    import message_recipient
    initializes: message_recipient
    exports: (message_recipient.mailbox, message_recipient.trusted_remote,
              message_recipient.set_trusted_remote)

    @external
    def handle(src_chain_id: uint256, sender: address, body: Bytes[2048]):
        message_recipient._authorize(src_chain_id, sender)
        ...

or copy the two asserts of `_authorize` into a contract of your own.
"""

event TrustedRemoteSet:
    src_chain_id: indexed(uint256)
    remote: address

mailbox: public(address)
owner: public(address)
trusted_remote: public(HashMap[uint256, address])


@deploy
def __init__(mailbox: address):
    assert mailbox != empty(address), "mailbox is the zero address"
    self.mailbox = mailbox
    self.owner = msg.sender


@external
def set_trusted_remote(src_chain_id: uint256, remote: address):
    """Trust `remote` as the only sender on `src_chain_id` (the zero address trusts nobody)."""
    assert msg.sender == self.owner, "caller is not the owner"
    self.trusted_remote[src_chain_id] = remote
    log TrustedRemoteSet(src_chain_id=src_chain_id, remote=remote)


@view
@internal
def _authorize(src_chain_id: uint256, sender: address):
    assert msg.sender == self.mailbox, "caller is not the mailbox"
    trusted: address = self.trusted_remote[src_chain_id]
    assert trusted != empty(address) and sender == trusted, "sender is not the trusted remote"
