"""``xmargin up``: the world's chains as JSON-RPC endpoints, with the bridge relaying live.

``start_up(UpOptions(...))`` resolves the world (a scenario or the default one, with
overrides and a seed), deploys the bridge and the protocol on chains that start at the
wall-clock time, funds ten accounts with ether and test tokens on every chain, serves
each chain over HTTP (ports in chain order from ``--port``), writes the addresses file
and starts the clock on a background thread; it returns a :class:`LiveWorld`, whose
``close()`` shuts everything down. ``run_up`` is the terminal front end (prints,
waits for Ctrl-C or SIGTERM).

Pieces: ``options`` (checked before anything is built), ``accounts`` (the shared
funded accounts), ``producer`` (blocks on the wall clock, also for hand-driven chains),
``offchain`` (clock, producers, bridge, and :mod:`sim.heartbeat` keeping oracle prices
fresh; rebuilt if a chain's finalized history is rewritten), ``clock`` (real-time driver),
``manifest`` (the addresses document), ``runtime`` (start and stop), ``console``.
"""

from sim.live.console import run_up
from sim.live.options import DEFAULT_ADDRESSES_FILE, DEFAULT_PORT, UpOptions
from sim.live.runtime import LiveWorld, start_up

__all__ = ["DEFAULT_ADDRESSES_FILE", "DEFAULT_PORT", "LiveWorld", "UpOptions", "run_up", "start_up"]
