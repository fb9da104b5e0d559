"""Block production on a discrete-event clock.

Simulated time ``t`` (seconds, on a SimPy environment) maps to block timestamp
``genesis_timestamp + t``. A producer seals the pending block of its chain every
``block_time`` seconds, so transactions submitted during an interval land together
in the block that closes it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Generator

import simpy

from chains.blocks import MinedBlock
from chains.chain import Chain

BlockListener = Callable[[Chain, MinedBlock], None]


def sim_time_of(chain: Chain, timestamp: int) -> float:
    return float(timestamp - chain.config.genesis_timestamp)


def produce_blocks(
    env: simpy.Environment,
    chain: Chain,
    listeners: list[BlockListener] | None = None,
    halted: Callable[[], bool] | None = None,
) -> Generator[Any, Any, None]:
    """A SimPy process: mine ``chain`` at its block time, forever; call listeners with each block.

    While ``halted()`` is true the chain produces no blocks (a halted sequencer);
    pending transactions wait for the next block after it resumes.
    """
    listeners = listeners if listeners is not None else []
    while True:
        due = sim_time_of(chain, chain.next_timestamp)
        if due > env.now:
            yield env.timeout(due - env.now)
        if halted is not None and halted():
            yield env.timeout(chain.block_time)
            continue
        # after a halt the scheduled timestamp lies in the past: the block gets the current time
        block = chain.mine(max(chain.next_timestamp, chain.config.genesis_timestamp + int(env.now)))
        for listener in listeners:
            listener(chain, block)


def start_block_production(
    env: simpy.Environment, chains: Any, listeners: list[BlockListener] | None = None
) -> list[simpy.Process]:
    """Start one producer per chain of a ChainSet (or any iterable of chains); each chain tells time by ``env``."""
    processes = []
    for chain in chains:
        chain.clock = functools.partial(_clock_timestamp, env, chain.config.genesis_timestamp)
        processes.append(env.process(produce_blocks(env, chain, listeners)))
    return processes


def _clock_timestamp(env: simpy.Environment, genesis_timestamp: int) -> float:
    return genesis_timestamp + env.now
