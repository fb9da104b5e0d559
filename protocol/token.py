"""Binding for the test ERC-20 collateral tokens."""

from __future__ import annotations

from typing import Sequence

from hexbytes import HexBytes

from protocol.binding import ContractBinding, Sender

GAS_TOKEN_TX = 120_000


class Token(ContractBinding):
    @property
    def symbol(self) -> str:
        return self._call(self.fn.symbol())

    @property
    def decimals(self) -> int:
        return self._call(self.fn.decimals())

    def balance_of(self, owner: str) -> int:
        return self._call(self.fn.balanceOf(owner))

    def allowance(self, owner: str, spender: str) -> int:
        return self._call(self.fn.allowance(owner, spender))

    def total_supply(self) -> int:
        return self._call(self.fn.totalSupply())

    def holdings(self, owners: Sequence[str]) -> tuple[int, list[int]]:
        """The total supply and the balances of ``owners`` (at most 64), in one call."""
        supply, balances = self._call(self.fn.holdings(list(owners)))
        return supply, list(balances)

    def mint(self, sender: Sender, receiver: str, amount: int, gas: int = GAS_TOKEN_TX) -> HexBytes:
        """Mint ``amount`` (native units); only the deployer (the minter) may."""
        return self._send(self.fn.mint(receiver, amount), sender, gas)

    def approve(self, sender: Sender, spender: str, amount: int, gas: int = GAS_TOKEN_TX) -> HexBytes:
        return self._send(self.fn.approve(spender, amount), sender, gas)

    def transfer(self, sender: Sender, receiver: str, amount: int, gas: int = GAS_TOKEN_TX) -> HexBytes:
        return self._send(self.fn.transfer(receiver, amount), sender, gas)
