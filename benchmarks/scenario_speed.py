"""How fast a run is: `crash` with 60 traders over 7,200 simulated seconds, on each engine, against a baseline.

Each variant is the whole `xmargin run` command in its own process (imports, deployment,
the run, writing the run directory), timed from outside, with its peak resident memory.
Variants run interleaved (A, B, C, A, B, C, ...) so a noisy shared machine slows them
alike; the figures are the minimum and the median of the rounds, and the ratios are
against the baseline's minimum and median.

The baseline is the project at another commit (the issue's is 4ca79cb), checked out in
its own worktree with its own virtual environment; ``--prepare-baseline`` makes one.

    python benchmarks/scenario_speed.py --baseline ../baseline-4ca79cb [--rounds 3] [--traders 60]
    python benchmarks/scenario_speed.py --prepare-baseline ../baseline-4ca79cb [--commit 4ca79cb]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_COMMIT = "4ca79cb"
# run as a child of this one-liner, so the peak RSS reported is that command's alone
MEASURE = (
    "import json, resource, subprocess, sys, time\n"
    "began = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - began\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(json.dumps({'code': done.returncode, 'wall': wall, 'peak_kb': peak, 'stdout': done.stdout, 'stderr': done.stderr[-2000:]}))\n"
)


def prepare_baseline(target: Path, commit: str) -> None:
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(target), commit], check=True)
    subprocess.run([sys.executable, "-m", "venv", str(target / ".venv")], check=True)
    subprocess.run([str(target / ".venv" / "bin" / "pip"), "install", "-q", "-e", str(target)], check=True)
    print(f"baseline {commit} ready in {target}")


def run_once(xmargin: Path, args: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix="xmargin-bench-") as out:
        command = [sys.executable, "-c", MEASURE, str(xmargin), *args, "--out", str(Path(out) / "run"), "--json"]
        measured = json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)
    if measured["code"] != 0:
        raise SystemExit(f"{xmargin} {' '.join(args)} failed ({measured['code']}):\n{measured['stderr']}")
    summary = json.loads(measured["stdout"])
    return {
        "wall": measured["wall"],
        "run_wall": summary["wall_seconds"],  # the run itself, from the summary (no imports, no process start)
        "peak_mb": measured["peak_kb"] / 1024,
        "simulated": summary["simulated_seconds"],
        "transactions": sum(chain["transactions"] for chain in summary["chains"].values()),
        "trace_hash": summary["trace_hash"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="worktree of the baseline commit, with its .venv")
    parser.add_argument("--prepare-baseline", type=Path, metavar="DIR", help="check out --commit into DIR and install it")
    parser.add_argument("--commit", default=DEFAULT_COMMIT, help=f"baseline commit for --prepare-baseline ({DEFAULT_COMMIT})")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--traders", type=int, default=60)
    parser.add_argument("--duration", type=int, default=7200)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    if args.prepare_baseline:
        prepare_baseline(args.prepare_baseline.resolve(), args.commit)
        return

    scenario = ["run", "crash", "--seed", str(args.seed), "--set", f"agents.traders.count={args.traders}",
                "--set", f"duration={args.duration}"]
    here = Path(sys.executable).parent / "xmargin"
    variants: dict[str, tuple[Path, list[str]]] = {}
    if args.baseline:
        variants[f"baseline {args.commit}"] = (args.baseline.resolve() / ".venv" / "bin" / "xmargin", scenario)
    variants["py-evm engine"] = (here, [*scenario, "--engine", "pyevm"])
    variants["revm engine"] = (here, [*scenario, "--engine", "revm"])

    results: dict[str, list[dict]] = {name: [] for name in variants}
    for round_number in range(1, args.rounds + 1):
        for name, (xmargin, command) in variants.items():
            figures = run_once(xmargin, command)
            results[name].append(figures)
            print(f"round {round_number}: {name:<20} {figures['wall']:8.2f} s wall", flush=True)

    print(f"\ncrash, {args.traders} traders, {args.duration} simulated s, seed {args.seed}; "
          f"{args.rounds} interleaved rounds; whole `xmargin run` command")
    print(f"{'':<22}{'command wall s':>16}{'run wall s':>14}")
    print(f"{'variant':<22}{'min':>8}{'median':>8}{'min':>7}{'median':>7}{'sim s/wall s':>14}{'tx/wall s':>11}"
          f"{'peak RSS MB':>13}")
    base = results.get(f"baseline {args.commit}")
    for name, runs in results.items():
        walls, run_walls = [r["wall"] for r in runs], [r["run_wall"] for r in runs]
        fastest = min(runs, key=lambda r: r["wall"])
        print(f"{name:<22}{min(walls):8.2f}{statistics.median(walls):8.2f}{min(run_walls):7.2f}"
              f"{statistics.median(run_walls):7.2f}{fastest['simulated'] / fastest['wall']:14.1f}"
              f"{fastest['transactions'] / fastest['wall']:11.1f}{max(r['peak_mb'] for r in runs):13.0f}")
    if base:
        print("\nspeed-up against the baseline, min / median (command; the run alone):")
        for name, runs in results.items():
            if runs is base:
                continue
            ratios = []
            for key in ("wall", "run_wall"):
                ours, theirs = [r[key] for r in runs], [r[key] for r in base]
                ratios.append(f"{min(theirs) / min(ours):5.1f}x / {statistics.median(theirs) / statistics.median(ours):5.1f}x")
            print(f"  {name:<20} {ratios[0]};   {ratios[1]}")
    hashes = {name: {r["trace_hash"] for r in runs} for name, runs in results.items() if runs is not base}
    same = len({h for group in hashes.values() for h in group}) == 1
    print(f"\ntrace hash on every engine and round: {'the same' if same else 'DIFFERENT: ' + repr(hashes)}")


if __name__ == "__main__":
    main()
