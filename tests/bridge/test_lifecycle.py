"""The lifecycle: events fold into records, reach listeners in order, and are counted by fate."""

from __future__ import annotations

import pytest

from bridge.lifecycle import Lifecycle, UnknownMessage

MID = "0x" + "ab" * 32


def test_events_fold_into_the_message_record():
    lifecycle = Lifecycle()
    lifecycle.emit(1.0, MID, "dispatched", chain="vault-l1", block=4, src_chain="vault-l1", dst_chain="perp", nonce=0)
    lifecycle.emit(3.0, MID, "attested", actor="validator-0", validator="0xA", k=1, n=3)
    lifecycle.emit(3.0, MID, "attested", actor="validator-1", validator="0xB", k=2, n=3)
    lifecycle.emit(3.0, MID, "quorum", k=2, n=3)
    lifecycle.emit(3.5, MID, "transport", actor="relayer-0", fate="sent")
    lifecycle.emit(4.5, MID, "transport", actor="relayer-0", fate="delivered")
    lifecycle.emit(4.5, MID, "rejected", chain="perp", actor="relayer-0", reason="invalid signature")
    lifecycle.emit(6.0, MID, "submitted", chain="perp", actor="relayer-0", tx="00")
    lifecycle.emit(7.0, MID, "processed", chain="perp", block=9, never_dispatched=False)
    record = lifecycle.record(bytes.fromhex("ab" * 32))
    assert record.status == "processed"
    assert (record.src_chain, record.dst_chain, record.nonce) == ("vault-l1", "perp", 0)
    assert record.dispatched.time == 1.0 and record.dispatched.block == 4
    assert record.signers == ["0xA", "0xB"] and record.attested == 2
    assert record.quorum.time == 3.0
    assert record.transport == [(3.5, "sent"), (4.5, "delivered")]
    assert record.rejections == [(4.5, "invalid signature", "relayer-0")]
    assert record.processed.block == 9 and record.latency == 6.0
    assert not record.never_dispatched
    assert [e.kind for e in lifecycle.events(MID)][0] == "dispatched"


def test_listeners_see_every_event_as_it_happens():
    lifecycle = Lifecycle()
    seen = []
    lifecycle.subscribe(seen.append)
    lifecycle.emit(0, MID, "dispatched")
    lifecycle.emit(1, MID, "transport", fate="dropped")
    assert [(e.seq, e.kind) for e in seen] == [(0, "dispatched"), (1, "transport")]
    assert seen[1].to_dict()["detail"] == {"fate": "dropped"}


def test_counts_by_kind_and_fate():
    lifecycle = Lifecycle()
    lifecycle.emit(0, MID, "transport", fate="dropped")
    lifecycle.emit(0, MID, "transport", fate="dropped")
    lifecycle.emit(0, MID, "transport", fate="duplicated")
    lifecycle.emit(0, MID, "processed", never_dispatched=True)
    counts = lifecycle.counts()
    assert counts["transport"] == 3 and counts["transport.dropped"] == 2 and counts["transport.duplicated"] == 1
    assert counts["processed.never_dispatched"] == 1


def test_a_processed_message_never_dispatched_is_flagged():
    lifecycle = Lifecycle()
    lifecycle.emit(0, MID, "forged", src_chain="vault-l1", dst_chain="perp")
    lifecycle.emit(2, MID, "processed", chain="perp", never_dispatched=True)
    record = lifecycle.record(MID)
    assert record.never_dispatched and record.forged


def test_a_reorged_dispatch_or_delivery_is_undone():
    lifecycle = Lifecycle()
    lifecycle.emit(0, MID, "dispatched", chain="perp", block=3)
    lifecycle.emit(5, MID, "processed", chain="vault-l2", block=7)
    lifecycle.emit(6, MID, "reorged", chain="vault-l2", block=7, what="process")
    assert lifecycle.record(MID).status == "in_flight"
    lifecycle.emit(7, MID, "reorged", chain="perp", block=3, what="dispatch")
    assert lifecycle.record(MID).status == "reorged"


def test_unknown_ids_and_kinds_are_errors():
    lifecycle = Lifecycle()
    with pytest.raises(UnknownMessage, match="no message 0x"):
        lifecycle.record(MID)
    with pytest.raises(ValueError, match="unknown lifecycle event kind"):
        lifecycle.emit(0, MID, "teleported")
