# pragma version 0.4.3
"""
@title Mailbox
@notice Sends messages to other chains and delivers verified messages from them.

A message is abi_encode(uint8 version, uint256 nonce, uint256 src_chain_id,
address sender, uint256 dst_chain_id, address recipient, bytes body); its id is
the keccak256 of that encoding. `dispatch` appends the id to an incremental
Merkle tree (depth 32, leaf index == nonce) and logs the whole message.

`process(message, proof)` delivers a message from an enrolled source chain. The
proof is packed, big-endian, 32-byte words unless noted:

    header      dst_mailbox | message_id
    multisig    header | n | signer[n] | signature[n] (65 bytes each: r | s | v)
    checkpoint  header | root | checkpoint_index | leaf_index | branch[32]
                       | n | signer[n] | signature[n]

Multisig validators sign keccak256(abi_encode(MULTISIG_DOMAIN, dst_chain_id,
dst_mailbox, src_chain_id, message_id)); checkpoint validators sign
keccak256(abi_encode(CHECKPOINT_DOMAIN, dst_chain_id, dst_mailbox, src_chain_id,
src_mailbox, root, checkpoint_index)), where checkpoint_index is the index of the
last leaf in the tree whose root is `root`. Both digests name the destination
mailbox (the proof's header does not count: nobody signs it), so a proof made for
one mailbox is refused by any other, on this chain or another. Signers are listed
in ascending order, without repeats, and at least `threshold` of them must sign.

A message is marked delivered before its recipient's `handle` runs; if `handle`
reverts, `process` reverts with the recipient's reason and the message stays
undelivered, so it can be retried. `handle` is the only call the mailbox makes.
"""

MAX_BODY: constant(uint256) = 2048
HEAD_SIZE: constant(uint256) = 256
MAX_MESSAGE: constant(uint256) = HEAD_SIZE + MAX_BODY
MAX_VALIDATORS: constant(uint256) = 32
TREE_DEPTH: constant(uint256) = 32
MAX_LEAVES: constant(uint256) = 2**TREE_DEPTH - 1
SIGNATURE_SIZE: constant(uint256) = 65
HEADER_SIZE: constant(uint256) = 64
CHECKPOINT_SIGNATURES_AT: constant(uint256) = HEADER_SIZE + 96 + 32 * TREE_DEPTH
MAX_PROOF: constant(uint256) = CHECKPOINT_SIGNATURES_AT + 32 + MAX_VALIDATORS * (32 + SIGNATURE_SIZE)

VERSION: public(constant(uint8)) = 1
MODE_MULTISIG: public(constant(uint8)) = 1
MODE_CHECKPOINT: public(constant(uint8)) = 2
MULTISIG_DOMAIN: public(constant(bytes32)) = keccak256("xmargin.bridge.multisig.v1")
CHECKPOINT_DOMAIN: public(constant(bytes32)) = keccak256("xmargin.bridge.checkpoint.v2")
ADDRESS_BOUND: constant(uint256) = 2**160
# secp256k1 order / 2: a larger s is the malleable twin of a valid signature
HALF_ORDER: constant(uint256) = 57896044618658097711785492504343953926418782139537452191302581570759080747168


interface IMessageRecipient:
    def handle(src_chain_id: uint256, sender: address, body: Bytes[MAX_BODY]): nonpayable


event Dispatch:
    message_id: indexed(bytes32)
    dst_chain_id: indexed(uint256)
    sender: indexed(address)
    message: Bytes[MAX_MESSAGE]

event Process:
    message_id: indexed(bytes32)
    src_chain_id: indexed(uint256)
    recipient: indexed(address)

event SourceEnrolled:
    src_chain_id: indexed(uint256)
    mode: uint8
    source_mailbox: address

event ValidatorSetChanged:
    src_chain_id: indexed(uint256)
    validators: DynArray[address, MAX_VALIDATORS]
    threshold: uint256

event PauseChanged:
    src_chain_id: indexed(uint256)
    paused: bool

