"""Fee suggestions and ``eth_feeHistory``, computed from the chain's own blocks the way geth does.

Wallets and libraries build their fee fields from these: the suggested tip is 1 gwei,
the gas price is the next block's base fee plus that tip, and reward percentiles are
weighted by the gas each transaction used.
"""

from __future__ import annotations

from typing import Any

from chains.chain import Chain
from chains.fees import DEFAULT_PRIORITY_FEE
from chains.rpc.blocks import PENDING, resolve_block
from chains.rpc.errors import invalid_params
from chains.rpc.params import parse_quantity, positional
from chains.txpool import effective_tip

MAX_FEE_HISTORY_BLOCKS = 1024


def pending_base_fee(chain: Chain) -> int:
    return chain.next_base_fee


def eth_gas_price(chain: Chain, params: list[Any]) -> int:
    positional(params, "eth_gasPrice", 0)
    return pending_base_fee(chain) + DEFAULT_PRIORITY_FEE


def eth_max_priority_fee_per_gas(chain: Chain, params: list[Any]) -> int:
    positional(params, "eth_maxPriorityFeePerGas", 0)
    return DEFAULT_PRIORITY_FEE


def _percentiles(value: Any) -> list[float]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(p, int | float) and not isinstance(p, bool) for p in value):
        raise invalid_params("rewardPercentiles must be an array of numbers")
    if any(not 0 <= p <= 100 for p in value) or any(a > b for a, b in zip(value, value[1:], strict=False)):
        raise invalid_params("rewardPercentiles must rise monotonically within 0..100")
    return [float(p) for p in value]


def _block_rewards(chain: Chain, number: int, base_fee: int, percentiles: list[float]) -> list[int]:
    """Effective tips at each percentile of the gas used in block ``number`` (geth's weighting)."""
    block = chain.block(number)
    if not block.signed:
        return [0] * len(percentiles)
    tips = sorted(
        (effective_tip(tx, base_fee), receipt.gas_used) for tx, receipt in zip(block.signed, block.receipts, strict=True)
    )
    total = block.header.gas_used
    rewards, index, cumulative = [], 0, tips[0][1]
    for percentile in percentiles:
        threshold = total * percentile / 100
        while cumulative < threshold and index < len(tips) - 1:
            index += 1
            cumulative += tips[index][1]
        rewards.append(tips[index][0])
    return rewards


def eth_fee_history(chain: Chain, params: list[Any]) -> dict[str, Any]:
    count_param, newest_param, percentiles_param = positional(params, "eth_feeHistory", 2, 1)
    count = parse_quantity(count_param, "blockCount")
    if not 1 <= count <= MAX_FEE_HISTORY_BLOCKS:
        raise invalid_params(f"blockCount must be between 1 and {MAX_FEE_HISTORY_BLOCKS}, got {count}")
    newest = resolve_block(chain, newest_param, what="newestBlock")
    newest = chain.head_number if newest == PENDING else newest
    percentiles = _percentiles(percentiles_param)
    oldest = max(0, newest - count + 1)
    headers = [chain.block_header(n) for n in range(oldest, newest + 1)]
    if newest == chain.head_number:
        after_newest = pending_base_fee(chain)
    else:
        after_newest = chain.block_header(newest + 1).base_fee_per_gas
    history: dict[str, Any] = {
        "oldestBlock": oldest,
        "baseFeePerGas": [h.base_fee_per_gas for h in headers] + [after_newest],
        "gasUsedRatio": [h.gas_used / h.gas_limit for h in headers],
    }
    if percentiles:
        history["reward"] = [_block_rewards(chain, h.block_number, h.base_fee_per_gas, percentiles) for h in headers]
    return history


METHODS = {
    "eth_gasPrice": eth_gas_price,
    "eth_maxPriorityFeePerGas": eth_max_priority_fee_per_gas,
    "eth_feeHistory": eth_fee_history,
}
