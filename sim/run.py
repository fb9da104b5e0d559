"""Running a scenario and writing its run directory.

A run directory holds ``summary.json`` (every metric, the trace hash, the outcome),
``trace.jsonl`` (every event, canonical JSON, flushed as it happens),
``messages.jsonl`` (each message's lifecycle record), ``timeseries.json``, the
plots (PNG), ``report.html`` (:mod:`sim.report`), ``world.json`` (who is who, what each id is; see
:mod:`sim.world_file`) and ``run.json`` (what was run, to resume it: :mod:`sim.resume`). The
summary is written even when the run stops on a violated invariant, is interrupted or
crashes, so nothing already observed is lost; every file but the trace is written whole
or not at all. A run never silently replaces another: see :func:`claim_run_dir`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import tracemalloc
from dataclasses import asdict, dataclass, field, is_dataclass
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Callable

from bridge import MessageRecord
from chains.engines import check_engine, default_engine
from chains.errors import ConfigError
from sim.invariants import InvariantViolation
from sim.metrics import usd
from sim.report import write_run_report
from sim.scenario import Scenario
from sim.crashpoint import CrashPoint
from sim.scenario_record import scenario_document
from sim.testbed import Stage
from sim.trace import Trace, TraceDiverged
from sim.world import TRACE_FILE, World
from sim.world_file import WORLD_FILE, world_document

EXIT_OK, EXIT_INVARIANT = 0, 1
RUN_FILE, RUN_FORMAT = "run.json", "xmargin-run/1"
SUMMARY_FILE, MESSAGES_FILE, TIMESERIES_FILE = "summary.json", "messages.jsonl", "timeseries.json"
PROGRESS_STEP = 60.0  # simulated seconds between progress callbacks
MAX_SLUG = 60  # characters of overrides in a default run directory's name

Progress = Callable[[float, float], None]  # (simulated seconds done, total)


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run: its directory holds what it did so far (status ``interrupted``), to resume."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(str(run_dir))
        self.run_dir = run_dir


@dataclass
class RunResult:
    run_dir: Path
    summary: dict[str, Any]
    world: World | None = field(default=None, repr=False, compare=False)  # the finished world, for inspection
    finished_before: bool = False  # resuming found the run already ended: nothing was run

    @property
    def trace_hash(self) -> str:
        return self.summary["trace_hash"]

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.summary["status"] == "ok" else EXIT_INVARIANT


def overrides_slug(overrides: tuple[str, ...]) -> str:
    """The ``--set`` overrides as part of a directory name: readable when short and plain, else with a hash."""
    joined = "_".join(overrides)
    slug = re.sub(r"[^A-Za-z0-9._=+-]+", "-", joined).strip("-")
    if slug != joined or len(slug) > MAX_SLUG:
        slug = f"{slug[:MAX_SLUG - 20].rstrip('-')}-{hashlib.sha256(joined.encode()).hexdigest()[:8]}"
    return slug


def default_run_dir(scenario: Scenario) -> Path:
    """``runs/NAME-seedN``, with the overrides appended so runs with different ``--set`` never share one."""
    name = f"{scenario.name}-seed{scenario.seed}"
    if scenario.overrides:
        name += f"-{overrides_slug(scenario.overrides)}"
    return Path("runs") / name


def _is_run_dir(path: Path) -> bool:
    return any((path / name).exists() for name in (SUMMARY_FILE, TRACE_FILE, WORLD_FILE, RUN_FILE))


def _holds_files(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


@dataclass
class RunTarget:
    """A run directory claimed for a run: made if missing; a run it replaces (``--force``) is kept aside
    until the new run really starts, so a run refused before that changes nothing."""

    path: Path
    made: Path | None  # the topmost directory this claim created, if any
    replaced: Path | None  # the previous run, moved aside

    def abandon(self) -> None:
        """Undo the claim: remove what was made and put a replaced run back."""
        if self.made is not None:
            shutil.rmtree(self.made, ignore_errors=True)
        else:
            for child in self.path.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        if self.replaced is not None:
            if self.path.exists():
                self.path.rmdir()
            self.replaced.rename(self.path)

    def commit(self) -> None:
        """The run starts for real: the replaced run goes."""
        if self.replaced is not None:
            shutil.rmtree(self.replaced, ignore_errors=True)
            self.replaced = None


def claim_run_dir(out: str | Path | None, scenario: Scenario, force: bool = False) -> RunTarget:
    """The run directory: ``out``, else the default one (the first free ``-2``, ``-3``... unless ``force``).

    A non-empty directory is refused unless it holds a run and ``force`` is given; one that holds
    something else is always refused. Raises ConfigError naming the problem; nothing is changed then.
    """
    path = Path(out) if out is not None else default_run_dir(scenario)
    if out is None and not force:
        base, number = path, 1
        while path.exists() and (not path.is_dir() or any(path.iterdir())):
            number += 1
            path = base.with_name(f"{base.name}-{number}")
    flag = "--out" if out is not None else "run directory"
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "exists and is not a directory" if existing == path else f"{existing} is a file, not a directory"
        raise ConfigError(f"{flag} {path}: {where}")
    if _holds_files(path):
        if not _is_run_dir(path):
            raise ConfigError(f"{flag} {path}: a non-empty directory that is not a run directory; refusing to write into it")
        if not force:
            raise ConfigError(f"{flag} {path}: already holds a run; pass --force to replace it, or --out another directory")
    made = None if existing == path else next(p for p in (*reversed(path.parents), path) if not p.exists())
    replaced = None
    try:
        if _holds_files(path):
            replaced = path.with_name(f".{path.name}.replaced-{os.getpid()}")
            path.rename(replaced)
            made = path
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if replaced is not None and not path.exists():
            replaced.rename(path)
        raise ConfigError(f"{flag} {path}: cannot create the run directory: {exc.strerror or exc}") from None
    return RunTarget(path, made, replaced)


def run_document(scenario: Scenario, engine: str) -> dict[str, Any]:
    """``run.json``: what was run (the scenario as validated, its seed and overrides, the engine), written
    before the world is built, so a killed run can be resumed (``xmargin resume``) without its scenario file."""
    return {"format": RUN_FORMAT, "xmargin": package_version("xmargin"), "engine": engine,
            "scenario": scenario_document(scenario)}


def run_scenario(scenario: Scenario, out: str | Path | None = None, progress: Progress | None = None,
                 measure_memory: bool = False, force: bool = False, stage: Stage | None = None,
                 engine: str | None = None, report: bool = True) -> RunResult:
    """Run ``scenario`` on ``engine`` (default: the fastest; every engine gives the same trace) into its run
    directory; ``stage`` hears what is being set up, ``progress`` how far the clock is. Without ``report`` the
    run directory gets no report.html or charts (`xmargin report` draws them later). Raises ConfigError (and
    leaves everything as it was) for a directory it may not use, or a duration that ends before the deployment does."""
    engine = check_engine(engine or default_engine())
    crash = CrashPoint.from_env()
    target = claim_run_dir(out, scenario, force)
    wall_start = time.perf_counter()
    if measure_memory:
        tracemalloc.start()
    try:
        atomic_write_json(target.path / RUN_FILE, run_document(scenario, engine))
        world = World(scenario, target.path, engine=engine, stage=stage, trace=Trace(target.path / TRACE_FILE, crash=crash))
    except BaseException:
        target.abandon()
        raise
    if scenario.duration <= world.start:
        world.close()
        target.abandon()
        raise ConfigError(
            f"duration: {scenario.duration:g} s ends before the deployment does: deploying the bridge and the "
            f"protocol takes the first {world.start:g} s of simulated time (times count from genesis); "
            f"give a duration above {world.start:g}"
        )
    target.commit()
    atomic_write_json(target.path / WORLD_FILE, world_document(world))
    return execute(world, target.path, wall_start, progress, stage, measure_memory, crash, report=report)


def execute(world: World, run_dir: Path, wall_start: float, progress: Progress | None = None,
            stage: Stage | None = None, measure_memory: bool = False, crash: CrashPoint | None = None,
            resumed_at_line: int | None = None, report: bool = True) -> RunResult:
    """Run a built world to the scenario's end and write the run directory's outputs (also when an invariant
    breaks, the run is interrupted or it crashes). A resumed run whose trace diverges from the killed run's
    raises TraceDiverged and writes nothing more."""
    scenario = world.scenario
    violation: InvariantViolation | None = None
    status: str | None = "crashed"
    try:
        if stage is not None:
            stage(f"re-running the {resumed_at_line} trace lines of the killed run, checking each"
                  if world.trace.verifying else "running")
        while world.env.now < scenario.duration:
            verifying = world.trace.verifying
            world.env.run(until=min(scenario.duration, world.env.now + PROGRESS_STEP))
            if verifying and not world.trace.verifying and stage is not None:
                stage("running on (every line the killed run wrote came out the same)")
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
    except KeyboardInterrupt:
        status = "interrupted"
        raise RunInterrupted(run_dir) from None
    except TraceDiverged:
        status = None
        world.close()
        raise
    finally:
        peak = tracemalloc.get_traced_memory()[1] if measure_memory else None
        if measure_memory:
            tracemalloc.stop()
        if status is not None:
            summary = build_summary(world, status, violation, time.perf_counter() - wall_start, peak)
            summary["resumed_at_line"] = resumed_at_line
            world.close()  # the trace and the relayers' SQLite files, whole
            write_outputs(world, run_dir, summary, crash, report)
    return RunResult(run_dir, summary, world)


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
        "overrides": list(scenario.overrides),
        "status": status,
        "invariant_violation": violation.to_dict() if violation else None,
        "invariant_checks": world.invariants.checks,
        "attack_successes": [a.to_dict() for a in world.invariants.attacks],
        "trace_hash": world.trace.digest,
        "trace_events": world.trace.count,
        "evm_engine": world.engine,
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
        **insolvent_at_end(world, totals.bad_debt),
        "collateral_gap": world.invariants.collateral_gap(),
        "faults": world.effects.summary(),
        "oracle": {"max_deviation_pct": oracle_max_deviation_pct(world.series.data), **poke_counts(world)},
        "vaults": vault_ledgers(world),
    }
    for name, fees in world.fee_market.summary().items():
        summary["chains"].setdefault(name, {}).update(fees)
    for name, demand in world.demand.items():
        summary["chains"][name]["demand"] = demand.summary()
    if peak_memory is not None:
        summary["peak_python_memory_mb"] = round(peak_memory / 2**20, 1)
    return summary


def insolvent_at_end(world: World, bad_debt: int) -> dict[str, Any]:
    """Buckets still open with negative equity at the end (losses nobody liquidated, not yet bad debt),
    and insolvent debt: bad debt plus that shortfall (what Gauntlet's Value at Risk measures).

    Bad debt is recorded when a liquidation closes a bucket below zero; a bucket no keeper would
    liquidate (its bonus is gone) stays open with the loss, so a risk figure counts both.
    """
    rows = world.protocol.engine.health_of(world.monitor.tracked())
    under = [row for row in rows if row.equity < 0]
    shortfall = usd(-sum(row.equity for row in under))
    return {"open_insolvent": {"buckets": len(under), "shortfall_usd": shortfall},
            "insolvent_debt_usd": round(usd(bad_debt) + shortfall, 2)}


def write_outputs(world: World, run_dir: Path, summary: dict[str, Any], crash: CrashPoint | None = None,
                  report: bool = True) -> None:
    """Every file of the run's end, each written whole or not at all; ``summary.json`` last but the report."""
    atomic_write_text(run_dir / MESSAGES_FILE, "".join(
        json.dumps(record_to_dict(record), sort_keys=True, default=str) + "\n" for record in world.lifecycle.records()
    ))
    if crash is not None:
        crash.after_first_output()
    series = {**world.series.data, "liquidation_times": [r.t for r in world.metrics.liquidations],
              "delays": world.metrics.delays()}
    atomic_write_text(run_dir / TIMESERIES_FILE, json.dumps(series))
    atomic_write_json(run_dir / SUMMARY_FILE, summary)
    if report:
        write_run_report(run_dir)


def poke_counts(world: World) -> dict[str, int]:
    """With an oracle delay: pokes of the delayed oracle sent, and those that failed on chain."""
    if world.poker is None:
        return {}
    return {"pokes": world.poker.sent, "pokes_failed": world.poker.failed}


def oracle_max_deviation_pct(series: dict[str, Any]) -> float:
    """The largest gap between a feed's oracle price (the engine's) and its reference price over the samples, in percent."""
    gaps = [
        abs(oracle / reference - 1.0) * 100
        for feed, references in series["prices"].items()
        for reference, oracle in zip(references, series["oracle"].get(feed, ()))
        if reference and oracle
    ]
    return round(max(gaps, default=0.0), 3)


def vault_ledgers(world: World) -> dict[str, dict[str, dict[str, float]]]:
    """Each vault's books at the end, in whole tokens: what the final state of a run is judged by."""
    ledgers: dict[str, dict[str, dict[str, float]]] = {}
    for chain in world.protocol.vault_chains:
        for asset, ledger in world.protocol.vault(chain).ledgers().items():
            scale = 10 ** world.scenario.protocol.asset(asset).decimals
            ledgers.setdefault(chain, {})[asset] = {
                "locked": ledger.total_locked / scale, "pool": ledger.pool / scale,
                "insurance": ledger.insurance / scale, "treasury": ledger.treasury / scale,
            }
    return ledgers


def record_to_dict(record: MessageRecord) -> dict[str, Any]:
    data = {k: v for k, v in asdict(record).items() if k != "events"}
    data["status"] = record.status
    data["events"] = [event.to_dict() for event in record.events]
    return {k: (asdict(v) if is_dataclass(v) else v) for k, v in data.items()}


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=str))


def atomic_write_text(path: Path, text: str) -> None:
    """Readers (and a run resumed after a kill) see the old file or the whole new one, never a part."""
    temporary = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_text(text, encoding="utf-8")
        temporary.replace(path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