event OwnershipTransferred:
    previous_owner: indexed(address)
    new_owner: indexed(address)


owner: public(address)
nonce: public(uint256)
delivered: public(HashMap[bytes32, bool])
mode: public(HashMap[uint256, uint8])
source_mailbox: public(HashMap[uint256, address])
threshold: public(HashMap[uint256, uint256])
paused: public(HashMap[uint256, bool])
is_validator: public(HashMap[uint256, HashMap[address, bool]])
_validators: HashMap[uint256, DynArray[address, MAX_VALIDATORS]]
_branch: bytes32[TREE_DEPTH]


@deploy
def __init__():
    self.owner = msg.sender
    log OwnershipTransferred(previous_owner=empty(address), new_owner=msg.sender)


# -- sending -----------------------------------------------------------------

@external
def dispatch(dst_chain_id: uint256, recipient: address, body: Bytes[MAX_BODY]) -> bytes32:
    """Send `body` from msg.sender to `recipient` on chain `dst_chain_id`; returns the message id."""
    assert dst_chain_id != 0, "destination chain id is zero"
    assert dst_chain_id != chain.id, "destination is this chain"
    assert recipient != empty(address), "recipient is the zero address"
    nonce: uint256 = self.nonce
    assert nonce < MAX_LEAVES, "message tree is full"
    message: Bytes[MAX_MESSAGE] = abi_encode(VERSION, nonce, chain.id, msg.sender, dst_chain_id, recipient, body)
    message_id: bytes32 = keccak256(message)
    self._insert(message_id, nonce + 1)
    self.nonce = nonce + 1
    log Dispatch(message_id=message_id, dst_chain_id=dst_chain_id, sender=msg.sender, message=message)
    return message_id


@internal
def _insert(leaf: bytes32, size: uint256):
    node: bytes32 = leaf
    remaining: uint256 = size
    for height: uint256 in range(TREE_DEPTH):
        if remaining & 1 == 1:
            self._branch[height] = node
            return
        node = keccak256(concat(self._branch[height], node))
        remaining = remaining >> 1
    raise "message tree is full"


@view
@external
def root() -> bytes32:
    """Root of the tree of every message id dispatched so far."""
    return self._root()


@view
@external
def latest_checkpoint() -> (bytes32, uint256):
    """(root, index of the last leaf); reverts while no message was dispatched."""
    assert self.nonce > 0, "no message dispatched yet"
    return self._root(), self.nonce - 1


@view
@internal
def _root() -> bytes32:
    node: bytes32 = empty(bytes32)
    zero: bytes32 = empty(bytes32)
    size: uint256 = self.nonce
    for height: uint256 in range(TREE_DEPTH):
        if (size >> height) & 1 == 1:
            node = keccak256(concat(self._branch[height], node))
        else:
            node = keccak256(concat(node, zero))
        zero = keccak256(concat(zero, zero))
    return node


# -- receiving ---------------------------------------------------------------

