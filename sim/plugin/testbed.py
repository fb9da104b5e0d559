"""The testbed a test gets: chains, bridge and protocol on one simulated clock, with controls.

Everything acts for real: ``deposit`` sends the token and vault transactions, ``relay``
and ``advance`` run the clock (blocks are mined, validators attest, relayers deliver),
and the fault controls change the bridge's own route configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import simpy
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3

from chains import Chain, MinedBlock
from chains.errors import XmarginError
from protocol.units import Number, to_units
from sim import heartbeat
from sim.plugin.faults import RouteFaults
from sim.testbed import Testbed
from sim.world_spec import WorldSpec


def run_due_now(env: simpy.Environment) -> None:
    """Run every event due at the current time (``env.run(until=t)`` leaves those at ``t`` pending).

    At a testbed's start this also lets each process take its first step: a relayer
    killed before its first step would otherwise take that step on a closed database.
    """
    while env.peek() <= env.now:
        env.step()


class TestbedError(XmarginError):
    """A testbed control was used with a bad argument (unknown user, negative time, ...)."""

    __test__ = False  # not a test class, whatever pytest's name patterns say


@dataclass
class XmarginTestbed(Testbed):
    """A fresh testbed: ``env``, ``chains``, ``protocol`` (the bindings), ``bridge``, ``lifecycle`` and ``users``."""

    users: dict[str, LocalAccount] = field(default_factory=dict)
    spec: WorldSpec | None = None

    def __post_init__(self) -> None:
        self.faults = RouteFaults(self.bridge)

    # -- handles -----------------------------------------------------------------

    def w3(self, chain: str) -> Web3:
        """The web3 of chain ``chain`` (in process, over its JSON-RPC methods; ``eth_sendTransaction`` signs for funded accounts)."""
        return self.chains[chain].w3

    def user(self, name: str) -> LocalAccount:
        """A funded user (``alice``, ``bob``, ``carol``, ``dave``, ``erin``): ether on every chain, can sign."""
        try:
            return self.users[name]
        except KeyError:
            raise TestbedError(f"no user {name!r}; users: {', '.join(self.users)}") from None

    @property
    def now(self) -> float:
        """Simulated time, in seconds (block timestamp = a chain's genesis timestamp + now)."""
        return self.env.now

    # -- protocol shortcuts (submit only; the clock mines) ---------------------------

    def deposit(self, user: str | LocalAccount, chain: str, asset: str, amount: Number) -> HexBytes:
        """Mint ``amount`` whole tokens of ``asset`` to the user, approve the vault and deposit them.

        The transactions wait in ``chain``'s pending block; ``relay()`` or ``advance()``
        mines them and carries the margin message to the perp chain. Returns the deposit's hash.
        """
        account = self.user(user) if isinstance(user, str) else user
        decimals = self.protocol.config.asset(asset).decimals
        try:
            units = to_units(amount, decimals)
        except (TypeError, ValueError) as exc:
            raise TestbedError(f"deposit amount {amount!r}: {exc}") from None
        if units <= 0:
            raise TestbedError(f"deposit amount must be positive, got {amount!r}")
        vault = self.protocol.vault(chain)
        self.protocol.mint(chain, asset, account.address, units)
        self.protocol.token(chain, asset).approve(account, vault.address, units)
        return vault.deposit(account, asset, units)

    def post_prices(self, **usd: Number) -> HexBytes:
        """Every oracle reporter reports these USD prices (``post_prices(ETH=2500)``) in the pending block."""
        return self.protocol.post_prices(usd)

    def keep_prices_fresh(self) -> None:
        """From now on the reporters re-report every price every half staleness period, as ``xmargin up`` does.

        Without it prices go stale once ``protocol.oracle.staleness`` simulated seconds pass
        without a report, and the engine refuses new risk (which a test may want).
        """
        self.env.process(heartbeat.keep_prices_fresh(self.env, self.protocol))

    # -- time --------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Run the clock ``seconds`` forward, up to and including what is due then.

        Blocks are mined at each chain's block time, messages attested, relayed and processed.
        """
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < float("inf"):
            raise TestbedError(f"advance() takes a finite number of seconds >= 0, got {seconds!r}")
        if seconds > 0:
            self.run_for(seconds)
        run_due_now(self.env)

    def mine(self, chain: str | None = None) -> list[MinedBlock]:
        """Seal the pending block of ``chain`` (default: every chain) now, and let the bridge see it.

        The block gets the pending block's timestamp, so the chain runs one block ahead
        of the clock and its producer waits for the clock to catch up.
        """
        selected = [self.chains[chain]] if chain is not None else list(self.chains)
        blocks = []
        for one in selected:
            block = one.mine()
            self.on_block(one, block)
            blocks.append(block)
        return blocks

    def on_block(self, chain: Chain, block: MinedBlock) -> None:
        """The block listener of this testbed's producers: the bridge first, then ``listeners``."""
        self.bridge.block_listener(chain, block)
        for listener in self.listeners:
            listener(chain, block)

    # -- faults ------------------------------------------------------------------------

    def partition(self, a: str, b: str, both_ways: bool = True) -> None:
        """Cut the bridge between chains ``a`` and ``b`` from now until :meth:`heal`."""
        self.faults.partition(a, b, both_ways)

    def heal(self, a: str | None = None, b: str | None = None) -> None:
        """End the partition between ``a`` and ``b`` (default: every partition made by :meth:`partition`)."""
        self.faults.heal(a, b)

    def delay(self, route: str | tuple[str, str], seconds: float) -> None:
        """Packets sent on ``route`` (``"vault-l1->perp"``) from now on take ``seconds`` longer; 0 undoes it."""
        self.faults.delay(route, seconds)

    def burst(self, route: str | tuple[str, str], seconds: float, duplicate: float = 1.0, reorder_window: float = 30.0) -> None:
        """For ``seconds``, packets on ``route`` are duplicated (with probability ``duplicate``) and reordered
        (up to ``reorder_window`` s of jitter); the relayer's duplicate deliveries are refused on chain."""
        self.faults.burst(route, seconds, duplicate, reorder_window)

    def kill_relayer(self, index: int = 0) -> None:
        """Crash relayer ``index``: it stops now; its SQLite state stays for :meth:`restart_relayer`."""
        self.bridge.kill_relayer(index)

    def restart_relayer(self, index: int = 0) -> None:
        self.bridge.restart_relayer(index)

    # -- end ---------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the relayers (their SQLite files are closed); the chains belong to the template."""
        for relayer in self.bridge.relayers:
            relayer.kill()

    def __repr__(self) -> str:
        name = self.spec.name if self.spec is not None else "?"
        return f"XmarginTestbed({name!r}, t={self.env.now:g}, chains={list(self.chains.names)})"
