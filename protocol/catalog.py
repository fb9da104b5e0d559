"""Names to on-chain ids: oracle feeds, markets, and collateral per (vault chain, asset)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from protocol.errors import ProtocolError


@dataclass(frozen=True)
class CollateralInfo:
    """One collateral the engine accepts: an asset's token on one vault chain."""

    cid: int
    chain: str
    chain_id: int
    asset: str
    token: str
    decimals: int
    haircut: Decimal
    feed: int


@dataclass(frozen=True)
class Catalog:
    feeds: tuple[str, ...]  # by feed id; one per asset
    markets: tuple[str, ...]  # by market id
    collaterals: tuple[CollateralInfo, ...]  # by collateral id

    def feed_id(self, feed: str | int) -> int:
        return _index(self.feeds, feed, "oracle feed")

    def market_id(self, market: str | int) -> int:
        return _index(self.markets, market, "market")

    def collateral(self, chain: str | int, asset: str) -> CollateralInfo:
        """The collateral of ``asset`` on ``chain`` (a chain name or id)."""
        for info in self.collaterals:
            if info.asset == asset and chain in (info.chain, info.chain_id):
                return info
        raise ProtocolError(f"no collateral {asset!r} on chain {chain!r}")

    def by_cid(self, cid: int) -> CollateralInfo:
        if isinstance(cid, bool) or not isinstance(cid, int) or not 0 <= cid < len(self.collaterals):
            raise ProtocolError(f"unknown collateral id {cid!r}; ids run 0..{len(self.collaterals) - 1}")
        return self.collaterals[cid]

    def by_token(self, chain_id: int, token: str) -> CollateralInfo:
        for info in self.collaterals:
            if info.chain_id == chain_id and info.token.lower() == token.lower():
                return info
        raise ProtocolError(f"no collateral with token {token} on chain id {chain_id}")


def _index(names: tuple[str, ...], key: str | int, what: str) -> int:
    if isinstance(key, int) and not isinstance(key, bool):
        if 0 <= key < len(names):
            return key
    elif key in names:
        return names.index(key)
    raise ProtocolError(f"unknown {what} {key!r}; configured: {', '.join(names)}")
