"""One re-entrant lock per chain, shared by everything that touches the chain from a thread.

A served chain is read and written from the server's request threads; a wall-clock
block producer or a live relayer working on the same chain from another thread must
hold the same lock, which :func:`chain_lock` hands to all of them.
"""

from __future__ import annotations

import threading
import weakref

from chains.chain import Chain

_locks: weakref.WeakKeyDictionary[Chain, threading.RLock] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def chain_lock(chain: Chain) -> threading.RLock:
    """The lock of ``chain`` (created on first use; the same object on every later call)."""
    with _guard:
        lock = _locks.get(chain)
        if lock is None:
            lock = _locks[chain] = threading.RLock()
        return lock
