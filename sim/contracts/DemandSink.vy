# pragma version 0.4.3
"""
@title DemandSink
@notice Where background demand sends its transactions: other users' load on a chain, as the fee
        market sees it. Every call stops at an INVALID instruction, which consumes all the gas the
        transaction brought: the block fills by exactly that much, for one instruction's work.
"""


@external
@payable
def __default__():
    assert msg.gas == 0, UNREACHABLE  # never true while code runs: always the INVALID instruction
