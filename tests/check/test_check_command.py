"""xmargin check: exit 0 when every invariant holds, 1 with the smallest failing sequence, 2 on bad input."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main


def test_check_exits_0_when_every_invariant_holds():
    result = CliRunner().invoke(main, ["check", "demo", "--examples", "2", "--steps", "3"])
    assert result.exit_code == 0, result.output
    assert "every invariant held: 2 sequences of up to 3 steps" in result.stdout
    assert "check demo (seed 1): sequence 2" in result.stderr  # progress


def test_check_exits_1_with_the_smallest_failing_sequence(leaky_vault):
    result = CliRunner().invoke(main, ["check", "demo", "--examples", "40", "--steps", "2",
                                       "--contract", f"CollateralVault={leaky_vault}"])
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("INVARIANT VIOLATED: ")
    sequence = [line.strip() for line in lines[lines.index(next(l for l in lines if "smallest failing" in l)) + 1:]]
    assert sequence[0] == "state = SystemMachine()" and sequence[-1] == "state.teardown()"
    assert [line.split("(")[0] for line in sequence[1:-1]] == ["state.withdraw"]  # nothing else is needed


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["check", "nothing-like-it"], "no scenario 'nothing-like-it'"),
        (["check", "demo", "--set", "agents.traders.leverage_max=0"], "agents.traders.leverage_max: must be >= 1"),
        (["check", "demo", "--contract", "Vault=x.vy"], "no protocol contract 'Vault'"),
        (["check", "demo", "--contract", "CollateralVault=/no/such.vy"], "no such file /no/such.vy"),
        (["check", "demo", "--contract", "CollateralVault"], "expected NAME=FILE"),
    ],
)
def test_check_bad_input_is_one_line_and_exit_2(arguments, message):
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [result.stderr.splitlines()[-1]] and message in result.stderr
