# pragma version 0.4.3
"""
@title CollateralVault
@notice Holds ERC-20 collateral on a vault chain for margin accounts that live on the perp chain.
        Deposits are locked for an account at once and reported to the engine (MARGIN_LOCKED).
        Locked collateral is never withdrawable here: a withdrawal is a request sent to the
        engine, paid only on its RELEASE. SEIZE moves value out of an account's locked
        collateral (or between the pool, insurance fund and treasury) on the engine's word.
        What leaves the vault by RELEASE and SEIZE (to a recipient) passes a token bucket per
        asset: the bound on what a compromised bridge can take. Seizures that only move value
        inside the vault (an account's collateral to the pool, insurance or treasury) spend none
        of it, so a crash's settlements never delay honest withdrawals. A message over the
        available amount reverts (the relayer retries once the bucket has refilled); a withdrawal
        larger than the bucket's capacity is refused at request time, and a SEIZE paying out more
        than it waits until the owner raises it.

        Ledger per asset: sum(locked) + pool + insurance + treasury == token balance.
"""

from ethereum.ercs import IERC20
import messages

interface IMailbox:
    def dispatch(dst_chain_id: uint256, recipient: address, body: Bytes[2048]) -> bytes32: nonpayable

struct RateLimit:
    capacity: uint256
    refill_per_second: uint256
    available: uint256
    updated_at: uint256

struct Request:
    account: address
    token: address
    amount: uint256
    recipient: address
    status: uint256

struct Ledger:
    listed: bool
    deposit_cap: uint256
    total_locked: uint256
    pool: uint256
    insurance: uint256
    treasury: uint256
    balance: uint256
    rate_limit_available: uint256

MAX_TOKENS: constant(uint256) = 16
PENDING: constant(uint256) = 1
RELEASED: constant(uint256) = 2
REFUSED: constant(uint256) = 3

event AssetListed:
    token: indexed(address)
    deposit_cap: uint256
    rate_limit_capacity: uint256
    rate_limit_refill_per_second: uint256

event Deposited:
    account: indexed(address)
    token: indexed(address)
    amount: uint256
    depositor: address
    message_id: bytes32

event WithdrawRequested:
    request_id: indexed(uint256)
    account: indexed(address)
    token: address
    amount: uint256
    recipient: address
    message_id: bytes32

event Released:
    request_id: indexed(uint256)
    account: indexed(address)
    token: address
    from_locked: uint256
    from_pool: uint256
    recipient: address

event WithdrawRefused:
    request_id: indexed(uint256)
    account: indexed(address)
    token: address
    amount: uint256
    reason: uint256

event Seized:
    seize_id: indexed(uint256)
    account: indexed(address)
    token: address
    amount: uint256
    source: uint256
    dest: uint256
    recipient: address

event Funded:
    fund: uint256
    token: indexed(address)
    amount: uint256
    funder: address
    message_id: bytes32

event TreasuryWithdrawn:
    token: indexed(address)
    amount: uint256
    receiver: address

MAILBOX: public(immutable(address))
owner: public(address)
engine_chain_id: public(uint256)
engine: public(address)

listed: public(HashMap[address, bool])
deposit_cap: public(HashMap[address, uint256])
total_locked: public(HashMap[address, uint256])
locked: public(HashMap[address, HashMap[address, uint256]])  # account -> token -> amount
pool: public(HashMap[address, uint256])
insurance: public(HashMap[address, uint256])
treasury: public(HashMap[address, uint256])
rate_limits: public(HashMap[address, RateLimit])
requests: public(HashMap[uint256, Request])
request_count: public(uint256)


@deploy
def __init__(mailbox: address):
    assert mailbox != empty(address), "mailbox is the zero address"
    MAILBOX = mailbox
    self.owner = msg.sender


# -- administration -----------------------------------------------------------


