# pragma version 0.4.3
"""
@title NoopRecipient
@notice A recipient whose `handle` does nothing: measures the mailbox's own cost of `process`.
"""

MAX_BODY: constant(uint256) = 2048


@external
def handle(src_chain_id: uint256, sender: address, body: Bytes[MAX_BODY]):
    pass
