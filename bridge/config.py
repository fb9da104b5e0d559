"""The ``[bridge]`` table of a scenario: proof mode, validators, routes with their faults, relayers.

``BridgeConfig.from_dict({})`` is a working, fault-free bridge. Every error names
the key path, e.g. ``bridge.routes.perp->vault-l1.latency.mean: must be >= 0, got -5``.
Unknown keys are errors. The full schema, with defaults::

    mode = "multisig"                 # or "checkpoint": the proof mode of every source chain
    source_modes = {}                 # per source chain name, overriding `mode`
    latency = {kind = "fixed", mean = 1.0}     # default latency of every route
        # kinds: fixed {mean}, uniform {low, high}, lognormal {mean, sigma}
    [validators]
    count = 5                         # 1..32, the same set attests for every source chain
    threshold = 3                     # signatures needed, 1..count
    poll_interval = 1.0               # seconds between a validator's looks at its source chains
    offline = []                      # [{validator = i, start = t1, end = t2}]
    equivocating = []                 # validator indices that also sign a conflicting attestation
    compromised = []                  # validator indices that sign whatever the forger asks
    [routes."src->dst"]               # "*" applies to every route; a named route overrides it key by key
    latency = <as above>
    drop = 0.0                        # probability a packet is lost
    duplicate = 0.0                   # probability a packet is delivered twice
    reorder_window = 0.0              # seconds of extra random delay, so later packets may overtake
    corrupt = 0.0                     # probability one byte of the body or of a signature is flipped
    partitions = []                   # [[t1, t2]] or [{start, end}]: the route is down from t1 to t2
    spikes = []                       # [{start, end, extra}]: packets sent in the window take `extra` s more
    [relayers]
    count = 1                         # relayers racing to deliver every message (0: none)
    poll_interval = 1.0               # seconds between scans of the source chains
    ack_timeout = 10.0                # a packet with no outcome after this long is resent (doubling, capped)
    retry_backoff = 2.0               # first wait after a rejection (doubling up to max_backoff)
    max_backoff = 60.0
    max_rejections = 20               # rejections after which a relayer abandons a message
    gas_limit = 1000000               # gas of each `process` transaction (recipient's handle included)
    outages = []                      # [{relayer = i, start = t1, end = t2}]: killed at t1, restarted at t2
    fees = { strategy = "suggested" } # fixed | suggested | adaptive (see chains.fees)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

from chains import schema
from chains.errors import ConfigError
from chains.fees import FeeStrategy, fee_strategy
from bridge.latency import FixedLatency, LatencyModel, LognormalLatency, UniformLatency

MODE_NAMES = ("multisig", "checkpoint")
MAX_VALIDATORS = 32
WILDCARD_ROUTE = "*"


@dataclass(frozen=True)
class Window:
    start: float
    end: float

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class Spike:
    start: float
    end: float
    extra: float

    def contains(self, t: float) -> bool:
        return self.start <= t < self.end


@dataclass(frozen=True)
class RouteConfig:
    latency: LatencyModel = FixedLatency(1.0)
    drop: float = 0.0
    duplicate: float = 0.0
    reorder_window: float = 0.0
    corrupt: float = 0.0
    partitions: tuple[Window, ...] = ()
    spikes: tuple[Spike, ...] = ()

    def partitioned(self, t: float) -> bool:
        return any(w.contains(t) for w in self.partitions)

    def spike_extra(self, t: float) -> float:
        return sum(s.extra for s in self.spikes if s.contains(t))

    def heals_at(self, t: float) -> float:
        """When the partition covering ``t`` ends (``t`` itself when the route is up)."""
        end = t
        while True:
            covering = [w.end for w in self.partitions if w.contains(end)]
            if not covering:
                return end
            end = max(covering)


@dataclass(frozen=True)
class OfflineWindow:
    validator: int
    start: float
    end: float


@dataclass(frozen=True)
class ValidatorsConfig:
    count: int = 5
    threshold: int = 3
    poll_interval: float = 1.0
    offline: tuple[OfflineWindow, ...] = ()
    equivocating: tuple[int, ...] = ()
    compromised: tuple[int, ...] = ()

    def is_offline(self, index: int, t: float) -> bool:
        return any(w.validator == index and w.start <= t < w.end for w in self.offline)


@dataclass(frozen=True)
class RelayerOutage:
    relayer: int
    start: float
    end: float


@dataclass(frozen=True)
class RelayersConfig:
    count: int = 1
    poll_interval: float = 1.0
    ack_timeout: float = 10.0
    retry_backoff: float = 2.0
    max_backoff: float = 60.0
    max_rejections: int = 20
    gas_limit: int = 1_000_000
    outages: tuple[RelayerOutage, ...] = ()
    fees: FeeStrategy = FeeStrategy()  # how each relayer bids for its `process` transactions


@dataclass(frozen=True)
class BridgeConfig:
    mode: str = "multisig"
    source_modes: Mapping[str, str] = field(default_factory=dict)
    latency: LatencyModel = FixedLatency(1.0)
    validators: ValidatorsConfig = ValidatorsConfig()
    relayers: RelayersConfig = RelayersConfig()
    routes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # validated overrides by route key

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None, path: str = "bridge") -> "BridgeConfig":
        """Validate a plain dict (the ``[bridge]`` table); raises ConfigError naming the bad key."""
        reader = _Reader(data if data is not None else {}, path)
        reader.only("mode", "source_modes", "latency", "validators", "routes", "relayers")
        mode = reader.choice("mode", "multisig", MODE_NAMES)
        source_modes = {}
        modes_reader = reader.table("source_modes")
        for name in modes_reader.keys():
            source_modes[name] = modes_reader.choice(name, None, MODE_NAMES)
        latency = _latency(reader.table("latency"), FixedLatency(1.0)) if "latency" in reader else FixedLatency(1.0)
        validators = _validators(reader.table("validators"))
        relayers = _relayers(reader.table("relayers"))
        routes_reader = reader.table("routes")
        routes = {key: _route_overrides(routes_reader.table(key), key) for key in routes_reader.keys()}
        return cls(mode, source_modes, latency, validators, relayers, routes)

    def mode_for(self, source_chain: str) -> str:
        return self.source_modes.get(source_chain, self.mode)

    def route(self, src: str, dst: str) -> RouteConfig:
        """The faults of route ``src -> dst``: defaults, then the "*" table, then the route's own table."""
        route = RouteConfig(latency=self.latency)
        for key in (WILDCARD_ROUTE, route_key(src, dst)):
            if key in self.routes:
                route = replace(route, **self.routes[key])
        return route

    def check_chains(self, chain_names: Iterable[str], path: str = "bridge") -> None:
        """Every chain the config names must exist in the world."""
        names = tuple(chain_names)
        for key in self.routes:
            if key == WILDCARD_ROUTE:
                continue
            src, dst = parse_route_key(key, f"{path}.routes")
            for end in (src, dst):
                if end not in names:
                    raise ConfigError(f"{path}.routes.{key}: unknown chain {end!r}; chains: {', '.join(names)}")
        for name in self.source_modes:
            if name not in names:
                raise ConfigError(f"{path}.source_modes.{name}: unknown chain {name!r}; chains: {', '.join(names)}")


