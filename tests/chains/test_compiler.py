"""Vyper compilation is offline and cached by source hash and compiler version."""

from __future__ import annotations

import shutil

import pytest

from chains import COUNTER_SOURCE, CompileError, compile_contract


def test_second_compile_hits_the_cache_and_an_edit_misses_it(tmp_path):
    source = tmp_path / "Counter.vy"
    shutil.copy(COUNTER_SOURCE, source)
    cache = tmp_path / "cache"
    first = compile_contract(source, cache_dir=cache)
    second = compile_contract(source, cache_dir=cache)
    assert not first.from_cache and second.from_cache
    assert (second.abi, second.bytecode) == (first.abi, first.bytecode)
    source.write_text(source.read_text() + "\n# an edit\n")
    third = compile_contract(source, cache_dir=cache)
    assert not third.from_cache and third.source_hash != first.source_hash


def test_a_change_to_an_imported_module_invalidates_the_cache(tmp_path):
    (tmp_path / "lib.vy").write_text("# pragma version 0.4.3\n@internal\n@pure\ndef five() -> uint256:\n    return 5\n")
    (tmp_path / "Main.vy").write_text(
        "# pragma version 0.4.3\nimport lib\n@external\n@pure\ndef value() -> uint256:\n    return lib.five()\n"
    )
    cache = tmp_path / "cache"
    compile_contract(tmp_path / "Main.vy", cache_dir=cache)
    (tmp_path / "lib.vy").write_text("# pragma version 0.4.3\n@internal\n@pure\ndef five() -> uint256:\n    return 6\n")
    assert not compile_contract(tmp_path / "Main.vy", cache_dir=cache).from_cache


def test_a_source_that_does_not_compile_is_a_clear_error(tmp_path):
    broken = tmp_path / "Broken.vy"
    broken.write_text("# pragma version 0.4.3\n@external\ndef f() -> uint256:\n    return undefined_name\n")
    with pytest.raises(CompileError, match="Broken.vy does not compile"):
        compile_contract(broken, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").iterdir())


def test_a_missing_source_is_a_clear_error(tmp_path):
    with pytest.raises(CompileError, match="not found"):
        compile_contract(tmp_path / "Nope.vy", cache_dir=tmp_path)


def test_a_torn_cache_file_is_recompiled(tmp_path):
    source = tmp_path / "Counter.vy"
    shutil.copy(COUNTER_SOURCE, source)
    cache = tmp_path / "cache"
    compile_contract(source, cache_dir=cache)
    (cached,) = cache.glob("*.json")
    cached.write_text("{not json")
    artifact = compile_contract(source, cache_dir=cache)
    assert not artifact.from_cache and artifact.bytecode
