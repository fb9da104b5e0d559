"""Fixtures for the protocol tests: the default world, an honest mock mailbox per chain, and a test bridge.

The mock bridge reads each mock mailbox's ``Dispatch`` logs and delivers them by calling the
destination mock's ``deliver``, which calls ``recipient.handle`` as a real mailbox would. Tests
decide when messages travel (``bridge.collect()`` / ``bridge.deliver(...)`` / ``bridge.flush()``),
so in-flight states can be inspected.

A module may set ``PROTOCOL_CONFIG`` (a ``[protocol]``-style dict) to deploy with other
parameters. Each test runs on a snapshot of a deployment shared by its module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import to_checksum_address
from hexbytes import HexBytes
from web3.contract import Contract

from chains import DEFAULT_WORLD, ChainSet, compile_contract, confirm, deploy
from chains.accounts import keyed_account
from chains.chain import Chain
from chains.transactions import TransactionReverted
from protocol.config import ProtocolConfig
from protocol.deploy import ProtocolDeployment, deploy_protocol
from protocol.units import from_wad, to_units, to_wad
from protocol.messages import Message, decode_body

MOCK_MAILBOX = Path(__file__).resolve().parent / "contracts" / "MockMailbox.vy"
USERS = ("alice", "bob", "carol", "dave", "keeper")
USER_ETH = 1_000 * 10**18
DELIVER_GAS = 3_000_000


@dataclass(frozen=True)
class Envelope:
    """A dispatched message as the bridge carries it."""

    src_chain_id: int
    nonce: int
    sender: str
    dst_chain_id: int
    recipient: str
    body: bytes
    message_id: HexBytes

    @property
    def message(self) -> Message:
        return decode_body(self.body)


class MockBridge:
    """Carries messages between mock mailboxes when the test says so (reliable, in order)."""

    def __init__(self, chain_set: ChainSet, mailboxes: Mapping[str, Contract]) -> None:
        self.chain_set = chain_set
        self.mailboxes = dict(mailboxes)
        self.relayer = {name: chain_set[name].accounts[9].address for name in mailboxes}
        self.cursor = {name: 0 for name in mailboxes}
        self.queue: list[Envelope] = []

    def reset(self, cursor: Mapping[str, int]) -> None:
        self.cursor = dict(cursor)
        self.queue = []

    def collect(self) -> list[Envelope]:
        """Pick up messages dispatched in mined blocks since the last collection; returns them (also queued)."""
        found = []
        for name, mailbox in self.mailboxes.items():
            chain = self.chain_set[name]
            head = chain.head_number
            if head < self.cursor[name]:
                continue
            for event in mailbox.events.Dispatch().get_logs(from_block=self.cursor[name], to_block=head):
                args = event["args"]
                found.append(Envelope(
                    src_chain_id=chain.chain_id,
                    nonce=args["nonce"],
                    sender=to_checksum_address(args["sender"]),
                    dst_chain_id=args["dst_chain_id"],
                    recipient=to_checksum_address(args["recipient"]),
                    body=bytes(args["body"]),
                    message_id=HexBytes(args["message_id"]),
                ))
            self.cursor[name] = head + 1
        self.queue.extend(found)
        return found

    def submit(self, envelope: Envelope, sender: str | None = None, as_sender: str | None = None,
               src_chain_id: int | None = None) -> tuple[Chain, HexBytes]:
        """Submit a delivery (not mined); ``as_sender`` / ``src_chain_id`` forge the origin."""
        chain = self.chain_set.by_id(envelope.dst_chain_id)
        mailbox = self.mailboxes[chain.name]
        tx_hash = mailbox.functions.deliver(
            envelope.src_chain_id if src_chain_id is None else src_chain_id,
            as_sender or envelope.sender,
            envelope.recipient,
            envelope.body,
        ).transact({"from": sender or self.relayer[chain.name], "gas": DELIVER_GAS})
        return chain, HexBytes(tx_hash)

    def deliver(self, envelope: Envelope) -> Any:
        """Deliver one message now (mines its destination); raises TransactionReverted if ``handle`` refused it."""
        if envelope in self.queue:
            self.queue.remove(envelope)
        chain, tx_hash = self.submit(envelope)
        return confirm(chain, tx_hash)

    def flush(self, rounds: int = 6) -> list[Envelope]:
        """Deliver everything, replies included, until nothing is in flight; returns what was delivered."""
        delivered: list[Envelope] = []
        for _ in range(rounds):
            self.collect()
            if not self.queue:
                return delivered
            batch, self.queue = self.queue, []
            submitted = [(envelope, *self.submit(envelope)) for envelope in batch]
            for envelope, chain, tx_hash in submitted:
                confirm(chain, tx_hash)
                delivered.append(envelope)
        raise AssertionError("messages still in flight after several rounds")


class World:
    """The deployed protocol with users, the mock bridge and shortcuts that mine and relay."""

    def __init__(self, chain_set: ChainSet, deployment: ProtocolDeployment, bridge: MockBridge,
                 mailboxes: Mapping[str, Contract], users: Mapping[str, LocalAccount]) -> None:
        self.chains = chain_set
        self.d = deployment
        self.bridge = bridge
        self.mailboxes = dict(mailboxes)
        self.users = dict(users)
        self.engine = deployment.engine
        self.oracle = deployment.oracle

    @property
    def perp(self) -> Chain:
        return self.chains["perp"]

    def user(self, name: str) -> LocalAccount:
        return self.users[name]

    def units(self, asset: str, amount: Any) -> int:
        return to_units(amount, self.d.config.asset(asset).decimals)

    def cid(self, chain: str, asset: str) -> int:
        return self.d.collateral(chain, asset).cid

    def deposit(self, user: str, chain: str, asset: str, amount: Any, relay: bool = True) -> None:
        """Mint ``amount`` whole tokens to the user, deposit them for the user, and (by default) relay."""
        account = self.user(user)
        units = self.units(asset, amount)
        vault = self.d.vault(chain)
        self.chains[chain].add_account(account)
        hashes = [
            self.d.mint(chain, asset, account.address, units),
            self.d.token(chain, asset).approve(account, vault.address, units),
            vault.deposit(account, asset, units),
        ]
        for tx_hash in hashes:
            confirm(self.chains[chain], tx_hash)
        if relay:
            self.bridge.flush()

    def prices(self, **usd: Any) -> None:
        """All reporters post these USD prices now (e.g. ``prices(ETH=2000)``); unnamed feeds keep theirs."""
        confirm(self.perp, self.d.post_prices(usd))

    def all_prices(self, **usd: Any) -> None:
        """Post every feed: the given ones, the others at their last valid price."""
        merged: dict[str, Any] = {feed: from_wad(self.oracle.feed_state(feed).last_valid_price) for feed in self.oracle.feeds}
        merged.update(usd)
        confirm(self.perp, self.d.post_prices(merged))

    def trade(self, user: str, market: str, size: Any, bucket: int = 0, relay: bool = True) -> Any:
        receipt = confirm(self.perp, self.engine.trade(self.user(user), market, to_wad(size), bucket))
        if relay:
            self.bridge.flush()
        return receipt

    def liquidate(self, keeper: str, account: str, bucket: int = 0, relay: bool = True) -> Any:
        receipt = confirm(self.perp, self.engine.liquidate(self.user(keeper), self.user(account).address, bucket))
        if relay:
            self.bridge.flush()
        return receipt

    def advance(self, seconds: int) -> None:
        """Move the perp chain's clock: the next block is ``seconds`` after the head."""
        self.perp.set_next_timestamp(self.perp.head_timestamp + seconds)

    def bucket(self, user: str, bucket: int = 0):
        return self.engine.bucket(self.user(user).address, bucket)

    def ledger(self, chain: str, asset: str):
        return self.d.vault(chain).ledger(asset)

    def state_fingerprint(self) -> tuple:
        """Everything a refused action must leave unchanged, in a comparable form."""
        engine = self.engine
        accounts = [u.address for u in self.users.values()]
        return (
            tuple(engine.funds()),
            engine.totals(),
            tuple(tuple(engine.credited(a).items()) for a in accounts),
            tuple(engine.balance(a, b) for a in accounts for b in range(2)),
            tuple(engine.position(a, m, b) for a in accounts for m in self.d.catalog.markets for b in range(2)),
            tuple(engine.market(m) for m in self.d.catalog.markets),
            tuple(self.d.vault(c).ledger(a.name) for c in self.d.vault_chains for a in self.d.config.assets),
            tuple(self.d.vault(c).locked(acc, a.name) for c in self.d.vault_chains for a in self.d.config.assets for acc in accounts),
        )


