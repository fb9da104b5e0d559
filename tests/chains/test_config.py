"""Chain configuration errors name the problem and build nothing."""

from __future__ import annotations

import pytest

from chains import ChainConfig, ChainSet, ConfigError, UnknownChainError
from chains.config import load_chain_configs


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"chain_id": 0}, "chain_id must be a positive integer, got 0"),
        ({"chain_id": -5}, "chain_id must be a positive integer"),
        ({"chain_id": "1"}, "chain_id must be an integer"),
        ({"block_time": -2}, "block_time must be positive, got -2"),
        ({"block_time": 0}, "block_time must be positive"),
        ({"block_time": 1.5}, "block_time (whole seconds) must be an integer"),
        ({"finality_depth": -1}, "finality_depth cannot be negative"),
        ({"accounts": True}, "accounts must be an integer"),
    ],
)
def test_impossible_values_are_refused_with_their_name(fields, message):
    with pytest.raises(ConfigError) as error:
        ChainConfig(**{"name": "x", "chain_id": 9, **fields})
    assert message in str(error.value)


def test_duplicate_chain_ids_are_refused():
    with pytest.raises(ConfigError, match="duplicate chain id 5: used by 'a' and 'b'"):
        ChainSet.from_configs([{"name": "a", "chain_id": 5}, {"name": "b", "chain_id": 5}])


def test_unknown_keys_and_unknown_names_are_refused(world):
    with pytest.raises(ConfigError, match="unknown key"):
        ChainConfig.from_dict({"name": "a", "chain_id": 5, "blocktime": 3})
    with pytest.raises(UnknownChainError, match="unknown chain 'mainnet'; configured chains: vault-l1, vault-l2, perp"):
        world["mainnet"]
    with pytest.raises(UnknownChainError, match="no chain with id 1"):
        world.by_id(1)


def test_chain_files_report_the_table_that_is_wrong(tmp_path):
    path = tmp_path / "chains.toml"
    path.write_text('[[chains]]\nname = "a"\nchain_id = 1\n\n[[chains]]\nname = "b"\nchain_id = 2\nblock_time = -1\n')
    with pytest.raises(ConfigError, match=r"chains\[1\]: chain 'b': block_time must be positive"):
        load_chain_configs(str(path))
    path.write_text("[[chains]\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_chain_configs(str(path))
    with pytest.raises(ConfigError, match="not found"):
        load_chain_configs(str(tmp_path / "missing.toml"))


def test_the_default_world_has_the_three_chains_of_the_design(world):
    assert [(c.name, c.block_time) for c in world] == [("vault-l1", 12), ("vault-l2", 2), ("perp", 1)]
    assert len({c.chain_id for c in world}) == 3
