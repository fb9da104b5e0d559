"""Running a live world's SimPy clock at wall-clock pace, on a background thread.

Simulated time ``t`` is due at wall-clock ``start + (t - t0) * scale``. The thread
builds the off-chain side, then sleeps until the next event is due (in short slices,
so a stop is prompt), takes every chain's lock (always in the same order; a JSON-RPC
request holds only its own chain's) and runs the event. A step is never cut short:
stopping waits for it, then the thread closes the relayers it opened.

A step that raises is reported and the off-chain side restarted over the chains;
after ``MAX_FAILURES`` such failures the clock stops and keeps the error in
:attr:`WallClock.failure`.
"""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Sequence

from chains.errors import XmarginError
from sim.live.offchain import Notify, OffChain

SLICE_SECONDS = 0.05
MAX_FAILURES = 3


class ClockError(XmarginError):
    """The clock could not start (the bridge failed to build)."""


class WallClock:
    def __init__(
        self,
        offchain: OffChain,
        locks: Sequence[threading.RLock],
        scale: float = 1.0,
        notify: Notify | None = None,
    ) -> None:
        self.offchain = offchain
        self.locks = list(locks)
        self.scale = scale
        self.notify = notify or (lambda message: None)
        self.failures = 0
        self.failure: BaseException | None = None
        self._stop = threading.Event()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="xmargin-clock", daemon=True)
        self._origin_wall = time.monotonic()
        self._origin_sim = offchain.start_time

    def start(self, at: float | None = None) -> None:
        """Start the thread and wait until the off-chain side is built; raises ClockError if it cannot be.

        ``at``: the simulated time it is now (default: the off-chain side's start time);
        events between the start time and ``at`` run at once, to catch up.
        """
        if at is not None:
            self._origin_sim = max(at, self.offchain.start_time)
        self._thread.start()
        self._started.wait()
        if self.failure is not None:
            self._thread.join()
            raise ClockError(f"the bridge could not start: {type(self.failure).__name__}: {self.failure}")

    def now(self) -> float:
        """The simulated time it is now, by the wall clock."""
        return self._origin_sim + (time.monotonic() - self._origin_wall) / self.scale

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        """Stop after the step in progress, if any; safe to call twice, or before :meth:`start`."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _locked(self) -> ExitStack:
        stack = ExitStack()
        for lock in self.locks:
            stack.enter_context(lock)
        return stack

    def _run(self) -> None:
        try:
            with self._locked():
                self.offchain.start()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that called start()
            self.failure = exc
            self._started.set()
            return
        self._origin_wall = time.monotonic()
        self._started.set()
        try:
            self._loop()
        finally:
            with self._locked():
                self.offchain.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self._locked():
                now = self.now()
                due = self._advance(now)
            if due is None:
                continue
            self._stop.wait(min(SLICE_SECONDS, max(0.0, (due - now) * self.scale)))

    def _advance(self, now: float) -> float | None:
        """Run one due event (None: look again at once), or return when the next one is due."""
        try:
            self.offchain.before_step(now)
            env = self.offchain.env
            due = env.peek()
            if due > now:
                return due
            env.step()
            return None
        except Exception as exc:  # noqa: BLE001 - any failure of a step is reported, and the bridge restarted
            self._failed(exc)
            return None

    def _failed(self, error: Exception) -> None:
        self.failures += 1
        self.notify(f"clock step failed ({type(error).__name__}: {error})")
        if self.failures < MAX_FAILURES:
            try:
                self.offchain.restart("a step failed")
                return
            except Exception as again:  # noqa: BLE001 - a bridge that cannot restart stops the clock
                error = again
        self.failure = error
        self.notify(f"clock stopped after {self.failures} failure(s): {type(error).__name__}: {error}")
        self._stop.set()
