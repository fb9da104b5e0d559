"""A sweep killed (SIGKILL of its whole process group) or interrupted (SIGINT) resumes with --resume.

Nothing finished is lost or half-written, and the resumed sweep runs only what is missing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from .conftest import tiny_args

GRID = ["--param", "bridge.latency.mean=5,40", "--seeds", "2"]  # 4 runs


def _sweep(out: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "cli", "sweep", "demo", *tiny_args(*GRID), "--workers", "1", "--out", str(out), *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            cwd=Path(__file__).resolve().parents[2])


def _wait_for_results(out: Path, count: int, process: subprocess.Popen, timeout: float = 240) -> list[Path]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = sorted((out / "results").glob("*.json")) if (out / "results").is_dir() else []
        if len(done) >= count:
            return done
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    raise AssertionError(f"no {count} results within {timeout} s")


def _stamps(paths: list[Path]) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in paths}


@pytest.mark.slow
def test_a_killed_then_interrupted_sweep_resumes_without_redoing_finished_runs(tmp_path):
    out = tmp_path / "sweep"
    first = _sweep(out)
    _wait_for_results(out, 1, first)
    os.killpg(first.pid, signal.SIGKILL)  # the sweep and its workers, at once
    first.wait(timeout=30)
    kept = sorted((out / "results").glob("*.json"))
    assert 1 <= len(kept) < 4
    for path in kept:
        assert json.loads(path.read_text())["outcome"] == "ok"  # whole files only
    before = _stamps(kept)

    second = _sweep(out, "--resume")
    _wait_for_results(out, len(kept) + 1, second)
    second.send_signal(signal.SIGINT)  # Ctrl-C of the sweep process alone
    _, stderr = second.communicate(timeout=60)
    assert second.returncode == 130, stderr
    assert "interrupted" in stderr and "--resume" in stderr
    assert f"{len(kept)} already done" in stderr
    middle = sorted((out / "results").glob("*.json"))
    assert len(middle) > len(kept)
    assert pq.read_table(out / "runs.parquet").num_rows == len(middle)  # the tables cover what is done
    assert {k: v for k, v in _stamps(middle).items() if k in before} == before

    third = _sweep(out, "--resume")
    _, stderr = third.communicate(timeout=300)
    assert third.returncode == 0, stderr
    assert f"{len(middle)} already done, {4 - len(middle)} to run" in stderr
    final = sorted((out / "results").glob("*.json"))
    assert len(final) == 4
    assert {k: v for k, v in _stamps(final).items() if k in _stamps(middle)} == _stamps(middle)
    table = pq.read_table(out / "runs.parquet").to_pylist()
    assert sorted(r["run_id"] for r in table) == ["p0000-seed1", "p0000-seed2", "p0001-seed1", "p0001-seed2"]
    assert all(r["outcome"] == "ok" for r in table)
    assert not [p for p in out.rglob("*.tmp")]
