"""`xmargin up --dump-state` / `--load-state`: the file's size, and how long dumping and loading take.

    python benchmarks/up_state.py [--simulated 1800] [--deposits 20] [--scale 0.02]

Starts the default world (as `xmargin up`, in process, clock sped up by 1/scale), makes
``--deposits`` deposits through the vault endpoints while the clock runs until
``--simulated`` seconds of blocks have passed, then stops it with a dump; loads the file
on revm and on py-evm and prints the size, the blocks, the dump time and each load's
time to endpoints answering (deploying, replaying every block, restoring the relayers).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from eth_account import Account
from web3 import Web3

from sim.live import UpOptions, start_up


def deposit(w3: Web3, manifest: dict, index: int, amount: int) -> None:
    signer = Account.from_key(manifest["accounts"][index % len(manifest["accounts"])]["private_key"])
    contracts = manifest["chains"]["vault-l2"]["contracts"]
    token = w3.eth.contract(address=contracts["tokens"]["USDC"], abi=manifest["abis"]["TestToken"])
    vault = w3.eth.contract(address=contracts["vault"], abi=manifest["abis"]["CollateralVault"])
    for call in (token.functions.approve(vault.address, amount), vault.functions.deposit(token.address, amount, signer.address)):
        transaction = call.build_transaction({
            "from": signer.address, "chainId": w3.eth.chain_id, "gas": 500_000, "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9, "nonce": w3.eth.get_transaction_count(signer.address, "pending"),
        })
        w3.eth.wait_for_transaction_receipt(
            w3.eth.send_raw_transaction(Account.sign_transaction(transaction, signer.key).raw_transaction), timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--simulated", type=float, default=1800, help="simulated seconds of blocks before the dump")
    parser.add_argument("--deposits", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.02, help="wall seconds per simulated second")
    options = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="xmargin-up-state-"))
    state = scratch / "state.json"

    def up(name: str, **extra) -> tuple:
        started = time.perf_counter()
        live = start_up(UpOptions(port=0, block_time_scale=options.scale, addresses_file=scratch / f"{name}.json",
                                  data_dir=scratch / name, **extra))
        return live, time.perf_counter() - started

    live, took = up("dumped", dump_state=state, engine="revm")
    print(f"fresh default world up in {took:.2f} s")
    w3 = Web3(Web3.HTTPProvider(live.urls["vault-l2"]))
    for index in range(options.deposits):
        deposit(w3, live.manifest, index, (index + 1) * 1_000 * 10**6)
    while live.clock.now() - live.offchain.start_time < options.simulated:
        time.sleep(0.2)
    live.close()
    dumped = live.dumped
    heads = {chain.name: chain.head_number for chain in live.chains}
    print(f"dumped after {options.simulated:g} simulated s and {options.deposits} deposits: {dumped.size / 1e6:.2f} MB, "
          f"{dumped.blocks} blocks ({', '.join(f'{n} {h}' for n, h in heads.items())}), in {dumped.seconds:.2f} s")
    for engine in ("revm", "pyevm"):
        loaded, took = up(f"loaded-{engine}", load_state=state, engine=engine)
        loaded.close()
        print(f"loaded on {engine}: endpoints answering {took:.2f} s after the start (deploy, replay, relayer files)")


if __name__ == "__main__":
    main()