def route_key(src: str, dst: str) -> str:
    return f"{src}->{dst}"


def parse_route_key(key: str, path: str) -> tuple[str, str]:
    parts = key.split("->")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise ConfigError(f'{path}.{key}: a route is named "source->destination" (or "*"), got {key!r}')
    src, dst = (p.strip() for p in parts)
    if src == dst:
        raise ConfigError(f"{path}.{key}: a route joins two different chains")
    return src, dst


# -- validation helpers ------------------------------------------------------------


class _Reader:
    """Typed access to one table of the config, with errors that carry the key path (``chains.schema``)."""

    def __init__(self, data: Any, path: str) -> None:
        self.data = schema.table(data, path)
        self.path = path

    def __contains__(self, key: str) -> bool:
        return key in self.data

    def keys(self) -> list[str]:
        return list(self.data)

    def at(self, key: str) -> str:
        return schema.join(self.path, key)

    def only(self, *known: str) -> None:
        schema.reject_unknown(self.data, known, self.path)

    def table(self, key: str) -> "_Reader":
        return _Reader(self.data.get(key, {}), self.at(key))

    def number(self, key: str, default: float, minimum: float | None = None, maximum: float | None = None,
               above: float | None = None) -> float:
        return schema.number(self.data, key, self.path, default, minimum, maximum, above)

    def integer(self, key: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
        return schema.integer(self.data, key, self.path, default, minimum, maximum)

    def probability(self, key: str) -> float:
        return self.number(key, 0.0, minimum=0.0, maximum=1.0)

    def choice(self, key: str, default: str | None, options: tuple[str, ...]) -> str:
        return schema.choice(self.data, key, self.path, options, default)

    def items(self, key: str) -> list[tuple[str, Any]]:
        value = self.data.get(key, [])
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{self.at(key)}: must be a list, got {value!r}")
        return [(f"{self.at(key)}[{i}]", item) for i, item in enumerate(value)]


def _finite(value: float, path: str) -> float:
    if math.isinf(value):
        raise ConfigError(f"{path}: must be finite, got {value}")
    return value


def _latency(reader: _Reader, default: LatencyModel) -> LatencyModel:
    kind = reader.choice("kind", "fixed", ("fixed", "uniform", "lognormal"))
    if kind == "fixed":
        reader.only("kind", "mean")
        fallback = default.mean if isinstance(default, FixedLatency) else 1.0
        return FixedLatency(_finite(reader.number("mean", fallback, minimum=0), reader.at("mean")))
    if kind == "uniform":
        reader.only("kind", "low", "high")
        if "low" not in reader or "high" not in reader:
            raise ConfigError(f"{reader.path}: a uniform latency needs low and high")
        low = _finite(reader.number("low", 0, minimum=0), reader.at("low"))
        high = _finite(reader.number("high", 0, minimum=0), reader.at("high"))
        if high < low:
            raise ConfigError(f"{reader.at('high')}: must be >= low ({low:g}), got {high:g}")
        return UniformLatency(low, high)
    reader.only("kind", "mean", "sigma")
    if "mean" not in reader or "sigma" not in reader:
        raise ConfigError(f"{reader.path}: a lognormal latency needs mean and sigma")
    mean = _finite(reader.number("mean", 1, above=0), reader.at("mean"))
    sigma = reader.number("sigma", 0, minimum=0, maximum=5)
    return LognormalLatency(mean, sigma)


def _window(path: str, item: Any, extra_keys: tuple[str, ...] = ()) -> dict[str, float]:
    if isinstance(item, (list, tuple)) and not extra_keys:
        if len(item) != 2:
            raise ConfigError(f"{path}: a window is [start, end], got {item!r}")
        item = {"start": item[0], "end": item[1]}
    reader = _Reader(item, path)
    reader.only("start", "end", *extra_keys)
    for key in ("start", "end", *extra_keys):
        if key not in reader:
            raise ConfigError(f"{path}: missing {key}")
    start = reader.number("start", 0, minimum=0)
    end = reader.number("end", 0, minimum=0)
    if end <= start:
        raise ConfigError(f"{path}.end: must be after start ({start:g}), got {end:g}")
    return {"start": start, "end": end, **{k: reader.data[k] for k in extra_keys}}


def _route_overrides(reader: _Reader, key: str) -> dict[str, Any]:
    if key != WILDCARD_ROUTE:
        parse_route_key(key, reader.path.rsplit(".", 1)[0])
    reader.only("latency", "drop", "duplicate", "reorder_window", "corrupt", "partitions", "spikes")
    overrides: dict[str, Any] = {}
    if "latency" in reader:
        overrides["latency"] = _latency(reader.table("latency"), FixedLatency(1.0))
    for name in ("drop", "duplicate", "corrupt"):
        if name in reader:
            overrides[name] = reader.probability(name)
    if "reorder_window" in reader:
        overrides["reorder_window"] = _finite(reader.number("reorder_window", 0, minimum=0), reader.at("reorder_window"))
    if "partitions" in reader:
        overrides["partitions"] = tuple(Window(**_window(p, item)) for p, item in reader.items("partitions"))
    if "spikes" in reader:
        spikes = []
        for p, item in reader.items("spikes"):
            window = _window(p, item, ("extra",))
            window["extra"] = _finite(schema.check_number(window["extra"], f"{p}.extra", minimum=0), f"{p}.extra")
            spikes.append(Spike(**window))
        overrides["spikes"] = tuple(spikes)
    return overrides


def _indices(reader: _Reader, key: str, count: int) -> tuple[int, ...]:
    indices = []
    for p, item in reader.items(key):
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item < count:
            raise ConfigError(f"{p}: must be a validator index from 0 to {count - 1}, got {item!r}")
        if item in indices:
            raise ConfigError(f"{p}: validator {item} is listed twice")
        indices.append(item)
    return tuple(sorted(indices))


def _validators(reader: _Reader) -> ValidatorsConfig:
    reader.only("count", "threshold", "poll_interval", "offline", "equivocating", "compromised")
    count = reader.integer("count", 5, minimum=1, maximum=MAX_VALIDATORS)
    threshold = reader.integer("threshold", min(3, count), minimum=1, maximum=count)
    poll_interval = _finite(reader.number("poll_interval", 1.0, above=0), reader.at("poll_interval"))
    offline = []
    for p, item in reader.items("offline"):
        window = _window(p, item, ("validator",))
        index = window["validator"]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise ConfigError(f"{p}.validator: must be a validator index from 0 to {count - 1}, got {index!r}")
        offline.append(OfflineWindow(index, window["start"], window["end"]))
    return ValidatorsConfig(
        count,
        threshold,
        poll_interval,
        tuple(offline),
        _indices(reader, "equivocating", count),
        _indices(reader, "compromised", count),
    )


def _relayers(reader: _Reader) -> RelayersConfig:
    reader.only("count", "poll_interval", "ack_timeout", "retry_backoff", "max_backoff", "max_rejections",
                "gas_limit", "outages", "fees")
    count = reader.integer("count", 1, minimum=0, maximum=16)
    positive = {}
    for name, default in (("poll_interval", 1.0), ("ack_timeout", 10.0), ("retry_backoff", 2.0), ("max_backoff", 60.0)):
        positive[name] = _finite(reader.number(name, default, above=0), reader.at(name))
    if positive["max_backoff"] < positive["retry_backoff"]:
        raise ConfigError(
            f"{reader.at('max_backoff')}: must be >= retry_backoff ({positive['retry_backoff']:g}), "
            f"got {positive['max_backoff']:g}"
        )
    max_rejections = reader.integer("max_rejections", 20, minimum=1)
    gas_limit = reader.integer("gas_limit", 1_000_000, minimum=100_000, maximum=30_000_000)
    outages = []
    for p, item in reader.items("outages"):
        window = _window(p, item, ("relayer",))
        index = window["relayer"]
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < count:
            raise ConfigError(f"{p}.relayer: must be a relayer index from 0 to {count - 1}, got {index!r}")
        outages.append(RelayerOutage(index, window["start"], window["end"]))
    return RelayersConfig(count=count, max_rejections=max_rejections, gas_limit=gas_limit, outages=tuple(outages),
                          fees=fee_strategy(reader.data, "fees", reader.path), **positive)
