"""Vyper compilation, offline, with artifacts cached by source hash and compiler version."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from importlib.metadata import version

from chains.errors import CompileError

CACHE_ENV = "XMARGIN_CACHE_DIR"
VYPER_VERSION = version("vyper")  # read from the installed package: importing the compiler is only for a miss
COUNTER_SOURCE = Path(__file__).parent / "contracts" / "Counter.vy"  # the probe contract of every chain


@dataclass(frozen=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: bytes
    source_hash: str
    from_cache: bool = False


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "xmargin" / "artifacts"


def _search_paths(source_path: Path, extra: Iterable[Path]) -> list[Path]:
    return [source_path.parent, *[Path(p) for p in extra]]


def source_hash(source_path: Path, search_paths: Iterable[Path] = ()) -> str:
    """Hash of the contract, every Vyper file it could import, and the compiler version."""
    digest = hashlib.sha256()
    digest.update(f"vyper=={VYPER_VERSION}\n".encode())
    digest.update(source_path.name.encode() + b"\0" + source_path.read_bytes())
    for folder in _search_paths(source_path, search_paths):
        for dependency in sorted(folder.glob("*.vy*")):
            if dependency.resolve() != source_path.resolve():
                digest.update(dependency.name.encode() + b"\0" + dependency.read_bytes())
    return digest.hexdigest()


def compile_contract(
    source_path: str | os.PathLike[str],
    search_paths: Iterable[str | os.PathLike[str]] = (),
    cache_dir: str | os.PathLike[str] | None = None,
) -> Artifact:
    """Compile one Vyper contract, or load it from the cache when nothing it depends on changed."""
    path = Path(source_path).resolve()
    if not path.is_file():
        raise CompileError(f"contract source not found: {path}")
    extra = [Path(p).resolve() for p in search_paths]
    key = source_hash(path, extra)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    cached = cache / f"{path.stem}-{key}.json"
    if cached.is_file():
        try:
            data = json.loads(cached.read_text())
            return Artifact(path.stem, data["abi"], bytes.fromhex(data["bytecode"]), key, from_cache=True)
        except (ValueError, KeyError):
            cached.unlink(missing_ok=True)  # a torn or foreign file: recompile
    import vyper
    import vyper.exceptions
    from vyper.compiler.input_bundle import FilesystemInputBundle

    try:
        bundle = FilesystemInputBundle(_search_paths(path, extra))
        output = vyper.compile_from_file_input(
            bundle.load_file(path), input_bundle=bundle, output_formats=["abi", "bytecode"]
        )
    except vyper.exceptions.VyperException as exc:
        raise CompileError(f"{path.name} does not compile:\n{exc}") from None
    artifact = Artifact(path.stem, output["abi"], bytes.fromhex(output["bytecode"].removeprefix("0x")), key)
    cache.mkdir(parents=True, exist_ok=True)
    temporary = cached.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"abi": artifact.abi, "bytecode": artifact.bytecode.hex(), "vyper": VYPER_VERSION}))
    temporary.replace(cached)  # atomic: a concurrent reader sees the whole file or none
    return artifact
