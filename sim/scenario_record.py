"""A scenario as plain JSON and back: what a run directory and a state dump keep of it.

The document holds the scenario's tables as validated (its ``extends`` chain resolved,
the ``--set`` overrides and the seed applied), its name and the overrides, so the same
scenario is built again without the file it came from, which may have changed or be
on another machine.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Mapping

from chains.errors import ConfigError
from sim.scenario import Scenario, parse_scenario


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name,
        "source": scenario.source,
        "overrides": list(scenario.overrides),
        "tables": json.loads(json.dumps({**scenario.raw, "name": scenario.name, "seed": scenario.seed})),
    }


def scenario_from_document(document: Mapping[str, Any], where: str) -> Scenario:
    """The scenario a :func:`scenario_document` describes; ConfigError (naming ``where``) if it cannot be built."""
    try:
        tables, overrides, source = document["tables"], document["overrides"], document["source"]
        if not isinstance(tables, dict) or not isinstance(overrides, list) or not isinstance(source, str):
            raise TypeError("tables, overrides or source of the wrong type")
        scenario = parse_scenario(tables, source)
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{where}: no usable scenario ({type(exc).__name__}: {exc})") from None
    except ConfigError as exc:
        raise ConfigError(f"{where}: its scenario no longer validates: {exc}") from None
    return replace(scenario, overrides=tuple(str(o) for o in overrides))
