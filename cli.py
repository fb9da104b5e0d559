"""The ``xmargin`` command: parses arguments and delegates; no logic of its own."""

from __future__ import annotations

import contextlib
import functools
import sys
from importlib.metadata import version as package_version
from typing import Any, Callable, Iterator

import click
from rich.console import Console
from rich.table import Table

from chains.errors import XmarginError

EXIT_OK, EXIT_INVARIANT, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

console = Console()
errors = Console(stderr=True, soft_wrap=True)  # one line per error, whatever the terminal width


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


def _progress_runner(label: str, quiet: bool) -> Any:
    """A rich progress bar: the set-up stage while the world is built, then the clock's (done, total).

    Without a terminal (a log, a pipe) each stage is one line instead, and there is no bar.
    """
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    if quiet:
        return None, None, None
    if not errors.is_terminal:
        return contextlib.nullcontext(), lambda what: errors.print(f"{label}: {what}", highlight=False), None
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[simulated]}"),
        TimeElapsedColumn(), console=errors, transient=True,
    )
    task = progress.add_task(label, total=1.0, simulated="")

    def stage(what: str) -> None:
        progress.update(task, description=f"{label}: {what}")

    def update(done: float, total: float) -> None:
        progress.update(task, completed=done / total, simulated=f"{done / 3600:.2f} of {total / 3600:.2f} simulated h")

    return progress, stage, update


def _run(scenario_name: str, seed: int | None, overrides: tuple[str, ...], out: str | None, as_json: bool,
         force: bool, engine: str | None) -> None:
    from sim.run import run_scenario
    from sim.scenario import load_scenario

    scenario = load_scenario(scenario_name, overrides, seed=seed)
    progress, stage, update = _progress_runner(f"{scenario.name} (seed {scenario.seed})", quiet=as_json)
    with _resumable():
        if progress is not None:
            with progress:
                result = run_scenario(scenario, out, progress=update, force=force, stage=stage, engine=engine)
        else:
            result = run_scenario(scenario, out, force=force, engine=engine)
    _show_result(result, as_json)


@contextlib.contextmanager
def _resumable() -> Iterator[None]:
    """Ctrl-C during a run: say where it is and how to finish it, exit 130."""
    from sim.run import RunInterrupted

    try:
        yield
    except RunInterrupted as stopped:
        errors.print(f"interrupted: what the run did so far is in {stopped.run_dir}; "
                     f"`xmargin resume {stopped.run_dir}` finishes it", highlight=False)
        sys.exit(EXIT_INTERRUPTED)


def _show_result(result: Any, as_json: bool) -> None:
    import json

    from sim.present import summary_table

    if as_json:
        click.echo(json.dumps({"run_dir": str(result.run_dir), **result.summary}, indent=2, sort_keys=True))
    else:
        console.print(summary_table(result.summary))
        console.print(f"run directory: {result.run_dir}")
        console.print(f"trace hash: {result.trace_hash}")
    sys.exit(result.exit_code)


