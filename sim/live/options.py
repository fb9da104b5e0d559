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

    def check(self, chain_count: int) -> None:
        """Raise ConfigError for any option that cannot work; touches nothing."""
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
        self._check_addresses_file()
        self._check_data_dir()
        if self.port:
            for offset in range(chain_count):
                _check_port_free(self.host, self.port + offset)

    def _check_addresses_file(self) -> None:
        target = Path(self.addresses_file)
        if target.is_dir():
            raise ConfigError(f"--addresses-file: {target} is a directory")
        parent = target.parent if str(target.parent) else Path(".")
        if not parent.is_dir():
            raise ConfigError(f"--addresses-file: directory {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise ConfigError(f"--addresses-file: cannot write in {parent}")

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
                    "the chains start afresh every time, so give an empty or new directory"
                )
            if not os.access(directory, os.W_OK):
                raise ConfigError(f"--data-dir: cannot write in {directory}")


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigError(f"--port: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
