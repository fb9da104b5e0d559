"""Binding for a CollateralVault on one vault chain."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Mapping

from hexbytes import HexBytes
from web3.contract import Contract

from chains.chain import Chain
from protocol.binding import ContractBinding, Sender
from protocol.errors import ProtocolError
from protocol.events import VAULT_EVENTS

GAS_DEPOSIT = 300_000
GAS_REQUEST = 300_000
GAS_FUND = 300_000


class RequestStatus(IntEnum):
    NONE = 0
    PENDING = 1
    RELEASED = 2
    REFUSED = 3


@dataclass(frozen=True)
class VaultLedger:
    """One asset's ledger in a vault (native units)."""

    asset: str
    token: str
    listed: bool
    deposit_cap: int
    total_locked: int
    pool: int
    insurance: int
    treasury: int
    balance: int  # the vault's token balance
    rate_limit_available: int

    @property
    def conserved(self) -> bool:
        """Locked collateral, pool, insurance fund and treasury account for every token the vault holds."""
        return self.total_locked + self.pool + self.insurance + self.treasury == self.balance


@dataclass(frozen=True)
class WithdrawalRequest:
    request_id: int
    account: str
    token: str
    amount: int
    recipient: str
    status: RequestStatus


class Vault(ContractBinding):
    EVENTS = VAULT_EVENTS

    def __init__(self, chain: Chain, contract: Contract, tokens: Mapping[str, str]) -> None:
        super().__init__(chain, contract)
        self.tokens = dict(tokens)  # asset name -> token address on this chain
        self._assets = {address.lower(): name for name, address in self.tokens.items()}

    def token(self, asset: str) -> str:
        """The token address of ``asset`` (an asset name or a listed token address)."""
        if asset in self.tokens:
            return self.tokens[asset]
        if asset.lower() in self._assets:
            return self.tokens[self._assets[asset.lower()]]
        raise ProtocolError(f"{self.chain.name}: unknown asset {asset!r}; listed: {', '.join(self.tokens)}")

    def asset_of(self, token: str) -> str:
        try:
            return self._assets[token.lower()]
        except KeyError:
            raise ProtocolError(f"{self.chain.name}: {token} is not a listed token") from None

    # -- reads ------------------------------------------------------------------

    def ledger(self, asset: str) -> VaultLedger:
        token = self.token(asset)
        values = self._call(self.fn.ledger(token))
        return VaultLedger(self.asset_of(token), token, *values)

    def ledgers(self) -> dict[str, VaultLedger]:
        """Every listed asset's ledger, in one call."""
        rows = self._call(self.fn.ledgers(list(self.tokens.values())))
        return {name: VaultLedger(name, token, *row) for (name, token), row in zip(self.tokens.items(), rows)}

    def locked(self, account: str, asset: str) -> int:
        return self._call(self.fn.locked(account, self.token(asset)))

    def request(self, request_id: int) -> WithdrawalRequest:
        account, token, amount, recipient, status = self._call(self.fn.requests(request_id))
        return WithdrawalRequest(request_id, account, token, amount, recipient, RequestStatus(status))

    def request_count(self) -> int:
        return self._call(self.fn.request_count())

    def engine(self) -> tuple[int, str]:
        """The trusted engine: (chain id, address)."""
        return self._call(self.fn.engine_chain_id()), self._call(self.fn.engine())

    # -- writes (submit only; the caller mines) --------------------------------------

    def deposit(self, sender: Sender, asset: str, amount: int, account: str | None = None, gas: int = GAS_DEPOSIT) -> HexBytes:
        """Lock ``amount`` (native units) for ``account`` on the perp chain (default: the sender). Needs an allowance."""
        target = account or self._sender_address(sender)
        return self._send(self.fn.deposit(self.token(asset), amount, target), sender, gas)

    def request_withdraw(
        self, sender: Sender, asset: str, amount: int, recipient: str | None = None, gas: int = GAS_REQUEST
    ) -> HexBytes:
        """Ask the engine to release ``amount`` of the sender's margin to ``recipient`` (default: the sender)."""
        target = recipient or self._sender_address(sender)
        return self._send(self.fn.request_withdraw(self.token(asset), amount, target), sender, gas)

    def fund_pool(self, sender: Sender, asset: str, amount: int, gas: int = GAS_FUND) -> HexBytes:
        return self._send(self.fn.fund_pool(self.token(asset), amount), sender, gas)

    def fund_insurance(self, sender: Sender, asset: str, amount: int, gas: int = GAS_FUND) -> HexBytes:
        return self._send(self.fn.fund_insurance(self.token(asset), amount), sender, gas)

    def withdraw_treasury(self, sender: Sender, asset: str, amount: int, receiver: str, gas: int = GAS_FUND) -> HexBytes:
        return self._send(self.fn.withdraw_treasury(self.token(asset), amount, receiver), sender, gas)
