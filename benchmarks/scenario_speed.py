"""How fast the simulated world runs: `crash` with 200 traders, and `demo`.

Prints, for each run: simulated seconds per wall second, EVM transactions per wall
second (every transaction mined on every chain), wall time, and the peak resident
memory of the process (each run in its own subprocess, so peaks do not mix).
Targets on the 2-core reference machine: `demo` under 60 s wall; `crash` with 200
traders (6.5 simulated hours: 30 minutes of setup and the 6-hour fall) under 10
minutes and under 2 GB.

    python benchmarks/scenario_speed.py [--traders 200] [--skip-demo]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile


def child(scenario: str, overrides: list[str]) -> None:
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    with tempfile.TemporaryDirectory() as out:
        result = run_scenario(load_scenario(scenario, overrides), out)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    transactions = sum(chain["transactions"] for chain in result.summary["chains"].values())
    print(json.dumps({
        "scenario": scenario,
        "overrides": overrides,
        "status": result.summary["status"],
        "traders": result.summary["traders"]["deposits"],
        "simulated_seconds": result.summary["simulated_seconds"],
        "wall_seconds": result.summary["wall_seconds"],
        "simulated_per_wall_second": result.summary["simulated_per_wall_second"],
        "evm_transactions": transactions,
        "evm_transactions_per_wall_second": result.summary["evm_transactions_per_wall_second"],
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "liquidations": result.summary["liquidations"]["count"],
        "bad_debt_usd": result.summary["bad_debt_usd"],
    }))


def measure(scenario: str, overrides: list[str]) -> dict:
    command = [sys.executable, __file__, "--child", scenario, *overrides]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{scenario} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(figures: dict, wall_target: float, memory_target_mb: float | None) -> None:
    print(f"{figures['scenario']} {' '.join(figures['overrides'])}".strip())
    print(f"  status: {figures['status']}, traders: {figures['traders']}, liquidations: {figures['liquidations']}, "
          f"bad debt ${figures['bad_debt_usd']:,.2f}")
    print(f"  simulated: {figures['simulated_seconds']:,.0f} s in {figures['wall_seconds']:,.1f} s wall "
          f"= {figures['simulated_per_wall_second']:,.1f} simulated s per wall s")
    print(f"  EVM transactions: {figures['evm_transactions']:,} = {figures['evm_transactions_per_wall_second']:,.1f} per wall s")
    print(f"  peak memory (RSS): {figures['peak_rss_mb']:,.0f} MB")
    verdict = "ok" if figures["wall_seconds"] < wall_target else "MISSED"
    line = f"  target: under {wall_target:.0f} s wall"
    if memory_target_mb is not None:
        verdict = verdict if figures["peak_rss_mb"] < memory_target_mb else "MISSED"
        line += f" and {memory_target_mb:,.0f} MB"
    print(f"{line}: {verdict}")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--traders", type=int, default=200, help="traders in the crash run (default 200)")
    parser.add_argument("--skip-demo", action="store_true", help="only the crash run")
    args = parser.parse_args()
    if not args.skip_demo:
        report(measure("demo", []), wall_target=60, memory_target_mb=None)
    report(measure("crash", [f"agents.traders.count={args.traders}"]), wall_target=600, memory_target_mb=2048)


if __name__ == "__main__":
    main()
