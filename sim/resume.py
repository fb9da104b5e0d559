"""Resuming a killed run from what it wrote: ``xmargin resume RUN_DIR``.

A run is deterministic, so what a killed run leaves is enough: ``run.json`` (the
scenario as validated, its seed and overrides, the engine; written before the world is
built) and the trace lines it wrote whole. Resuming builds the same world and runs it
again from genesis, checking that every line it records is the line the killed run
wrote there (a line cut mid-write is dropped), then writes on from there to the end:
the same trace, byte for byte, the same messages with the same fates, the same summary
as a run never killed. The run's state in between (chains, relayers' SQLite files, the
bridge in flight) is rebuilt by that re-execution, never read from the killed process's
leftovers, which are removed first. A line that comes out differently means the run is
not deterministic: :class:`sim.trace.TraceDiverged`, and nothing more is written.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

from chains.engines import check_engine
from chains.errors import ConfigError
from sim.crashpoint import CrashPoint
from sim.report import write_run_report
from sim.run import (
    MESSAGES_FILE, RUN_FILE, RUN_FORMAT, SUMMARY_FILE, TIMESERIES_FILE, Progress, RunResult, atomic_write_json, execute,
)
from sim.scenario import Scenario
from sim.scenario_record import scenario_from_document
from sim.testbed import Stage
from sim.trace import Trace, TraceDiverged, whole_lines_length
from sim.world import TRACE_FILE, World
from sim.world_file import WORLD_FILE, world_document

FINISHED = ("ok", "invariant_violated")  # a summary with another status (interrupted, crashed) is resumed
REPORT_FILE = "report.html"
RELAYERS_DIR = "relayers"
LEFTOVERS = (SUMMARY_FILE, MESSAGES_FILE, TIMESERIES_FILE, REPORT_FILE)  # rewritten at the end


def read_run_file(run_dir: Path) -> tuple[Scenario, str]:
    """The scenario and engine ``run.json`` records; ConfigError if there is none or it is damaged."""
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir}: no such run directory")
    path = run_dir / RUN_FILE
    if not path.is_file():
        raise ConfigError(f"{run_dir}: no {RUN_FILE}, so nothing to resume from (not a run directory, "
                          "or made by an xmargin without resume)")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: unreadable or not JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != RUN_FORMAT:
        raise ConfigError(f"{path}: not a run description (expected format {RUN_FORMAT!r})")
    if not isinstance(document.get("engine"), str) or not isinstance(document.get("scenario"), dict):
        raise ConfigError(f"{path}: damaged (no engine or scenario)")
    return scenario_from_document(document["scenario"], str(path)), document["engine"]


def finished_summary(run_dir: Path) -> dict[str, Any] | None:
    """The summary of a run that ended (ok or an invariant broken), else None (killed, interrupted, crashed)."""
    try:
        summary = json.loads((run_dir / SUMMARY_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return summary if isinstance(summary, dict) and summary.get("status") in FINISHED else None


def _remove_leftovers(run_dir: Path) -> None:
    """What the killed process left that the re-execution writes afresh: relayer files, end-of-run files,
    and any half-written temporary file of an atomic write."""
    shutil.rmtree(run_dir / RELAYERS_DIR, ignore_errors=True)
    for name in LEFTOVERS:
        (run_dir / name).unlink(missing_ok=True)
    for temporary in [*run_dir.glob("*.tmp"), *run_dir.glob("*.tmp.png")]:
        temporary.unlink(missing_ok=True)


def resume_run(run_dir: str | Path, engine: str | None = None, progress: Progress | None = None,
               stage: Stage | None = None) -> RunResult:
    """Finish the run in ``run_dir`` (see the module docstring). A run that already ended is left as it
    is (its report rebuilt if the kill came while it was written): ``RunResult.finished_before``.

    Raises ConfigError for a directory that holds no resumable run, TraceDiverged if determinism broke.
    """
    run_dir = Path(run_dir)
    scenario, recorded_engine = read_run_file(run_dir)
    engine = check_engine(engine or recorded_engine)
    crash = CrashPoint.from_env()
    summary = finished_summary(run_dir)
    if summary is not None:
        if not (run_dir / REPORT_FILE).is_file():
            write_run_report(run_dir)
        return RunResult(run_dir, summary, finished_before=True)
    trace_path = run_dir / TRACE_FILE
    whole = whole_lines_length(trace_path)[1] if trace_path.exists() else 0
    _remove_leftovers(run_dir)
    wall_start = time.perf_counter()
    trace = Trace.resuming(trace_path, crash=crash)
    try:
        world = World(scenario, run_dir, engine=engine, stage=stage, trace=trace)
    except BaseException:
        trace.close()
        raise
    try:
        atomic_write_json(run_dir / WORLD_FILE, world_document(world))
    except BaseException:
        world.close()
        raise
    return execute(world, run_dir, wall_start, progress, stage, crash=crash, resumed_at_line=whole)


__all__ = ["TraceDiverged", "finished_summary", "read_run_file", "resume_run"]
