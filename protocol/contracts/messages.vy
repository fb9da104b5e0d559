# pragma version 0.4.3
"""
@title Message kinds exchanged by the vaults and the margin engine
@notice Every body is the ABI encoding of a flat tuple whose first word is the kind:

    MARGIN_LOCKED     (kind, account, token, amount)                              vault -> engine
    WITHDRAW_REQUEST  (kind, request_id, account, token, amount, recipient)       vault -> engine
    FUNDED            (kind, fund, token, amount)                                 vault -> engine
    RELEASE           (kind, request_id, account, token, from_locked, from_pool)  engine -> vault
    WITHDRAW_REFUSED  (kind, request_id, account, token, amount, reason)          engine -> vault
    SEIZE             (kind, seize_id, account, SeizeItem[])                      engine -> vault

Token amounts are in the token's own decimals; `token` is the vault chain's token address.
"""

MAX_BODY: constant(uint256) = 2048

MARGIN_LOCKED: constant(uint256) = 1
WITHDRAW_REQUEST: constant(uint256) = 2
FUNDED: constant(uint256) = 3
RELEASE: constant(uint256) = 4
WITHDRAW_REFUSED: constant(uint256) = 5
SEIZE: constant(uint256) = 6

# where a seized amount comes from
SOURCE_ACCOUNT: constant(uint256) = 1  # the account's locked collateral
SOURCE_POOL: constant(uint256) = 2  # the counterparty pool
SOURCE_INSURANCE: constant(uint256) = 3  # the insurance fund

# where it goes
DEST_RECIPIENT: constant(uint256) = 1  # paid out to `recipient` (a liquidator's bonus)
DEST_POOL: constant(uint256) = 2
DEST_INSURANCE: constant(uint256) = 3
DEST_TREASURY: constant(uint256) = 4

# which fund a FUNDED message credits
FUND_POOL: constant(uint256) = 1
FUND_INSURANCE: constant(uint256) = 2

# why the engine refused a withdrawal
REFUSED_STALE_PRICE: constant(uint256) = 1
REFUSED_INSUFFICIENT_FREE_MARGIN: constant(uint256) = 2
REFUSED_EXCEEDS_COLLATERAL_AND_GAINS: constant(uint256) = 3
REFUSED_POOL_ILLIQUID: constant(uint256) = 4
REFUSED_UNKNOWN_ASSET: constant(uint256) = 5

MAX_SEIZE_ITEMS: constant(uint256) = 8


struct SeizeItem:
    token: address
    amount: uint256
    source: uint256
    dest: uint256
    recipient: address
