"""A relayer: watches source mailboxes from a durable cursor, gathers proofs, delivers, retries.

A :class:`Relayer` is an identity (name, account, database file). Each
:meth:`Relayer.start` begins an *incarnation*: two SimPy processes sharing only
the database and in-memory caches, both discarded by :meth:`Relayer.kill`.

- Each mined block (the bridge's block listener): read the ``Dispatch`` logs of the
  source chain's blocks that just became final, from its cursor, and queue them
  (queue and cursor move in one SQLite transaction; a block without dispatches only
  moves the cursor in memory, so a restart reads it again). A new incarnation first
  catches up from the database's cursors.
- The watch loop, every ``poll_interval``: read the final receipt of each ``process``
  transaction it sent (success: done; "already delivered": done, counted as a
  duplicate; any other reason: a rejection, retried with backoff); then take every due
  message one step: send a packet once a quorum of valid signatures exists, or resend
  when a packet's outcome is overdue (``ack_timeout``, doubling).
- The submit loop receives the packets that crossed the transport and sends
  ``process`` on the destination as received, so whatever the transport did to them
  is judged by the chain. A transaction the node will not take yet (a full block)
  waits for the next block.

"Already delivered" counts as done: several relayers may race, and a message can
only execute once on chain. Before resending anything it sent before, a relayer
asks the destination whether the message was delivered meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Generator

import simpy
from eth_utils import to_canonical_address

from chains import Chain, revert_reason
from chains.abi import BoundCall
from chains.errors import XmarginError
from chains.seeding import derive_rng
from bridge.attestations import AttestationStore
from bridge.config import RelayersConfig
from bridge.deploy import BridgeDeployment
from bridge.lifecycle import Lifecycle
from bridge.merkle import MerkleTree
from bridge.proofs import MODES, checkpoint_digest, encode_checkpoint_proof, encode_multisig_proof, multisig_digest
from bridge.submit import ALREADY_DELIVERED, Submission, send_process
from bridge.transport import Packet, Transport
from bridge.watcher import DISPATCH_TOPIC, WatcherError, dispatch_message
from relayer.store import OpenSubmission, QueuedMessage, RelayerStore

# reasons after which the relayer re-reads the destination's validator set for the source
SET_REASONS = ("signer not a validator", "too few signatures")
# refusals that say "not now" rather than "not this": retried at the longest backoff, never abandoned
TRANSIENT_REASONS = ("source chain paused",)
MAX_TIMEOUT_DOUBLINGS = 16


class RelayerError(XmarginError):
    """A relayer asked to do something its state does not allow (start twice)."""


class Relayer:
    def __init__(
        self,
        index: int,
        env: simpy.Environment,
        deployment: BridgeDeployment,
        attestations: AttestationStore,
        transport: Transport,
        lifecycle: Lifecycle,
        config: RelayersConfig,
        data_dir: Path,
        seed: int,
    ) -> None:
        self.index = index
        self.name = f"relayer-{index}"
        self.env = env
        self.deployment = deployment
        self.account = deployment.relayers[index]
        self.attestations = attestations
        self.transport = transport
        self.lifecycle = lifecycle
        self.config = config
        self.db_path = Path(data_dir) / f"{self.name}.sqlite"
        self.seed = seed
        self.incarnation = 0
        self._session: _Session | None = None

    @property
    def alive(self) -> bool:
        return self._session is not None

    def start(self) -> None:
        """Begin a new incarnation from whatever the database holds."""
        if self._session is not None:
            raise RelayerError(f"{self.name} is already running")
        self.incarnation += 1
        self._session = _Session(self, self.incarnation)

    def kill(self) -> None:
        """Stop at once: both processes are interrupted and everything in memory is dropped."""
        if self._session is None:
            return
        session, self._session = self._session, None
        session.stop()

    def on_block(self, chain: Chain) -> None:
        """Block listener: queue what became final on ``chain`` (nothing while the relayer is down)."""
        if self._session is not None and not self._session.halted:
            self._session.scan(chain)

    def receive(self, packet: Packet) -> bool:
        """Transport callback: hand an arriving packet to the incarnation that sent it, if it is still alive."""
        session = self._session
        if session is None or packet.incarnation != session.incarnation:
            return False
        session.inbox.put(packet)
        return True

    def status_counts(self) -> dict[str, int]:
        """Messages in the database by status (read from the file while the relayer is down)."""
        if self._session is not None:
            return self._session.db.status_counts()
        if not self.db_path.exists():
            return {}
        store = RelayerStore(self.db_path)
        try:
            return store.status_counts()
        finally:
            store.close()


class _Session:
    """One incarnation of a relayer: its processes, its database connection and its caches."""

    def __init__(self, relayer: Relayer, incarnation: int) -> None:
        self.relayer = relayer
        self.env = relayer.env
        self.deployment = relayer.deployment
        self.config = relayer.config
        self.lifecycle = relayer.lifecycle
        self.incarnation = incarnation
        self.db = RelayerStore(relayer.db_path)
        self.trees = {chain.chain_id: MerkleTree(self.db.leaves(chain.chain_id)) for chain in self.deployment.chain_set}
        # read up to here; the database's cursor moves with the messages it queues (a restart rescans the rest)
        self.cursors = {chain.chain_id: self.db.cursor(chain.chain_id) for chain in self.deployment.chain_set}
        self.inbox: simpy.Store = simpy.Store(self.env)
        self._sets: dict[tuple[str, int], tuple[frozenset[str], int]] = {}
        self.halted = False
        self.processes = [self.env.process(self._watch()), self.env.process(self._submit())]

    def stop(self) -> None:
        """Interrupt both processes and close the database.

        A kill from inside one of them (a lifecycle listener reacting to this relayer's
        own event) cannot interrupt the running step: the step finishes, and the kill
        lands at its next yield, as if it had arrived a moment later.
        """
        if self.env.active_process in self.processes:
            self.env.process(self._stop_after_this_step())
        else:
            self._halt()

    def _stop_after_this_step(self) -> Generator[Any, Any, None]:
        self._halt()
        yield self.env.timeout(0)

    def _halt(self) -> None:
        self.halted = True  # a process killed before its first step still gets that step: it must not run
        for process in self.processes:
            if process.is_alive:
                process.interrupt("killed")
        self.db.close()

    # -- watch loop ------------------------------------------------------------

    def _watch(self) -> Generator[Any, Any, None]:
        try:
            for chain in self.deployment.chain_set:  # catch up from the durable cursors
                self.scan(chain)
            while not self.halted:
                self._work()
                yield self.env.timeout(self.config.poll_interval)
        except simpy.Interrupt:
            return

    def scan(self, chain: Chain) -> None:
        """Queue the messages dispatched on ``chain`` in blocks that became final since the cursor."""
        now = self.env.now
        final = chain.finalized_number
        cursor = self.cursors[chain.chain_id]
        if final <= cursor:
            return
        self.cursors[chain.chain_id] = final
        mailbox = to_canonical_address(self.deployment.mailbox_address(chain.name))
        tree = self.trees[chain.chain_id]
        rows = []
        for log in chain.logs(cursor + 1, final, {mailbox}, [DISPATCH_TOPIC]):
            message = dispatch_message(log)
            if message.nonce != len(tree):
                raise WatcherError(f"{chain.name}: expected nonce {len(tree)} from the mailbox, got {message.nonce}")
            tree.append(message.id)
            routable = self.deployment.chain_name(message.dst_chain_id) is not None
            status = "pending" if routable else "abandoned"
            rows.append((message.id, message.nonce, message.dst_chain_id, log.block_number, message.encoded, status))
            if not routable:
                self.lifecycle.emit(
                    now, message.id, "abandoned", actor=self.relayer.name, reason=f"no chain with id {message.dst_chain_id}"
                )
        if rows:
            self.db.ingest(chain.chain_id, final, rows, now)

    def _work(self) -> None:
        now = self.env.now
        for submission in self.db.due_submissions(now):
            self._confirm(submission)
        for queued in self.db.due(now):
            self._step(queued)

    def _chain(self, chain_id: int) -> Chain:
        return self.deployment.chain_set.by_id(chain_id)

    def _step(self, queued: QueuedMessage) -> None:
        now = self.env.now
        timeouts = queued.timeouts + (1 if queued.status == "sent" else 0)
        dst = self.deployment.chain_name(queued.dst_chain_id)
        src = self.deployment.chain_name(queued.src_chain_id)
        if queued.attempts > 0 and self._delivered(dst, queued.message_id):
            self.db.update(queued.message_id, status="done", outcome="delivered", timeouts=timeouts)
            return
        proof = self._proof(queued, src, dst)
        if proof is None:  # not attested by a quorum yet
            self.db.update(queued.message_id, status="pending", timeouts=timeouts, next_at=now + self.config.poll_interval)
            return
        wait = min(max(self.config.max_backoff, self.config.ack_timeout),
                   self.config.ack_timeout * 2 ** min(timeouts, MAX_TIMEOUT_DOUBLINGS))
        self.db.update(queued.message_id, status="sent", attempts=queued.attempts + 1, timeouts=timeouts, next_at=now + wait)
        packet = Packet(
            src=src,
            dst=dst,
            message_id=queued.message_id,
            message=queued.encoded,
            proof=proof,
            mode=MODES[self.deployment.mode(src)],
            origin=self.relayer.name,
            attempt=queued.attempts + 1,
            incarnation=self.incarnation,
        )
        self.relayer.transport.send(packet, self.relayer.receive)

    def _read(self, chain_name: str, call: BoundCall, block: str | None = None) -> Any:
        result = self.deployment.chain_set[chain_name].call(call.to, call.calldata, block=block)
        if not result.success:
            raise RelayerError(f"{self.relayer.name}: reading {call.fn_name} on {chain_name}'s mailbox failed: {result.error}")
        return call.function.decode(result.output)

    def _delivered(self, dst: str, message_id: bytes) -> bool:
        """Whether the destination delivered the message meanwhile (counting what its next block would)."""
        return self._read(dst, self.deployment.mailbox_calls(dst).delivered(message_id), block="pending")

    def _validator_set(self, src: str, dst: str) -> tuple[frozenset[str], int]:
        """The destination's validator set and threshold for ``src``, read from chain once and cached."""
        key = (dst, self.deployment.chain_set[src].chain_id)
        known = self._sets.get(key)
        if known is None:
            mailbox = self.deployment.mailbox_calls(dst)
            validators = self._read(dst, mailbox.validators(key[1]))
            threshold = self._read(dst, mailbox.threshold(key[1]))
            known = self._sets[key] = (frozenset(validators), threshold)
        return known

    def _proof(self, queued: QueuedMessage, src: str, dst: str) -> bytes | None:
        allowed, threshold = self._validator_set(src, dst)
        src_id, nonce, message_id = queued.src_chain_id, queued.nonce, queued.message_id
        dst_mailbox = self.deployment.mailbox_address(dst)
        if self.deployment.mode(src) == "multisig":
            digest = multisig_digest(queued.dst_chain_id, dst_mailbox, src_id, message_id)
            signatures = self.relayer.attestations.signatures(src_id, nonce, digest, allowed)
            if len(signatures) < threshold:
                return None
            return encode_multisig_proof(dst_mailbox, message_id, signatures[:threshold])
        tree = self.trees[src_id]
        root = tree.root(nonce + 1)
        digest = checkpoint_digest(queued.dst_chain_id, dst_mailbox, src_id, self.deployment.mailbox_address(src), root, nonce)
        signatures = self.relayer.attestations.signatures(src_id, nonce, digest, allowed)
        if len(signatures) < threshold:
            return None
        return encode_checkpoint_proof(
            dst_mailbox, message_id, root, nonce, nonce, tree.proof(nonce, nonce + 1), signatures[:threshold]
        )

    def _confirm(self, submission: OpenSubmission) -> None:
        """One ``process`` transaction: wait until its block is final, then record how it went."""
        now = self.env.now
        chain = self._chain(submission.dst_chain_id)
        tx_hash = chain.current_hash(submission.tx_hash)  # its fee policy may have re-bid it
        if tx_hash in chain.pool:
            self.db.recheck_submission(submission.tx_hash, now + self.config.poll_interval)
            return
        receipt = chain.receipt(tx_hash)
        if receipt is None:  # dropped (a reorg, or the pool let it go): the message goes back to the queue
            if self.db.close_submission(submission.tx_hash) == 0:
                self._requeue(submission.message_id, now)
            return
        if receipt.block_number > chain.finalized_number:
            self.db.recheck_submission(submission.tx_hash, now + self.config.poll_interval)
            return
        still_open = self.db.close_submission(submission.tx_hash)
        queued = self.db.get(submission.message_id)
        if receipt.status == 1:
            self.db.update(submission.message_id, status="done", outcome="processed")
            return
        reason = revert_reason(chain, tx_hash)
        name, block = self.relayer.name, receipt.block_number
        if reason == ALREADY_DELIVERED:
            self.lifecycle.emit(now, submission.message_id, "duplicate", chain=chain.name, block=block, actor=name,
                                attempt=submission.attempt)
            if queued.status not in ("done", "abandoned"):
                self.db.update(submission.message_id, status="done", outcome="already delivered")
            return
        self.lifecycle.emit(now, submission.message_id, "rejected", chain=chain.name, block=block, actor=name,
                            reason=reason, attempt=submission.attempt)
        if still_open == 0 and queued.status == "submitted":
            self._rejected(queued, reason)

    def _requeue(self, message_id: bytes, now: float) -> None:
        queued = self.db.get(message_id)
        if queued is not None and queued.status == "submitted":
            self.db.update(message_id, status="pending", next_at=now)

    def _rejected(self, queued: QueuedMessage, reason: str) -> None:
        now = self.env.now
        if any(reason.startswith(r) for r in SET_REASONS):
            self._sets.clear()
        if reason in TRANSIENT_REASONS:
            self.db.update(queued.message_id, status="pending", next_at=now + self.config.max_backoff)
            return
        rejections = queued.rejections + 1
        if rejections >= self.config.max_rejections:
            self.db.update(queued.message_id, status="abandoned", rejections=rejections, outcome=reason)
            self.lifecycle.emit(now, queued.message_id, "abandoned", actor=self.relayer.name, reason=reason,
                                rejections=rejections)
            return
        jitter = derive_rng(self.relayer.seed, self.relayer.name, queued.message_id.hex(), rejections).uniform(0.5, 1.0)
        backoff = min(self.config.max_backoff, self.config.retry_backoff * 2 ** (rejections - 1)) * jitter
        self.db.update(queued.message_id, status="pending", rejections=rejections, next_at=now + backoff)

    # -- submit loop -----------------------------------------------------------

    def _submit(self) -> Generator[Any, Any, None]:
        try:
            while not self.halted:
                packet = yield self.inbox.get()
                result = self._deliver(packet)
                while result.deferred:  # the block is full: offer it again when the next one opens
                    yield self.env.timeout(self.deployment.chain_set[packet.dst].block_time)
                    result = self._deliver(packet)
                # the transaction is out but not yet written down: a kill here must not lose or repeat anything
                yield self.env.timeout(0)
                self._record(packet, result)
        except simpy.Interrupt:
            return

    def _deliver(self, packet: Packet) -> Submission:
        now = self.env.now
        name = self.relayer.name
        result = send_process(
            self.deployment.chain_set[packet.dst], self.deployment.mailbox_calls(packet.dst).process(packet.message, packet.proof),
            self.relayer.account.address, self.config.gas_limit,
        )
        if result.ok:
            self.lifecycle.emit(now, packet.message_id, "submitted", chain=packet.dst, actor=name,
                                tx=result.tx_hash.hex(), attempt=packet.attempt, corrupted=packet.corrupted)
        else:
            self.lifecycle.emit(now, packet.message_id, "deferred", chain=packet.dst, actor=name, reason=result.reason,
                                attempt=packet.attempt)
        return result

    def _record(self, packet: Packet, result: Submission) -> None:
        chain = self.deployment.chain_set[packet.dst]
        # the receipt is worth reading once the block after the next one is final
        check_at = self.env.now + chain.block_time * (chain.finality_depth + 1) + self.config.poll_interval
        self.db.add_submission(bytes(result.tx_hash), packet.message_id, chain.chain_id, packet.attempt, check_at)
