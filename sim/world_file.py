"""``world.json``: who is who in a run, and what each token, collateral, market and feed id is.

A run writes it once its world is deployed. The trace names accounts, token addresses
and ids and carries raw fixed-point integers; this file says what they are, so
``xmargin trace`` can list the accounts with their roles and show every amount in its
unit (``1,250.5 USDC``, ``$3,012.40``, ``2.5 ETH``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from chains.errors import ConfigError
from protocol.messages import Dest, Source
from protocol.units import from_units, from_wad, to_wad

if TYPE_CHECKING:
    from sim.world import World

WORLD_FILE = "world.json"
ZERO_ADDRESS = "0x" + "00" * 20
USD_FIELDS = frozenset({
    "price", "entry_price", "fee", "realized_pnl", "funding", "bonus", "bonus_from_gains", "closed_notional",
    "pool_value", "equity", "maintenance_requirement", "insurance_drawn", "uncovered", "funding_index",
})
USD_AMOUNT_EVENTS = frozenset({"BadDebt", "BalanceMoved"})  # their ``amount`` is USD, not tokens
TOKEN_FIELDS = frozenset({"amount", "from_locked", "from_pool", "deposit"})
SIZE_FIELDS = frozenset({"size", "size_delta"})
RATIO_FIELDS = frozenset({"health"})
HIDDEN_FIELDS = frozenset({"t", "kind", "actor", "action", "event", "chain", "account", "tx_hash", "block_number"})


def world_document(world: "World") -> dict[str, Any]:
    """The run's world as plain JSON: chains, assets, tokens, collaterals, markets, feeds, and accounts
    (traders, keepers, reporters, validators, relayers, the forger, each chain's owner, the contracts)."""
    protocol, bridge = world.protocol, world.testbed.bridge_deployment
    accounts: list[dict[str, Any]] = []

    def add(address: str, role: str, name: str, **detail: Any) -> None:
        accounts.append({"address": address, "role": role, "name": name, **detail})

    for trader in world.traders:
        plan = trader.plan
        add(trader.address, "trader", trader.name, asset=plan.asset, market=plan.legs[0].market,
            markets=sorted({leg.market for leg in plan.legs}), vault_chain=plan.vault_chain)
    for keeper in world.keepers:
        add(keeper.address, "keeper", keeper.name)
    for index, reporter in enumerate(protocol.reporters):
        add(reporter.address, "reporter", f"reporter-{index}")
    for index, validator in enumerate(bridge.validators):
        add(validator.address, "validator", f"validator-{index}")
    for index, relayer in enumerate(bridge.relayers):
        add(relayer.address, "relayer", f"relayer-{index}")
    add(bridge.forger.address, "forger", "forger")
    for chain, deployer in protocol.deployers.items():
        add(deployer, "owner", f"owner@{chain}", chain=chain)
    for chain, mailbox in bridge.addresses.items():
        add(mailbox, "contract", f"mailbox@{chain}", chain=chain)
    for chain in protocol.vault_chains:
        add(protocol.vault(chain).address, "contract", f"vault@{chain}", chain=chain)
    add(protocol.engine.address, "contract", "engine", chain=protocol.perp_chain)
    add(protocol.oracle.address, "contract", "oracle", chain=protocol.perp_chain)
    config = protocol.config
    return {
        "scenario": world.scenario.name,
        "seed": world.scenario.seed,
        "chains": {chain.name: chain.chain_id for chain in world.chains},
        "assets": {a.name: {"symbol": a.symbol, "decimals": a.decimals} for a in config.assets},
        "tokens": {token.address: {"chain": chain, "asset": asset}
                   for chain in protocol.vault_chains for asset, token in protocol.tokens[chain].items()},
        "collaterals": [{"chain": c.chain, "asset": c.asset} for c in protocol.catalog.collaterals],
        "markets": [{"name": m.name, "asset": m.asset} for m in config.markets],  # by market id
        "feeds": list(config.feeds),
        "accounts": accounts,
    }


class WorldFile:
    """A run's ``world.json``, read back: roles by address and amounts in their units."""

    def __init__(self, document: Mapping[str, Any], source: str = WORLD_FILE) -> None:
        try:
            self.assets: dict[str, dict[str, Any]] = dict(document["assets"])
            self.tokens = {address.lower(): entry for address, entry in document["tokens"].items()}
            self.collaterals: list[dict[str, str]] = list(document["collaterals"])
            self.markets: dict[str, str] = {m["name"]: m["asset"] for m in document["markets"]}  # in id order
            self.feeds: list[str] = list(document["feeds"])
            self.chains: dict[str, int] = dict(document["chains"])
            self.accounts: list[dict[str, Any]] = list(document["accounts"])
        except (KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{source}: not a world description (missing or malformed {exc})") from None
        self._by_address = {entry["address"].lower(): entry for entry in self.accounts}
        self._by_name = {entry["name"]: entry for entry in self.accounts}
        self._chain_names = {chain_id: name for name, chain_id in self.chains.items()}

    @classmethod
    def read(cls, run_dir: Path) -> "WorldFile":
        path = Path(run_dir) / WORLD_FILE
        if not path.is_file():
            raise ConfigError(f"{run_dir}: no {WORLD_FILE} (the run was made by an older xmargin, or never started)")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: cut or not JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(document, dict):
            raise ConfigError(f"{path}: not a JSON object")
        return cls(document, str(path))

    def account(self, address: str) -> dict[str, Any] | None:
        return self._by_address.get(str(address).lower())

    def named(self, name: str) -> dict[str, Any] | None:
        """The account called ``name`` (``trader-3``), if any."""
        return self._by_name.get(name)

    def name_of(self, address: Any) -> str:
        """``trader-3`` for a known address, else the address itself."""
        entry = self.account(address) if isinstance(address, str) else None
        return entry["name"] if entry is not None else str(address)

    # -- amounts with units ----------------------------------------------------------------

    def describe(self, event: Mapping[str, Any], owner: Mapping[str, Any] | None = None) -> str:
        """An event's fields as ``key=value`` with units; ``owner`` (an account entry) gives a trader's
        asset and market for agent events, which carry raw amounts without them."""
        name = event.get("event", "")
        asset = self._asset_of(event, owner)
        parts = []
        for key, value in event.items():
            if key in HIDDEN_FIELDS or key in ("token", "cid") or value == ZERO_ADDRESS:
                continue
            parts.append(f"{key}={self._value(name, key, value, asset, event, owner)}")
        return ", ".join(parts)

    def _asset_of(self, event: Mapping[str, Any], owner: Mapping[str, Any] | None) -> str | None:
        if isinstance(event.get("token"), str) and event["token"].lower() in self.tokens:
            return self.tokens[event["token"].lower()]["asset"]
        cid = event.get("cid")
        if isinstance(cid, int) and 0 <= cid < len(self.collaterals):
            return self.collaterals[cid]["asset"]
        if isinstance(event.get("asset"), str):
            return event["asset"]
        return owner.get("asset") if owner else None

    def _value(self, name: str, key: str, value: Any, asset: str | None, event: Mapping[str, Any],
               owner: Mapping[str, Any] | None) -> str:
        if key.endswith("_usd") and isinstance(value, (int, float)) and not isinstance(value, bool):
            return format_usd(to_wad(f"{value:.6f}"))
        if not isinstance(value, int) or isinstance(value, bool):
            if key == "items" and isinstance(value, list):
                return "[" + "; ".join(self._seize_item(item) for item in value) + "]"
            if key == "prices" and isinstance(value, list):
                return "[" + ", ".join(format_usd(v) for v in value if isinstance(v, int)) + "]"
            if key in ("recipient", "liquidator", "depositor", "reporter", "funder", "receiver"):
                return self.name_of(value)
            return str(value)
        if key in USD_FIELDS or (key == "amount" and name in USD_AMOUNT_EVENTS):
            return format_usd(value)
        if key in TOKEN_FIELDS and asset in self.assets:
            return self.tokens_amount(value, asset)
        if key in SIZE_FIELDS:
            return f"{format_number(from_wad(value))} {self._base(event, owner)}".rstrip()
        if key in RATIO_FIELDS:
            return format_number(from_wad(value), places=4)
        if key == "funding_rate":
            return f"{format_number(from_wad(value) * 100, places=4)} %/day"
        if key == "market" and 0 <= value < len(self.markets):
            return list(self.markets)[value]
        if key == "feed" and 0 <= value < len(self.feeds):
            return self.feeds[value]
        if key in ("src_chain_id", "chain_id") and value in self._chain_names:
            return self._chain_names[value]
        if key == "source" and value in Source._value2member_map_:
            return Source(value).name.lower()
        if key == "dest" and value in Dest._value2member_map_:
            return Dest(value).name.lower()
        return str(value)

    def tokens_amount(self, units: int, asset: str) -> str:
        entry = self.assets[asset]
        return f"{format_number(from_units(units, entry['decimals']))} {entry['symbol']}"

    def _base(self, event: Mapping[str, Any], owner: Mapping[str, Any] | None) -> str:
        market = event.get("market")
        if isinstance(market, int) and 0 <= market < len(self.markets):
            market = list(self.markets)[market]
        elif owner is not None:
            market = owner.get("market")
        return self.markets.get(market, "") if isinstance(market, str) else ""

    def _seize_item(self, item: Any) -> str:
        if not isinstance(item, Mapping):
            return str(item)
        token = self.tokens.get(str(item.get("token", "")).lower())
        amount = item.get("amount")
        what = self.tokens_amount(amount, token["asset"]) if token and isinstance(amount, int) else str(amount)
        source, dest = item.get("source"), item.get("dest")
        source = Source(source).name.lower() if source in Source._value2member_map_ else source
        dest = Dest(dest).name.lower() if dest in Dest._value2member_map_ else dest
        target = f" {self.name_of(item['recipient'])}" if dest == "recipient" else ""
        return f"{what} {source} -> {dest}{target}"


def format_number(value: Decimal, places: int | None = None) -> str:
    """A decimal with thousands separators, without trailing zeros (rounded to ``places`` if given)."""
    if places is not None:
        value = round(value, places)
    text = f"{value:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_usd(wad: int) -> str:
    """A WAD USD amount: ``$1,234.56`` (small amounts keep their significant digits)."""
    value = from_wad(wad)
    places = 2 if abs(value) >= 1 or value == 0 else 6
    text = format_number(value, places=places)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"

