"""Crash and recover: `xmargin run` processes killed with SIGKILL, then `xmargin resume`d, lose nothing.

One run is killed again and again (during deployment, mid-relay, mid-block, mid-line, while writing
its final files), each time resumed from what the last process wrote; the finished run has the same
trace, byte for byte, the same messages with the same fates and the same summary as a run never killed.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from sim.crashpoint import CRASH_ENV, CrashPoint
from sim.run import run_scenario
from sim.scenario import load_scenario
from sim.trace import Trace, TraceDiverged

COMPRESSED = ("duration=1300", "agents.traders.count=4", "prices.ETH.crash_start=300")  # liquidations in ~1 s of clock
WALL_KEYS = ("wall_seconds", "simulated_per_wall_second", "evm_transactions_per_wall_second", "resumed_at_line")
SETS = [item for override in COMPRESSED for item in ("--set", override)]


def _xmargin(args: list[str], cwd: Path, crash: str | None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != CRASH_ENV}
    if crash is not None:
        env[CRASH_ENV] = crash
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _fates(run_dir: Path) -> dict[str, str]:
    return {record["message_id"]: record["status"] for record in _lines(run_dir / "messages.jsonl")}


def _comparable(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key not in WALL_KEYS}


def _crash_points(reference: list[dict[str, Any]], start: float) -> list[tuple[str, str]]:
    """(what, XMARGIN_CRASH_AT) in the order one run meets them, picked from the uninterrupted trace."""
    relay = next(n for n, e in enumerate(reference, 1)
                 if n > 5 and e["t"] > start and e["kind"] == "message" and e["stage"] == "submitted")
    block = next(n for n, e in enumerate(reference, 1)
                 if n > relay + 20 and e["kind"] == "block" and reference[n]["kind"] == "event")
    liquidation = next(n for n, e in enumerate(reference, 1) if n > block and e.get("event") == "Liquidated")
    return [
        ("during deployment, before world.json", "after-line:3"),
        ("mid-relay: a process transaction sent, not yet in the relayer's SQLite", f"after-line:{relay}"),
        ("mid-block: a block traced, its events not", f"after-line:{block}"),
        ("mid-write: half of a Liquidated line on disk", f"mid-line:{liquidation}"),
        ("while writing the files of the end", "outputs"),
    ]


def test_a_run_killed_at_five_points_and_resumed_each_time_ends_as_an_uninterrupted_run(tmp_path):
    reference = run_scenario(load_scenario("demo", COMPRESSED), tmp_path / "reference")
    assert reference.exit_code == 0 and reference.summary["liquidations"]["count"] > 0
    reference_trace = _lines(reference.run_dir / "trace.jsonl")
    killed_dir = tmp_path / "killed"
    seen_messages: set[str] = set()

    command = ["run", "demo", *SETS, "--out", str(killed_dir), "--json"]
    for what, point in _crash_points(reference_trace, reference.world.start):
        died = _xmargin(command, tmp_path, crash=point)
        assert died.returncode == -signal.SIGKILL, (what, died.stderr[-2000:])
        assert not (killed_dir / "summary.json").exists(), what
        written = (killed_dir / "trace.jsonl").read_bytes()
        whole = written[: written.rfind(b"\n") + 1]
        assert reference.run_dir.joinpath("trace.jsonl").read_bytes().startswith(whole), what
        if point.startswith("mid-line"):
            assert not written.endswith(b"\n")  # the kill cut a line
        if point == "after-line:3":
            assert not (killed_dir / "world.json").exists()
        seen_messages |= {json.loads(line)["message_id"] for line in whole.splitlines()
                          if json.loads(line)["kind"] == "message"}
        command = ["resume", str(killed_dir), "--json"]

    finished = CliRunner().invoke(main, ["resume", str(killed_dir), "--json"])
    assert finished.exit_code == 0, finished.output
    summary = json.loads(finished.stdout)
    assert summary["resumed_at_line"] == len(reference_trace)  # the last kill came after the whole trace

    assert (killed_dir / "trace.jsonl").read_bytes() == (reference.run_dir / "trace.jsonl").read_bytes()
    assert _comparable(summary) | {"run_dir": None} == _comparable(reference.summary) | {"run_dir": None}
    fates, reference_fates = _fates(killed_dir), _fates(reference.run_dir)
    assert fates == reference_fates
    assert seen_messages and seen_messages <= set(fates)  # every message a killed process traced: same fate
    assert (killed_dir / "messages.jsonl").read_bytes() == (reference.run_dir / "messages.jsonl").read_bytes()

    leftovers = [p.name for p in killed_dir.rglob("*") if ".tmp" in p.name or p.name.endswith(("-wal", "-journal"))]
    assert leftovers == []  # nothing half-written remains
    for name in ("summary.json", "world.json", "run.json", "timeseries.json"):
        json.loads((killed_dir / name).read_text())
    assert (killed_dir / "report.html").read_text().rstrip().endswith("</html>")
    assert json.loads((killed_dir / "world.json").read_text()) == json.loads((reference.run_dir / "world.json").read_text())
    with sqlite3.connect(killed_dir / "relayers" / "relayer-0.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    again = CliRunner().invoke(main, ["resume", str(killed_dir)])
    assert again.exit_code == 0 and "already ended (ok); nothing to resume" in again.stderr


def _kill_by_hand(run_dir: Path, keep_lines: int, cut: bool = True) -> None:
    """What SIGKILL leaves: no end-of-run files, the trace cut after ``keep_lines`` whole lines (and half of one)."""
    lines = (run_dir / "trace.jsonl").read_bytes().splitlines(keepends=True)
    (run_dir / "trace.jsonl").write_bytes(b"".join(lines[:keep_lines]) + (lines[keep_lines][:9] if cut else b""))
    for name in ("summary.json", "messages.jsonl", "timeseries.json", "report.html"):
        (run_dir / name).unlink()


def test_a_trace_that_comes_out_differently_is_one_error_line_and_exit_1(tmp_path):
    run = run_scenario(load_scenario("demo", ("duration=200", "agents.traders.count=1")), tmp_path / "run")
    _kill_by_hand(run.run_dir, keep_lines=40)
    path = run.run_dir / "trace.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[30] = lines[30].replace(b'"t":', b'"t":1', 1)
    path.write_bytes(b"".join(lines))

    result = CliRunner().invoke(main, ["resume", str(run.run_dir)])
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "determinism broke: trace line 31 differs" in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert not (run.run_dir / "summary.json").exists()  # nothing written past the divergence


def test_ctrl_c_keeps_what_the_run_did_says_how_to_finish_it_and_resume_does(tmp_path):
    overrides = ("duration=600", "agents.traders.count=2")
    expected = run_scenario(load_scenario("demo", overrides), tmp_path / "uninterrupted")
    run_dir = tmp_path / "run"
    command = [sys.executable, "-c", "import cli; cli.main()", "run", "demo", "--set", overrides[0], "--set", overrides[1],
               "--out", str(run_dir)]
    process = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    trace = run_dir / "trace.jsonl"
    try:
        while not (trace.exists() and trace.read_bytes().count(b"\n") >= 150):
            assert process.poll() is None, process.communicate()
            time.sleep(0.005)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, err
    assert f"interrupted: what the run did so far is in {run_dir}; `xmargin resume {run_dir}` finishes it" in err
    interrupted = json.loads((run_dir / "summary.json").read_text())
    assert interrupted["status"] == "interrupted"  # what was observed so far is kept, marked as such

    result = CliRunner().invoke(main, ["resume", str(run_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resumed_at_line"] == interrupted["trace_events"]
    assert trace.read_bytes() == (expected.run_dir / "trace.jsonl").read_bytes()


@pytest.mark.parametrize("setup, message", [
    (lambda d: None, "no such run directory"),
    (lambda d: d.mkdir(), "no run.json, so nothing to resume from"),
    (lambda d: (d.mkdir(), (d / "run.json").write_text('{"format": "xmargin-run/1", "eng')), "unreadable or not JSON"),
    (lambda d: (d.mkdir(), (d / "run.json").write_text('{"format": "other"}')), "not a run description"),
    (lambda d: (d.mkdir(), (d / "run.json").write_text(
        '{"format": "xmargin-run/1", "engine": "revm", "scenario": {"tables": {"duration": -1}, "overrides": [], '
        '"source": "", "name": "x"}}')), "its scenario no longer validates: duration"),
], ids=["missing", "no-run-file", "cut", "foreign", "invalid"])
def test_resume_refuses_what_is_not_a_resumable_run_in_one_line(tmp_path, setup, message):
    target = tmp_path / "run"
    setup(target)
    result = CliRunner().invoke(main, ["resume", str(target)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr


def test_a_resuming_trace_drops_the_cut_line_checks_the_rest_then_appends(tmp_path):
    path = tmp_path / "trace.jsonl"
    first = Trace(path)
    for t in range(3):
        first.record(t, "tick", n=t)
    first.close()
    path.write_bytes(path.read_bytes() + b'{"kind":"ti')

    again = Trace.resuming(path)
    again.record(0, "tick", n=0)
    again.record(1, "tick", n=1)
    assert again.verifying
    again.record(2, "tick", n=2)
    assert not again.verifying and again.verified == 3
    again.record(3, "tick", n=3)
    again.close()
    assert [json.loads(line)["n"] for line in path.read_text().splitlines()] == [0, 1, 2, 3]

    diverging = Trace.resuming(path)
    with pytest.raises(TraceDiverged, match="trace line 1 differs"):
        diverging.record(0, "tock", n=0)
    diverging.close()


@pytest.mark.parametrize("text", ["after-line:0", "mid-line:x", "outputs:3", "sometime"])
def test_a_crash_point_that_makes_no_sense_is_refused(text):
    with pytest.raises(Exception, match=CRASH_ENV):
        CrashPoint.parse(text)
