"""Starting and stopping endpoints: ports, the chain lock, draining, and Ctrl-C."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest
import requests

from chains.rpc import RpcServerError, chain_lock, serve_chain, serve_chains

CHAIN_ID = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _refuses(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_each_chain_gets_its_own_port_and_answers_with_its_own_id(servers):
    ports = {server.port for server in servers}
    assert len(ports) == 3 and 0 not in ports
    for server, chain_id in zip(servers, (31001, 31002, 31337), strict=True):
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert requests.post(server.url, json=CHAIN_ID, timeout=5).json()["result"] == hex(chain_id)


def test_serve_chains_uses_consecutive_ports_from_the_first(world):
    for _ in range(5):  # another program may hold one of the ports: try a few bases
        first = _free_port()
        try:
            servers = serve_chains(world, first_port=first)
        except RpcServerError:
            continue
        with servers:
            assert [s.port for s in servers] == [first, first + 1, first + 2]
        return
    pytest.fail("no three consecutive free ports found")


def test_a_port_in_use_is_a_clear_error_and_leaves_nothing_running(world):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RpcServerError, match=f"127.0.0.1:{port}"):
            serve_chain(world["perp"], port=port)
    with pytest.raises(RpcServerError, match="from 0 to 65535"):
        serve_chain(world["perp"], port=70_000)


def test_a_failure_part_way_through_serve_chains_stops_the_servers_already_started(world):
    first = _free_port()
    with socket.socket() as taken:
        try:
            taken.bind(("127.0.0.1", first + 1))
        except OSError:
            pytest.skip("the neighbouring port is in use")
        taken.listen()
        with pytest.raises(RpcServerError):
            serve_chains(world, first_port=first)
    assert _refuses(first)


def test_stop_closes_kept_alive_connections_and_frees_the_port(world):
    server = serve_chain(world["perp"])
    session = requests.Session()
    assert session.post(server.url, json=CHAIN_ID, timeout=5).json()["result"] == "0x7a69"

    server.stop()
    server.stop()  # twice is fine

    assert _refuses(server.port)
    with pytest.raises(requests.ConnectionError):
        session.post(server.url, json=CHAIN_ID, timeout=5)
    with serve_chain(world["perp"], port=server.port) as again:  # the port can be served again at once
        assert requests.post(again.url, json=CHAIN_ID, timeout=5).ok


def test_requests_hold_the_chain_lock_and_a_stop_lets_them_finish(world):
    chain = world["perp"]
    server = serve_chain(chain)
    assert server.lock is chain_lock(chain)
    answers = []
    request = threading.Thread(target=lambda: answers.append(requests.post(server.url, json=CHAIN_ID, timeout=10)))

    with chain_lock(chain):  # another thread (a block producer, a relayer) is using the chain
        request.start()
        time.sleep(0.3)
        assert answers == []  # the request waits for the lock
        stopping = threading.Thread(target=server.stop)
        stopping.start()
        time.sleep(0.2)
        assert stopping.is_alive()  # the stop waits for the request in flight
    request.join(10)
    stopping.join(10)

    assert answers[0].json()["result"] == "0x7a69"
    assert not stopping.is_alive() and _refuses(server.port)


def test_a_given_lock_is_the_one_requests_take(world):
    lock = threading.RLock()
    with serve_chain(world["perp"], lock=lock) as server:
        assert server.lock is lock and server.lock is not chain_lock(world["perp"])


SERVE_UNTIL_INTERRUPTED = textwrap.dedent(
    """
    import time
    from chains import ChainSet
    from chains.rpc import serve_chains

    try:
        with serve_chains(ChainSet.from_configs(seed=0)) as servers:
            print(" ".join(str(s.port) for s in servers), flush=True)
            while True:
                time.sleep(0.05)
    except KeyboardInterrupt:
        print("stopped cleanly", flush=True)
    """
)


def test_ctrl_c_stops_every_endpoint_cleanly():
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE_UNTIL_INTERRUPTED], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        ports = [int(p) for p in process.stdout.readline().split()]
        assert len(ports) == 3
        assert requests.post(f"http://127.0.0.1:{ports[2]}", json=CHAIN_ID, timeout=5).json()["result"] == "0x7a69"

        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    finally:
        process.kill()

    assert process.returncode == 0, err
    assert out.strip() == "stopped cleanly" and "Traceback" not in err
    assert all(_refuses(port) for port in ports)
