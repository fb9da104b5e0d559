"""Sweep throughput: runs per minute for 16 `demo` runs with 1 worker, 2 workers, and a local Dask cluster of 2.

    python benchmarks/sweep_throughput.py [--runs 16] [--set KEY=VALUE ...]

The same 16 runs (16 seeds of `demo`, one grid point) each time, in fresh sweep
directories; prints runs per minute and the speed-ups over one worker. `--set`
compresses the runs for a quick look (e.g. --set duration=900); figures are only
comparable at the same settings.
"""

from __future__ import annotations

import argparse
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
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args()
    overrides = tuple(args.overrides)
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory(prefix="xmargin-sweep-bench-") as temporary:
        root = Path(temporary)
        one = timed_sweep(root / "one", args.runs, overrides, workers=1)
        print(f"1 worker:               {one:6.2f} runs/min")
        two = timed_sweep(root / "two", args.runs, overrides, workers=2)
        print(f"2 workers:              {two:6.2f} runs/min  ({two / one:.2f}x)")
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                          dashboard_address=None) as cluster:
            dask = timed_sweep(root / "dask", args.runs, overrides, scheduler=cluster.scheduler_address)
        print(f"Dask, 2 local workers:  {dask:6.2f} runs/min  ({dask / one:.2f}x)")
    print(f"{args.runs} demo runs each{' with ' + ', '.join(overrides) if overrides else ''}")


if __name__ == "__main__":
    main()
