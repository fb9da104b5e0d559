"""`xmargin up --dump-state` / `--load-state`: a world saved with a deposit in flight comes back and delivers it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from cli import main
from sim.live import UpOptions, start_up

SLOW_BRIDGE = ("bridge.latency.mean=120",)  # lognormal, 120 s of clock: 6 s of wall at the tests' 20x


def _deposit(live, depositor, amount, send_signed):
    token = live.contract("vault-l2", "tokens", "TestToken", "USDC")
    vault = live.contract("vault-l2", "vault", "CollateralVault")
    w3 = live.w3("vault-l2")
    send_signed(w3, depositor, {"to": token.address, "data": token.encode_abi("approve", [vault.address, amount]),
                                "gas": 100_000})
    receipt = send_signed(w3, depositor, {"to": vault.address,
                                          "data": vault.encode_abi("deposit", [token.address, amount, depositor.address])})
    assert receipt["status"] == 1
    return token, vault


def _log(live) -> list[dict]:
    return [json.loads(line) for line in (live.world.data_dir / "messages.jsonl").read_text().splitlines()]


def test_a_world_dumped_with_a_deposit_in_flight_is_loaded_on_the_other_engine_and_delivers_it(
        tmp_path, make_live, send_signed, wait_until):
    state = tmp_path / "world-state.json"
    first = make_live(overrides=SLOW_BRIDGE, dump_state=state, engine="revm")
    depositor = first.account(3)
    amount = 4_321 * 10**6
    engine = first.contract("perp", "engine", "MarginEngine")
    try:
        token, vault = _deposit(first, depositor, amount, send_signed)
        dispatched = wait_until(lambda: [e for e in _log(first) if e["kind"] == "dispatched"
                                         and e["detail"]["src_chain"] == "vault-l2" and not e["replayed"]])
        message_id = dispatched[0]["message_id"]
        wait_until(lambda: any(e["kind"] == "transport" and e["message_id"] == message_id for e in _log(first)))
        assert sum(engine.functions.credited_all(depositor.address).call()) == 0  # a packet on its way, not delivered
        balance = token.functions.balanceOf(depositor.address).call()
        heads = {name: first.w3(name).eth.get_block("latest") for name in first.world.urls}
    finally:
        first.world.close()
    assert first.world.dumped.path == state and state.stat().st_size == first.world.dumped.size
    log_before = (first.world.data_dir / "messages.jsonl").read_text()
    assert not any(e["kind"] == "processed" and e["message_id"] == message_id for e in map(json.loads, log_before.splitlines()))

    second = make_live(load_state=state, engine="pyevm")
    try:
        assert {name: c["contracts"] for name, c in second.manifest["chains"].items()} == \
            {name: c["contracts"] for name, c in first.manifest["chains"].items()}
        for name, head in heads.items():  # the same chains: every block the first world had, hash for hash
            w3 = second.w3(name)
            assert w3.eth.get_block(head["number"])["hash"] == head["hash"]
        token2 = second.contract("vault-l2", "tokens", "TestToken", "USDC")
        vault2 = second.contract("vault-l2", "vault", "CollateralVault")
        assert token2.functions.balanceOf(depositor.address).call() == balance
        assert vault2.functions.locked(depositor.address, token2.address).call() == amount
        assert second.w3("vault-l2").eth.get_transaction_count(depositor.address) == 2

        engine2 = second.contract("perp", "engine", "MarginEngine")
        credited = wait_until(lambda: [c for c in engine2.functions.credited_all(depositor.address).call() if c], timeout=60)
        assert credited == [amount]  # the deposit in flight arrived, once
        processed = wait_until(lambda: [e for e in _log(second) if e["kind"] == "processed" and e["message_id"] == message_id])
        assert len(processed) == 1
        log_after = (second.world.data_dir / "messages.jsonl").read_text()
        assert log_after.startswith(log_before)  # the log goes on
        attempts = [e["detail"]["attempt"] for e in map(json.loads, log_after[len(log_before):].splitlines())
                    if e["kind"] == "transport" and e["message_id"] == message_id]
        assert attempts and min(attempts) >= 2  # the relayer went on from its file: it knew it had sent once
        # the loaded world is live: new transactions are mined after the dumped heads
        receipt = send_signed(second.w3("perp"), depositor, {"to": depositor.address, "value": 1, "gas": 21_000})
        assert receipt["blockNumber"] > heads["perp"]["number"]
    finally:
        second.world.close()


def _up(args: list[str], cwd: Path) -> subprocess.Popen:
    command = [sys.executable, "-c", "import cli; cli.main()", "up", "--port", "0", "--block-time-scale", "0.1", *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)


def _serving(process: subprocess.Popen, addresses: Path) -> dict:
    deadline = time.monotonic() + 60
    while not addresses.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    return json.loads(addresses.read_text())


def _block_number(url: str) -> int:
    answer = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber"}, timeout=10).json()
    return int(answer["result"], 16)


def test_xmargin_up_dumps_on_sigterm_and_loads_the_file_on_start(tmp_path):
    state = tmp_path / "state.json"
    process = _up(["--dump-state", str(state), "--addresses-file", "a.json", "--data-dir", "a"], tmp_path)
    try:
        document = _serving(process, tmp_path / "a.json")
        time.sleep(1.0)
        dumped_head = _block_number(document["chains"]["perp"]["url"])
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert f"world saved to {state}" in out and "--load-state" in out

    loaded = _up(["--load-state", str(state), "--addresses-file", "b.json", "--data-dir", "b"], tmp_path)
    try:
        again = _serving(loaded, tmp_path / "b.json")
        assert _block_number(again["chains"]["perp"]["url"]) >= dumped_head
        assert again["chains"]["perp"]["contracts"] == document["chains"]["perp"]["contracts"]
        loaded.send_signal(signal.SIGTERM)
        out, err = loaded.communicate(timeout=60)
    finally:
        if loaded.poll() is None:
            loaded.kill()
    assert loaded.returncode == 0, err
    assert "loading" in out and "world saved" not in out


@pytest.fixture(scope="module")
def saved_world(tmp_path_factory) -> Path:
    """A small dumped world (the default one, a few blocks) to damage."""
    directory = tmp_path_factory.mktemp("saved")
    options = UpOptions(port=0, block_time_scale=0.05, addresses_file=directory / "up.json", data_dir=directory / "data",
                        dump_state=directory / "state.json")
    with start_up(options):
        time.sleep(0.3)
    return directory / "state.json"


def _tampered_block(path: Path, target: Path) -> Path:
    document = json.loads(path.read_text())
    block = document["chains"]["perp"]["blocks"][-1]
    block[1] += 1  # its timestamp: the replayed block hashes differently
    target.write_text(json.dumps(document))
    return target


@pytest.mark.parametrize("make, message", [
    (lambda saved, d: d / "missing.json", "no such file"),
    (lambda saved, d: (d / "cut.json").write_text(saved.read_text()[:5000]) and d / "cut.json", "cut or not JSON"),
    (lambda saved, d: (d / "a.json").write_text('{"chains": {}}') and d / "a.json", "not an xmargin up state dump"),
    (lambda saved, d: (d / "v.json").write_text(saved.read_text().replace('"relayers": {"relayer-0.sqlite": "',
                                                                          '"relayers": {"relayer-0.sqlite": "AAAA'))
     and d / "v.json", "not an SQLite database"),
    (lambda saved, d: _tampered_block(saved, d / "t.json"), "replaying perp: perp: block"),
], ids=["missing", "cut", "foreign", "damaged-relayer-file", "tampered-block"])
def test_a_bad_state_file_is_one_line_exit_2_and_nothing_starts(tmp_path, saved_world, make, message):
    path = make(saved_world, tmp_path)
    addresses, data = tmp_path / "up.json", tmp_path / "data"
    result = CliRunner().invoke(main, ["up", "--port", "0", "--load-state", str(path), "--addresses-file", str(addresses),
                                       "--data-dir", str(data)])
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and f"--load-state {path}" in errors[0] and message in errors[0], result.stderr
    assert "Traceback" not in result.output
    assert not addresses.exists() and not data.exists()  # nothing served, nothing written


@pytest.mark.parametrize("args, message", [
    (["--scenario", "demo"], "give no --scenario, --set or --seed with it"),
    (["--seed", "3"], "give no --scenario, --set or --seed with it"),
], ids=["scenario", "seed"])
def test_a_loaded_world_takes_no_scenario_options(tmp_path, saved_world, args, message):
    result = CliRunner().invoke(main, ["up", "--port", "0", "--load-state", str(saved_world), *args])
    assert result.exit_code == 2 and message in result.stderr


def test_a_dump_file_that_cannot_be_written_is_refused_before_anything_starts(tmp_path):
    result = CliRunner().invoke(main, ["up", "--port", "0", "--dump-state", str(tmp_path / "no" / "such" / "state.json")])
    assert result.exit_code == 2 and "--dump-state: directory" in result.stderr and "does not exist" in result.stderr
