"""Where validators publish signatures and relayers collect them (the validators' public buckets).

A signature sits in a slot ``(source chain id, index)``: the message nonce in
multisig mode, the checkpoint index in checkpoint mode. The store trusts nobody:
it keeps whatever is published, notices a validator that signs two different
digests for one slot (equivocation), and hands a relayer only signatures over the
digest the relayer computed itself, each checked to recover to its claimed signer.
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.lifecycle import Lifecycle
from bridge.proofs import Signature, recover_signer


@dataclass(frozen=True)
class Attestation:
    src_chain_id: int
    index: int
    digest: bytes
    signature: Signature


class AttestationStore:
    def __init__(self, lifecycle: Lifecycle, validator_count: int, threshold: int) -> None:
        self.lifecycle = lifecycle
        self.validator_count = validator_count
        self.threshold = threshold
        self._slots: dict[tuple[int, int], dict[bytes, dict[str, Signature]]] = {}
        self._by_validator: dict[tuple[int, int, str], bytes] = {}

    def publish(self, attestation: Attestation, message_id: bytes, time: float, actor: str, genuine: bool = True) -> None:
        """Add a signature. ``message_id`` (the real message of the slot) and ``genuine`` (whether this
        signs what really happened) only feed the lifecycle; relayers never see them."""
        slot = (attestation.src_chain_id, attestation.index)
        signer = attestation.signature.signer
        signers = self._slots.setdefault(slot, {}).setdefault(attestation.digest, {})
        if signer in signers:
            return
        signers[signer] = attestation.signature
        first = self._by_validator.setdefault((*slot, signer), attestation.digest)
        if first != attestation.digest:
            self.lifecycle.emit(time, message_id, "equivocation", actor=actor, validator=signer, index=attestation.index)
        if not genuine:
            return
        count = len(signers)
        self.lifecycle.emit(time, message_id, "attested", actor=actor, validator=signer, k=count, n=self.validator_count)
        if count == self.threshold:
            self.lifecycle.emit(time, message_id, "quorum", actor=actor, k=count, n=self.validator_count)

    def signatures(self, src_chain_id: int, index: int, digest: bytes, allowed: frozenset[str] | set[str]) -> list[Signature]:
        """Valid signatures over ``digest`` in a slot, from signers in ``allowed``, in ascending signer order."""
        found = self._slots.get((src_chain_id, index), {}).get(digest, {})
        valid = [
            signature
            for signer, signature in found.items()
            if signer in allowed and recover_signer(digest, signature.data) == signer
        ]
        return sorted(valid, key=lambda s: s.signer_int)
