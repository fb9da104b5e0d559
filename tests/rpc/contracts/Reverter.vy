# pragma version 0.4.3
"""Reverts on request, so the endpoint's revert answers (code 3 and the data) can be checked."""


@external
@view
def fail_with_reason() -> uint256:
    raise "nope"


@external
@view
def fail_with_data(data: Bytes[64]) -> uint256:
    raw_revert(data)


@external
@view
def fail_bare() -> uint256:
    raise
