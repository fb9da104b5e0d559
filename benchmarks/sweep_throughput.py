"""Sweep throughput: runs per minute for 16 `demo` runs with 1 worker, 2 workers, and a local Dask cluster of 2.

    python benchmarks/sweep_throughput.py [--runs 16] [--rounds 2] [--set KEY=VALUE ...]

The same 16 runs (16 seeds of `demo`, one grid point) each time, in fresh sweep
directories, the three set-ups interleaved round by round (A, B, C, A, B, C) so a noisy
machine slows them alike; prints runs per minute, best and median, and the speed-ups
over one worker. `--set` compresses the runs for a quick look (e.g. --set
duration=900); figures are only comparable at the same settings.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sim.sweep import SweepRequest, open_backend, prepare_sweep


def timed_sweep(out: Path, runs: int, overrides: tuple[str, ...], workers: int | None = None,
                scheduler: str | None = None) -> float:
    request = SweepRequest("demo", ("agents.keepers.count=2",), runs, overrides, workers, scheduler, str(out))
    sweep = prepare_sweep(request)
    backend = open_backend(request)
    sweep.start()
    started = time.perf_counter()
    progress = sweep.run(backend)
    elapsed = time.perf_counter() - started
    backend.close()
    assert progress.done == runs and progress.failed == 0, f"{progress.failed} runs failed"
    return runs / (elapsed / 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds (default 2)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    overrides = tuple(args.overrides)
    from distributed import LocalCluster

    setups: dict[str, int | None] = {"1 worker": 1, "2 workers": 2, "Dask, 2 local workers": None}  # None: Dask
    rates: dict[str, list[float]] = {name: [] for name in setups}
    with tempfile.TemporaryDirectory(prefix="xmargin-sweep-bench-") as temporary:
        root = Path(temporary)
        for round_number in range(1, args.rounds + 1):
            for number, (name, workers) in enumerate(setups.items()):
                out = root / f"round{round_number}-setup{number}"
                if workers is None:
                    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None) as cluster:
                        rate = timed_sweep(out, args.runs, overrides, scheduler=cluster.scheduler_address)
                else:
                    rate = timed_sweep(out, args.runs, overrides, workers=workers)
                rates[name].append(rate)
                print(f"round {round_number}: {name:<22} {rate:6.2f} runs/min", flush=True)

    one = rates["1 worker"]
    print(f"\n{args.runs} demo runs each{' with ' + ', '.join(overrides) if overrides else ''}, "
          f"{args.rounds} interleaved rounds; runs/min best and median, speed-up over 1 worker best / median")
    for name, measured in rates.items():
        best, middle = max(measured), statistics.median(measured)
        print(f"{name:<22} {best:6.2f} {middle:6.2f}   {best / max(one):.2f}x / {middle / statistics.median(one):.2f}x")


if __name__ == "__main__":
    main()