@external
def process(message: Bytes[MAX_MESSAGE], proof: Bytes[MAX_PROOF]):
    """Verify `proof` for `message` and deliver it to its recipient, exactly once."""
    assert len(message) >= HEAD_SIZE, "malformed message"
    assert extract32(message, 0, output_type=uint256) == convert(VERSION, uint256), "unsupported message version"
    assert extract32(message, 128, output_type=uint256) == chain.id, "wrong destination chain"
    sender_word: uint256 = extract32(message, 96, output_type=uint256)
    recipient_word: uint256 = extract32(message, 160, output_type=uint256)
    body_length: uint256 = extract32(message, 224, output_type=uint256)
    assert sender_word < ADDRESS_BOUND and recipient_word < ADDRESS_BOUND, "malformed message"
    assert extract32(message, 192, output_type=uint256) == HEAD_SIZE - 32, "malformed message"
    assert body_length <= MAX_BODY, "malformed message"
    assert len(message) == HEAD_SIZE + (body_length + 31) // 32 * 32, "malformed message"

    src_chain_id: uint256 = extract32(message, 64, output_type=uint256)
    mode: uint8 = self.mode[src_chain_id]
    assert mode != 0, "unknown source chain"
    assert not self.paused[src_chain_id], "source chain paused"
    message_id: bytes32 = keccak256(message)
    assert not self.delivered[message_id], "message already delivered"

    assert len(proof) >= HEADER_SIZE, "malformed proof"
    assert extract32(proof, 0, output_type=uint256) == convert(self, uint256), "proof is for another mailbox"
    assert extract32(proof, 32) == message_id, "message id does not match proof"
    if mode == MODE_MULTISIG:
        digest: bytes32 = keccak256(abi_encode(MULTISIG_DOMAIN, chain.id, self, src_chain_id, message_id))
        self._verify_signatures(src_chain_id, digest, proof, HEADER_SIZE, "signature does not match signer")
    else:
        self._verify_checkpoint(src_chain_id, message_id, extract32(message, 32, output_type=uint256), proof)

    recipient: address = convert(convert(recipient_word, uint160), address)
    assert recipient.is_contract, "recipient is not a contract"
    self.delivered[message_id] = True
    log Process(message_id=message_id, src_chain_id=src_chain_id, recipient=recipient)
    version: uint8 = 0
    nonce: uint256 = 0
    src: uint256 = 0
    sender: address = empty(address)
    dst: uint256 = 0
    to: address = empty(address)
    body: Bytes[MAX_BODY] = b""
    # the checks above make this decode total (it cannot revert)
    version, nonce, src, sender, dst, to, body = abi_decode(
        message, (uint8, uint256, uint256, address, uint256, address, Bytes[MAX_BODY])
    )
    extcall IMessageRecipient(recipient).handle(src_chain_id, sender, body)


@internal
def _verify_checkpoint(src_chain_id: uint256, message_id: bytes32, nonce: uint256, proof: Bytes[MAX_PROOF]):
    assert len(proof) >= CHECKPOINT_SIGNATURES_AT + 32, "malformed proof"
    root: bytes32 = extract32(proof, HEADER_SIZE)
    checkpoint_index: uint256 = extract32(proof, HEADER_SIZE + 32, output_type=uint256)
    leaf_index: uint256 = extract32(proof, HEADER_SIZE + 64, output_type=uint256)
    assert root != empty(bytes32), "zero root"
    assert leaf_index == nonce, "proof index is not the message nonce"
    assert leaf_index <= checkpoint_index, "leaf index beyond checkpoint"
    node: bytes32 = message_id
    for height: uint256 in range(TREE_DEPTH):
        sibling: bytes32 = extract32(proof, HEADER_SIZE + 96 + 32 * height)
        if (leaf_index >> height) & 1 == 1:
            node = keccak256(concat(sibling, node))
        else:
            node = keccak256(concat(node, sibling))
    assert node == root, "inclusion proof does not match root"
    digest: bytes32 = keccak256(
        abi_encode(
            CHECKPOINT_DOMAIN, chain.id, self, src_chain_id, self.source_mailbox[src_chain_id], root, checkpoint_index
        )
    )
    self._verify_signatures(src_chain_id, digest, proof, CHECKPOINT_SIGNATURES_AT, "root not signed by signer")


