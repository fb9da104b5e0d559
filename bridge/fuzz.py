"""A fuzz target for ``Mailbox.process``: genuine messages and proofs, mutated, against deployed mailboxes.

The world: on the perp chain the target mailbox enrolls ``vault-l1`` in multisig mode and
``vault-l2`` in checkpoint mode, and a second mailbox on the same chain enrolls both
sources with the same validators; ``vault-l2`` has a mailbox that enrolls ``vault-l1``.
The seeds are genuine messages with genuine proofs: to the target (some already
delivered, so a replay is one mutation away), to the second mailbox's chain but signed
for the target, and to another chain. Every recipient accepts any call, so nothing but
the mailbox stands between an input and its execution.

Hypothesis draws a seed, a mailbox and one to four mutations: bit flips, whole words set
to edge values or to words of other seeds, message fields edited, truncation and
extension, signatures swapped, dropped, duplicated or made malleable, Merkle siblings
and indices changed, proofs spliced between seeds. Each input is tried with an
``eth_call`` of ``process`` on the pending state (which fuzzing never changes). An
accepted input is correct only if it delivers a genuinely dispatched message, not yet
delivered, at the mailbox its validators signed for; any other acceptance is a false
acceptance. The goal is none.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from eth_utils import keccak, to_canonical_address
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from web3.contract import Contract

from bridge.deploy import artifact, validator_accounts
from bridge.merkle import MerkleTree
from bridge.message import HEAD_SIZE, Message
from bridge.proofs import (
    CHECKPOINT_SIGNATURES_AT,
    HEADER_SIZE,
    MODE_CHECKPOINT,
    MODE_MULTISIG,
    SIGNATURE_SIZE,
    checkpoint_digest,
    encode_checkpoint_proof,
    encode_multisig_proof,
    multisig_digest,
    sign_digest,
)
from bridge.submit import simulate
from bridge.watcher import DISPATCH_TOPIC, dispatch_message
from chains import ChainSet, deploy, transact
from chains.compiler import Artifact
from chains.config import DEFAULT_WORLD

GAS = 2_000_000
VALIDATORS, THRESHOLD = 5, 3
HALF_ORDER = 57896044618658097711785492504343953926418782139537452191302581570759080747168
ORDER = 2 * HALF_ORDER + 1
EDGE_WORDS = (0, 1, 2**160 - 1, 2**160, 2**255, 2**256 - 1, HALF_ORDER, HALF_ORDER + 1, ORDER - 1)


@dataclass(frozen=True)
class Seed:
    name: str
    message: bytes
    proof: bytes
    mode: int
    acceptable: bool  # genuine, undelivered, signed for the target: the only inputs that may be accepted


@dataclass
class FuzzReport:
    tried: int = 0
    accepted: int = 0  # correct acceptances (a genuine message, first delivery, right mailbox)
    false_acceptances: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    first_false: dict[str, Any] | None = None  # the first falsely accepted input: its seed and mutations


class MailboxFuzzTarget:
    """The deployed world and its seeds; :meth:`attempt` tries one input."""

    def __init__(self, mailbox: Artifact | None = None, world_seed: int = 0) -> None:
        """``mailbox``: the Mailbox build under test (default: the shipped one) for both perp mailboxes."""
        build = mailbox or artifact("Mailbox")
        self.chains = ChainSet.from_configs(DEFAULT_WORLD, seed=world_seed)
        src_multisig, src_checkpoint, perp = (self.chains[n] for n in ("vault-l1", "vault-l2", "perp"))
        self.validators = sorted(validator_accounts(world_seed + 7919, VALIDATORS), key=lambda a: int(a.address, 16))
        addresses = [v.address for v in self.validators]
        self.sources = {chain.name: deploy(chain, artifact("Mailbox")) for chain in (src_multisig, src_checkpoint)}
        self.target = deploy(perp, build)
        self.other = deploy(perp, build)  # a second mailbox on the same chain, trusting the same sources
        far = deploy(src_checkpoint, artifact("Mailbox"))  # on another chain, trusting vault-l1
        for mailbox in (self.target, self.other):
            transact(perp, mailbox.functions.enroll_source(src_multisig.chain_id, MODE_MULTISIG,
                                                           self.sources["vault-l1"].address, addresses, THRESHOLD))
            transact(perp, mailbox.functions.enroll_source(src_checkpoint.chain_id, MODE_CHECKPOINT,
                                                           self.sources["vault-l2"].address, addresses, THRESHOLD))
        transact(src_checkpoint, far.functions.enroll_source(src_multisig.chain_id, MODE_MULTISIG,
                                                             self.sources["vault-l1"].address, addresses, THRESHOLD))
        recipient = deploy(perp, artifact("NoopRecipient")).address
        far_recipient = deploy(src_checkpoint, artifact("NoopRecipient")).address
        self.sender = perp.accounts[1].address
        self.seeds = self._seeds(recipient, far, far_recipient)
        self.words = sorted({int.from_bytes(s.proof[i:i + 32], "big") for s in self.seeds
                             for i in range(0, len(s.proof) - 31, 32)} | set(EDGE_WORDS))

    def _dispatch(self, source: str, dst_chain: str, recipient: str, body: bytes) -> Message:
        chain = self.chains[source]
        receipt = transact(chain, self.sources[source].functions.dispatch(self.chains[dst_chain].chain_id, recipient, body))
        (log,) = [l for l in receipt["logs"] if bytes(l["topics"][0]) == DISPATCH_TOPIC]
        return dispatch_message(log)

    def _signatures(self, digest: bytes, count: int = THRESHOLD) -> list:
        return [sign_digest(v.key, digest) for v in self.validators[:count]]

    def _multisig(self, message: Message, mailbox: Contract, count: int = THRESHOLD) -> bytes:
        digest = multisig_digest(message.dst_chain_id, mailbox.address, message.src_chain_id, message.id)
        return encode_multisig_proof(mailbox.address, message.id, self._signatures(digest, count))

    def _checkpoint(self, tree: MerkleTree, message: Message, index: int) -> bytes:
        root = tree.root(index + 1)
        digest = checkpoint_digest(message.dst_chain_id, self.target.address, message.src_chain_id,
                                   self.sources["vault-l2"].address, root, index)
        return encode_checkpoint_proof(self.target.address, message.id, root, index, message.nonce,
                                       tree.proof(message.nonce, index + 1), self._signatures(digest))

    def _seeds(self, recipient: str, far: Contract, far_recipient: str) -> list[Seed]:
        bodies = (b"", b"margin locked", bytes(range(33)), keccak(b"seize") * 3 + b"\x01")
        multisig = [self._dispatch("vault-l1", "perp", recipient, body) for body in bodies]
        checkpoint = [self._dispatch("vault-l2", "perp", recipient, body) for body in bodies]
        elsewhere = self._dispatch("vault-l1", "vault-l2", far_recipient, b"for vault-l2")
        tree = MerkleTree([m.id for m in checkpoint])
        last = len(checkpoint) - 1
        seeds = [
            Seed("multisig, delivered", multisig[0].encoded, self._multisig(multisig[0], self.target), MODE_MULTISIG, False),
            Seed("checkpoint, delivered", checkpoint[0].encoded, self._checkpoint(tree, checkpoint[0], 0), MODE_CHECKPOINT, False),
            *(Seed(f"multisig {i}", m.encoded, self._multisig(m, self.target), MODE_MULTISIG, True)
              for i, m in enumerate(multisig[1:], 1)),
            Seed("multisig, every signature", multisig[1].encoded, self._multisig(multisig[1], self.target, VALIDATORS),
                 MODE_MULTISIG, True),
            *(Seed(f"checkpoint {i}", m.encoded, self._checkpoint(tree, m, m.nonce), MODE_CHECKPOINT, True)
              for i, m in enumerate(checkpoint[1:], 1)),
            Seed("checkpoint, a later root", checkpoint[1].encoded, self._checkpoint(tree, checkpoint[1], last),
                 MODE_CHECKPOINT, True),
            Seed("for another chain", elsewhere.encoded, self._multisig(elsewhere, far), MODE_MULTISIG, False),
        ]
        perp = self.chains["perp"]
        for delivered in seeds[:2]:
            transact(perp, self.target.functions.process(delivered.message, delivered.proof), gas=GAS)
        return seeds

    # -- one input --------------------------------------------------------------------

    def attempt(self, message: bytes, proof: bytes, at_target: bool) -> str | None:
        """The chain's refusal of ``process(message, proof)`` at the target (else the second mailbox), or None."""
        mailbox = self.target if at_target else self.other
        return simulate(self.chains["perp"], mailbox.functions.process(message, proof), self.sender, GAS)

    def acceptable(self, message: bytes, at_target: bool) -> bool:
        """May ``message`` be accepted: a genuine one not yet delivered, at the mailbox it was signed for?"""
        return at_target and any(s.acceptable and s.message == message for s in self.seeds)

    def mutate(self, mutation: Mutation, message: bytes, proof: bytes, mode: int, at_target: bool) -> tuple[bytes, bytes]:
        """One mutation of (message, proof); ``readdress`` points the proof's (unsigned) header at the
        mailbox the input goes to, as an attacker replaying a proof elsewhere would."""
        if mutation[0] == "readdress":
            mailbox = self.target if at_target else self.other
            return message, bytes(12) + to_canonical_address(mailbox.address) + proof[32:]
        return apply(mutation, message, proof, mode, self.seeds)


