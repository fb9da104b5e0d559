"""The relayer's SQLite store: cursors and queue persist across reopening, and move together."""

from __future__ import annotations

import pytest

from relayer.store import RelayerStore


def _rows(nonces):
    return [(b"%032d" % n, n, 2, 10 + n, b"message %d" % n, "pending") for n in nonces]


def test_cursor_and_queue_survive_reopening(tmp_path):
    store = RelayerStore(tmp_path / "r.sqlite")
    assert store.cursor(1) == -1
    store.ingest(1, 12, _rows([0, 1, 2]), now=5.0)
    store.update(b"%032d" % 1, status="sent", attempts=1, next_at=9.0)
    store.close()
    reopened = RelayerStore(tmp_path / "r.sqlite")
    assert reopened.cursor(1) == 12
    assert reopened.leaves(1) == [b"%032d" % n for n in range(3)]
    queued = reopened.get(b"%032d" % 1)
    assert (queued.status, queued.attempts, queued.next_at) == ("sent", 1, 9.0)
    assert [q.nonce for q in reopened.due(now=5.0)] == [0, 2]
    assert [q.nonce for q in reopened.due(now=9.0)] == [0, 2, 1]
    reopened.close()


def test_a_failed_intake_moves_neither_cursor_nor_queue(tmp_path):
    store = RelayerStore(tmp_path / "r.sqlite")
    store.ingest(1, 3, _rows([0]), now=0)
    bad = _rows([1]) + [(b"x" * 32, 2, 2, 14, None, "pending")]  # NULL message: the whole intake fails
    with pytest.raises(Exception):
        store.ingest(1, 20, bad, now=1)
    assert store.cursor(1) == 3
    assert store.leaves(1) == [b"%032d" % 0]
    store.close()


def test_reingesting_the_same_messages_is_harmless(tmp_path):
    store = RelayerStore(tmp_path / "r.sqlite")
    store.ingest(1, 3, _rows([0, 1]), now=0)
    store.update(b"%032d" % 0, status="done")
    store.ingest(1, 3, _rows([0, 1]), now=0)
    assert store.status_counts() == {"done": 1, "pending": 1}
    assert store.active_count() == 1
    store.close()


def test_only_known_columns_can_be_updated(tmp_path):
    store = RelayerStore(tmp_path / "r.sqlite")
    with pytest.raises(ValueError, match="cannot update encoded"):
        store.update(b"x", encoded=b"y")
    store.close()
