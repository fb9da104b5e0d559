"""``xmargin check``: the stateful property search over a scenario's world, and what it found.

:func:`run_check` builds the scenario's world once (a template: chains, bridge and
protocol deployed and settled), then lets Hypothesis run ``examples`` random
sequences of at most ``steps`` actions and faults, each on a fresh testbed, checking
the system's invariants after every step. When one breaks, Hypothesis shrinks the
sequence and the report carries the smallest one it found, as Python calls on the
machine.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping

from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis.stateful import run_state_machine_as_test

from chains.compiler import Artifact, compile_contract
from chains.errors import CompileError, ConfigError
from protocol.artifacts import CONTRACTS_DIR, CONTRACT_NAMES
from sim.check.machine import Bounds, Tally, prepare, system_machine
from sim.invariants import InvariantViolation
from sim.plugin.template import Template
from sim.world_spec import WorldSpec

__all__ = ["Bounds", "CheckReport", "contract_variants", "run_check"]


@dataclass
class CheckReport:
    examples: int = 0  # sequences run, shrinking included
    checks: int = 0  # invariant checks: one after the start and one after every step
    violation: InvariantViolation | None = None
    sequence: list[str] = field(default_factory=list)  # the smallest failing sequence found

    @property
    def holds(self) -> bool:
        return self.violation is None


def run_check(
    spec: WorldSpec,
    examples: int,
    steps: int = 30,
    bounds: Bounds = Bounds(),
    search_seed: int = 0,
    shrink: bool = True,
    variants: Mapping[str, Artifact] | None = None,
    on_example: Callable[[int], None] | None = None,
) -> CheckReport:
    """Search for a sequence of actions and faults that breaks an invariant of ``spec``'s world.

    ``search_seed`` fixes the sequences tried (same seed, same search); ``variants`` deploys
    other builds of protocol contracts (a planted bug must be found).
    """
    tally = Tally(on_example=on_example)
    violation: InvariantViolation | None = None
    with tempfile.TemporaryDirectory(prefix="xmargin-check-") as scratch:
        workdir = Path(scratch)
        prepared = prepare(Template(spec, workdir / "template", variants), bounds, workdir)
        machine = system_machine(prepared, bounds, workdir, tally)
        options = settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            database=None,
            phases=(Phase.generate, Phase.shrink) if shrink else (Phase.generate,),
            suppress_health_check=list(HealthCheck),
            verbosity=Verbosity.normal,
            print_blob=False,
            report_multiple_bugs=False,
        )
        notes: list[str] = []
        try:
            run_state_machine_as_test(seed(search_seed)(machine), settings=options)
        except InvariantViolation as exc:
            violation, notes = exc, getattr(exc, "__notes__", [])
        except Exception as exc:  # noqa: BLE001 - an action the system should take in its stride failed: a finding
            violation = InvariantViolation(tally.last_time, "every action is served",
                                           f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
            notes = getattr(exc, "__notes__", [])
    # Hypothesis notes the failing sequence on the exception, one call a line
    sequence = [line for line in notes if line.startswith("state") and not line.endswith(".invariants_hold()")]
    return CheckReport(tally.examples, tally.checks, violation, sequence)


def contract_variants(specs: Iterable[str]) -> dict[str, Artifact]:
    """``NAME=FILE`` strings as compiled variants of the protocol's contracts (a variant may
    ``import messages`` as the shipped ones do); raises ConfigError naming the bad one."""
    variants = {}
    for text in specs:
        name, _, file = text.partition("=")
        if not name or not file:
            raise ConfigError(f"--contract {text}: expected NAME=FILE, e.g. CollateralVault=MyVault.vy")
        if name not in CONTRACT_NAMES:
            raise ConfigError(f"--contract {text}: no protocol contract {name!r}; contracts: {', '.join(CONTRACT_NAMES)}")
        if not Path(file).is_file():
            raise ConfigError(f"--contract {text}: no such file {file}")
        try:
            variants[name] = compile_contract(file, search_paths=[CONTRACTS_DIR])
        except CompileError as exc:
            first = next((line for line in str(exc).splitlines() if line.strip()), "")
            raise ConfigError(f"--contract {text}: does not compile: {first}") from None
    return variants
