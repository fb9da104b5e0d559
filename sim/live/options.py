"""The options of ``xmargin up``, checked before anything is built or written."""

from __future__ import annotations

import math
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from chains.engines import check_engine, default_engine
from chains.errors import ConfigError

DEFAULT_PORT = 8545
DEFAULT_ADDRESSES_FILE = "xmargin-up.json"
MIN_SCALE, MAX_SCALE = 0.001, 1000.0
RELAYER_FILES = "relayer-*.sqlite"


@dataclass(frozen=True)
class UpOptions:
    """What ``xmargin up`` starts and where it serves it.

    Chains are served on ``port``, ``port + 1``, ... in the world's chain order
    (``port`` 0: free ports chosen by the system). ``block_time_scale`` stretches the
    clock: 1 is real time, 0.1 makes every block time ten times shorter in wall-clock
    time (block timestamps still advance by the configured block time).
    """

    scenario: str | None = None
    overrides: tuple[str, ...] = ()
    seed: int | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    instant: bool = False
    block_time_scale: float = 1.0
    addresses_file: Path = Path(DEFAULT_ADDRESSES_FILE)
    data_dir: Path | None = None
    engine: str | None = None  # None: the fastest installed
    dump_state: Path | None = None  # where to save the world on shutdown
    load_state: Path | None = None  # a saved world to start from instead of a fresh one

    def check_sources(self) -> None:
        """A loaded world comes whole from its file: no scenario, overrides or seed may be given with it."""
        if self.load_state is not None and (self.scenario is not None or self.overrides or self.seed is not None):
            raise ConfigError("--load-state: the world, its overrides and its seed come from the file; "
                              "give no --scenario, --set or --seed with it")

    def check(self, chain_count: int) -> None:
        """Raise ConfigError for any option that cannot work; touches nothing."""
        self.check_sources()
        check_engine(self.engine or default_engine())
        scale = self.block_time_scale
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not math.isfinite(scale):
            raise ConfigError(f"--block-time-scale: must be a number, got {scale!r}")
        if not MIN_SCALE <= scale <= MAX_SCALE:
            raise ConfigError(f"--block-time-scale: must be between {MIN_SCALE:g} and {MAX_SCALE:g}, got {scale:g}")
        if isinstance(self.port, bool) or not isinstance(self.port, int) or not 0 <= self.port <= 65535:
            raise ConfigError(f"--port: must be a port number from 0 to 65535, got {self.port!r}")
        if self.port and self.port + chain_count - 1 > 65535:
            raise ConfigError(f"--port: {chain_count} chains need ports {self.port}..{self.port + chain_count - 1}")
        self._check_files()
        self._check_data_dir()
        if self.port:
            for offset in range(chain_count):
                _check_port_free(self.host, self.port + offset)

    def _check_files(self) -> None:
        _check_writable_file(Path(self.addresses_file), "--addresses-file")
        if self.dump_state is not None:
            _check_writable_file(Path(self.dump_state), "--dump-state")

    def _check_data_dir(self) -> None:
        if self.data_dir is None:
            return
        directory = Path(self.data_dir)
        if directory.exists() and not directory.is_dir():
            raise ConfigError(f"--data-dir: {directory} is not a directory")
        if directory.is_dir():
            stale = sorted(p.name for p in directory.glob(RELAYER_FILES))
            if stale:
                raise ConfigError(
                    f"--data-dir: {directory} already holds relayer state ({', '.join(stale)}) from another run; "
                    "the chains start afresh every time, so give an empty or new directory (to carry a world over, "
                    "use --dump-state and --load-state)"
                )
            if not os.access(directory, os.W_OK):
                raise ConfigError(f"--data-dir: cannot write in {directory}")


def _check_writable_file(target: Path, flag: str) -> None:
    if target.is_dir():
        raise ConfigError(f"{flag}: {target} is a directory")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise ConfigError(f"{flag}: directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise ConfigError(f"{flag}: cannot write in {parent}")


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"--port: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
