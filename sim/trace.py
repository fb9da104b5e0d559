"""The event trace of a run: canonical JSON lines and a running hash over them.

Same scenario and seed, same lines, byte for byte, so the same hash. Each line is
flushed as it is written: a crash of the run loses nothing already recorded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Callable, TextIO

TraceListener = Callable[[dict[str, Any]], None]


def canonical_json(event: dict[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, separators=(",", ":"), default=_jsonable)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if hasattr(value, "hex") and callable(value.hex):
        text = value.hex()
        return text if text.startswith("0x") else "0x" + text
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"trace events must be JSON values, got {type(value).__name__}")


class Trace:
    """Append-only event log; ``digest`` is the sha256 of every line written so far."""

    def __init__(self, path: Path | None = None) -> None:
        self._hash = hashlib.sha256()
        self._file: TextIO | None = open(path, "w", encoding="utf-8") if path is not None else None
        self._listeners: list[TraceListener] = []
        self.count = 0

    def subscribe(self, listener: TraceListener) -> None:
        self._listeners.append(listener)

    def record(self, t: float, kind: str, **fields: Any) -> None:
        event = {"t": round(float(t), 6), "kind": kind, **fields}
        line = canonical_json(event)
        self._hash.update(line.encode() + b"\n")
        self.count += 1
        if self._file is not None:
            self._file.write(line + "\n")
            self._file.flush()
        for listener in self._listeners:
            listener(event)

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_trace(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
