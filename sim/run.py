"""Running a scenario and writing its run directory.

A run directory holds ``summary.json`` (every metric, the trace hash, the outcome),
``trace.jsonl`` (every event, canonical JSON, flushed as it happens),
``messages.jsonl`` (each message's lifecycle record), ``timeseries.json``,
``plot.png`` and ``report.html``. The summary is written even when the run stops on
a violated invariant or crashes, so nothing already observed is lost.
"""

from __future__ import annotations

import json
import os
import time
import tracemalloc
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, Callable

from bridge import MessageRecord
from chains.errors import ConfigError
from sim.invariants import InvariantViolation
from sim.metrics import usd
from sim.report import plot_run, write_html_report
from sim.scenario import Scenario
from sim.world import World

EXIT_OK, EXIT_INVARIANT = 0, 1
PROGRESS_STEP = 60.0  # simulated seconds between progress callbacks

Progress = Callable[[float, float], None]  # (simulated seconds done, total)


@dataclass
class RunResult:
    run_dir: Path
    summary: dict[str, Any]

    @property
    def trace_hash(self) -> str:
        return self.summary["trace_hash"]

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.summary["status"] == "ok" else EXIT_INVARIANT


def prepare_run_dir(out: str | Path | None, scenario: Scenario) -> Path:
    if out is None:
        out = Path("runs") / f"{scenario.name}-seed{scenario.seed}"
    run_dir = Path(out)
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir}: exists and is not a directory")
    if run_dir.is_dir() and any(run_dir.iterdir()):
        if not (run_dir / "summary.json").exists() and not (run_dir / "trace.jsonl").exists():
            raise ConfigError(f"--out {run_dir}: a non-empty directory that is not a run directory; refusing to write into it")
        for stale in run_dir.rglob("*"):
            if stale.is_file():
                stale.unlink()
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


def run_scenario(scenario: Scenario, out: str | Path | None = None, progress: Progress | None = None,
                 measure_memory: bool = False) -> RunResult:
    run_dir = prepare_run_dir(out, scenario)
    wall_start = time.perf_counter()
    if measure_memory:
        tracemalloc.start()
    world = World(scenario, run_dir)
    violation: InvariantViolation | None = None
    status = "crashed"
    try:
        while world.env.now < scenario.duration:
            world.env.run(until=min(scenario.duration, world.env.now + PROGRESS_STEP))
            if progress is not None:
                progress(world.env.now, scenario.duration)
        world.sample()
        world.invariants.check(world.env.now)
        world.invariants.check_holders(world.env.now, world.holders())
        status = "ok"
    except InvariantViolation as exc:
        violation = exc
        status = "invariant_violated"
        world.trace.record(exc.t, "invariant_violated", invariant=exc.name, detail=exc.detail)
    finally:
        peak = tracemalloc.get_traced_memory()[1] if measure_memory else None
        if measure_memory:
            tracemalloc.stop()
        summary = build_summary(world, status, violation, time.perf_counter() - wall_start, peak)
        world.trace.close()
        write_outputs(world, run_dir, summary)
    return RunResult(run_dir, summary)


def build_summary(world: World, status: str, violation: InvariantViolation | None, wall: float,
                  peak_memory: int | None) -> dict[str, Any]:
    scenario = world.scenario
    totals = world.protocol.engine.totals()
    records = world.lifecycle.records()
    by_status: dict[str, int] = {}
    for record in records:
        by_status[record.status] = by_status.get(record.status, 0) + 1
    simulated = world.env.now - world.start
    transactions = sum(world.metrics.transactions.values())
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "seed": scenario.seed,
        "status": status,
        "invariant_violation": violation.to_dict() if violation else None,
        "invariant_checks": world.invariants.checks,
        "attack_successes": [a.to_dict() for a in world.invariants.attacks],
        "trace_hash": world.trace.digest,
        "trace_events": world.trace.count,
        "simulated_seconds": round(simulated, 3),
        "wall_seconds": round(wall, 3),
        "simulated_per_wall_second": round(simulated / wall, 2) if wall > 0 else None,
        "evm_transactions_per_wall_second": round(transactions / wall, 2) if wall > 0 else None,
        "engine": {
            "bad_debt_usd": usd(totals.bad_debt),
            "insurance_drawn_usd": usd(totals.insurance_drawn),
            "uncovered_bad_debt_usd": usd(totals.uncovered_bad_debt),
            "accounts": totals.accounts,
        },
        **world.metrics.summary(),
        **world.market_metrics.summary(),
        "messages": {"by_status": dict(sorted(by_status.items())), "events": dict(sorted(world.lifecycle.counts().items()))},
        "collateral_gap": world.invariants.collateral_gap(),
    }
    if peak_memory is not None:
        summary["peak_python_memory_mb"] = round(peak_memory / 2**20, 1)
    return summary


def write_outputs(world: World, run_dir: Path, summary: dict[str, Any]) -> None:
    with open(run_dir / "messages.jsonl", "w", encoding="utf-8") as handle:
        for record in world.lifecycle.records():
            handle.write(json.dumps(record_to_dict(record), sort_keys=True, default=str) + "\n")
    (run_dir / "timeseries.json").write_text(json.dumps(world.series.data), encoding="utf-8")
    if world.series.data["t"]:
        plot_run(world.series.data, [r.t for r in world.metrics.liquidations], run_dir / "plot.png",
                 f"{summary['scenario']} (seed {summary['seed']})")
    write_html_report(run_dir, summary, "plot.png")
    atomic_write_json(run_dir / "summary.json", summary)


def record_to_dict(record: MessageRecord) -> dict[str, Any]:
    data = {k: v for k, v in asdict(record).items() if k != "events"}
    data["status"] = record.status
    data["events"] = [event.to_dict() for event in record.events]
    return {k: (asdict(v) if is_dataclass(v) else v) for k, v in data.items()}


def atomic_write_json(path: Path, data: Any) -> None:
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True, default=str), encoding="utf-8")
    temporary.replace(path)
