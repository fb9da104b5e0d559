"""Bad options for ``xmargin up`` are refused with a clear message before anything is built or written."""

from __future__ import annotations

import socket

import pytest
from click.testing import CliRunner

import cli
from chains.errors import ConfigError
from sim.live import UpOptions, start_up


def _options(tmp_path, **change):
    return UpOptions(**{"port": 0, "addresses_file": tmp_path / "up.json", "data_dir": tmp_path / "data", **change})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"block_time_scale": 0}, "--block-time-scale: must be between"),
        ({"block_time_scale": float("nan")}, "--block-time-scale: must be a number"),
        ({"port": 70_000}, "--port: must be a port number"),
        ({"port": 65_534}, "--port: 3 chains need ports 65534..65536"),
        ({"seed": -1}, "seed: must be >= 0"),
        ({"overrides": ("bridge.latency.mean=-1",)}, "bridge.latency.mean: must be >= 0"),
        ({"scenario": "no-such-scenario"}, "no scenario 'no-such-scenario'"),
    ],
)
def test_a_bad_option_is_refused_and_nothing_is_written(tmp_path, change, message):
    with pytest.raises(ConfigError, match=message):
        start_up(_options(tmp_path, **change))
    assert sorted(tmp_path.iterdir()) == []


def test_an_addresses_file_in_a_missing_directory_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="--addresses-file: directory .* does not exist"):
        start_up(_options(tmp_path, addresses_file=tmp_path / "missing" / "up.json"))
    assert sorted(tmp_path.iterdir()) == []


def test_a_data_dir_holding_another_runs_relayer_state_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "relayer-0.sqlite").write_bytes(b"")
    with pytest.raises(ConfigError, match="already holds relayer state"):
        start_up(_options(tmp_path))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["data", "relayer-0.sqlite"]


def test_a_port_in_use_is_refused(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            start_up(_options(tmp_path, port=port))
    assert not (tmp_path / "up.json").exists()


def test_the_command_reports_bad_input_in_one_line_with_exit_code_2(tmp_path):
    result = CliRunner().invoke(cli.main, ["up", "--block-time-scale", "0", "--addresses-file", str(tmp_path / "x.json")])
    assert result.exit_code == 2
    assert "--block-time-scale: must be between 0.001 and 1000" in result.output
    assert "Traceback" not in result.output
