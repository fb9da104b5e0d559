"""Crash and recover at random points: `xmargin run` killed with SIGKILL, `xmargin resume`d, messages lost.

    python benchmarks/crash_recover.py [--points 12] [--seed 0] [--kills 1] [--set KEY=VALUE ...]

One uninterrupted run is the reference. Then, for each crash point (drawn from the seed:
after a random trace line, halfway through a random line, or while the files of the end
are written), a fresh `xmargin run` process kills itself there with SIGKILL
(``XMARGIN_CRASH_AT``), is resumed (``--kills K``: killed K times at increasing points,
each time resumed) and finished by a last `xmargin resume`. A message is lost when the
reference has it and the finished run does not, or gives it another fate, or when a
killed process traced it and the finished run has no record of it. Prints the crash
points tried, by kind, the messages lost (the goal is 0) and how many finished runs
match the reference's trace and summary. Exit code 1 if anything was lost or differs.
Without --set it runs the demo compressed as the test suite does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sim.crashpoint import CRASH_ENV

COMPRESSED = ("duration=1300", "agents.traders.count=4", "prices.ETH.crash_start=300")
WALL_KEYS = ("wall_seconds", "simulated_per_wall_second", "evm_transactions_per_wall_second", "resumed_at_line", "run_dir")


def xmargin(args: list[str], crash: str | None = None) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != CRASH_ENV}
    if crash is not None:
        env[CRASH_ENV] = crash
    return subprocess.run([sys.executable, "-c", "import cli; cli.main()", *args], env=env, capture_output=True,
                          text=True, timeout=3600)


def fates(run_dir: Path) -> dict[str, str]:
    lines = (run_dir / "messages.jsonl").read_text().splitlines()
    return {record["message_id"]: record["status"] for record in map(json.loads, lines)}


def traced_messages(run_dir: Path) -> set[str]:
    data = (run_dir / "trace.jsonl").read_bytes()
    whole = data[: data.rfind(b"\n") + 1].decode()
    return {event["message_id"] for event in map(json.loads, whole.splitlines()) if event["kind"] == "message"}


def draw_points(rng: random.Random, lines: int, kills: int) -> list[str]:
    """``kills`` crash points one run meets in order: line kills at increasing lines, ``outputs`` only last."""
    chosen = sorted(rng.sample(range(1, lines + 1), kills))
    points = [f"{rng.choice(('after-line', 'mid-line'))}:{line}" for line in chosen]
    if rng.random() < 0.15:
        points[-1] = "outputs"
    return points


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key not in WALL_KEYS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=12, help="runs to kill (default 12)")
    parser.add_argument("--kills", type=int, default=1, help="times each run is killed before it may finish")
    parser.add_argument("--seed", type=int, default=0, help="seed of the crash points drawn")
    parser.add_argument("--set", dest="overrides", action="append", default=None, metavar="KEY=VALUE")
    options = parser.parse_args()
    overrides = tuple(options.overrides) if options.overrides is not None else COMPRESSED
    sets = [item for override in overrides for item in ("--set", override)]
    rng = random.Random(options.seed)
    scratch = Path(tempfile.mkdtemp(prefix="xmargin-crash-"))

    started = time.perf_counter()
    reference_dir = scratch / "reference"
    done = xmargin(["run", "demo", *sets, "--out", str(reference_dir), "--json"])
    if done.returncode != 0:
        print(done.stderr)
        return 1
    reference = json.loads(done.stdout)
    reference_fates, reference_trace = fates(reference_dir), (reference_dir / "trace.jsonl").read_bytes()
    lines = reference_trace.count(b"\n")
    print(f"reference: demo {' '.join(overrides)}: {lines} trace lines, {len(reference_fates)} messages, "
          f"{time.perf_counter() - started:.1f} s")

    kinds: Counter[str] = Counter()
    lost = mismatched = 0
    for number in range(options.points):
        run_dir = scratch / f"killed-{number}"
        points = draw_points(rng, lines, options.kills)
        command = ["run", "demo", *sets, "--out", str(run_dir), "--json"]
        seen: set[str] = set()
        for point in points:
            died = xmargin(command, crash=point)
            if died.returncode != -9:
                print(f"  {point}: expected the process to die, it exited {died.returncode}: {died.stderr[-300:]}")
                return 1
            kinds[point.split(":")[0]] += 1
            seen |= traced_messages(run_dir)
            command = ["resume", str(run_dir), "--json"]
        finished = xmargin(["resume", str(run_dir), "--json"])
        summary = json.loads(finished.stdout) if finished.returncode == 0 else {}
        got = fates(run_dir) if summary else {}
        missing = {m for m, fate in reference_fates.items() if got.get(m) != fate} | (seen - set(got))
        same = bool(summary) and (run_dir / "trace.jsonl").read_bytes() == reference_trace \
            and comparable(summary) == comparable(reference)
        lost += len(missing)
        mismatched += not same
        print(f"  run {number + 1:>2}: killed at {', '.join(points):<40} messages lost {len(missing)}, "
              f"{'same trace and summary' if same else 'DIFFERS: ' + finished.stderr[-300:]}")

    tried = sum(kinds.values())
    print(f"crash points tried: {tried} ({', '.join(f'{count} {kind}' for kind, count in sorted(kinds.items()))}), "
          f"over {options.points} runs")
    print(f"messages lost: {lost} (goal: 0)")
    print(f"finished runs matching the uninterrupted one (trace bytes, summary): {options.points - mismatched} of {options.points}")
    print(f"wall time: {time.perf_counter() - started:.0f} s")
    return 1 if lost or mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
