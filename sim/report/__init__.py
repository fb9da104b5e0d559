"""Reports people read: ``report.html`` with tables (units, never raw fixed-point) and PNG plots.

A run directory's report is built when the run ends; a sweep directory's when the
sweep ends; :func:`rebuild_report` rebuilds either from the files (``xmargin report``)
and names what is missing in a damaged directory.
"""

from __future__ import annotations

from pathlib import Path

from sim.report.run_report import DamagedDirectory, write_run_report

__all__ = ["DamagedDirectory", "rebuild_report", "write_run_report"]


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
