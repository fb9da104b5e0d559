"""Relayers, and the running bridge they are part of.

:class:`Bridge` is what a simulation starts once the mailboxes are deployed::

    bridge = Bridge(env, chain_set, deployment, config, seed, lifecycle=None, data_dir=run_dir)
    start_block_production(env, chain_set, [bridge.block_listener])   # or bridge.start_block_production()

It runs, as SimPy processes on ``env``: a validator per configured key, the
transport with each route's faults, ``relayers.count`` relayers (each with its
SQLite file ``data_dir/relayer-<i>.sqlite``), and the configured relayer outages.

Fault control from Python:

- ``bridge.kill_relayer(i)`` / ``bridge.restart_relayer(i)`` at any moment, and
  ``bridge.schedule_outage(i, start, end)``; a restarted relayer resumes from its file;
- ``bridge.forger.forge(src, dst, recipient, body, sender=None)`` (now) or
  ``bridge.forger.schedule(at, ...)``: a never-dispatched message, signed by the
  compromised validators and submitted; ``Forgery.accepted`` says how it went;
- ``bridge.run_until_settled(timeout)`` advances the clock until every dispatched
  message is processed (or abandoned by every relayer); ``bridge.unsettled()``
  lists the rest.

Observation: ``bridge.lifecycle`` (see :mod:`bridge.lifecycle`), and per relayer
``bridge.relayers[i].status_counts()``.
"""

from relayer.relayer import Relayer
from relayer.runtime import Bridge
from relayer.store import QueuedMessage, RelayerStore

__all__ = ["Bridge", "QueuedMessage", "Relayer", "RelayerStore"]
