"""xmargin run, demo, scenarios and trace: exit codes scripts can rely on, and no traceback for a mistake."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

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
        (["run", "demo", "--set", "protocol.oracle.delay=3600"], "protocol.oracle.delay: 3600 s is not shorter than the run"),
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
        (["--message", "0x01", "--account", "0x" + "11" * 20], "give one of --message, --account and --accounts"),
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


def test_compare_heads_each_column_with_its_directory_and_overrides(run_dir, tmp_path, monkeypatch):
    out, _ = run_dir
    other = copy_run(out, tmp_path / "other-run")
    summary = json.loads((other / "summary.json").read_text())
    summary["overrides"] = ["bridge.latency.mean=300"]
    (other / "summary.json").write_text(json.dumps(summary))
    result = _wide(monkeypatch, 200).invoke(main, ["compare", str(out), str(other)])
    assert result.exit_code == 0, result.output
    heading = result.output.split("outcome")[0]
    assert str(out) in heading and str(other) in heading
    assert "agents.traders.count=2" in heading and "bridge.latency.mean=300" in heading


def test_compare_lines_up_a_row_only_one_run_has(run_dir, tmp_path, monkeypatch):
    out, _ = run_dir
    other = copy_run(out, tmp_path / "insolvent-run")
    summary = json.loads((other / "summary.json").read_text())
    summary["open_insolvent"] = {"buckets": 7, "shortfall_usd": 1234.5}
    summary["insolvent_debt_usd"] = summary["bad_debt_usd"] + 1234.5
    (other / "summary.json").write_text(json.dumps(summary))
    result = _wide(monkeypatch, 240).invoke(main, ["compare", str(out), str(other)])
    assert result.exit_code == 0, result.output
    [insolvent] = [line for line in result.output.splitlines() if "left insolvent" in line]
    assert "│ -" in insolvent and "7 buckets open below zero equity" in insolvent
    [liquidations] = [line for line in result.output.splitlines() if line.startswith("│ liquidations ")]
    assert liquidations.count(" attempts)") == 2  # the rows after it are still each run's own


def test_trace_writes_a_negative_amount_as_minus_dollars_and_one_wave_as_one(run_dir, tmp_path, monkeypatch):
    out, _ = run_dir
    losing = copy_run(out, tmp_path / "losing-keepers")
    summary = json.loads((losing / "summary.json").read_text())
    summary["keepers"]["pnl_usd"] = -1234.4
    summary["market"]["slippage_usd"] = -20.2  # sold above the reference
    summary["market"]["waves"] = 1
    (losing / "summary.json").write_text(json.dumps(summary))
    result = _wide(monkeypatch, 240).invoke(main, ["trace", str(losing)])
    assert result.exit_code == 0, result.output
    assert "PnL -$1,234," in result.output and "slippage -$20, 1 wave" in result.output
    assert "$-" not in result.output


def copy_run(source, target):
    shutil.copytree(source, target)
    return target


def error_line(result) -> str:
    lines = result.stderr.splitlines()
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"scenario": "demo", "seed"', "summary.json: cut or not JSON"),
        ("[1, 2]", "summary.json: not a run summary (a JSON list, expected an object)"),
        ('{"scenario": "demo"}', "summary.json: not a run summary (no seed, status"),
    ],
)
def test_trace_and_compare_on_a_broken_summary_say_so_in_one_line(run_dir, tmp_path, content, message):
    out, _ = run_dir
    broken = copy_run(out, tmp_path / "broken")
    (broken / "summary.json").write_text(content)
    assert message in error_line(CliRunner().invoke(main, ["trace", str(broken)]))
    assert message in error_line(CliRunner().invoke(main, ["compare", str(out), str(broken)]))


def test_a_trace_cut_mid_line_is_read_up_to_the_cut(run_dir, tmp_path):
    out, _ = run_dir
    cut = copy_run(out, tmp_path / "cut")
    lines = (out / "trace.jsonl").read_text().splitlines(keepends=True)
    arrived = next(i for i, line in enumerate(lines) if '"action":"arrived"' in line)
    account = json.loads(lines[arrived])["account"]
    (cut / "trace.jsonl").write_text("".join(lines[:arrived + 5]) + lines[arrived + 5][:30])
    result = CliRunner().invoke(main, ["trace", str(cut), "--account", account])
    assert f"is cut at line {arrived + 6}" in error_line(result)
    assert f"showing the {arrived + 5} events written whole" in result.stderr
    assert "arrived" in result.stdout  # what was whole is shown


def test_trace_shows_amounts_with_their_units(run_dir, monkeypatch):
    out, _ = run_dir
    trader = json.loads((out / "world.json").read_text())["accounts"][0]
    result = _wide(monkeypatch, 250).invoke(main, ["trace", str(out), "--account", trader["address"]])
    assert result.exit_code == 0, result.output
    deposited = next(line for line in result.output.splitlines() if "Deposited" in line)
    assert re.search(r"amount=[\d,]+(\.\d+)? (USDC|WETH|WBTC)", deposited), deposited
    traded = next(line for line in result.output.splitlines() if "PositionChanged" in line)
    assert re.search(r"price=\$[\d,]+\.\d\d", traded) and re.search(r"size=-?[\d.]+ (ETH|BTC)", traded), traded
    assert not re.search(r"=\d{12,}", result.output)  # no raw fixed-point integers


def test_trace_accounts_lists_every_account_with_its_role(run_dir, monkeypatch):
    out, _ = run_dir
    result = _wide(monkeypatch, 200).invoke(main, ["trace", str(out), "--accounts"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines() if "0x" in line}
    assert rows["trader-0"][1] == "trader" and rows["keeper-0"][1] == "keeper"
    assert rows["reporter-0"][1] == "reporter" and rows["relayer-0"][1] == "relayer"
    assert rows["engine"][1] == "contract" and rows["owner@perp"][1] == "owner"
    assert int(rows["trader-0"][2]) > 0  # events naming it


def test_the_readme_run_examples_name_directories_that_run_writes():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = readme.split("## Runs", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    commands = [shlex.split(line.split("#")[0]) for line in block.strip().splitlines()]
    written = {command[command.index("--out") + 1] for command in commands if command[1] == "run"}
    read = {arg for command in commands if command[1] in ("trace", "compare") for arg in command[2:]
            if arg.startswith("runs/")}
    assert read and read <= written


def _wide(monkeypatch, columns: int) -> CliRunner:
    """A runner whose tables are ``columns`` wide (rich fixes a console's width when COLUMNS is set as it starts,
    as it is in pytest-xdist's workers)."""
    import cli

    monkeypatch.setattr(cli.console, "width", columns)
    return CliRunner(env={"COLUMNS": str(columns)})
