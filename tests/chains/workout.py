"""One set of transactions that exercises what engines could disagree on, for the engine and history tests."""

from __future__ import annotations

from pathlib import Path

from eth_utils import to_canonical_address

from chains import Chain, ChainConfig, compile_contract
from chains.abi import ContractAbi
from chains.engines import ENGINES
from chains.transactions import deploy

CONTRACTS = Path(__file__).parent / "contracts"
CONFIG = ChainConfig(name="duel", chain_id=4_711, block_time=2, accounts=3)


def pair() -> tuple[Chain, Chain]:
    """The same chain on each engine."""
    return tuple(Chain(CONFIG, seed=5, engine=engine) for engine in ENGINES)  # type: ignore[return-value]


def workout(chain: Chain) -> None:
    """The same transactions on ``chain``: deploys, calls that change, clear and log storage, reverts, out of gas."""
    artifact = compile_contract(CONTRACTS / "EngineWorkout.vy")
    workout = deploy(chain, artifact)
    abi, address = ContractAbi(artifact.abi), to_canonical_address(workout.address)
    alice, bob, carol = (a.address for a in chain.accounts)
    for round_number in range(4):
        chain.send(alice, address, abi.encode("work", round_number + 1, b"note %d" % round_number), 200_000)
        chain.send(bob, address, abi.encode("work", 7, b""), 200_000)
        chain.send(bob, address, abi.encode("forward", carol), 100_000, value=10**15)
        chain.send(carol, address, abi.encode("fail", round_number % 2), 100_000)  # every other one reverts
        chain.mine()
    chain.send(alice, address, abi.encode("spawn"), 3_000_000)
    chain.send(bob, address, abi.encode("burn", 10_000), 150_000)  # runs out of gas
    chain.send(carol, bob, b"\x00\x01calldata for an account without code", 50_000, value=1)
    chain.mine()
    chain.mine()
