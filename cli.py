"""The ``xmargin`` command: parses arguments and delegates; no logic of its own."""

from __future__ import annotations

import functools
import sys
from importlib.metadata import version as package_version
from typing import Any, Callable

import click
from rich.console import Console
from rich.table import Table

from chains.errors import XmarginError

EXIT_OK, EXIT_INVARIANT, EXIT_BAD_INPUT = 0, 1, 2

console = Console()
errors = Console(stderr=True)


def user_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    """Report a user's mistake as one clear line and exit 2, never as a traceback."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except XmarginError as exc:
            errors.print(f"[bold red]error:[/] {exc}", highlight=False)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_version("xmargin"), prog_name="xmargin")
def main() -> None:
    """xmargin: a cross-chain margin protocol testbed on real EVM chains."""


def _chain_set(config: str | None, seed: int) -> Any:
    from chains import DEFAULT_WORLD, ChainSet
    from chains.config import load_chain_configs

    return ChainSet.from_configs(load_chain_configs(config) if config else DEFAULT_WORLD, seed=seed)


@main.command("chains")
@click.option("--config", "config", type=click.Path(dir_okay=False), help="TOML file with [[chains]] tables (default: the built-in world).")
@click.option("--chain", "only", multiple=True, help="Show only this chain (repeatable).")
@click.option("--seed", default=0, show_default=True, help="Seed for accounts and block hashes.")
@user_errors
def chains_command(config: str | None, only: tuple[str, ...], seed: int) -> None:
    """List the configured chains: name, chain id, block time, finality and head block."""
    chain_set = _chain_set(config, seed)
    selected = [chain_set[name] for name in only] if only else list(chain_set)
    table = Table(title="chains")
    for column in ("name", "chain id", "block time", "finality depth", "head block", "accounts"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for chain in selected:
        status = chain.status()
        table.add_row(
            status["name"],
            str(status["chain_id"]),
            f"{status['block_time']} s",
            str(status["finality_depth"]),
            str(status["head"]),
            str(status["accounts"]),
        )
    console.print(table)


@main.command("demo")
@click.option("--seed", default=0, show_default=True, help="Seed for the run.")
@user_errors
def demo_command(seed: int) -> None:
    """Start the default world, deploy a contract on every chain and show their status."""
    from chains import COUNTER_SOURCE, compile_contract, deploy, transact

    chain_set = _chain_set(None, seed)
    artifact = compile_contract(COUNTER_SOURCE)
    table = Table(title="xmargin demo: chains up")
    for column in ("chain", "chain id", "contract", "count", "head block", "head time"):
        table.add_column(column)
    for chain in chain_set:
        counter = deploy(chain, artifact)
        transact(chain, counter.functions.increment())
        table.add_row(
            chain.name,
            str(chain.chain_id),
            counter.address,
            str(counter.functions.count().call()),
            str(chain.head_number),
            str(chain.head_timestamp),
        )
    console.print(table)


if __name__ == "__main__":
    main()
