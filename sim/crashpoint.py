"""Crash points: a run that kills itself with SIGKILL at a chosen place, to test crash and resume.

Set ``XMARGIN_CRASH_AT`` before ``xmargin run`` (or ``xmargin resume``), as FoundationDB
and Jepsen-style tests inject failures:

- ``after-line:N``: right after trace line N is on disk, whole (the next step of whatever
  wrote it, a block's events, a relayer's bookkeeping, never happens);
- ``mid-line:N``: halfway through writing trace line N (a killed run's cut line);
- ``outputs``: after the first of the files written at the end (``messages.jsonl``).

SIGKILL is what an out-of-memory killer or a lost machine does: no handler runs, no
buffer is flushed, no file is closed. Without the variable nothing here runs.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from typing import BinaryIO, NoReturn

from chains.errors import ConfigError

CRASH_ENV = "XMARGIN_CRASH_AT"
KINDS = ("after-line", "mid-line", "outputs")


@dataclass(frozen=True)
class CrashPoint:
    kind: str
    line: int = 0

    @classmethod
    def parse(cls, text: str) -> "CrashPoint":
        kind, _, number = text.strip().partition(":")
        if kind == "outputs" and not number:
            return cls(kind)
        if kind in ("after-line", "mid-line") and number.isdigit() and int(number) >= 1:
            return cls(kind, int(number))
        raise ConfigError(f"{CRASH_ENV}={text!r}: expected after-line:N, mid-line:N (N >= 1) or outputs")

    @classmethod
    def from_env(cls) -> "CrashPoint | None":
        text = os.environ.get(CRASH_ENV, "")
        return cls.parse(text) if text else None

    def before_line(self, number: int, handle: BinaryIO, line: bytes) -> None:
        if self.kind == "mid-line" and number == self.line:
            handle.write(line[: max(1, len(line) // 2)])
            handle.flush()
            die()

    def after_line(self, number: int) -> None:
        if self.kind == "after-line" and number == self.line:
            die()

    def after_first_output(self) -> None:
        if self.kind == "outputs":
            die()


def die() -> NoReturn:
    os.kill(os.getpid(), signal.SIGKILL)
    raise SystemExit(137)  # not reached: SIGKILL cannot be caught
