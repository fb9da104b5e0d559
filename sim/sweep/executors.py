"""Where runs execute: a local process pool or a Dask cluster, both as ``concurrent.futures`` executors.

The sweep's loop sees only ``submit`` and futures, so the two differ here alone. The
pool's workers are spawned (not forked) so a run never inherits the parent's
threads. Dask comes with ``pip install "xmargin[cluster]"``; its workers need
xmargin installed, and one thread each (``dask worker ADDRESS --nthreads 1
--nworkers N``): a run is CPU-bound Python, threads would share one core.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable

from chains.errors import ConfigError, XmarginError

CONNECT_TIMEOUT = 10.0  # seconds to reach a scheduler
WORKERS_TIMEOUT = 30.0  # seconds to wait for a cluster's first worker


class ExecutorLost(XmarginError):
    """The pool broke (a worker process died) or the scheduler went away: the sweep stops, --resume finishes it."""


def _nothing() -> None:
    return None


@dataclass
class Backend:
    executor: cf.Executor
    slots: int  # runs that execute at once
    description: str
    on_close: Callable[[], None] = field(default=_nothing, repr=False)
    on_cancel: Callable[[], None] = field(default=_nothing, repr=False)  # stop runs in progress

    def close(self, cancel: bool = False) -> None:
        """Shut down; with ``cancel`` (an interrupted sweep) drop queued runs and stop the running ones."""
        if isinstance(self.executor, cf.ProcessPoolExecutor):
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)
        else:
            self.executor.shutdown(wait=not cancel)  # a Dask executor cancels what is left when not waiting
        if cancel:
            self.on_cancel()
        self.on_close()


def process_pool(workers: int) -> Backend:
    pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))

    def terminate_workers() -> None:
        for child in multiprocessing.active_children():  # the pool's processes: a sweep starts no others
            child.terminate()

    plural = "es" if workers != 1 else ""
    return Backend(pool, workers, f"{workers} local worker process{plural}", on_cancel=terminate_workers)


def dask_cluster(address: str, timeout: float = CONNECT_TIMEOUT) -> Backend:
    """A client of the Dask scheduler at ``address``; ConfigError (one line) when it cannot be used."""
    try:
        from distributed import Client
    except ImportError:
        raise ConfigError('--scheduler needs Dask distributed: pip install "xmargin[cluster]"') from None
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"--scheduler {address}: cannot reach the scheduler ({_reason(exc)})") from None
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT)
    except (OSError, TimeoutError) as exc:
        client.close()
        raise ConfigError(f"--scheduler {address}: no worker joined within {WORKERS_TIMEOUT:.0f} s ({_reason(exc)})") from None
    workers = client.scheduler_info().get("workers", {})
    slots = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
    description = f"Dask scheduler {address}: {len(workers)} worker{'s' if len(workers) != 1 else ''}, {slots} thread{'s' if slots != 1 else ''}"
    return Backend(client.get_executor(pure=False), slots, description, on_close=client.close)


def is_lost(exc: BaseException) -> bool:
    """An exception that means the executor itself failed, not the run."""
    if isinstance(exc, (BrokenProcessPool, cf.CancelledError)):
        return True
    name = type(exc).__name__
    return name in ("CommClosedError", "FutureCancelledError") or isinstance(exc, (OSError, TimeoutError))


def _reason(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0] or type(exc).__name__
