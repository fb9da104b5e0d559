"""The plugin as a user's suite meets it: test files run by pytest itself (``pytester``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

# imported here, once: pytester drops the modules an in-process run imports, and numpy and pyrevm's
# native module cannot load twice (a second import of the revm engine would find no pyrevm)
import chains.engines.revm  # noqa: F401
import numpy  # noqa: F401
from chains.compiler import CACHE_ENV, default_cache_dir

pytest_plugins = ["pytester"]
ARTIFACT_CACHE = str(default_cache_dir())  # read before pytester points HOME at a temporary directory


@pytest.fixture(autouse=True)
def compiled_contracts_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs use the same compiled-contract cache as this one (or they would compile everything again)."""
    monkeypatch.setenv(CACHE_ENV, ARTIFACT_CACHE)

README = Path(__file__).resolve().parents[2] / "README.md"
# the plugin example of the README, as a user would paste it into a file of their own
README_EXAMPLE = re.search(r"```python\n(from protocol import to_wad\n.*?)```", README.read_text(), re.S).group(1)


def test_the_readme_example_passes_as_its_own_file_in_a_fresh_pytest_process(pytester):
    pytester.makepyfile(test_readme_example=README_EXAMPLE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")  # the plugin loads from its entry point
    result.assert_outcomes(passed=1)


def test_seed_scenario_overrides_and_marker_choose_the_world(pytester):
    pytester.makeini("[pytest]\nxmargin_seed = 7\nxmargin_set = bridge.relayers.poll_interval=2\n")
    pytester.makepyfile(
        '''
        import pytest

        def test_the_configured_world(testbed, xmargin_testbed):
            assert testbed.spec.seed == 7 and xmargin_testbed.spec.seed == 7
            assert testbed.bridge.config.relayers.poll_interval == 2
            assert testbed.bridge.config.latency.mean == 3

        @pytest.mark.xmargin(seed=11, set=["bridge.latency.mean=5"])
        def test_a_marked_world(testbed):
            assert testbed.spec.seed == 11
            assert testbed.faults.route("vault-l1", "perp").latency.mean == 5

        def test_users_follow_the_seed(testbed):
            from sim.plugin import user_accounts
            assert testbed.user("alice").address == user_accounts(7)["alice"].address
        '''
    )
    result = pytester.runpytest("--xmargin-set", "bridge.latency.mean=3", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_a_bad_world_fails_only_the_tests_that_ask_for_a_testbed_with_one_clear_line(pytester):
    pytester.makepyfile(
        '''
        def test_uses_the_testbed(testbed):
            pass

        def test_does_not(tmp_path):
            assert tmp_path.exists()
        '''
    )
    result = pytester.runpytest("--xmargin-scenario", "no-such-world", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*xmargin testbed: no scenario 'no-such-world'*"])
    assert "Traceback" not in result.stdout.str()


def test_a_marker_with_positional_arguments_is_a_usage_error(pytester):
    pytester.makepyfile(
        '''
        import pytest

        @pytest.mark.xmargin("demo")
        def test_marked(testbed):
            pass
        '''
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*keyword arguments only*"])


def test_the_options_are_listed_in_pytest_help(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(["*--xmargin-seed=N*", "*--xmargin-scenario=NAME_OR_FILE*", "*--xmargin-set=KEY=VALUE*"])
