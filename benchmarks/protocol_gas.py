"""Gas of the margin protocol's main operations, printed (run: ``.venv/bin/python benchmarks/protocol_gas.py``).

The protocol runs on the default world with an honest mock mailbox on each chain (the one the
protocol tests use), so the figures include a cheap ``dispatch``; a real Mailbox adds its own
cost to every operation that sends a message. Each figure is one transaction's ``gasUsed``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from chains import DEFAULT_WORLD, ChainSet, compile_contract, confirm, deploy
from chains.accounts import keyed_account
from protocol.config import ProtocolConfig
from protocol.deploy import ProtocolDeployment, deploy_protocol
from protocol.units import to_units, to_wad

ROOT = Path(__file__).resolve().parent.parent
MOCK_MAILBOX = ROOT / "tests" / "protocol" / "contracts" / "MockMailbox.vy"
BUDGET = 300_000
CODE_LIMIT = 24_576
SEED = 0


class Relay:
    """Delivers every message dispatched since the last call, in order (no faults)."""

    def __init__(self, chains: ChainSet, mailboxes: dict[str, Any]) -> None:
        self.chains, self.mailboxes = chains, mailboxes
        self.cursor = {name: 0 for name in mailboxes}

    def pending(self) -> list[tuple[str, Any]]:
        found = []
        for name, mailbox in self.mailboxes.items():
            head = self.chains[name].head_number
            if head < self.cursor[name]:
                continue
            for event in mailbox.events.Dispatch().get_logs(from_block=self.cursor[name], to_block=head):
                found.append((name, event["args"]))
            self.cursor[name] = head + 1
        return found

    def deliver(self, source: str, args: Any) -> Any:
        destination = self.chains.by_id(args["dst_chain_id"])
        call = self.mailboxes[destination.name].functions.deliver(
            self.chains[source].chain_id, args["sender"], args["recipient"], args["body"])
        return confirm(destination, call.transact({"from": destination.accounts[9].address, "gas": 3_000_000}))

    def flush(self) -> None:
        while batch := self.pending():
            for source, args in batch:
                self.deliver(source, args)


def setup(config: dict[str, Any] | None = None) -> tuple[ChainSet, ProtocolDeployment, Relay, dict[str, LocalAccount]]:
    users = {name: keyed_account(f"bench-{name}", SEED) for name in ("alice", "bob", "keeper")}
    chains = ChainSet.from_configs(DEFAULT_WORLD, seed=SEED, extra_alloc={u.address: 10**21 for u in users.values()})
    for chain in chains:
        for user in users.values():
            chain.add_account(user)
    mock = compile_contract(MOCK_MAILBOX)
    mailboxes = {chain.name: deploy(chain, mock) for chain in chains}
    d = deploy_protocol(chains, ProtocolConfig.from_dict(config or {}), {n: m.address for n, m in mailboxes.items()}, seed=SEED)
    relay = Relay(chains, mailboxes)
    relay.flush()
    return chains, d, relay, users


def fund(chains: ChainSet, d: ProtocolDeployment, user: LocalAccount, chain: str, asset: str, whole: Any) -> int:
    units = to_units(whole, d.config.asset(asset).decimals)
    confirm(chains[chain], d.mint(chain, asset, user.address, units))
    confirm(chains[chain], d.token(chain, asset).approve(user, d.vault(chain).address, units))
    return units


def prices(d: ProtocolDeployment, **usd: Any) -> int:
    return confirm(d.perp, d.post_prices(usd))["gasUsed"]


def main() -> None:
    chains, d, relay, users = setup()
    perp, alice, bob, keeper = d.perp, users["alice"], users["bob"], users["keeper"]
    figures: list[tuple[str, int, str]] = []

    # deposit-and-lock: a first deposit (the account's locked balance goes from zero), approval done before
    units = fund(chains, d, alice, "vault-l1", "USDC", 3_000)
    receipt = confirm(chains["vault-l1"], d.vault("vault-l1").deposit(alice, "USDC", units))
    figures.append(("deposit-and-lock", receipt["gasUsed"], "3000 USDC, first deposit of the account"))
    confirm(chains["vault-l2"], d.vault("vault-l2").deposit(alice, "ETH", fund(chains, d, alice, "vault-l2", "ETH", 1)))
    confirm(chains["vault-l1"], d.vault("vault-l1").deposit(bob, "USDC", fund(chains, d, bob, "vault-l1", "USDC", 50_000)))
    relay.flush()

    # a market that is already trading: bob holds positions and funding has accrued for a while
    prices(d, USDC=1, ETH=2000, BTC=50_000)
    confirm(perp, d.engine.trade(bob, "ETH", to_wad(5)))
    confirm(perp, d.engine.trade(bob, "BTC", to_wad(-0.1)))
    relay.flush()
    perp.set_next_timestamp(perp.head_timestamp + 3_600)
    prices(d, USDC=1, ETH=2000, BTC=50_000)

    # open a position: alice's first ETH position, cross margin, fee seized to the pool and treasury
    receipt = confirm(perp, d.engine.trade(alice, "ETH", to_wad(10)))
    figures.append(("open a position", receipt["gasUsed"], "10 ETH long, cross; includes the fee SEIZE dispatch"))
    confirm(perp, d.engine.trade(alice, "BTC", to_wad(-0.2)))
    relay.flush()

    # liquidate a cross-margin account with 2 positions and collateral on 2 vault chains
    # ETH $1650, BTC $52000: equity 3000 - 15 fees + 1 ETH * 1650 * 0.9 - 3500 - 400 = 570 < 807 maintenance
    prices(d, USDC=1, ETH=1650, BTC=52_000)
    receipt = confirm(perp, d.engine.liquidate(keeper, alice.address))
    figures.append(("liquidate (cross, 2 positions)", receipt["gasUsed"], "full close; SEIZE to both vault chains"))

    # handle SEIZE on the vault chain: the vault-l1 message (bonus to the keeper, the loss to the pool)
    seizes = relay.pending()
    source, args = next((s, a) for s, a in seizes if a["dst_chain_id"] == chains["vault-l1"].chain_id)
    receipt = relay.deliver(source, args)
    figures.append(("handle Seize", receipt["gasUsed"], "2 items incl. a token transfer, via the mock's deliver"))
    for s, a in seizes:
        if a is not args:
            relay.deliver(s, a)

    # an oracle update with 5 reporters: one transaction carrying 5 signed reports (steady state)
    perp.set_next_timestamp(perp.head_timestamp + 5)
    all_feeds = prices(d, USDC=1, ETH=1651, BTC=52_010)
    perp.set_next_timestamp(perp.head_timestamp + 5)
    one_feed = prices(d, ETH=1652)
    figures.append(("oracle update, 5 reporters", one_feed, "5 signed reports of 1 feed in one transaction"))
    figures.append(("oracle update, 5 reporters, 3 feeds", all_feeds, "5 signed reports of USDC, ETH and BTC"))

    poke_fresh, poke_stale, delayed_size = delayed_oracle_figures()
    figures.append(("poke the delayed oracle, 3 feeds", poke_fresh, "reports a block old: the aggregate is cached"))
    figures.append(("poke, every report stale", poke_stale, "the aggregator recomputes all 3 uses of 3 feeds"))

    width = max(len(name) for name, _, _ in figures)
    print(f"protocol gas (budget {BUDGET:,} each; mock mailbox; seed {SEED})")
    for name, gas, note in figures:
        verdict = "ok" if gas < BUDGET else "OVER BUDGET"
        print(f"  {name:<{width}}  {gas:>9,}  {verdict:<4}  {note}")
    print(f"deployed code size (EIP-170 limit {CODE_LIMIT:,} bytes)")
    for name, chain, address in (("MarginEngine", perp, d.engine.address), ("MarginReader", perp, d.engine.reader.address),
                                 ("OracleAggregator", perp, d.oracle.address),
                                 ("CollateralVault", chains["vault-l1"], d.vault("vault-l1").address)):
        print(f"  {name:<{width}}  {len(chain.w3.eth.get_code(address)):>9,}")
    print(f"  {'DelayedOracle':<{width}}  {delayed_size:>9,}")


def delayed_oracle_figures() -> tuple[int, int, int]:
    """Gas of ``poke()`` right after a round of reports and long after the last one; the contract's code size."""
    _, d, _, users = setup({"oracle": {"delay": 3_600}})
    perp, delayed = d.perp, d.delayed_oracle
    perp.set_next_timestamp(delayed.next_poke() - 1)
    prices(d, USDC=1, ETH=2000, BTC=50_000)
    fresh = confirm(perp, delayed.poke(users["bob"]))["gasUsed"]
    perp.set_next_timestamp(delayed.next_poke())
    stale = confirm(perp, delayed.poke(users["bob"]))["gasUsed"]
    return fresh, stale, len(perp.w3.eth.get_code(delayed.address))


if __name__ == "__main__":
    main()
