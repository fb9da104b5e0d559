"""One scenario and seed on two engines: the same trace, receipts, end state and metrics, or what differs.

This is how the revm engine earns its place as the default: every transaction's
receipt (status, gas used, logs, revert data), every account's balance, nonce, code
and storage at the end, every metric of the summary and the trace itself must be the
same as on py-evm, the reference.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chains.differential import EngineDifference, compare_chains
from chains.engines import FASTEST_ENGINE, REFERENCE_ENGINE
from sim.run import RunResult, run_scenario
from sim.scenario import Scenario

# what measures the machine, not the run
WALL_CLOCK_KEYS = ("wall_seconds", "simulated_per_wall_second", "evm_transactions_per_wall_second",
                   "peak_python_memory_mb", "evm_engine")


@dataclass
class EngineComparison:
    engines: tuple[str, str]
    trace_hashes: tuple[str, str]
    differences: list[EngineDifference] = field(default_factory=list)
    summary_differences: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.differences and not self.summary_differences and self.trace_hashes[0] == self.trace_hashes[1]

    def describe(self) -> str:
        if self.agree:
            return f"{self.engines[0]} and {self.engines[1]} agree (trace {self.trace_hashes[0]})"
        lines = [str(d) for d in self.differences[:20]] + self.summary_differences[:20]
        if self.trace_hashes[0] != self.trace_hashes[1]:
            lines.append(f"trace hash: {self.engines[0]} {self.trace_hashes[0]}, {self.engines[1]} {self.trace_hashes[1]}")
        return "\n".join(lines)


def metrics_of(summary: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in summary.items() if key not in WALL_CLOCK_KEYS}


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        flat: dict[str, Any] = {}
        for key, value in data.items():
            flat.update(_flat(value, f"{prefix}{key}."))
        return flat
    return {prefix.rstrip("."): data}


def compare_summaries(left: dict[str, Any], right: dict[str, Any], engines: tuple[str, str]) -> list[str]:
    a, b = _flat(metrics_of(left)), _flat(metrics_of(right))
    return [f"summary {key}: {engines[0]} {a.get(key)!r}, {engines[1]} {b.get(key)!r}"
            for key in sorted(set(a) | set(b)) if a.get(key) != b.get(key)]


def compare_engines(scenario: Scenario, engines: tuple[str, str] = (REFERENCE_ENGINE, FASTEST_ENGINE),
                    work_dir: Path | None = None) -> EngineComparison:
    """Run ``scenario`` on both engines and compare everything they produced."""
    base = Path(work_dir) if work_dir is not None else Path(tempfile.mkdtemp(prefix="xmargin-engines-"))
    results: list[RunResult] = [run_scenario(scenario, base / engine, engine=engine) for engine in engines]
    left, right = results
    comparison = EngineComparison(engines, (left.trace_hash, right.trace_hash))
    for chain in left.world.chains:
        comparison.differences.extend(compare_chains(chain, right.world.chains[chain.name]))
    comparison.summary_differences = compare_summaries(left.summary, right.summary, engines)
    return comparison
