"""The invariants of the whole cross-chain system, from the canonical chains as they are now.

What a reorg can undo is never taken from a stale stream: messages come from the
bridge's watchers (which rewind on a reorg), the engine's ``BadDebt`` records are kept
per block and dropped when their block is no longer canonical, and balances, ledgers
and credits are read from the chains.

1. Token conservation: each vault's ledger (locked + pool + insurance + treasury) equals
   its token balance; at the end of a sequence each token's supply is what was minted and
   is held by the vault or a known holder.
2. No unbacked margin: per collateral, and per account and collateral it deposited, margin
   credited on the perp chain plus deposits still in flight never exceeds what the vault
   holds locked; so the vault never pays out collateral that backs open margin. (The
   accounts keep their margin in the cross bucket, where deposits are credited.)
3. At most once: no message is processed twice, and none that was never dispatched.
4. Bad debt equals the recorded shortfalls: the engine's bad debt is the sum of its
   ``BadDebt`` records, and is covered by the insurance fund or recorded as uncovered.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Iterable, Mapping

from hexbytes import HexBytes

from bridge import LifecycleEvent
from chains import Chain, MinedBlock
from protocol.messages import MarginLocked, MessageDecodeError, decode_body
from protocol.vault import VaultLedger
from sim.invariants import InvariantViolation
from sim.testbed import Testbed


class SystemInvariants:
    def __init__(self, testbed: Testbed, holders: Iterable[str], supply: Mapping[tuple[str, str], int]) -> None:
        """``supply``: each token's supply (by vault chain and asset) before the mints :meth:`deposited` reports."""
        self.testbed = testbed
        self.protocol = testbed.protocol
        self.holders = sorted(set(holders))  # who may hold tokens, besides the vaults and each chain's deployer
        self.deposits: set[tuple[str, int]] = set()  # (account, collateral id) deposited: checked one by one
        self.supply = dict(supply)
        self.mints: list[tuple[str, str, int, HexBytes]] = []  # (chain, asset, amount, tx hash)
        self.processed: Counter[str] = Counter(
            record.message_id for record in testbed.lifecycle.records() if record.processed is not None
        )
        self.never_dispatched: list[str] = []
        self.bad_debt_before = self.protocol.engine.totals().bad_debt
        self.bad_debt_records: dict[int, tuple[bytes, int]] = {}  # perp block -> (its hash, bad debt recorded)
        testbed.lifecycle.subscribe(self._on_lifecycle)
        testbed.listeners.append(self._on_block)

    def deposited(self, account: str, chain: str, asset: str, amount: int, mint: HexBytes) -> None:
        """``account`` deposits ``amount`` of ``asset`` on ``chain``, minted by ``mint`` (the supply grows by it
        while that transaction is on the canonical chain)."""
        self.deposits.add((account, self.protocol.collateral(chain, asset).cid))
        self.mints.append((chain, asset, amount, HexBytes(mint)))

    def _on_lifecycle(self, event: LifecycleEvent) -> None:
        if event.kind == "processed":
            self.processed[event.message_id] += 1
            if event.detail.get("never_dispatched"):
                self.never_dispatched.append(event.message_id)
        elif event.kind == "reorged" and event.detail.get("what") == "process":
            self.processed[event.message_id] -= 1

    def _on_block(self, chain: Chain, block: MinedBlock) -> None:
        if chain.name != self.protocol.perp_chain or not block.transactions:
            return
        found = [e.amount for e in self.protocol.engine.events_in_blocks(block.number, block.number)
                 if type(e).__name__ == "BadDebt"]
        if found:
            self.bad_debt_records[block.number] = (bytes(block.hash), sum(found))

    # -- checks ----------------------------------------------------------------------

    def check(self) -> None:
        """Raise InvariantViolation (the first broken invariant, with the numbers) or return."""
        for watcher in self.testbed.bridge.watchers.values():
            watcher.sync()
        ledgers = {chain: self.protocol.vault(chain).ledgers() for chain in self.protocol.vault_chains}
        self._conservation(ledgers)
        self._backing(ledgers, self._deposits_in_flight())
        self._at_most_once()
        self._bad_debt()

    def check_supply(self) -> None:
        """Each token's supply is what was minted, all of it in the vault or with a known holder."""
        expected = Counter(self.supply)
        for chain, asset, amount, tx_hash in self.mints:
            if self._succeeded(self.testbed.chains[chain], tx_hash):
                expected[(chain, asset)] += amount
        for chain in self.protocol.vault_chains:
            holders = (self.protocol.vault(chain).address, self.protocol.deployers[chain], *self.holders)
            for asset, token in self.protocol.tokens[chain].items():
                supply, balances = token.holdings(holders)
                if supply != expected[(chain, asset)]:
                    self._fail("token conservation",
                               f"{chain} {asset}: supply {supply}, but {expected[(chain, asset)]} were minted")
                held = sum(balances)
                if held != supply:
                    self._fail("token conservation",
                               f"{chain} {asset}: {supply - held} of the supply of {supply} are held outside the "
                               "vault and the known holders")

    def _fail(self, name: str, detail: str) -> None:
        raise InvariantViolation(self.testbed.env.now, name, detail)

    def _conservation(self, ledgers: dict[str, dict[str, VaultLedger]]) -> None:
        for chain in self.protocol.vault_chains:
            for asset, ledger in ledgers[chain].items():
                if not ledger.conserved:
                    self._fail("token conservation",
                               f"{chain} {asset}: locked {ledger.total_locked} + pool {ledger.pool} + insurance "
                               f"{ledger.insurance} + treasury {ledger.treasury} != balance {ledger.balance}")

    @staticmethod
    def _succeeded(chain: Chain, tx_hash: HexBytes) -> bool:
        receipt = chain.receipt(tx_hash)  # None: not mined (yet, or any more after a reorg)
        return receipt is not None and receipt.status == 1

    def _deposits_in_flight(self) -> Counter[tuple[str, int]]:
        """(account, collateral id) -> amount of MarginLocked messages dispatched and not processed."""
        protocol = self.protocol
        in_flight: Counter[tuple[str, int]] = Counter()
        for chain in protocol.vault_chains:
            vault = protocol.vault(chain).address
            for dispatched in self.testbed.bridge.watchers[chain].messages:
                message = dispatched.message
                if message.sender != vault or message.recipient != protocol.engine.address:
                    continue
                if self.processed[message.id_hex] > 0:
                    continue
                try:
                    body: Any = decode_body(message.body)
                except MessageDecodeError:
                    continue
                if isinstance(body, MarginLocked):
                    in_flight[(body.account, protocol.catalog.by_token(message.src_chain_id, body.token).cid)] += body.amount
        return in_flight

    def _backing(self, ledgers: dict[str, dict[str, VaultLedger]], in_flight: Counter[tuple[str, int]]) -> None:
        protocol = self.protocol
        credited = protocol.engine.credited_totals()
        for info in protocol.catalog.collaterals:
            locked = ledgers[info.chain][info.asset].total_locked
            flying = sum(amount for (_, cid), amount in in_flight.items() if cid == info.cid)
            if credited[info.cid] + flying > locked:
                self._fail("no unbacked margin",
                           f"{info.chain} {info.asset}: credited {credited[info.cid]} + in flight {flying} > locked {locked}")
        for account, cid in sorted(self.deposits):
            amount, flying = protocol.engine.collateral(account, cid), in_flight[(account, cid)]
            info = protocol.catalog.by_cid(cid)
            locked = protocol.vault(info.chain).locked(account, info.asset)
            if amount + flying > locked:
                self._fail("the vault never pays out collateral that backs margin",
                           f"{account} on {info.chain} {info.asset}: credited {amount} + in flight {flying} "
                           f"> locked {locked}")

    def _at_most_once(self) -> None:
        if self.never_dispatched:
            self._fail("no message accepted that was never sent",
                       f"message {self.never_dispatched[0]} was processed but never dispatched")
        for message_id, count in self.processed.items():
            if count > 1:
                self._fail("message executed at most once", f"message {message_id} was processed {count} times")

    def _bad_debt(self) -> None:
        perp = self.protocol.perp
        for number, (block_hash, _) in list(self.bad_debt_records.items()):
            if number > perp.head_number or bytes(perp.block_header(number).hash) != block_hash:
                del self.bad_debt_records[number]  # reorganised away
        recorded = self.bad_debt_before + sum(amount for _, amount in self.bad_debt_records.values())
        totals = self.protocol.engine.totals()
        if totals.bad_debt != recorded:
            self._fail("bad debt equals the recorded shortfalls",
                       f"the engine's bad debt {totals.bad_debt} != {recorded}, the sum of its BadDebt records")
        if totals.insurance_drawn + totals.uncovered_bad_debt != totals.bad_debt:
            self._fail("bad debt equals the recorded shortfalls",
                       f"insurance drawn {totals.insurance_drawn} + uncovered {totals.uncovered_bad_debt} "
                       f"!= bad debt {totals.bad_debt}")
