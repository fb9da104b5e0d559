"""``report.html`` of a run directory, built from its files alone (so ``xmargin report`` can rebuild it)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chains.errors import ConfigError
from sim.report.page import Page
from sim.report.run_plots import run_figures
from sim.report.run_tables import run_tables, status_line

RUN_FILES = ("summary.json", "timeseries.json", "messages.jsonl")


class DamagedDirectory(ConfigError):
    """A directory whose report cannot be built: it names what is missing or unreadable."""


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def check_run_dir(run_dir: Path) -> None:
    problems = []
    for name in RUN_FILES:
        path = run_dir / name
        if not path.is_file():
            problems.append(f"{name} is missing")
            continue
        try:
            if name.endswith(".jsonl"):
                [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            else:
                read_json(path)
        except (ValueError, UnicodeDecodeError):
            problems.append(f"{name} is not valid JSON (cut short?)")
    if problems:
        raise DamagedDirectory(f"{run_dir}: cannot build the report: {'; '.join(problems)}")


def write_run_report(run_dir: str | Path) -> Path:
    run_dir = Path(run_dir)
    check_run_dir(run_dir)
    summary = read_json(run_dir / "summary.json")
    series = read_json(run_dir / "timeseries.json")
    records = [json.loads(line) for line in (run_dir / "messages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    figures = run_figures(run_dir, series, records, float(summary.get("simulated_seconds", 0.0)))
    page = Page(
        title=f"xmargin run: {summary['scenario']} (seed {summary['seed']})",
        lead=str(summary.get("description", "")),
        status=status_line(summary),
        tables=run_tables(summary),
        figures=figures,
    )
    return page.write(run_dir / "report.html")
