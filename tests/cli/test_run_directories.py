"""Run directories: never replaced silently, named after the overrides, and refused when they cannot be used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

SHORT = ["--set", "duration=150", "--set", "agents.traders.count=1"]  # deployment takes the first 120 s


def one_error_line(result) -> str:
    """The error is one line, the last on stderr (after any set-up stages), without a traceback; returns it."""
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("error: ")] == lines[-1:], result.stderr
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    return lines[-1]


def test_runs_without_out_never_share_a_directory_and_force_replaces_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    first = runner.invoke(main, ["run", "demo", *SHORT])
    assert first.exit_code == 0, first.output
    default = Path("runs/demo-seed1-duration=150_agents.traders.count=1")  # the overrides are in the name
    assert (default / "summary.json").is_file()
    stages = [line for line in first.stderr.splitlines() if line.startswith("demo (seed 1): ")]
    assert [s.split(": ", 1)[1] for s in stages[:4]] == [
        "compiling contracts (cached after the first run)", "starting 3 chains", "deploying the bridge",
        "deploying the protocol",
    ]  # what the first seconds are spent on, before the clock runs

    again = runner.invoke(main, ["run", "demo", *SHORT, "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["run_dir"] == f"{default}-2"  # the first free name, the first run untouched

    marker = default / "notes.txt"
    marker.write_text("the first run")
    refused = runner.invoke(main, ["run", "demo", *SHORT, "--out", str(default)])
    assert refused.exit_code == 2
    assert "already holds a run; pass --force to replace it" in one_error_line(refused)
    assert marker.read_text() == "the first run"

    replaced = runner.invoke(main, ["run", "demo", *SHORT, "--out", str(default), "--force", "--json"])
    assert replaced.exit_code == 0, replaced.output
    assert not marker.exists() and (default / "summary.json").is_file()
    assert not list(Path("runs").glob(".*"))  # nothing left aside


def test_a_duration_that_ends_before_the_deployment_is_refused_naming_it(tmp_path):
    out = tmp_path / "short"
    result = CliRunner().invoke(main, ["run", "demo", "--set", "duration=60", "--out", str(out)])
    assert result.exit_code == 2
    line = one_error_line(result)
    assert "duration: 60 s ends before the deployment does" in line
    assert "takes the first 120 s of simulated time" in line
    assert not out.exists()


@pytest.mark.parametrize("where", ["file", "proc"])
def test_an_out_that_cannot_be_a_directory_is_one_line_and_exit_2(tmp_path, where):
    if where == "file":
        (tmp_path / "plain").write_text("not a directory")
        out, reason = tmp_path / "plain" / "run", f"{tmp_path / 'plain'} is a file, not a directory"
    else:
        out, reason = Path("/proc/xmargin-run"), "cannot create the run directory"
    result = CliRunner().invoke(main, ["run", "demo", "--out", str(out)])
    assert result.exit_code == 2
    assert reason in one_error_line(result)
