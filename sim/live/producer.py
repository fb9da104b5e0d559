"""Block production for a chain that people also drive by hand (JSON-RPC testing methods).

The simulation's producer (:mod:`chains.producer`) mines when the pending block's
timestamp comes due, so a chain whose time was pushed ahead (``evm_increaseTime``,
``evm_mine``, auto-mined transactions) would stop producing until the clock caught
up. Here a chain never waits longer than its block time: each block gets the pending
block's timestamp or the clock's, whichever is later, as Anvil does with
``--block-time``. In ``--instant`` mode the pending timestamp is also pulled back to
the clock before each request and each step (:class:`AligningLock`), so a transaction
mined on arrival is stamped with the wall-clock time (at least head + 1) rather than
one block time after the previous block.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Generator, Iterable

import simpy

from chains.chain import Chain
from chains.producer import BlockListener, sim_time_of


def clock_timestamp(chain: Chain, now: float) -> int:
    """The block timestamp of simulated time ``now`` on ``chain``."""
    return chain.config.genesis_timestamp + int(now)


def follow_clock(env: simpy.Environment, chain: Chain, listeners: Iterable[BlockListener]) -> Generator[Any, Any, None]:
    """A SimPy process: mine ``chain`` every block time of the clock (sooner if its pending block is due)."""
    listeners = list(listeners)
    while True:
        due = sim_time_of(chain, chain.next_timestamp)
        yield env.timeout(min(max(due - env.now, 0.0), chain.block_time))
        block = chain.mine(max(chain.next_timestamp, clock_timestamp(chain, env.now)))
        for listener in listeners:
            listener(chain, block)


def align_to_clock(chain: Chain, now: float) -> None:
    """For an auto-mining chain: stamp the next block with the clock's time (at least head + 1).

    Only a pending timestamp left as mining left it (head + block time) is moved, so
    one set by ``evm_increaseTime`` or ``evm_setNextBlockTimestamp`` stays.
    """
    if not chain.auto_mine:
        return
    head = chain.head_timestamp
    if chain.next_timestamp != head + chain.block_time:
        return
    target = max(head + 1, clock_timestamp(chain, now))
    if target < chain.next_timestamp:
        chain.set_next_timestamp(target)


class AligningLock:
    """A chain's lock that, once taken, aligns the chain's pending block with the clock.

    Given to the chain's JSON-RPC server (every request holds its lock), it stamps a
    transaction that auto-mines on arrival with the time it arrived.
    """

    def __init__(self, chain: Chain, lock: threading.RLock, now: Callable[[], float]) -> None:
        self.chain = chain
        self.lock = lock
        self.now = now

    def __enter__(self) -> "AligningLock":
        self.lock.acquire()
        try:
            align_to_clock(self.chain, self.now())
        except BaseException:
            self.lock.release()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.lock.release()
