"""Bindings for what follows the insurance fund: the ``Deleverager`` (auto-deleveraging or socialised loss)
and the ``Backstop`` liquidator, both on the perp chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from hexbytes import HexBytes
from web3.contract import Contract

from chains.chain import Chain
from protocol.binding import ContractBinding, Sender
from protocol.catalog import Catalog
from protocol.engine import BucketState
from protocol.errors import ProtocolError
from protocol.events import BACKSTOP_EVENTS, DELEVERAGER_EVENTS

MODES = {"adl": 1, "socialise": 2}
MAX_TARGETS = 16
GAS_DELEVERAGE = 4_000_000
GAS_TAKE_OVER = 4_000_000
GAS_OPERATE = 2_000_000


@dataclass(frozen=True)
class AdlCandidate:
    account: str
    bucket: int
    size: int  # WAD base units, signed
    profit: int  # unrealised profit of the position (USD WAD)
    score: int  # profit x the bucket's notional / its equity, as the Deleverager computes it


def rank_for_deleveraging(buckets: Iterable[BucketState], market: str, side: int) -> list[AdlCandidate]:
    """The positions the Deleverager accepts on ``side`` of ``market``, highest profit x leverage first.

    A candidate is on that side, in profit, and its bucket has positive equity; ties are broken by
    account and bucket so the order is deterministic.
    """
    candidates = []
    for state in buckets:
        position = state.position(market)
        if position is None or position.size * side <= 0 or position.unrealized_pnl <= 0 or state.equity <= 0:
            continue
        score = position.unrealized_pnl * state.notional // state.equity
        candidates.append(AdlCandidate(state.account, state.bucket, position.size, position.unrealized_pnl, score))
    return sorted(candidates, key=lambda c: (-c.score, c.account.lower(), c.bucket))


@dataclass(frozen=True)
class DeleveragerTotals:
    steps: int  # positions (partly) closed
    recovered: int  # USD (WAD) of bad debt paid down
    closed_notional: int  # USD (WAD)


class OperatedBinding(ContractBinding):
    """A contract only its operators may act through (the protocol's own keepers), addressing markets by name."""

    def __init__(self, chain: Chain, contract: Contract, catalog: Catalog) -> None:
        super().__init__(chain, contract)
        self.catalog = catalog

    def is_operator(self, address: str) -> bool:
        return self._call(self.fn.operators(address))

    def set_operator(self, sender: Sender, operator: str, allowed: bool = True, gas: int = GAS_OPERATE) -> HexBytes:
        return self._send(self.fn.set_operator(operator, allowed), sender, gas)


class Deleverager(OperatedBinding):
    EVENTS = DELEVERAGER_EVENTS

    def mode(self) -> str:
        value = self._call(self.fn.MODE())
        return next(name for name, number in MODES.items() if number == value)

    def totals(self) -> DeleveragerTotals:
        functions = self.fn
        return DeleveragerTotals(self._call(functions.steps()), self._call(functions.recovered_total()),
                                 self._call(functions.closed_notional_total()))

    def deleverage(self, sender: Sender, market: str | int, side: int, targets: Sequence[tuple[str, int]],
                   gas: int = GAS_DELEVERAGE) -> HexBytes:
        """Close ``targets`` ((account, bucket), highest profit x leverage first) on ``side`` (1 longs, -1 shorts)."""
        if side not in (1, -1):
            raise ProtocolError(f"side must be 1 (longs) or -1 (shorts), got {side!r}")
        if not 0 < len(targets) <= MAX_TARGETS:
            raise ProtocolError(f"deleverage takes 1 to {MAX_TARGETS} targets, got {len(targets)}")
        call = self.fn.deleverage(self.catalog.market_id(market), side, [tuple(t) for t in targets])
        return self._send(call, sender, gas)


@dataclass(frozen=True)
class BackstopTotals:
    taken_over: int  # buckets taken over
    notional: int  # USD (WAD) taken over


class Backstop(OperatedBinding):
    EVENTS = BACKSTOP_EVENTS

    def totals(self) -> BackstopTotals:
        functions = self.fn
        return BackstopTotals(self._call(functions.taken_over_count()), self._call(functions.taken_over_notional()))

    def take_over(self, sender: Sender, account: str, bucket: int = 0, gas: int = GAS_TAKE_OVER) -> HexBytes:
        return self._send(self.fn.take_over(account, bucket), sender, gas)

    def trade(self, sender: Sender, market: str | int, size_delta: int, acceptable_price: int = 0,
              gas: int = GAS_OPERATE) -> HexBytes:
        call = self.fn.trade(self.catalog.market_id(market), size_delta, acceptable_price)
        return self._send(call, sender, gas)