@view
@internal
def _verify_signatures(src_chain_id: uint256, digest: bytes32, proof: Bytes[MAX_PROOF], at: uint256, mismatch: String[40]):
    assert len(proof) >= at + 32, "malformed proof"
    count: uint256 = extract32(proof, at, output_type=uint256)
    assert count <= MAX_VALIDATORS, "malformed proof"
    assert len(proof) == at + 32 + count * (32 + SIGNATURE_SIZE), "malformed proof"
    assert count >= self.threshold[src_chain_id], "too few signatures"
    signatures_at: uint256 = at + 32 + 32 * count
    previous: uint256 = 0
    for i: uint256 in range(count, bound=MAX_VALIDATORS):
        word: uint256 = extract32(proof, at + 32 + 32 * i, output_type=uint256)
        assert word < ADDRESS_BOUND, "malformed proof"
        if i > 0:
            assert word != previous, "duplicate signer"
            assert word > previous, "signers not sorted"
        previous = word
        signer: address = convert(convert(word, uint160), address)
        assert self.is_validator[src_chain_id][signer], "signer not a validator"
        offset: uint256 = signatures_at + SIGNATURE_SIZE * i
        r: uint256 = extract32(proof, offset, output_type=uint256)
        s: uint256 = extract32(proof, offset + 32, output_type=uint256)
        v: uint256 = convert(slice(proof, offset + 64, 1), uint256)
        assert (v == 27 or v == 28) and r != 0 and s != 0 and s <= HALF_ORDER, "invalid signature"
        assert ecrecover(digest, v, r, s) == signer, mismatch


# -- administration ----------------------------------------------------------

@external
def enroll_source(
    src_chain_id: uint256,
    mode: uint8,
    source_mailbox: address,
    validators: DynArray[address, MAX_VALIDATORS],
    threshold: uint256,
):
    """Accept messages from `src_chain_id`'s mailbox, proven in `mode`; the mode is fixed from then on."""
    assert msg.sender == self.owner, "caller is not the owner"
    assert src_chain_id != 0 and src_chain_id != chain.id, "invalid source chain id"
    assert self.mode[src_chain_id] == 0, "source already enrolled"
    assert mode == MODE_MULTISIG or mode == MODE_CHECKPOINT, "unknown proof mode"
    assert source_mailbox != empty(address), "source mailbox is the zero address"
    self.mode[src_chain_id] = mode
    self.source_mailbox[src_chain_id] = source_mailbox
    log SourceEnrolled(src_chain_id=src_chain_id, mode=mode, source_mailbox=source_mailbox)
    self._set_validators(src_chain_id, validators, threshold)


@external
def set_validators(src_chain_id: uint256, validators: DynArray[address, MAX_VALIDATORS], threshold: uint256):
    """Replace the validator set and threshold of an enrolled source chain."""
    assert msg.sender == self.owner, "caller is not the owner"
    assert self.mode[src_chain_id] != 0, "unknown source chain"
    self._set_validators(src_chain_id, validators, threshold)


@internal
def _set_validators(src_chain_id: uint256, validators: DynArray[address, MAX_VALIDATORS], threshold: uint256):
    assert threshold >= 1, "threshold must be at least 1"
    assert threshold <= len(validators), "threshold exceeds validator count"
    for old: address in self._validators[src_chain_id]:
        self.is_validator[src_chain_id][old] = False
    previous: uint256 = 0
    for validator: address in validators:
        word: uint256 = convert(validator, uint256)
        assert word > previous, "validators must be sorted, unique and non-zero"
        previous = word
        self.is_validator[src_chain_id][validator] = True
    self._validators[src_chain_id] = validators
    self.threshold[src_chain_id] = threshold
    log ValidatorSetChanged(src_chain_id=src_chain_id, validators=validators, threshold=threshold)


@view
@external
def validators(src_chain_id: uint256) -> DynArray[address, MAX_VALIDATORS]:
    return self._validators[src_chain_id]


@external
def set_paused(src_chain_id: uint256, paused: bool):
    """Stop (or resume) delivering messages from `src_chain_id`; dispatching is unaffected."""
    assert msg.sender == self.owner, "caller is not the owner"
    assert self.mode[src_chain_id] != 0, "unknown source chain"
    self.paused[src_chain_id] = paused
    log PauseChanged(src_chain_id=src_chain_id, paused=paused)


@external
def transfer_ownership(new_owner: address):
    assert msg.sender == self.owner, "caller is not the owner"
    assert new_owner != empty(address), "new owner is the zero address"
    log OwnershipTransferred(previous_owner=self.owner, new_owner=new_owner)
    self.owner = new_owner
