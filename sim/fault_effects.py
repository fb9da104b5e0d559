"""What injected faults cost, measured instead of stopping the run.

A fault meant to break an invariant (the compromise fault, a reorg deeper than the
finality depth the validators waited for) is an experiment, not a bug: the broken
invariant is recorded as a breach and its cost is measured here. The summary's
``faults`` table holds:

- ``unbacked_margin_usd``: the largest margin credited on the perp chain without
  collateral locked behind it (credited plus deposits in flight minus locked, valued at
  the reference price), seen at any invariant check after a deep reorg;
- ``stolen_usd``: what forged RELEASE messages paid the attacker (reference price at
  payment);
- ``breaches``: invariants broken by an injected fault, by name.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

from protocol.events import ContractEvent


class FaultEffects:
    def __init__(self, attacker: str, price: Callable[[str], float], asset_of: Callable[[str, str], tuple[str, int]]) -> None:
        self.attacker = attacker
        self._price = price
        self._asset_of = asset_of  # (chain, token address) -> (asset, decimals)
        self.unbacked_peak_usd = 0.0
        self.stolen_usd = 0.0
        self.breaches: Counter[str] = Counter()

    def on_event(self, t: float, chain: str, event: ContractEvent) -> None:
        if type(event).__name__ == "Released" and event.recipient == self.attacker:
            asset, decimals = self._asset_of(chain, event.token)
            self.stolen_usd += (event.from_locked + event.from_pool) / 10**decimals * self._price(asset)

    def unbacked(self, usd: float) -> None:
        self.unbacked_peak_usd = max(self.unbacked_peak_usd, usd)

    def breach(self, invariant: str) -> None:
        self.breaches[invariant] += 1

    def summary(self) -> dict[str, Any]:
        return {
            "unbacked_margin_usd": round(self.unbacked_peak_usd, 2),
            "stolen_usd": round(self.stolen_usd, 2),
            "breaches": dict(sorted(self.breaches.items())),
        }
