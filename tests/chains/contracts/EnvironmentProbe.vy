# pragma version 0.4.3
"""Records the base fee it sees. Planted in a test: pyrevm 0.3.7 shows BASEFEE as 0, so the engines disagree here."""

base_fee: public(uint256)
extra: public(uint256)


@external
def record():
    self.base_fee = block.basefee
    if block.basefee != 0:
        self.extra += 1
