"""Errors the protocol's Python side reports to users."""

from __future__ import annotations

from chains.errors import XmarginError


class ProtocolError(XmarginError):
    """A protocol request that cannot be served (unknown market, asset, chain...)."""


class ProtocolCallError(ProtocolError):
    """A contract read that reverted; ``reason`` is the contract's message."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what}: {reason}")
        self.reason = reason
