"""What a run measured: liquidations and their delays, bad debt, top-ups, messages, transactions and gas.

Everything is learned from chain events (through the :class:`sim.feed.EventFeed`),
the bridge's lifecycle events and the shared health scans, never from the agents'
own bookkeeping of what they intended.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bridge import LifecycleEvent
from chains import Chain, MinedBlock
from protocol import WAD
from protocol.events import ContractEvent
from sim.health import HealthScan


@dataclass
class LiquidationRecord:
    t: float
    account: str
    bucket: int
    liquidator: str
    closed_notional: int
    bonus: int
    full_close: bool
    first_underwater: float | None
    seize_messages: list[str] = field(default_factory=list)
    seized_at: dict[str, float] = field(default_factory=dict)

    @property
    def underwater_delay(self) -> float | None:
        return None if self.first_underwater is None else self.t - self.first_underwater

    @property
    def settlement_delay(self) -> float | None:
        """Liquidation to the last of its seizures processed on a vault chain."""
        if not self.seize_messages or len(self.seized_at) < len(self.seize_messages):
            return None
        return max(self.seized_at.values()) - self.t


@dataclass
class TopUp:
    account: str
    bucket: int
    requested: float
    credited: float | None = None
    late: bool = False


def delay_stats(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "mean": None, "p50": None, "p95": None, "max": None}
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "mean": round(statistics.fmean(ordered), 3),
        "p50": round(ordered[len(ordered) // 2], 3),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 3),
        "max": round(ordered[-1], 3),
    }


def usd(wad: int) -> float:
    return round(wad / WAD, 2)


class Metrics:
    def __init__(self, prior_settlement_delay: float) -> None:
        self.prior_settlement_delay = prior_settlement_delay
        self.deposits = 0
        self.positions_opened = 0
        self.positions_closed = 0
        self.trades_refused: Counter[str] = Counter()
        self.withdrawals_requested = 0
        self.withdrawals: Counter[str] = Counter()
        self.liquidation_attempts = 0
        self.liquidations_skipped: Counter[str] = Counter()
        self.liquidations: list[LiquidationRecord] = []
        self.bad_debt = 0
        self.insurance_drawn = 0
        self.uncovered_bad_debt = 0
        self.top_ups: list[TopUp] = []
        self.transactions: Counter[str] = Counter()
        self.failed_transactions: Counter[str] = Counter()
        self.gas: Counter[str] = Counter()
        self.blocks: Counter[str] = Counter()
        self._underwater_since: dict[tuple[str, int], float] = {}
        self._liquidation_by_tx: dict[bytes, LiquidationRecord] = {}
        self._seize_tx: dict[str, bytes] = {}
        self._seizes_by_tx: dict[bytes, list[str]] = {}
        self._seize_delays: list[float] = []

    # -- inputs ------------------------------------------------------------------

    def on_block(self, chain: Chain, block: MinedBlock) -> None:
        self.blocks[chain.name] += 1
        self.transactions[chain.name] += len(block.transactions)
        self.gas[chain.name] += block.gas_used

    def on_scan(self, scan: HealthScan) -> None:
        underwater = {(b.account, b.bucket) for b in scan.liquidatable}
        for key in underwater:
            self._underwater_since.setdefault(key, scan.t)
        for key in list(self._underwater_since):
            if key not in underwater:
                del self._underwater_since[key]

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        name = type(event).__name__
        if name == "Liquidated":
            record = LiquidationRecord(
                t, event.account, event.bucket, event.liquidator, event.closed_notional, event.bonus,
                event.full_close, self._underwater_since.pop((event.account, event.bucket), None),
            )
            record.seize_messages.extend(self._seizes_by_tx.get(bytes(event.tx_hash), ()))
            self.liquidations.append(record)
            self._liquidation_by_tx[bytes(event.tx_hash)] = record
            for top_up in self.top_ups:
                if top_up.account == event.account and top_up.credited is None and not top_up.late:
                    top_up.late = True
        elif name == "SeizeDispatched":
            message_id = "0x" + bytes(event.message_id).hex()
            self._seize_tx[message_id] = bytes(event.tx_hash)
            self._seizes_by_tx.setdefault(bytes(event.tx_hash), []).append(message_id)
            record = self._liquidation_by_tx.get(bytes(event.tx_hash))
            if record is not None:
                record.seize_messages.append(message_id)
        elif name == "BadDebt":
            self.bad_debt += event.amount
            self.insurance_drawn += event.insurance_drawn
            self.uncovered_bad_debt += event.uncovered
        elif name == "CollateralCredited":
            for top_up in self.top_ups:
                if top_up.account == event.account and top_up.credited is None:
                    top_up.credited = t
                    break

    def on_lifecycle(self, event: LifecycleEvent) -> None:
        if event.kind != "processed":
            return
        tx = self._seize_tx.get(event.message_id)
        record = self._liquidation_by_tx.get(tx) if tx is not None else None
        if record is not None and event.message_id in record.seize_messages:
            record.seized_at[event.message_id] = event.time
            delay = record.settlement_delay
            if delay is not None:
                self._seize_delays.append(delay)

    def underwater_since(self, key: tuple[str, int]) -> float | None:
        """When the shared scans first saw (account, bucket) liquidatable in its current episode."""
        return self._underwater_since.get(key)

    def unsettled_for(self, liquidator: str) -> int:
        """Liquidations by ``liquidator`` whose seizures have not all been processed on the vault chains."""
        return sum(
            1 for r in self.liquidations
            if r.liquidator == liquidator and r.seize_messages and r.settlement_delay is None
        )

    def top_up_requested(self, account: str, bucket: int, t: float) -> None:
        self.top_ups.append(TopUp(account, bucket, t))

    # -- derived ----------------------------------------------------------------

    def expected_settlement_delay(self) -> float:
        """What keepers expect between a liquidation and its seizure (observed mean, else the prior)."""
        if not self._seize_delays:
            return self.prior_settlement_delay
        return statistics.fmean(self._seize_delays)

    def delays(self) -> dict[str, list[float]]:
        """Every liquidation's delays, in seconds (for the report's histograms)."""
        return {
            "underwater_to_liquidation_s": [round(r.underwater_delay, 3) for r in self.liquidations if r.underwater_delay is not None],
            "liquidation_to_seizure_s": [round(r.settlement_delay, 3) for r in self.liquidations if r.settlement_delay is not None],
        }

    def summary(self) -> dict[str, Any]:
        liquidated_notional = sum(r.closed_notional for r in self.liquidations)
        return {
            "bad_debt_usd": usd(self.bad_debt),
            "insurance_drawn_usd": usd(self.insurance_drawn),
            "uncovered_bad_debt_usd": usd(self.uncovered_bad_debt),
            "liquidations": {
                "count": len(self.liquidations),
                "volume_usd": usd(liquidated_notional),
                "bonus_usd": usd(sum(r.bonus for r in self.liquidations)),
                "full_closes": sum(1 for r in self.liquidations if r.full_close),
                "attempts": self.liquidation_attempts,
                "skipped": dict(sorted(self.liquidations_skipped.items())),
                "underwater_to_liquidation_s": delay_stats(
                    [d for d in (r.underwater_delay for r in self.liquidations) if d is not None]
                ),
                "liquidation_to_seizure_s": delay_stats(
                    [d for d in (r.settlement_delay for r in self.liquidations) if d is not None]
                ),
                "seizures_unsettled": sum(1 for r in self.liquidations if r.seize_messages and r.settlement_delay is None),
            },
            "top_ups": {
                "requested": len(self.top_ups),
                "credited": sum(1 for t in self.top_ups if t.credited is not None),
                "too_late": sum(1 for t in self.top_ups if t.late),
            },
            "traders": {
                "deposits": self.deposits,
                "positions_opened": self.positions_opened,
                "positions_closed": self.positions_closed,
                "trades_refused": dict(sorted(self.trades_refused.items())),
                "withdrawals_requested": self.withdrawals_requested,
                "withdrawals": dict(sorted(self.withdrawals.items())),
            },
            "chains": {
                name: {
                    "blocks": self.blocks[name],
                    "transactions": self.transactions[name],
                    "gas": self.gas[name],
                }
                for name in sorted(self.blocks)
            },
        }


class TimeSeries:
    """Samples over simulated time for the plot: prices (the fundamental, the reference moved by forced
    trading, the oracle), each pool's price and reserves, margin, liquidations and bad debt, and each
    chain's base fee and mempool depth."""

    def __init__(self, feeds: list[str], pools: list[str] = (), chains: list[str] = ()) -> None:
        self.data: dict[str, Any] = {
            "t": [], "prices": {feed: [] for feed in feeds}, "reference": {feed: [] for feed in feeds},
            "oracle": {feed: [] for feed in feeds},
            "pools": {key: {"price": [], "base_reserve": [], "quote_reserve": []} for key in pools},
            "chains": {name: {"base_fee_gwei": [], "mempool": []} for name in chains},
            "equity": [], "maintenance": [], "bad_debt": [], "insurance_drawn": [], "liquidations": [],
        }

    def sample(self, t: float, prices: dict[str, float], reference: dict[str, float], oracle: dict[str, float],
               pools: dict[str, tuple[float, float, float]], scan: HealthScan, bad_debt: float, insurance_drawn: float,
               liquidations: int, chains: dict[str, tuple[float, int]] | None = None) -> None:
        """``pools`` maps a pool's key to (price, base reserve, quote reserve), in whole tokens; ``chains`` a
        chain's name to (next base fee in gwei, transactions waiting)."""
        data = self.data
        data["t"].append(round(t, 3))
        for feed, value in prices.items():
            data["prices"][feed].append(round(value, 6))
        for feed, value in reference.items():
            data["reference"][feed].append(round(value, 6))
        for feed, value in oracle.items():
            data["oracle"][feed].append(round(value, 6))
        for key, (price, base, quote) in pools.items():
            series = data["pools"][key]
            series["price"].append(round(price, 6))
            series["base_reserve"].append(round(base, 6))
            series["quote_reserve"].append(round(quote, 2))
        for name, (base_fee, waiting) in (chains or {}).items():
            data["chains"][name]["base_fee_gwei"].append(base_fee)
            data["chains"][name]["mempool"].append(waiting)
        data["equity"].append(usd(scan.total_equity))
        data["maintenance"].append(usd(scan.total_maintenance))
        data["bad_debt"].append(bad_debt)
        data["insurance_drawn"].append(insurance_drawn)
        data["liquidations"].append(liquidations)
