"""The scenario file shown in the README is a valid scenario."""

from __future__ import annotations

import re
from pathlib import Path

from sim.scenario import load_scenario

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_scenario_example_loads(tmp_path):
    example = re.search(r"```toml\n(extends = .*?)```", README.read_text(), re.S).group(1)
    path = tmp_path / "example.toml"
    path.write_text(example)
    scenario = load_scenario(str(path))
    assert scenario.name == "my-crash"
    assert scenario.reorgs[0].chain == "vault-l2" and scenario.forgeries[0].asset == "USDC"
    assert scenario.reporters.behaviours[0].kind == "outlier"
