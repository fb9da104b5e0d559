"""Keeping oracle prices fresh where no reporter agents run, as a price feed's heartbeat would.

Nobody reports prices in ``xmargin up`` (or in a plugin testbed, unless the test does),
yet a price older than the oracle's staleness bound blocks new risk. Every half staleness period every reporter re-reports each feed's
last valid price, in one signed batch on the perp chain: prices stay where they are
(including where a user moved them with the reporter keys from the addresses file)
and stay fresh. With an oracle delay, the heartbeat also pokes the DelayedOracle when a
poke is due, so the engine's prices move on one delay behind.
"""

from __future__ import annotations

from typing import Any, Callable, Generator

import simpy

from protocol import ProtocolDeployment
from protocol.units import from_wad


def heartbeat_interval(protocol: ProtocolDeployment) -> float:
    return max(1.0, protocol.config.oracle.staleness / 2)


def refresh_prices(protocol: ProtocolDeployment) -> None:
    """Submit one batch re-reporting every feed's last valid price (feeds never valid are left out)."""
    prices = {}
    for feed in protocol.oracle.feeds:
        last = protocol.oracle.feed_state(feed).last_valid_price
        if last > 0:
            prices[feed] = from_wad(last)
    if prices:
        protocol.post_prices(prices)
    delayed = protocol.delayed_oracle
    if delayed is not None and protocol.perp.next_timestamp >= delayed.next_poke():
        delayed.poke(protocol.deployers[protocol.perp_chain])


def keep_prices_fresh(
    env: simpy.Environment, protocol: ProtocolDeployment, on_error: Callable[[Exception], None] | None = None,
    first: float | None = None,
) -> Generator[Any, Any, None]:
    """A SimPy process: :func:`refresh_prices` every :func:`heartbeat_interval` seconds (the first after ``first``)."""
    interval = heartbeat_interval(protocol)
    wait = interval if first is None else first
    while True:
        yield env.timeout(wait)
        wait = interval
        try:
            refresh_prices(protocol)
        except Exception as exc:  # noqa: BLE001 - a refused report must not stop the clock; it is reported
            if on_error is None:
                raise
            on_error(exc)
