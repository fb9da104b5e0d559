"""The lifecycle trace does not depend on the process: same seed in two interpreters, same bytes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import hashlib, json, sys, tempfile
import simpy
from chains import ChainConfig, ChainSet
from bridge.apps import deploy_test_apps
from bridge.config import BridgeConfig
from bridge.deploy import deploy_bridge
from relayer.runtime import Bridge

config = BridgeConfig.from_dict({
    "mode": "checkpoint",
    "validators": {"equivocating": [1]},
    "routes": {"*": {"drop": 0.2, "duplicate": 0.3, "corrupt": 0.2, "reorder_window": 2}},
    "relayers": {"count": 2, "ack_timeout": 4, "retry_backoff": 1, "max_backoff": 8},
})
chains = (ChainConfig(name="alpha", chain_id=41_001), ChainConfig(name="beta", chain_id=41_002, block_time=2))
chain_set = ChainSet.from_configs(chains, seed=9)
deployment = deploy_bridge(chain_set, config, seed=9)
apps = deploy_test_apps(chain_set, deployment)
env = simpy.Environment()
bridge = Bridge(env, chain_set, deployment, config, seed=9, data_dir=tempfile.mkdtemp())
bridge.start_block_production()

def load():
    for i in range(8):
        yield env.timeout(0.7)
        apps["alpha"].functions.send(41_002, apps["beta"].address, b"m%d" % i).transact(
            {"from": chain_set["alpha"].accounts[0].address, "gas": 500_000})

env.process(load())
env.run(until=8)
assert bridge.run_until_settled(timeout=300)
trace = "\n".join(json.dumps(e.to_dict()) for e in bridge.lifecycle.events())
print(hashlib.sha256(trace.encode()).hexdigest())
"""


def _trace_hash(hash_seed: str) -> str:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=root, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_trace_is_the_same_under_different_hash_seeds():
    assert _trace_hash("1") == _trace_hash("2")
