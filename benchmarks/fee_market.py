"""What the mempool and the fee market cost: `black-thursday` with and without its background demand.

Both variants are the whole `xmargin run` command in its own process (as ``scenario_speed.py``),
interleaved (A, B, A, B, ...); the figures are transactions per wall second (every chain's
transactions: the agents' and, with demand, the other users'), min and median of the rounds.
The background transactions' share of wall time is the difference of the two walls over the
wall with demand; a cProfile of one run with demand then says where that time goes (sending:
signing and pool admission; building blocks: ordering the pool and executing what fits).

The scenario is shortened by default (``--duration``, with the surge starting an hour in),
so that a round takes a minute or two; ``--duration 100800`` is the built-in's full day.

    python benchmarks/fee_market.py [--rounds 3] [--duration 21600] [--seed 3] [--skip-profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scenario_speed import run_once  # noqa: E402 - the shared measurement of one command, a sibling script

SCENARIO = "black-thursday"
# where a run with demand spends its time, by the function that owns it (cumulative)
PROFILE_PARTS = (
    ("sending background transactions", "demand.py", "_send"),
    ("building blocks (all transactions)", "chain.py", "_build"),
    ("every Chain.send (background ones too)", "chain.py", "send"),
)


def overrides(duration: int, demand: bool) -> list[str]:
    sets = [f"duration={duration}", f"agents.traders.hold_min={duration}", f"agents.traders.hold_max={duration}",
            f"demand.perp.windows=[{{start = 3600, end = {duration}, rate = 1.5, fee_scale = 6}}]"]
    if not demand:
        sets += ["demand.perp.rate=0", "demand.perp.windows=[]"]
    return [arg for value in sets for arg in ("--set", value)]


def profile(duration: int, seed: int) -> None:
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    scenario = load_scenario(SCENARIO, [a for a in overrides(duration, True) if a != "--set"], seed=seed)
    profiler = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="xmargin-bench-") as out:
        profiler.runcall(run_scenario, scenario, Path(out) / "run")
    stats = pstats.Stats(profiler)
    total = max(row[3] for row in stats.stats.values())  # the outermost call's cumulative time
    print(f"\nwhere a run with demand spends its {total:.1f} s (cProfile, cumulative, overlapping):")
    for label, filename, function in PROFILE_PARTS:
        spent = sum(row[3] for (file, _, name), row in stats.stats.items() if file.endswith(filename) and name == function)
        print(f"  {label:<40} {spent:7.1f} s {spent / total:6.1%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--duration", type=int, default=21_600, help="simulated seconds (default 21600)")
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--skip-profile", action="store_true", help="no cProfile run at the end")
    args = parser.parse_args()

    xmargin = Path(sys.executable).parent / "xmargin"
    base = ["run", SCENARIO, "--seed", str(args.seed)]
    variants = {"with demand": [*base, *overrides(args.duration, True)],
                "without demand": [*base, *overrides(args.duration, False)]}
    results: dict[str, list[dict]] = {name: [] for name in variants}
    for round_number in range(1, args.rounds + 1):
        for name, command in variants.items():
            figures = run_once(xmargin, command)
            results[name].append(figures)
            print(f"round {round_number}: {name:<16} {figures['wall']:8.2f} s wall, "
                  f"{figures['transactions']:,} transactions", flush=True)

    print(f"\n{SCENARIO}, {args.duration} simulated s, seed {args.seed}; {args.rounds} interleaved rounds; "
          "whole `xmargin run` command")
    print(f"{'variant':<18}{'transactions':>14}{'wall s min':>12}{'median':>9}{'tx/wall s min':>15}{'median':>9}")
    for name, runs in results.items():
        walls = [r["wall"] for r in runs]
        rates = [r["transactions"] / r["wall"] for r in runs]
        print(f"{name:<18}{runs[0]['transactions']:>14,}{min(walls):12.2f}{statistics.median(walls):9.2f}"
              f"{min(rates):15.1f}{statistics.median(rates):9.1f}")
    loaded, quiet = ([r["wall"] for r in results[name]] for name in variants)
    for label, pick in (("min", min), ("median", statistics.median)):
        share = (pick(loaded) - pick(quiet)) / pick(loaded)
        print(f"background transactions' share of wall time ({label}): {share:.1%}")
    if not args.skip_profile:
        profile(args.duration, args.seed)


if __name__ == "__main__":
    main()
