"""``xmargin sweep`` in a terminal: validate, start, show progress, write the tables and the report, say what happened.

Exit codes: 0 every run ended ok; 1 some run failed (recorded in the tables, the rest
went on) or the sweep was cut short by a dead worker or a lost scheduler; 2 bad input,
nothing started; 130 interrupted by Ctrl-C. Whatever was finished is kept; ``--resume``
computes the rest.
"""

from __future__ import annotations

import shlex
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress as Bar, TextColumn, TimeElapsedColumn
from rich.table import Table

from sim.report.sweep_report import write_sweep_report
from sim.report.units import formatted, seconds
from sim.sweep import ExecutorLost, Sweep, SweepRequest, open_backend, prepare_sweep
from sim.sweep.results import SweepTables, write_tables
from sim.sweep.runner import Progress

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def _status(progress: Progress) -> str:
    eta = progress.eta_seconds
    left = "estimating" if eta is None else f"~{seconds(eta)}"
    return (f"{progress.done}/{progress.total} done, [red]{progress.failed} failed[/], "
            f"{progress.running} running, time left {left}")


def grid_table(tables: SweepTables) -> Table:
    table = Table(title="grid: mean over seeds [95% CI]")
    for column in (*tables.params, "runs", "bad debt", "insolvent debt", "VaR95 insolvent debt", "liquidations",
                   "LaR95 liquidated"):
        table.add_column(column, justify="left" if column in tables.params else "right")
    for row in tables.grid:
        table.add_row(
            *(str(row[p]) for p in tables.params), f"{row['ok']}/{row['runs']}",
            _ci(row, "bad_debt_usd"), _ci(row, "insolvent_debt_usd"),
            formatted("var95_insolvent_debt_usd", row["var95_insolvent_debt_usd"]),
            _ci(row, "liquidations.count"), formatted("lar95_liquidated_usd", row["lar95_liquidated_usd"]),
        )
    return table


def _ci(row: dict[str, Any], metric: str) -> str:
    mean, low, high = (row.get(f"{metric}.{k}") for k in ("mean", "ci95_low", "ci95_high"))
    if mean is None:
        return "-"
    if low is None:
        return formatted(metric, mean)
    return f"{formatted(metric, mean)} [{formatted(metric, low)}, {formatted(metric, high)}]"


def resume_hint(sweep: Sweep) -> str:
    request = sweep.request
    words = ["xmargin", "sweep", request.scenario]
    for param in request.params:
        words += ["--param", param]
    for override in request.overrides:
        words += ["--set", override]
    if request.seeds is not None:
        words += ["--seeds", str(request.seeds)]
    words += ["--out", str(sweep.directory.path), "--resume"]
    return " ".join(shlex.quote(w) for w in words)


def run_sweep(request: SweepRequest, console: Console, errors: Console) -> int:
    """Raises ConfigError on bad input before anything starts; otherwise returns the exit code."""
    sweep = prepare_sweep(request)
    backend = open_backend(request)
    sweep.start()
    errors.print(f"sweep {sweep.plan.scenario}: {sweep.plan.size} runs ({len(sweep.plan.points)} grid points x "
                 f"{len(sweep.plan.seeds)} seeds) on {backend.description}; {sweep.already_done} already done, "
                 f"{len(sweep.pending)} to run; results in {sweep.directory.path}", highlight=False)
    bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[status]}"),
              TimeElapsedColumn(), console=errors, transient=False)
    task = bar.add_task("runs", total=max(1, len(sweep.pending)), status="starting")

    shown = 0

    def update(progress: Progress) -> None:
        nonlocal shown
        bar.update(task, completed=progress.done, status=_status(progress))
        for failed in progress.failures[shown:]:
            bar.console.print(f"[red]run {failed['run_id']} failed[/] ({failed['outcome']}, exit {failed['exit_code']}): "
                              f"{failed.get('error')}", highlight=False)
        shown = len(progress.failures)

    interrupted: str | None = None
    code = EXIT_OK
    try:
        with bar:
            progress = sweep.run(backend, update)
        backend.close()
        if progress.failed:
            code = EXIT_FAILED
    except KeyboardInterrupt:
        backend.close(cancel=True)
        interrupted, code = "interrupted", EXIT_INTERRUPTED
    except ExecutorLost as exc:
        backend.close(cancel=True)
        interrupted, code = f"stopped: {exc}", EXIT_FAILED
    tables = write_tables(sweep.directory) if sweep.directory.done() else None
    if tables is not None:
        report = write_sweep_report(sweep.directory, tables)
        console.print(grid_table(tables))
        console.print(f"tables: {sweep.directory.path / 'runs.parquet'}, runs.csv, grid.csv; report: {report}")
    if interrupted is not None:
        done = len(sweep.directory.done())
        errors.print(f"[bold red]{interrupted}[/]: {done} of {sweep.plan.size} runs are done and kept; "
                     f"finish with: {resume_hint(sweep)}", highlight=False)
    elif code == EXIT_FAILED:
        failed = sum(1 for r in (tables.runs if tables else []) if r["exit_code"] != 0)
        errors.print(f"[red]{failed} run(s) failed[/]; their outcome and error are in runs.csv", highlight=False)
    sys.stdout.flush()
    return code