# -- mutations ------------------------------------------------------------------------------

Mutation = tuple[Any, ...]


def mutations(words: Sequence[int], seeds: int) -> st.SearchStrategy[Mutation]:
    position, word = st.integers(0, 2**16), st.one_of(st.sampled_from(words), st.integers(0, 2**256 - 1))
    part = st.sampled_from(("proof", "proof", "message"))  # the proof has more to get wrong
    return st.one_of(
        st.tuples(st.just("readdress")),
        st.tuples(st.just("flip"), part, position, st.integers(0, 7)),
        st.tuples(st.just("word"), part, position, word),
        st.tuples(st.just("nudge"), part, position, st.sampled_from((-1, 1))),
        st.tuples(st.just("truncate"), part, position),
        st.tuples(st.just("extend"), part, st.binary(min_size=1, max_size=96)),
        st.tuples(st.just("field"), st.integers(0, HEAD_SIZE // 32 - 1), word),
        st.tuples(st.just("signature"), st.sampled_from(("swap", "drop", "duplicate", "malleate")), position, position),
        st.tuples(st.just("branch"), st.integers(0, 34), word),
        st.tuples(st.just("splice"), st.integers(0, seeds - 1), st.sampled_from(("message", "proof"))),
    )


def apply(mutation: Mutation, message: bytes, proof: bytes, mode: int, seeds: Sequence[Seed]) -> tuple[bytes, bytes]:
    """One mutation of (message, proof); positions wrap around so every mutation applies."""
    kind = mutation[0]
    data = {"message": bytearray(message), "proof": bytearray(proof)}
    if kind in ("flip", "word", "nudge", "truncate", "extend"):
        target = data[mutation[1]]
        if kind == "flip" and target:
            target[mutation[2] % len(target)] ^= 1 << mutation[3]
        elif kind in ("word", "nudge") and len(target) >= 32:
            at = (mutation[2] % (len(target) // 32)) * 32
            value = mutation[3] if kind == "word" else (int.from_bytes(target[at:at + 32], "big") + mutation[3]) % 2**256
            target[at:at + 32] = value.to_bytes(32, "big")
        elif kind == "truncate":
            del target[mutation[2] % (len(target) + 1):]
        elif kind == "extend":
            target.extend(mutation[2])
    elif kind == "field":
        data["message"][32 * mutation[1]:32 * mutation[1] + 32] = mutation[2].to_bytes(32, "big")
    elif kind == "signature":
        data["proof"] = bytearray(_signature_edit(bytes(proof), mode, *mutation[1:]))
    elif kind == "branch":  # the checkpoint's root, indices and Merkle siblings are words 2..36 of its proof
        at = HEADER_SIZE + 32 * mutation[1]
        if len(proof) >= at + 32:
            data["proof"][at:at + 32] = mutation[2].to_bytes(32, "big")
    elif kind == "splice":
        donor = seeds[mutation[1]]
        data[mutation[2]] = bytearray(donor.message if mutation[2] == "message" else donor.proof)
    return bytes(data["message"]), bytes(data["proof"])


def _signature_edit(proof: bytes, mode: int, edit: str, first: int, second: int) -> bytes:
    """Swap, drop, duplicate or malleate signer/signature records, keeping the section well formed."""
    at = HEADER_SIZE if mode == MODE_MULTISIG else CHECKPOINT_SIGNATURES_AT
    if len(proof) < at + 32:
        return proof
    count = int.from_bytes(proof[at:at + 32], "big")
    start = at + 32 + 32 * count
    if count == 0 or len(proof) != start + SIGNATURE_SIZE * count:
        return proof
    signers = [proof[at + 32 + 32 * k: at + 64 + 32 * k] for k in range(count)]
    signatures = [proof[start + SIGNATURE_SIZE * k: start + SIGNATURE_SIZE * (k + 1)] for k in range(count)]
    i, j = first % count, second % count
    if edit == "swap":
        signers[i], signers[j] = signers[j], signers[i]
        signatures[i], signatures[j] = signatures[j], signatures[i]
    elif edit == "drop":
        del signers[i], signatures[i]
    elif edit == "duplicate":
        signers.insert(i, signers[i])
        signatures.insert(i, signatures[i])
    else:  # the malleable twin: (r, n - s, v flipped) recovers the same signer
        r, s, v = signatures[i][:32], int.from_bytes(signatures[i][32:64], "big"), signatures[i][64]
        signatures[i] = r + ((ORDER - s) % ORDER).to_bytes(32, "big") + bytes([55 - v if v in (27, 28) else v])
    return proof[:at] + len(signers).to_bytes(32, "big") + b"".join(signers) + b"".join(signatures)


def fuzz_process(examples: int, search_seed: int = 0, target: MailboxFuzzTarget | None = None) -> FuzzReport:
    """Try ``examples`` mutated inputs against ``process`` (same seed, same inputs) and count what happened."""
    target = target or MailboxFuzzTarget()
    report = FuzzReport()
    seeds = target.seeds

    @seed(search_seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck))
    @given(st.integers(0, len(seeds) - 1), st.booleans(), st.lists(mutations(target.words, len(seeds)), min_size=1, max_size=4))
    def one_input(index: int, at_target: bool, applied: list[Mutation]) -> None:
        message, proof = seeds[index].message, seeds[index].proof
        if not at_target:  # a proof taken elsewhere: its unsigned header is the easy part to change
            message, proof = target.mutate(("readdress",), message, proof, seeds[index].mode, at_target)
        for mutation in applied:
            message, proof = target.mutate(mutation, message, proof, seeds[index].mode, at_target)
        reason = target.attempt(message, proof, at_target)
        report.tried += 1
        if reason is not None:
            report.refusals[reason] += 1
        elif target.acceptable(message, at_target):
            report.accepted += 1
        else:
            report.false_acceptances += 1
            if report.first_false is None:
                report.first_false = {"seed": seeds[index].name, "at_target": at_target, "mutations": applied}

    one_input()
    return report
