"""Sweeps end to end: the tables, failed runs recorded, and the same per-run metrics through Dask as through the pool."""

from __future__ import annotations

import json

import duckdb
import pandas
import polars
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from cli import main
from sim.sweep import RunSpec
from sim.sweep.executors import process_pool
from sim.sweep.layout import SweepDirectory
from sim.sweep.results import write_tables
from sim.sweep.runner import run_all

from .conftest import tiny_args

GRID = ("--param", "bridge.latency.mean=5,40", "--seeds", "1")
WALL_CLOCK = ("worker_seconds", "wall_seconds", "simulated_per_wall_second", "evm_transactions_per_wall_second", "peak_python_memory_mb")


@pytest.fixture(scope="module")
def pool_sweep(tmp_path_factory):
    out = tmp_path_factory.mktemp("pool") / "sweep"
    result = CliRunner().invoke(main, ["sweep", "demo", *tiny_args(*GRID), "--workers", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_a_sweep_writes_a_row_per_run_and_per_grid_point_readable_by_pandas_polars_and_duckdb(pool_sweep):
    runs = pandas.read_parquet(pool_sweep / "runs.parquet")
    assert len(runs) == 2 and list(runs["bridge.latency.mean"]) == [5, 40]
    assert {"run_id", "seed", "outcome", "exit_code", "error", "trace_hash", "bad_debt_usd", "liquidations.count",
            "liquidations.volume_usd", "chains.perp.gas", "traders.deposits", "faults.unbacked_margin_usd"} <= set(runs.columns)
    assert list(runs["outcome"]) == ["ok", "ok"] and list(runs["exit_code"]) == [0, 0]
    assert (runs["traders.deposits"] == 2).all()
    assert polars.read_csv(pool_sweep / "runs.csv").shape == runs.shape
    grid = duckdb.sql(f"select * from '{pool_sweep / 'grid.csv'}' order by point").df()
    assert list(grid["bridge.latency.mean"]) == [5, 40] and list(grid["runs"]) == [2 // 2, 1]
    for column in ("bad_debt_usd.mean", "bad_debt_usd.ci95_low", "bad_debt_usd.ci95_high", "liquidations.count.mean",
                   "var95_bad_debt_usd", "insolvent_debt_usd.mean", "var95_insolvent_debt_usd", "lar95_liquidated_usd"):
        assert column in grid.columns
    report = (pool_sweep / "report.html").read_text()
    assert "VaR95 bad debt" in report and 'src="sweep-0.png"' in report
    assert (pool_sweep / "sweep-0.png").read_bytes()[:4] == b"\x89PNG"
    assert not (pool_sweep / "runs").exists()  # run directories stay with the workers unless asked
    result = json.loads((pool_sweep / "results" / "p0001-seed1.json").read_text())
    assert result["summary"]["overrides"][-1] == "bridge.latency.mean=40"  # each run's summary says what it ran


def test_a_failed_run_is_recorded_with_its_error_and_the_others_go_on(tmp_path, pool_sweep):
    directory = SweepDirectory(tmp_path / "sweep")
    manifest = json.loads((pool_sweep / "sweep.json").read_text())
    directory.create(manifest)
    good = json.loads((pool_sweep / "results" / "p0000-seed1.json").read_text())
    directory.save(good)
    broken = RunSpec("p0001-seed1", 1, "demo", "demo.toml", {"duration": 10, "agents": {"traders": {"count": -1}}}, (), 1)
    backend = process_pool(1)
    progress = run_all([broken], backend, directory)
    backend.close()
    assert progress.done == 1 and progress.failed == 1
    tables = write_tables(directory)
    failed = [r for r in tables.runs if r["run_id"] == "p0001-seed1"][0]
    assert failed["outcome"] == "bad_input" and failed["exit_code"] == 2
    assert "agents.traders.count: must be >= 0" in failed["error"]
    assert [r["exit_code"] for r in tables.runs] == [0, 2]
    assert [(r["ok"], r["failed"]) for r in tables.grid] == [(1, 0), (0, 1)]


def test_keep_runs_ships_each_run_directory_back(tmp_path):
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, ["sweep", "demo", *tiny_args("--param", "bridge.latency.mean=5", "--seeds", "1"),
                                       "--workers", "1", "--keep-runs", "--out", str(out)])
    assert result.exit_code == 0, result.output
    run_dir = out / "runs" / "p0000-seed1"
    assert {"summary.json", "trace.jsonl", "report.html"} <= {p.name for p in run_dir.iterdir()}
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["trace_hash"] == pq.read_table(out / "runs.parquet").column("trace_hash")[0].as_py()


def test_a_dask_cluster_of_two_workers_gives_the_same_per_run_metrics_as_the_process_pool(tmp_path, pool_sweep):
    from distributed import LocalCluster

    out = tmp_path / "dask"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as cluster:
        result = CliRunner().invoke(main, ["sweep", "demo", *tiny_args(*GRID), "--scheduler", cluster.scheduler_address,
                                           "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Dask scheduler" in result.output
    pool = pandas.read_parquet(pool_sweep / "runs.parquet").set_index("run_id")
    dask = pandas.read_parquet(out / "runs.parquet").set_index("run_id")
    assert list(dask.index) == list(pool.index)
    compared = [c for c in pool.columns if c not in WALL_CLOCK and c != "worker"]
    assert set(compared) <= set(dask.columns)
    pandas.testing.assert_frame_equal(dask[compared], pool[compared])
    assert len(set(pool["trace_hash"])) == 2