@external
def set_engine(chain_id: uint256, engine: address):
    """@notice Trust `engine` on `chain_id` as the only remote app; deposits are reported to it."""
    self._only_owner()
    assert chain_id != 0 and engine != empty(address), "engine chain id and address must be set"
    self.engine_chain_id = chain_id
    self.engine = engine


@external
def list_asset(token: address, deposit_cap: uint256, rate_limit_capacity: uint256, rate_limit_refill_per_second: uint256):
    self._only_owner()
    assert token != empty(address), "token is the zero address"
    assert not self.listed[token], "asset already listed"
    self.listed[token] = True
    self.deposit_cap[token] = deposit_cap
    self.rate_limits[token] = RateLimit(
        capacity=rate_limit_capacity,
        refill_per_second=rate_limit_refill_per_second,
        available=rate_limit_capacity,
        updated_at=block.timestamp,
    )
    log AssetListed(
        token=token,
        deposit_cap=deposit_cap,
        rate_limit_capacity=rate_limit_capacity,
        rate_limit_refill_per_second=rate_limit_refill_per_second,
    )


@external
def set_deposit_cap(token: address, deposit_cap: uint256):
    self._only_owner()
    assert self.listed[token], "asset not listed"
    self.deposit_cap[token] = deposit_cap


@external
def set_rate_limit(token: address, capacity: uint256, refill_per_second: uint256):
    self._only_owner()
    assert self.listed[token], "asset not listed"
    available: uint256 = min(self._available(token), capacity)
    self.rate_limits[token] = RateLimit(
        capacity=capacity, refill_per_second=refill_per_second, available=available, updated_at=block.timestamp
    )


@external
def withdraw_treasury(token: address, amount: uint256, receiver: address):
    """@notice The treasury is protocol revenue, not margin: its owner takes it out directly."""
    self._only_owner()
    assert amount != 0, "zero amount"
    assert receiver != empty(address), "receiver is the zero address"
    assert self.treasury[token] >= amount, "amount exceeds the treasury"
    self.treasury[token] -= amount
    assert extcall IERC20(token).transfer(receiver, amount, default_return_value=True), "token transfer failed"
    log TreasuryWithdrawn(token=token, amount=amount, receiver=receiver)


# -- users --------------------------------------------------------------------


@external
def deposit(token: address, amount: uint256, account: address) -> bytes32:
    """@notice Lock `amount` of `token` as margin for `account` on the perp chain."""
    assert self.listed[token], "asset not listed"
    assert amount != 0, "zero amount"
    assert account != empty(address), "account is the zero address"
    assert self.engine != empty(address), "no engine configured"
    total: uint256 = self.total_locked[token] + amount
    assert total <= self.deposit_cap[token], "deposit cap exceeded"
    assert extcall IERC20(token).transferFrom(msg.sender, self, amount, default_return_value=True), "token transfer failed"
    self.total_locked[token] = total
    self.locked[account][token] += amount
    message_id: bytes32 = self._send(abi_encode(messages.MARGIN_LOCKED, account, token, amount))
    log Deposited(account=account, token=token, amount=amount, depositor=msg.sender, message_id=message_id)
    return message_id


@external
def request_withdraw(token: address, amount: uint256, recipient: address) -> uint256:
    """@notice Ask the engine to release `amount` of `token` from the caller's margin to `recipient`.
    @dev Nothing moves here: the engine answers with RELEASE or WITHDRAW_REFUSED."""
    assert self.listed[token], "asset not listed"
    assert amount != 0, "zero amount"
    assert recipient != empty(address), "recipient is the zero address"
    assert self.engine != empty(address), "no engine configured"
    assert amount <= self.rate_limits[token].capacity, "amount exceeds the rate limit capacity"
    request_id: uint256 = self.request_count + 1
    self.request_count = request_id
    self.requests[request_id] = Request(
        account=msg.sender, token=token, amount=amount, recipient=recipient, status=PENDING
    )
    message_id: bytes32 = self._send(
        abi_encode(messages.WITHDRAW_REQUEST, request_id, msg.sender, token, amount, recipient)
    )
    log WithdrawRequested(
        request_id=request_id,
        account=msg.sender,
        token=token,
        amount=amount,
        recipient=recipient,
        message_id=message_id,
    )
    return request_id


