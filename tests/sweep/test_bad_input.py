"""Bad sweep input: one line naming the problem, exit 2, nothing started (no directory written)."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

from cli import main
from sim.sweep.grid import parse_param, split_values

from .conftest import tiny_args


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--param", "bridge.latencyy.mean=1,2", "--seeds", "1"], "--param bridge.latencyy.mean=1: demo.toml: bridge: unknown key(s) latencyy"),
        (["--param", "agents.traders.countt=1,2", "--seeds", "1"], "agents.traders: unknown key(s) countt"),
        (["--param", "bridge.latency.mean=", "--seeds", "1"], "--param bridge.latency.mean: an empty value"),
        (["--param", "bridge.latency.mean=5,,9", "--seeds", "1"], "--param bridge.latency.mean: an empty value"),
        (["--param", "bridge.latency.mean=5,fast", "--seeds", "1"], "--param bridge.latency.mean=fast: demo.toml: bridge.latency.mean: must be a number"),
        (["--param", "agents.keepers.max_unsettled=1,2.5", "--seeds", "1"], "agents.keepers.max_unsettled: must be an integer"),
        (["--param", "bridge.latency.mean=5,9", "--seeds", "0"], "--seeds 0: a sweep needs at least one seed"),
        (["--param", "bridge.latency.mean=5,9"], "--seeds N: required"),
        (["--seeds", "2"], "give at least one --param"),
        (["--param", "seed=1,2", "--seeds", "1"], "--param seed: seeds are the sweep's other axis"),
        (["--param", "duration=400,500", "--seeds", "1"], "--param duration: also set with --set"),
        (["--param", "bridge.latency.mean=5", "--param", "bridge.latency.mean=9", "--seeds", "1"], "given twice"),
        (["--param", "bridge.latency.mean=5,9", "--seeds", "1", "--engine", "evmone"], "unknown engine 'evmone'"),
    ],
)
def test_bad_grid_is_one_line_exit_2_and_nothing_written(tmp_path, arguments, message):
    out = tmp_path / "sweep"
    result = CliRunner().invoke(main, ["sweep", "demo", *tiny_args(*arguments), "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output
    assert not out.exists()


def test_an_unreachable_scheduler_is_one_line_exit_2_and_nothing_written(tmp_path):
    out = tmp_path / "sweep"
    address = f"tcp://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(main, ["sweep", "demo", *tiny_args("--param", "bridge.latency.mean=5,9", "--seeds", "1"),
                                       "--scheduler", address, "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and f"--scheduler {address}: cannot reach the scheduler" in lines[0]
    assert not out.exists()


def test_resume_refuses_another_sweeps_directory_and_a_non_sweep(tmp_path):
    from sim.sweep import SweepRequest, prepare_sweep

    out = tmp_path / "sweep"
    first = prepare_sweep(SweepRequest("demo", ("bridge.latency.mean=5,9",), 1, tuple(tiny_args()[1::2]), out=str(out)))
    first.start()
    for arguments, message in (
        (["--param", "bridge.latency.mean=5,60", "--seeds", "1"], "holds another sweep: its --param axes"),
        (["--param", "bridge.latency.mean=5,9", "--seeds", "3"], "holds another sweep: its seeds"),
    ):
        result = CliRunner().invoke(main, ["sweep", "demo", *tiny_args(*arguments), "--out", str(out), "--resume"])
        assert result.exit_code == 2 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    other = CliRunner().invoke(main, ["sweep", "calm", "--param", "bridge.latency.mean=5,9", "--seeds", "1",
                                      "--out", str(out), "--resume"])
    assert other.exit_code == 2 and "holds another sweep: its scenario is 'demo'" in other.output
    again = CliRunner().invoke(main, ["sweep", "demo", *tiny_args("--param", "bridge.latency.mean=5,9", "--seeds", "1"),
                                      "--out", str(out)])
    assert again.exit_code == 2 and "holds a sweep already; add --resume" in again.output
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("mine")
    for flags, message in (([], "not a sweep; refusing"), (["--resume"], "holds no sweep")):
        result = CliRunner().invoke(main, ["sweep", "demo", *tiny_args("--param", "bridge.latency.mean=5,9", "--seeds", "1"),
                                           "--out", str(tmp_path / "junk"), *flags])
        assert result.exit_code == 2 and message in result.output, result.output
    assert sorted(p.name for p in (tmp_path / "junk").iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in out.iterdir()) == ["sweep.json"]


def test_values_split_on_top_level_commas_only():
    assert split_values('1, 2.5,"a,b",[1, 2],{start = 1, end = 2}') == ["1", "2.5", '"a,b"', "[1, 2]", "{start = 1, end = 2}"]
    param = parse_param('bridge.routes."*".partitions=[[10, 20]],[]')
    assert param.key == 'bridge.routes."*".partitions' and param.values == ([[10, 20]], [])
