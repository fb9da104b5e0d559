"""``xmargin up`` in a terminal: what it prints, and running until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any, Mapping

from rich.console import Console, RenderableType
from rich.table import Table

from bridge import LifecycleEvent
from sim.live.options import UpOptions
from sim.live.runtime import start_up

POLL_SECONDS = 0.2
SHOWN_KINDS = ("dispatched", "processed", "rejected", "abandoned")


def render(manifest: Mapping[str, Any], addresses_file: str) -> list[RenderableType]:
    """The chains with their endpoints, the deployed contracts and the funded accounts (keys unwrapped, to copy)."""
    chains = Table(title=f"xmargin up: world {manifest['world']!r}, seed {manifest['seed']}", title_justify="left")
    for column in ("chain", "role", "chain id", "endpoint", "block time", "finality"):
        chains.add_column(column, justify="right" if column in ("chain id", "block time", "finality") else "left")
    for name, chain in manifest["chains"].items():
        role = "perp" if name == manifest["perp_chain"] else "vault" if name in manifest["vault_chains"] else ""
        chains.add_row(
            name, role, str(chain["chain_id"]), chain["url"], f"{chain['block_time']} s", f"{chain['finality_depth']} blocks"
        )

    contracts = Table(title="contracts", title_justify="left")
    for column in ("chain", "contract", "address"):
        contracts.add_column(column, no_wrap=True)
    for name, chain in manifest["chains"].items():
        for kind, address in chain["contracts"].items():
            if kind == "tokens":
                for asset, token in address.items():
                    contracts.add_row(name, f"token {manifest['assets'][asset]['symbol']}", token)
            elif kind == "pools":
                for asset, pool in address.items():
                    contracts.add_row(name, f"pool {asset}/{manifest['amm']['quote']}", pool)
            else:
                contracts.add_row(name, kind, address)

    grant = ", ".join(f"{amount} {manifest['assets'][asset]['symbol']}" for asset, amount in manifest["token_grant"].items())
    addresses = "\n".join(f"({i}) {account['address']}" for i, account in enumerate(manifest["accounts"]))
    keys = "\n".join(f"({i}) {account['private_key']}" for i, account in enumerate(manifest["accounts"]))
    accounts = (
        f"Available accounts (the same on every chain; 10000 ETH each, and {grant} on each vault chain)\n"
        f"{addresses}\n\nPrivate keys\n{keys}"
    )

    mode = "instant (a block per transaction)" if manifest["instant"] else "a block every block time"
    scale = manifest["block_time_scale"]
    pace = "" if scale == 1 else f", clock x{1 / scale:g}"
    footer = (
        f"mining: {mode}{pace}; bridge relaying live (relayer state in {manifest['data_dir']})\n"
        f"all of this, per-chain accounts, oracle reporter keys and ABIs: {addresses_file}\n"
        "Ctrl-C to stop"
    )
    return [chains, contracts, accounts, footer]


class EventPrinter:
    """One line per message event worth seeing live (history replayed by a restarted bridge is skipped)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._dispatched: dict[str, float] = {}

    def __call__(self, generation: int, event: LifecycleEvent, replayed: bool) -> None:
        if replayed or event.kind not in SHOWN_KINDS:
            return
        detail = event.detail
        message = event.message_id[:10]
        if event.kind == "dispatched":
            self._dispatched[event.message_id] = event.time
            text = f"message {message} dispatched {detail.get('src_chain')} -> {detail.get('dst_chain')} (block {event.block})"
        elif event.kind == "processed":
            sent = self._dispatched.pop(event.message_id, None)
            took = f" after {event.time - sent:g} s" if sent is not None else ""
            text = f"message {message} processed on {event.chain} (block {event.block}){took}"
        elif event.kind == "rejected":
            text = f"message {message} rejected on {event.chain}: {detail.get('reason')}"
        else:
            text = f"message {message} abandoned by {event.actor}: {detail.get('reason')}"
        self.console.print(f"[dim]{time.strftime('%H:%M:%S')}[/] {text}", highlight=False)


def run_up(options: UpOptions, console: Console, errors: Console) -> int:
    """Start, print, serve until Ctrl-C or SIGTERM, shut down cleanly; the exit code (1 if the clock failed)."""
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        live = start_up(
            options,
            on_event=[EventPrinter(console)],
            notify=lambda message: errors.print(f"[yellow]warning:[/] {message}", highlight=False),
            progress=lambda message: console.print(f"[dim]{message}[/]", highlight=False),
        )
        with live:
            for part in render(live.manifest, str(options.addresses_file)):
                console.print(part, highlight=False, soft_wrap=isinstance(part, str))
            while not stop.wait(POLL_SECONDS) and live.failure is None:
                pass
            console.print("[dim]stopping: endpoints, clock, relayers...[/]", highlight=False)
        if live.failure is not None:
            errors.print(f"[bold red]error:[/] the clock stopped: {live.failure}", highlight=False)
            return 1
        console.print(f"stopped cleanly; relayer state and message log in {live.data_dir}", highlight=False)
        if live.dumped is not None:
            dumped = live.dumped
            console.print(f"world saved to {dumped.path} ({dumped.size / 1e6:.2f} MB, {dumped.blocks} blocks, "
                          f"{dumped.seconds:.2f} s); start it again with --load-state {dumped.path}",
                          highlight=False, soft_wrap=True)
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
