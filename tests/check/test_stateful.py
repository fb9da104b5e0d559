"""The stateful property search over the whole system: it holds on the shipped contracts and fails on a
planted bug. CI runs a small profile; ``xmargin check SCENARIO --examples N`` runs longer ones."""

from __future__ import annotations

from chains import compile_contract
from protocol.artifacts import CONTRACTS_DIR
from sim.check import run_check
from sim.check.machine import Bounds, Tally, prepare, system_machine
from sim.plugin.template import Template
from sim.world_spec import resolve_world

EXAMPLES, STEPS = 5, 10
BACKING = {"no unbacked margin", "the vault never pays out collateral that backs margin"}


def test_every_invariant_holds_over_random_sequences_of_actions_and_faults():
    report = run_check(resolve_world(), EXAMPLES, STEPS, shrink=False)
    assert report.holds, f"{report.violation}\n" + "\n".join(report.sequence)
    assert report.examples == EXAMPLES
    assert report.checks >= EXAMPLES * STEPS // 2  # the invariants ran after the steps, not only at the start


def test_the_search_fails_on_a_vault_that_releases_without_a_message(leaky_vault):
    variant = compile_contract(leaky_vault, search_paths=[CONTRACTS_DIR])
    report = run_check(resolve_world(), 30, STEPS, shrink=False, variants={"CollateralVault": variant})
    assert not report.holds
    assert report.violation.name in BACKING, report.violation
    assert report.sequence[0] == "state = SystemMachine()"
    assert any(line.startswith("state.withdraw(") for line in report.sequence), report.sequence


def test_a_sequence_never_reorgs_the_prepared_state_that_every_sequence_starts_from(tmp_path):
    spec, bounds = resolve_world(), Bounds()
    prepared = prepare(Template(spec, tmp_path / "template"), bounds, tmp_path)
    machine = system_machine(prepared, bounds, tmp_path, Tally())
    first = machine()
    start = {chain.name: chain.head_number for chain in first.testbed.chains}
    for chain in spec.chains:
        first.reorg_within_finality((chain.name, max(chain.finality_depth, 1)))
        assert first.testbed.chains[chain.name].head_number >= start[chain.name]  # nothing below the start dropped
    first.teardown()
    second = machine()  # the template still restores: the prepared deposits are locked behind their margin
    second.invariants_hold()
    second.teardown()
