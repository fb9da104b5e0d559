"""Same seed, same lifecycle: event for event, whatever the faults."""

from __future__ import annotations

import json

FAULTS = {
    "mode": "checkpoint",
    "validators": {"equivocating": [2], "offline": [{"validator": 0, "start": 3, "end": 9}]},
    "routes": {
        "*": {"drop": 0.2, "duplicate": 0.3, "corrupt": 0.2, "reorder_window": 3,
              "latency": {"kind": "lognormal", "mean": 1.5, "sigma": 0.7}},
        "alpha->beta": {"partitions": [[4, 12]], "spikes": [{"start": 14, "end": 16, "extra": 5}]},
    },
    "relayers": {"count": 2, "ack_timeout": 4, "retry_backoff": 1, "max_backoff": 8,
                 "outages": [{"relayer": 1, "start": 6, "end": 15}]},
}


def _trace(make_run, seed: int, tmp_path, tag: str) -> str:
    run = make_run(FAULTS, seed=seed, data_dir=tmp_path / tag)
    run.send_at([1 + 0.7 * i for i in range(10)], "alpha", "beta")
    run.send_at([2 + 0.9 * i for i in range(6)], "beta", "alpha", b"back")
    assert run.settle(timeout=600)
    run.run(until=run.env.now + 10)
    return "\n".join(json.dumps(e.to_dict()) for e in run.lifecycle.events())


def test_the_same_seed_replays_the_same_lifecycle(make_run, tmp_path):
    first = _trace(make_run, 5, tmp_path, "first")
    second = _trace(make_run, 5, tmp_path, "second")
    assert first == second
    assert '"fate": "dropped"' in first and '"fate": "partitioned"' in first


def test_another_seed_gives_another_lifecycle(make_run, tmp_path):
    assert _trace(make_run, 5, tmp_path, "a") != _trace(make_run, 6, tmp_path, "b")
