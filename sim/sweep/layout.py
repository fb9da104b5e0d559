"""A sweep directory on disk, written so that nothing reported is lost or half-written.

::

    DIR/sweep.json            what the sweep is (scenario, overrides, axes, seeds): --resume checks it
    DIR/results/RUN_ID.json   one file per finished run, written to a temporary name, fsynced, renamed
    DIR/runs/RUN_ID/          the run directory, only with --keep-runs
    DIR/runs.parquet, runs.csv, grid.csv, report.html, *.png   derived from results/ (rebuilt at will)

A run is done exactly when its result file exists; the tables are always rebuilt
from those files, so a sweep killed at any point resumes from what it had finished.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from chains.errors import ConfigError
from sim.sweep.spec import unpack

MANIFEST = "sweep.json"
FORMAT = 1


def is_sweep_dir(path: Path) -> bool:
    return (path / MANIFEST).is_file()


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` so that ``path`` is either absent, the old file, or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class SweepDirectory:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.results = self.path / "results"
        self.runs = self.path / "runs"

    # -- creating and resuming --------------------------------------------------------

    def check_new(self) -> None:
        """Refuse a directory that holds another sweep or anything that is not a sweep."""
        if self.path.exists() and not self.path.is_dir():
            raise ConfigError(f"--out {self.path}: exists and is not a directory")
        if is_sweep_dir(self.path):
            raise ConfigError(f"--out {self.path}: holds a sweep already; add --resume to finish it, or choose another --out")
        if self.path.is_dir() and any(self.path.iterdir()):
            raise ConfigError(f"--out {self.path}: a non-empty directory that is not a sweep; refusing to write into it")

    def check_resumable(self, identity: dict[str, Any]) -> None:
        """The directory must hold this very sweep; the error names what differs."""
        if not is_sweep_dir(self.path):
            raise ConfigError(f"--resume: {self.path} holds no sweep (no {MANIFEST}); drop --resume to start one")
        stored = self.manifest()
        theirs = stored.get("identity", {})
        for key, label in (("scenario", "scenario"), ("scenario_sha256", "scenario file"), ("overrides", "--set overrides"),
                           ("params", "--param axes"), ("seeds", "seeds")):
            if theirs.get(key) != identity[key]:
                shown = theirs.get(key) if key != "scenario_sha256" else "another version of it"
                raise ConfigError(f"--resume: {self.path} holds another sweep: its {label} is {shown!r}, "
                                  f"this command asks for {identity[key] if key != 'scenario_sha256' else 'this one'!r}")

    def create(self, manifest: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path / MANIFEST, json.dumps({"format": FORMAT, **manifest}, indent=2, default=str).encode())

    def manifest(self) -> dict[str, Any]:
        try:
            return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.path / MANIFEST}: unreadable ({exc})") from None

    # -- results ----------------------------------------------------------------------

    def done(self) -> set[str]:
        if not self.results.is_dir():
            return set()
        return {p.stem for p in self.results.glob("*.json")}

    def save(self, result: dict[str, Any]) -> None:
        """Record one finished run: its run directory first (if shipped), then its result file (the commit point)."""
        archive = result.pop("archive", None)
        if archive is not None:
            target = self.runs / result["run_id"]
            staging = self.runs / f".{result['run_id']}.incoming"
            shutil.rmtree(staging, ignore_errors=True)
            unpack(archive, staging)
            shutil.rmtree(target, ignore_errors=True)
            staging.replace(target)
            result["run_dir"] = str(target.relative_to(self.path))
        atomic_write_bytes(self.results / f"{result['run_id']}.json", json.dumps(result, sort_keys=True, default=str).encode())

    def load_results(self, run_ids: set[str] | None = None) -> Iterator[dict[str, Any]]:
        """Every finished run's result (those of ``run_ids`` only, if given), in run id order."""
        if not self.results.is_dir():
            return
        for path in sorted(self.results.glob("*.json")):
            if run_ids is not None and path.stem not in run_ids:
                continue
            yield json.loads(path.read_text(encoding="utf-8"))
