"""``xmargin up`` as a process: it announces its endpoints in the addresses file and stops cleanly on a signal."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

STARTUP_SECONDS = 60


def _start(tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    addresses, data = tmp_path / "up.json", tmp_path / "data"
    command = [
        sys.executable, "-c", "import cli; cli.main()", "up", "--port", "0", "--block-time-scale", "0.1",
        "--addresses-file", str(addresses), "--data-dir", str(data),
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    return process, addresses, data


def _wait_for_endpoints(process: subprocess.Popen, addresses: Path) -> dict:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not addresses.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "xmargin up did not write its addresses file"
        time.sleep(0.05)
    document = json.loads(addresses.read_text())
    for chain in document["chains"].values():
        answer = requests.post(chain["url"], json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=10).json()
        assert int(answer["result"], 16) == chain["chain_id"]
    return document


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_up_serves_until_a_signal_then_shuts_down_cleanly(tmp_path, stop_signal):
    process, addresses, data = _start(tmp_path)
    try:
        document = _wait_for_endpoints(process, addresses)
        perp = document["chains"]["perp"]["url"]
        wait = time.monotonic() + 20
        while not any(line.get("kind") == "processed" for line in map(json.loads, (data / "messages.jsonl").open())):
            assert time.monotonic() < wait, "the deployment's messages were not relayed"
            time.sleep(0.1)

        process.send_signal(stop_signal)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert process.returncode == 0, err
    assert "stopped cleanly" in out
    assert "Traceback" not in err
    with pytest.raises(requests.ConnectionError):
        requests.post(perp, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, timeout=5)
    relayer_file = data / "relayer-0.sqlite"
    assert not Path(f"{relayer_file}-wal").exists()  # closed: the write-ahead log was checkpointed away
    with sqlite3.connect(relayer_file) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        statuses = [row[0] for row in db.execute("SELECT status FROM messages")]
    assert statuses and set(statuses) <= {"pending", "sent", "submitted", "done"}
    lines = (data / "messages.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["kind"] for line in lines)  # every line whole
    assert json.loads(addresses.read_text()) == document
