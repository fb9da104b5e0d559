"""The sweep's loop: keep every slot busy, record each result as it arrives, report progress.

As many runs are submitted as the executor has slots, so "running" is what runs and
an interruption loses only runs in progress. Each result is saved (atomically) the
moment it arrives; a run that failed is a result like any other. Ctrl-C, a dead
worker process or a lost scheduler stop the loop with what is done kept on disk.
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from sim.sweep.executors import Backend, ExecutorLost, is_lost
from sim.sweep.layout import SweepDirectory
from sim.sweep.spec import EXIT_FAILED, RunSpec, execute

POLL = 0.5  # seconds between progress updates while waiting


@dataclass
class Progress:
    total: int  # runs in this session (those already done are not counted)
    done: int = 0
    failed: int = 0
    running: int = 0
    started: float = field(default_factory=time.monotonic)
    run_seconds: list[float] = field(default_factory=list)
    slots: int = 1
    failures: list[dict[str, Any]] = field(default_factory=list)  # results of the runs that failed, in order

    @property
    def eta_seconds(self) -> float | None:
        """Time left: the mean wall time of finished runs, times the runs left, over the slots."""
        if not self.run_seconds:
            return None
        left = self.total - self.done
        mean = sum(self.run_seconds) / len(self.run_seconds)
        rate = min(self.slots, max(1, left))
        return left * mean / rate


ProgressCallback = Callable[[Progress], None]


def worker_failure(spec: RunSpec, exc: BaseException) -> dict[str, Any]:
    """The result of a run whose worker failed (e.g. Dask gave up after the worker died repeatedly)."""
    return {
        "run_id": spec.run_id, "point": spec.point, "seed": spec.seed, "outcome": "worker_failed",
        "exit_code": EXIT_FAILED, "error": f"{type(exc).__name__}: {exc}".splitlines()[0], "traceback": None,
        "summary": None, "archive": None, "worker": None, "wall_seconds": None,
    }


def run_all(specs: Iterable[RunSpec], backend: Backend, directory: SweepDirectory,
            on_progress: ProgressCallback | None = None) -> Progress:
    """Run every spec; returns the progress at the end. Raises ExecutorLost or KeyboardInterrupt, results kept."""
    queue = deque(specs)
    progress = Progress(total=len(queue), slots=backend.slots)
    in_flight: dict[cf.Future, tuple[RunSpec, float]] = {}
    while queue or in_flight:
        while queue and len(in_flight) < backend.slots:
            spec = queue.popleft()
            in_flight[backend.executor.submit(execute, spec)] = (spec, time.monotonic())
        progress.running = len(in_flight)
        if on_progress is not None:
            on_progress(progress)
        finished, _ = cf.wait(in_flight, timeout=POLL, return_when=cf.FIRST_COMPLETED)
        for future in finished:
            spec, submitted = in_flight.pop(future)
            try:
                result = future.result()
            except BaseException as exc:  # noqa: BLE001 - sorted into "the run failed" and "the executor failed"
                if is_lost(exc):
                    raise ExecutorLost(_lost_reason(exc)) from None
                result = worker_failure(spec, exc)
            directory.save(result)
            progress.done += 1
            if result["exit_code"] != 0:
                progress.failed += 1
                progress.failures.append(result)
            progress.run_seconds.append(result.get("wall_seconds") or time.monotonic() - submitted)
    progress.running = 0
    if on_progress is not None:
        on_progress(progress)
    return progress


def _lost_reason(exc: BaseException) -> str:
    if type(exc).__name__ == "BrokenProcessPool":
        return "a worker process died and the pool broke"
    return f"lost the executor ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'no detail'})"
