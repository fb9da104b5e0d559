"""One run of a sweep: the :class:`RunSpec` a worker gets and the result it ships back.

A spec carries everything a run needs, so a worker on another machine needs only
xmargin installed: the scenario's tables (``extends`` already resolved), the
``--set`` and ``--param`` assignments, the seed, and whether to ship the whole run
directory back. Every option of a run goes through this one object.

:func:`execute` runs the spec in a temporary directory and returns a plain dict:
the outcome, the exit code, the error (one line, with the traceback beside it), the
``summary.json`` of the run, and the run directory as a gzipped tar only when asked.
It never raises for a failed run: a failure is a result.
"""

from __future__ import annotations

import io
import json
import socket
import tarfile
import tempfile
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Mapping

from chains.errors import ConfigError
from sim.overrides import apply_overrides
from sim.scenario import Scenario, parse_scenario

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2  # as `xmargin run` would exit: a crash exits 1 too


@dataclass(frozen=True)
class RunSpec:
    run_id: str
    point: int
    scenario: str
    source: str
    data: Mapping[str, Any]
    overrides: tuple[str, ...]
    seed: int
    ship_run_dir: bool = False
    engine: str | None = None  # None: the fastest installed (every engine gives the same run)

    def load(self) -> Scenario:
        """The scenario this run runs, validated (ConfigError names the key path); its summary lists the
        ``--set`` and ``--param`` assignments, as a run's lists its ``--set``."""
        data = apply_overrides(dict(self.data), self.overrides)
        data["seed"] = self.seed
        try:
            return replace(parse_scenario(data, self.source), overrides=self.overrides)
        except ConfigError as exc:
            raise ConfigError(f"{Path(self.source).name}: {exc}") from None


def execute(spec: RunSpec) -> dict[str, Any]:
    """Run ``spec`` (in a worker process) and return its result; failures are results, never exceptions."""
    from sim.run import run_scenario

    started = time.perf_counter()
    result: dict[str, Any] = {
        "run_id": spec.run_id, "point": spec.point, "seed": spec.seed, "outcome": "crashed",
        "exit_code": EXIT_FAILED, "error": None, "traceback": None, "summary": None, "archive": None,
        "worker": socket.gethostname(),
    }
    with tempfile.TemporaryDirectory(prefix=f"xmargin-{spec.run_id}-") as temporary:
        run_dir = Path(temporary) / spec.run_id
        try:
            # the run's own report and charts only when its directory is shipped back (--keep-runs)
            outcome = run_scenario(spec.load(), run_dir, engine=spec.engine, report=spec.ship_run_dir)
            result.update(summary=outcome.summary, outcome=outcome.summary["status"], exit_code=outcome.exit_code)
            if outcome.exit_code != EXIT_OK and outcome.summary.get("invariant_violation"):
                violation = outcome.summary["invariant_violation"]
                result["error"] = f"invariant violated at t={violation['t']:.0f}s: {violation['invariant']}: {violation['detail']}"
        except ConfigError as exc:
            result.update(outcome="bad_input", exit_code=EXIT_BAD_INPUT, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - a crashed run is recorded and the sweep goes on
            result.update(error=f"{type(exc).__name__}: {exc}".splitlines()[0], traceback=traceback.format_exc())
            summary = run_dir / "summary.json"
            if summary.is_file():
                result["summary"] = json.loads(summary.read_text(encoding="utf-8"))
        if spec.ship_run_dir and run_dir.is_dir():
            result["archive"] = pack(run_dir)
    result["wall_seconds"] = round(time.perf_counter() - started, 3)
    return result


def pack(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(directory, arcname=".")
    return buffer.getvalue()


def unpack(data: bytes, destination: Path) -> None:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(destination, filter="data")