SEED_OPTION = click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed (default: the scenario's).")
SET_OPTION = click.option(
    "--set", "overrides", multiple=True, metavar="KEY=VALUE",
    help="Override a scenario value, e.g. --set bridge.latency.mean=300 (repeatable).",
)
ENGINE_OPTION = click.option(
    "--engine", default=None, metavar="pyevm|revm",
    help="EVM that executes the chains: revm (fast, the default when installed) or pyevm (the reference); "
         "both give the same trace.",
)
OUT_OPTION = click.option("--out", type=click.Path(file_okay=False), default=None,
                          help="Run directory (default: runs/SCENARIO-seedN, plus the overrides; -2, -3... when taken).")
FORCE_OPTION = click.option("--force", is_flag=True, help="Replace the run already in the run directory.")


@main.command("run")
@click.argument("scenario")
@SEED_OPTION
@SET_OPTION
@OUT_OPTION
@FORCE_OPTION
@ENGINE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
@user_errors
def run_command(scenario: str, seed: int | None, overrides: tuple[str, ...], out: str | None, force: bool,
                engine: str | None, as_json: bool) -> None:
    """Run SCENARIO (a built-in name or a TOML file) and write its run directory.

    Exit code 0 when every invariant held, 1 when one was violated, 2 on bad input.
    """
    _run(scenario, seed, overrides, out, as_json, force, engine)


@main.command("demo")
@SEED_OPTION
@SET_OPTION
@OUT_OPTION
@FORCE_OPTION
@ENGINE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
@user_errors
def demo_command(seed: int | None, overrides: tuple[str, ...], out: str | None, force: bool, engine: str | None,
                 as_json: bool) -> None:
    """Run the small built-in `demo` scenario (under a minute) and show what happened."""
    _run("demo", seed, overrides, out, as_json, force, engine)


@main.command("resume")
@click.argument("run_dir", type=click.Path())
@ENGINE_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
@user_errors
def resume_command(run_dir: str, engine: str | None, as_json: bool) -> None:
    """Finish a run that was killed or interrupted, from what it wrote in RUN_DIR.

    Runs the same scenario and seed again from genesis, checks that every trace line the killed run
    wrote comes out the same (a line cut mid-write is dropped), and writes on to the end: the same
    trace and summary as a run never killed. Exit code 0 or 1 as for `run` (1 also when a line comes
    out differently: the run is not deterministic), 2 on bad input.
    """
    from pathlib import Path

    from sim.resume import TraceDiverged, read_run_file, resume_run

    scenario, _ = read_run_file(Path(run_dir))
    progress, stage, update = _progress_runner(f"resume {scenario.name} (seed {scenario.seed})", quiet=as_json)
    try:
        with _resumable():
            if progress is not None:
                with progress:
                    result = resume_run(run_dir, engine=engine, progress=update, stage=stage)
            else:
                result = resume_run(run_dir, engine=engine)
    except TraceDiverged as exc:
        errors.print(f"[bold red]error:[/] {run_dir}: determinism broke: {exc}", highlight=False)
        sys.exit(EXIT_INVARIANT)
    if not as_json:
        if result.finished_before:
            errors.print(f"{run_dir}: the run had already ended ({result.summary['status']}); nothing to resume",
                         highlight=False)
        else:
            errors.print(f"resumed: the {result.summary['resumed_at_line']} trace lines of the killed run came out "
                         "the same, and the run went on to its end", highlight=False)
    _show_result(result, as_json)


@main.command("scenarios")
@user_errors
def scenarios_command() -> None:
    """List the built-in scenarios."""
    from sim.present import scenarios_table

    console.print(scenarios_table())


@main.command("trace")
@click.argument("run_dir", type=click.Path())
@click.option("--message", "message_id", default=None, help="Show the lifecycle of this message (id or a prefix).")
@click.option("--account", default=None, help="Show the story of this account (0x address).")
@click.option("--accounts", "list_accounts", is_flag=True, help="List the run's accounts with their roles.")
@user_errors
def trace_command(run_dir: str, message_id: str | None, account: str | None, list_accounts: bool) -> None:
    """Read a run directory: its summary, one message's lifecycle, one account's story, or its accounts."""
    from sim.inspect import RunDirectory
    from sim.present import account_table, accounts_table, message_table, summary_table

    if sum(map(bool, (message_id, account, list_accounts))) > 1:
        raise click.UsageError("give one of --message, --account and --accounts")
    run = RunDirectory(run_dir)
    if message_id:
        full_id, events = run.message(message_id)
        console.print(message_table(full_id, events))
    elif account:
        console.print(account_table(account, run.account(account), run.world))
    elif list_accounts:
        console.print(accounts_table(run.accounts()))
    else:
        console.print(summary_table(run.summary))
    if run.trace_cut:
        errors.print(f"[bold red]error:[/] {run.trace_cut}", highlight=False)
        sys.exit(EXIT_BAD_INPUT)


@main.command("compare")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path())
@user_errors
def compare_command(run_dirs: tuple[str, ...]) -> None:
    """Show the summaries of several run directories side by side."""
    from sim.inspect import RunDirectory
    from sim.present import comparison_table

    console.print(comparison_table([(path, RunDirectory(path).summary) for path in run_dirs]))


