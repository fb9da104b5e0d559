"""The grid of a sweep: ``--param KEY=V1,V2,...`` axes times seeds, validated before anything runs.

Each value is a TOML value as ``--set`` takes it (``60``, ``0.5``, ``true``, ``"x"``,
``[1, 2]``, ``{start = 1, end = 2}``); commas inside brackets, braces or quotes do
not split. Every grid point is loaded and validated as a scenario, so a key the
scenario does not have, or a value of the wrong type, is one error line naming it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from chains.errors import ConfigError
from sim.overrides import parse_assignment, parse_value
from sim.scenario import load_scenario, read_scenario_file, resolve
from sim.sweep.spec import RunSpec

MAX_RUNS = 100_000
OPENERS, CLOSERS = "[{(", "]})"


@dataclass(frozen=True)
class Param:
    key: str
    texts: tuple[str, ...]  # each value as written
    values: tuple[Any, ...]  # each value parsed

    def assignment(self, index: int) -> str:
        return f"{self.key}={self.texts[index]}"


def split_values(text: str) -> list[str]:
    """``1,2,[3, 4]`` -> ``["1", "2", "[3, 4]"]``: commas at the top level only."""
    values, depth, quote, start = [], 0, "", 0
    for position, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in OPENERS:
            depth += 1
        elif char in CLOSERS:
            depth -= 1
        elif char == "," and depth == 0:
            values.append(text[start:position].strip())
            start = position + 1
    values.append(text[start:].strip())
    return values


def parse_param(option: str) -> Param:
    key, separator, rest = option.partition("=")
    if not separator or not key.strip():
        raise ConfigError(f"--param {option!r}: expected KEY=V1,V2,..., e.g. bridge.latency.mean=20,120,600")
    parse_assignment(f"{key.strip()}=0")  # the key must be a dotted path, as for --set
    texts = split_values(rest)
    if not rest.strip() or any(not t for t in texts):
        raise ConfigError(f"--param {key.strip()}: an empty value in {rest!r}; give KEY=V1,V2,...")
    if len(set(texts)) != len(texts):
        raise ConfigError(f"--param {key.strip()}: a value is listed twice in {rest!r}")
    return Param(key.strip(), tuple(texts), tuple(parse_value(t) for t in texts))


@dataclass(frozen=True)
class SweepPlan:
    """What a sweep runs: the scenario (its tables, extends resolved), --set overrides, the axes and the seeds."""

    scenario: str  # the scenario's name
    source: str  # a built-in's name or the file it was read from
    data: Mapping[str, Any]
    overrides: tuple[str, ...]
    params: tuple[Param, ...]
    seeds: tuple[int, ...]

    @property
    def points(self) -> list[dict[str, Any]]:
        """Every combination of parameter values, in order: {key: value}."""
        combos = itertools.product(*(range(len(p.values)) for p in self.params))
        return [{p.key: p.values[i] for p, i in zip(self.params, combo)} for combo in combos]

    def point_assignments(self) -> list[tuple[str, ...]]:
        combos = itertools.product(*(range(len(p.values)) for p in self.params))
        return [tuple(p.assignment(i) for p, i in zip(self.params, combo)) for combo in combos]

    def runs(self, ship_run_dirs: bool = False, engine: str | None = None) -> Iterator[RunSpec]:
        for index, assignments in enumerate(self.point_assignments()):
            for seed in self.seeds:
                yield RunSpec(
                    run_id=run_id(index, seed), point=index, scenario=self.scenario, source=self.source,
                    data=self.data, overrides=(*self.overrides, *assignments), seed=seed, ship_run_dir=ship_run_dirs,
                    engine=engine,
                )

    @property
    def size(self) -> int:
        count = len(self.seeds)
        for param in self.params:
            count *= len(param.values)
        return count

    def identity(self) -> dict[str, Any]:
        """What makes two sweeps the same sweep (``--resume`` checks it)."""
        return {
            "scenario": self.scenario,
            "scenario_sha256": hashlib.sha256(json.dumps(self.data, sort_keys=True, default=str).encode()).hexdigest(),
            "overrides": list(self.overrides),
            "params": {p.key: list(p.texts) for p in self.params},
            "seeds": list(self.seeds),
        }


def run_id(point: int, seed: int) -> str:
    return f"p{point:04d}-seed{seed}"


def toml_inline(value: Any) -> str:
    """A value as TOML writes it inline (what --param and --set take)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_inline(v)}" for k, v in value.items()) + "}"
    raise ConfigError(f"cannot write {value!r} as a TOML value")


def plan_sweep(scenario: str, params: Iterable[str], seeds: int | None, overrides: Iterable[str] = ()) -> SweepPlan:
    """Parse and validate a whole sweep; raises ConfigError with one line naming the problem.

    Without ``params`` (or ``seeds``) the scenario's ``[sweep]`` table gives them.
    """
    overrides = tuple(overrides)
    params = tuple(params)
    if seeds is not None and seeds < 1:
        raise ConfigError(f"--seeds {seeds}: a sweep needs at least one seed")
    base = load_scenario(scenario, overrides)  # the scenario and the --set overrides alone
    defaults = base.sweep
    if not params and defaults is not None and defaults.params:
        params = tuple(f"{key}={','.join(toml_inline(v) for v in values)}" for key, values in defaults.params)
    if seeds is None:
        if defaults is None or defaults.seeds is None:
            raise ConfigError(f"--seeds N: required (scenario {base.name} has no [sweep] seeds)")
        seeds = defaults.seeds
    parsed = tuple(parse_param(p) for p in params)
    if not parsed:
        raise ConfigError(f"give at least one --param KEY=V1,V2,... (scenario {base.name} has no [sweep] params)")
    keys = [p.key for p in parsed]
    if "seed" in keys:
        raise ConfigError("--param seed: seeds are the sweep's other axis; use --seeds N")
    for key in keys:
        if keys.count(key) > 1:
            raise ConfigError(f"--param {key}: given twice; list all its values in one --param")
    overridden = {o.partition("=")[0].strip() for o in overrides}
    for key in keys:
        if key in overridden:
            raise ConfigError(f"--param {key}: also set with --set; drop one of them")
    plan = SweepPlan(
        scenario=base.name, source=str(resolve(scenario).resolve()),
        data=read_scenario_file(resolve(scenario)), overrides=overrides, params=parsed,
        seeds=tuple(range(base.seed, base.seed + seeds)),
    )
    if plan.size > MAX_RUNS:
        raise ConfigError(f"the grid has {plan.size:,} runs; at most {MAX_RUNS:,} per sweep")
    _validate(plan)
    return plan


def _validate(plan: SweepPlan) -> None:
    """Each value with the others at their first, then every combination: the first error names its --param."""
    first = [p.assignment(0) for p in plan.params]
    for index, param in enumerate(plan.params):
        for value in range(len(param.values)):
            assignments = [*first[:index], param.assignment(value), *first[index + 1:]]
            _check(plan, assignments, f"--param {param.assignment(value)}")
    if len(plan.params) > 1:
        for assignments in plan.point_assignments():
            _check(plan, list(assignments), f"grid point {', '.join(assignments)}")


def _check(plan: SweepPlan, assignments: list[str], what: str) -> None:
    try:
        RunSpec("check", 0, plan.scenario, plan.source, plan.data, (*plan.overrides, *assignments), plan.seeds[0]).load()
    except ConfigError as exc:
        raise ConfigError(f"{what}: {exc}") from None
