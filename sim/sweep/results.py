"""A sweep's tables, derived from its result files: ``runs.parquet``/``runs.csv`` and ``grid.csv``.

``runs``: one row per finished run: ``run_id``, ``point``, every ``--param`` (by its
key), ``seed``, ``outcome``, ``exit_code``, ``error``, ``wall_seconds``, ``trace_hash``,
then every numeric metric of the run's ``summary.json`` flattened with dotted names
(``liquidations.count``, ``chains.perp.gas``).

``grid``: one row per grid point: its parameters, ``runs``, ``ok``, ``failed``; for each
headline metric its mean and 95% confidence interval over the runs that ended ok
(``bad_debt_usd.mean``, ``bad_debt_usd.ci95_low``, ``bad_debt_usd.ci95_high``);
``var95_bad_debt_usd`` (the 95th percentile of bad debt, Gauntlet's Value at Risk) and
``lar95_liquidated_usd`` (of liquidated volume, Liquidations at Risk); ``var95_insolvent_debt_usd`` the
same for insolvent debt (bad debt plus the shortfall of buckets left insolvent, Gauntlet's measure).

Files are written with pyarrow to a temporary name and renamed, so pandas, polars and
DuckDB read them as they are and never see half a file.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from sim.report.run_tables import flatten
from sim.sweep.layout import SweepDirectory, atomic_write_bytes
from sim.sweep.stats import mean_ci, percentile

HEADLINE = (
    "bad_debt_usd", "open_insolvent.shortfall_usd", "insolvent_debt_usd", "uncovered_bad_debt_usd", "insurance_drawn_usd",
    "liquidations.count", "liquidations.volume_usd",
    "liquidations.underwater_to_liquidation_s.mean", "liquidations.liquidation_to_seizure_s.mean", "top_ups.too_late",
    "faults.unbacked_margin_usd", "faults.stolen_usd", "oracle.max_deviation_pct",
)
RUN_COLUMNS = ("run_id", "point", "seed", "outcome", "exit_code", "error", "worker_seconds", "trace_hash")
SKIPPED_METRICS = {"seed", "invariant_violation"}


@dataclass
class SweepTables:
    params: list[str]
    runs: list[dict[str, Any]]
    grid: list[dict[str, Any]]


def metrics_of(summary: Mapping[str, Any] | None) -> dict[str, float | int]:
    """Every numeric value of a summary, flattened with dotted names (None where a metric has no value, such as the
    mean delay of no liquidations; booleans and strings left out)."""
    if not summary:
        return {}
    return {
        name: value for name, value in flatten(summary)
        if (value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)))
        and name not in SKIPPED_METRICS
    }


def run_rows(manifest: Mapping[str, Any], results: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    points = manifest["points"]
    rows = []
    for result in results:
        point = points[result["point"]]
        summary = result.get("summary") or {}
        row: dict[str, Any] = {
            "run_id": result["run_id"], "point": result["point"], **point, "seed": result["seed"],
            "outcome": result["outcome"], "exit_code": result["exit_code"], "error": result.get("error"),
            "worker_seconds": result.get("wall_seconds"), "trace_hash": summary.get("trace_hash"),
        }
        for name, value in metrics_of(summary).items():
            row[name if name not in row else f"summary.{name}"] = value
        rows.append(row)
    return rows


def grid_rows(manifest: Mapping[str, Any], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for index, point in enumerate(manifest["points"]):
        mine = [r for r in runs if r["point"] == index]
        ok = [r for r in mine if r["exit_code"] == 0]
        row: dict[str, Any] = {"point": index, **point, "runs": len(mine), "ok": len(ok), "failed": len(mine) - len(ok)}
        for metric in HEADLINE:
            values = [float(r[metric]) for r in ok if r.get(metric) is not None]
            mean, low, high = mean_ci(values)
            row[f"{metric}.mean"], row[f"{metric}.ci95_low"], row[f"{metric}.ci95_high"] = mean, low, high
        row["var95_bad_debt_usd"] = percentile([float(r["bad_debt_usd"]) for r in ok if r.get("bad_debt_usd") is not None], 95)
        row["var95_insolvent_debt_usd"] = percentile(
            [float(r["insolvent_debt_usd"]) for r in ok if r.get("insolvent_debt_usd") is not None], 95)
        row["lar95_liquidated_usd"] = percentile(
            [float(r["liquidations.volume_usd"]) for r in ok if r.get("liquidations.volume_usd") is not None], 95)
        rows.append(row)
    return rows


def _column(values: list[Any]) -> pa.Array:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pa.array(values, pa.bool_())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, pa.int64())
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    if not present:
        return pa.array(values, pa.float64())
    return pa.array([None if v is None else (v if isinstance(v, str) else _text(v)) for v in values], pa.string())


def _text(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def to_arrow(rows: list[dict[str, Any]], first: Iterable[str]) -> pa.Table:
    names: list[str] = []
    for name in first:
        if name not in names:
            names.append(name)
    for row in rows:
        for name in row:
            if name not in names:
                names.append(name)
    return pa.table({name: _column([row.get(name) for row in rows]) for name in names})


def write_tables(directory: SweepDirectory) -> SweepTables:
    manifest = directory.manifest()
    wanted = {r["run_id"] for r in manifest["runs"]}
    runs = run_rows(manifest, directory.load_results(wanted))
    params = list(manifest["params"])
    runs_table = to_arrow(runs, ["run_id", "point", *params, *RUN_COLUMNS])
    grid = grid_rows(manifest, runs)
    grid_table = to_arrow(grid, ["point", *params])
    parquet = io.BytesIO()
    pq.write_table(runs_table, parquet)
    atomic_write_bytes(directory.path / "runs.parquet", parquet.getvalue())
    atomic_write_bytes(directory.path / "runs.csv", _csv(runs_table))
    atomic_write_bytes(directory.path / "grid.csv", _csv(grid_table))
    return SweepTables(params, runs, grid)


def _csv(table: pa.Table) -> bytes:
    buffer = io.BytesIO()
    pa_csv.write_csv(table, buffer)
    return buffer.getvalue()


def rebuild_sweep(path: str | Path) -> Path:
    """Tables and report of a sweep directory from its result files (``xmargin report DIR``)."""
    from sim.report.sweep_report import check_sweep_dir, write_sweep_report

    directory = SweepDirectory(path)
    check_sweep_dir(directory)
    tables = write_tables(directory)
    return write_sweep_report(directory, tables)
