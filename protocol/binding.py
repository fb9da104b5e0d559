"""What every contract binding shares: reads that report the contract's reason, writes that only submit.

Reads and writes go straight to the chain (``Chain.call``, ``Chain.send``) with calldata
encoded by eth-abi, not through web3's contract objects: agents make thousands of them
a run. ``binding.contract`` stays a web3 contract for users.
"""

from __future__ import annotations

from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import to_canonical_address
from hexbytes import HexBytes
from web3.contract import Contract

from chains.abi import BoundCall, Calls, ContractAbi, bound_from_web3
from chains.blocks import Block
from chains.chain import Chain
from chains.transactions import decode_revert_data
from protocol.errors import ProtocolCallError
from protocol.events import ContractEvent, EventDecoder

Sender = str | LocalAccount


class ContractBinding:
    """A deployed contract on one chain.

    Write methods submit a transaction and return its hash without waiting: in batched
    mode the caller mines (``chains.confirm`` mines and raises on a revert). Reads are one
    call each and raise :class:`ProtocolCallError` with the contract's reason.
    """

    EVENTS: tuple[type[ContractEvent], ...] = ()

    def __init__(self, chain: Chain, contract: Contract) -> None:
        self.chain = chain
        self.contract = contract
        self._address_bytes = to_canonical_address(contract.address)
        self.fn = Calls(self._address_bytes, ContractAbi(contract.abi))
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
        return self._decoder.decode_all(self.chain.logs(from_block, to_block, {self._address_bytes}))

    def events_in(self, block: Block) -> list[ContractEvent]:
        """This contract's events in a mined block (from the block itself: no query)."""
        return self._decoder.decode_all(log for log in block.logs if log.address == self._address_bytes)

    def _call(self, call: BoundCall | Any) -> Any:
        call = call if isinstance(call, BoundCall) else bound_from_web3(call)
        result = self.chain.call(call.to, call.calldata)
        if not result.success:
            reason = decode_revert_data(result.output) if result.error == "reverted" else result.error
            raise ProtocolCallError(f"{self.chain.name}: {type(self).__name__}.{call.fn_name}", reason)
        return call.function.decode(result.output)

    def _send(self, call: BoundCall | Any, sender: Sender, gas: int, value: int = 0) -> HexBytes:
        call = call if isinstance(call, BoundCall) else bound_from_web3(call)
        return self.chain.send(self._sender_address(sender), call.to, call.calldata, gas, value)

    def _sender_address(self, sender: Sender) -> str:
        if isinstance(sender, LocalAccount):
            self.chain.add_account(sender)
            return sender.address
        return sender
