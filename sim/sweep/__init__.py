"""Sweeps: a grid of parameter values times seeds, each a full run, on a process pool or a Dask cluster.

``xmargin sweep SCENARIO --param KEY=V1,V2 --seeds N [--workers N | --scheduler ADDRESS]
[--out DIR] [--resume] [--keep-runs]``. One code path for both executors
(:mod:`sim.sweep.executors`); each run is a :class:`RunSpec` executed by
:func:`sim.sweep.spec.execute`, which ships back its result (and its run directory
only with ``--keep-runs``). Results land in the sweep directory as they arrive
(:mod:`sim.sweep.layout`); the tables (:mod:`sim.sweep.results`) and the report are
derived from them, so an interrupted sweep resumes with ``--resume`` and computes only
what is missing.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.sweep.executors import Backend, ExecutorLost, dask_cluster, process_pool
from sim.sweep.grid import SweepPlan, plan_sweep
from sim.sweep.layout import SweepDirectory, is_sweep_dir
from sim.sweep.runner import Progress, ProgressCallback, run_all
from sim.sweep.spec import RunSpec, execute

__all__ = [
    "Backend", "ExecutorLost", "Progress", "RunSpec", "SweepPlan", "SweepRequest", "Sweep", "default_workers",
    "execute", "is_sweep_dir", "open_backend", "plan_sweep", "prepare_sweep",
]


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


@dataclass(frozen=True)
class SweepRequest:
    scenario: str
    params: tuple[str, ...]
    seeds: int | None  # None: the scenario's [sweep] seeds
    overrides: tuple[str, ...] = ()
    workers: int | None = None
    scheduler: str | None = None
    out: str | None = None
    resume: bool = False
    keep_runs: bool = False
    engine: str | None = None


@dataclass
class Sweep:
    """A validated sweep whose directory is checked but not yet written."""

    request: SweepRequest
    plan: SweepPlan
    directory: SweepDirectory
    pending: list[RunSpec]
    already_done: int

    def manifest(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "identity": plan.identity(),
            "scenario": plan.scenario,
            "source": plan.source,
            "params": [p.key for p in plan.params],
            "points": plan.points,
            "seeds": list(plan.seeds),
            "runs": [{"run_id": s.run_id, "point": s.point, "seed": s.seed} for s in plan.runs()],
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }

    def start(self) -> None:
        """Write the manifest (a new sweep) so results can land."""
        if not self.request.resume:
            self.directory.create(self.manifest())

    def run(self, backend: Backend, on_progress: ProgressCallback | None = None) -> Progress:
        return run_all(self.pending, backend, self.directory, on_progress)


def prepare_sweep(request: SweepRequest) -> Sweep:
    """Validate the grid and the directory; raises ConfigError (one line) and changes nothing."""
    plan = plan_sweep(request.scenario, request.params, request.seeds, request.overrides)
    directory = SweepDirectory(request.out or Path("sweeps") / plan.scenario)
    if request.resume:
        directory.check_resumable(plan.identity())
    else:
        directory.check_new()
    done = directory.done() if request.resume else set()
    pending = [spec for spec in plan.runs(request.keep_runs, request.engine) if spec.run_id not in done]
    return Sweep(request, plan, directory, pending, plan.size - len(pending))


def open_backend(request: SweepRequest) -> Backend:
    if request.scheduler is not None:
        return dask_cluster(request.scheduler)
    return process_pool(request.workers or default_workers())
