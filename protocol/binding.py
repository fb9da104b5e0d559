"""What every contract binding shares: reads that report the contract's reason, writes that only submit."""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from chains.chain import Chain
from chains.transactions import clean_revert_reason
from protocol.errors import ProtocolCallError
from protocol.events import ContractEvent, EventDecoder, fetch_events

Sender = str | LocalAccount


class ContractBinding:
    """A deployed contract on one chain.

    Write methods submit a transaction and return its hash without waiting: in batched
    mode the caller mines (``chains.confirm`` mines and raises on a revert). Reads are one
    ``eth_call`` each and raise :class:`ProtocolCallError` with the contract's reason.
    """

    EVENTS: tuple[type[ContractEvent], ...] = ()

    def __init__(self, chain: Chain, contract: Contract) -> None:
        self.chain = chain
        self.contract = contract
        self._decoder = EventDecoder(contract.abi, self.EVENTS)

    @property
    def address(self) -> str:
        return self.contract.address

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.chain.name}, {self.address})"

    def decode(self, log: Any) -> ContractEvent | None:
        """One raw log of this contract as its event dataclass (None for an event the binding does not know)."""
        return self._decoder.decode(log)

    def events_in_blocks(self, from_block: int, to_block: int | None = None) -> list[ContractEvent]:
        """This contract's events in blocks ``from_block..to_block`` (inclusive; default: the head)."""
        last = self.chain.head_number if to_block is None else to_block
        return fetch_events(self.chain.w3, self.address, self._decoder, from_block, last)

    def _call(self, function: ContractFunction) -> Any:
        try:
            return function.call()
        except Exception as exc:  # noqa: BLE001 - eth-tester and web3 raise several types for a revert
            raise ProtocolCallError(f"{self.chain.name}: {type(self).__name__}.{function.fn_name}", clean_revert_reason(str(exc))) from None

    def _send(self, function: ContractFunction, sender: Sender, gas: int, value: int = 0) -> HexBytes:
        address = self._sender_address(sender)
        return HexBytes(function.transact({"from": address, "gas": gas, "value": value}))

    def _sender_address(self, sender: Sender) -> str:
        if isinstance(sender, LocalAccount):
            self.chain.add_account(sender)
            return sender.address
        return sender