@main.command("check")
@click.argument("scenario")
@click.option("--examples", type=click.IntRange(min=1), default=25, show_default=True,
              help="Random sequences of actions and faults to try.")
@click.option("--steps", type=click.IntRange(min=1), default=30, show_default=True,
              help="The most actions in one sequence.")
@SEED_OPTION
@SET_OPTION
@click.option("--contract", "contracts", multiple=True, metavar="NAME=FILE",
              help="Deploy FILE instead of the protocol's contract NAME, e.g. CollateralVault=MyVault.vy (repeatable).")
@user_errors
def check_command(scenario: str, examples: int, steps: int, seed: int | None, overrides: tuple[str, ...],
                  contracts: tuple[str, ...]) -> None:
    """Search SCENARIO's world for a sequence of actions and faults that breaks an invariant.

    Deposits, trades, price moves, time, withdrawals, liquidations, relayer crashes, partitions,
    duplicate and reorder bursts and reorgs within finality, checked after every step. Prints the
    smallest failing sequence found. Exit code 0 when every invariant held, 1 when one broke, 2 on
    bad input.
    """
    from sim.check import Bounds, contract_variants, run_check
    from sim.scenario import load_scenario
    from sim.world_spec import resolve_world

    loaded = load_scenario(scenario, overrides, seed=seed)
    spec = resolve_world(scenario, overrides, seed)
    variants = contract_variants(contracts)
    label = f"check {loaded.name} (seed {loaded.seed})"
    progress, stage, _ = _progress_runner(label, quiet=False)
    with progress:
        stage("deploying the world (once; every sequence starts from a snapshot of it)")
        report = run_check(spec, examples, steps, Bounds.from_scenario(loaded), search_seed=loaded.seed,
                           variants=variants, on_example=lambda n: stage(f"sequence {n}"))
    if report.holds:
        console.print(f"every invariant held: {report.examples} sequences of up to {steps} steps, "
                      f"{report.checks} checks (world {loaded.name}, seed {loaded.seed})", highlight=False, soft_wrap=True)
        sys.exit(EXIT_OK)
    violation = report.violation
    console.print(f"INVARIANT VIOLATED: {violation.name}: {violation.detail} (at t={violation.t:.0f} s)",
                  highlight=False, soft_wrap=True)
    console.print(f"smallest failing sequence ({report.examples} sequences run, shrinking included):", highlight=False)
    for line in report.sequence:
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    sys.exit(EXIT_INVARIANT)


@main.command("sweep")
@click.argument("scenario")
@click.option("--param", "params", multiple=True, metavar="KEY=V1,V2,...",
              help="A swept scenario value and its values, e.g. --param bridge.latency.mean=20,300,900 (repeatable: a grid).")
@click.option("--seeds", type=int, default=None,
              help="Runs per grid point, seeds from the scenario's seed on (default: the scenario's [sweep] seeds).")
@SET_OPTION
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Local worker processes (default: one per CPU).")
@click.option("--scheduler", metavar="ADDRESS", default=None,
              help='A Dask scheduler to run on instead, e.g. tcp://10.0.0.5:8786 (pip install "xmargin[cluster]").')
@click.option("--out", type=click.Path(file_okay=False), default=None, help="Sweep directory (default: sweeps/SCENARIO).")
@click.option("--resume", is_flag=True, help="Finish the sweep in --out: run only what is missing.")
@click.option("--keep-runs", "keep_runs", is_flag=True,
              help="Ship every run's whole directory back into DIR/runs/RUN_ID (default: only its results).")
