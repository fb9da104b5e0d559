"""The event trace of a run: canonical JSON lines and a running hash over them.

Same scenario and seed, same lines, byte for byte, so the same hash. Each line is
flushed as it is written: a crash of the run loses nothing already recorded, except
at most the line being written, which a resumed run drops (:meth:`Trace.resuming`).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, BinaryIO, Callable

from sim.crashpoint import CrashPoint

TraceListener = Callable[[dict[str, Any]], None]


class TraceDiverged(Exception):
    """A resumed run wrote a line other than the one the killed run wrote there: determinism broke."""


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


def whole_lines_length(path: Path) -> tuple[int, int]:
    """(bytes, lines) of ``path`` up to the end of its last whole line (a line cut mid-write is not counted)."""
    size = lines = 0
    with open(path, "rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            size += len(line)
            lines += 1
    return size, lines


class Trace:
    """Append-only event log; ``digest`` is the sha256 of every line recorded so far.

    ``append`` keeps what the file holds and writes after it. ``crash`` is a crash point
    to die at (crash testing, see :mod:`sim.crashpoint`).
    """

    def __init__(self, path: Path | None = None, append: bool = False, crash: CrashPoint | None = None) -> None:
        self._hash = hashlib.sha256()
        self._file: BinaryIO | None = open(path, "ab" if append else "wb") if path is not None else None
        self._listeners: list[TraceListener] = []
        self._expected: BinaryIO | None = None  # the killed run's lines still to check, when resuming
        self._expected_end = 0
        self._crash = crash
        self.path = path
        self.count = 0
        self.verified = 0  # lines found identical to the killed run's

    @classmethod
    def resuming(cls, path: Path, crash: CrashPoint | None = None) -> "Trace":
        """Continue the trace a killed run left at ``path``: a line it cut mid-write is dropped, each
        of its whole lines must be recorded again identically (else :class:`TraceDiverged`), and
        what comes after them is appended."""
        size, _ = whole_lines_length(path) if path.exists() else (0, 0)
        with open(path, "ab") as handle:
            handle.truncate(size)
        trace = cls(path, append=True, crash=crash)
        if size:
            trace._expected, trace._expected_end = open(path, "rb"), size
        return trace

    @property
    def verifying(self) -> bool:
        """Whether lines recorded now are still checked against the killed run's."""
        return self._expected is not None

    def subscribe(self, listener: TraceListener) -> None:
        self._listeners.append(listener)

    def record(self, t: float, kind: str, **fields: Any) -> None:
        event = {"t": round(float(t), 6), "kind": kind, **fields}
        line = canonical_json(event).encode() + b"\n"
        self._hash.update(line)
        self.count += 1
        if self._expected is not None:
            self._check(line)
        elif self._file is not None:
            if self._crash is not None:
                self._crash.before_line(self.count, self._file, line)
            self._file.write(line)
            self._file.flush()
            if self._crash is not None:
                self._crash.after_line(self.count)
        for listener in self._listeners:
            listener(event)

    def _check(self, line: bytes) -> None:
        expected = self._expected.readline()
        if expected != line:
            raise TraceDiverged(
                f"trace line {self.count} differs from the one the killed run wrote: "
                f"expected {_shorten(expected)}, got {_shorten(line)}"
            )
        self.verified += 1
        if self._expected.tell() >= self._expected_end:  # every line of the killed run matched: write from here on
            self._expected.close()
            self._expected = None

    @property
    def digest(self) -> str:
        return self._hash.hexdigest()

    def close(self) -> None:
        for handle in (self._file, self._expected):
            if handle is not None:
                handle.close()
        self._file = self._expected = None


def _shorten(line: bytes, limit: int = 160) -> str:
    text = line.decode("utf-8", "replace").rstrip("\n")
    return text if len(text) <= limit else text[:limit] + "..."


def read_trace(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]
