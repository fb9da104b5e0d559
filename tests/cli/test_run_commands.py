"""xmargin run, demo, scenarios and trace: exit codes scripts can rely on, and no traceback for a mistake."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cli import main

TINY = ["--set", "duration=500", "--set", "agents.traders.count=2", "--set", "agents.traders.arrival_window=30"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run"
    result = CliRunner().invoke(main, ["run", "demo", *TINY, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    return out, json.loads(result.output)


def test_run_writes_the_run_directory_and_prints_json(run_dir):
    out, summary = run_dir
    assert summary["status"] == "ok" and summary["run_dir"] == str(out)
    assert (out / "summary.json").is_file() and len(summary["trace_hash"]) == 64


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["run", "no-such-scenario"], "no scenario 'no-such-scenario'"),
        (["run", "demo", "--set", "bridge.latency.mean=-1"], "bridge.latency.mean: must be > 0, got -1"),
        (["run", "demo", "--set", "protocol.markets.ETH.maintenance_margin=0.2"], "maintenance_margin: must be below"),
        (["run", "demo", "--set", "agents.traders.count=lots"], "agents.traders.count: must be an integer"),
        (["run", "demo", "--set", "=3"], "expected KEY=VALUE"),
        (["run", "demo", "--seed", "-4"], "Invalid value for '--seed'"),
        (["trace", "/no/such/run"], "no such run directory"),
        (["run", "cascade", "--set", "protocol.amm.ETH.depth=0"], "protocol.amm.ETH.depth: must be positive, got 0"),
        (["run", "cascade", "--set", "agents.reporters.twap_window=100000"],
         "agents.reporters.twap_window: must not be longer than the run"),
        (["run", "cascade", "--set", "agents.reporters.pool_weight=2"], "agents.reporters.pool_weight: must be <= 1"),
        (["run", "cascade", "--set", "market.impact.coefficient=-0.1"], "market.impact.coefficient: must be >= 0"),
    ],
)
def test_bad_input_exits_2_with_the_reason_and_writes_nothing(tmp_path, arguments, message):
    out = tmp_path / "out"
    extra = ["--out", str(out)] if arguments[0] == "run" else []
    result = CliRunner().invoke(main, [*arguments, *extra])
    assert result.exit_code == 2, result.output
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output
    assert not out.exists()


def test_run_refuses_to_write_into_a_directory_that_is_not_a_run(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = CliRunner().invoke(main, ["run", "demo", *TINY, "--out", str(tmp_path)])
    assert result.exit_code == 2 and "not a run directory" in result.output
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_trace_tells_a_message_lifecycle_and_an_account_story(run_dir):
    out, _ = run_dir
    record = json.loads((out / "messages.jsonl").read_text().splitlines()[-1])
    result = CliRunner().invoke(main, ["trace", str(out), "--message", record["message_id"][:14]])
    assert result.exit_code == 0, result.output
    assert "dispatched" in result.output and "processed" in result.output
    arrived = next(json.loads(line) for line in (out / "trace.jsonl").read_text().splitlines() if '"action":"arrived"' in line)
    result = CliRunner().invoke(main, ["trace", str(out), "--account", arrived["account"]])
    assert result.exit_code == 0, result.output
    assert "Deposited" in result.output and "CollateralCredited" in result.output
    summary = CliRunner().invoke(main, ["trace", str(out)])
    assert summary.exit_code == 0 and "trace hash" in summary.output


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--message", "0xdeadbeef"], "no message 0xdeadbeef"),
        (["--account", "0x" + "11" * 20], "does not appear"),
        (["--account", "bob"], "expected a 0x-prefixed 20-byte address"),
        (["--message", "0x01", "--account", "0x" + "11" * 20], "not both"),
    ],
)
def test_trace_mistakes_exit_2(run_dir, arguments, message):
    out, _ = run_dir
    result = CliRunner().invoke(main, ["trace", str(out), *arguments])
    assert result.exit_code == 2 and message in result.output


def test_scenarios_lists_the_built_ins():
    result = CliRunner().invoke(main, ["scenarios"])
    assert result.exit_code == 0
    for name in ("calm", "crash", "crash-slow-bridge", "relayer-outage", "demo"):
        assert name in result.output


@pytest.mark.slow
def test_demo_ends_with_a_summary_that_has_liquidations(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if "liquidations" in line)
    assert int(line.split("│")[2].split()[0]) > 0
    assert "trace hash" in result.output


def test_compare_puts_runs_side_by_side(run_dir, tmp_path):
    out, summary = run_dir
    result = CliRunner().invoke(main, ["compare", str(out), str(out)])
    assert result.exit_code == 0, result.output
    assert result.output.count(f"demo (seed {summary['seed']})") == 2
    missing = CliRunner().invoke(main, ["compare", str(out), str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "no such run directory" in missing.output
