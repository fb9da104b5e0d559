"""Binding for the MarginEngine (and its read-only MarginReader) on the perp chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from eth_utils import to_canonical_address
from hexbytes import HexBytes
from web3.contract import Contract

from chains.abi import Calls, ContractAbi
from chains.chain import Chain
from protocol.binding import ContractBinding, Sender
from protocol.catalog import Catalog
from protocol.errors import ProtocolError
from protocol.events import ENGINE_EVENTS
from protocol.units import WAD

CROSS = 0  # bucket 0 is cross margin; 1..7 are isolated buckets
MAX_BUCKETS = 8
PAGE = 32
HEALTH_ROWS = 128  # MarginReader.health_of takes at most this many buckets per call
GAS_TRADE = 1_500_000
GAS_LIQUIDATE = 2_000_000
LIQUIDATE_GAS_TYPICAL = 250_000  # what a liquidation uses (benchmarks/protocol_gas.py: 220,844 for two positions)
GAS_MOVE = 800_000


@dataclass(frozen=True)
class PositionInfo:
    market: str
    market_id: int
    size: int  # base units (WAD), long > 0
    entry_price: int
    mark_price: int
    unrealized_pnl: int
    funding_owed: int  # accrued, not yet settled; positive means the position pays
    notional: int
    maintenance_requirement: int


@dataclass(frozen=True)
class CollateralHolding:
    cid: int
    chain: str
    asset: str
    amount: int  # native units
    price: int
    value: int  # after the haircut, WAD


@dataclass(frozen=True)
class BucketState:
    """One margin bucket valued at current prices (all WAD USD except sizes and token amounts)."""

    account: str
    bucket: int
    equity: int
    collateral_value: int  # after haircuts
    balance: int  # realised gains not withdrawn (negative only while a loss waits for collateral)
    unrealized_pnl: int
    funding_owed: int
    notional: int
    initial_requirement: int
    maintenance_requirement: int
    free_margin: int  # equity - initial requirement
    health: int  # equity / maintenance requirement (WAD); huge when there is no position
    prices_fresh: bool  # False: valued at liquidation prices because a current price is missing
    positions: tuple[PositionInfo, ...]
    collateral: tuple[CollateralHolding, ...]

    @property
    def liquidatable(self) -> bool:
        return self.maintenance_requirement > 0 and self.equity < self.maintenance_requirement

    def position(self, market: str) -> PositionInfo | None:
        return next((p for p in self.positions if p.market == market), None)


@dataclass(frozen=True)
class BucketHealth:
    account: str
    bucket: int
    equity: int
    maintenance_requirement: int
    health: int

    @property
    def liquidatable(self) -> bool:
        return self.health < WAD


@dataclass(frozen=True)
class RawPosition:
    size: int
    entry_price: int
    funding_index: int


@dataclass(frozen=True)
class MarketState:
    market: str
    long_oi: int
    short_oi: int
    skew: int
    funding_rate: int  # WAD per day
    funding_index: int  # USD (WAD) per unit of long size, cumulative
    updated_at: int


@dataclass(frozen=True)
class FundBalance:
    """The engine's mirror of a vault's pool and insurance fund for one collateral (native units)."""

    cid: int
    chain: str
    asset: str
    pool: int
    insurance: int


@dataclass(frozen=True)
class EngineTotals:
    bad_debt: int  # every shortfall ever recorded (USD)
    insurance_drawn: int  # the part the insurance fund covered
    uncovered_bad_debt: int  # the part the pool absorbed and auto-deleveraging has not paid back (yet)
    accounts: int
    seizes: int


class MarginEngine(ContractBinding):
    EVENTS = ENGINE_EVENTS

    def __init__(self, chain: Chain, contract: Contract, reader: Contract, catalog: Catalog) -> None:
        super().__init__(chain, contract)
        self.reader = reader
        self.reader_fn = Calls(to_canonical_address(reader.address), ContractAbi(reader.abi))
        self.catalog = catalog

    # -- reads ------------------------------------------------------------------

    def bucket(self, account: str, bucket: int = CROSS) -> BucketState:
        """A bucket's equity, requirements, health, positions and collateral, in one call."""
        _check_bucket(bucket)
        (equity, collateral_value, balance, unrealized, funding, notional, initial, maintenance, free, health, fresh,
         positions, collateral) = self._call(self.reader_fn.bucket_state(account, bucket))
        return BucketState(
            account=account,
            bucket=bucket,
            equity=equity,
            collateral_value=collateral_value,
            balance=balance,
            unrealized_pnl=unrealized,
            funding_owed=funding,
            notional=notional,
            initial_requirement=initial,
            maintenance_requirement=maintenance,
            free_margin=free,
            health=health,
            prices_fresh=fresh,
            positions=tuple(PositionInfo(self.catalog.markets[p[0]], *p) for p in positions),
            collateral=tuple(
                CollateralHolding(c[0], self.catalog.by_cid(c[0]).chain, self.catalog.by_cid(c[0]).asset, *c[1:])
                for c in collateral
            ),
        )

    def position(self, account: str, market: str | int, bucket: int = CROSS) -> RawPosition:
        _check_bucket(bucket)
        return RawPosition(*self._call(self.fn.position(account, bucket, self.catalog.market_id(market))))

    def health_page(self, start: int = 0, count: int = PAGE) -> list[BucketHealth]:
        """Health of every bucket with positions for accounts ``start..start+count-1`` (count <= 32)."""
        rows = self._call(self.fn.health_page(start, count))
        return [BucketHealth(*row) for row in rows]

    def health_of(self, keys: Sequence[tuple[str, int]]) -> list[BucketHealth]:
        """Health of the given (account, bucket) pairs, as :meth:`health_page` computes it; pairs without
        positions or prices are left out. One call per 128 pairs."""
        rows = []
        for start in range(0, len(keys), HEALTH_ROWS):
            chunk = [(account, bucket) for account, bucket in keys[start:start + HEALTH_ROWS]]
            rows.extend(self._call(self.reader_fn.health_of(chunk)))
        return [BucketHealth(*row) for row in rows]

    def all_health(self) -> list[BucketHealth]:
        """Every bucket with positions, one call per 32 accounts."""
        total = self.account_count()
        return [row for start in range(0, total, PAGE) for row in self.health_page(start, PAGE)]

    def account_count(self) -> int:
        return self._call(self.fn.account_count())

    def accounts(self) -> list[str]:
        return [self._call(self.fn.account_at(i)) for i in range(self.account_count())]

    def market(self, market: str | int, price: int = 0) -> MarketState:
        """Open interest and funding; with ``price``, funding accrued to the pending block at that price."""
        market_id = self.catalog.market_id(market)
        values = self._call(self.fn.market_view(market_id, price))
        return MarketState(self.catalog.markets[market_id], *values)

    def funds(self) -> list[FundBalance]:
        rows = self._call(self.reader_fn.funds())
        return [FundBalance(cid, self.catalog.by_cid(cid).chain, self.catalog.by_cid(cid).asset, pool, insurance)
                for cid, pool, insurance in rows]

    def totals(self) -> EngineTotals:
        return EngineTotals(*self._call(self.fn.totals()))

    def credited(self, account: str) -> dict[int, int]:
        """Collateral credited to ``account`` per collateral id, all buckets together (native units)."""
        return dict(enumerate(self._call(self.fn.credited_all(account))))

    def credited_totals(self) -> dict[int, int]:
        """Collateral credited to all accounts together, per collateral id (native units): what must stay
        covered by collateral locked on the vault chains."""
        return dict(enumerate(self._call(self.reader_fn.credited_totals())))

    def collateral(self, account: str, cid: int, bucket: int = CROSS) -> int:
        _check_bucket(bucket)
        return self._call(self.fn.collateral(account, bucket, self.catalog.by_cid(cid).cid))

    def balance(self, account: str, bucket: int = CROSS) -> int:
        _check_bucket(bucket)
        return self._call(self.fn.balances(account, bucket))

    # -- writes (submit only) ------------------------------------------------------

    def trade(
        self,
        sender: Sender,
        market: str | int,
        size_delta: int,
        bucket: int = CROSS,
        acceptable_price: int = 0,
        gas: int = GAS_TRADE,
    ) -> HexBytes:
        """Change the sender's position by ``size_delta`` (WAD base units, + buys) at the oracle price."""
        return self._send(
            self.fn.trade(self.catalog.market_id(market), size_delta, bucket, acceptable_price), sender, gas
        )

    def liquidate(self, sender: Sender, account: str, bucket: int = CROSS, gas: int = GAS_LIQUIDATE) -> HexBytes:
        return self._send(self.fn.liquidate(account, bucket), sender, gas)

    def move_collateral(
        self, sender: Sender, from_bucket: int, to_bucket: int, cid: int, amount: int, gas: int = GAS_MOVE
    ) -> HexBytes:
        return self._send(self.fn.move_collateral(from_bucket, to_bucket, cid, amount), sender, gas)


def _check_bucket(bucket: int) -> None:
    if isinstance(bucket, bool) or not isinstance(bucket, int) or not 0 <= bucket < MAX_BUCKETS:
        raise ProtocolError(f"bucket must be 0 (cross) to {MAX_BUCKETS - 1}, got {bucket!r}")
