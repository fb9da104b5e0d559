"""What ``xmargin up`` prints as messages travel: one line per event worth seeing (the banner: test_endpoints)."""

from __future__ import annotations

import io

from rich.console import Console

from bridge import LifecycleEvent
from sim.live.console import EventPrinter


def _event(seq: int, time: float, kind: str, **detail) -> LifecycleEvent:
    return LifecycleEvent(seq, time, "0x" + "ab" * 32, kind, chain="perp", block=7, actor="relayer-0", detail=detail)


def test_message_events_are_printed_once_each_and_replayed_history_is_not():
    out = io.StringIO()
    printer = EventPrinter(Console(file=out, width=200, color_system=None))

    printer(0, _event(0, 10.0, "dispatched", src_chain="vault-l2", dst_chain="perp"), False)
    printer(0, _event(1, 11.0, "attested", validator="0x1"), False)
    printer(0, _event(2, 16.5, "processed", src_chain="vault-l2"), False)
    printer(1, _event(0, 16.5, "processed", src_chain="vault-l2"), True)
    printer(0, _event(3, 20.0, "rejected", reason="bad proof"), False)

    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    assert "dispatched vault-l2 -> perp (block 7)" in lines[0]
    assert "processed on perp (block 7) after 6.5 s" in lines[1]
    assert "rejected on perp: bad proof" in lines[2]