@ENGINE_OPTION
@user_errors
def sweep_command(scenario: str, params: tuple[str, ...], seeds: int | None, overrides: tuple[str, ...], workers: int | None,
                  scheduler: str | None, out: str | None, resume: bool, keep_runs: bool, engine: str | None) -> None:
    """Run SCENARIO over a grid of --param values times --seeds seeds, locally or on a Dask cluster.

    Without --param (or --seeds) the scenario's [sweep] table gives them (see `xmargin scenarios`).

    Writes DIR/runs.parquet and runs.csv (a row per run), DIR/grid.csv (a row per grid point: mean and 95%
    interval of each headline metric, VaR95 of bad debt, LaR95 of liquidated volume) and DIR/report.html.
    Exit code 0 when every run ended ok, 1 when a run failed or the sweep was cut short, 2 on bad input.
    """
    from chains.engines import check_engine
    from sim.sweep import SweepRequest
    from sim.sweep.console import run_sweep

    if workers is not None and scheduler is not None:
        raise click.UsageError("give --workers or --scheduler, not both")
    if engine is not None:
        check_engine(engine)
    request = SweepRequest(scenario, params, seeds, overrides, workers, scheduler, out, resume, keep_runs, engine)
    sys.exit(run_sweep(request, console, errors))


@main.command("report")
@click.argument("directory", type=click.Path())
@user_errors
def report_command(directory: str) -> None:
    """Rebuild report.html of a run or a sweep directory (and a sweep's tables); say what is missing if damaged."""
    from sim.report import rebuild_report

    console.print(f"report: {rebuild_report(directory)}")


@main.command("up")
@click.option("--scenario", metavar="FILE_OR_BUILTIN", default=None,
              help="Scenario whose chains, protocol and bridge faults to start (default: the default world).")
@SET_OPTION
@SEED_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8545, show_default=True,
              help="Port of the first chain; the others follow in chain order (0: free ports).")
@click.option("--instant", is_flag=True, help="Mine a block for each transaction (blocks also keep coming on the clock).")
@click.option("--block-time-scale", "block_time_scale", type=float, default=1.0, show_default=True,
              help="Wall-clock seconds per simulated second (0.1: blocks ten times faster).")
@click.option("--addresses-file", "addresses_file", type=click.Path(dir_okay=False), default="xmargin-up.json",
              show_default=True, help="Where to write endpoints, accounts, contract addresses and ABIs as JSON.")
@click.option("--data-dir", "data_dir", type=click.Path(file_okay=False), default=None,
              help="Directory for the relayer's SQLite state and the message log (default: a new temporary one).")
@click.option("--dump-state", "dump_state", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="On shutdown, save the whole world (chains, bridge and relayer state, protocol) to FILE.")
@click.option("--load-state", "load_state", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Start the world saved in FILE by --dump-state instead of a new one (no --scenario/--set/--seed).")
@ENGINE_OPTION
@user_errors
def up_command(
    scenario: str | None, overrides: tuple[str, ...], seed: int | None, host: str, port: int, instant: bool,
    block_time_scale: float, addresses_file: str, data_dir: str | None, dump_state: str | None,
    load_state: str | None, engine: str | None,
) -> None:
    """Serve every chain as a JSON-RPC endpoint, bridge and protocol deployed and relaying live, until Ctrl-C."""
    from pathlib import Path

    from sim.live import UpOptions, run_up

    def path(value: str | None) -> Path | None:
        return Path(value) if value is not None else None

    options = UpOptions(
        scenario=scenario, overrides=overrides, seed=seed, host=host, port=port, instant=instant,
        block_time_scale=block_time_scale, addresses_file=Path(addresses_file), data_dir=path(data_dir),
        engine=engine, dump_state=path(dump_state), load_state=path(load_state),
    )
    sys.exit(run_up(options, console, errors))


if __name__ == "__main__":
    main()
