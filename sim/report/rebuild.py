"""`xmargin report`: rebuild the report of a run or a sweep directory from its files."""

from __future__ import annotations

from pathlib import Path

from sim.report.run_report import DamagedDirectory, write_run_report


def rebuild_report(directory: str | Path) -> Path:
    """The report of a run or a sweep directory, whichever ``directory`` is."""
    from sim.sweep.layout import is_sweep_dir

    path = Path(directory)
    if not path.is_dir():
        raise DamagedDirectory(f"{path}: no such directory")
    if is_sweep_dir(path):
        from sim.sweep.results import rebuild_sweep

        return rebuild_sweep(path)
    if not (path / "summary.json").exists() and not (path / "trace.jsonl").exists():
        raise DamagedDirectory(f"{path}: neither a run directory (no summary.json) nor a sweep directory (no sweep.json)")
    return write_run_report(path)
