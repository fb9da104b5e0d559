"""Whole runs: replayable by seed, a complete run directory, invariants that stop a run, attacks counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sim import world as world_module
from sim.run import run_scenario
from sim.scenario import load_scenario
from sim.trace import read_trace

TINY = ["duration=700", "agents.traders.count=3", "agents.traders.arrival_window=60", "agents.keepers.count=1"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return run_scenario(load_scenario("demo", TINY), tmp_path_factory.mktemp("run") / "tiny")


@pytest.mark.parametrize("engine", ["pyevm", "revm"])
def test_same_seed_same_trace_other_seed_other_trace_on_either_engine(tiny_run, tmp_path, engine):
    again = run_scenario(load_scenario("demo", TINY), tmp_path / "again", engine=engine)
    other = run_scenario(load_scenario("demo", TINY, seed=2), tmp_path / "other", engine=engine)
    assert again.trace_hash == tiny_run.trace_hash  # tiny_run ran on the default engine
    assert (tmp_path / "again" / "trace.jsonl").read_bytes() == (tiny_run.run_dir / "trace.jsonl").read_bytes()
    assert other.trace_hash != tiny_run.trace_hash


def test_another_process_with_another_hash_seed_writes_the_same_trace(tiny_run, tmp_path):
    out = tmp_path / "elsewhere"
    subprocess.run(
        [sys.executable, "-m", "cli", "run", "demo", *(f"--set={o}" for o in TINY), "--out", str(out), "--json"],
        env={**os.environ, "PYTHONHASHSEED": "12345"}, check=False, capture_output=True, text=True,
    )
    assert json.loads((out / "summary.json").read_text())["trace_hash"] == tiny_run.trace_hash
    assert (out / "trace.jsonl").read_bytes() == (tiny_run.run_dir / "trace.jsonl").read_bytes()


def test_a_run_directory_holds_summary_trace_messages_and_plot(tiny_run):
    files = {p.name for p in tiny_run.run_dir.iterdir()}
    assert {"summary.json", "trace.jsonl", "messages.jsonl", "timeseries.json", "report.html", "prices.png", "margin.png",
            "liquidations.png", "delays.png", "messages.png"} <= files
    summary = json.loads((tiny_run.run_dir / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["trace_hash"] == tiny_run.trace_hash
    assert summary["traders"]["deposits"] == 3
    assert summary["messages"]["by_status"].get("processed", 0) > 0
    assert all(chain["transactions"] > 0 for chain in summary["chains"].values())
    events = read_trace(tiny_run.run_dir / "trace.jsonl")
    assert len(events) == summary["trace_events"]
    assert {"block", "event", "message", "agent"} <= {e["kind"] for e in events}
    records = [json.loads(line) for line in (tiny_run.run_dir / "messages.jsonl").read_text().splitlines()]
    assert all(r["status"] == "processed" for r in records if r["dispatched"] and r["events"])
    assert (tiny_run.run_dir / "prices.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_token_created_behind_the_protocols_back_stops_the_run_with_exit_1(tmp_path, monkeypatch):
    def mint_unseen(self, chain, asset, receiver, amount):  # the supply grows, the run is not told
        return self.protocol.mint(chain, asset, receiver, amount)

    monkeypatch.setattr(world_module.World, "mint", mint_unseen)
    result = run_scenario(load_scenario("demo", TINY), tmp_path / "broken")
    assert result.exit_code == 1
    assert result.summary["status"] == "invariant_violated"
    assert result.summary["invariant_violation"]["invariant"] == "token conservation"
    assert result.summary["simulated_seconds"] < 700 - 84  # stopped at the first check that saw it
    last = read_trace(tmp_path / "broken" / "trace.jsonl")[-1]
    assert last["kind"] == "invariant_violated"
    assert json.loads((tmp_path / "broken" / "summary.json").read_text())["status"] == "invariant_violated"


def test_a_forged_deposit_under_the_compromise_fault_is_counted_as_attack_success(tmp_path):
    scenario = load_scenario("demo", [*TINY, "bridge.validators.compromised=[0, 1, 2]",
                                      "faults.forgeries=[{at = 300, asset = 'USDC', amount = 50000}]"])
    result = run_scenario(scenario, tmp_path / "attacked")
    assert result.exit_code == 0
    [attack] = result.summary["attack_successes"]
    assert attack["chain"] == "perp"
    breaches = [e for e in read_trace(tmp_path / "attacked" / "trace.jsonl") if e.get("action") == "breached_by_attack"]
    assert any(b["invariant"] == "no unbacked margin" for b in breaches)


def test_a_run_without_its_report_can_have_it_drawn_later(tiny_run, tmp_path):
    from sim.report import rebuild_report

    bare = run_scenario(load_scenario("demo", TINY), tmp_path / "bare", report=False)  # as a sweep's discarded runs
    files = {p.name for p in bare.run_dir.iterdir()}
    assert {"summary.json", "trace.jsonl", "timeseries.json"} <= files
    assert "report.html" not in files and not any(name.endswith(".png") for name in files)
    assert bare.trace_hash == tiny_run.trace_hash
    rebuild_report(bare.run_dir)
    assert (bare.run_dir / "report.html").is_file() and (bare.run_dir / "prices.png").is_file()
