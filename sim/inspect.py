"""Reading a run directory back: its summary, one message's lifecycle, one account's story, its accounts.

A run killed mid-write leaves files cut short; every reader says so in one line
(a ConfigError) instead of failing. A trace cut mid-line is read up to its last
whole line, and :attr:`RunDirectory.trace_cut` says where it stops.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from chains.errors import ConfigError
from sim.world_file import WorldFile

ACCOUNT_FIELDS = ("account", "liquidator", "recipient", "depositor")
NAMING_FIELDS = (*ACCOUNT_FIELDS, "reporter", "funder", "sender", "validator")  # where a trace event names someone
SUMMARY_KEYS = ("scenario", "seed", "status", "invariant_violation", "bad_debt_usd", "insurance_drawn_usd",
                "uncovered_bad_debt_usd", "liquidations", "top_ups", "traders", "messages", "chains",
                "simulated_seconds", "wall_seconds", "simulated_per_wall_second", "trace_hash")


class RunDirectory:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise ConfigError(f"{self.path}: no such run directory")
        if not (self.path / "trace.jsonl").is_file():
            raise ConfigError(f"{self.path}: not a run directory (no trace.jsonl); make one with `xmargin run`")
        self._trace: list[dict[str, Any]] | None = None
        self._world: WorldFile | None = None
        self.trace_cut: str | None = None  # set when the trace ends in a cut line

    @property
    def summary(self) -> dict[str, Any]:
        path = self.path / "summary.json"
        if not path.is_file():
            raise ConfigError(f"{self.path}: the run wrote no summary.json (it is still running, or was killed: "
                              f"`xmargin resume {self.path}` finishes it)")
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: cut or not JSON ({exc.msg} at line {exc.lineno}); was the run killed while writing it?") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        if not isinstance(summary, dict):
            raise ConfigError(f"{path}: not a run summary (a JSON {type(summary).__name__}, expected an object)")
        missing = [key for key in SUMMARY_KEYS if key not in summary]
        if missing:
            raise ConfigError(f"{path}: not a run summary (no {', '.join(missing)})")
        return summary

    @property
    def world(self) -> WorldFile:
        if self._world is None:
            self._world = WorldFile.read(self.path)
        return self._world

    @property
    def trace(self) -> list[dict[str, Any]]:
        if self._trace is None:
            self._trace = self._read_trace()
        return self._trace

    def _read_trace(self) -> list[dict[str, Any]]:
        path = self.path / "trace.jsonl"
        try:
            lines = path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: cannot read: {exc}") from None
        events = []
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                event = json.loads(line)
            except json.JSONDecodeError:
                if number == len(lines):  # the last line, without its newline: cut by a killed run
                    self.trace_cut = (f"{path} is cut at line {number} (a killed run leaves one; `xmargin resume` "
                                      f"finishes the run): showing the {len(events)} events written whole")
                    break
                raise ConfigError(f"{path}: line {number} is not JSON; the trace is damaged") from None
            if not isinstance(event, dict) or "kind" not in event or "t" not in event:
                raise ConfigError(f"{path}: line {number} is not a trace event")
            events.append(event)
        return events

    def message(self, message_id: str) -> tuple[str, list[dict[str, Any]]]:
        """Every lifecycle event of the message whose id is (or starts with) ``message_id``."""
        wanted = message_id.lower()
        if not wanted.startswith("0x"):
            wanted = "0x" + wanted
        messages = [e for e in self.trace if e["kind"] == "message"]
        ids = sorted({e["message_id"] for e in messages if str(e.get("message_id", "")).startswith(wanted)})
        if not ids:
            raise ConfigError(f"no message {message_id} in {self.path}")
        if len(ids) > 1:
            raise ConfigError(f"{message_id} matches {len(ids)} messages; give more of the id: {', '.join(i[:14] for i in ids[:5])}...")
        return ids[0], [e for e in messages if e["message_id"] == ids[0]]

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

    def accounts(self) -> list[dict[str, Any]]:
        """The run's accounts with their role (from ``world.json``) and how many trace events name each."""
        counts: Counter[str] = Counter()
        names = {entry["name"]: entry["address"].lower() for entry in self.world.accounts}
        for event in self.trace:
            fields = {**event, **(event.get("detail") or {})}
            named = {str(fields.get(f, "")).lower() for f in NAMING_FIELDS}
            if event.get("actor") in names:
                named.add(names[event["actor"]])
            for address in named:
                counts[address] += 1
        return [{**entry, "events": counts[entry["address"].lower()]} for entry in self.world.accounts]
