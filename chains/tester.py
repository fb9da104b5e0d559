"""eth-tester's front end with a batching mode that does not re-execute blocks.

With auto-mining off, stock eth-tester executes each transaction, reverts the
whole chain to the previous block (re-importing it), keeps the transaction as a
dict and executes it again at mining time. Here a transaction sent while
auto-mining is off is applied once to py-evm's pending block, which is exactly
what the next ``mine_blocks`` seals.
"""

from __future__ import annotations

from typing import Any

from eth_tester import EthereumTester


def _unwrapped(method: Any) -> Any:
    return getattr(method, "__wrapped__", method)


_send_raw_now = _unwrapped(EthereumTester.send_raw_transaction)
_send_now = _unwrapped(EthereumTester.send_transaction)


class BatchingEthereumTester(EthereumTester):
    def send_raw_transaction(self, raw_transaction_hex: str) -> str:
        if self.auto_mine_transactions:
            return super().send_raw_transaction(raw_transaction_hex)
        return _send_raw_now(self, raw_transaction_hex)

    def send_transaction(self, transaction: dict) -> str:
        if self.auto_mine_transactions:
            return super().send_transaction(transaction)
        return _send_now(self, transaction)

    def _handle_filtering_for_transaction(self, transaction_hash: str) -> None:
        """Feed pending-transaction filters only; logs reach log filters when their block is mined.

        eth-tester reads the receipt of the transaction just sent here, but a transaction in
        the pending block has no receipt yet, so with a log filter installed every send
        raised after the transaction had been applied.
        """
        raw_hash = self.normalizer.normalize_inbound_transaction_hash(transaction_hash)
        for pending_filter in self._pending_transaction_filters.values():
            pending_filter.add(raw_hash)

    def revert_to_block(self, block_hash: bytes) -> None:
        """Make an older block the head (for snapshots and reorgs), keeping filters consistent."""
        snapshot_id = next(self._snapshot_counter)
        self._snapshots[snapshot_id] = block_hash
        try:
            self.revert_to_snapshot(snapshot_id)
        finally:
            self._snapshots.pop(snapshot_id, None)
