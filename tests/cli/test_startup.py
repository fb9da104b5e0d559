"""The packages load their parts on first use: every exported name resolves, and reading commands stay light."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

LAZY_PACKAGES = ("chains", "bridge", "protocol", "sim.report")


@pytest.mark.parametrize("package", LAZY_PACKAGES)
def test_every_exported_name_resolves(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        assert getattr(module, name) is not None, f"{package}.{name}"
    assert set(module.__all__) <= set(dir(module))


def test_help_trace_and_compare_do_not_load_the_evms_web3_or_matplotlib():
    probe = (
        "import sys, cli, sim.present, sim.scenario\n"
        "heavy = sorted(m for m in ('eth', 'web3', 'pyrevm', 'matplotlib', 'eth_tester') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "", f"loaded at start: {done.stdout.strip()}"
