# pragma version 0.4.3
"""A minimal contract used to check a chain end to end: deploy, call, log, read the chain id."""

event Incremented:
    caller: indexed(address)
    value: uint256

count: public(uint256)
last_timestamp: public(uint256)


@external
def increment() -> uint256:
    self.count += 1
    self.last_timestamp = block.timestamp
    log Incremented(caller=msg.sender, value=self.count)
    return self.count


@view
@external
def chain_id() -> uint256:
    return chain.id
