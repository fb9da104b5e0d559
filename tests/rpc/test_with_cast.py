"""Anvil's methods through an outside client: Foundry's `cast` (npm `@foundry-rs/cast`) against the endpoint.

`.ci/run` installs cast into `.ci/node`; elsewhere it is found at `XMARGIN_CAST`, in `.ci/node`
or on PATH. The npm package's `bin/cast` is a Node wrapper that exits 0 whatever cast did, so
the platform package's binary beside it is used. Without cast these tests skip, except in CI
(`CI=true`), where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALL = "npm install --prefix .ci/node @foundry-rs/cast@1.7.1"
WHALE = "0x000000000000000000000000000000000000bEEF"
TARGET = "0x00000000000000000000000000000000000000Aa"
WORD_7 = "0x" + "00" * 31 + "07"


def _find_cast() -> str | None:
    installed = sorted((ROOT / ".ci/node/node_modules/@foundry-rs").glob("cast-*/bin/cast"))
    candidates = [os.environ.get("XMARGIN_CAST"), *map(str, installed), shutil.which("cast")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


@pytest.fixture(scope="module")
def cast_binary() -> str:
    found = _find_cast()
    if found is None:
        message = f"Foundry's cast is not installed ({INSTALL}, or set XMARGIN_CAST)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def cast(cast_binary, perp_server):
    """``cast(*args)``: cast's stdout, stripped, with ``--rpc-url`` the perp endpoint; a failure raises."""

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess | str:
        done = subprocess.run([cast_binary, *args, "--rpc-url", perp_server.url],
                              capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"})
        if not check:
            return done
        assert done.returncode == 0, f"cast {' '.join(args)}: {done.stderr}"
        return done.stdout.strip()

    return run


def test_cast_sets_balance_nonce_code_and_storage_and_a_revert_undoes_them_once(cast):
    snapshot = cast("rpc", "evm_snapshot").strip('"')
    cast("rpc", "anvil_setBalance", TARGET, "0x2a")
    cast("rpc", "anvil_setNonce", TARGET, "0x5")
    cast("rpc", "hardhat_setCode", TARGET, "0x6000")
    cast("rpc", "anvil_setStorageAt", TARGET, "0x1", WORD_7)
    assert cast("balance", TARGET) == "42"
    assert cast("nonce", TARGET) == "5"
    assert cast("code", TARGET) == "0x6000"
    assert cast("storage", TARGET, "1") == WORD_7

    assert cast("rpc", "evm_revert", snapshot) == "true"
    assert cast("rpc", "evm_revert", snapshot) == "false"  # used up, as in Anvil
    assert cast("balance", TARGET) == "0" and cast("nonce", TARGET) == "0" and cast("code", TARGET) == "0x"


def test_cast_sends_from_an_impersonated_account_until_it_stops(cast, world):
    recipient = world["perp"].accounts[1].address
    cast("rpc", "evm_setAutomine", "true")
    cast("rpc", "anvil_setBalance", WHALE, hex(10**20))
    before = int(cast("balance", recipient))

    cast("rpc", "anvil_impersonateAccount", WHALE)
    receipt = cast("send", "--unlocked", "--from", WHALE, recipient, "--value", "3", "--json")
    assert json.loads(receipt)["status"] == "0x1"
    assert int(cast("balance", recipient)) == before + 3

    cast("rpc", "anvil_stopImpersonatingAccount", WHALE)
    refused = cast("send", "--unlocked", "--from", WHALE, recipient, "--value", "3", check=False)
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert int(cast("balance", recipient)) == before + 3


def test_a_transaction_with_a_future_nonce_sent_by_cast_waits_until_the_gap_fills(cast, world):
    sender = world["perp"].accounts[0]
    key = sender.key.to_0x_hex()
    recipient = world["perp"].accounts[2].address
    cast("rpc", "evm_setAutomine", "true")
    nonce = int(cast("nonce", sender.address))
    before = int(cast("balance", recipient))

    ahead = cast("send", "--private-key", key, "--nonce", str(nonce + 1), "--async", recipient, "--value", "5")
    assert int(cast("balance", recipient)) == before  # waiting in the pool for nonce
    assert int(cast("nonce", sender.address)) == nonce
    cast("send", "--private-key", key, "--nonce", str(nonce), recipient, "--value", "7")

    assert int(cast("nonce", sender.address)) == nonce + 2
    assert int(cast("balance", recipient)) == before + 12
    assert json.loads(cast("receipt", ahead, "--json"))["status"] == "0x1"
