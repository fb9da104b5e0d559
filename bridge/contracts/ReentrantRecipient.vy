# pragma version 0.4.3
"""
@title ReentrantRecipient
@notice A hostile recipient for tests: inside `handle` it checks whether the mailbox
        already marked the message delivered, then tries to deliver it again.
"""

MAX_BODY: constant(uint256) = 2048
MAX_MESSAGE: constant(uint256) = 2304
MAX_PROOF: constant(uint256) = 4352


interface IMailbox:
    def delivered(message_id: bytes32) -> bool: view


mailbox: public(address)
armed_message: Bytes[MAX_MESSAGE]
armed_proof: Bytes[MAX_PROOF]
seen_delivered: public(bool)
reentry_succeeded: public(bool)
reentry_revert_data: public(Bytes[256])
handled: public(uint256)


@deploy
def __init__(mailbox: address):
    self.mailbox = mailbox


@external
def arm(message: Bytes[MAX_MESSAGE], proof: Bytes[MAX_PROOF]):
    """The message (and its proof) this recipient will try to replay while handling it."""
    self.armed_message = message
    self.armed_proof = proof


@external
def handle(src_chain_id: uint256, sender: address, body: Bytes[MAX_BODY]):
    self.handled += 1
    self.seen_delivered = staticcall IMailbox(self.mailbox).delivered(keccak256(self.armed_message))
    success: bool = False
    response: Bytes[256] = b""
    success, response = raw_call(
        self.mailbox,
        abi_encode(self.armed_message, self.armed_proof, method_id=method_id("process(bytes,bytes)")),
        max_outsize=256,
        revert_on_failure=False,
    )
    self.reentry_succeeded = success
    self.reentry_revert_data = response
