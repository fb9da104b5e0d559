"""Invariants checked while a run goes; the first one broken stops it (exit code 1).

1. Token conservation, per asset on every vault chain: the vault's ledger (locked +
   pool + insurance + treasury) equals its token balance, every AMM pool holds at least
   its reserves of both tokens, and the token's supply equals what the run minted; at the
   end, known holders (agents, the vault, the pools, the backstop) hold the whole supply.
2. No unbacked margin: per collateral, margin credited on the perp chain plus deposits
   still in flight never exceeds collateral locked on the vault chain.
3. Every message is executed at most once.
4. No processed message that was never dispatched, unless the compromise fault is on:
   then it is counted as attack success and the run goes on.

An invariant broken by an injected fault that explains it is a breach, measured in
:mod:`sim.fault_effects`, and the run goes on: under the compromise fault any of them;
after a reorg deeper than a vault chain's finality depth (what its validators wait
for), token conservation and unbacked margin on that chain. Anything else stops the run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from bridge import LifecycleEvent
from protocol.events import ContractEvent
from protocol.messages import Source

if TYPE_CHECKING:
    from sim.world import World


class InvariantViolation(Exception):
    def __init__(self, t: float, name: str, detail: str) -> None:
        super().__init__(t, name, detail)  # SimPy re-raises with type(exc)(*exc.args)
        self.t = t
        self.name = name
        self.detail = detail

    def __str__(self) -> str:
        return f"t={self.t:.0f}s: {self.name}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "invariant": self.name, "detail": self.detail}


@dataclass
class AttackSuccess:
    t: float
    message_id: str
    chain: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"t": round(self.t, 3), "message_id": self.message_id, "chain": self.chain}


class Invariants:
    def __init__(self, world: "World") -> None:
        self.world = world
        self.compromise = bool(world.scenario.bridge.validators.compromised)
        self.minted: Counter[tuple[str, str]] = Counter()
        self.pending_locks: dict[str, tuple[int, int]] = {}
        self.pending_debits: dict[Any, list[tuple[int, int]]] = {}
        self.processed: Counter[str] = Counter()
        self.attacks: list[AttackSuccess] = []
        self.deep_reorgs: set[str] = set()  # chains reorganised deeper than their finality depth
        self.checks = 0

    def reorg_injected(self, chain: str, depth: int) -> None:
        if depth > self.world.chains[chain].finality_depth:
            self.deep_reorgs.add(chain)

    # -- what the run does and sees ----------------------------------------------

    def minted_supply(self, chain: str, asset: str, amount: int) -> None:
        self.minted[(chain, asset)] += amount

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        name = type(event).__name__
        catalog = self.world.protocol.catalog
        if name == "Deposited":
            info = catalog.by_token(self.world.chains[chain].chain_id, event.token)
            self.pending_locks[_hex(event.message_id)] = (info.cid, event.amount)
        elif name == "SeizeDispatched":
            self.pending_debits[_hex(event.message_id)] = [
                (catalog.by_token(event.chain_id, item.token).cid, item.amount)
                for item in event.items
                if item.source == Source.ACCOUNT
            ]
        elif name == "WithdrawalHonoured" and event.from_locked:
            self.pending_debits[("release", event.src_chain_id, event.request_id)] = [(event.cid, event.from_locked)]
        elif name == "Released":
            self.pending_debits.pop(("release", self.world.chains[chain].chain_id, event.request_id), None)

    def on_lifecycle(self, event: LifecycleEvent) -> None:
        if event.kind == "reorged":
            if event.detail.get("what") == "process":
                self.processed[event.message_id] -= 1  # the delivery was undone; it may be made again
            else:
                self.pending_locks.pop(event.message_id, None)  # the deposit is gone (re-included: seen again)
                self.pending_debits.pop(event.message_id, None)
            return
        if event.kind != "processed":
            return
        self.pending_locks.pop(event.message_id, None)
        self.pending_debits.pop(event.message_id, None)
        self.processed[event.message_id] += 1
        if self.processed[event.message_id] > 1:
            raise InvariantViolation(event.time, "message executed at most once",
                                     f"message {event.message_id} was processed {self.processed[event.message_id]} times")
        if event.detail.get("never_dispatched"):
            if not self.compromise:
                raise InvariantViolation(event.time, "no message accepted that was never sent",
                                         f"message {event.message_id} was processed on {event.chain} but never dispatched")
            self.attacks.append(AttackSuccess(event.time, event.message_id, event.chain))

    # -- checks ------------------------------------------------------------------

    def check(self, t: float) -> None:
        self.checks += 1
        protocol = self.world.protocol
        credited = protocol.engine.credited_totals()
        unbacked_usd = 0.0
        for chain in protocol.vault_chains:
            vault = protocol.vault(chain)
            for asset, ledger in vault.ledgers().items():
                tokens = self._tokens(asset)
                if not ledger.conserved:
                    self._fail(t, "token conservation",
                               f"{chain} {asset}: vault ledger locked {tokens(ledger.total_locked)} + pool {tokens(ledger.pool)}"
                               f" + insurance {tokens(ledger.insurance)} + treasury {tokens(ledger.treasury)} != balance "
                               f"{tokens(ledger.balance)}", chain)
                supply = protocol.token(chain, asset).total_supply()
                if supply != self.minted[(chain, asset)]:
                    self._fail(t, "token conservation",
                               f"{chain} {asset}: supply {tokens(supply)} but the run minted "
                               f"{tokens(self.minted[(chain, asset)])}", chain)
                cid = protocol.collateral(chain, asset).cid
                in_flight = sum(amount for c, amount in self.pending_locks.values() if c == cid)
                excess = credited[cid] + in_flight - ledger.total_locked
                if excess > 0:
                    self._fail(t, "no unbacked margin",
                               f"{chain} {asset}: credited {tokens(credited[cid])} + in flight {tokens(in_flight)} > locked "
                               f"{tokens(ledger.total_locked)}", chain)
                    decimals = self.world.scenario.protocol.asset(asset).decimals
                    unbacked_usd += excess / 10**decimals * self.world.price(asset)
            for pool in protocol.pools.get(chain, {}).values():
                reserves = pool.reserves()
                held_base = protocol.token(chain, pool.asset).balance_of(pool.address)
                held_quote = protocol.token(chain, pool.quote).balance_of(pool.address)
                if reserves.base > held_base or reserves.quote > held_quote:
                    self._fail(t, "token conservation",
                               f"{pool.key} pool: reserves {self._tokens(pool.asset)(reserves.base)} / "
                               f"{self._tokens(pool.quote)(reserves.quote)} exceed its balances "
                               f"{self._tokens(pool.asset)(held_base)} / {self._tokens(pool.quote)(held_quote)}", chain)
        self.world.effects.unbacked(unbacked_usd)

    def check_holders(self, t: float, holders: Iterable[str]) -> dict[str, int]:
        """End of run: known holders hold every token; returns what unknown addresses hold, per token."""
        protocol = self.world.protocol
        holders = sorted(set(holders))
        unaccounted = {}
        for chain in protocol.vault_chains:
            for asset, token in protocol.tokens[chain].items():
                held = sum(token.balance_of(holder) for holder in holders) + token.balance_of(protocol.vault(chain).address)
                missing = token.total_supply() - held
                if missing:
                    unaccounted[f"{chain}:{asset}"] = missing
                    self._fail(t, "token conservation",
                               f"{chain} {asset}: {self._tokens(asset)(missing)} held by unknown addresses", chain)
        return unaccounted

    def collateral_gap(self) -> dict[str, float]:
        """Locked minus (credited + in flight either way), per collateral, in whole tokens: zero unless a message was lost."""
        protocol = self.world.protocol
        credited = protocol.engine.credited_totals()
        gaps = {}
        for chain in protocol.vault_chains:
            for asset, ledger in protocol.vault(chain).ledgers().items():
                cid = protocol.collateral(chain, asset).cid
                in_flight = sum(a for c, a in self.pending_locks.values() if c == cid)
                in_flight += sum(a for items in self.pending_debits.values() for c, a in items if c == cid)
                gap = ledger.total_locked - credited[cid] - in_flight
                if gap:
                    gaps[f"{chain}:{asset}"] = gap / 10 ** self.world.scenario.protocol.asset(asset).decimals
        return gaps

    def _tokens(self, asset: str) -> Any:
        """Native units of ``asset`` as a readable amount of whole tokens, for messages."""
        decimals = self.world.scenario.protocol.asset(asset).decimals
        return lambda units: f"{units / 10**decimals:,.{min(decimals, 6)}f} {asset}"

    def _fail(self, t: float, name: str, detail: str, chain: str | None = None) -> None:
        if self.compromise:
            self.world.record("invariants", "breached_by_attack", invariant=name, detail=detail)
            self.world.effects.breach(name)
            return
        if chain in self.deep_reorgs:
            self.world.record("invariants", "breached_by_deep_reorg", invariant=name, detail=detail, chain=chain)
            self.world.effects.breach(name)
            return
        raise InvariantViolation(t, name, detail)


def _hex(value: bytes) -> str:
    return "0x" + bytes(value).hex()
