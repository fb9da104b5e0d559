"""Reading a run directory back: its summary, one message's lifecycle, one account's story."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chains.errors import ConfigError
from sim.trace import read_trace

ACCOUNT_FIELDS = ("account", "liquidator", "recipient", "depositor")


class RunDirectory:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise ConfigError(f"{self.path}: no such run directory")
        if not (self.path / "trace.jsonl").is_file():
            raise ConfigError(f"{self.path}: not a run directory (no trace.jsonl); make one with `xmargin run`")
        self._trace: list[dict[str, Any]] | None = None

    @property
    def summary(self) -> dict[str, Any]:
        path = self.path / "summary.json"
        if not path.is_file():
            raise ConfigError(f"{self.path}: the run wrote no summary.json (it is still running, or was killed)")
        return json.loads(path.read_text(encoding="utf-8"))

    @property
    def trace(self) -> list[dict[str, Any]]:
        if self._trace is None:
            self._trace = read_trace(self.path / "trace.jsonl")
        return self._trace

    def message(self, message_id: str) -> tuple[str, list[dict[str, Any]]]:
        """Every lifecycle event of the message whose id is (or starts with) ``message_id``."""
        wanted = message_id.lower()
        if not wanted.startswith("0x"):
            wanted = "0x" + wanted
        ids = sorted({e["message_id"] for e in self.trace if e["kind"] == "message" and e["message_id"].startswith(wanted)})
        if not ids:
            raise ConfigError(f"no message {message_id} in {self.path}")
        if len(ids) > 1:
            raise ConfigError(f"{message_id} matches {len(ids)} messages; give more of the id: {', '.join(i[:14] for i in ids[:5])}...")
        return ids[0], [e for e in self.trace if e["kind"] == "message" and e["message_id"] == ids[0]]

    def account(self, address: str) -> list[dict[str, Any]]:
        """What happened to an account: its agent's actions and every protocol event naming it."""
        wanted = address.lower()
        if not (wanted.startswith("0x") and len(wanted) == 42):
            raise ConfigError(f"--account {address}: expected a 0x-prefixed 20-byte address")
        actors = {
            e["actor"] for e in self.trace
            if e["kind"] == "agent" and str(e.get("account", "")).lower() == wanted
        }
        story = [
            e for e in self.trace
            if (e["kind"] == "agent" and e.get("actor") in actors)
            or (e["kind"] == "event" and any(str(e.get(f, "")).lower() == wanted for f in ACCOUNT_FIELDS))
        ]
        if not story:
            raise ConfigError(f"account {address} does not appear in {self.path}")
        return story