def expect_revert(chain: Chain, tx_hash: HexBytes, reason: str) -> None:
    """The submitted transaction is mined with status 0 and a reason mentioning ``reason``."""
    tx_hash = HexBytes(tx_hash)
    assert tx_hash in chain.pending_transactions(), "expected a submitted, not yet mined, transaction"
    with pytest.raises(TransactionReverted) as failure:
        confirm(chain, tx_hash)
    assert reason in failure.value.reason, failure.value.reason


def user_accounts(seed: int = 0) -> dict[str, LocalAccount]:
    return {name: keyed_account(f"test-{name}", seed) for name in USERS}


def deploy_mailboxes(chain_set: ChainSet) -> dict[str, Contract]:
    mock = compile_contract(MOCK_MAILBOX)
    return {chain.name: deploy(chain, mock) for chain in chain_set}


def build_world(config_data: Mapping[str, Any] | None = None, seed: int = 0,
                vault_chains: Iterable[str] = ("vault-l1", "vault-l2"), auto_mine: bool = False) -> World:
    users = user_accounts(seed)
    chain_set = ChainSet.from_configs(DEFAULT_WORLD, seed=seed, auto_mine=auto_mine,
                                      extra_alloc={u.address: USER_ETH for u in users.values()})
    for chain in chain_set:
        for account in users.values():
            chain.add_account(account)
    mailboxes = deploy_mailboxes(chain_set)
    config = ProtocolConfig.from_dict(config_data or {})
    deployment = deploy_protocol(chain_set, config, {n: m.address for n, m in mailboxes.items()},
                                 vault_chains=tuple(vault_chains), seed=seed)
    bridge = MockBridge(chain_set, mailboxes)
    world = World(chain_set, deployment, bridge, mailboxes, users)
    bridge.flush()  # the pool and insurance seeding messages
    return world


@pytest.fixture(scope="module")
def shared_world(request: pytest.FixtureRequest) -> World:
    return build_world(getattr(request.module, "PROTOCOL_CONFIG", None))


@pytest.fixture
def world(shared_world: World) -> Iterable[World]:
    """The module's deployment, restored to its deployed state after each test."""
    chains = shared_world.chains
    for chain in chains:
        if chain.pending_transactions():
            chain.mine()
    snapshot = chains.snapshot()
    cursor = dict(shared_world.bridge.cursor)
    yield shared_world
    for chain in chains:
        if chain.pending_transactions():
            chain.mine()
    chains.revert(snapshot)
    shared_world.bridge.reset(cursor)


@pytest.fixture
def revert() -> Any:
    """``revert(chain, tx_hash, reason)``: assert the transaction failed with that reason."""
    return expect_revert


@pytest.fixture(scope="session")
def make_world() -> Any:
    """``make_world(config_dict)``: a fresh deployment with other parameters (slower; prefer PROTOCOL_CONFIG)."""
    return build_world
