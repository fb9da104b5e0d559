"""Fuzzing ``Mailbox.process`` at length: mutated genuine inputs tried, and how many got through that should not.

    python benchmarks/fuzz_mailbox.py --examples 20000 [--seed N]

The test suite runs the same target at a short profile (``tests/bridge/test_fuzz_mailbox.py``);
see :mod:`bridge.fuzz` for the world, the seeds, the mutations and what counts as a false
acceptance. Exit code 1 when any input was accepted that should not be.
"""

from __future__ import annotations

import argparse
import sys
import time

from bridge.fuzz import MailboxFuzzTarget, fuzz_process


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5_000, help="inputs to try (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="the search's seed: same seed, same inputs")
    options = parser.parse_args()
    started = time.perf_counter()
    target = MailboxFuzzTarget()
    setup = time.perf_counter() - started
    report = fuzz_process(options.examples, options.seed, target)
    elapsed = time.perf_counter() - started - setup
    print(f"Mailbox.process fuzzing, seed {options.seed} ({len(target.seeds)} genuine seeds, setup {setup:.1f} s)")
    print(f"  inputs tried                          {report.tried:>9,}  ({report.tried / elapsed:,.0f}/s)")
    print(f"  accepted, correctly (first deliveries) {report.accepted:>8,}")
    print(f"  accepted that should not be            {report.false_acceptances:>8,}  (goal: 0)")
    print(f"  refused, by the chain's reason ({len(report.refusals)} reasons):")
    for reason, count in report.refusals.most_common():
        print(f"    {count:>9,}  {reason}")
    if report.first_false is not None:
        print(f"  first false acceptance: {report.first_false}")
    return 1 if report.false_acceptances else 0


if __name__ == "__main__":
    sys.exit(main())