@external
def fund_pool(token: address, amount: uint256) -> bytes32:
    """@notice Add liquidity to the counterparty pool (it pays traders' gains)."""
    return self._fund(messages.FUND_POOL, token, amount)


@external
def fund_insurance(token: address, amount: uint256) -> bytes32:
    """@notice Add to the insurance fund (it covers bad debt first)."""
    return self._fund(messages.FUND_INSURANCE, token, amount)


# -- messages from the engine -------------------------------------------------


@external
def handle(src_chain_id: uint256, sender: address, body: Bytes[messages.MAX_BODY]):
    assert msg.sender == MAILBOX, "caller is not the mailbox"
    assert src_chain_id == self.engine_chain_id and sender == self.engine and sender != empty(address), "untrusted remote"
    assert len(body) >= 32, "malformed message body"
    kind: uint256 = abi_decode(slice(body, 0, 32), uint256)
    if kind == messages.SEIZE:
        self._on_seize(body)
    elif kind == messages.RELEASE:
        self._on_release(body)
    elif kind == messages.WITHDRAW_REFUSED:
        self._on_refused(body)
    else:
        raise "unknown message kind"


# -- views ----------------------------------------------------------------------


@external
@view
def ledger(token: address) -> Ledger:
    return self._ledger(token)


@internal
@view
def _ledger(token: address) -> Ledger:
    return Ledger(
        listed=self.listed[token],
        deposit_cap=self.deposit_cap[token],
        total_locked=self.total_locked[token],
        pool=self.pool[token],
        insurance=self.insurance[token],
        treasury=self.treasury[token],
        balance=staticcall IERC20(token).balanceOf(self) if self.listed[token] else 0,
        rate_limit_available=self._available(token),
    )


@external
@view
def ledgers(tokens: DynArray[address, MAX_TOKENS]) -> DynArray[Ledger, MAX_TOKENS]:
    """@notice The ledger of several tokens in one call."""
    out: DynArray[Ledger, MAX_TOKENS] = []
    for token: address in tokens:
        out.append(self._ledger(token))
    return out


@external
@view
def rate_limit_available(token: address) -> uint256:
    return self._available(token)


# -- internals ----------------------------------------------------------------


@internal
@view
def _only_owner():
    assert msg.sender == self.owner, "only the owner"


@internal
def _send(body: Bytes[messages.MAX_BODY]) -> bytes32:
    return extcall IMailbox(MAILBOX).dispatch(self.engine_chain_id, self.engine, body)


@internal
def _fund(fund: uint256, token: address, amount: uint256) -> bytes32:
    assert self.listed[token], "asset not listed"
    assert amount != 0, "zero amount"
    assert self.engine != empty(address), "no engine configured"
    assert extcall IERC20(token).transferFrom(msg.sender, self, amount, default_return_value=True), "token transfer failed"
    if fund == messages.FUND_POOL:
        self.pool[token] += amount
    else:
        self.insurance[token] += amount
    message_id: bytes32 = self._send(abi_encode(messages.FUNDED, fund, token, amount))
    log Funded(fund=fund, token=token, amount=amount, funder=msg.sender, message_id=message_id)
    return message_id


@internal
@view
def _available(token: address) -> uint256:
    limit: RateLimit = self.rate_limits[token]
    refilled: uint256 = limit.available + (block.timestamp - limit.updated_at) * limit.refill_per_second
    return min(refilled, limit.capacity)


@internal
def _consume(token: address, amount: uint256):
    available: uint256 = self._available(token)
    assert amount <= available, "rate limit exceeded"
    self.rate_limits[token].available = available - amount
    self.rate_limits[token].updated_at = block.timestamp


