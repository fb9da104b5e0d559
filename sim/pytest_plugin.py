"""pytest fixtures for your own test suite: a fresh xmargin testbed per test.

Installed with the package (the ``pytest11`` entry point ``xmargin``), so any suite in
the environment can ask for:

- ``testbed`` - a fresh world for this test: chains, bridge (validators, relayer) and
  protocol deployed, the deployment's messages relayed, users funded. Built once per
  session and handed out by snapshot and revert, so each test starts from the same
  state and sees nothing of the previous test. See :class:`sim.plugin.XmarginTestbed`.
- ``xmargin_testbed`` - the session's frozen template behind ``testbed``.

Options: ``--xmargin-seed N``, ``--xmargin-scenario NAME_OR_FILE``, ``--xmargin-set
KEY=VALUE`` (repeatable), or the ini keys ``xmargin_seed``, ``xmargin_scenario``,
``xmargin_set``; one test can ask for another world with
``@pytest.mark.xmargin(scenario=..., seed=..., set=[...])``.

Nothing heavy is imported until a test asks for a fixture, so the plugin costs a
suite that does not use it nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from sim.plugin import Template, XmarginTestbed

MARKER = "xmargin"
WorldKey = tuple[str | None, tuple[str, ...], int | None, str | None]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("xmargin", "xmargin testbed fixtures")
    group.addoption("--xmargin-seed", type=int, default=None, metavar="N", help="seed of the testbed's world (default 0)")
    group.addoption(
        "--xmargin-scenario", default=None, metavar="NAME_OR_FILE",
        help="scenario whose chains, protocol and bridge the testbed builds (default: the default world)",
    )
    group.addoption(
        "--xmargin-set", action="append", default=[], metavar="KEY=VALUE",
        help="override a scenario value, e.g. bridge.latency.mean=3 (repeatable)",
    )
    group.addoption(
        "--xmargin-engine", default=None, metavar="pyevm|revm",
        help="EVM behind the testbed's chains (default: revm when installed, else pyevm)",
    )
    parser.addini("xmargin_seed", "seed of the testbed's world", default="")
    parser.addini("xmargin_scenario", "scenario for the testbed's world", default="")
    parser.addini("xmargin_set", "scenario overrides, one KEY=VALUE a line", type="linelist", default=[])
    parser.addini("xmargin_engine", "EVM behind the testbed's chains (pyevm or revm)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(scenario=None, seed=None, set=()): build this test's testbed from another world"
    )


def _default_key(config: pytest.Config) -> WorldKey:
    seed: Any = config.getoption("--xmargin-seed")
    if seed is None:
        text = str(config.getini("xmargin_seed")).strip()
        if text:
            try:
                seed = int(text)
            except ValueError:
                raise pytest.UsageError(f"xmargin_seed: must be a whole number, got {text!r}") from None
    scenario = config.getoption("--xmargin-scenario") or str(config.getini("xmargin_scenario")).strip() or None
    overrides = tuple(config.getini("xmargin_set")) + tuple(config.getoption("--xmargin-set"))
    engine = config.getoption("--xmargin-engine") or str(config.getini("xmargin_engine")).strip() or None
    return scenario, overrides, seed, engine


def _marked_key(request: pytest.FixtureRequest, default: WorldKey) -> WorldKey:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return default
    if marker.args:
        raise pytest.UsageError(f"@pytest.mark.{MARKER} takes keyword arguments only (scenario=, seed=, set=)")
    unknown = sorted(set(marker.kwargs) - {"scenario", "seed", "set"})
    if unknown:
        raise pytest.UsageError(f"@pytest.mark.{MARKER}: unknown argument(s) {', '.join(unknown)}")
    scenario, overrides, seed, engine = default
    overrides = tuple(marker.kwargs.get("set", overrides))
    return marker.kwargs.get("scenario", scenario), overrides, marker.kwargs.get("seed", seed), engine


class TemplateCache:
    """One frozen template per world (scenario, overrides, seed), built on first use; a failure is kept too."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self._factory = factory
        self._built: dict[WorldKey, Any] = {}

    def get(self, key: WorldKey) -> "Template":
        if key not in self._built:
            from chains.engines import check_engine, default_engine
            from chains.errors import XmarginError
            from sim.plugin import Template
            from sim.world_spec import resolve_world

            scenario, overrides, seed, engine = key
            try:
                engine = check_engine(engine or default_engine())
                self._built[key] = Template(
                    resolve_world(scenario, overrides, seed), self._factory.mktemp("xmargin-template"), engine=engine
                )
            except XmarginError as exc:
                self._built[key] = exc
        built = self._built[key]
        if isinstance(built, Exception):
            pytest.fail(f"xmargin testbed: {built}", pytrace=False)
        return built


@pytest.fixture(scope="session")
def xmargin_templates(tmp_path_factory: pytest.TempPathFactory) -> TemplateCache:
    return TemplateCache(tmp_path_factory)


@pytest.fixture(scope="session")
def xmargin_testbed(request: pytest.FixtureRequest, xmargin_templates: TemplateCache) -> "Template":
    """The session's template for the configured world: deployed, settled and frozen (use ``testbed`` in tests)."""
    return xmargin_templates.get(_default_key(request.config))


@pytest.fixture
def testbed(
    request: pytest.FixtureRequest, xmargin_templates: TemplateCache, tmp_path_factory: pytest.TempPathFactory
) -> Iterator["XmarginTestbed"]:
    """A fresh testbed for this test (see :class:`sim.plugin.XmarginTestbed`); its relayers stop afterwards."""
    key = _marked_key(request, _default_key(request.config))
    fresh = xmargin_templates.get(key).fresh(tmp_path_factory.mktemp("xmargin-bridge"))
    try:
        yield fresh
    finally:
        fresh.close()
