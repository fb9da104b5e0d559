"""The statistics behind grid.csv, and the rows of runs and grid tables, on hand-made results."""

from __future__ import annotations

import math

import pytest

from sim.overrides import apply_overrides
from sim.sweep.results import grid_rows, metrics_of, run_rows
from sim.sweep.stats import mean_ci, percentile, t_quantile


def test_mean_and_95_percent_interval_use_students_t():
    mean, low, high = mean_ci([1.0, 2.0, 3.0, 4.0])
    half = 3.182 * math.sqrt(5 / 3) / 2  # t(3) * sd / sqrt(n)
    assert mean == 2.5 and low == pytest.approx(2.5 - half) and high == pytest.approx(2.5 + half)
    assert mean_ci([7.0]) == (7.0, None, None) and mean_ci([]) == (None, None, None)
    assert t_quantile(1) == 12.706 and t_quantile(200) == pytest.approx(1.972, abs=0.001)


def test_var95_is_the_interpolated_95th_percentile():
    assert percentile([float(v) for v in range(101)], 95) == 95.0
    assert percentile([0.0, 100.0], 95) == 95.0 and percentile([], 95) is None


def test_runs_are_flattened_and_grid_points_aggregate_only_runs_that_ended_ok():
    manifest = {"points": [{"bridge.latency.mean": 10}, {"bridge.latency.mean": 600}]}
    def summary(bad_debt, volume):
        return {"seed": 1, "status": "ok", "bad_debt_usd": bad_debt, "insolvent_debt_usd": 2 * bad_debt,
                "trace_hash": "ab", "flag": True,
                "liquidations": {"count": 2, "volume_usd": volume, "liquidation_to_seizure_s": {"mean": None}}}
    results = [
        {"run_id": "p0000-seed1", "point": 0, "seed": 1, "outcome": "ok", "exit_code": 0, "summary": summary(0.0, 10.0)},
        {"run_id": "p0000-seed2", "point": 0, "seed": 2, "outcome": "ok", "exit_code": 0, "summary": summary(10.0, 30.0)},
        {"run_id": "p0001-seed1", "point": 1, "seed": 1, "outcome": "ok", "exit_code": 0, "summary": summary(50.0, 5.0)},
        {"run_id": "p0001-seed2", "point": 1, "seed": 2, "outcome": "crashed", "exit_code": 1, "error": "boom",
         "summary": None},
    ]
    runs = run_rows(manifest, results)
    assert runs[0]["bridge.latency.mean"] == 10 and runs[0]["liquidations.volume_usd"] == 10.0
    assert "flag" not in runs[0] and runs[0]["liquidations.liquidation_to_seizure_s.mean"] is None
    assert runs[3]["error"] == "boom" and "bad_debt_usd" not in runs[3]
    assert metrics_of({"a": {"b": 1, "c": "x"}, "seed": 4}) == {"a.b": 1}
    first, second = grid_rows(manifest, runs)
    assert (first["runs"], first["ok"], first["failed"]) == (2, 2, 0)
    assert first["bad_debt_usd.mean"] == 5.0 and first["var95_bad_debt_usd"] == pytest.approx(9.5)
    assert first["insolvent_debt_usd.mean"] == 10.0 and first["var95_insolvent_debt_usd"] == pytest.approx(19.0)
    assert first["lar95_liquidated_usd"] == pytest.approx(29.0)
    assert (second["runs"], second["ok"], second["failed"]) == (2, 1, 1)
    assert second["bad_debt_usd.mean"] == 50.0 and second["bad_debt_usd.ci95_low"] is None
    assert first["liquidations.liquidation_to_seizure_s.mean.mean"] is None


def test_a_number_indexes_an_array_of_tables_in_an_override():
    data = {"chains": [{"name": "a", "finality_depth": 1}, {"name": "b", "finality_depth": 1}]}
    assert apply_overrides(data, ["chains.1.finality_depth=0"])["chains"][1]["finality_depth"] == 0
    with pytest.raises(Exception, match="no entry 2, the array has 2"):
        apply_overrides(data, ["chains.2.finality_depth=0"])
    with pytest.raises(Exception, match="index it with a number"):
        apply_overrides(data, ["chains.b.finality_depth=0"])
