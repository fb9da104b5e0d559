"""The CLI's foundation commands: chains, --version, --help, and bad input without tracebacks."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_chains_lists_every_configured_chain(runner):
    result = runner.invoke(main, ["chains"])
    assert result.exit_code == 0, result.output
    for name, chain_id, block_time in (("vault-l1", "31001", "12 s"), ("vault-l2", "31002", "2 s"), ("perp", "31337", "1 s")):
        line = next(line for line in result.output.splitlines() if name in line)
        assert chain_id in line and block_time in line


def test_version_and_help(runner):
    assert runner.invoke(main, ["--version"]).output.startswith("xmargin, version ")
    for command in main.commands:
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[[chains]]\nname = "a"\nchain_id = 0\n', "chain_id must be a positive integer"),
        ('[[chains]]\nname = "a"\nchain_id = 3\nblock_time = -12\n', "block_time must be positive"),
        ('[[chains]]\nname = "a"\nchain_id = 3\n[[chains]]\nname = "b"\nchain_id = 3\n', "duplicate chain id 3"),
    ],
)
def test_bad_chain_files_exit_2_with_a_message_and_no_traceback(runner, tmp_path, toml, message):
    path = tmp_path / "chains.toml"
    path.write_text(toml)
    result = runner.invoke(main, ["chains", "--config", str(path)])
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")
    assert "Traceback" not in result.output


def test_unknown_chain_name_exits_2(runner):
    result = runner.invoke(main, ["chains", "--chain", "mainnet"])
    assert result.exit_code == 2
    assert "unknown chain 'mainnet'" in result.output