@internal
def _on_seize(body: Bytes[messages.MAX_BODY]):
    kind: uint256 = 0
    seize_id: uint256 = 0
    account: address = empty(address)
    items: DynArray[messages.SeizeItem, messages.MAX_SEIZE_ITEMS] = []
    kind, seize_id, account, items = abi_decode(
        body, (uint256, uint256, address, DynArray[messages.SeizeItem, messages.MAX_SEIZE_ITEMS])
    )
    for item: messages.SeizeItem in items:
        assert self.listed[item.token], "asset not listed"
        if item.source == messages.SOURCE_ACCOUNT:
            assert self.locked[account][item.token] >= item.amount, "seize exceeds locked collateral"
            self.locked[account][item.token] -= item.amount
            self.total_locked[item.token] -= item.amount
        elif item.source == messages.SOURCE_POOL:
            assert self.pool[item.token] >= item.amount, "seize exceeds the pool"
            self.pool[item.token] -= item.amount
        elif item.source == messages.SOURCE_INSURANCE:
            assert self.insurance[item.token] >= item.amount, "seize exceeds the insurance fund"
            self.insurance[item.token] -= item.amount
        else:
            raise "unknown seize source"
        if item.dest == messages.DEST_RECIPIENT:
            assert item.recipient != empty(address), "seize to the zero address"
            self._consume(item.token, item.amount)
            assert extcall IERC20(item.token).transfer(item.recipient, item.amount, default_return_value=True), "token transfer failed"
        elif item.dest == messages.DEST_POOL:
            self.pool[item.token] += item.amount
        elif item.dest == messages.DEST_INSURANCE:
            self.insurance[item.token] += item.amount
        elif item.dest == messages.DEST_TREASURY:
            self.treasury[item.token] += item.amount
        else:
            raise "unknown seize destination"
        log Seized(
            seize_id=seize_id,
            account=account,
            token=item.token,
            amount=item.amount,
            source=item.source,
            dest=item.dest,
            recipient=item.recipient,
        )


@internal
def _on_release(body: Bytes[messages.MAX_BODY]):
    kind: uint256 = 0
    request_id: uint256 = 0
    account: address = empty(address)
    token: address = empty(address)
    from_locked: uint256 = 0
    from_pool: uint256 = 0
    kind, request_id, account, token, from_locked, from_pool = abi_decode(
        body, (uint256, uint256, address, address, uint256, uint256)
    )
    request: Request = self.requests[request_id]
    assert request.status == PENDING, "no pending withdrawal request with this id"
    assert request.account == account and request.token == token, "release does not match the request"
    assert from_locked + from_pool == request.amount, "release amount does not match the request"
    assert self.locked[account][token] >= from_locked, "release exceeds locked collateral"
    assert self.pool[token] >= from_pool, "release exceeds the pool"
    self._consume(token, request.amount)
    self.locked[account][token] -= from_locked
    self.total_locked[token] -= from_locked
    self.pool[token] -= from_pool
    self.requests[request_id].status = RELEASED
    assert extcall IERC20(token).transfer(request.recipient, request.amount, default_return_value=True), "token transfer failed"
    log Released(
        request_id=request_id,
        account=account,
        token=token,
        from_locked=from_locked,
        from_pool=from_pool,
        recipient=request.recipient,
    )


@internal
def _on_refused(body: Bytes[messages.MAX_BODY]):
    kind: uint256 = 0
    request_id: uint256 = 0
    account: address = empty(address)
    token: address = empty(address)
    amount: uint256 = 0
    reason: uint256 = 0
    kind, request_id, account, token, amount, reason = abi_decode(
        body, (uint256, uint256, address, address, uint256, uint256)
    )
    request: Request = self.requests[request_id]
    assert request.status == PENDING, "no pending withdrawal request with this id"
    assert request.account == account and request.token == token, "refusal does not match the request"
    self.requests[request_id].status = REFUSED
    log WithdrawRefused(request_id=request_id, account=account, token=token, amount=request.amount, reason=reason)
