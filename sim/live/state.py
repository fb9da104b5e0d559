"""A live world saved on shutdown (``xmargin up --dump-state FILE``) and brought back (``--load-state FILE``).

The file is one JSON document (format ``xmargin-up-state/1``) holding what cannot be
rebuilt: the world's scenario as validated (overrides and seed applied) with every
chain's genesis timestamp; each chain's history (:mod:`chains.history`: every block's
transactions, the direct state changes of ``anvil_set*``, the pool); the relayers'
SQLite files, as SQLite serializes them; and the message log. Loading resolves the
same world with the same genesis timestamps and deploys it (deterministic: its
deployment blocks must be the file's first blocks, hash for hash), replays the rest of
each chain's history on whichever engine runs now (every block's hash checked), puts
the relayer files and the message log in the data directory and goes live as usual:
the bridge reads the chains, the relayers go on from their files. Packets that were
crossing between chains are not kept, as a network keeps none: a relayer resends what
got no answer within its ``ack_timeout``. Blocks go on from the dumped heads, stamped
with the wall-clock time again, as Anvil's do after ``--load-state``.

Everything in the file is checked before anything is built; a missing, damaged or
foreign file is a ConfigError naming it.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import time
from dataclasses import dataclass, replace
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, Mapping

from chains import ChainSet
from chains.errors import ConfigError, XmarginError
from chains.history import ChainHistory, record, replay
from sim.live.manifest import write_json_file
from sim.scenario_record import scenario_document, scenario_from_document
from sim.world_spec import WorldSpec, world_of

FORMAT = "xmargin-up-state/1"
RELAYER_FILE_PREFIX = "relayer-"
SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class SavedWorld:
    spec: WorldSpec  # with every chain's genesis timestamp as it was
    histories: dict[str, ChainHistory]
    relayer_files: dict[str, bytes]  # file name -> SQLite database image
    message_log: str
    engine: str  # what it ran on (a load may use another)


@dataclass(frozen=True)
class DumpReport:
    path: Path
    size: int  # bytes
    seconds: float
    blocks: int  # over every chain


def dump_state(spec: WorldSpec, chains: ChainSet, relayer_dir: Path, message_log: Path, engine: str,
               path: Path) -> DumpReport:
    """Write the world to ``path`` (whole or not at all); call it with the clock stopped and the relayers closed."""
    started = time.perf_counter()
    if spec.scenario is None:
        raise ConfigError("--dump-state: this world was not resolved from a scenario, so it cannot be saved")
    histories = {chain.name: record(chain) for chain in chains}
    document = {
        "format": FORMAT,
        "xmargin": package_version("xmargin"),
        "engine": engine,
        "scenario": scenario_document(spec.scenario),
        "genesis_timestamps": {chain.name: chain.config.genesis_timestamp for chain in chains},
        "chains": {name: history.to_json() for name, history in histories.items()},
        "relayers": {p.name: base64.b64encode(_serialized(p)).decode() for p in sorted(relayer_dir.glob(f"{RELAYER_FILE_PREFIX}*.sqlite"))},
        "messages": message_log.read_text(encoding="utf-8") if message_log.is_file() else "",
    }
    write_json_file(document, path, indent=None)
    blocks = sum(len(history.blocks) for history in histories.values())
    return DumpReport(path, path.stat().st_size, time.perf_counter() - started, blocks)


def _serialized(path: Path) -> bytes:
    database = sqlite3.connect(path)
    try:
        return database.serialize()
    finally:
        database.close()


def read_state(path: Path) -> SavedWorld:
    """The saved world in ``path``; ConfigError (``--load-state FILE: ...``) for anything missing or wrong."""
    where = f"--load-state {path}"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read it ({exc})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{where}: cut or not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        found = document.get("format") if isinstance(document, dict) else None
        raise ConfigError(f"{where}: not an xmargin up state dump (format {found!r}, expected {FORMAT!r})")
    try:
        spec = world_of(scenario_from_document(document["scenario"], where))
        genesis = _mapping(document["genesis_timestamps"], "genesis_timestamps")
        chains = _mapping(document["chains"], "chains")
        relayers = _mapping(document["relayers"], "relayers")
        engine, messages = document["engine"], document["messages"]
        if not isinstance(engine, str) or not isinstance(messages, str):
            raise TypeError("engine and messages must be strings")
        names = [chain.name for chain in spec.chains]
        if sorted(genesis) != sorted(names) or sorted(chains) != sorted(names):
            raise ValueError(f"its chains ({', '.join(sorted(chains))}) are not its world's ({', '.join(names)})")
        spec = replace(spec, chains=tuple(replace(c, genesis_timestamp=int(genesis[c.name])) for c in spec.chains))
        histories = {name: ChainHistory.from_json(chains[name]) for name in names}
        files = {_relayer_file_name(name): _database_image(data, name) for name, data in relayers.items()}
    except XmarginError as exc:
        message = str(exc)
        raise ConfigError(message if message.startswith(where) else f"{where}: {message}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: damaged ({type(exc).__name__}: {exc})") from None
    return SavedWorld(spec, histories, files, messages, engine)


def _mapping(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{key} must be an object")
    return value


def _relayer_file_name(name: str) -> str:
    if not (name.startswith(RELAYER_FILE_PREFIX) and name.endswith(".sqlite") and "/" not in name and "\\" not in name):
        raise ValueError(f"{name!r} is not a relayer file name")
    return name


def _database_image(data: Any, name: str) -> bytes:
    image = base64.b64decode(data, validate=True)
    if not image.startswith(SQLITE_MAGIC):
        raise ValueError(f"relayer file {name} is not an SQLite database")
    return image


def restore_chains(chains: ChainSet, saved: SavedWorld, where: str) -> None:
    """Bring freshly deployed ``chains`` to the saved heads: the deployment must match the saved blocks, then the
    rest of each history is replayed. ConfigError (naming ``where``) at the first block that differs."""
    for chain in chains:
        history = saved.histories[chain.name]
        deployed = chain.head_number
        recorded = {block.number: block for block in history.blocks}
        if len(history.blocks) < deployed:
            raise ConfigError(f"{where}: {chain.name} has {len(history.blocks)} blocks, fewer than its deployment's {deployed}")
        for number in range(1, deployed + 1):
            if recorded.get(number) is None or recorded[number].hash != bytes(chain.block(number).header.hash):
                raise ConfigError(f"{where}: {chain.name}'s block {number} of the deployment differs from the saved one "
                                  "(saved by another xmargin version, or the file was changed)")
        if any(write.after_block < deployed for write in history.writes):
            raise ConfigError(f"{where}: {chain.name} has state changes inside its deployment; the file was changed")
        rest = replace(history, blocks=tuple(b for b in history.blocks if b.number > deployed))
        try:
            replay(chain, rest)
        except XmarginError as exc:
            raise ConfigError(f"{where}: replaying {chain.name}: {exc}") from None  # exc names the block


def restore_files(saved: SavedWorld, data_dir: Path, message_log: Path) -> None:
    """The relayers' SQLite files and the message log, in a data directory that holds no relayer state."""
    for name, image in saved.relayer_files.items():
        target = data_dir / name
        temporary = target.with_name(f".{name}.loading")
        temporary.write_bytes(image)
        temporary.replace(target)
    message_log.write_text(saved.message_log, encoding="utf-8")
